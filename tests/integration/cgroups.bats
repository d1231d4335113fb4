#!/usr/bin/env bats
# Resource limits through the cgroup v1 driver (config-linux.md "Control
# groups"), and the commands that act on a container through its cgroup:
# update, pause, resume, ps, events, kill --all, delete --force.
#
# Every cgroup a test makes is under /berth-test$X in each hierarchy;
# teardown removes those directories (the runtime removes the leaf).

load helpers

# The v1 hierarchies this host mounts (the runtime also joins the empty v2
# tree beside them, "unified", for cgroup.kill and cgroup.events).
V1_HIERARCHIES=(cpu cpuacct cpuset memory devices freezer blkio pids systemd)

setup() {
	setup_common
	CG=/berth-test$X
	CGPATH=$CG/c
	unset BERTH_CGROUP_V2_ROOT
}

teardown() {
	teardown_common
	remove_test_cgroups
}

# remove_test_cgroups: every directory named berth-test$X, and what is below
# it, in every hierarchy (deepest first; a process the test put there is
# killed by teardown_common and may take a moment to leave).
remove_test_cgroups() {
	local dirs d n=40
	while [ "$n" -gt 0 ]; do
		dirs=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 9 -depth -type d \
			\( -name "berth-test$X" -o -path "*/berth-test$X/*" \) 2>/dev/null)
		[ -n "$dirs" ] || return 0
		for d in $dirs; do
			rmdir "$d" 2>/dev/null || true
		done
		sleep 0.05
		n=$((n - 1))
	done
	echo "could not remove: $dirs" >&2
}

# host_cg HIERARCHY [FILE]: the container's cgroup directory (or a file in it)
# on the host, for cgroupsPath $CGPATH.
host_cg() {
	echo "/sys/fs/cgroup/$1$CGPATH${2:+/$2}"
}

# with_cgroup JSON: linux.cgroupsPath = $CGPATH and linux.resources += JSON.
with_cgroup() {
	local r=${1-}
	[ -n "$r" ] || r='{}'
	update_config '.linux.cgroupsPath = $p | .linux.resources += $r' --arg p "$CGPATH" --argjson r "$r"
}

# cpu_usage: cpuacct.usage (ns) of the container's cgroup.
cpu_usage() {
	cat "$(host_cg cpuacct cpuacct.usage)"
}

@test "limits: memory, cpu quota, period and shares, pids, cpuset, seen inside and on the host" {
	# The last CPU the host offers (not the whole set).
	cpu=$(awk -F'[-,]' '{ print $NF }' /sys/fs/cgroup/cpuset/cpuset.effective_cpus)
	with_cgroup "$(jq -nc --arg c "$cpu" '{memory: {limit: 33554432}, cpu: {quota: 20000, period: 50000, shares: 512, cpus: $c},
		pids: {limit: 42}}')"
	start_ct c1$X
	pid=$(ct_pid c1$X)
	run berth exec c1$X sh -c 'cd /sys/fs/cgroup
		cat memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares pids/pids.max cpuset/cpuset.cpus
		grep Cpus_allowed_list /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 33554432 ]
	[ "${lines[1]}" = 20000 ]
	[ "${lines[2]}" = 50000 ]
	[ "${lines[3]}" = 512 ]
	[ "${lines[4]}" = 42 ]
	[ "${lines[5]}" = "$cpu" ]
	[ "$(echo ${lines[6]})" = "Cpus_allowed_list: $cpu" ]
	# The same files on the host, under the cgroupsPath.
	[ "$(cat "$(host_cg memory memory.limit_in_bytes)")" = 33554432 ]
	[ "$(cat "$(host_cg cpu cpu.cfs_quota_us)")" = 20000 ]
	[ "$(cat "$(host_cg cpu cpu.cfs_period_us)")" = 50000 ]
	[ "$(cat "$(host_cg cpu cpu.shares)")" = 512 ]
	[ "$(cat "$(host_cg pids pids.max)")" = 42 ]
	[ "$(cat "$(host_cg cpuset cpuset.cpus)")" = "$cpu" ]
	# The init is in the container's cgroup of every hierarchy.
	for h in "${V1_HIERARCHIES[@]}" unified; do
		grep -qx "$pid" "$(host_cg "$h" cgroup.procs)" || {
			echo "init $pid not in $(host_cg "$h")"
			false
		}
	done
}

@test "/proc/self/cgroup: / inside (cgroup namespace); the cgroupsPath on the host" {
	with_cgroup
	start_ct c1$X
	pid=$(ct_pid c1$X)
	run berth exec c1$X cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 10 ]
	# Every hierarchy, the v2 one (0::) included, is rooted at the container's cgroup.
	[ "$(grep -c ':/$' <<<"$output")" -eq "${#lines[@]}" ]
	grep -qx '0::/' <<<"$output"
	cat "/proc/$pid/cgroup"
	for h in cpu cpuacct cpuset memory devices freezer blkio pids name=systemd ""; do
		[ "$(awk -F: -v h="$h" '$2 == h { print $3 }' "/proc/$pid/cgroup")" = "$CGPATH" ] || {
			echo "hierarchy \"$h\": not in $CGPATH"
			false
		}
	done
}

@test "pids.limit stops a fork bomb; the container can still be killed" {
	with_cgroup '{"pids": {"limit": 20}}'
	update_config '.root.readonly = false'
	# awk tries 100 times to start a background sleep; each try that cannot
	# fork fails alone ("can't fork"), and awk goes on.
	set_args sh -c 'awk "BEGIN { for (i = 0; i < 100; i++) if (system(\"sleep 1000 &\") == 0) n++; print n }" \
			>/tmp/started 2>/tmp/errors; echo done >/tmp/done; exec sleep 1000'
	start_ct c1$X
	wait_file "$BUNDLE/rootfs/tmp/done" 200
	started=$(cat "$BUNDLE/rootfs/tmp/started")
	failed=$(grep -c 'Resource temporarily unavailable' "$BUNDLE/rootfs/tmp/errors" || true)
	echo "started=$started failed=$failed"
	head -3 "$BUNDLE/rootfs/tmp/errors"
	# 20 tasks: the init, awk, the sh of the try, 17 sleeps.
	[ "$started" -eq 17 ]
	[ "$failed" -eq $((100 - started)) ]
	[ "$(cat "$(host_cg pids pids.max)")" = 20 ]
	[ "$(cat "$(host_cg pids pids.current)")" -eq $((started + 1)) ]
	run berth kill c1$X KILL
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status c1$X stopped
	n=50
	while [ "$(cat "$(host_cg pids pids.current)")" -ne 0 ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ "$(cat "$(host_cg pids pids.current)")" -eq 0 ]
}

@test "a memory limit: an allocation beyond it is OOM-killed; events reports it" {
	# 16 MiB and no swap (memory+swap equal to memory); a child shell tries
	# to hold 64 MiB.
	with_cgroup '{"memory": {"limit": 16777216, "swap": 16777216}}'
	update_config '.root.readonly = false'
	# The hog volunteers as the OOM killer's victim (oom_score_adj 1000).
	set_args sh -c 'sh -c "echo 1000 > /proc/self/oom_score_adj; x=\$(head -c 67108864 /dev/zero | tr \"\\0\" a); echo \${#x}"; echo "hog=$?" >/tmp/hog; exec sleep 1000'
	create_ct c1$X
	berth events --interval 1s c1$X >"$TESTDIR/events.out" 2>"$TESTDIR/events.err" </dev/null &
	BG_PIDS+=($!)
	sleep 0.3
	berth start c1$X
	n=200
	while [ ! -s "$BUNDLE/rootfs/tmp/hog" ] && [ "$(ct_status c1$X)" = running ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	echo "status: $(ct_status c1$X)"
	cat "$(host_cg memory memory.oom_control)" "$BUNDLE/rootfs/tmp/hog"
	# The hog died of SIGKILL; the init lives on.
	[ "$(cat "$BUNDLE/rootfs/tmp/hog")" = hog=137 ]
	[ "$(ct_status c1$X)" = running ]
	[ "$(awk '$1 == "oom_kill" { print $2 }' "$(host_cg memory memory.oom_control)")" -ge 1 ]
	# events prints {"type":"oom"} (it looks every 100 ms).
	n=30
	while ! grep -q '"type": *"oom"' "$TESTDIR/events.out" && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	cat "$TESTDIR/events.out" "$TESTDIR/events.err"
	grep '"type": *"oom"' "$TESTDIR/events.out" | jq -e --arg id "c1$X" '.id == $id'
	# events --stats: one stats object with the limit and the peak.
	run berth events --stats c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e --arg id "c1$X" '.type == "stats" and .id == $id' <<<"$output"
	jq -e '.data.memory.usage.limit == 16777216' <<<"$output"
	jq -e '.data.memory.usage.max == 16777216' <<<"$output"
	jq -e '.data.pids.current >= 1' <<<"$output"
	berth kill c1$X KILL
	wait_status c1$X stopped
}

@test "devices: the default devices stay usable even when the config denies them" {
	# config-linux.md "Default Devices": the runtime MUST supply /dev/zero
	# and the others, so their allow rules come after the config's (as runc
	# appends them); a deny of a non-default device is tested below.
	with_cgroup
	update_config '.linux.resources.devices = [{"allow": true, "access": "rwm"},
		{"allow": false, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]'
	set_args sh -c 'head -c1 /dev/zero | wc -c; echo x > /dev/null && echo null-ok'
	run berth run --bundle "$BUNDLE" d1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1" ]
	[[ "$output" == *null-ok* ]]
}

@test "devices: a deny rule blocks a device the config allowed (c 10:229, /dev/fuse)" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host"
	update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]'
	set_args sh -c 'true < /dev/fuse && echo open-ok; echo x > /dev/null && echo null-ok'
	# Allowed: it opens.
	CGPATH=$CG/a
	with_cgroup
	update_config '.linux.resources.devices = [{"allow": true, "access": "rwm"}]'
	run berth run --bundle "$BUNDLE" d1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *open-ok* ]]
	# Denied after allowing all: open fails with EPERM; the rest still works.
	CGPATH=$CG/d
	with_cgroup
	update_config '.linux.resources.devices += [{"allow": false, "type": "c", "major": 10, "minor": 229, "access": "rw"}]'
	run berth run --bundle "$BUNDLE" d2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/fuse"*"Operation not permitted"* ]]
	[[ "$output" != *open-ok* ]]
	[[ "$output" == *null-ok* ]]
}

@test "pause freezes a busy loop; resume thaws it; state shows paused, then running" {
	with_cgroup
	set_args sh -c 'while :; do :; done'
	start_ct c1$X
	pid=$(ct_pid c1$X)
	sleep 0.3
	run berth pause c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ct_status c1$X)" = paused ]
	[ "$(cat "$(host_cg freezer freezer.state)")" = FROZEN ]
	u1=$(cpu_usage)
	t1=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")
	sleep 1
	u2=$(cpu_usage)
	t2=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")
	echo "paused: cpuacct $u1 -> $u2, utime+stime $t1 -> $t2"
	[ "$u2" -eq "$u1" ]
	[ "$t2" -eq "$t1" ]
	run berth resume c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ct_status c1$X)" = running ]
	[ "$(cat "$(host_cg freezer freezer.state)")" = THAWED ]
	sleep 0.5
	u3=$(cpu_usage)
	echo "resumed: cpuacct $u2 -> $u3"
	# At least 100 ms of CPU in half a second.
	[ "$u3" -gt $((u2 + 100000000)) ]
}

@test "pause and resume refuse containers in the wrong state; update refuses a stopped one" {
	with_cgroup
	create_ct c1$X
	# A created container can be paused and resumed (runc allows it), and
	# is created again after.
	berth pause c1$X
	[ "$(ct_status c1$X)" = paused ]
	[ "$(cat "$(host_cg freezer freezer.state)")" = FROZEN ]
	berth resume c1$X
	[ "$(ct_status c1$X)" = created ]
	berth start c1$X
	run berth resume c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot resume container c1$X"*"running"* ]]
	[ "$(cat "$(host_cg freezer freezer.state)")" = THAWED ]
	berth kill c1$X KILL
	wait_status c1$X stopped
	run berth pause c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot pause container c1$X: it is stopped"* ]]
	run berth update --pids-limit 10 c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stopped"* ]]
}

@test "delete --force of a paused container kills it and removes its cgroups" {
	with_cgroup
	start_ct c1$X
	init=$(ct_pid c1$X)
	runbg exec -d --pid-file "$TESTDIR/e.pid" c1$X sleep 999
	[ "$status" -eq 0 ]
	epid=$(cat "$TESTDIR/e.pid")
	berth pause c1$X
	[ "$(ct_status c1$X)" = paused ]
	run berth delete --force c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	n=50
	while { pid_alive "$init" || pid_alive "$epid"; } && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	not pid_alive "$init"
	not pid_alive "$epid"
	left=$(ls -d /sys/fs/cgroup/*"$CGPATH" 2>/dev/null || true)
	[ -z "$left" ] || {
		echo "left behind: $left"
		false
	}
	[ ! -e "$ROOT/c1$X" ]
}

@test "blockIO throttle limits reach blkio.throttle.* for the device" {
	dev=$(cat /sys/block/*/dev 2>/dev/null | head -1)
	[ -n "$dev" ] || skip "no block device"
	maj=${dev%:*}
	min=${dev#*:}
	with_cgroup "$(jq -nc --argjson a "$maj" --argjson b "$min" '{blockIO: {
		throttleReadBpsDevice: [{major: $a, minor: $b, rate: 1048576}],
		throttleWriteIOPSDevice: [{major: $a, minor: $b, rate: 200}]}}')"
	start_ct c1$X
	run berth exec c1$X cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$dev 1048576" ]
	[ "${lines[1]}" = "$dev 200" ]
	grep -qx "$dev 1048576" "$(host_cg blkio blkio.throttle.read_bps_device)"
}

@test "update --memory, --cpu-quota, --pids-limit and --resources - take effect live" {
	with_cgroup '{"memory": {"limit": 33554432}, "cpu": {"quota": 20000, "period": 100000}, "pids": {"limit": 20}}'
	start_ct c1$X
	read_limits() {
		berth exec c1$X sh -c 'cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us pids/pids.max cpu/cpu.shares' |
			tr '\n' ' '
	}
	before=$(read_limits)
	echo "before: $before"
	[[ "$before" == "33554432 20000 20 "* ]]

	run berth update --memory 64m c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	run berth update --cpu-quota 30000 c1$X
	[ "$status" -eq 0 ]
	run berth update --pids-limit 30 c1$X
	[ "$status" -eq 0 ]
	after=$(read_limits)
	echo "after flags: $after"
	[[ "$after" == "67108864 30000 30 "* ]]

	run berth update --resources - c1$X <<<'{"memory": {"limit": 50331648}, "cpu": {"shares": 256}, "pids": {"limit": 15}}'
	echo "$output"
	[ "$status" -eq 0 ]
	after=$(read_limits)
	echo "after --resources: $after"
	[ "$after" = "50331648 30000 15 256 " ]
	# The host's files say the same.
	[ "$(cat "$(host_cg memory memory.limit_in_bytes)")" = 50331648 ]
	[ "$(cat "$(host_cg pids pids.max)")" = 15 ]
}

@test "ps --format json lists the container's pids; ps prints ps's table for them" {
	with_cgroup
	start_ct c1$X
	init=$(ct_pid c1$X)
	runbg exec -d --pid-file "$TESTDIR/e.pid" c1$X sleep 999
	[ "$status" -eq 0 ]
	epid=$(cat "$TESTDIR/e.pid")
	run berth ps --format json c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e --argjson a "$init" --argjson b "$epid" 'sort == ([$a, $b] | sort)' <<<"$output"

	run berth ps c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID*CMD* ]]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(awk 'NR > 1 { print $2 }' <<<"$output" | sort -n | tr '\n' ' ')" = "$(printf '%s\n' "$init" "$epid" | sort -n | tr '\n' ' ')" ]
	[[ "$output" == *"sleep 1000"* ]]
	[[ "$output" == *"sleep 999"* ]]
}

@test "kill --all reaches a process that left the init's tree (no pid namespace)" {
	with_cgroup
	update_config '.linux.namespaces |= map(select(.type != "pid")) | .root.readonly = false'
	ln -s busybox "$BUNDLE/rootfs/bin/setsid"
	# The subshell exits at once: the detached sleep is reparented out of
	# the container's process tree, into a session of its own.
	set_args sh -c '(setsid sh -c "echo \$\$ > /tmp/detached.pid; exec sleep 1000" &); exec sleep 1000'
	start_ct c1$X
	init=$(ct_pid c1$X)
	wait_file "$BUNDLE/rootfs/tmp/detached.pid"
	dpid=$(cat "$BUNDLE/rootfs/tmp/detached.pid")
	pid_alive "$dpid"
	ppid=$(awk '$1 == "PPid:" { print $2 }' "/proc/$dpid/status")
	echo "init $init, detached $dpid (parent $ppid)"
	[ "$ppid" != "$init" ]
	[ "$(awk '{ sub(/.*\) /, ""); print $4 }' "/proc/$dpid/stat")" = "$dpid" ] # its own session
	grep -qx "$dpid" "$(host_cg pids cgroup.procs)"
	run berth kill --all c1$X TERM
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status c1$X stopped
	n=50
	while pid_alive "$dpid" && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	not pid_alive "$dpid"
}

@test "delete --force removes the container's cgroup in every hierarchy" {
	with_cgroup '{"pids": {"limit": 50}}'
	start_ct c1$X
	runbg exec -d c1$X sleep 999
	[ "$status" -eq 0 ]
	for h in "${V1_HIERARCHIES[@]}" unified; do
		[ -d "$(host_cg "$h")" ] || {
			echo "no cgroup in $h"
			false
		}
	done
	[ "$(wc -l <"$(host_cg pids cgroup.procs)")" -eq 2 ]
	run berth delete --force c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	left=$(ls -d /sys/fs/cgroup/*"$CGPATH" 2>/dev/null || true)
	[ -z "$left" ] || {
		echo "left behind: $left"
		false
	}
	# Only the parent directories this test made remain.
	[ -d "/sys/fs/cgroup/pids$CG" ]
	[ ! -e "$ROOT/c1$X" ]
}

@test "a cgroupsPath that already has processes is refused at create, leaving nothing" {
	mkdir -p "$(host_cg pids)"
	sleep 1000 3>&- &
	spid=$!
	BG_PIDS+=("$spid")
	echo "$spid" >"$(host_cg pids cgroup.procs)"
	with_cgroup
	runbg create --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$(host_cg pids)"*"already has processes"* ]]
	# The runtime does not try to remove (or empty) a cgroup it did not make.
	[[ "$output" != *"remove cgroup"* ]]
	assert_nothing_left c1$X
	# Nothing was made in the other hierarchies; the cgroup that was
	# there, and its process, are untouched.
	left=$(ls -d /sys/fs/cgroup/*"$CGPATH" 2>/dev/null || true)
	[ "$left" = "$(host_cg pids)" ]
	pid_alive "$spid"
	[ "$(cat "$(host_cg pids cgroup.procs)")" = "$spid" ]
}

@test "a cgroupsPath whose v2 (unified) cgroup already has processes is refused; they are not killed" {
	mkdir -p "$(host_cg unified)"
	sleep 1000 3>&- &
	spid=$!
	BG_PIDS+=("$spid")
	echo "$spid" >"$(host_cg unified cgroup.procs)"
	with_cgroup
	runbg create --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$(host_cg unified)"*"already has processes"* ]]
	assert_nothing_left c1$X
	# The process in the cgroup that was there is untouched.
	sleep 0.2
	pid_alive "$spid"
	[ "$(cat "$(host_cg unified cgroup.procs)")" = "$spid" ]
	left=$(ls -d /sys/fs/cgroup/*"$CGPATH" 2>/dev/null || true)
	[ "$left" = "$(host_cg unified)" ]
}

@test "a relative cgroupsPath is below the runtime's own cgroup; no cgroupsPath means own cgroup + id" {
	update_config '.linux.cgroupsPath = $p' --arg p "berth-test$X/rel"
	start_ct c1$X
	pid=$(ct_pid c1$X)
	cat "/proc/$pid/cgroup"
	for h in memory pids cpu; do
		own=$(awk -F: -v h="$h" '$2 == h { print $3 }' /proc/self/cgroup)
		own=${own%/}
		[ "$(awk -F: -v h="$h" '$2 == h { print $3 }' "/proc/$pid/cgroup")" = "$own/berth-test$X/rel" ] || {
			echo "$h: expected $own/berth-test$X/rel"
			false
		}
		[ -d "/sys/fs/cgroup/$h$own/berth-test$X/rel" ]
	done

	update_config 'del(.linux.cgroupsPath)'
	start_ct c2$X
	pid=$(ct_pid c2$X)
	cat "/proc/$pid/cgroup"
	for h in memory pids cpu; do
		own=$(awk -F: -v h="$h" '$2 == h { print $3 }' /proc/self/cgroup)
		own=${own%/}
		[ "$(awk -F: -v h="$h" '$2 == h { print $3 }' "/proc/$pid/cgroup")" = "$own/c2$X" ] || {
			echo "$h: expected $own/c2$X"
			false
		}
	done
	run berth delete --force c2$X
	[ "$status" -eq 0 ]
	[ -z "$(cgroups_named c2$X)" ]
}

@test "linux.resources.unified is refused on v1 with a clear message, leaving nothing" {
	update_config '.linux.resources.unified = {"memory.high": "50000000"}'
	runbg create --bundle "$BUNDLE" u1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.resources.unified"*"cgroup v2"* ]]
	assert_nothing_left u1$X
}

@test "devices: a config without any device rule still starts from deny-all on v1" {
	with_cgroup
	update_config 'del(.linux.resources.devices) | .root.readonly = false'
	start_ct d1$X
	list=$(cat "$(host_cg devices devices.list)")
	echo "$list"
	[[ "$list" != *"a *:* rwm"* ]]
	[[ "$list" == *"c 1:3 rwm"* ]]
	# A block device of the host cannot be made and opened inside.
	run berth exec d1$X sh -c 'mknod /tmp/sda b 8 0 && head -c1 /tmp/sda'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "update without device rules keeps the container's device rules on v1" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host"
	update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]'
	with_cgroup
	update_config '.linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]'
	start_ct d1$X
	run berth update --pids-limit 77 d1$X
	[ "$status" -eq 0 ]
	[ "$(cat "$(host_cg pids pids.max)")" = 77 ]
	run berth exec d1$X sh -c 'true < /dev/fuse && echo open-ok'
	echo "$output"
	[ "$output" = open-ok ]
}

@test "sub-cgroups the container made are found by ps and removed with it" {
	with_cgroup
	# The cgroup mount read-write, so the container can make its own cgroups.
	update_config '(.mounts[] | select(.type == "cgroup") | .options) |= map(select(. != "ro"))'
	start_ct s1$X
	run berth exec s1$X sh -c 'mkdir /sys/fs/cgroup/pids/sub && sh -c "echo \$\$ > /sys/fs/cgroup/pids/sub/cgroup.procs; exec sleep 999" </dev/null >/dev/null 2>&1 &
		sleep 0.3; cat /sys/fs/cgroup/pids/sub/cgroup.procs'
	echo "$output"
	[ "$status" -eq 0 ]
	[ -d "$(host_cg pids sub)" ]
	sub_pid=$(cat "$(host_cg pids sub/cgroup.procs)")
	[ -n "$sub_pid" ]
	run berth ps --format json s1$X
	echo "$output"
	[[ "$output" == *"$sub_pid"* ]]
	run berth delete --force s1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$(host_cg pids)" ]
	[ ! -e "$ROOT/s1$X" ]
}
