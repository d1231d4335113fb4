#!/usr/bin/env bats
# berth-shim's container log: docker's json-file format, byte for byte,
# docker's partial lines and rotation, and a full disk that stops nothing.

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

# run_to_exit [SHIM OPTIONS...]: start the shim and the container, wait for
# the exit; $REPLY is the wait reply.
run_to_exit() {
	start_shim "$@"
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
}

RFC3339NANO='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,8}[1-9])?Z$'

@test "logs: docker's json-file format: members, streams, escaping, RFC 3339 nano times" {
	set_args sh -c 'echo plain; printf "tab\there \"q\" <a> & \\\\ \001\033 \303\251 \342\200\250 bad\377.\r\n"; echo to-stderr >&2'
	run_to_exit
	[ "$REPLY" = "exited 0" ]
	cat "$LOG"
	[ "$(wc -l <"$LOG")" -eq 3 ]
	# Every line one object, members in docker's order.
	[ "$(jq -c 'keys_unsorted' "$LOG" | sort -u)" = '["log","stream","time"]' ]
	jq -r .time "$LOG" | grep -Evq "$RFC3339NANO" && false
	[ "$(jq -r 'select(.stream == "stdout") | .log' "$LOG" | head -1)" = plain ]
	[ "$(jq -r 'select(.stream == "stderr") | .log' "$LOG")" = to-stderr ]
	# The bytes docker writes: HTML characters, control characters (a tab
	# included) as \u00XX, U+2028 escaped, invalid UTF-8 as \ufffd, \r.
	grep -Fq '{"log":"tab\u0009here \"q\" \u003ca\u003e \u0026 \\ \u0001\u001b é \u2028 bad\ufffd.\r\n","stream":"stdout","time":"' "$LOG"
	grep -Eq '^\{"log":"plain\\n","stream":"stdout","time":"[^"]+"\}$' "$LOG"
}

@test "logs: rotation at --log-max-size keeps --log-max-files files, none over the limit" {
	set_args sh -c 'i=0; while [ $i -lt 120 ]; do echo "line $i of the rotation test"; i=$((i + 1)); done'
	run_to_exit --log-max-size 1024 --log-max-files 3
	[ "$REPLY" = "exited 0" ]
	ls -l "$LOGDIR"
	[ -f "$LOG" ] && [ -f "$LOG.1" ] && [ -f "$LOG.2" ] && [ ! -e "$LOG.3" ]
	for f in "$LOG" "$LOG.1" "$LOG.2"; do
		[ "$(stat -c %s "$f")" -le 1024 ]
		jq -e . "$f" >/dev/null
	done
	# The newest lines are in the live file; the files follow each other.
	[ "$(jq -j .log "$LOG" | tail -1)" = "line 119 of the rotation test" ]
	numbers=$(cat "$LOG.2" "$LOG.1" "$LOG" | jq -j .log | awk '{ print $2 }')
	[ "$numbers" = "$(seq "$(head -1 <<<"$numbers")" 119)" ]
}

@test "logs: a line over 16 KiB is cut into 16 KiB pieces without a newline that rejoin to the line" {
	set_args sh -c 'head -c 40000 /dev/zero | tr "\0" x; echo; echo next'
	run_to_exit
	[ "$REPLY" = "exited 0" ]
	[ "$(jq -r '.log | length' "$LOG" | tr '\n' ' ')" = "16384 16384 7233 5 " ]
	[ "$(jq -r '.log | endswith("\n")' "$LOG" | tr '\n' ' ')" = "false false true true " ]
	[ "$(jq -j .log "$LOG" | head -1)" = "$(head -c 40000 /dev/zero | tr '\0' x)" ]
	# The pieces of one line carry the time of the first.
	[ "$(jq -r .time "$LOG" | head -3 | sort -u | wc -l)" -eq 1 ]
}

@test "logs: an unfinished last line is written at the exit, without a newline" {
	set_args sh -c 'echo first; printf "no newline at the end"; printf "err tail" >&2'
	run_to_exit
	[ "$REPLY" = "exited 0" ]
	cat "$LOG"
	[ "$(jq -c '[.stream, .log]' "$LOG" | sort | tr '\n' ' ')" = \
		'["stderr","err tail"] ["stdout","first\n"] ["stdout","no newline at the end"] ' ]
}

@test "logs: a full disk drops log entries but stops neither the container, nor attachers, nor the exit" {
	mount -t tmpfs -o size=64k tmpfs "$LOGDIR"
	set_args sh -c 'yes "flood flood flood flood flood flood" | head -c 2000000; echo last; exit 5'
	start_shim
	attach_bg a1 --streams stdout
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
	[ "$REPLY" = "exited 5" ]
	grep -Eqx '5 [0-9]+' "$STATE/exit"
	attach_wait a1
	[ "$(stat -c %s "$T/a1.out")" -eq 2000005 ]
	[ "$(tail -c 5 "$T/a1.out")" = last ]
	grep -q "dropping log entries" "$STATE/shim.log"
	[ "$(grep -c "dropping log entries" "$STATE/shim.log")" -eq 1 ]
	# What did go in is whole lines of JSON.
	jq -e . "$LOG" >/dev/null
	[ "$(stat -c %s "$LOG")" -le 65536 ]
}

@test "logs: without --log-path there is no log, attachers still get the output" {
	set_args sh -c 'echo only-attached'
	run_shim
	[ "$status" -eq 0 ]
	attach_bg a1 --streams stdout
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
	attach_wait a1
	[ "$(cat "$T/a1.out")" = only-attached ]
	[ -z "$(ls -A "$LOGDIR")" ]
}
