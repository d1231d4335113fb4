#!/usr/bin/env bats
# The rest of config-linux.md and config.md's Linux process: sysctl,
# personality, scheduler, ioPriority, memoryPolicy, netDevices, intelRdt,
# and the LSM fields (apparmorProfile, selinuxLabel, mountLabel), which this
# host cannot honour.

load helpers

setup() {
	setup_common
	VETH=()
}

teardown() {
	teardown_common
	local l
	for l in "${VETH[@]}"; do
		ip link del "$l" 2>/dev/null || true
	done
}

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

# applet NAME...: busybox applets the default rootfs lacks.
applet() {
	local a
	for a in "$@"; do
		ln -sf busybox "$BUNDLE/rootfs/bin/$a"
	done
}

@test "sysctl: namespaced net.ipv4.ip_forward and kernel.shmmax are set inside, not on the host" {
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_shmmax=$(cat /proc/sys/kernel/shmmax)
	set_args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax'
	run berth run --bundle "$BUNDLE" s0$X
	echo "$output"
	[ "$status" -eq 0 ]
	# ip_forward is set to what a new network namespace does not start with.
	fwd=$((1 - lines[0]))
	[ "${lines[1]}" != 68719476736 ]

	update_config '.linux.sysctl = {"net.ipv4.ip_forward": $f, "kernel.shmmax": "68719476736"}' --arg f "$fwd"
	run berth run --bundle "$BUNDLE" s1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$fwd" ]
	[ "${lines[1]}" = 68719476736 ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
	[ "$(cat /proc/sys/kernel/shmmax)" = "$host_shmmax" ]
}

@test "sysctl: a non-namespaced key is refused with the reason, leaving nothing" {
	pid_max=$(cat /proc/sys/kernel/pid_max)
	update_config '.linux.sysctl = {"kernel.pid_max": "65536"}'
	create_fails s1$X "linux.sysctl" kernel.pid_max "not namespaced"
	[ "$(cat /proc/sys/kernel/pid_max)" = "$pid_max" ]
}

@test "sysctl: net.* without a network namespace and kernel.shm* without an ipc namespace are refused" {
	update_config '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	create_fails s1$X net.ipv4.ip_forward "network namespace"
	CONFIG_BUNDLE= make_bundle "$BUNDLE"
	update_config '.linux.namespaces |= map(select(.type != "ipc")) | .linux.sysctl = {"kernel.shmmax": "68719476736"}'
	create_fails s2$X kernel.shmmax "ipc namespace"
}

@test "personality LINUX32: uname -m shows i686" {
	set_args uname -m
	run berth run --bundle "$BUNDLE" p0$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = x86_64 ]
	update_config '.linux.personality = {"domain": "LINUX32"}'
	run berth run --bundle "$BUNDLE" p1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = i686 ]
	# An unknown domain is refused.
	update_config '.linux.personality = {"domain": "LINUX16"}'
	create_fails p2$X "linux.personality.domain" LINUX16
}

@test "scheduler SCHED_BATCH nice 5: /proc/self/stat nice is 5, policy 3" {
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
	# Fields 19 (nice) and 41 (policy) of /proc/self/stat, counted after the comm.
	set_args sh -c 'awk "{ sub(/.*\\) /, \"\"); print \$17, \$39 }" /proc/self/stat; grep -E "^policy" /proc/self/sched || true'
	run berth run --bundle "$BUNDLE" s1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "5 3" ]
	if [ "${#lines[@]}" -gt 1 ]; then
		[ "$(echo ${lines[1]})" = "policy : 3" ]
	fi
	# An unknown policy is refused.
	update_config '.process.scheduler = {"policy": "SCHED_SOMETIMES"}'
	create_fails s2$X "process.scheduler.policy" SCHED_SOMETIMES
}

@test "ioPriority IOPRIO_CLASS_IDLE: the process's I/O class is idle" {
	applet ionice
	set_args sh -c 'ionice -p $$'
	run berth run --bundle "$BUNDLE" i0$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != idle* ]]
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	run berth run --bundle "$BUNDLE" i1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == idle* ]]
	# As the host sees it.
	if command -v ionice >/dev/null; then
		set_args sleep 1000
		start_ct i2$X
		ionice -p "$(ct_pid i2$X)"
		[[ "$(ionice -p "$(ct_pid i2$X)")" == idle* ]]
		berth delete --force i2$X
	fi
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_NOPE", "priority": 0}'
	create_fails i3$X "process.ioPriority.class" IOPRIO_CLASS_NOPE
}

@test "memoryPolicy MPOL_BIND nodes 0: accepted, and the process's policy is bind:0" {
	[ -d /sys/devices/system/node/node0 ] || skip "no NUMA node 0"
	set_args sh -c 'head -3 /proc/self/numa_maps'
	run berth run --bundle "$BUNDLE" m0$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *bind* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
	run berth run --bundle "$BUNDLE" m1$X
	echo "$output"
	[ "$status" -eq 0 ]
	# numa_maps shows the reader's own policy for mappings without one of their own.
	[ "$(grep -c ' bind:0 ' <<<"$output")" -eq "${#lines[@]}" ]
}

@test "memoryPolicy: an unknown mode, bad nodes and MPOL_BIND without nodes are refused" {
	update_config '.linux.memoryPolicy = {"mode": "MPOL_WHEREVER", "nodes": "0"}'
	create_fails m1$X "linux.memoryPolicy.mode" MPOL_WHEREVER
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "zero"}'
	create_fails m2$X "linux.memoryPolicy.nodes" zero
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND"}'
	create_fails m3$X "linux.memoryPolicy.nodes" MPOL_BIND
	update_config '.linux.memoryPolicy = {"mode": "MPOL_DEFAULT", "flags": ["MPOL_F_NOPE"]}'
	create_fails m4$X "linux.memoryPolicy.flags[0]" MPOL_F_NOPE
}

@test "netDevices: a veth end moves in, renamed, with its address, and up" {
	command -v ip >/dev/null || skip "no ip command"
	a=bv${RANDOM}a
	b=bv${RANDOM}b
	ip link add "$a" type veth peer name "$b"
	VETH+=("$a" "$b")
	ip addr add 10.199.77.2/24 dev "$a"
	applet ip
	update_config '.linux.netDevices = {($a): {"name": "ctr7"}}' --arg a "$a"
	set_args sh -c 'ip -o link show ctr7; ip -o -4 addr show dev ctr7; exec sleep 1000'
	start_ct n1$X
	sleep 0.3
	# Gone from the host's namespace while the container has it.
	not ip link show "$a"
	cat "$BG_OUT"
	out=$(cat "$BG_OUT")
	[[ "$out" == *"ctr7"*"<"*"UP"*">"* ]]
	[[ "$out" == *"inet 10.199.77.2/24"* ]]
	run berth exec n1$X ip -o link show
	echo "$output"
	[[ "$output" != *"$a"* ]]
	[[ "$output" == *ctr7* ]]
}

@test "netDevices: an interface that does not exist is refused, leaving nothing" {
	update_config '.linux.netDevices = {"berthnosuch0": {"name": "eth9"}}'
	create_fails n1$X "linux.netDevices.berthnosuch0" "no such interface"
}

@test "intelRdt is refused clearly on this host (no resctrl), leaving nothing" {
	[ -d /sys/fs/resctrl/info ] && skip "this host has resctrl"
	update_config '.linux.intelRdt = {"closID": "berth-test", "l3CacheSchema": "L3:0=ffff"}'
	create_fails r1$X "linux.intelRdt" resctrl
}

@test "apparmorProfile and selinuxLabel are refused clearly (no such LSM), leaving nothing" {
	lsm=$(cat /sys/kernel/security/lsm 2>/dev/null || true)
	[[ ",$lsm," == *,apparmor,* ]] && skip "AppArmor is enabled here"
	[[ ",$lsm," == *,selinux,* ]] && skip "SELinux is enabled here"
	update_config '.process.apparmorProfile = "berth-test-profile"'
	create_fails a1$X "process.apparmorProfile" AppArmor "not enabled"
	update_config 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	create_fails a2$X "process.selinuxLabel" SELinux "not enabled"
}

@test "mountLabel without SELinux: the container runs, with a warning that names the field" {
	lsm=$(cat /sys/kernel/security/lsm 2>/dev/null || true)
	[[ ",$lsm," == *,selinux,* ]] && skip "SELinux is enabled here"
	update_config '.linux.mountLabel = "system_u:object_r:container_file_t:s0"'
	set_args echo labelled
	run berth run --bundle "$BUNDLE" a3$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = labelled ]
	[[ "$output" == *"linux.mountLabel: SELinux is not enabled"* ]]
	assert_nothing_left a3$X
}
