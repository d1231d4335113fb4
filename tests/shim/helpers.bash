# Shared setup for the berth-shim tests (run as root).
#
# Every test has its own directory ($T, bats' per-test temp dir) with its own
# bundle, shim state directory ($STATE), runtime root ($RROOT) and log dir;
# teardown removes every shim, container, mount and cgroup the test made,
# whether it passed or not.  The rootfs is made once per run with
# scripts/make-rootfs and copied into each bundle.
#
# BERTH_BUILD names the build directory (default: build); BERTH_SHIM and
# BERTH_RUNTIME override the binaries.

_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BERTH_BUILD=${BERTH_BUILD:-$_TOP/build}
case "$BERTH_BUILD" in /*) ;; *) BERTH_BUILD=$_TOP/$BERTH_BUILD ;; esac
BERTH_SHIM=${BERTH_SHIM:-$BERTH_BUILD/src/shim/berth-shim}
BERTH_RUNTIME=${BERTH_RUNTIME:-$BERTH_BUILD/src/runtime-main/berth-runtime}
# The system's python, not a version manager's wrapper: it starts 5x faster.
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
SHIMCTL=$BATS_TEST_DIRNAME/shimctl.py

# setup_file: the rootfs, once per run (the first file to get here makes it).
shim_setup_file() {
	SHIM_ROOTFS=$BATS_RUN_TMPDIR/shim-rootfs
	export SHIM_ROOTFS
	(
		flock 9
		if [ ! -x "$SHIM_ROOTFS/bin/busybox" ]; then
			"$_TOP/scripts/make-rootfs" "$SHIM_ROOTFS.tmp" >/dev/null && mv "$SHIM_ROOTFS.tmp" "$SHIM_ROOTFS"
		fi
	) 9>"$BATS_RUN_TMPDIR/shim-rootfs.lock"
	[ -x "$SHIM_ROOTFS/bin/busybox" ]
}

setup_shim() {
	T=$BATS_TEST_TMPDIR
	BUNDLE=$T/bundle
	STATE=$T/state
	RROOT=$T/rroot
	LOGDIR=$T/logs
	LOG=$LOGDIR/ctr.log
	CID=shim-t${BATS_SUITE_TEST_NUMBER}-$RANDOM
	mkdir -p "$BUNDLE" "$STATE" "$RROOT" "$LOGDIR"
	cp -a "$SHIM_ROOTFS" "$BUNDLE/rootfs"
	"$BERTH_RUNTIME" spec --bundle "$BUNDLE"
	update_config '.process.terminal = false | .process.args = ["sleep", "1000"]'
}

# update_config JQ-FILTER [JQ-ARGS...]: edit $BUNDLE/config.json.
update_config() {
	local filter=$1
	shift
	jq "$@" "$filter" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" &&
		mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args ARGS...: process.args.
set_args() {
	local a
	update_config '.process.args = $a' --argjson a "$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -cs .)"
}

# run_shim [OPTIONS...]: berth-shim for $CID with the test's directories
# ($SHIM_RUNTIME: another runtime).  Sets $status (the first process's exit
# status), $SYNC (the line it wrote to the sync fd) and $SHIM_ERR (its
# stderr).  Bats' fd 3 is closed for it: the shim must not need that, but a
# leaked copy would hang bats.
run_shim() {
	status=0
	timeout 30 "$BERTH_SHIM" --bundle "$BUNDLE" --state-dir "$STATE" --runtime "${SHIM_RUNTIME:-$BERTH_RUNTIME}" \
		--runtime-root "$RROOT" --sync-fd 5 "$@" "$CID" 5>"$T/sync" 2>"$T/shim.stderr" </dev/null 3>&- ||
		status=$?
	SYNC=$(cat "$T/sync")
	SHIM_ERR=$(cat "$T/shim.stderr")
}

# start_shim [OPTIONS...]: as run_shim with --log-path $LOG; must succeed.
# Sets $CTR_PID (the container's init) and $SHIM_PID.
start_shim() {
	run_shim --log-path "$LOG" "$@"
	if [ "$status" -ne 0 ] || [[ "$SYNC" != "ok "* ]]; then
		echo "berth-shim failed: status $status, sync line \"$SYNC\", stderr: $SHIM_ERR" >&2
		cat "$STATE/shim.log" >&2 2>/dev/null
		return 1
	fi
	CTR_PID=${SYNC#ok }
	SHIM_PID=$(cat "$STATE/shim.pid")
}

# ctl REQUEST...: one control request; prints the reply line.
ctl() {
	"$PYTHON" "$SHIMCTL" request "$STATE/control.sock" "$@"
}

# wait_bg [NAME]: a `wait` request in the background, returning once it is
# sent.  A caller asks before it starts or kills the container: once the
# exit is recorded the shim is gone, and a late caller reads the exit file.
# wait_result [NAME] waits for the reply and sets $REPLY to it.
wait_bg() {
	local name=${1:-wait} n=100
	rm -f "$T/$name.ready"
	"$PYTHON" "$SHIMCTL" request --ready "$T/$name.ready" "${WAIT_SOCK:-$STATE/control.sock}" ${WAIT_REQUEST:-wait} \
		>"$T/$name.reply" 2>&1 3>&- &
	eval "WAIT_PID_$name=$!"
	while [ ! -e "$T/$name.ready" ] && [ "$n" -gt 0 ]; do
		sleep 0.02
		n=$((n - 1))
	done
	[ -e "$T/$name.ready" ]
}

wait_result() {
	local name=${1:-wait} pid
	eval "pid=\$WAIT_PID_$name"
	wait "$pid" || true
	REPLY=$(cat "$T/$name.reply")
	echo "# $name: $REPLY" >&2
}

# attach_bg NAME [shimctl attach options...]: an attach client in the
# background on $STATE/attach.sock (or $ATTACH_SOCK), output in $T/NAME.out
# and $T/NAME.err; returns once its header is sent.
attach_bg() {
	local name=$1 n=100
	shift
	rm -f "$T/$name.ready"
	"$PYTHON" "$SHIMCTL" attach "${ATTACH_SOCK:-$STATE/attach.sock}" --out "$T/$name.out" --err "$T/$name.err" \
		--ready "$T/$name.ready" "$@" >"$T/$name.log" 2>&1 3>&- &
	eval "ATTACH_PID_$name=$!"
	while [ ! -e "$T/$name.ready" ] && [ "$n" -gt 0 ]; do
		sleep 0.02
		n=$((n - 1))
	done
	[ -e "$T/$name.ready" ]
}

# attach_wait NAME: the client ended (EOF) successfully.
attach_wait() {
	local pid
	eval "pid=\$ATTACH_PID_$1"
	wait "$pid" || {
		echo "attach client $1 failed: $(cat "$T/$1.log")" >&2
		return 1
	}
}

# pid_alive PID: a live process (not a zombie).
pid_alive() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	st=${st%% *}
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_gone PID [TENTHS]: until PID is dead (or a zombie).
wait_gone() {
	local n=${2:-50}
	while pid_alive "$1" && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	! pid_alive "$1"
}

# wait_for CMD... : poll CMD for up to 5 seconds.
wait_for() {
	local n=50
	until "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# runtime_status ID: the runtime's view of the container.
runtime_status() {
	"$BERTH_RUNTIME" --root "$RROOT" state "$1" 2>/dev/null | jq -r .status
}

# procs_under DIR: live processes whose command line or cwd names DIR.
procs_under() {
	local p cmd cwd st
	for p in /proc/[0-9]*; do
		{ read -r st <"$p/stat"; } 2>/dev/null || continue
		st=${st##*) }
		case "${st%% *}" in Z | X | "") continue ;; esac
		cwd=$(readlink "$p/cwd" 2>/dev/null) || true
		cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || true
		if [[ "$cmd" == *"$1"* ]] || [[ "$cwd" == "$1"* ]]; then
			echo "${p#/proc/} $cmd"
		fi
	done
}

teardown_shim() {
	local f pid d
	# Shims first (so that none records anything while we clean), then
	# the containers through the runtime (cgroups, state), then whatever
	# still runs from this test's directory, then its mounts.
	for f in "$T"/*/shim.pid; do
		[ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	for d in "$RROOT"/*; do
		[ -e "$d" ] || continue
		"$BERTH_RUNTIME" --root "$RROOT" delete --force "${d##*/}" >/dev/null 2>&1 </dev/null 3>&- ||
			runc --root "$RROOT" delete --force "${d##*/}" >/dev/null 2>&1 </dev/null 3>&- ||
			crun --root "$RROOT" delete --force "${d##*/}" >/dev/null 2>&1 </dev/null 3>&- || true
	done
	for pid in $(procs_under "$T" | awk '{ print $1 }'); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	for d in $(awk -v d="$T" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$d" 2>/dev/null || true
	done
	rm -rf --one-file-system "${T:?}"/* 2>/dev/null || true
}

# log_text FILE...: the "log" strings of a json-file log, joined.
log_text() {
	jq -j .log "$@"
}
