#!/usr/bin/env bats
# linux.seccomp (config-linux.md "Seccomp"): actions, errnoRet, argument
# conditions, flags, validation, and SCMP_ACT_NOTIFY with a listener agent.
#
# This host's busybox calls chmod(2) and mkdir(2); the profiles name the
# *at variants too, so the tests hold where busybox uses those.

load helpers

BERTH_SECCOMP_AGENT=${BERTH_SECCOMP_AGENT:-$_BERTH_TOP/build/tests/helpers/berth-test-seccomp-agent}

setup() {
	setup_common
}

teardown() {
	teardown_common
}

# set_seccomp JSON: linux.seccomp = JSON.
set_seccomp() {
	update_config '.linux.seccomp = $s' --argjson s "$1"
}

# The profile most tests use: everything allowed, mkdir answered ENOSYS (38).
DENY_MKDIR='{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
	{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'

# create_fails ID TEXT...: create fails with status 1, the error mentions
# every TEXT, and nothing is left behind.
create_fails() {
	local id=$1 t
	shift
	runbg create --bundle "$BUNDLE" "$id"
	echo "status: $status"
	echo "output: $output"
	[ "$status" -eq 1 ] || {
		echo "expected status 1"
		return 1
	}
	for t in "$@"; do
		[[ "$output" == *"$t"* ]] || {
			echo "the error does not mention: $t"
			return 1
		}
	done
	assert_nothing_left "$id"
}

@test "SCMP_ACT_ERRNO with errnoRet 38: mkdir fails with Function not implemented; the rest works" {
	set_seccomp "$DENY_MKDIR"
	set_args sh -c 'mkdir /dev/shm/d; echo "mkdir=$?"; touch /dev/shm/f && echo touch-ok; ls -d /dev/shm/d; grep Seccomp: /proc/self/status'
	run berth run --bundle "$BUNDLE" s1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *"mkdir=1"* ]]
	[[ "$output" == *touch-ok* ]]
	[[ "$output" == *"/dev/shm/d"*"No such file or directory"* ]]
	[[ "$output" == *"Seccomp:"*2* ]]
	# Without the profile the same mkdir works.
	update_config 'del(.linux.seccomp)'
	run berth run --bundle "$BUNDLE" s2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mkdir=0"* ]]
	[[ "$output" == *"Seccomp:"*0* ]]
}

@test "errnoRet on an argument condition: chmod fails only when the mode is 0777" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95,
		 "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]},
		{"names": ["fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95,
		 "args": [{"index": 2, "value": 511, "op": "SCMP_CMP_EQ"}]}]}'
	set_args sh -c 'touch /dev/shm/f; chmod 0777 /dev/shm/f; echo "777=$?"; stat -c %a /dev/shm/f
		chmod 0750 /dev/shm/f; echo "750=$?"; stat -c %a /dev/shm/f'
	run berth run --bundle "$BUNDLE" s1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not supported"* ]]
	[[ "$output" == *"777=1"* ]]
	[[ "$output" == *"750=0"* ]]
	[ "${lines[-1]}" = 750 ]
	# The mode never became 777.
	not grep -qx 777 <<<"$output"
}

@test "SCMP_ACT_KILL_PROCESS: the process dies of SIGSYS (run exits 159)" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	update_config '.process.rlimits += [{"type": "RLIMIT_CORE", "hard": 0, "soft": 0}]'
	set_args sh -c 'echo before; exec mkdir /dev/shm/d'
	run berth run --bundle "$BUNDLE" s1$X
	echo "$output"
	[ "$status" -eq 159 ]
	[ "${lines[0]}" = before ]
	[[ "$output" != *after* ]]
}

@test "an unknown syscall name is skipped: the container runs, the known names of the rule apply" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["berth_no_such_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
		{"names": ["berth_no_such_syscall_2", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
	set_args sh -c 'echo running; mkdir /dev/shm/d; echo "mkdir=$?"'
	run berth run --bundle "$BUNDLE" s1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = running ]
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *"mkdir=1"* ]]
}

@test "an unknown action fails create, naming the field, leaving nothing" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}'
	create_fails s1$X "linux.seccomp.syscalls[0].action" SCMP_ACT_NOPE
}

@test "an unknown defaultAction fails create, naming the field, leaving nothing" {
	set_seccomp '{"defaultAction": "SCMP_ACT_WHATEVER"}'
	create_fails s1$X "linux.seccomp.defaultAction" SCMP_ACT_WHATEVER
}

@test "an unknown operator fails create, naming the field, leaving nothing" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
		"args": [{"index": 1, "value": 511, "op": "SCMP_CMP_SOMETIMES"}]}]}'
	create_fails s1$X "linux.seccomp.syscalls[0].args[0].op" SCMP_CMP_SOMETIMES
}

@test "an unknown architecture fails create, naming the field, leaving nothing" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]}'
	create_fails s1$X "linux.seccomp.architectures[1]" SCMP_ARCH_VAX
}

@test "errnoRet with SCMP_ACT_ALLOW is refused, leaving nothing" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "errnoRet": 5}]}'
	create_fails s1$X "linux.seccomp.syscalls[0].errnoRet" SCMP_ACT_ALLOW
}

@test "an unknown flag is refused; SECCOMP_FILTER_FLAG_LOG is accepted and the filter applies" {
	set_seccomp "$(jq -c '.flags = ["SECCOMP_FILTER_FLAG_NOPE"]' <<<"$DENY_MKDIR")"
	create_fails s1$X "linux.seccomp.flags[0]" SECCOMP_FILTER_FLAG_NOPE

	set_seccomp "$(jq -c '.flags = ["SECCOMP_FILTER_FLAG_LOG"]' <<<"$DENY_MKDIR")"
	set_args sh -c 'mkdir /dev/shm/d; echo "mkdir=$?"'
	run berth run --bundle "$BUNDLE" s2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *"mkdir=1"* ]]
}

@test "noNewPrivileges false and true: the filter is loaded either way (Seccomp: 2)" {
	set_seccomp "$DENY_MKDIR"
	set_args sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; mkdir /dev/shm/d; echo "mkdir=$?"'
	for nnp in false true; do
		update_config '.process.noNewPrivileges = $v' --argjson v "$nnp"
		run berth run --bundle "$BUNDLE" s-$nnp$X
		echo "noNewPrivileges $nnp: $output"
		[ "$status" -eq 0 ]
		[ "$(echo ${lines[0]})" = "NoNewPrivs: $([ "$nnp" = true ] && echo 1 || echo 0)" ]
		[ "$(echo ${lines[1]})" = "Seccomp: 2" ]
		[[ "$output" == *"Function not implemented"* ]]
		[[ "$output" == *"mkdir=1"* ]]
	done
}

@test "exec'd processes get the filter too" {
	set_seccomp "$DENY_MKDIR"
	start_ct s1$X
	run berth exec s1$X sh -c 'grep Seccomp: /proc/self/status; mkdir /dev/shm/d; echo "mkdir=$?"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo ${lines[0]})" = "Seccomp: 2" ]
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *"mkdir=1"* ]]
	# With noNewPrivileges false as well.
	update_config '.process.noNewPrivileges = false'
	start_ct s2$X
	run berth exec s2$X sh -c 'grep Seccomp: /proc/self/status; mkdir /dev/shm/d; echo "mkdir=$?"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo ${lines[0]})" = "Seccomp: 2" ]
	[[ "$output" == *"mkdir=1"* ]]
}

@test "SCMP_ACT_NOTIFY: the agent gets the container process state and the fd, and answers mkdir" {
	[ -x "$BERTH_SECCOMP_AGENT" ] || skip "no seccomp agent at $BERTH_SECCOMP_AGENT"
	sock=$TESTDIR/agent.sock
	"$BERTH_SECCOMP_AGENT" "$sock" "$TESTDIR/agent.state" 95 >"$TESTDIR/agent.out" 2>&1 </dev/null 3>&- &
	agent=$!
	BG_PIDS+=("$agent")
	n=100
	while ! grep -q '^ready' "$TESTDIR/agent.out" && [ "$n" -gt 0 ]; do
		kill -0 "$agent"
		sleep 0.05
		n=$((n - 1))
	done
	grep -q '^ready' "$TESTDIR/agent.out"
	set_seccomp "$(jq -nc --arg l "$sock" '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: $l,
		listenerMetadata: "berth-test-metadata",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}')"
	update_config '.root.readonly = false'
	set_args sh -c 'mkdir /tmp/d 2>/tmp/err; echo "mkdir=$?" >/tmp/rc; echo done >/tmp/done; exec sleep 1000'
	create_ct s1$X
	pid=$(ct_pid s1$X)
	berth start s1$X
	wait_file "$BUNDLE/rootfs/tmp/done" 50 || {
		echo "agent: $(cat "$TESTDIR/agent.out")"
		cat "$TESTDIR/agent.state" "$BG_ERR"
		ls -l "$BUNDLE/rootfs/tmp"
		ps -ef | grep -e "$TESTDIR" -e "mkdir /tmp/d" | grep -v grep
		false
	}
	cat "$BUNDLE/rootfs/tmp/rc" "$BUNDLE/rootfs/tmp/err"
	# The agent's errno is what mkdir got.
	[ "$(cat "$BUNDLE/rootfs/tmp/rc")" = mkdir=1 ]
	grep -q "Operation not supported" "$BUNDLE/rootfs/tmp/err"
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	# What the agent received (config-linux.md "The Container Process State").
	wait_file "$TESTDIR/agent.state"
	state=$(head -1 "$TESTDIR/agent.state")
	echo "$state"
	jq -e '.fds == ["seccompFd"]' <<<"$state"
	jq -e --argjson p "$pid" '.pid == $p' <<<"$state"
	jq -e '.metadata == "berth-test-metadata"' <<<"$state"
	jq -e --arg id "s1$X" '.state.id == $id' <<<"$state"
	jq -e --argjson p "$pid" '.state.pid == $p' <<<"$state"
	jq -e --arg b "$BUNDLE" '.state.bundle == $b' <<<"$state"
	jq -e '.ociVersion | test("^1\\.")' <<<"$state"
	# And it answered a mkdir (x86_64: 83) or mkdirat (258).
	grep -E "^syscall (83|258) answered 95" "$TESTDIR/agent.state"
}
