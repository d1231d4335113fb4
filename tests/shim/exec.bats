#!/usr/bin/env bats
# berth-shim's exec sessions: their own stdio, socket, exit file, terminal.

load helpers

setup_file() {
	shim_setup_file
}

setup() {
	setup_shim
	start_shim
	[ "$(ctl start)" = ok ]
}

teardown() {
	teardown_shim
}

# process_json FILE [JQ-FILTER] -- ARGS...: the container's process with
# other args (not a terminal unless the filter says so).
process_json() {
	local file=$1 filter=${2:-.}
	shift 2
	jq --argjson a "$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -cs .)" \
		".process | .args = \$a | .terminal = false | $filter" "$BUNDLE/config.json" >"$file"
}

@test "exec: own output, exit code and exit file; not in the container's log" {
	process_json "$T/p.json" . sh -c 'echo exec-out; echo exec-err >&2; exit 7'
	reply=$(ctl exec e1 "$T/p.json")
	[[ "$reply" =~ ^ok\ [0-9]+$ ]]
	# Output from before the client came is kept for it.
	ATTACH_SOCK=$STATE/exec-e1.sock attach_bg a1
	attach_wait a1
	[ "$(cat "$T/a1.out")" = exec-out ]
	[ "$(cat "$T/a1.err")" = exec-err ]
	[ "$(ctl wait-exec e1)" = "exited 7" ]
	grep -Eqx '7 [0-9]+' "$STATE/exec-e1.exit"
	[ ! -e "$STATE/exec-e1.sock" ] && [ ! -e "$STATE/exec-e1.pid" ]
	! grep -q exec-out "$LOG"
	[[ "$(ctl exec e1 "$T/p.json")" == "error exec session e1 already exists" ]]
	[ "$(ctl state)" = "running $CTR_PID" ]
}

@test "exec: wait-exec before the end, and stdin (closed when its client's input ends)" {
	process_json "$T/p.json" . sh -c 'cat; echo "cat done"'
	reply=$(ctl exec e2 "$T/p.json" stdin)
	[[ "$reply" =~ ^ok\ [0-9]+$ ]]
	WAIT_REQUEST="wait-exec e2" wait_bg
	ATTACH_SOCK=$STATE/exec-e2.sock attach_bg a1 --streams stdin,stdout --send 'to exec\n' --eof
	attach_wait a1
	wait_result
	[ "$REPLY" = "exited 0" ]
	[ "$(cat "$T/a1.out")" = "$(printf 'to exec\ncat done')" ]
}

@test "exec: a terminal of its own, raw output, resize-exec" {
	process_json "$T/p.json" '.terminal = true' sh -c 'sleep 0.5; stty size; tty'
	reply=$(ctl exec e3 "$T/p.json" tty)
	[[ "$reply" =~ ^ok\ [0-9]+$ ]]
	ATTACH_SOCK=$STATE/exec-e3.sock attach_bg a1 --tty --streams stdout
	[ "$(ctl resize-exec e3 30 90)" = ok ]
	attach_wait a1
	cmp <(head -c 7 "$T/a1.out") <(printf '30 90\r\n')
	grep -q '^/dev/pts/' <(tr -d '\r' <"$T/a1.out")
	[ "$(ctl wait-exec e3)" = "exited 0" ]
	[[ "$(ctl resize-exec e3 30 90)" == "error the terminal of exec session e3 is closed" ]]
}

@test "exec: a missing binary is the runtime's error, and leaves nothing" {
	process_json "$T/p.json" . /no/such-binary
	reply=$(ctl exec e4 "$T/p.json")
	echo "$reply"
	[[ "$reply" == "error "*"/no/such-binary"* ]]
	[ ! -e "$STATE/exec-e4.sock" ] && [ ! -e "$STATE/exec-e4.pid" ] && [ ! -e "$STATE/exec-e4.exit" ]
	[[ "$(ctl wait-exec e4)" == "error no exec session e4" ]]
	[ "$(ctl state)" = "running $CTR_PID" ]
}
