#!/usr/bin/env bats
# mounts, root.readonly, maskedPaths, readonlyPaths, devices, --no-pivot.

load helpers

setup() {
	setup_common
}

teardown() {
	teardown_common
}

# add_mount JSON-OBJECT: append to .mounts.
add_mount() {
	update_config '.mounts += [$m]' --argjson m "$1"
}

# mount_opts MOUNTINFO DEST: the per-mount options of the mount at DEST
# (the last one, if stacked).
mount_opts() {
	awk -v d="$2" '$5 == d { o = $6 } END { print o }' <<<"$1"
}

# has_opt OPTS OPT
has_opt() {
	[[ ",$1," == *",$2,"* ]]
}

@test "mountinfo shows the config's mounts with their flags" {
	set_args cat /proc/self/mountinfo
	run berth run --bundle "$BUNDLE" m1$X
	echo "$output"
	[ "$status" -eq 0 ]
	mi=$output
	for d in / /proc /dev /dev/pts /dev/shm /dev/mqueue /sys; do
		[ -n "$(mount_opts "$mi" "$d")" ] || {
			echo "no mount at $d"
			false
		}
	done
	o=$(mount_opts "$mi" /)
	echo "/: $o"
	has_opt "$o" ro
	o=$(mount_opts "$mi" /sys)
	echo "/sys: $o"
	has_opt "$o" ro && has_opt "$o" nosuid && has_opt "$o" nodev && has_opt "$o" noexec
	o=$(mount_opts "$mi" /dev/pts)
	echo "/dev/pts: $o"
	has_opt "$o" nosuid && has_opt "$o" noexec && has_opt "$o" rw
	o=$(mount_opts "$mi" /dev/shm)
	echo "/dev/shm: $o"
	has_opt "$o" nosuid && has_opt "$o" nodev && has_opt "$o" noexec
	o=$(mount_opts "$mi" /dev/mqueue)
	has_opt "$o" nosuid && has_opt "$o" nodev && has_opt "$o" noexec
	o=$(mount_opts "$mi" /dev)
	echo "/dev: $o"
	has_opt "$o" nosuid && ! has_opt "$o" noexec
	# The filesystem types are the configured ones.
	awk '$5 == "/proc" { for (i = 7; $i != "-"; i++); print $(i + 1) }' <<<"$mi" | grep -qx proc
	awk '$5 == "/sys" { for (i = 7; $i != "-"; i++); print $(i + 1) }' <<<"$mi" | grep -qx sysfs
	awk '$5 == "/dev/pts" { for (i = 7; $i != "-"; i++); print $(i + 1) }' <<<"$mi" | grep -qx devpts
	# devpts has its own instance with the configured options.
	grep -E ' /dev/pts .* devpts .*ptmxmode=0?666' <<<"$mi"
	# Nothing of the host's mount table is visible: every mount point is
	# one of the container's.
	not grep -F -e "$TESTDIR" -e /work -e /mnt <<<"$(awk '{ print $5 }' <<<"$mi")"
}

@test "bind mount of a host directory, read-write" {
	mkdir "$TESTDIR/src"
	echo host-data >"$TESTDIR/src/in"
	add_mount "$(jq -nc --arg s "$TESTDIR/src" '{destination: "/data", type: "bind", source: $s, options: ["bind"]}')"
	set_args sh -c 'cat /data/in && echo from-container > /data/out'
	run berth run --bundle "$BUNDLE" b1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = host-data ]
	[ "$(cat "$TESTDIR/src/out")" = from-container ]
}

@test "bind mount of a host directory, read-only: writing fails" {
	mkdir "$TESTDIR/src"
	echo host-data >"$TESTDIR/src/in"
	add_mount "$(jq -nc --arg s "$TESTDIR/src" '{destination: "/data", type: "bind", source: $s, options: ["bind", "ro"]}')"
	set_args sh -c 'cat /data/in; echo changed > /data/in; echo "write=$?"; touch /data/new; echo "touch=$?"; grep " /data " /proc/self/mountinfo'
	run berth run --bundle "$BUNDLE" b1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = host-data ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"write=1"* || "$output" == *"write=2"* ]]
	[[ "$output" == *"touch=1"* ]]
	[ "$(cat "$TESTDIR/src/in")" = host-data ]
	[ ! -e "$TESTDIR/src/new" ]
	has_opt "$(awk '$5 == "/data" { print $6 }' <<<"$output")" ro
}

@test "a relative bind mount source is taken from the bundle" {
	mkdir "$BUNDLE/data"
	echo in-bundle >"$BUNDLE/data/f"
	add_mount '{"destination": "/rel", "type": "bind", "source": "data", "options": ["bind", "ro"]}'
	set_args cat /rel/f
	# Run from elsewhere: the source is relative to the bundle, not the cwd.
	cd "$TESTDIR"
	run berth run --bundle "$BUNDLE" b1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = in-bundle ]
}

@test "bind mount of a single file" {
	echo file-content >"$TESTDIR/afile"
	add_mount "$(jq -nc --arg s "$TESTDIR/afile" '{destination: "/etc/afile", type: "bind", source: $s, options: ["bind", "ro"]}')"
	set_args cat /etc/afile
	run berth run --bundle "$BUNDLE" b1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = file-content ]
}

@test "rbind carries submounts, bind does not" {
	mkdir -p "$TESTDIR/src/sub"
	mount -t tmpfs -o size=1m berth-test "$TESTDIR/src/sub"
	echo in-submount >"$TESTDIR/src/sub/f"
	add_mount "$(jq -nc --arg s "$TESTDIR/src" '{destination: "/rb", type: "bind", source: $s, options: ["rbind"]}')"
	add_mount "$(jq -nc --arg s "$TESTDIR/src" '{destination: "/b", type: "bind", source: $s, options: ["bind"]}')"
	set_args sh -c 'cat /rb/sub/f; echo "--"; ls -A /b/sub; echo "--"'
	run berth run --bundle "$BUNDLE" b1$X
	echo "$output"
	umount "$TESTDIR/src/sub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-submount ]
	[ "${lines[1]}" = "--" ]
	[ "${lines[2]}" = "--" ]
}

@test "rro makes submounts read-only too; ro only the top" {
	mkdir -p "$TESTDIR/src/sub"
	mount -t tmpfs -o size=1m berth-test "$TESTDIR/src/sub"
	add_mount "$(jq -nc --arg s "$TESTDIR/src" '{destination: "/rro", type: "bind", source: $s, options: ["rbind", "rro"]}')"
	add_mount "$(jq -nc --arg s "$TESTDIR/src" '{destination: "/ro", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	set_args sh -c 'touch /rro/top; echo "rro-top=$?"; touch /rro/sub/x; echo "rro-sub=$?"; touch /ro/top; echo "ro-top=$?"; touch /ro/sub/y; echo "ro-sub=$?"'
	run berth run --bundle "$BUNDLE" b1$X
	echo "$output"
	ls -la "$TESTDIR/src" "$TESTDIR/src/sub"
	sub_y=$([ -e "$TESTDIR/src/sub/y" ] && echo yes || echo no)
	sub_x=$([ -e "$TESTDIR/src/sub/x" ] && echo yes || echo no)
	umount "$TESTDIR/src/sub"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rro-top=1"* ]]
	[[ "$output" == *"rro-sub=1"* ]]
	[[ "$output" == *"ro-top=1"* ]]
	[[ "$output" == *"ro-sub=0"* ]]
	[ "$sub_x" = no ]
	[ "$sub_y" = yes ]
	[ ! -e "$TESTDIR/src/top" ]
}

@test "tmpfs with size and mode" {
	add_mount '{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=1m", "mode=1770"]}'
	set_args sh -c 'stat -c %a /t; df -k /t | tail -n 1; grep " /t " /proc/self/mountinfo'
	run berth run --bundle "$BUNDLE" t1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1770 ]
	[ "$(awk '{ print $2 }' <<<"${lines[1]}")" = 1024 ]
	[[ "${lines[2]}" == *" - tmpfs "*"size=1024k"* ]]
	[[ "${lines[2]}" == *"mode=1770"* ]]
	has_opt "$(awk '{ print $6 }' <<<"${lines[2]}")" nosuid
}

@test "a relative mount destination is taken from /" {
	add_mount '{"destination": "reldir/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}'
	set_args sh -c 'grep " /reldir/sub " /proc/self/mountinfo'
	run berth run --bundle "$BUNDLE" r1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" /reldir/sub "*" - tmpfs "* ]]
}

@test "a missing mount point directory is created in the rootfs" {
	[ ! -e "$BUNDLE/rootfs/a" ]
	add_mount '{"destination": "/a/b/c", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}'
	set_args sh -c 'grep " /a/b/c " /proc/self/mountinfo && touch /a/b/c/x && ls /a/b/c'
	run berth run --bundle "$BUNDLE" r1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" /a/b/c "*" - tmpfs "* ]]
	[ "${lines[1]}" = x ]
	[ -d "$BUNDLE/rootfs/a/b/c" ]
	# The tmpfs was the container's: nothing was written to the rootfs.
	[ ! -e "$BUNDLE/rootfs/a/b/c/x" ]
}

@test "masked paths: files read empty, directories are empty, missing ones are skipped" {
	[ -n "$(cat /proc/keys)" ] # the host's is not empty
	mkdir -p "$BUNDLE/rootfs/secretdir"
	echo s3cret >"$BUNDLE/rootfs/etc/secret"
	echo hidden >"$BUNDLE/rootfs/secretdir/file"
	update_config '.linux.maskedPaths += ["/etc/secret", "/secretdir", "/no/such/path"]'
	jq -c .linux.maskedPaths "$BUNDLE/config.json"
	set_args sh -c 'echo "keys:$(cat /proc/keys)"; echo "timer_list:$(cat /proc/timer_list)"; echo "acpi:$(ls -A /proc/acpi)"; echo "secret:$(cat /etc/secret)"; echo "secretdir:$(ls -A /secretdir)"; cat /proc/kcore > /dev/null 2>&1; echo "kcore=$?"; touch /secretdir/x; echo "touch=$?"'
	run berth run --bundle "$BUNDLE" m1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"keys:"$'\n'* ]]
	[[ "$output" == *"timer_list:"$'\n'* ]]
	[[ "$output" == *"acpi:"$'\n'* ]]
	[[ "$output" == *"secret:"$'\n'* ]]
	[[ "$output" == *"secretdir:"$'\n'* ]]
	[[ "$output" != *s3cret* ]]
	[[ "$output" != *hidden* ]]
	[[ "$output" == *"kcore=1"* ]]
	[[ "$output" == *"touch=1"* ]]
	# The rootfs itself is untouched.
	[ "$(cat "$BUNDLE/rootfs/etc/secret")" = s3cret ]
}

@test "readonly paths cannot be written even with CAP_SYS_ADMIN" {
	# With CAP_SYS_ADMIN only the read-only mount stops the write.
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"]
		| .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	set_args sh -c 'echo changed > /proc/sys/kernel/domainname; echo "write=$?"; cat /proc/sys/kernel/domainname'
	run berth run --bundle "$BUNDLE" r1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"write=1"* ]]
	[[ "$output" != *changed* ]]

	# Control: without readonlyPaths the same write works (in the
	# container's own uts namespace).
	update_config '.linux.readonlyPaths = []'
	run berth run --bundle "$BUNDLE" r2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"write=0"* ]]
	[[ "$output" == *changed* ]]
}

@test "a readonly path in the rootfs: read-only there, writable elsewhere" {
	mkdir -p "$BUNDLE/rootfs/data"
	update_config '.root.readonly = false | .linux.readonlyPaths += ["/data"]'
	set_args sh -c 'touch /data/x; echo "data=$?"; touch /y; echo "root=$?"'
	run berth run --bundle "$BUNDLE" r1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"data=1"* ]]
	[[ "$output" == *"root=0"* ]]
	[ ! -e "$BUNDLE/rootfs/data/x" ]
	[ -e "$BUNDLE/rootfs/y" ]
}

@test "root.readonly: the root cannot be written; false allows it" {
	update_config '.root.readonly = true'
	set_args sh -c 'touch /x; echo "touch=$?"'
	run berth run --bundle "$BUNDLE" r1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"touch=1"* ]]
	[ ! -e "$BUNDLE/rootfs/x" ]

	update_config '.root.readonly = false'
	run berth run --bundle "$BUNDLE" r2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"touch=0"* ]]
	[ -e "$BUNDLE/rootfs/x" ]
}

@test "a symlink in the rootfs pointing out of it stays inside when used as a mount destination" {
	name=berth-test-$$-$RANDOM
	[ ! -e "/etc/$name" ]
	[ ! -e "/tmp/$name" ]
	ln -s /etc "$BUNDLE/rootfs/evil"
	ln -s ../../../../../../../../tmp "$BUNDLE/rootfs/evil2"
	add_mount "$(jq -nc --arg d "/evil/$name" '{destination: $d, type: "tmpfs", source: "tmpfs", options: ["size=64k"]}')"
	add_mount "$(jq -nc --arg d "/evil2/$name" '{destination: $d, type: "tmpfs", source: "tmpfs", options: ["size=64k"]}')"
	set_args sh -c "grep -E ' /(etc|tmp)/$name ' /proc/self/mountinfo"
	run berth run --bundle "$BUNDLE" s1$X
	echo "$output"
	escaped=
	for d in "/etc/$name" "/tmp/$name"; do
		if [ -e "$d" ]; then
			escaped+=" $d"
			rmdir "$d" || true
		fi
	done
	[ -z "$escaped" ] || {
		echo "created on the host:$escaped"
		false
	}
	[ "$status" -eq 0 ]
	# The mounts landed on the rootfs' own /etc and /tmp.
	[[ "$output" == *" /etc/$name "*" - tmpfs "* ]]
	[[ "$output" == *" /tmp/$name "*" - tmpfs "* ]]
	[ -d "$BUNDLE/rootfs/etc/$name" ]
	[ -d "$BUNDLE/rootfs/tmp/$name" ]
}

@test "a bind mount onto a symlink pointing out of the rootfs does not cover the host's file" {
	echo decoy >"$TESTDIR/decoy"
	echo outside >"$TESTDIR/outside-target"
	ln -s "$TESTDIR/outside-target" "$BUNDLE/rootfs/link"
	add_mount "$(jq -nc --arg s "$TESTDIR/decoy" '{destination: "/link", type: "bind", source: $s, options: ["bind"]}')"
	set_args sh -c 'echo written > /link; cat /link'
	run berth run --bundle "$BUNDLE" s1$X
	echo "$output"
	# Whatever the runtime did with /link, the file outside the rootfs it
	# points to is not the one mounted over or written.
	[ "$(cat "$TESTDIR/outside-target")" = outside ]
}

@test "--no-pivot works" {
	echo pivot-marker >"$BUNDLE/rootfs/marker"
	set_args sh -c 'cat /marker; echo $$; ls /proc/self/fd | wc -l; awk "\$5 == \"/\"" /proc/self/mountinfo'
	run berth run --no-pivot --bundle "$BUNDLE" n1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = pivot-marker ]
	[ "${lines[1]}" = 1 ]
	[ -n "${lines[3]}" ]
	# The host's test directory is not reachable from inside.
	set_args sh -c "ls $TESTDIR"
	run berth run --no-pivot --bundle "$BUNDLE" n2$X
	echo "$output"
	[ "$status" -ne 0 ]
}

@test "default devices exist with mode 666" {
	set_args sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t,%T %a %u:%g" /dev/$d; done'
	run berth run --bundle "$BUNDLE" d1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/null character special file 1,3 666 0:0" ]
	[ "${lines[1]}" = "/dev/zero character special file 1,5 666 0:0" ]
	[ "${lines[2]}" = "/dev/full character special file 1,7 666 0:0" ]
	[ "${lines[3]}" = "/dev/random character special file 1,8 666 0:0" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1,9 666 0:0" ]
	[ "${lines[5]}" = "/dev/tty character special file 5,0 666 0:0" ]
}

@test "default devices work" {
	set_args sh -c 'echo x > /dev/null && echo null-ok; head -c 5 /dev/zero | wc -c; head -c 5 /dev/urandom | wc -c; echo x > /dev/full; echo "full=$?"'
	run berth run --bundle "$BUNDLE" d1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = null-ok ]
	[ "${lines[1]}" = 5 ]
	[ "${lines[2]}" = 5 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"full=1"* ]]
}

@test "/dev symlinks: fd, stdin, stdout, stderr, ptmx" {
	set_args sh -c 'for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done'
	run berth run --bundle "$BUNDLE" d1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fd -> /proc/self/fd" ]
	[ "${lines[1]}" = "stdin -> /proc/self/fd/0" ]
	[ "${lines[2]}" = "stdout -> /proc/self/fd/1" ]
	[ "${lines[3]}" = "stderr -> /proc/self/fd/2" ]
	[ "${lines[4]}" = "ptmx -> pts/ptmx" ]
}

@test "linux.devices: created with type, numbers, fileMode, uid and gid" {
	update_config '.linux.devices = [
		{"path": "/dev/berth-null", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 1000, "gid": 1000},
		{"path": "/dev/sub/zero", "type": "c", "major": 1, "minor": 5, "fileMode": 384},
		{"path": "/dev/berth-fifo", "type": "p", "fileMode": 420}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	# As uid 1000: the device it owns is usable, root's 0600 one is not.
	set_args sh -c 'stat -c "%n %F %t,%T %a %u:%g" /dev/berth-null /dev/sub/zero; stat -c "%n %F %a" /dev/berth-fifo; echo x > /dev/berth-null && echo write-ok; head -c 3 /dev/sub/zero; echo "read=$?"'
	run berth run --bundle "$BUNDLE" d1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/berth-null character special file 1,3 660 1000:1000" ]
	[ "${lines[1]}" = "/dev/sub/zero character special file 1,5 600 0:0" ]
	[ "${lines[2]}" = "/dev/berth-fifo fifo 644" ]
	[ "${lines[3]}" = write-ok ]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"read=1"* ]]
}

@test "/sys/fs/cgroup shows the host's hierarchies" {
	host=$(cd /sys/fs/cgroup && ls -d */ | tr -d / | sort | tr '\n' ' ')
	echo "host: $host"
	[[ " $host " == *" memory "* ]] # the layout this test expects
	set_args sh -c 'ls /sys/fs/cgroup | sort | tr "\n" " "; echo; ls /sys/fs/cgroup/memory /sys/fs/cgroup/pids /sys/fs/cgroup/cpu | grep -c cgroup.procs; grep " /sys/fs/cgroup" /proc/self/mountinfo'
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	[ "$status" -eq 0 ]
	for h in cpu memory pids; do
		[[ " ${lines[0]} " == *" $h "* ]] || {
			echo "no $h in /sys/fs/cgroup"
			false
		}
	done
	[ "${lines[1]}" = 3 ]
	grep -E ' /sys/fs/cgroup/memory .* - cgroup .*memory' <<<"$output"
	grep -E ' /sys/fs/cgroup/pids .* - cgroup .*pids' <<<"$output"
	# It is read-only, as configured.
	has_opt "$(awk '$5 == "/sys/fs/cgroup/memory" { print $6 }' <<<"$output")" ro
}

@test "--no-pivot works with the bundle on a mount of its own (a tmpfs)" {
	mkdir -p "$TESTDIR/mnt"
	mount -t tmpfs tmpfs "$TESTDIR/mnt"
	make_bundle "$TESTDIR/mnt/b" sh -c 'cat /marker'
	echo on-tmpfs >"$TESTDIR/mnt/b/rootfs/marker"
	run berth run --no-pivot --bundle "$TESTDIR/mnt/b" n1$X
	echo "$output"
	umount -l "$TESTDIR/mnt"
	[ "$status" -eq 0 ]
	[ "$output" = on-tmpfs ]
}

@test "rootfsPropagation rshared: a mount made under an rshared bind reaches the host" {
	mkdir -p "$TESTDIR/src"
	mount --bind "$TESTDIR/src" "$TESTDIR/src"
	mount --make-shared "$TESTDIR/src"
	update_config '.linux.rootfsPropagation = "rshared" | .root.readonly = false
		| .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]
		| .mounts += [{"destination": "/shared", "type": "bind", "source": $s, "options": ["rbind", "rshared"]}]' \
		--arg s "$TESTDIR/src"
	set_args sh -c 'mount -t tmpfs from-container /shared && touch /shared/made-inside && sleep 1000'
	start_ct p1$X
	n=50
	while [ ! -e "$TESTDIR/src/made-inside" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	on_host=$(findmnt -rno SOURCE "$TESTDIR/src" | tr '\n' ' ')
	berth delete --force p1$X
	umount -R "$TESTDIR/src"
	echo "$on_host"
	[[ "$on_host" == *from-container* ]]
}
