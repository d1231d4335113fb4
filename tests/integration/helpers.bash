# Shared setup for the berth-runtime integration tests.
#
# Every test gets its own directory ($TESTDIR, bats' per-test temp dir), with
# its own state root ($ROOT), bundle ($BUNDLE) and container ids.  Nothing
# outside $TESTDIR is created or touched, except where a test says so.

_BERTH_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BERTH_RUNTIME=${BERTH_RUNTIME:-$_BERTH_TOP/build/src/runtime-main/berth-runtime}
BERTH_RECVTTY=${BERTH_RECVTTY:-$_BERTH_TOP/build/tests/helpers/berth-test-recvtty}

# How long a single runtime command may take before the test gives up on it
# (a hung runtime must fail the test, not hang the suite).
BERTH_CMD_TIMEOUT=${BERTH_CMD_TIMEOUT:-60}

# busybox applets linked into every test rootfs.
BUSYBOX_APPLETS=(sh ash cat echo ls sleep id env pwd grep sed awk head tail tr wc cut sort
	hostname uname readlink stat df touch mkdir rm mv cp ln chmod mount umount test true false
	kill tty stty printf seq ps uptime timeout dd xargs find basename dirname)

# snapshot_runtime: the whole run tests one build.  The binary is copied
# once into the run's temp dir (a rebuild during the run would otherwise
# make single tests fail with "Permission denied" while it is relinked).
snapshot_runtime() {
	local snap=$BATS_RUN_TMPDIR/berth-runtime n=20
	if [ "$BERTH_RUNTIME" = "$snap" ] || [ ! -d "$BATS_RUN_TMPDIR" ]; then
		return 0
	fi
	while [ ! -x "$snap" ] && [ "$n" -gt 0 ]; do
		if cp "$BERTH_RUNTIME" "$snap.tmp" 2>/dev/null && chmod 0755 "$snap.tmp" &&
			"$snap.tmp" --version >/dev/null 2>&1; then
			mv "$snap.tmp" "$snap"
			break
		fi
		rm -f "$snap.tmp"
		sleep 0.5
		n=$((n - 1))
	done
	# A binary that cannot run from a copy (an $ORIGIN rpath...) is used
	# where it is.
	[ -x "$snap" ] && BERTH_RUNTIME=$snap
	return 0
}

# setup_common: the per-test directory, state root and default bundle.
setup_common() {
	snapshot_runtime || return 1
	TESTDIR=$BATS_TEST_TMPDIR
	ROOT=$TESTDIR/state
	BUNDLE=$TESTDIR/bundle
	BG_PIDS=()
	DETACHED_N=0
	# Suffix of every container id a test uses: ids name host-wide things
	# (cgroups), so no two tests, or two runs, share one.
	X=-t${BATS_SUITE_TEST_NUMBER}-$RANDOM
	# User-namespace tests run the init as a remapped uid that must reach
	# the bundle: every directory from the bats run dir down is 0755.
	local d=$TESTDIR
	while [ -n "$d" ] && [ "$d" != "/" ]; do
		chmod 0755 "$d"
		[ "$d" = "$BATS_RUN_TMPDIR" ] && break
		case "$d" in "$BATS_RUN_TMPDIR"/*) ;; *) break ;; esac
		d=$(dirname "$d")
	done
	make_bundle "$BUNDLE"
}

# make_bundle DIR [ARGS...]: a busybox rootfs and a default config.json
# (berth-runtime spec) with terminal=false and the given args (default:
# sleep 1000).
make_bundle() {
	local dir=$1
	shift
	local rootfs=$dir/rootfs a
	mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc,home/u,root}
	chmod 0755 "$dir" "$rootfs"
	chmod 1777 "$rootfs/tmp"
	cp /bin/busybox "$rootfs/bin/busybox"
	for a in "${BUSYBOX_APPLETS[@]}"; do
		ln -sf busybox "$rootfs/bin/$a"
	done
	cat >"$rootfs/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		u:x:1000:1000:test user:/home/u:/bin/sh
	EOF
	cat >"$rootfs/etc/group" <<-'EOF'
		root:x:0:
		u:x:1000:
	EOF
	chown 1000:1000 "$rootfs/home/u"
	rm -f "$dir/config.json"
	"$BERTH_RUNTIME" spec --bundle "$dir" || return 1
	if [ $# -eq 0 ]; then
		set -- sleep 1000
	fi
	jq --argjson a "$(json_array "$@")" '.process.terminal = false | .process.args = $a' "$dir/config.json" \
		>"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
}

# json_array ARGS...: the arguments as a JSON array of strings.
json_array() {
	local a
	for a in "$@"; do
		jq -n --arg a "$a" '$a'
	done | jq -cs .
}

# update_config JQ-FILTER [JQ-ARGS...]: edit $BUNDLE/config.json
# (or $CONFIG_BUNDLE/config.json when that is set).
update_config() {
	local b=${CONFIG_BUNDLE:-$BUNDLE}
	local filter=$1
	shift
	jq "$@" "$filter" "$b/config.json" >"$b/config.json.new" || {
		echo "update_config: jq failed on: $filter" >&2
		return 1
	}
	mv "$b/config.json.new" "$b/config.json"
}

# set_args ARGS...: process.args of $BUNDLE.
set_args() {
	local b=${CONFIG_BUNDLE:-$BUNDLE}
	jq --argjson a "$(json_array "$@")" '.process.args = $a' "$b/config.json" >"$b/config.json.new" &&
		mv "$b/config.json.new" "$b/config.json"
}

# berth ARGS...: the runtime with the test's state root.  Descriptors above
# 2 are closed, so a container that outlives the call cannot keep bats'
# fd 3 open.
berth() {
	timeout --foreground "$BERTH_CMD_TIMEOUT" "$BERTH_RUNTIME" --root "$ROOT" "$@" 3>&-
}

# runbg ARGS...: like `run berth ARGS...`, for commands that leave a
# process behind that keeps the caller's stdio (create, run -d, exec -d):
# the runtime's (and the container's) stdout goes to $BG_OUT, stderr to
# $BG_ERR.  Sets $status, and $output/$lines from stderr.
runbg() {
	DETACHED_N=$((DETACHED_N + 1))
	BG_OUT=$TESTDIR/bg.$DETACHED_N.out
	BG_ERR=$TESTDIR/bg.$DETACHED_N.err
	LAST_ID=${*: -1}
	case "$LAST_ID" in -*) LAST_ID= ;; esac
	status=0
	berth "$@" >"$BG_OUT" 2>"$BG_ERR" </dev/null || status=$?
	output=$(cat "$BG_ERR")
	lines=()
	if [ -n "$output" ]; then
		mapfile -t lines <<<"$output"
	fi
	echo "# berth $* -> status $status" >&2
	[ -z "$output" ] || printf '# stderr: %s\n' "$output" >&2
	return 0
}

# create_ct ID [create options...]: create from $BUNDLE; must succeed.
create_ct() {
	local id=$1
	shift
	runbg create --bundle "${CONFIG_BUNDLE:-$BUNDLE}" "$@" "$id"
	if [ "$status" -ne 0 ]; then
		echo "create $id failed with status $status: $output" >&2
		return 1
	fi
}

# start_ct ID: create and start (the process runs in the background).
start_ct() {
	local id=$1
	shift
	create_ct "$id" "$@" || return 1
	local out
	if ! out=$(berth start "$id" 2>&1 </dev/null); then
		echo "start $id failed: $out" >&2
		return 1
	fi
}

# ct_status ID / ct_pid ID: fields of `state`.
ct_status() {
	berth state "$1" </dev/null | jq -r .status
}
ct_pid() {
	berth state "$1" </dev/null | jq -r .pid
}

# wait_status ID STATUS [TENTHS]: poll until the container has STATUS.
wait_status() {
	local id=$1 want=$2 n=${3:-100} s=
	while [ "$n" -gt 0 ]; do
		s=$(ct_status "$id" 2>/dev/null) || s="(state failed)"
		[ "$s" = "$want" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "container $id: status is \"$s\", waited for \"$want\"" >&2
	return 1
}

# wait_file FILE [TENTHS]: until FILE exists and is not empty.
wait_file() {
	local f=$1 n=${2:-100}
	while [ "$n" -gt 0 ]; do
		[ -s "$f" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "timed out waiting for $f" >&2
	return 1
}

# pid_alive PID: a live (not zombie) process.
pid_alive() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	st=${st%% *}
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# procs_mentioning PATH: live processes (other than this shell and its
# ancestors) whose command line mentions PATH or whose cwd is under it.
# The loop runs in a plain bash: bats' DEBUG trap makes loops here slow.
procs_mentioning() {
	bash --norc --noprofile -c "$PROCS_MENTIONING_SCRIPT" procs_mentioning "$1"
}
PROCS_MENTIONING_SCRIPT='
path=$1
# The ancestors of this bash: walk PPid up to 1.
skip=" " q=$$
while [ -n "$q" ] && [ "$q" -gt 1 ]; do
	skip+="$q "
	n=
	{ while read -r k v; do if [ "$k" = PPid: ]; then n=$v; break; fi; done <"/proc/$q/status"; } 2>/dev/null
	q=$n
done
while read -r pid cwd; do
	pid=${pid#/proc/}
	pid=${pid%/cwd}
	case "$skip" in *" $pid "*) continue ;; esac
	st=
	{ read -r st <"/proc/$pid/stat"; } 2>/dev/null || continue
	st=${st##*) }
	st=${st%% *}
	case "$st" in "" | Z | X) continue ;; esac
	argv=()
	{ mapfile -d "" argv <"/proc/$pid/cmdline"; } 2>/dev/null
	cmd="${argv[*]}"
	if [[ "$cmd" == *"$path"* ]] || [ "$cwd" = "$path" ] || [[ "$cwd" == "$path"/* ]]; then
		echo "$pid $cmd (cwd $cwd)"
	fi
done < <(find /proc/[0-9]*/cwd -maxdepth 0 -printf "%p %l\n" 2>/dev/null)
'

# mounts_mentioning PATH: lines of our mountinfo that mention PATH.
mounts_mentioning() {
	grep -F -- "$1" /proc/self/mountinfo || true
}

# cgroups_named ID: cgroup directories named ID anywhere near the top of
# the host's hierarchies (the runtime names a container's cgroup after its
# id unless linux.cgroupsPath says otherwise).
cgroups_named() {
	[ -n "$1" ] || return 0
	find /sys/fs/cgroup -maxdepth 6 -type d -name "$1" 2>/dev/null || true
}

# assert_nothing_left [ID]: no state directory under $ROOT, no mount of the
# bundle in our namespace, no process whose command line or cwd is in the
# bundle (the runtime is always called with --bundle, so a leaked runtime
# child or container init shows up here), and no cgroup named after the
# container (ID, default: the id of the last runbg command).
assert_nothing_left() {
	local id=${1-$LAST_ID} dirs procs mounts cgroups
	dirs=$(ls -A "$ROOT" 2>/dev/null || true)
	mounts=$(mounts_mentioning "$BUNDLE")
	procs=$(procs_mentioning "$BUNDLE")
	cgroups=$(cgroups_named "$id")
	if [ -n "$dirs" ] || [ -n "$mounts" ] || [ -n "$procs" ] || [ -n "$cgroups" ]; then
		echo "left behind:" >&2
		[ -z "$dirs" ] || echo "  state dirs under $ROOT: $dirs" >&2
		[ -z "$mounts" ] || echo "  mounts: $mounts" >&2
		[ -z "$procs" ] || echo "  processes: $procs" >&2
		[ -z "$cgroups" ] || echo "  cgroups of $id: $cgroups" >&2
		return 1
	fi
}

# ns_of PID TYPE: "type:[inode]" of a process's namespace ("self" for ours).
ns_of() {
	readlink "/proc/$1/ns/$2"
}

# start_recvtty SOCKET OUTPUT [INPUT]: the console-socket receiver, in the
# background; returns once it listens.
start_recvtty() {
	local sock=$1 out=$2 ready=$TESTDIR/recvtty.$RANDOM.ready
	"$BERTH_RECVTTY" "$@" >"$ready" 2>&1 </dev/null 3>&- &
	RECVTTY_PID=$!
	BG_PIDS+=("$RECVTTY_PID")
	local n=100
	while [ "$n" -gt 0 ]; do
		grep -q '^ready' "$ready" 2>/dev/null && return 0
		if ! kill -0 "$RECVTTY_PID" 2>/dev/null; then
			echo "recvtty exited: $(cat "$ready")" >&2
			return 1
		fi
		sleep 0.05
		n=$((n - 1))
	done
	echo "recvtty did not get ready: $(cat "$ready")" >&2
	return 1
}

# wait_recvtty [TENTHS]: until recvtty has exited (the pty was closed by
# every process holding it).
wait_recvtty() {
	local n=${1:-100}
	while [ "$n" -gt 0 ]; do
		kill -0 "$RECVTTY_PID" 2>/dev/null || {
			wait "$RECVTTY_PID" 2>/dev/null || true
			return 0
		}
		sleep 0.1
		n=$((n - 1))
	done
	echo "recvtty ($RECVTTY_PID) is still running" >&2
	return 1
}

teardown_common() {
	local pid d id
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	if [ -d "$ROOT" ]; then
		for d in "$ROOT"/*; do
			[ -e "$d" ] || continue
			id=${d##*/}
			"$BERTH_RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 </dev/null 3>&- || true
			# If the runtime could not do it, kill the init the state names
			# (only if it is still the same process: same start time).
			if [ -f "$d/state.json" ]; then
				local spid sstart
				read -r spid sstart < <(jq -r '"\(.pid) \(.pidStartTime)"' "$d/state.json" 2>/dev/null) || true
				if [ -n "$spid" ] && [ "$spid" -gt 1 ] 2>/dev/null && pid_alive "$spid" &&
					[ "$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$spid/stat" 2>/dev/null)" = "$sstart" ]; then
					kill -KILL "$spid" 2>/dev/null || true
				fi
			fi
		done
	fi
	# Anything still running that this test started (its command line
	# names the test's directory): a runtime bug must not hang the suite.
	for pid in $(procs_mentioning "$TESTDIR" | awk '{ print $1 }'); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	# Mounts the test made in our namespace under its directory (netns
	# bind files, rbind sources): undo them before removing anything.
	local m
	for m in $(awk -v d="$TESTDIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	if [ -n "$TESTDIR" ] && [ -d "$TESTDIR" ]; then
		rm -rf --one-file-system "${TESTDIR:?}"/* 2>/dev/null || true
	fi
}

# not CMD...: the test fails if CMD succeeds.  (A bare "! cmd" never fails
# a bats test: set -e ignores a negated pipeline.)
not() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
	return 0
}
