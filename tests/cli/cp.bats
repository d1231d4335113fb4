#!/usr/bin/env bats
# berth cp against the test's daemon (BERTH_TEST_DAEMON=berthd, or dockerd
# by default): both ways, into new names and existing directories, "-" for
# a tar, -a, -L, and docker's errors (compared with the docker CLI where it
# is installed).  What was copied is checked on the other side: the local
# files, or the container's own view of its filesystem.

load helpers

setup_file() {
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/config
	local layout=$BATS_FILE_TMPDIR/plain
	"${MKIMAGE[@]}" "$layout" --variant single --entrypoint '[]' --cmd '["sh"]' --tag latest >/dev/null || return 1
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR daemon_start || return 1
	registry_start "$BATS_FILE_TMPDIR/registry" || return 1
	export BB=$REGISTRY_ADDR/test/plain
	"${PUSH[@]}" "$layout" "$BB:latest" --ref latest >/dev/null || return 1
	"$BERTH_CLI" pull -q "$BB" >/dev/null || return 1
	# a container whose files the tests copy out
	"$BERTH_CLI" run --name cpsrc "$BB" sh -c 'mkdir -p /data/sub && echo one >/data/a && echo two >/data/sub/b &&
		ln -s /data/a /data/link && ln -s sub /data/dirlink' >/dev/null || return 1
}

teardown_file() {
	"$BERTH_CLI" rm -f cpsrc >/dev/null 2>&1
	registry_stop
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR daemon_stop
}

setup() {
	cli_setup
	export DOCKER_HOST
	T=$BATS_TEST_TMPDIR
}

teardown() {
	berth rm -f cpdst >/dev/null 2>&1 || true
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${DAEMON_LOG:-}" ]; then
		echo "--- $BERTH_TEST_DAEMON log (last 30 lines):"
		tail -30 "$DAEMON_LOG"
	fi
	return 0
}

@test "cp out of a container: into a directory, a new name, a directory's contents, - as a tar, -L" {
	mkdir "$T/out"
	run berth cp cpsrc:/data/a "$T/out"
	[ "$status" -eq 0 ]
	[ -z "$output" ] # no terminal: quiet
	[ "$(cat "$T/out/a")" = one ]
	# a file under a new name, and a directory under a new name
	berth cp cpsrc:/data/sub/b "$T/renamed"
	[ "$(cat "$T/renamed")" = two ]
	berth cp cpsrc:/data "$T/tree"
	[ "$(cat "$T/tree/a" "$T/tree/sub/b")" = "$(printf 'one\ntwo')" ]
	[ -L "$T/tree/link" ]
	[ "$(readlink "$T/tree/link")" = /data/a ]
	# into an existing directory: under its own name; /. copies the contents
	berth cp cpsrc:/data/sub "$T/out"
	[ "$(cat "$T/out/sub/b")" = two ]
	mkdir "$T/contents"
	berth cp cpsrc:/data/sub/. "$T/contents"
	[ "$(ls "$T/contents")" = b ]
	# a relative destination
	(cd "$T" && berth cp cpsrc:/data/a rel.txt)
	[ "$(cat "$T/rel.txt")" = one ]
	# - : the daemon's tar on stdout
	berth cp cpsrc:/data/sub - >"$T/sub.tar"
	[ "$(tar -tf "$T/sub.tar" | sort | tr '\n' ' ')" = "sub/ sub/b " ]
	# -L: the link's target, under the link's name; without it the link
	berth cp cpsrc:/data/link "$T/nolink"
	[ -L "$T/nolink" ]
	berth cp -L cpsrc:/data/link "$T/followed"
	[ ! -L "$T/followed" ]
	[ "$(cat "$T/followed")" = one ]
	berth cp -L cpsrc:/data/dirlink "$T/out"
	[ -d "$T/out/dirlink" ]
	[ ! -L "$T/out/dirlink" ]
	[ "$(cat "$T/out/dirlink/b")" = two ]
	# on a terminal the size copied is told, unless -q
	run script -qec "$BERTH_CLI cp cpsrc:/data/a $T/tty" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^"Successfully copied "[0-9.]+k?B" to $T/tty"$'\r'?$ ]]
	run script -qec "$BERTH_CLI cp -q cpsrc:/data/a $T/q" /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(cat "$T/q")" = one ]
}

@test "cp into a container: a new name, an existing directory, - from stdin, -a gives it to the container's user" {
	mkdir -p "$T/src/dir/inner"
	echo hello >"$T/src/file"
	echo deep >"$T/src/dir/inner/x"
	chown -R 1234:5678 "$T/src"
	berth create --name cpdst -u root "$BB" sh -c 'cat /new.txt /tmp/file /tmp/dir/inner/x /copied/inner/x /fromtar/t;
		ls -ln /new.txt /tmp/file /copied/inner/x | awk "{print \$3\":\"\$4}"; stat -c %u:%g /kept/file;
		test -L /tmp/asis && cat /tmp/followed' >/dev/null
	berth cp "$T/src/file" cpdst:/new.txt
	berth cp "$T/src/file" cpdst:/tmp
	berth cp "$T/src/dir" cpdst:/tmp/
	berth cp "$T/src/dir" cpdst:/copied
	mkdir "$T/t" && echo tarred >"$T/t/t"
	berth cp "$T/t" cpdst:/fromtar
	# a tar on stdin, extracted into an existing directory
	tar -cf - -C "$T/t" t | berth cp - cpdst:/tmp
	mkdir "$T/k" && cp -a "$T/src/file" "$T/k/file" && chown 1234:5678 "$T/k"
	berth cp -a "$T/k" cpdst:/kept
	# a local symlink goes as it is, or with -L as its target under its name
	ln -s file "$T/src/link"
	berth cp "$T/src/link" cpdst:/tmp/asis
	berth cp -L "$T/src/link" cpdst:/tmp/followed
	run berth start -a cpdst
	echo "$output"
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = hello ]
	[ "${lines[2]}" = deep ]
	[ "${lines[3]}" = deep ]
	[ "${lines[4]}" = tarred ]
	# the tar carries the local uid/gid, kept as they are; with -a the
	# daemon gives everything to the container's user ("root": dockerd looks
	# the name up on the host)
	[ "${lines[5]}" = 1234:5678 ]
	[ "${lines[6]}" = 1234:5678 ]
	[ "${lines[7]}" = 1234:5678 ]
	[ "${lines[8]}" = 0:0 ]
	[ "${lines[9]}" = hello ]
	# stdin's tar really landed in /tmp
	[ "$(berth cp cpdst:/tmp/t - | tar -xOf - t)" = tarred ]
}

@test "cp errors: a missing path, DEST/ not a directory, no container, as docker words them" {
	echo x >"$T/file"
	run berth cp cpsrc:/nope "$T/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error response from daemon:"*"/nope"* ]]
	[ ! -e "$T/x" ]
	same_as_docker cp cpsrc:/nope "$T/x"
	# a file to DEST/ that does not exist, both ways
	run berth cp cpsrc:/data/a "$T/missing/"
	[ "$status" -eq 1 ]
	[ "$output" = "no such directory" ]
	[ ! -e "$T/missing" ]
	same_as_docker cp cpsrc:/data/a "$T/missing/"
	run berth cp "$T/file" cpsrc:/newdir/
	[ "$status" -eq 1 ]
	[ "$output" = "no such directory" ]
	# DEST/ naming a file
	same_as_docker cp cpsrc:/data/a "$T/file/"
	# a directory onto a file
	run berth cp cpsrc:/data/sub "$T/file"
	[ "$status" -eq 1 ]
	[ "$output" = "cannot copy directory" ]
	same_as_docker cp cpsrc:/data/sub "$T/file"
	# stdin into a path that is not a directory
	run berth cp - cpsrc:/data/a </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = 'destination "cpsrc:/data/a" must be a directory' ]
	same_as_docker cp "$T/nofile" cpsrc:/tmp
	same_as_docker cp nosuch:/etc "$T/y"
	same_as_docker cp "$T/a" "$T/b"
	same_as_docker cp a:/x b:/y
	same_as_docker cp onlyone
	same_as_docker cp --bogus a:/x y
}
