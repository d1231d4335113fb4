#!/usr/bin/env bats
# Defences against a hostile container or a hostile bundle: the sealed
# memfd copy of the runtime (CVE-2019-5736), no leaked descriptors and no
# cwd outside the root (CVE-2024-21626), and symlinks planted in the rootfs
# (mount destinations, device paths, masked paths) resolved inside it.

load helpers

setup() {
	setup_common
	# The binary that runs is BERTH_RUNTIME (a snapshot of the build); the
	# build's own file is checked too.
	RUNTIME_SHA=$(sha256sum <"$BERTH_RUNTIME")
	BUILD_BINARY=$_BERTH_TOP/build/src/runtime-main/berth-runtime
	BUILD_SHA=$(sha256sum <"$BUILD_BINARY" 2>/dev/null || true)
}

teardown() {
	teardown_common
}

# assert_binaries_unchanged: the runtime binaries on the host have their
# content of the start of the test.
assert_binaries_unchanged() {
	[ "$(sha256sum <"$BERTH_RUNTIME")" = "$RUNTIME_SHA" ] || {
		echo "$BERTH_RUNTIME changed"
		return 1
	}
	[ -z "$BUILD_SHA" ] || [ "$(sha256sum <"$BUILD_BINARY")" = "$BUILD_SHA" ] || {
		echo "$BUILD_BINARY changed"
		return 1
	}
}

@test "the init of a created container runs from a sealed memfd copy of the runtime; it cannot be written" {
	create_ct h1$X
	pid=$(ct_pid h1$X)
	exe=$(readlink "/proc/$pid/exe")
	echo "exe: $exe"
	[[ "$exe" == /memfd:berth-runtime* ]]
	# The copy is the runtime.
	[ "$(sha256sum <"/proc/$pid/exe")" = "$RUNTIME_SHA" ]
	# Writing, appending and truncating through /proc/PID/exe all fail.
	run bash -c 'echo x >> "/proc/$1/exe"' _ "$pid"
	echo "append: $status $output"
	[ "$status" -ne 0 ]
	run bash -c 'printf x 1<> "/proc/$1/exe"' _ "$pid"
	echo "overwrite: $status $output"
	[ "$status" -ne 0 ]
	run bash -c ': > "/proc/$1/exe"' _ "$pid"
	echo "truncate: $status $output"
	[ "$status" -ne 0 ]
	# No descriptor of the init names the runtime's file on disk.
	ls -l "/proc/$pid/fd"
	not grep -F -e "$BERTH_RUNTIME" -e "$BUILD_BINARY" <<<"$(ls -l "/proc/$pid/fd")"
	# CVE-2019-5736: hold the exe open, and write it once nothing runs it
	# any more (no "Text file busy" then): the seals refuse.
	run bash -c 'exec 9<"/proc/$1/exe"; kill -KILL "$1"
		n=100; while grep -q "^VmSize" "/proc/$1/status" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
		echo x >> /proc/self/fd/9; echo "append=$?"
		printf x 1<> /proc/self/fd/9; echo "overwrite=$?"
		: > /proc/self/fd/9; echo "truncate=$?"
		sha256sum </proc/self/fd/9' _ "$pid"
	echo "$output"
	[[ "$output" == *"append=1"* ]]
	[[ "$output" == *"overwrite=1"* ]]
	[[ "$output" == *"truncate=1"* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	[ "${lines[-1]}" = "$RUNTIME_SHA" ]
	assert_binaries_unchanged
}

@test "a startContainer hook in the container cannot write the runtime through /proc/1/exe, then or later" {
	cat >"$BUNDLE/rootfs/bin/attack-hook" <<-'EOF'
		#!/bin/sh
		exec 2>>/tmp/hooklog
		readlink /proc/1/exe >>/tmp/hooklog
		echo x >> /proc/1/exe; echo "append=$?" >>/tmp/hooklog
		true > /proc/1/exe; echo "truncate=$?" >>/tmp/hooklog
		# CVE-2019-5736: keep the runtime's exe open; write it once the init
		# has exec'd the container's program and nothing runs the copy.
		(
			exec 9</proc/1/exe
			n=0
			while [ "$n" -lt 500 ]; do
				case "$(readlink /proc/1/exe)" in /memfd:*) ;; *) break ;; esac
				sleep 0.01
				n=$((n + 1))
			done
			echo "exe now $(readlink /proc/1/exe)" >>/tmp/hooklog
			echo x >> /proc/self/fd/9; echo "late-append=$?" >>/tmp/hooklog
			printf x 1<> /proc/self/fd/9; echo "late-overwrite=$?" >>/tmp/hooklog
			true > /proc/self/fd/9; echo "late-truncate=$?" >>/tmp/hooklog
			echo done >/tmp/hook-done
		) </dev/null >/dev/null 2>>/tmp/hooklog &
	EOF
	chmod 0755 "$BUNDLE/rootfs/bin/attack-hook"
	update_config '.root.readonly = false | .hooks.startContainer = [{"path": "/bin/attack-hook"}]'
	set_args sleep 1000
	create_ct h1$X
	run berth start h1$X
	echo "$output"
	[ "$status" -eq 0 ]
	wait_file "$BUNDLE/rootfs/tmp/hook-done"
	cat "$BUNDLE/rootfs/tmp/hooklog"
	grep -q '^/memfd:berth-runtime' "$BUNDLE/rootfs/tmp/hooklog"
	grep -qx 'append=1' "$BUNDLE/rootfs/tmp/hooklog"
	grep -qx 'truncate=1' "$BUNDLE/rootfs/tmp/hooklog"
	grep -qx 'exe now /bin/busybox' "$BUNDLE/rootfs/tmp/hooklog"
	grep -qx 'late-append=1' "$BUNDLE/rootfs/tmp/hooklog"
	grep -qx 'late-overwrite=1' "$BUNDLE/rootfs/tmp/hooklog"
	grep -qx 'late-truncate=1' "$BUNDLE/rootfs/tmp/hooklog"
	assert_binaries_unchanged
}

@test "exec into a created container (with CAP_SYS_PTRACE) cannot write the init's /proc/1/exe" {
	create_ct h1$X
	run berth exec --cap CAP_SYS_PTRACE --cap CAP_DAC_OVERRIDE h1$X sh -c 'readlink /proc/1/exe
		echo x >> /proc/1/exe; echo "append=$?"
		true > /proc/1/exe; echo "truncate=$?"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/memfd:berth-runtime"* ]]
	[[ "$output" == *"append=1"* ]]
	[[ "$output" == *"truncate=1"* ]]
	assert_binaries_unchanged
	# The init still starts.
	run berth start h1$X
	[ "$status" -eq 0 ]
	[ "$(ct_status h1$X)" = running ]
}

@test "no descriptors leak: create and start callers holding fds 5 and 7, without --preserve-fds" {
	set_args sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	bash -c 'exec 5</etc/hostname 7>/dev/null; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" f1$X \
		>"$TESTDIR/f1.out" 2>"$TESTDIR/f1.err" </dev/null 3>&-
	cat "$TESTDIR/f1.err"
	bash -c 'exec 5</etc/hostname 7>/dev/null; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" start f1$X </dev/null 3>&-
	wait_status f1$X stopped
	cat "$TESTDIR/f1.out"
	# 3 is the directory ls opens.
	[ "$(cat "$TESTDIR/f1.out")" = "0 1 2 3 " ]
}

@test "a startContainer hook (run in the container) gets no descriptor of the create caller" {
	cat >"$BUNDLE/rootfs/bin/fd-hook" <<-'EOF'
		#!/bin/sh
		ls -l /proc/self/fd >/tmp/hook-fds.long
		ls /proc/self/fd | sort -n | tr "\n" " " >/tmp/hook-fds
	EOF
	chmod 0755 "$BUNDLE/rootfs/bin/fd-hook"
	update_config '.root.readonly = false | .hooks.startContainer = [{"path": "/bin/fd-hook"}]'
	set_args true
	bash -c 'exec 5</etc/hostname 7>/dev/null; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" f1$X \
		>"$TESTDIR/f1.out" 2>"$TESTDIR/f1.err" </dev/null 3>&-
	cat "$TESTDIR/f1.err"
	berth start f1$X
	wait_file "$BUNDLE/rootfs/tmp/hook-fds"
	cat "$BUNDLE/rootfs/tmp/hook-fds.long"
	# stdin (the state), stdout and stderr, and the directory ls opens.
	[ "$(cat "$BUNDLE/rootfs/tmp/hook-fds")" = "0 1 2 3 " ]
}

@test "no descriptors leak into an exec'd process when the caller holds fds 5 and 7" {
	start_ct f1$X
	run bash -c 'exec 5</etc/hostname 7>/dev/null; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" exec f1$X \
		sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
}

@test "process.cwd /../../../../tmp resolves inside the container's root" {
	name=berth-cwd-$$-$RANDOM
	[ ! -e "/tmp/$name" ]
	update_config '.root.readonly = false | .process.cwd = "/../../../../tmp"'
	set_args sh -c "pwd; echo inside > $name; ls /tmp/$name"
	run berth run --bundle "$BUNDLE" c1$X
	echo "$output"
	escaped=
	if [ -e "/tmp/$name" ]; then
		escaped=yes
		rm -f "/tmp/$name"
	fi
	[ -z "$escaped" ]
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	[ "$(cat "$BUNDLE/rootfs/tmp/$name")" = inside ]
}

@test "a mount destination that is a symlink out of the rootfs (/data -> /etc) stays inside" {
	ln -s /etc "$BUNDLE/rootfs/data"
	ln -s ../../../../../../../../../etc "$BUNDLE/rootfs/data2"
	echo rootfs-etc >"$BUNDLE/rootfs/etc/marker"
	host_etc=$(ls -A /etc | md5sum)
	update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}]'
	set_args sh -c 'echo in-tmpfs > /data/written; grep -E " /(etc|data) " /proc/self/mountinfo; ls -A /etc | tr "\n" " "'
	run berth run --bundle "$BUNDLE" m1$X
	echo "$output"
	[ ! -e /etc/written ]
	[ "$(ls -A /etc | md5sum)" = "$host_etc" ]
	[ "$status" -eq 0 ]
	# The tmpfs covers the rootfs' own /etc.
	[[ "$output" == *" /etc "*" - tmpfs "* ]]
	[ "${lines[-1]}" = "written " ]
	[ "$(cat "$BUNDLE/rootfs/etc/marker")" = rootfs-etc ]

	update_config '.mounts[-1].destination = "/data2"'
	run berth run --bundle "$BUNDLE" m2$X
	echo "$output"
	[ ! -e /etc/written ]
	[ "$(ls -A /etc | md5sum)" = "$host_etc" ]
	[ "$status" -eq 0 ]
	[[ "$output" == *" /etc "*" - tmpfs "* ]]
}

@test "a linux.devices path that is a symlink out of the rootfs creates nothing outside it" {
	mkdir "$TESTDIR/outside"
	echo host-file >"$TESTDIR/outside/existing"
	chmod 0644 "$TESTDIR/outside/existing"
	before=$(stat -c '%F %a %u:%g %s %i' "$TESTDIR/outside/existing")
	# /dev of the rootfs itself (no tmpfs over it), with planted symlinks
	# to host paths: one that does not exist, one that does.
	update_config '.mounts |= map(select(.destination != "/dev" and (.destination | startswith("/dev/") | not)))'
	ln -s "$TESTDIR/outside/new-node" "$BUNDLE/rootfs/dev/evil"
	ln -s "$TESTDIR/outside/existing" "$BUNDLE/rootfs/dev/evil2"
	update_config '.linux.devices = [
		{"path": "/dev/evil", "type": "c", "major": 1, "minor": 3, "fileMode": 438},
		{"path": "/dev/evil2", "type": "c", "major": 1, "minor": 5, "fileMode": 511, "uid": 1000, "gid": 1000}]'
	set_args sh -c 'stat -c "%n %F %t,%T" /dev/evil /dev/evil2'
	run berth run --bundle "$BUNDLE" v1$X
	echo "$output"
	ls -la "$TESTDIR/outside"
	# Nothing new outside the rootfs; the existing file is as it was.
	[ "$(ls -A "$TESTDIR/outside")" = existing ]
	[ "$(stat -c '%F %a %u:%g %s %i' "$TESTDIR/outside/existing")" = "$before" ]
	[ "$(cat "$TESTDIR/outside/existing")" = host-file ]
	# Either the runtime refused the config, or the nodes are inside.
	if [ "$status" -eq 0 ]; then
		[[ "$output" == *"/dev/evil character special file 1,3"* ]]
		[[ "$output" == *"/dev/evil2 character special file 1,5"* ]]
	else
		[[ "$output" == *"/dev/evil"* ]]
	fi
	assert_nothing_left v1$X
}

@test "a masked path that is a symlink out of the rootfs is masked inside only" {
	# The same absolute path on the host and in the rootfs, with different
	# contents; the rootfs' /secret points at it.
	mkdir -p "$TESTDIR/hostside" "$BUNDLE/rootfs$TESTDIR/hostside"
	echo host-secret >"$TESTDIR/hostside/file"
	echo inside-secret >"$BUNDLE/rootfs$TESTDIR/hostside/file"
	ln -s "$TESTDIR/hostside/file" "$BUNDLE/rootfs/secret"
	update_config '.linux.maskedPaths += ["/secret"]'
	set_args sh -c "echo \"secret=\$(cat /secret)\"; echo \"target=\$(cat $TESTDIR/hostside/file)\""
	run berth run --bundle "$BUNDLE" k1$X
	echo "$output"
	[ "$status" -eq 0 ]
	# Inside, the file behind the symlink is masked (reads empty).
	[ "${lines[0]}" = "secret=" ]
	[ "${lines[1]}" = "target=" ]
	# On the host nothing is masked or changed.
	[ "$(cat "$TESTDIR/hostside/file")" = host-secret ]
	[ "$(cat "$BUNDLE/rootfs$TESTDIR/hostside/file")" = inside-secret ]
	[ -z "$(mounts_mentioning "$TESTDIR/hostside")" ]
}

@test "exec --preserve-fds counting descriptors the caller did not pass fails; no runtime fd reaches the container" {
	start_ct f1$X
	# fds 3..6 promised, none open: the runtime's own state directory fd
	# would take one of those numbers (CVE-2024-21626 all over again).
	run berth exec --preserve-fds 4 f1$X sh -c 'ls -l /proc/self/fd'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--preserve-fds: descriptor 3 "* ]]
	[[ "$output" != *"$ROOT"* ]]
}

@test "create with --preserve-fds beyond the caller's descriptors fails before anything exists" {
	set_args true
	run bash -c 'exec 3</etc/hostname 4>&-; exec "$@"' _ "$BERTH_RUNTIME" --root "$ROOT" create --preserve-fds 2 --bundle "$BUNDLE" f1$X
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"descriptor 4 is not open"* ]]
	[ ! -e "$ROOT/f1$X" ]
}

@test "a stale LISTEN_FDS (LISTEN_PID not ours) passes nothing into the container" {
	set_args sh -c 'echo "LISTEN_FDS=$LISTEN_FDS"; ls /proc/self/fd | sort -n | tr "\n" " "'
	run env LISTEN_FDS=4 LISTEN_PID=1 "$BERTH_RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" f1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "LISTEN_FDS=" ]
	[ "${lines[1]}" = "0 1 2 3 " ]
}
