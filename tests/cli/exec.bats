#!/usr/bin/env bats
# berth exec against the test's daemon (BERTH_TEST_DAEMON=berthd, or
# dockerd by default), compared with the docker CLI where it is installed:
# the command's output and exit status, its environment, directory, user
# and capabilities seen from inside, stdin, -d, the errors, and -it in a
# terminal (tmux).
#
# One daemon, one registry and one running container for the whole file;
# the tests only exec into it (and make a stopped one of their own).

load helpers
load ../lib/tmux

setup_file() {
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/config
	local layout=$BATS_FILE_TMPDIR/plain
	"${MKIMAGE[@]}" "$layout" --variant single --entrypoint '[]' --cmd '["sh"]' --tag latest >/dev/null || return 1
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR daemon_start || return 1
	registry_start "$BATS_FILE_TMPDIR/registry" || return 1
	export BB=$REGISTRY_ADDR/test/plain
	"${PUSH[@]}" "$layout" "$BB:latest" --ref latest >/dev/null || return 1
	"$BERTH_CLI" pull -q "$BB" >/dev/null || return 1
	"$BERTH_CLI" run -d --name box "$BB" sleep 600 >/dev/null || return 1
}

teardown_file() {
	"$BERTH_CLI" rm -f box >/dev/null 2>&1
	registry_stop
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR daemon_stop
}

setup() {
	cli_setup
	export DOCKER_HOST
}

teardown() {
	tm_cleanup
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${DAEMON_LOG:-}" ]; then
		echo "--- $BERTH_TEST_DAEMON log (last 30 lines):"
		tail -30 "$DAEMON_LOG"
	fi
	return 0
}

# until_output N CMD...: retry CMD (10 times a second) until it prints N.
until_output() {
	local want=$1 i=0
	shift
	while [ "$("$@" 2>/dev/null)" != "$want" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$("$@" 2>/dev/null)" = "$want" ]
}

@test "exec: in the container, stdout and stderr apart, the exit status; -t's raw output" {
	run --separate-stderr berth exec box sh -c 'echo out; echo err >&2; cat /proc/1/cmdline | tr "\0" " "; exit 3'
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = out ]
	[ "${lines[1]}" = "sleep 600 " ]
	[ "$stderr" = err ]
	run berth container exec box true
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	same_as_docker exec box sh -c 'echo out; echo err >&2; exit 3'
	# its options stop at the container's name: the command keeps its own
	[ "$(berth exec box ls -d /proc/1)" = /proc/1 ]
	# with a tty, one stream of the terminal's bytes
	run --separate-stderr berth exec -t box sh -c 'echo out; echo err >&2'
	[ "$status" -eq 0 ]
	[ "$output" = $'out\r\nerr\r' ]
	[ "$stderr" = "" ]
	same_as_docker exec -t box sh -c 'echo out; echo err >&2; exit 4'
}

@test "exec: -e, --env-file, -w, -u, --privileged are seen inside" {
	printf 'A=file\nB=file\n# comment\n' >"$BATS_TEST_TMPDIR/env"
	FROMHOST=host run berth exec --env-file "$BATS_TEST_TMPDIR/env" -e B=flag -e FROMHOST -w /tmp -u 1234:567 box \
		sh -c 'echo $A $B $FROMHOST; pwd; id -u; id -g'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "file flag host" ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 1234 ]
	[ "${lines[3]}" = 567 ]
	# without them, the container's own
	[ "$(berth exec box sh -c 'echo ${A:-unset}; id -u')" = "unset
0" ]
	[ "$(berth exec box pwd)" = "$(berth inspect -f '{{.Config.WorkingDir}}' box)" ]
	# CAP_SYS_ADMIN (21) only with --privileged, where the daemon can give
	# every capability (not under a bounding set that lacks some, as here
	# in CI, where both daemons refuse it)
	local plain
	plain=$(berth exec box sh -c 'grep CapEff /proc/self/status' | awk '{ print $2 }')
	[ $(((0x$plain >> 21) & 1)) -eq 0 ]
	run --separate-stderr berth exec --privileged box sh -c 'grep CapEff /proc/self/status'
	if [ "$status" -eq 0 ]; then
		[ $(((0x${output##*	} >> 21) & 1)) -eq 1 ]
	else
		[[ "${stderr,,}${output,,}" == *"operation not permitted"* ]]
	fi
	same_as_docker exec --privileged box true
	same_as_docker exec --env-file "$BATS_TEST_TMPDIR/missing" box true
	same_as_docker exec -e =x box true
}

@test "exec: -i copies stdin and closes it at its end; without -i no stdin; -d prints nothing" {
	run bash -c "printf 'a\nb\nc\n' | '$BERTH_CLI' exec -i box sh -c 'wc -l; echo done'"
	[ "$status" -eq 0 ]
	[ "$output" = "3
done" ]
	run bash -c "echo hello | '$BERTH_CLI' exec box cat"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	# -it needs a terminal on stdin, and says so before making the exec
	run --separate-stderr bash -c "echo | '$BERTH_CLI' exec -it box true"
	[ "$status" -eq 1 ]
	[ "$stderr" = "the input device is not a TTY" ]

	run --separate-stderr berth exec -d box sh -c 'sleep 0.2; echo late >/tmp/flag'
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	until_output late berth exec box cat /tmp/flag
}

@test "exec: a command that cannot run, a stopped or missing container, usage errors" {
	# the stream says why; dockerd 20.10 gives 126 for both, berthd 127
	# for what is not there, as a shell and docker run do
	local missing=127
	[ "$BERTH_TEST_DAEMON" = berthd ] || missing=126
	run -$missing berth exec box /nonexistent
	[[ "$output" == *'"/nonexistent"'*"no such file or directory"* ]]
	run -$missing berth exec box nope
	[[ "$output" == *"executable file not found in \$PATH"* ]]
	run -126 berth exec -t box /etc
	[[ "$output" == *'"/etc"'*"permission denied"* ]]
	same_as_docker exec box /nonexistent
	same_as_docker exec -t box /etc

	berth create --name stopped "$BB" true >/dev/null
	local id
	id=$(berth inspect -f '{{.Id}}' stopped)
	run --separate-stderr berth exec stopped true
	[ "$status" -eq 1 ]
	[[ "$stderr" == "Error response from daemon: "[Cc]"ontainer $id is not running" ]]
	same_as_docker exec stopped true
	run --separate-stderr berth exec nosuch true
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error response from daemon: No such container: nosuch" ]
	same_as_docker exec nosuch true
	berth rm stopped >/dev/null

	same_as_docker exec box
	same_as_docker exec
	same_as_docker exec -x box true
	same_as_docker exec -u
	same_as_docker exec --detach-keys ctrl-1 box true
}

@test "exec -it in a terminal: a prompt, the window's size, a resize, exit's status, ctrl-p ctrl-q" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	tm new-session -d -x 91 -y 27 \
		"'$BERTH_CLI' exec -it -e PS1='in-box\$ ' box sh; echo rc=\$? >'$BATS_TEST_TMPDIR/rc'; sleep 60"
	tm set-option window-size manual
	screen_has 'in-box$'
	tm send-keys "stty size" Enter
	screen_has "27 91"
	tm resize-window -x 100 -y 30
	sleep 0.3
	tm send-keys "stty size" Enter
	screen_has "30 100"
	tm send-keys "exit 3" Enter
	until_output rc=3 cat "$BATS_TEST_TMPDIR/rc"

	# leave a shell with ctrl-p ctrl-q: docker's error, status 1, the shell left running
	tm new-window "'$BERTH_CLI' exec -it box sh -c 'echo \$\$ >/tmp/sh.pid; exec sh'; echo rc=\$? >'$BATS_TEST_TMPDIR/rc2'; sleep 60"
	tm send-keys "echo in-con''tainer" Enter
	screen_has "in-container"
	tm send-keys C-p C-q
	screen_has "read escape sequence"
	until_output rc=1 cat "$BATS_TEST_TMPDIR/rc2"
	run berth exec box sh -c 'kill -0 $(cat /tmp/sh.pid) && echo alive'
	[ "$output" = alive ]

	# keys of one's own
	tm new-window "'$BERTH_CLI' exec -it --detach-keys ctrl-a,b box sh; echo rc=\$? >'$BATS_TEST_TMPDIR/rc3'; sleep 60"
	tm send-keys "echo in-win''dow3" Enter
	screen_has "in-window3"
	tm send-keys C-a b
	screen_has "read escape sequence"
	until_output rc=1 cat "$BATS_TEST_TMPDIR/rc3"
}
