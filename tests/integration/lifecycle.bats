#!/usr/bin/env bats
# create / start / state / kill / delete / list / run (runtime.md "Operations").

load helpers

setup() {
	setup_common
}

teardown() {
	teardown_common
}

# A process that exits 3 on SIGTERM (pid 1 ignores signals it has no handler for).
TERM_TRAP='trap "exit 3" TERM; while :; do sleep 0.1; done'

@test "create: state is created, with the pid and bundle; the program does not run yet" {
	mkdir "$TESTDIR/shared"
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $src, "options": ["bind"]}]' \
		--arg src "$TESTDIR/shared"
	set_args sh -c 'echo ran > /shared/marker; exec sleep 1000'

	create_ct c1$X
	run berth state c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .id <<<"$output")" = c1$X ]
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 0 ]
	pid_alive "$pid"
	# runtime.md: process.args MUST NOT be applied until start.
	sleep 0.3
	[ ! -e "$TESTDIR/shared/marker" ]
	[ -d "$ROOT/c1$X" ]
}

@test "start: created -> running, and the program runs" {
	mkdir "$TESTDIR/shared"
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $src, "options": ["bind"]}]' \
		--arg src "$TESTDIR/shared"
	set_args sh -c 'echo ran > /shared/marker; exec sleep 1000'

	create_ct c1$X
	pid=$(ct_pid c1$X)
	run berth start c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	run ct_status c1$X
	[ "$output" = running ]
	wait_file "$TESTDIR/shared/marker"
	[ "$(cat "$TESTDIR/shared/marker")" = ran ]
	# The pid does not change at start: the init execs the program.
	[ "$(ct_pid c1$X)" = "$pid" ]
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]
}

@test "kill: default SIGTERM stops a process that handles it" {
	set_args sh -c "$TERM_TRAP"
	start_ct c1$X
	pid=$(ct_pid c1$X)
	run berth kill c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status c1$X stopped
	not pid_alive "$pid"
	# A stopped container cannot be signalled.
	run berth kill c1$X KILL
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *stopped* ]]
}

@test "delete: removes the state directory; state then fails" {
	set_args true
	start_ct c1$X
	wait_status c1$X stopped
	[ -d "$ROOT/c1$X" ]
	run berth delete c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1$X" ]
	# runtime.md: delete undoes what create made (a cgroup, if any).
	[ -z "$(cgroups_named c1$X)" ]
	run berth state c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"c1$X does not exist"* ]]
	# The id can be used again.
	create_ct c1$X
	[ "$(ct_status c1$X)" = created ]
}

@test "state: JSON has ociVersion, id, status, pid, bundle and the config's annotations" {
	update_config '.annotations = {"org.example.key": "value-1", "other": "two"}'
	create_ct c1$X
	run berth state c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e '.ociVersion | test("^1\\.")' <<<"$output"
	jq -e --arg id "c1$X" '.id == $id' <<<"$output"
	jq -e '.status == "created"' <<<"$output"
	jq -e '.pid > 0' <<<"$output"
	jq -e --arg b "$BUNDLE" '.bundle == $b' <<<"$output"
	jq -e '.annotations == {"org.example.key": "value-1", "other": "two"}' <<<"$output"
	# The pid is the host pid of the container's init.
	pid=$(jq -r .pid <<<"$output")
	[ "$(ns_of "$pid" mnt)" != "$(ns_of self mnt)" ]
}

@test "state of a missing container fails" {
	run berth state nosuch
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nosuch does not exist"* ]]
}

@test "list: table, --format json and -q" {
	create_ct c1$X
	set_args sh -c "$TERM_TRAP"
	start_ct c2$X

	run berth list
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID*PID*STATUS*BUNDLE* ]]
	[ "${#lines[@]}" -eq 3 ]
	grep -E "^c1$X +[0-9]+ +created +$BUNDLE " <<<"$output"
	grep -E "^c2$X +[0-9]+ +running +$BUNDLE " <<<"$output"

	run berth list --format json
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e 'length == 2' <<<"$output"
	jq -e --arg id "c1$X" '[.[] | select(.id == $id)][0].status == "created"' <<<"$output"
	jq -e --arg id "c2$X" '[.[] | select(.id == $id)][0].status == "running"' <<<"$output"
	jq -e --arg id "c2$X" --arg p "$(ct_pid c2$X)" '[.[] | select(.id == $id)][0].pid == ($p | tonumber)' <<<"$output"

	run berth list -q
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "c1$X c2$X " ]
}

@test "list with no containers (and no state root yet) is empty" {
	run berth list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run berth list --format json
	[ "$status" -eq 0 ]
	jq -e 'length == 0' <<<"$output"
}

@test "start of a running container fails and leaves it running" {
	start_ct c1$X
	pid=$(ct_pid c1$X)
	run berth start c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"c1$X"*"running"* ]]
	[ "$(ct_status c1$X)" = running ]
	[ "$(ct_pid c1$X)" = "$pid" ]
	pid_alive "$pid"
}

@test "start of a stopped container fails" {
	set_args true
	start_ct c1$X
	wait_status c1$X stopped
	run berth start c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *stopped* ]]
}

@test "create of an existing id fails and leaves the first container alone" {
	create_ct c1$X
	pid=$(ct_pid c1$X)
	runbg create --bundle "$BUNDLE" c1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *"c1$X already exists"* ]]
	[ "$(ct_status c1$X)" = created ]
	[ "$(ct_pid c1$X)" = "$pid" ]
	# ...and it can still be started.
	run berth start c1$X
	[ "$status" -eq 0 ]
	[ "$(ct_status c1$X)" = running ]
}

@test "run: exits with the container's exit status" {
	set_args sh -c 'echo out; echo err >&2; exit 7'
	run berth run --bundle "$BUNDLE" r1$X
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "$output" == *out* ]]
	[[ "$output" == *err* ]]
	# run deletes the container afterwards.
	[ ! -e "$ROOT/r1$X" ]
	[ -z "$(cgroups_named r1$X)" ]
}

@test "run: exit status 0" {
	set_args true
	run berth run --bundle "$BUNDLE" r1$X
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/r1$X" ]
}

@test "run: a process killed by SIGKILL gives 137" {
	# Outside a pid namespace the process is not an init, so it can kill itself.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'kill -KILL $$'
	run berth run --bundle "$BUNDLE" r1$X
	echo "status $status: $output"
	[ "$status" -eq 137 ]
}

@test "run: a process killed by SIGTERM gives 143" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	# If SIGTERM were blocked the process would sleep on and exit 0.
	set_args sh -c 'kill -TERM $$; sleep 2; grep SigBlk /proc/self/status; exit 0'
	run berth run --bundle "$BUNDLE" r1$X
	echo "status $status: $output"
	[ "$status" -eq 143 ]
}

@test "run: a signal sent to the container's init from outside gives 128+N" {
	set_args sleep 1000
	(
		for _ in $(seq 100); do
			[ "$("$BERTH_RUNTIME" --root "$ROOT" state r1$X 2>/dev/null | jq -r .status)" = running ] && break
			sleep 0.1
		done
		"$BERTH_RUNTIME" --root "$ROOT" kill r1$X KILL
	) 3>&- &
	BG_PIDS+=($!)
	run berth run --bundle "$BUNDLE" r1$X
	echo "$output"
	[ "$status" -eq 137 ]
}

@test "run --detach: returns at once, the container keeps running" {
	set_args sleep 1000
	runbg run --detach --bundle "$BUNDLE" d1$X
	[ "$status" -eq 0 ]
	run berth state d1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	pid=$(jq -r .pid <<<"$output")
	pid_alive "$pid"
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]
}

@test "run --keep: leaves the stopped container" {
	set_args sh -c 'exit 5'
	run berth run --keep --bundle "$BUNDLE" k1$X
	echo "$output"
	[ "$status" -eq 5 ]
	[ -d "$ROOT/k1$X" ]
	[ "$(ct_status k1$X)" = stopped ]
	run berth list -q
	[ "$output" = k1$X ]
	run berth delete k1$X
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/k1$X" ]
}

@test "delete of a running container fails without --force, works with it" {
	start_ct c1$X
	pid=$(ct_pid c1$X)
	run berth delete c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"c1$X"*running*--force* ]]
	[ -d "$ROOT/c1$X" ]
	[ "$(ct_status c1$X)" = running ]
	pid_alive "$pid"

	run berth delete --force c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1$X" ]
	not pid_alive "$pid"
	[ -z "$(cgroups_named c1$X)" ]
}

@test "delete --force of a missing container succeeds, without it fails" {
	run berth delete nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"nosuch does not exist"* ]]
	run berth delete --force nosuch
	[ "$status" -eq 0 ]
}

@test "kill: by name (KILL), with prefix (SIGKILL) and by number (9)" {
	for id in k1$X k2$X k3$X; do start_ct "$id"; done
	p1=$(ct_pid k1$X) p2=$(ct_pid k2$X) p3=$(ct_pid k3$X)
	run berth kill k1$X KILL
	[ "$status" -eq 0 ]
	run berth kill k2$X SIGKILL
	[ "$status" -eq 0 ]
	run berth kill k3$X 9
	[ "$status" -eq 0 ]
	for id in k1$X k2$X k3$X; do wait_status "$id" stopped; done
	not pid_alive "$p1"
	not pid_alive "$p2"
	not pid_alive "$p3"
}

@test "kill: the named signal is the one delivered" {
	mkdir "$TESTDIR/shared"
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $src, "options": ["bind"]}]' \
		--arg src "$TESTDIR/shared"
	set_args sh -c 'trap "echo USR1 >> /shared/log" USR1; trap "echo HUP >> /shared/log" HUP; trap "echo TERM >> /shared/log; exit 0" TERM; echo ready > /shared/ready; while :; do sleep 0.1; done'
	start_ct s1$X
	wait_file "$TESTDIR/shared/ready"
	run berth kill s1$X USR1
	echo "kill USR1: $status $output"
	[ "$status" -eq 0 ]
	sleep 0.3
	run berth kill s1$X SIGHUP
	echo "kill SIGHUP: $status $output"
	[ "$status" -eq 0 ]
	sleep 0.3
	run berth kill s1$X 10
	echo "kill 10: $status $output"
	[ "$status" -eq 0 ]
	sleep 0.3
	run berth kill s1$X 15
	echo "kill 15: $status $output"
	[ "$status" -eq 0 ]
	wait_status s1$X stopped
	run cat "$TESTDIR/shared/log"
	echo "$output"
	[ "$(tr '\n' ' ' <<<"$output")" = "USR1 HUP USR1 TERM " ]
}

@test "kill of an unknown signal fails" {
	start_ct c1$X
	run berth kill c1$X NOSUCHSIG
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(ct_status c1$X)" = running ]
}

@test "create --pid-file: holds the init's pid" {
	create_ct c1$X --pid-file "$TESTDIR/c1.pid"
	[ -f "$TESTDIR/c1.pid" ]
	[ "$(cat "$TESTDIR/c1.pid")" = "$(ct_pid c1$X)" ]
	pid_alive "$(cat "$TESTDIR/c1.pid")"
}

@test "run --detach --pid-file: holds the running process's pid" {
	runbg run -d --pid-file "$TESTDIR/r.pid" --bundle "$BUNDLE" r1$X
	[ "$status" -eq 0 ]
	pid=$(cat "$TESTDIR/r.pid")
	[ "$pid" = "$(ct_pid r1$X)" ]
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]
}

@test "delete of a created (never started) container works and kills the init" {
	create_ct c1$X
	pid=$(ct_pid c1$X)
	pid_alive "$pid"
	run berth delete c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1$X" ]
	not pid_alive "$pid"
}

@test "the container's init survives the runtime command that created it" {
	create_ct c1$X
	pid=$(ct_pid c1$X)
	sleep 0.3
	pid_alive "$pid"
	[ "$(ct_status c1$X)" = created ]
	run berth start c1$X
	[ "$status" -eq 0 ]
	sleep 0.3
	[ "$(ct_status c1$X)" = running ]
}

@test "changes to config.json after create do not affect the container" {
	mkdir "$TESTDIR/shared"
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $src, "options": ["bind"]}]
		| .hooks.poststop = [{"path": "/bin/sh", "args": ["sh", "-c", "echo original-hook >> \"$0\"", $log]}]' \
		--arg src "$TESTDIR/shared" --arg log "$TESTDIR/poststop.log"
	set_args sh -c 'echo original > /shared/which'
	create_ct c1$X
	set_args sh -c 'echo changed > /shared/which'
	update_config '.hooks.poststop = [{"path": "/bin/sh", "args": ["sh", "-c", "echo changed-hook >> \"$0\"", $log]}]' \
		--arg log "$TESTDIR/poststop.log"
	berth start c1$X
	wait_status c1$X stopped
	[ "$(cat "$TESTDIR/shared/which")" = original ]
	berth delete c1$X
	[ "$(cat "$TESTDIR/poststop.log")" = original-hook ]
}

@test "a created container whose init is killed is stopped and cannot be started" {
	create_ct c1$X
	pid=$(ct_pid c1$X)
	run berth kill c1$X KILL
	[ "$status" -eq 0 ]
	wait_status c1$X stopped
	not pid_alive "$pid"
	run berth start c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *stopped* ]]
	run berth delete c1$X
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1$X" ]
}

@test "kill --all signals every process of the container" {
	start_ct c1$X
	init=$(ct_pid c1$X)
	runbg exec -d --pid-file "$TESTDIR/e.pid" c1$X sh -c 'trap "" TERM; sleep 1000'
	[ "$status" -eq 0 ]
	epid=$(cat "$TESTDIR/e.pid")
	pid_alive "$epid"
	run berth kill --all c1$X KILL
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status c1$X stopped
	sleep 0.2
	not pid_alive "$init"
	not pid_alive "$epid"
}

@test "kill without --all reaches only the init" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'trap "exit 0" USR1; while :; do sleep 0.1; done'
	start_ct c1$X
	runbg exec -d --pid-file "$TESTDIR/e.pid" c1$X sleep 30
	[ "$status" -eq 0 ]
	epid=$(cat "$TESTDIR/e.pid")
	run berth kill c1$X USR1
	[ "$status" -eq 0 ]
	wait_status c1$X stopped
	# Without a pid namespace of its own, the exec'd process outlives the init.
	pid_alive "$epid"
	kill -KILL "$epid"
}
