#!/usr/bin/env bats
# process.terminal, --console-socket, consoleSize, exec --tty.

load helpers

setup() {
	setup_common
	SOCK=$TESTDIR/tty.sock
	TTY_OUT=$TESTDIR/tty.out
}

teardown() {
	teardown_common
}

# tty_output: what recvtty captured, without carriage returns.
tty_output() {
	tr -d '\r' <"$TTY_OUT"
}

@test "terminal: the process runs on a pty sent to --console-socket" {
	start_recvtty "$SOCK" "$TTY_OUT"
	update_config '.process.terminal = true'
	set_args sh -c 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; for f in 0 1 2; do readlink /proc/self/fd/$f; done'
	create_ct t1$X --console-socket "$SOCK"
	run berth start t1$X
	[ "$status" -eq 0 ]
	wait_recvtty
	run tty_output
	echo "$output"
	[ "${lines[0]}" = "pty:/dev/pts/0" ]
	[ "${lines[1]}" = /dev/pts/0 ]
	[ "${lines[2]}" = all-tty ]
	[ "${lines[3]}" = /dev/pts/0 ]
	[ "${lines[4]}" = /dev/pts/0 ]
	[ "${lines[5]}" = /dev/pts/0 ]
}

@test "terminal: the pty is the controlling terminal and /dev/console" {
	start_recvtty "$SOCK" "$TTY_OUT"
	update_config '.process.terminal = true'
	set_args sh -c 'echo hello > /dev/tty && echo tty-ok; echo via-console > /dev/console && echo console-ok; ps -o pid,tty 2>/dev/null | tail -n +2 | head -1'
	create_ct t1$X --console-socket "$SOCK"
	run berth start t1$X
	[ "$status" -eq 0 ]
	wait_recvtty
	run tty_output
	echo "$output"
	[[ "$output" == *hello*tty-ok* ]]
	[[ "$output" == *via-console*console-ok* ]]
}

@test "terminal: consoleSize sets the window size" {
	start_recvtty "$SOCK" "$TTY_OUT"
	update_config '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
	set_args stty size
	create_ct t1$X --console-socket "$SOCK"
	run berth start t1$X
	[ "$status" -eq 0 ]
	wait_recvtty
	run tty_output
	echo "$output"
	[ "${lines[1]}" = "30 100" ]
}

@test "terminal: input written to the pty master reaches the process" {
	start_recvtty "$SOCK" "$TTY_OUT" $'hello from outside\n'
	update_config '.process.terminal = true'
	set_args sh -c 'read line; echo "got:$line"'
	create_ct t1$X --console-socket "$SOCK"
	run berth start t1$X
	[ "$status" -eq 0 ]
	wait_recvtty
	run tty_output
	echo "$output"
	grep -qx "got:hello from outside" <<<"$output"
}

@test "terminal: the container's state goes to stopped when the pty process exits" {
	start_recvtty "$SOCK" "$TTY_OUT"
	update_config '.process.terminal = true'
	set_args sh -c 'exit 0'
	create_ct t1$X --console-socket "$SOCK"
	berth start t1$X
	wait_recvtty
	wait_status t1$X stopped
	run berth delete t1$X
	[ "$status" -eq 0 ]
}

@test "terminal=true without --console-socket: create fails clearly" {
	update_config '.process.terminal = true'
	runbg create --bundle "$BUNDLE" t1$X
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"process.terminal"*"--console-socket"* ]]
	assert_nothing_left
}

@test "--console-socket with terminal=false: create fails clearly" {
	start_recvtty "$SOCK" "$TTY_OUT"
	runbg create --bundle "$BUNDLE" --console-socket "$SOCK" t1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *"--console-socket"*"terminal"* ]]
	assert_nothing_left
}

@test "--console-socket that nobody listens on: create fails and leaves nothing" {
	update_config '.process.terminal = true'
	runbg create --bundle "$BUNDLE" --console-socket "$TESTDIR/nobody.sock" t1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *"--console-socket"* ]]
	assert_nothing_left
}

@test "run with terminal=true and no --console-socket proxies the pty to stdio" {
	update_config '.process.terminal = true'
	set_args sh -c 'tty; exit 4'
	run berth run --bundle "$BUNDLE" t1$X </dev/null
	echo "$output"
	[ "$status" -eq 4 ]
	[ "$(tr -d '\r' <<<"$output")" = /dev/pts/0 ]
}

@test "exec --tty with --console-socket" {
	start_ct t1$X
	start_recvtty "$SOCK" "$TTY_OUT" $'typed\n'
	run berth exec --tty --console-socket "$SOCK" t1$X sh -c 'tty; read x; echo "read:$x"; exit 6'
	echo "exec: $status $output"
	[ "$status" -eq 6 ]
	wait_recvtty
	run tty_output
	echo "$output"
	[[ "${lines[0]}" == pty:/dev/pts/* ]]
	pts=${lines[0]#pty:}
	grep -qx "$pts" <<<"$output"
	grep -qx "read:typed" <<<"$output"
}

@test "exec --detach --tty with --console-socket" {
	start_ct t1$X
	start_recvtty "$SOCK" "$TTY_OUT"
	runbg exec --detach --tty --console-socket "$SOCK" --pid-file "$TESTDIR/exec.pid" t1$X sh -c 'tty; [ -t 0 ] && echo stdin-tty'
	[ "$status" -eq 0 ]
	wait_recvtty
	run tty_output
	echo "$output"
	[[ "${lines[0]}" == pty:/dev/pts/* ]]
	grep -qx "${lines[0]#pty:}" <<<"$output"
	grep -qx stdin-tty <<<"$output"
}

@test "exec --tty without --console-socket proxies to stdio" {
	start_ct t1$X
	run berth exec --tty t1$X sh -c 'tty; stty size >/dev/null && echo is-a-tty' </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	out=$(tr -d '\r' <<<"$output")
	[[ "$out" == /dev/pts/*is-a-tty ]]
}
