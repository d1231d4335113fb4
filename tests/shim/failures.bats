#!/usr/bin/env bats
# berth-shim when things go wrong: the runtime refuses the bundle, the shim
# itself is SIGKILLed.

load helpers

setup_file() {
	shim_setup_file
}

setup() {
	setup_shim
}

teardown() {
	teardown_shim
}

# assert_nothing_left: no shim, no container, no runtime state, no socket.
assert_nothing_left() {
	local left
	wait_for test -z "$(procs_under "$T")" || true
	left=$(procs_under "$T")
	[ -z "$left" ] || { echo "processes left: $left" >&2; return 1; }
	[ -z "$(ls -A "$RROOT")" ] || { echo "runtime state left: $(ls -A "$RROOT")" >&2; return 1; }
	[ -z "$(find "$STATE" -type s)" ] || { echo "sockets left: $(find "$STATE" -type s)" >&2; return 1; }
	[ ! -e "$STATE/shim.pid" ] && [ ! -e "$STATE/pid" ] && [ ! -e "$STATE/exit" ]
}

@test "failures: a missing binary is reported with the runtime's message, and nothing is left" {
	set_args /no/such-binary
	run_shim --log-path "$LOG"
	echo "status $status, sync: $SYNC, stderr: $SHIM_ERR"
	[ "$status" -eq 1 ]
	[[ "$SYNC" == "error "*"/no/such-binary"* ]]
	[ "$(wc -l <"$T/sync")" -eq 1 ]
	[ "$SHIM_ERR" = "berth-shim: ${SYNC#error }" ]
	assert_nothing_left
	# The runtime's own words, as its JSON log has them.
	grep -F "$(jq -r 'select(.level == "error") | .msg' "$STATE/runtime.log" | tail -1)" <<<"$SYNC"
}

@test "failures: a bad config.json is reported, and nothing is left" {
	echo '{"ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
	run_shim --terminal
	echo "status $status, sync: $SYNC"
	[ "$status" -eq 1 ]
	[[ "$SYNC" == "error "*config.json* ]]
	assert_nothing_left
}

@test "failures: runc's error is reported as well" {
	command -v runc >/dev/null || skip "runc is not installed"
	set_args /no/such-binary
	SHIM_RUNTIME=runc run_shim
	echo "status $status, sync: $SYNC"
	[ "$status" -eq 1 ]
	[[ "$SYNC" == "error "*"/no/such-binary"* ]]
	assert_nothing_left
}

@test "failures: bad options fail before anything runs" {
	run_shim --log-max-files 0
	[ "$status" -eq 1 ]
	[[ "$SYNC" == "error --log-max-files: at least 1" ]]
	run_shim --runtime /no/such/runtime
	[ "$status" -eq 1 ]
	[[ "$SYNC" == "error OCI runtime /no/such/runtime: No such file or directory" ]]
	assert_nothing_left
}

# A SIGKILLed shim takes the read ends of the container's stdout and stderr
# with it: the container's next write gets SIGPIPE (or EPIPE if it ignores
# the signal), as with conmon.  Nobody records the exit; the runtime keeps
# the container's state until someone deletes it.
@test "failures: SIGKILL of the shim: a container that ignores SIGPIPE keeps running and gets EPIPE" {
	update_config '.root.readonly = false'
	set_args sh -c 'trap "" PIPE; while :; do echo tick || echo "write failed" >/tmp/epipe; sleep 0.1; done'
	start_shim
	[ "$(ctl start)" = ok ]
	wait_for grep -q tick "$LOG"
	kill -KILL "$SHIM_PID"
	wait_for test -e "$BUNDLE/rootfs/tmp/epipe"
	[ "$(cat "$BUNDLE/rootfs/tmp/epipe")" = "write failed" ]
	[ "$(runtime_status "$CID")" = running ]
	pid_alive "$CTR_PID"
	[ ! -e "$STATE/exit" ]
}

@test "failures: SIGKILL of the shim: a process writing to stdout dies of SIGPIPE" {
	# Not the init itself: the init of a pid namespace is spared signals
	# it has no handler for, SIGPIPE included (it would see EPIPE).
	update_config '.root.readonly = false'
	set_args sh -c '(while :; do echo tick; sleep 0.1; done); echo "writer ended with $?" >/tmp/writer'
	start_shim
	[ "$(ctl start)" = ok ]
	wait_for grep -q tick "$LOG"
	kill -KILL "$SHIM_PID"
	wait_gone "$CTR_PID"
	[ "$(cat "$BUNDLE/rootfs/tmp/writer")" = "writer ended with 141" ]
	wait_for test "$(runtime_status "$CID")" = stopped
	# Nobody recorded the exit; the runtime keeps the state until a delete.
	[ ! -e "$STATE/exit" ]
	[ -d "$RROOT/$CID" ]
}
