#!/usr/bin/env bats
# process: env, cwd, user, umask, capabilities, noNewPrivileges, rlimits,
# oomScoreAdj, args lookup, inherited descriptors and signals.

load helpers

setup() {
	setup_common
}

teardown() {
	teardown_common
}

# capmask NAME...: the hex mask /proc/PID/status prints for these caps.
capmask() {
	local m=0 c
	declare -A bits=([CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_KILL]=5 [CAP_SETGID]=6 [CAP_SETUID]=7
		[CAP_NET_BIND_SERVICE]=10 [CAP_NET_ADMIN]=12 [CAP_NET_RAW]=13 [CAP_SYS_ADMIN]=21 [CAP_AUDIT_WRITE]=29)
	for c in "$@"; do
		m=$((m | (1 << ${bits[$c]})))
	done
	printf '%016x\n' "$m"
}

@test "env: process.env is the environment; HOME comes from /etc/passwd" {
	update_config '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
	set_args env
	run berth run --bundle "$BUNDLE" e1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' '|')" = "EMPTY=|FOO=bar baz|HOME=/root|PATH=/bin|" ]

	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run berth run --bundle "$BUNDLE" e2$X
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx HOME=/home/u <<<"$output"

	update_config '.process.env += ["HOME=/elsewhere"]'
	run berth run --bundle "$BUNDLE" e3$X
	echo "$output"
	grep -qx HOME=/elsewhere <<<"$output"
	[ "$(grep -c ^HOME= <<<"$output")" -eq 1 ]
}

@test "cwd: the process starts in process.cwd" {
	mkdir -p "$BUNDLE/rootfs/work/dir"
	update_config '.process.cwd = "/work/dir"'
	set_args pwd
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = /work/dir ]
}

@test "cwd: a process.cwd missing from the rootfs is made (0755, root's), as runc does" {
	update_config '.process.cwd = "/not/there/yet" | .process.user.uid = 1000'
	set_args sh -c 'pwd; stat -c "%a %u" /not/there/yet'
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /not/there/yet ]
	[ "${lines[1]}" = "755 0" ]
}

@test "umask: process.user.umask 0077" {
	update_config '.process.user.umask = 63 | .root.readonly = false'
	set_args sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
	run berth run --bundle "$BUNDLE" u1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0077 ]
	[ "${lines[1]}" = 600 ]
}

@test "umask: without process.user.umask the caller's umask applies" {
	update_config '.root.readonly = false'
	set_args sh -c 'umask'
	run bash -c 'umask 0027; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" u1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 0027 ]
}

@test "user: uid, gid and additionalGids" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20, 1000]}'
	set_args sh -c 'id -u; id -g; id -G; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	run berth run --bundle "$BUNDLE" u1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "$(tr ' ' '\n' <<<"${lines[2]}" | sort -n | tr '\n' ' ')" = "10 20 1000 " ]
	[ "$(echo ${lines[3]})" = "Uid: 1000 1000 1000 1000" ]
	[ "$(echo ${lines[4]})" = "Gid: 1000 1000 1000 1000" ]
	[ "$(echo ${lines[5]})" = "Groups: 10 20 1000" ]
}

@test "user: no additionalGids means no supplementary groups" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args grep ^Groups: /proc/self/status
	run berth run --bundle "$BUNDLE" u1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "Groups:" ]
}

@test "capabilities: the default set from berth-runtime spec" {
	set_args grep ^Cap /proc/self/status
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	want=$(capmask CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)
	[ "$want" = 0000000020000420 ]
	grep -qx "CapEff:	$want" <<<"$output"
	grep -qx "CapPrm:	$want" <<<"$output"
	grep -qx "CapBnd:	$want" <<<"$output"
	grep -qx "CapInh:	0000000000000000" <<<"$output"
	grep -qx "CapAmb:	0000000000000000" <<<"$output"
}

@test "capabilities: only CAP_KILL in every set" {
	update_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	set_args grep ^Cap /proc/self/status
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	for s in Inh Prm Eff Bnd Amb; do
		grep -qx "Cap$s:	0000000000000020" <<<"$output"
	done
}

@test "capabilities: no process.capabilities at all means none, not the runtime's" {
	update_config 'del(.process.capabilities)'
	set_args grep ^Cap /proc/self/status
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	for s in Inh Prm Eff Bnd Amb; do
		grep -qx "Cap$s:	0000000000000000" <<<"$output"
	done
}

@test "capabilities: differing bounding and permitted sets are applied as given" {
	update_config '.process.noNewPrivileges = true
		| .process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"], "effective": ["CAP_KILL", "CAP_CHOWN"], "permitted": ["CAP_KILL", "CAP_CHOWN"]}'
	set_args grep ^Cap /proc/self/status
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "CapBnd:	$(capmask CAP_KILL CAP_CHOWN CAP_NET_RAW)" <<<"$output"
	# With no_new_privs, root's permitted set after execve is no more than
	# it was before: the configured one, not the whole bounding set.
	grep -qx "CapPrm:	$(capmask CAP_KILL CAP_CHOWN)" <<<"$output"
	grep -qx "CapEff:	$(capmask CAP_KILL CAP_CHOWN)" <<<"$output"
	grep -qx "CapInh:	0000000000000000" <<<"$output"
}

@test "capabilities: a non-root user keeps ambient capabilities" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {"bounding": ["CAP_KILL", "CAP_NET_RAW"], "effective": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	set_args grep ^Cap /proc/self/status
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "CapEff:	0000000000000020" <<<"$output"
	grep -qx "CapPrm:	0000000000000020" <<<"$output"
	grep -qx "CapAmb:	0000000000000020" <<<"$output"
	grep -qx "CapBnd:	$(capmask CAP_KILL CAP_NET_RAW)" <<<"$output"
}

@test "capabilities: a dropped capability is really missing" {
	update_config '.root.readonly = false | .process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	echo x >"$BUNDLE/rootfs/tmp/owned"
	chown 1000:1000 "$BUNDLE/rootfs/tmp/owned"
	chmod 0600 "$BUNDLE/rootfs/tmp/owned"
	# root without CAP_DAC_OVERRIDE cannot read a 0600 file of uid 1000.
	set_args sh -c 'cat /tmp/owned; echo "cat=$?"; chown 0 /tmp/owned; echo "chown=$?"'
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cat=1"* ]]
	[[ "$output" == *"chown=1"* ]]
	[ "$(stat -c %u "$BUNDLE/rootfs/tmp/owned")" = 1000 ]
}

@test "noNewPrivileges: true sets NoNewPrivs, false does not" {
	update_config '.process.noNewPrivileges = true'
	set_args grep ^NoNewPrivs: /proc/self/status
	run berth run --bundle "$BUNDLE" n1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "NoNewPrivs: 1" ]

	update_config '.process.noNewPrivileges = false'
	run berth run --bundle "$BUNDLE" n2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "NoNewPrivs: 0" ]
}

@test "rlimits: RLIMIT_NOFILE 512/512 and RLIMIT_CORE 0/0" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 512}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	set_args sh -c 'grep -E "^Max (open files|core file size)" /proc/self/limits; ulimit -n'
	run berth run --bundle "$BUNDLE" r1$X
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qE '^Max core file size +0 +0 +bytes' <<<"$output"
	grep -qE '^Max open files +512 +512 +files' <<<"$output"
	[ "${lines[2]}" = 512 ]
}

@test "rlimits: soft below hard" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 900}]'
	set_args sh -c 'ulimit -Sn; ulimit -Hn'
	run berth run --bundle "$BUNDLE" r1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100 ]
	[ "${lines[1]}" = 900 ]
}

@test "rlimits: a hard limit this host cannot raise fails create, naming the limit" {
	# This host has no CAP_SYS_RESOURCE: the hard limit of 20000 cannot grow.
	[ "$(ulimit -Hn)" -le 20000 ] || skip "the hard RLIMIT_NOFILE here is $(ulimit -Hn), not capped at 20000"
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 40000, "hard": 40000}]'
	runbg create --bundle "$BUNDLE" r1$X
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *RLIMIT_NOFILE* ]]
	assert_nothing_left
}

@test "oomScoreAdj: raised to 500" {
	update_config '.process.oomScoreAdj = 500'
	set_args cat /proc/self/oom_score_adj
	run berth run --bundle "$BUNDLE" o1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 500 ]
	# The runtime's own score is unchanged.
	[ "$(cat /proc/self/oom_score_adj)" != 500 ]
}

@test "oomScoreAdj: lowering below the current value fails clearly on this host" {
	cur=$(cat /proc/self/oom_score_adj)
	low=$((cur - 500))
	[ "$low" -ge -1000 ] || low=-1000
	update_config '.process.oomScoreAdj = ($v | tonumber)' --arg v "$low"
	runbg create --bundle "$BUNDLE" o1$X
	if [ "$status" -eq 0 ]; then
		# A host that allows it (CAP_SYS_RESOURCE): then it must be applied.
		[ "$(cat "/proc/$(ct_pid o1$X)/oom_score_adj")" = "$low" ]
		skip "this host allows lowering oom_score_adj"
	fi
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *oom_score_adj* ]]
	assert_nothing_left
}

@test "args[0] is looked up in the process's PATH" {
	mkdir -p "$BUNDLE/rootfs/opt/tools"
	printf '#!/bin/sh\necho custom-tool "$@"\n' >"$BUNDLE/rootfs/opt/tools/mytool"
	chmod 0755 "$BUNDLE/rootfs/opt/tools/mytool"
	update_config '.process.env = ["PATH=/opt/tools:/bin"]'
	set_args mytool a1
	run berth run --bundle "$BUNDLE" a1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "custom-tool a1" ]
}

@test "args[0] not found: create fails with executable file not found in \$PATH" {
	set_args no-such-program
	runbg create --bundle "$BUNDLE" a1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *'"no-such-program": executable file not found in $PATH'* ]]
	assert_nothing_left
}

@test "args[0] an absolute path that does not exist: create fails" {
	set_args /bin/nope
	runbg create --bundle "$BUNDLE" a1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *"/bin/nope"* ]]
	[[ "$output" == *"no such file or directory"* ]]
	assert_nothing_left
}

@test "no descriptors leak into the container: only 0 1 2" {
	set_args sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	# Descriptors of the caller that are not marked close-on-exec.
	run bash -c 'exec 5</etc/hostname 7>/dev/null; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" f1$X
	echo "$output"
	[ "$status" -eq 0 ]
	# 3 is the directory ls itself opens.
	[ "$output" = "0 1 2 3 " ]
}

@test "no descriptors leak into a created-then-started container" {
	set_args sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	DETACHED_N=$((DETACHED_N + 1))
	bash -c 'exec 5</etc/hostname 7>/dev/null; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" f1$X \
		>"$TESTDIR/f1.out" 2>&1 </dev/null 3>&-
	berth start f1$X
	wait_status f1$X stopped
	cat "$TESTDIR/f1.out"
	[ "$(cat "$TESTDIR/f1.out")" = "0 1 2 3 " ]
}

@test "--preserve-fds 1: the caller's fd 3 is visible inside" {
	echo preserved-content >"$TESTDIR/fd3"
	set_args sh -c 'cat <&3; ls /proc/self/fd | sort -n | tr "\n" " "'
	run timeout 30 "$BERTH_RUNTIME" --root "$ROOT" run --preserve-fds 1 --bundle "$BUNDLE" p1$X 3<"$TESTDIR/fd3"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = preserved-content ]
	# 0 1 2, the preserved 3, and ls's own 4.
	[ "${lines[1]}" = "0 1 2 3 4 " ]
}

@test "--preserve-fds 0 (the default) closes fd 3" {
	echo content >"$TESTDIR/fd3"
	set_args sh -c 'cat <&3; echo "cat=$?"'
	run timeout 30 "$BERTH_RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" p1$X 3<"$TESTDIR/fd3"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *content* ]]
	[[ "$output" == *"cat=1"* || "$output" == *"cat=2"* ]]
}

@test "LISTEN_FDS=1 in the caller's environment: LISTEN_FDS=1 and fd 3 inside" {
	echo socket-activated >"$TESTDIR/fd3"
	set_args sh -c 'echo "LISTEN_FDS=$LISTEN_FDS"; echo "LISTEN_PID=$LISTEN_PID"; cat <&3'
	# LISTEN_PID names the process the descriptors are for: the runtime
	# itself (bash execs it, keeping its pid).
	run timeout 30 bash -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" l1$X 3<"$TESTDIR/fd3"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = LISTEN_FDS=1 ]
	[ "${lines[1]}" = LISTEN_PID=1 ]
	[ "${lines[2]}" = socket-activated ]
}

@test "the process starts with no blocked signals (create + start)" {
	set_args grep -E '^Sig(Blk)' /proc/self/status
	create_ct s1$X
	out=$BG_OUT
	berth start s1$X
	wait_status s1$X stopped
	cat "$out"
	[ "$(echo $(cat "$out"))" = "SigBlk: 0000000000000000" ]
}

@test "the process starts with no blocked signals (run)" {
	set_args grep -E '^Sig(Blk)' /proc/self/status
	run berth run --bundle "$BUNDLE" s1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "SigBlk: 0000000000000000" ]
}

@test "stdio: the process gets the caller's stdin, stdout and stderr" {
	set_args sh -c 'read line; echo "got:$line"; echo to-stderr >&2'
	run bash -c 'echo from-stdin | "$@" 2>"$0"' "$TESTDIR/stderr" "$BERTH_RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" s1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = got:from-stdin ]
	[ "$(cat "$TESTDIR/stderr")" = to-stderr ]
}
