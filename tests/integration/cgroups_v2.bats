#!/usr/bin/env bats
# The cgroup v2 driver, forced onto this host's (empty) unified tree with
# BERTH_CGROUP_V2_ROOT: the container's cgroup, pause through cgroup.freeze,
# kill --all through cgroup.kill, the eBPF device filter, and the refusal of
# controllers the tree does not offer.
#
# The tree offers no controller but hugetlb, so these tests ask for none:
# enabling one would write the tree's root cgroup.subtree_control.

load helpers

V2=/sys/fs/cgroup/unified

setup() {
	[ -f "$V2/cgroup.procs" ] || skip "no cgroup v2 tree at $V2"
	setup_common
	CG=/berth-test$X
	CGPATH=$CG/c
	# Only the runtime commands of this test see it (bats runs each test
	# in a process of its own).
	export BERTH_CGROUP_V2_ROOT=$V2
	# The default config's device rule is "deny all"; nothing matching is
	# denied anyway, so the other tests give no rule of their own (see the
	# test of the default config below).
	update_config '.linux.cgroupsPath = $p | .linux.resources.devices = []' --arg p "$CGPATH"
}

teardown() {
	teardown_common
	local n=40
	while [ -d "$V2$CG" ] && [ "$n" -gt 0 ]; do
		[ ! -d "$V2$CGPATH" ] || rmdir "$V2$CGPATH" 2>/dev/null || true
		rmdir "$V2$CG" 2>/dev/null || true
		sleep 0.05
		n=$((n - 1))
	done
	[ ! -d "$V2$CG" ] || echo "could not remove $V2$CG" >&2
}

# stat_field PID N: field N of /proc/PID/stat (counted after the comm).
stat_field() {
	awk -v n="$2" '{ sub(/.*\) /, ""); print $(n - 2) }' "/proc/$1/stat"
}

# cpu_usec: usage_usec of the container's cgroup (cpu.stat is always there).
cpu_usec() {
	awk '$1 == "usage_usec" { print $2 }' "$V2$CGPATH/cpu.stat"
}

@test "v2: the container's cgroup is made in the unified tree; cgroup.procs lists the init" {
	start_ct c1$X
	pid=$(ct_pid c1$X)
	cat "/proc/$pid/cgroup"
	grep -qx "0::$CGPATH" "/proc/$pid/cgroup"
	[ -d "$V2$CGPATH" ]
	[ "$(cat "$V2$CGPATH/cgroup.procs")" = "$pid" ]
	# An exec'd process joins it too.
	runbg exec -d --pid-file "$TESTDIR/e.pid" c1$X sleep 999
	[ "$status" -eq 0 ]
	epid=$(cat "$TESTDIR/e.pid")
	grep -qx "0::$CGPATH" "/proc/$epid/cgroup"
	run berth ps --format json c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e --argjson a "$pid" --argjson b "$epid" 'sort == ([$a, $b] | sort)' <<<"$output"
	# The v2 driver uses the one tree: nothing in the v1 hierarchies.
	[ ! -e "/sys/fs/cgroup/memory$CGPATH" ]
	[ ! -e "/sys/fs/cgroup/pids$CGPATH" ]
}

@test "v2: the default config (devices: deny all) runs" {
	update_config '.linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	set_args sh -c 'echo x > /dev/null && echo null-ok'
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = null-ok ]
}

@test "v2: pause writes cgroup.freeze, cgroup.events shows frozen 1, the busy loop stops; resume thaws" {
	set_args sh -c 'while :; do :; done'
	start_ct c1$X
	pid=$(ct_pid c1$X)
	sleep 0.3
	run berth pause c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ct_status c1$X)" = paused ]
	[ "$(cat "$V2$CGPATH/cgroup.freeze")" = 1 ]
	grep -qx 'frozen 1' "$V2$CGPATH/cgroup.events"
	u1=$(cpu_usec)
	t1=$(($(stat_field "$pid" 14) + $(stat_field "$pid" 15)))
	sleep 1
	u2=$(cpu_usec)
	t2=$(($(stat_field "$pid" 14) + $(stat_field "$pid" 15)))
	echo "paused: usage_usec $u1 -> $u2, utime+stime $t1 -> $t2"
	[ "$u2" -eq "$u1" ]
	[ "$t2" -eq "$t1" ]
	run berth resume c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ct_status c1$X)" = running ]
	[ "$(cat "$V2$CGPATH/cgroup.freeze")" = 0 ]
	grep -qx 'frozen 0' "$V2$CGPATH/cgroup.events"
	sleep 0.5
	u3=$(cpu_usec)
	echo "resumed: usage_usec $u2 -> $u3"
	[ "$u3" -gt $((u2 + 100000)) ]
}

@test "v2: kill --all KILL (cgroup.kill) ends every process, a detached one too" {
	update_config '.linux.namespaces |= map(select(.type != "pid")) | .root.readonly = false'
	ln -s busybox "$BUNDLE/rootfs/bin/setsid"
	set_args sh -c '(setsid sh -c "echo \$\$ > /tmp/detached.pid; exec sleep 1000" &); exec sleep 1000'
	start_ct c1$X
	init=$(ct_pid c1$X)
	runbg exec -d --pid-file "$TESTDIR/e.pid" c1$X sleep 999
	[ "$status" -eq 0 ]
	epid=$(cat "$TESTDIR/e.pid")
	wait_file "$BUNDLE/rootfs/tmp/detached.pid"
	dpid=$(cat "$BUNDLE/rootfs/tmp/detached.pid")
	[ "$(awk '$1 == "PPid:" { print $2 }' "/proc/$dpid/status")" != "$init" ]
	[ "$(sort -n "$V2$CGPATH/cgroup.procs" | tr '\n' ' ')" = "$(printf '%s\n' "$init" "$epid" "$dpid" | sort -n | tr '\n' ' ')" ]
	[ -f "$V2$CGPATH/cgroup.kill" ]
	run berth kill --all c1$X KILL
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status c1$X stopped
	n=50
	while [ -s "$V2$CGPATH/cgroup.procs" ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ ! -s "$V2$CGPATH/cgroup.procs" ]
	not pid_alive "$init"
	not pid_alive "$epid"
	not pid_alive "$dpid"
}

@test "v2: delete removes the container's cgroup directory" {
	start_ct c1$X
	[ -d "$V2$CGPATH" ]
	run berth delete --force c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$V2$CGPATH" ]
	[ -d "$V2$CG" ] # the parent is the test's
	assert_nothing_left c1$X
}

@test "v2: the eBPF filter keeps the default devices usable when the config denies them, as v1 does" {
	# The same rule order as the v1 driver: the config's rules, then the
	# default devices the spec says the runtime MUST supply.
	update_config '.linux.resources.devices = [{"allow": true, "access": "rwm"},
		{"allow": false, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]'
	set_args sh -c 'head -c1 /dev/zero | wc -c; echo x > /dev/null && echo null-ok'
	run berth run --bundle "$BUNDLE" d1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1" ]
	[[ "$output" == *null-ok* ]]
}

@test "v2: device rules: c 10:* allowed, c 10:229 (/dev/fuse) denied after it" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host"
	update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]
		| .linux.resources.devices = [{"allow": true, "type": "c", "major": 10, "access": "rwm"}]'
	set_args sh -c 'true < /dev/fuse && echo open-ok; echo x > /dev/null && echo null-ok'
	run berth run --bundle "$BUNDLE" d1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *open-ok* ]]
	[[ "$output" == *null-ok* ]]
	update_config '.linux.resources.devices += [{"allow": false, "type": "c", "major": 10, "minor": 229, "access": "rw"}]'
	run berth run --bundle "$BUNDLE" d2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/fuse"*"Operation not permitted"* ]]
	[[ "$output" != *open-ok* ]]
	[[ "$output" == *null-ok* ]]
}

@test "v2: update replaces the device filter of a running container" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host"
	update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]
		| .linux.resources.devices = [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]'
	start_ct c1$X
	probe() {
		berth exec c1$X sh -c 'true < /dev/fuse && echo open-ok; echo x > /dev/null && echo null-ok' 2>&1
	}
	run probe
	echo "$output"
	[[ "$output" == *open-ok* ]]

	run berth update --resources - c1$X <<<'{"devices": [{"allow": false, "type": "c", "major": 10, "minor": 229, "access": "rw"}]}'
	echo "$output"
	[ "$status" -eq 0 ]
	run probe
	echo "$output"
	[[ "$output" == *"/dev/fuse"*"Operation not permitted"* ]]
	[[ "$output" == *null-ok* ]]

	# Allowed again: the deny program is gone, not stacked under the new one.
	run berth update --resources - c1$X <<<'{"devices": [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]}'
	echo "$output"
	[ "$status" -eq 0 ]
	run probe
	echo "$output"
	[[ "$output" == *open-ok* ]]
}

@test "v2: a memory limit needs the memory controller, which this tree lacks: create fails clearly, leaving nothing" {
	grep -qw memory "$V2/cgroup.controllers" && skip "this v2 tree has the memory controller"
	subtree=$(cat "$V2/cgroup.subtree_control")
	update_config '.linux.resources.memory = {"limit": 33554432}'
	runbg create --bundle "$BUNDLE" m1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"memory controller is not available"* ]]
	[[ "$output" == *"$V2"* ]]
	[ ! -e "$V2$CGPATH" ]
	assert_nothing_left m1$X
	[ "$(cat "$V2/cgroup.subtree_control")" = "$subtree" ]
}
