#!/usr/bin/env bats
# linux.namespaces, uid/gid mappings, timeOffsets, hostname and domainname.

load helpers

setup() {
	setup_common
}

teardown() {
	teardown_common
	if [ -n "${CG_DIR:-}" ] && [ -d "$CG_DIR" ]; then
		find "$CG_DIR" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	fi
}

# A new user namespace: container 0..65535 is host 100000..165535.  The
# cgroup v1 filesystem cannot be mounted from a user namespace, so the
# /sys/fs/cgroup mount is left out here (mounts.bats covers it).
use_userns() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
}

@test "pid namespace: the process is pid 1" {
	set_args sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "; echo; ls /proc | grep -c "^[0-9]"'
	run berth run --bundle "$BUNDLE" p1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[[ "${lines[1]}" == "sh -c "* ]]
	# Only the container's own processes are visible (sh, ls, grep at most).
	[ "${lines[2]}" -le 3 ]
}

@test "uts namespace: hostname and domainname are set, the host's are not" {
	host_name=$(hostname)
	host_domain=$(cat /proc/sys/kernel/domainname)
	update_config '.hostname = "berth-test-host" | .domainname = "berth.example"'
	set_args sh -c 'hostname; uname -n; cat /proc/sys/kernel/domainname'
	run berth run --bundle "$BUNDLE" u1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = berth-test-host ]
	[ "${lines[1]}" = berth-test-host ]
	[ "${lines[2]}" = berth.example ]
	[ "$(hostname)" = "$host_name" ]
	[ "$(cat /proc/sys/kernel/domainname)" = "$host_domain" ]
}

@test "uts, ipc, net, mnt, pid, cgroup namespaces differ from the host's" {
	set_args sh -c 'for n in uts ipc net mnt pid cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	run berth run --bundle "$BUNDLE" n1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	for line in "${lines[@]}"; do
		read -r n inside <<<"$line"
		host=$(readlink "/proc/self/ns/$n")
		echo "$n: inside $inside, host $host"
		[[ "$inside" == "$n:["*"]" ]]
		[ "$inside" != "$host" ]
	done
	# No user or time namespace was asked for: those are the host's.
	set_args sh -c 'readlink /proc/self/ns/user; readlink /proc/self/ns/time'
	run berth run --bundle "$BUNDLE" n2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/self/ns/user)" ]
	[ "${lines[1]}" = "$(readlink /proc/self/ns/time)" ]
}

@test "a namespace not listed is shared with the host" {
	update_config '.linux.namespaces |= map(select(.type != "network" and .type != "ipc"))'
	set_args sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts'
	run berth run --bundle "$BUNDLE" n1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/self/ns/net)" ]
	[ "${lines[1]}" = "$(readlink /proc/self/ns/ipc)" ]
	[ "${lines[2]}" != "$(readlink /proc/self/ns/uts)" ]
}

@test "network namespace: only a loopback device" {
	set_args sh -c 'ls /sys/class/net'
	run berth run --bundle "$BUNDLE" n1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

@test "user namespace: uid_map and gid_map from inside, uid 0 inside, 100000 outside" {
	use_userns
	mkdir "$TESTDIR/shared" "$BUNDLE/rootfs/shared"
	chmod 0777 "$TESTDIR/shared"
	# (the remapped root cannot create a mount point in a rootfs owned by
	# the host's root, so it exists already)
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $src, "options": ["bind"]}]' \
		--arg src "$TESTDIR/shared"
	set_args sh -c 'cat /proc/self/uid_map; cat /proc/self/gid_map; id -u; id -g; touch /shared/made-inside; readlink /proc/self/ns/user'
	run berth run --bundle "$BUNDLE" u1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo ${lines[0]})" = "0 100000 65536" ]
	[ "$(echo ${lines[1]})" = "0 100000 65536" ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
	[ "${lines[4]}" != "$(readlink /proc/self/ns/user)" ]
	# A file made by root inside belongs to the mapped host uid.
	[ "$(stat -c %u:%g "$TESTDIR/shared/made-inside")" = "100000:100000" ]
}

@test "user namespace: the init is uid 100000 on the host and has no power there" {
	use_userns
	start_ct u1$X
	pid=$(ct_pid u1$X)
	run grep -E '^(Uid|Gid):' "/proc/$pid/status"
	echo "$output"
	[[ "${lines[0]}" == Uid:*100000*100000*100000*100000 ]]
	[[ "${lines[1]}" == Gid:*100000*100000*100000*100000 ]]
	[ "$(ns_of "$pid" user)" != "$(ns_of self user)" ]
}

@test "user namespace: a second mapping range and a non-root process user" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}, {"containerID": 1000, "hostID": 300000, "size": 10}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 2000}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		| .process.user = {"uid": 1000, "gid": 1000}'
	set_args sh -c 'cat /proc/self/uid_map; echo; cat /proc/self/gid_map; echo; id -u; id -g'
	run berth run --bundle "$BUNDLE" u1$X
	echo "$output"
	[ "$status" -eq 0 ]
	maps=$(echo $output)
	[[ "$maps" == "0 200000 1000 1000 300000 10 0 200000 2000 1000 1000" ]]
}

@test "joining an existing network namespace by path" {
	nsfile=$TESTDIR/netns
	touch "$nsfile"
	unshare --net="$nsfile" true
	ino=$(stat -L -c %i "$nsfile")
	[ "net:[$ino]" != "$(readlink /proc/self/ns/net)" ]

	update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "$nsfile"
	jq -c .linux.namespaces "$BUNDLE/config.json"
	set_args sh -c 'readlink /proc/self/ns/net'
	run berth run --bundle "$BUNDLE" j1$X
	echo "$output"
	umount "$nsfile"
	[ "$status" -eq 0 ]
	[ "$output" = "net:[$ino]" ]
}

@test "joining another container's namespaces through /proc/PID/ns" {
	CONFIG_BUNDLE=$TESTDIR/b1
	make_bundle "$CONFIG_BUNDLE" sleep 1000
	update_config '.hostname = "first"'
	start_ct c1$X
	pid1=$(ct_pid c1$X)
	unset CONFIG_BUNDLE

	update_config '.linux.namespaces |= map(if .type == "network" or .type == "ipc" or .type == "uts" then .path = ("/proc/" + $pid + "/ns/" + (if .type == "network" then "net" else .type end)) else . end)
		| del(.hostname)' --arg pid "$pid1"
	jq -c .linux.namespaces "$BUNDLE/config.json"
	set_args sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; readlink /proc/self/ns/pid; hostname'
	run berth run --bundle "$BUNDLE" c2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ns_of "$pid1" net)" ]
	[ "${lines[1]}" = "$(ns_of "$pid1" ipc)" ]
	[ "${lines[2]}" = "$(ns_of "$pid1" uts)" ]
	[ "${lines[3]}" != "$(ns_of "$pid1" pid)" ]
	[ "${lines[4]}" = first ]
}

@test "joining a namespace path of the wrong type fails" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/ipc" else . end)'
	runbg create --bundle "$BUNDLE" w1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *"/proc/self/ns/ipc"* ]]
	[[ "$output" == *network* ]]
	assert_nothing_left
}

@test "time namespace: timeOffsets shift the monotonic and boot clocks" {
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 1000000, "nanosecs": 0}, "boottime": {"secs": 2000000, "nanosecs": 0}}'
	set_args sh -c 'cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time'
	host_up=$(cut -d. -f1 /proc/uptime)
	run berth run --bundle "$BUNDLE" t1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo ${lines[0]})" = "monotonic 1000000 0" ]
	[ "$(echo ${lines[1]})" = "boottime 2000000 0" ]
	up=${lines[2]}
	# /proc/uptime follows the boot clock.
	[ "$up" -ge $((host_up + 2000000)) ]
	[ "$up" -le $((host_up + 2000000 + 30)) ]
	[ "${lines[3]}" != "$(readlink /proc/self/ns/time)" ]
}

@test "cgroup namespace: /proc/self/cgroup shows / ; without one it shows the real cgroup" {
	[ -w /sys/fs/cgroup/pids ] || skip "no writable pids cgroup hierarchy to run the container in"
	own=$(awk -F: '$2 == "pids" { print $3 }' /proc/self/cgroup)
	CG_DIR=/sys/fs/cgroup/pids${own%/}/berth-test-$$-$RANDOM
	mkdir "$CG_DIR"
	rel=${own%/}/${CG_DIR##*/}

	set_args cat /proc/self/cgroup
	run bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$CG_DIR" "$BERTH_RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" g1$X
	echo "$output"
	[ "$status" -eq 0 ]
	# Every hierarchy is rooted at the container's own cgroup.
	[ "$(grep -c ':/$' <<<"$output")" -eq "${#lines[@]}" ]
	grep -q '^[0-9]*:pids:/$' <<<"$output"

	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	run bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$CG_DIR" "$BERTH_RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" g2$X
	echo "$output"
	[ "$status" -eq 0 ]
	# The real cgroup: ours, or one the runtime made below it.
	grep -qE "^[0-9]+:pids:$rel(/[^/]+)*\$" <<<"$output"
}
