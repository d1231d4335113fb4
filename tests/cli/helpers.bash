# Shared setup for the tests of the berth command-line client (tests/cli).
#
# Every test drives the `berth` binary against a daemon of its own, with its
# own state directories, socket and config directory, and a registry of its
# own on a free 127.0.0.1 port (tests/registry/registry.bash); teardown stops
# and removes all of it, also when the test failed.
#
# Variables:
#   BERTH_TEST_DAEMON  dockerd (default: Debian's dockerd 20.10, API 1.41, so
#                      that the client's version negotiation is exercised)
#                      or berthd
#   BERTH_CLI          the berth binary (default build/src/cli/berth)
#   BERTHD             the berthd binary (default build/src/daemon/berthd)
#   DOCKERD            the dockerd binary (default dockerd from PATH)
#
# After daemon_start: DAEMON_DIR, DAEMON_SOCK, DAEMON_PID, DOCKER_HOST
# (exported, so `berth` and `docker` both talk to it), DAEMON_LOG.

bats_require_minimum_version 1.5.0

BERTH_ROOT=${BERTH_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BERTH_CLI=${BERTH_CLI:-$BERTH_ROOT/build/src/cli/berth}
BERTHD=${BERTHD:-$BERTH_ROOT/build/src/daemon/berthd}
DOCKERD=${DOCKERD:-dockerd}
BERTH_TEST_DAEMON=${BERTH_TEST_DAEMON:-dockerd}
CLI_GOLDEN=$BATS_TEST_DIRNAME/golden

load ../registry/registry

berth() { "$BERTH_CLI" "$@"; }

# Processes a test started in the background (berth events, fake daemons),
# stopped by cli_teardown.  Kept in a file: `run` calls in a subshell.
bg_track() { echo "$1" >>"$BATS_TEST_TMPDIR/bg-pids"; }

# Children of pid (by parent pid, from /proc): dockerd's containerd.
_children_of() {
	local stat pid ppid
	for stat in /proc/[0-9]*/stat; do
		read -r pid _ _ ppid _ <"$stat" 2>/dev/null || continue
		[ "$ppid" = "$1" ] && echo "$pid"
	done
}

_wait_gone() { # pid tries
	local n=${2:-100}
	while [ "$n" -gt 0 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.05
		n=$((n - 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# Unmount what a daemon left mounted under a directory, deepest first.
_unmount_under() {
	local m
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do
			umount -l "$m" 2>/dev/null || true
		done
}

daemon_start() {
	# A short path: unix sockets (dockerd's containerd has some) are limited
	# to 107 bytes.
	DAEMON_DIR=$(mktemp -d /tmp/berth-cli.XXXXXX) || return 1
	echo "$DAEMON_DIR" >"$BATS_TEST_TMPDIR/daemon-dir"
	DAEMON_SOCK=$DAEMON_DIR/daemon.sock
	DAEMON_LOG=$DAEMON_DIR/daemon.log
	case "$BERTH_TEST_DAEMON" in
	dockerd)
		# dockerd adopts the host's containerd when this socket exists,
		# and its containers and images with it: never share the host's.
		if [ -e /run/containerd/containerd.sock ]; then
			echo "/run/containerd/containerd.sock exists: dockerd would use the host's containerd" >&2
			return 1
		fi
		echo '{}' >"$DAEMON_DIR/daemon.json"
		"$DOCKERD" --config-file "$DAEMON_DIR/daemon.json" --data-root "$DAEMON_DIR/data" \
			--exec-root "$DAEMON_DIR/exec" --pidfile "$DAEMON_DIR/pid" -H "unix://$DAEMON_SOCK" \
			--bridge=none --iptables=false --ip-forward=false --ip-masq=false \
			>"$DAEMON_LOG" 2>&1 </dev/null 3>&- &
		;;
	berthd)
		"$BERTHD" --root "$DAEMON_DIR/root" --exec-root "$DAEMON_DIR/exec" -H "unix://$DAEMON_SOCK" \
			--pidfile "$DAEMON_DIR/pid" >"$DAEMON_LOG" 2>&1 </dev/null 3>&- &
		;;
	*)
		echo "BERTH_TEST_DAEMON must be dockerd or berthd, not '$BERTH_TEST_DAEMON'" >&2
		return 1
		;;
	esac
	DAEMON_PID=$!
	echo "$DAEMON_PID" >"$DAEMON_DIR/started-pid"
	export DOCKER_HOST=unix://$DAEMON_SOCK
	local n=200
	while [ "$n" -gt 0 ]; do
		if [ -S "$DAEMON_SOCK" ] &&
			curl -sf --noproxy '*' --unix-socket "$DAEMON_SOCK" http://localhost/_ping >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			echo "$BERTH_TEST_DAEMON exited:" >&2
			cat "$DAEMON_LOG" >&2
			return 1
		fi
		sleep 0.05
		n=$((n - 1))
	done
	echo "$BERTH_TEST_DAEMON did not answer on $DAEMON_SOCK:" >&2
	tail -20 "$DAEMON_LOG" >&2
	return 1
}

daemon_stop() {
	local dir pid children c
	[ -f "$BATS_TEST_TMPDIR/daemon-dir" ] || return 0
	dir=$(cat "$BATS_TEST_TMPDIR/daemon-dir")
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	if [ -f "$dir/started-pid" ]; then
		pid=$(cat "$dir/started-pid")
		# its containerd, to stop by pid if dockerd does not
		children=$(_children_of "$pid")
		kill -TERM "$pid" 2>/dev/null || true
		_wait_gone "$pid" 300 || kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		for c in $children; do
			kill -TERM "$c" 2>/dev/null || true
			_wait_gone "$c" 100 || kill -KILL "$c" 2>/dev/null || true
		done
	fi
	_unmount_under "$dir"
	rm -rf "$dir"
	rm -f "$BATS_TEST_TMPDIR/daemon-dir"
}

# The usual setup: a config directory of the test's own (never the user's
# ~/.docker), a daemon, a registry.
cli_setup() {
	export DOCKER_CONFIG=$BATS_TEST_TMPDIR/config
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	unset DOCKER_API_VERSION DOCKER_DEFAULT_PLATFORM DOCKER_CONTEXT
	[ -x "$BERTH_CLI" ] || {
		echo "no berth binary at $BERTH_CLI" >&2
		return 1
	}
}

cli_teardown() {
	local pid
	if [ -f "$BATS_TEST_TMPDIR/bg-pids" ]; then
		while read -r pid; do
			kill -TERM "$pid" 2>/dev/null || true
			_wait_gone "$pid" 40 || kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		done <"$BATS_TEST_TMPDIR/bg-pids"
		rm -f "$BATS_TEST_TMPDIR/bg-pids"
	fi
	registry_stop
	daemon_stop
}

# Images built once per file (read-only input of the tests): an OCI layout
# of the "multi" variant (two layers, a long CREATED BY) and of "single"
# with a label (one layer, another config), both tagged v1.
images_build() {
	local dir=$BATS_FILE_TMPDIR/layouts
	[ -f "$dir/ready" ] && return 0
	mkdir -p "$dir"
	"${MKIMAGE[@]}" "$dir/multi" --variant multi --tag v1 >"$dir/multi.out" || return 1
	"${MKIMAGE[@]}" "$dir/single" --variant single --tag v1 --label berth.test=single >"$dir/single.out" || return 1
	touch "$dir/ready"
}
layout() { echo "$BATS_FILE_TMPDIR/layouts/$1"; }

# push LAYOUT NAME[:TAG]: push to the test's registry; prints the manifest digest.
push() {
	local auth=()
	[ -n "${REGISTRY_USER:-}" ] && auth=(--user "$REGISTRY_USER:$REGISTRY_PASS")
	"${PUSH[@]}" "$(layout "$1")" "$REGISTRY_ADDR/$2" "${auth[@]}"
}

# The lines of $output that start with prefix.
lines_starting() {
	local l
	for l in "${lines[@]}"; do
		[[ "$l" == "$1"* ]] && echo "$l"
	done
	return 0
}

# same_as_docker ARGS...: when the docker CLI is installed, run it and berth
# with ARGS against the test's daemon and require the same output (stdout
# and stderr, "docker" read as "berth") and exit status.
same_as_docker() {
	command -v docker >/dev/null 2>&1 || return 0
	local d_out d_err d_rc=0 b_out b_err b_rc=0
	d_out=$(docker "$@" 2>"$BATS_TEST_TMPDIR/d.err") || d_rc=$?
	b_out=$(berth "$@" 2>"$BATS_TEST_TMPDIR/b.err") || b_rc=$?
	d_err=$(sed 's/docker/berth/g; s/Docker/berth/g' "$BATS_TEST_TMPDIR/d.err")
	b_err=$(cat "$BATS_TEST_TMPDIR/b.err")
	if [ "$d_out" != "$b_out" ] || [ "$d_err" != "$b_err" ] || [ "$d_rc" != "$b_rc" ]; then
		echo "berth $* differs from docker $*:" >&2
		diff -u <(echo "$d_out"; echo "$d_err"; echo "status $d_rc") \
			<(echo "$b_out"; echo "$b_err"; echo "status $b_rc") >&2
		return 1
	fi
}
