#!/usr/bin/env bats
# exec: a new process in a running container.

load helpers

setup() {
	setup_common
}

teardown() {
	teardown_common
}

@test "exec joins every namespace of the container and its root" {
	update_config '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"monotonic": {"secs": 5000, "nanosecs": 0}}'
	echo exec-marker >"$BUNDLE/rootfs/marker"
	start_ct e1$X
	pid=$(ct_pid e1$X)
	run berth exec e1$X sh -c 'for n in mnt uts ipc net pid cgroup time user; do echo "$n $(readlink /proc/self/ns/$n)"; done; cat /marker; echo "mypid=$$"'
	echo "$output"
	[ "$status" -eq 0 ]
	for n in mnt uts ipc net pid cgroup time user; do
		inside=$(awk -v n="$n" '$1 == n { print $2 }' <<<"$output")
		want=$(ns_of "$pid" "$n")
		echo "$n: exec $inside, init $want"
		[ "$inside" = "$want" ]
	done
	# ...all but user are not the host's.
	for n in mnt uts ipc net pid cgroup time; do
		[ "$(ns_of "$pid" "$n")" != "$(ns_of self "$n")" ]
	done
	grep -qx exec-marker <<<"$output"
	# Not the init: pid 1 is the container's sleep.
	grep -q '^mypid=[0-9]*$' <<<"$output"
	not grep -qx mypid=1 <<<"$output"
}

@test "exec sees the container's processes and hostname" {
	update_config '.hostname = "exec-host"'
	start_ct e1$X
	run berth exec e1$X sh -c 'hostname; cat /proc/1/cmdline | tr "\0" " "'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-host ]
	[ "${lines[1]}" = "sleep 1000 " ]
}

@test "exec gets the container's capabilities; --cap adds one" {
	update_config '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_AUDIT_WRITE"], "effective": ["CAP_KILL", "CAP_AUDIT_WRITE"], "permitted": ["CAP_KILL", "CAP_AUDIT_WRITE"]}'
	start_ct e1$X
	run berth exec e1$X grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'CapEff:	0000000020000020' <<<"$output"
	grep -qx 'CapPrm:	0000000020000020' <<<"$output"
	grep -qx 'CapBnd:	0000000020000020' <<<"$output"

	run berth exec --cap CAP_NET_ADMIN e1$X grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'CapEff:	0000000020001020' <<<"$output"
	grep -qx 'CapPrm:	0000000020001020' <<<"$output"
	grep -qx 'CapBnd:	0000000020001020' <<<"$output"
}

@test "exec gets the container's environment; --env adds to it" {
	update_config '.process.env = ["PATH=/bin", "FROMCONFIG=yes"]'
	start_ct e1$X
	run berth exec --env FOO=bar --env "SPACED=a b" e1$X env
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx PATH=/bin <<<"$output"
	grep -qx FROMCONFIG=yes <<<"$output"
	grep -qx FOO=bar <<<"$output"
	grep -qx "SPACED=a b" <<<"$output"
}

@test "exec --env overrides a variable of the container's environment" {
	update_config '.process.env = ["PATH=/bin", "FOO=orig"]'
	start_ct e1$X
	# env(1) run directly prints the environment exactly as it was given.
	run berth exec --env FOO=new e1$X env
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep ^FOO= <<<"$output")" = FOO=new ]
}

@test "exec gets the container's rlimits and no_new_privs" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 300, "hard": 400}] | .process.noNewPrivileges = true'
	start_ct e1$X
	run berth exec e1$X sh -c 'ulimit -Sn; ulimit -Hn; grep ^NoNewPrivs: /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 300 ]
	[ "${lines[1]}" = 400 ]
	[ "$(echo ${lines[2]})" = "NoNewPrivs: 1" ]
}

@test "exec --preserve-fds 1: the caller's fd 3 is visible inside, nothing else" {
	start_ct e1$X
	echo exec-fd3 >"$TESTDIR/fd3"
	run timeout 30 "$BERTH_RUNTIME" --root "$ROOT" exec --preserve-fds 1 e1$X sh -c 'cat <&3; ls /proc/self/fd | sort -n | tr "\n" " "' 3<"$TESTDIR/fd3"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-fd3 ]
	[ "${lines[1]}" = "0 1 2 3 4 " ]
	run bash -c 'exec 5</etc/hostname; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" exec e1$X sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
}

@test "exec --cwd" {
	mkdir -p "$BUNDLE/rootfs/some/dir"
	start_ct e1$X
	run berth exec e1$X pwd
	[ "$status" -eq 0 ]
	[ "$output" = / ]
	run berth exec --cwd /some/dir e1$X pwd
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = /some/dir ]
}

@test "exec --user 1000:1000" {
	start_ct e1$X
	run berth exec --user 1000:1000 e1$X sh -c 'id -u; id -g; grep ^Groups: /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "$(echo ${lines[2]})" = "Groups:" ]
	run berth exec --user 1000:1000 --additional-gids 20 e1$X sh -c 'id -G'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(tr ' ' '\n' <<<"$output" | sort -n | tr '\n' ' ')" = "20 1000 " ]
}

@test "exec: the exit status propagates" {
	start_ct e1$X
	run berth exec e1$X sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run berth exec e1$X true
	[ "$status" -eq 0 ]
	run berth exec e1$X sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
}

@test "exec: stdout and stderr reach the caller" {
	start_ct e1$X
	run bash -c '"$@" 2>"$0"' "$TESTDIR/err" "$BERTH_RUNTIME" --root "$ROOT" exec e1$X sh -c 'echo to-out; echo to-err >&2'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = to-out ]
	[ "$(cat "$TESTDIR/err")" = to-err ]
}

@test "exec --detach --pid-file" {
	start_ct e1$X
	init=$(ct_pid e1$X)
	runbg exec --detach --pid-file "$TESTDIR/exec.pid" e1$X sleep 777
	[ "$status" -eq 0 ]
	[ -s "$TESTDIR/exec.pid" ]
	pid=$(cat "$TESTDIR/exec.pid")
	[ "$pid" != "$init" ]
	pid_alive "$pid"
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 777 " ]
	[ "$(ns_of "$pid" pid)" = "$(ns_of "$init" pid)" ]
	[ "$(ns_of "$pid" mnt)" = "$(ns_of "$init" mnt)" ]
	# delete --force takes the exec'd process down with the container.
	run berth delete --force e1$X
	[ "$status" -eq 0 ]
	sleep 0.2
	not pid_alive "$pid"
}

@test "exec --process FILE" {
	mkdir -p "$BUNDLE/rootfs/pdir"
	start_ct e1$X
	cat >"$TESTDIR/process.json" <<-'EOF'
		{
			"terminal": false,
			"user": {"uid": 1000, "gid": 1000},
			"args": ["sh", "-c", "echo \"FOO=$FOO\"; pwd; id -u; grep ^CapEff /proc/self/status; exit 3"],
			"env": ["PATH=/bin", "FOO=from-file"],
			"cwd": "/pdir",
			"capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}
		}
	EOF
	run berth exec --process "$TESTDIR/process.json" e1$X
	echo "$output"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = FOO=from-file ]
	[ "${lines[1]}" = /pdir ]
	[ "${lines[2]}" = 1000 ]
	[ "$(echo ${lines[3]})" = "CapEff: 0000000000000020" ]
}

@test "exec --process FILE without capabilities gets the container's, not more" {
	update_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	start_ct e1$X
	cat >"$TESTDIR/process.json" <<-'EOF'
		{"terminal": false, "user": {"uid": 0, "gid": 0}, "cwd": "/",
		 "args": ["sh", "-c", "grep -E '^Cap(Eff|Bnd)' /proc/self/status"], "env": ["PATH=/bin"]}
	EOF
	run berth exec --process "$TESTDIR/process.json" e1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo ${lines[0]})" = "CapEff: 0000000000000020" ]
	[ "$(echo ${lines[1]})" = "CapBnd: 0000000000000020" ]
}

@test "exec --process with an invalid file fails clearly" {
	start_ct e1$X
	echo '{"args": "not-an-array", "cwd": "/"}' >"$TESTDIR/bad.json"
	run berth exec --process "$TESTDIR/bad.json" e1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *args* ]]
}

@test "exec of a missing program fails with executable file not found" {
	start_ct e1$X
	run berth exec e1$X no-such-cmd
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'"no-such-cmd": executable file not found in $PATH'* ]]
	[ "$(ct_status e1$X)" = running ]
}

@test "exec into a stopped container fails" {
	set_args true
	start_ct e1$X
	wait_status e1$X stopped
	run berth exec e1$X echo hi
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"e1$X"*stopped* ]]
	[[ "$output" != *hi* ]]
}

@test "exec into a missing container fails" {
	run berth exec nosuch echo hi
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nosuch does not exist"* ]]
}

@test "exec in a user-namespaced container" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
	start_ct e1$X
	pid=$(ct_pid e1$X)
	run berth exec e1$X sh -c 'id -u; id -g; cat /proc/self/uid_map; readlink /proc/self/ns/user; sleep 0.5 & cat /proc/$!/status | grep ^Uid:'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "$(echo ${lines[2]})" = "0 100000 65536" ]
	[ "${lines[3]}" = "$(ns_of "$pid" user)" ]

	runbg exec -d --pid-file "$TESTDIR/e.pid" e1$X sleep 100
	[ "$status" -eq 0 ]
	epid=$(cat "$TESTDIR/e.pid")
	grep -E '^Uid:\s+100000\s+100000\s+100000\s+100000' "/proc/$epid/status"

	run berth exec --user 1000:1000 e1$X id -u
	[ "$status" -eq 0 ]
	[ "$output" = 1000 ]
	runbg exec -d --user 1000:1000 --pid-file "$TESTDIR/u.pid" e1$X sleep 100
	[ "$status" -eq 0 ]
	grep -E '^Uid:\s+101000\s+101000\s+101000\s+101000' "/proc/$(cat "$TESTDIR/u.pid")/status"
}
