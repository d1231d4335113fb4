#!/usr/bin/env bats
# hooks: prestart, createRuntime, createContainer, startContainer,
# poststart, poststop (config.md "POSIX-platform Hooks").

load helpers

setup() {
	setup_common
	HOOKDIR=$TESTDIR/hooks
	LOGDIR=$TESTDIR/hooklog
	LOG=$LOGDIR/log
	mkdir -p "$HOOKDIR" "$LOGDIR"
	chmod 0777 "$LOGDIR"
	# Host-side hook: log-hook KIND LOGFILE appends "KIND <state JSON>" and,
	# to LOGFILE.ns, "KIND <its mount namespace> <its pid namespace>".
	cat >"$HOOKDIR/log-hook" <<-'EOF'
		#!/bin/sh
		state=$(/bin/cat)
		printf '%s %s\n' "$1" "$state" >>"$2"
		printf '%s %s %s\n' "$1" "$(/bin/readlink /proc/self/ns/mnt)" "$(/bin/readlink /proc/self/ns/pid)" >>"$2.ns"
	EOF
	chmod 0755 "$HOOKDIR/log-hook"
	# In-container startContainer hook: its path resolves in the rootfs.
	cat >"$BUNDLE/rootfs/bin/start-hook" <<-'EOF'
		#!/bin/sh
		state=$(/bin/cat)
		printf '%s %s\n' startContainer "$state" >>/hooklog/log
		printf '%s %s %s\n' startContainer "$(/bin/readlink /proc/self/ns/mnt)" "$(/bin/readlink /proc/self/ns/pid)" >>/hooklog/log.ns
	EOF
	chmod 0755 "$BUNDLE/rootfs/bin/start-hook"
	update_config '.mounts += [{"destination": "/hooklog", "type": "bind", "source": $src, "options": ["bind"]}]' \
		--arg src "$LOGDIR"
}

teardown() {
	teardown_common
}

# hook_json KIND: a log-hook entry for KIND.
hook_json() {
	jq -nc --arg p "$HOOKDIR/log-hook" --arg k "$1" --arg l "$LOG" '{path: $p, args: ["log-hook", $k, $l]}'
}

all_hooks() {
	update_config '.hooks = {
		"prestart": [$pre], "createRuntime": [$cr], "createContainer": [$cc],
		"startContainer": [{"path": "/bin/start-hook"}],
		"poststart": [$ps], "poststop": [$pst]}' \
		--argjson pre "$(hook_json prestart)" --argjson cr "$(hook_json createRuntime)" \
		--argjson cc "$(hook_json createContainer)" --argjson ps "$(hook_json poststart)" \
		--argjson pst "$(hook_json poststop)"
}

# state_of KIND: the state JSON the hook KIND got.
state_of() {
	awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }' "$LOG"
}

kinds_logged() {
	awk '{ print $1 }' "$LOG" | tr '\n' ' '
}

@test "every hook kind runs at its point, in order" {
	all_hooks
	set_args sh -c 'echo program >> /hooklog/log; exec sleep 1000'

	create_ct h1$X
	echo "after create: $(kinds_logged)"
	[ "$(kinds_logged)" = "prestart createRuntime createContainer " ]

	run berth start h1$X
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status h1$X running
	# start returns after poststart; the program's line may come later.
	n=50
	while ! grep -q '^program' "$LOG" && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	echo "after start: $(kinds_logged)"
	[[ "$(kinds_logged)" == "prestart createRuntime createContainer startContainer "* ]]
	[[ "$(kinds_logged)" == *" poststart "* || "$(kinds_logged)" == *" poststart" ]]
	[[ "$(kinds_logged)" == *program* ]]

	berth kill h1$X KILL
	wait_status h1$X stopped
	[[ "$(kinds_logged)" != *poststop* ]]
	run berth delete h1$X
	echo "$output"
	[ "$status" -eq 0 ]
	echo "after delete: $(kinds_logged)"
	[[ "$(kinds_logged)" == *" poststop " ]]
	cat "$LOG"
	[ "$(wc -l <"$LOG")" -eq 7 ]
}

@test "hooks get the state on stdin: id, status, pid, bundle, annotations" {
	all_hooks
	update_config '.annotations = {"hook.test": "yes"}'
	create_ct h1$X
	pid=$(ct_pid h1$X)
	berth start h1$X
	berth delete --force h1$X
	cat "$LOG"
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		s=$(state_of "$k")
		echo "$k: $s"
		jq -e --arg id "h1$X" '.id == $id' <<<"$s"
		jq -e --arg b "$BUNDLE" '.bundle == $b' <<<"$s"
		jq -e '.ociVersion | test("^1\\.")' <<<"$s"
		jq -e '.annotations["hook.test"] == "yes"' <<<"$s"
	done
	# The environment exists when these run (lifecycle steps 3-5 follow
	# step 2): "created", as the runtime-tools conformance tests expect.
	for k in prestart createRuntime createContainer; do
		jq -e '.status == "created"' <<<"$(state_of "$k")"
	done
	jq -e '.status == "running"' <<<"$(state_of poststart)"
	jq -e '.status == "stopped"' <<<"$(state_of poststop)"
	# The pid is as seen from where the hook runs.
	jq -e --argjson p "$pid" '.pid == $p' <<<"$(state_of prestart)"
	jq -e --argjson p "$pid" '.pid == $p' <<<"$(state_of createRuntime)"
	jq -e --argjson p "$pid" '.pid == $p' <<<"$(state_of poststart)"
	jq -e '.pid == 1' <<<"$(state_of createContainer)"
	jq -e '.pid == 1' <<<"$(state_of startContainer)"
}

@test "runtime-namespace hooks run on the host; createContainer and startContainer in the container" {
	all_hooks
	create_ct h1$X
	pid=$(ct_pid h1$X)
	berth start h1$X
	cat "$LOG.ns"
	host_mnt=$(ns_of self mnt) host_pid=$(ns_of self pid)
	for k in prestart createRuntime poststart; do
		[ "$(awk -v k="$k" '$1 == k { print $2, $3 }' "$LOG.ns")" = "$host_mnt $host_pid" ]
	done
	for k in createContainer startContainer; do
		[ "$(awk -v k="$k" '$1 == k { print $2, $3 }' "$LOG.ns")" = "$(ns_of "$pid" mnt) $(ns_of "$pid" pid)" ]
	done
}

@test "hook args and env are passed; the runtime's environment is not" {
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo \"$0|$1|$2|$HOOKVAR\" >> \"$HOOKLOG\"; env >> \"$HOOKLOG.env\"", "my-name", "a1", "a 2"], "env": ["HOOKVAR=value 1", "HOOKLOG=" + $log]}]' \
		--arg log "$LOG"
	export BERTH_TEST_LEAK=leaked
	create_ct h1$X
	unset BERTH_TEST_LEAK
	cat "$LOG" "$LOG.env"
	[ "$(cat "$LOG")" = "my-name|a1|a 2|value 1" ]
	grep -qx "HOOKVAR=value 1" "$LOG.env"
	not grep -q BERTH_TEST_LEAK "$LOG.env"
}

@test "several hooks of one kind run in the listed order" {
	update_config '.hooks.createRuntime = [$a, $b, $c]' \
		--argjson a "$(hook_json first)" --argjson b "$(hook_json second)" --argjson c "$(hook_json third)"
	create_ct h1$X
	[ "$(kinds_logged)" = "first second third " ]
}

@test "a failing createRuntime hook fails create, names the hook, leaves nothing" {
	printf '#!/bin/sh\necho "hook says no" >&2\nexit 5\n' >"$HOOKDIR/fail"
	chmod 0755 "$HOOKDIR/fail"
	update_config '.hooks.createRuntime = [$ok, {"path": $p}] | .hooks.poststart = [$ps]' \
		--argjson ok "$(hook_json createRuntime)" --arg p "$HOOKDIR/fail" --argjson ps "$(hook_json poststart)"
	runbg create --bundle "$BUNDLE" h1$X
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *createRuntime* ]]
	[[ "$output" == *"$HOOKDIR/fail"* ]]
	[[ "$output" == *"exit status 5"* ]]
	[[ "$output" == *"hook says no"* ]]
	assert_nothing_left
	# The first hook did run; nothing after the failing one did.
	[ "$(kinds_logged)" = "createRuntime " ]
}

@test "a failing prestart hook fails create" {
	update_config '.hooks.prestart = [{"path": "/bin/false"}]'
	runbg create --bundle "$BUNDLE" h1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *prestart* ]]
	assert_nothing_left
}

@test "a failing createContainer hook fails create and leaves nothing" {
	update_config '.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 9"]}]'
	runbg create --bundle "$BUNDLE" h1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *createContainer*"exit status 9"* ]]
	assert_nothing_left
}

@test "a hook that runs past its timeout fails create with timed out" {
	printf '#!/bin/sh\nexec /bin/sleep 30\n' >"$HOOKDIR/slow"
	chmod 0755 "$HOOKDIR/slow"
	update_config '.hooks.createRuntime = [{"path": $p, "timeout": 1}]' --arg p "$HOOKDIR/slow"
	start=$(date +%s)
	runbg create --bundle "$BUNDLE" h1$X
	took=$(($(date +%s) - start))
	echo "took ${took}s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timed out"* ]]
	[[ "$output" == *createRuntime* ]]
	[ "$took" -lt 10 ]
	assert_nothing_left
	# The hook itself was killed.
	[ -z "$(procs_mentioning "$HOOKDIR")" ]
}

@test "a failing startContainer hook fails start and stops the container" {
	update_config '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "echo no-start >&2; exit 4"]}]'
	set_args sh -c 'echo program-ran >> /hooklog/log; sleep 1000'
	create_ct h1$X
	pid=$(ct_pid h1$X)
	run berth start h1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *startContainer* ]]
	wait_status h1$X stopped
	not pid_alive "$pid"
	sleep 0.2
	[ ! -e "$LOG" ] || ! grep -q program-ran "$LOG"
}

@test "a failing poststart hook fails start and stops the container" {
	update_config '.hooks.poststart = [{"path": "/bin/false"}]'
	create_ct h1$X
	run berth start h1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *poststart* ]]
	wait_status h1$X stopped
}

@test "a bundle of runtime-spec 1.0: a failing poststart hook only warns, the next one runs, start succeeds" {
	update_config '.ociVersion = "1.0.2" | .hooks.poststart = [{"path": "/bin/false"}, $ps]' \
		--argjson ps "$(hook_json poststart)"
	set_args sleep 100
	create_ct h1$X
	run berth start h1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *poststart* ]]
	[ "$(kinds_logged)" = "poststart " ]
	[ "$(ct_status h1$X)" = running ]
}

@test "a failing poststop hook only warns: delete succeeds" {
	update_config '.hooks.poststop = [{"path": "/bin/sh", "args": ["sh", "-c", "echo poststop-trouble >&2; exit 2"]}, $ok]' \
		--argjson ok "$(hook_json poststop)"
	set_args true
	start_ct h1$X
	wait_status h1$X stopped
	run berth delete h1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *poststop* ]]
	[ ! -e "$ROOT/h1$X" ]
	# runtime.md: the remaining hooks continue as if it had succeeded.
	[ "$(kinds_logged)" = "poststop " ]
}

@test "poststop hooks run on delete --force of a running container" {
	update_config '.hooks.poststop = [$ps]' --argjson ps "$(hook_json poststop)"
	start_ct h1$X
	run berth delete --force h1$X
	[ "$status" -eq 0 ]
	[ "$(kinds_logged)" = "poststop " ]
	jq -e '.status == "stopped"' <<<"$(state_of poststop)"
}

@test "a hook path that does not exist fails create" {
	update_config '.hooks.createRuntime = [{"path": "/no/such/hook"}]'
	runbg create --bundle "$BUNDLE" h1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *"/no/such/hook"* ]]
	assert_nothing_left
}
