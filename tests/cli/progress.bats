#!/usr/bin/env bats
# berth pull's display of the progress stream, byte for byte against what
# the docker CLI (28.2) printed for the same recorded streams
# (golden/*.json -> golden/*.{notty,80,200}.out, *.notty.err): off a
# terminal, and on terminals 80 and 200 columns wide (progress bars from
# 111 columns).  A fake daemon (fakedaemon.py) answers /_ping and replays the
# stream for POST /images/create; no real daemon is needed.

load helpers

setup() {
	cli_setup
	FAKE_SOCK=$BATS_TEST_TMPDIR/fake.sock
}

teardown() { cli_teardown; }

fake_start() { # stream.json
	rm -f "$FAKE_SOCK"
	"$REGISTRY_PYTHON" "$BATS_TEST_DIRNAME/fakedaemon.py" "$FAKE_SOCK" "$CLI_GOLDEN/$1" \
		>"$BATS_TEST_TMPDIR/fake.log" 2>&1 </dev/null 3>&- &
	bg_track $!
	local n=100
	while [ ! -S "$FAKE_SOCK" ] && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	[ -S "$FAKE_SOCK" ]
}

# pull_on_terminal COLS: berth pull under script(1) with a terminal of COLS
# columns; the pty's \r\n made \n again.
pull_on_terminal() {
	script -qec "stty cols $1; '$BERTH_CLI' -H 'unix://$FAKE_SOCK' pull demo:1.0" /dev/null |
		sed 's/\r$//' >"$BATS_TEST_TMPDIR/term.out"
}

check_stream() { # name
	local rc=0 cols
	fake_start "$1.json"
	berth -H "unix://$FAKE_SOCK" pull demo:1.0 >"$BATS_TEST_TMPDIR/plain.out" 2>"$BATS_TEST_TMPDIR/plain.err" ||
		rc=$?
	# a difference is status 2, to tell it from the pull's own failure
	diff -u "$CLI_GOLDEN/$1.notty.out" "$BATS_TEST_TMPDIR/plain.out" || return 2
	diff -u "$CLI_GOLDEN/$1.notty.err" "$BATS_TEST_TMPDIR/plain.err" || return 2
	for cols in 80 200; do
		fake_start "$1.json" || return 2
		pull_on_terminal "$cols"
		cmp "$CLI_GOLDEN/$1.$cols.out" "$BATS_TEST_TMPDIR/term.out" || return 2
	done
	return "$rc"
}

@test "a real pull's stream is shown as docker shows it" {
	check_stream stream
}

@test "every kind of progress message is shown as docker shows it" {
	check_stream stream2
}

@test "an error in the stream ends the pull: shown as docker shows it, exit 1" {
	fake_start stream3.json
	run --separate-stderr berth -H "unix://$FAKE_SOCK" pull demo:1.0
	[ "$status" -eq 1 ]
	[ "$stderr" = "unexpected EOF" ]
	run check_stream stream3
	[ "$status" -eq 1 ]
}
