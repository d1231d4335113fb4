#!/usr/bin/env bats
# berth run, create, start, stop, kill, restart, rm, wait, ps, logs,
# attach, inspect and container prune against the test's daemon
# (BERTH_TEST_DAEMON=berthd, or dockerd by default), compared with the
# docker CLI where it is installed.
#
# One daemon and one registry for the whole file (starting them is most of
# the time a test would take); each test removes its containers.  The image
# behaves like docker's busybox: no entrypoint, "sh" as its command.

load helpers
load ../lib/tmux

setup_file() {
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/config
	local layout=$BATS_FILE_TMPDIR/plain
	"${MKIMAGE[@]}" "$layout" --variant single --entrypoint '[]' --cmd '["sh"]' --tag latest >/dev/null || return 1
	# daemon_start keeps its directory's name in $BATS_TEST_TMPDIR: the file's here
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR daemon_start || return 1
	registry_start "$BATS_FILE_TMPDIR/registry" || return 1
	export BB=$REGISTRY_ADDR/test/plain
	"${PUSH[@]}" "$layout" "$BB:latest" --ref latest >/dev/null || return 1
	"$BERTH_CLI" pull -q "$BB" >/dev/null || return 1
}

teardown_file() {
	registry_stop
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR daemon_stop
}

setup() {
	cli_setup
	export DOCKER_HOST
}

teardown() {
	local ids
	tm_cleanup
	ids=$(berth ps -aq 2>/dev/null) || true
	[ -z "$ids" ] || berth rm -f $ids >/dev/null 2>&1 || true
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
	while [ "$("$@" 2>/dev/null)" != "$want" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$("$@" 2>/dev/null)" = "$want" ]
}

@test "run: the output on stdout and stderr apart, the exit status, --rm leaves nothing" {
	run --separate-stderr berth run --rm "$BB" echo hello from berth
	[ "$status" -eq 0 ]
	[ "$output" = "hello from berth" ]
	[ "$stderr" = "" ]
	run --separate-stderr berth run --rm "$BB" sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	[ "$(berth ps -aq)" = "" ]
	same_as_docker run --rm "$BB" sh -c 'echo out; echo err >&2; exit 3'
	# without --rm the container stays, exited with its status
	run berth run --name keep "$BB" sh -c 'exit 0'
	[ "$status" -eq 0 ]
	[ "$(berth ps -a --format '{{.Names}} {{.State}}')" = "keep exited" ]
	[ "$(berth inspect -f '{{.State.ExitCode}}' keep)" = 0 ]
}

@test "run -d, ps (table, -q, --format), logs (--tail, -t), stop, rm" {
	run berth run -d --name web "$BB" sh -c \
		'echo err >&2; sleep 0.2; echo one; echo two; trap "echo bye; exit 7" TERM; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	local id=$output
	until_output "one
two" berth logs web

	run berth ps
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
	# COMMAND cut to 20 columns (berthd does not quote the arguments as dockerd does)
	[[ "${lines[1]}" =~ ^${id:0:12}\ +$BB\ +\"sh\ -c\ .{13}…\"\ +.+\ ago\ +Up\ .+\ +web$ ]]
	[ "$(berth ps -q)" = "${id:0:12}" ]
	[ "$(berth ps -q --no-trunc)" = "$id" ]
	[ "$(berth ps --format '{{.Names}} {{.State}} {{.Image}}')" = "web running $BB" ]
	[ "$(berth container ls --format 'table {{.Names}}\t{{.State}}' | head -1)" = "NAMES     STATE" ]
	[ "$(berth ps --format json | jq -r '.Names + " " + .State')" = "web running" ]
	same_as_docker ps --format '{{.ID}} {{.Image}} {{.Names}} {{.State}} {{.Labels}} {{.Mounts}}'
	same_as_docker ps -a --no-trunc --format '{{.ID}} {{.Command}} {{.CreatedAt}}'

	run --separate-stderr berth logs web
	[ "$output" = "one
two" ]
	[ "$stderr" = err ]
	[ "$(berth logs --tail 1 web)" = two ]
	[ "$(berth logs -n 1 web)" = two ]
	run --separate-stderr berth logs -t web
	[[ "${lines[0]}" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ one$ ]]
	[ "$(berth logs --since 10m web)" = "one
two" ]
	[ "$(berth logs --until 2020-01-01T00:00:00Z web)" = "" ]
	same_as_docker logs --tail 1 web

	run berth stop -t 5 web
	[ "$status" -eq 0 ]
	[ "$output" = web ]
	[ "$(berth inspect -f '{{.State.Status}} {{.State.ExitCode}}' web)" = "exited 7" ]
	[ "$(berth logs web | tail -1)" = bye ]
	[ "$(berth ps -q)" = "" ]
	[[ "$(berth ps -a)" == *"Exited (7) "*" ago"*web* ]]
	run berth rm web
	[ "$status" -eq 0 ]
	[ "$output" = web ]
	[ "$(berth ps -aq)" = "" ]
}

@test "run: -e, --env-file, -w, -u, -h, --entrypoint, -v are seen inside; -m in the cgroup" {
	printf 'FROMFILE=1\nFOO=file\n' >"$BATS_TEST_TMPDIR/env"
	mkdir "$BATS_TEST_TMPDIR/shared"
	echo host >"$BATS_TEST_TMPDIR/shared/in"
	run berth run --rm --env-file "$BATS_TEST_TMPDIR/env" -e FOO=bar -w /tmp -u 1000:1000 \
		-h box --entrypoint /bin/sh -v "$BATS_TEST_TMPDIR/shared:/shared:ro" "$BB" \
		-c 'echo $FROMFILE $FOO; pwd; id -u; id -g; hostname; cat /shared/in; touch /shared/x 2>/dev/null || echo ro'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 bar" ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1000 ]
	[ "${lines[4]}" = box ]
	[ "${lines[5]}" = host ]
	[ "${lines[6]}" = ro ]
	local cg
	cg=$(berth run --rm -m 64m "$BB" sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max')
	[ "$cg" = 67108864 ]
	[ "$(berth run --rm --read-only --tmpfs /scratch "$BB" sh -c 'touch /x 2>/dev/null || echo ro; touch /scratch/y && echo tmp')" = "ro
tmp" ]
	[ "$(berth ps -aq)" = "" ]
}

@test "create + start -a, wait, kill, restart, rm -f, container prune" {
	run berth create --name c1 "$BB" sh -c 'echo out; echo err >&2; exit 4'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	[ "$(berth ps -a --format '{{.Names}} {{.Status}}')" = "c1 Created" ]
	run --separate-stderr berth start -a c1
	[ "$status" -eq 4 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	[ "$(berth wait c1)" = 4 ]

	berth run -d --name w1 "$BB" sleep 1000 >/dev/null
	run berth rm w1
	[ "$status" -eq 1 ]
	run berth kill w1
	[ "$status" -eq 0 ]
	[ "$output" = w1 ]
	[ "$(berth wait w1)" = 137 ]
	[ "$(berth inspect -f '{{.State.ExitCode}}' w1)" = 137 ]

	berth run -d --name r1 "$BB" sh -c 'echo started; sleep 1000' >/dev/null
	until_output started berth logs r1
	run berth restart -t 1 r1
	[ "$status" -eq 0 ]
	[ "$output" = r1 ]
	until_output "started
started" berth logs r1

	run berth rm -f r1
	[ "$status" -eq 0 ]
	[ "$output" = r1 ]
	run berth container prune -f
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Deleted Containers:" ]
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[3]}" = "Total reclaimed space: 0B" ]
	[ "$(berth ps -aq)" = "" ]
	run berth container prune <<<"n"
	[ "$output" = "WARNING! This will remove all stopped containers.
Are you sure you want to continue? [y/N] " ]
}

@test "errors: a missing container and bad flags, as docker words them" {
	local cmd
	for cmd in stop rm logs wait attach restart "container inspect" "inspect --type container"; do
		run --separate-stderr berth $cmd nothere
		[ "$status" -eq 1 ]
		[ "$stderr" = "Error response from daemon: No such container: nothere" ]
	done
	run --separate-stderr berth kill nothere
	[ "$status" -eq 1 ]
	[[ "$stderr" == "Error response from daemon: "*"No such container: nothere" ]]
	run --separate-stderr berth start nothere
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error response from daemon: No such container: nothere
Error: failed to start containers: nothere" ]
	run --separate-stderr berth inspect nothere
	[ "$status" -eq 1 ]
	[ "$output" = "[]" ]
	[ "$stderr" = "Error: No such object: nothere" ]
	run --separate-stderr berth rm -f nothere
	[ "$status" -eq 0 ]
	[ "$stderr" = "Error response from daemon: No such container: nothere" ]

	run --separate-stderr berth run --foo "$BB"
	[ "$status" -eq 125 ]
	[ "$stderr" = "unknown flag: --foo

Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]

Run 'berth run --help' for more information" ]
	run --separate-stderr berth run -m bad "$BB"
	[ "$status" -eq 125 ]
	[ "${stderr_lines[0]}" = "invalid argument \"bad\" for \"-m, --memory\" flag: invalid size: 'bad'" ]
	run --separate-stderr berth run --restart always:x "$BB"
	[ "$status" -eq 125 ]
	[ "$stderr" = "berth: invalid restart policy format: maximum retry count must be an integer

Run 'berth run --help' for more information" ]
	run --separate-stderr berth run
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "berth: 'berth run' requires at least 1 argument" ]
	run -127 --separate-stderr berth run "$BB" /no/such/program
	[[ "${stderr_lines[0]}" == "berth: Error response from daemon: "* ]]
	# (not with --rm: berthd leaves a container whose start failed, and its
	# "removed" wait never ends)
	run berth run "$BB" /etc
	[ "$status" -eq 126 ]
	run berth ps extra
	[ "$status" -eq 1 ]
	run berth stop -t x web
	[ "$status" -eq 125 ]
	local args
	for args in "stop nothere other" "wait nothere" "logs --since bad nothere" "run --cpus x $BB" \
		"run --ulimit nofile=2:1 $BB" "run --mount type=bind $BB" "run --pid foo $BB" "run -d -a stdout $BB" \
		"run --rm --restart always $BB" "create --env-file /no/such/file $BB" "logs" "stop" "attach" \
		"container foo"; do
		same_as_docker $args
	done
}

@test "run -i: stdin piped in, half-closed at its end" {
	run bash -c "printf 'hi\nthere\n' | '$BERTH_CLI' run -i --rm '$BB' cat"
	[ "$status" -eq 0 ]
	[ "$output" = "hi
there" ]
	run bash -c "echo hi | '$BERTH_CLI' run -i --rm '$BB' sh -c 'read l; echo got \$l; exit 5'"
	[ "$status" -eq 5 ]
	[ "$output" = "got hi" ]
	# without -i the container's stdin is empty
	run bash -c "echo hi | '$BERTH_CLI' run --rm '$BB' cat"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	# a tty needs a terminal on stdin
	run --separate-stderr bash -c "echo | '$BERTH_CLI' run -it --rm '$BB' true"
	[ "$status" -eq 1 ]
	[ "$stderr" = "the input device is not a TTY" ]
	[ "$(berth ps -aq)" = "" ]
}


@test "run -it in a terminal: the window's size inside, resized, input, the exit status" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	# the size comes with the resize after the start (berthd does not take
	# the create's ConsoleSize, dockerd 20.10 predates it): wait for it
	local script='s=; until [ -n "$s" ]; do sleep 0.05; s=$(stty size 2>/dev/null); done; echo $s; read a; stty size; read b; echo got:$b; exit 5'
	tm new-session -d -x 91 -y 27 \
		"'$BERTH_CLI' run -it --rm '$BB' sh -c '$script'; echo rc=\$? >'$BATS_TEST_TMPDIR/rc'; sleep 60"
	tm set-option window-size manual
	screen_has "27 91"
	tm resize-window -x 100 -y 30
	sleep 0.3
	tm send-keys "a" Enter
	screen_has "30 100"
	tm send-keys "hello" Enter
	screen_has "got:hello"
	until_output rc=5 cat "$BATS_TEST_TMPDIR/rc"
	[ "$(berth ps -aq)" = "" ]

	# attach to a running shell, then leave it with ctrl-p ctrl-q
	berth run -dit --name sh1 "$BB" sh >/dev/null
	tm new-window "'$BERTH_CLI' attach sh1; echo rc=\$? >'$BATS_TEST_TMPDIR/rc2'; sleep 60"
	sleep 0.5
	tm send-keys "echo in-con''tainer" Enter
	screen_has "in-container"
	tm send-keys C-p C-q
	screen_has "read escape sequence"
	until_output rc=1 cat "$BATS_TEST_TMPDIR/rc2"
	[ "$(berth ps --format '{{.Names}} {{.State}}')" = "sh1 running" ]
}

@test "attach, logs -f, signals forwarded by run, inspect of containers and images" {
	berth run -d --name late "$BB" sh -c 'sleep 1; echo late; echo err >&2; exit 6' >/dev/null
	run --separate-stderr berth attach late
	[ "$status" -eq 6 ]
	[ "$output" = late ]
	[ "$stderr" = err ]

	berth run -d --name lf "$BB" sh -c 'for i in 1 2 3; do echo line$i; sleep 0.2; done' >/dev/null
	run timeout 10 "$BERTH_CLI" logs -f lf
	[ "$status" -eq 0 ]
	[ "$output" = "line1
line2
line3" ]

	local out=$BATS_TEST_TMPDIR/out pid
	# the shell starts it with SIGINT ignored: berth takes it anyway, as docker does
	"$BERTH_CLI" run --rm "$BB" sh -c 'trap "echo got INT; exit 9" INT; echo ready; while :; do sleep 0.1; done' \
		>"$out" &
	pid=$!
	until_output ready cat "$out"
	kill -INT "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 9 ]
	[ "$(cat "$out")" = "ready
got INT" ]

	[ "$(berth inspect -f '{{.Name}} {{.State.Status}}' lf)" = "/lf exited" ]
	[ "$(berth container inspect -f '{{.Config.Image}}' lf)" = "$BB" ]
	run berth inspect -f '{{.Id}}' "$BB"
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	run berth inspect lf
	[ "$(jq -r '.[0].Name' <<<"$output")" = /lf ]
	same_as_docker inspect -f '{{.Name}} {{.Config.Cmd}}' lf late
	same_as_docker container inspect -f '{{.State.ExitCode}}' late

	# an image that is not there is pulled first, its progress on stderr
	berth rm -f late lf >/dev/null
	berth rmi "$BB" >/dev/null
	run --separate-stderr berth run --rm "$BB" echo pulled
	[ "$status" -eq 0 ]
	[ "$output" = pulled ]
	[ "${stderr_lines[0]}" = "Unable to find image '$BB:latest' locally" ]
	[ "${stderr_lines[-1]}" = "Status: Downloaded newer image for $BB:latest" ]
}

@test "export, import (file and stdin, --change, -m) and diff: a container's filesystem round trip" {
	local tar=$BATS_TEST_TMPDIR/fs.tar
	berth run --name src "$BB" sh -c 'echo kept > /root/note; rm /bin/true; mkdir -p /srv/new'
	# export refuses a terminal and writes -o atomically
	run berth export -o "$tar" src
	[ "$status" -eq 0 ]
	tar -tf "$tar" | grep -qx 'root/note'
	! tar -tf "$tar" | grep -qx 'bin/true'
	[ "$(berth export src | tar -xOf - root/note)" = kept ]
	run berth export -o "$BATS_TEST_TMPDIR/nodir/x.tar" src
	[ "$status" -ne 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/nodir" ]
	# diff: added, changed, deleted, as docker lists them
	run berth diff src
	echo "$output"
	[[ "$output" == *"A /root/note"* ]]
	[[ "$output" == *"D /bin/true"* ]]
	[[ "$output" == *"C /bin"* ]]
	[[ "$output" == *"A /srv/new"* ]]
	# import from a file, with a tag, a change and a message
	run berth import -c 'ENV GREETING=imported' -c 'CMD ["cat", "/root/note"]' -m "round trip" "$tar" roundtrip:v1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" =~ ^sha256:[0-9a-f]{64}$ ]]
	[ "$(berth run --rm roundtrip:v1)" = kept ]
	[ "$(berth run --rm roundtrip:v1 sh -c 'echo $GREETING')" = imported ]
	[ "$(berth image inspect -f '{{.Comment}}' roundtrip:v1)" = "round trip" ]
	[ "$(berth history --format '{{.Comment}}' roundtrip:v1)" = "round trip" ]
	# from stdin, untagged: the ID is all there is
	run berth import - <"$tar"
	[ "$status" -eq 0 ]
	local untagged=${lines[-1]}
	[ "$(berth image inspect -f '{{.Id}}' "$untagged")" = "$untagged" ]
	run berth import "$BATS_TEST_TMPDIR/missing.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing.tar"* ]]
	berth rm src >/dev/null
	berth rmi roundtrip:v1 "$untagged" >/dev/null
}

@test "pause, unpause, rename and top, as docker prints them" {
	berth run -d --name opsc "$BB" sh -c 'sleep 1000' >/dev/null
	run berth pause opsc
	[ "$status" -eq 0 ]
	[ "$output" = opsc ]
	[ "$(berth inspect -f '{{.State.Status}} {{.State.Paused}}' opsc)" = "paused true" ]
	same_as_docker pause opsc
	run berth unpause opsc nosuch
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = opsc ]
	[[ "$output" == *"No such container: nosuch"* ]]
	[ "$(berth inspect -f '{{.State.Status}}' opsc)" = running ]
	run berth rename opsc opsd
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$(berth ps --format '{{.Names}}')" = opsd ]
	same_as_docker rename nosuch other
	same_as_docker rename opsd
	# top: ps -ef's columns by default, the client's ps options otherwise
	run berth top opsd
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *"sleep 1000" ]]
	run berth top opsd -o pid,comm
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^PID\ +COMMAND$ ]]
	[[ "${lines[1]}" =~ ^[0-9]+\ +sleep$ ]]
	same_as_docker top opsd -o user=PID
	same_as_docker top nosuch
	berth stop -t 0 opsd >/dev/null
	same_as_docker top opsd
}
