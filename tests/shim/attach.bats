#!/usr/bin/env bats
# berth-shim's attach socket: framed output to several clients, stdin,
# StdinOnce, a slow client, and a terminal.

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

@test "attach: two clients both get the output, framed per stream; a third only its stream" {
	set_args sh -c 'echo out1; echo err1 >&2; sleep 0.1; echo out2; printf tail'
	start_shim
	attach_bg a1
	attach_bg a2 --streams stdout,stderr
	attach_bg a3 --streams stderr
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
	[ "$REPLY" = "exited 0" ]
	for a in a1 a2; do
		attach_wait $a
		[ "$(cat "$T/$a.out")" = "$(printf 'out1\nout2\ntail')" ]
		[ "$(cat "$T/$a.err")" = err1 ]
	done
	attach_wait a3
	[ ! -s "$T/a3.out" ]
	[ "$(cat "$T/a3.err")" = err1 ]
}

@test "attach: a client's bytes are the container's stdin; close-stdin ends it" {
	set_args cat
	start_shim --stdin
	attach_bg a1 --streams stdin,stdout --send 'hello through attach\n'
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_for grep -q "hello through attach" "$T/a1.out"
	[ "$(ctl close-stdin)" = ok ]
	wait_result
	[ "$REPLY" = "exited 0" ]
	attach_wait a1
	[ "$(cat "$T/a1.out")" = "hello through attach" ]
	cmp <(jq -j .log "$LOG") <(printf 'hello through attach\n')
}

@test "attach: with --stdin-once the container's stdin closes when the first stdin client detaches" {
	set_args sh -c 'cat; echo "stdin ended"'
	start_shim --stdin --stdin-once
	# A client that does not send stdin does not count.
	attach_bg watcher --streams stdout
	wait_bg
	[ "$(ctl start)" = ok ]
	attach_bg a1 --streams stdin,stdout --send 'once\n' --eof
	wait_result
	[ "$REPLY" = "exited 0" ]
	attach_wait a1
	attach_wait watcher
	[ "$(cat "$T/watcher.out")" = "$(printf 'once\nstdin ended')" ]
}

@test "attach: a client that does not read is cut off; the container and other clients go on" {
	set_args sh -c 'head -c 4000000 /dev/zero; echo done'
	start_shim
	attach_bg slow --streams stdout --read-delay 20 --timeout 40
	attach_bg fast --streams stdout
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
	[ "$REPLY" = "exited 0" ]
	attach_wait fast
	[ "$(stat -c %s "$T/fast.out")" -eq 4000005 ]
	grep -q "attach client of $CID dropped: it does not read its output" "$STATE/shim.log"
	# The slow client is still asleep: nothing waited for it.
	kill -0 "$ATTACH_PID_slow"
}

@test "attach: --terminal: raw output, and resize reaches the pty (stty size)" {
	update_config '.process.terminal = true'
	set_args sh -c 'sleep 0.5; stty size; tty'
	start_shim --terminal
	[ ! -e "$STATE/console.sock" ]
	attach_bg a1 --tty --streams stdout
	wait_bg
	[ "$(ctl start)" = ok ]
	[ "$(ctl resize 40 100)" = ok ]
	wait_result
	[ "$REPLY" = "exited 0" ]
	attach_wait a1
	cmp <(head -c 8 "$T/a1.out") <(printf '40 100\r\n')
	grep -q '^/dev/pts/' <(tr -d '\r' <"$T/a1.out")
	# The log has the terminal's bytes, as docker logs a tty: stream stdout.
	[ "$(jq -r .stream "$LOG" | sort -u)" = stdout ]
	cmp <(jq -j .log "$LOG" | head -c 8) <(printf '40 100\r\n')
}

@test "attach: --terminal --stdin: input goes through the pty" {
	update_config '.process.terminal = true'
	set_args sh -c 'read line; echo "got: $line"'
	start_shim --terminal --stdin
	attach_bg a1 --tty --streams stdin,stdout --send 'typed\n'
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
	[ "$REPLY" = "exited 0" ]
	attach_wait a1
	grep -q "got: typed" "$T/a1.out"
}
