#!/usr/bin/env bats
# docker cp through berthd (GET, HEAD, PUT /containers/{id}/archive): out of
# and into running, stopped and created containers, volumes, symlinks that
# try to reach the host, read-only roots and volumes, ownership with -a.
#
#   bats tests/daemon/archive.bats

load helpers

setup_file() {
	require_binaries || return 1
	busybox_tar_setup || return 1
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
	berthd_start
	timeout "$DK_TIMEOUT" "$DOCKER" -H "unix://$BERTHD_SOCK" import - bb:latest \
		<"$ROOTFS_TAR" >/dev/null
	# a file of the host that no container may read or write
	CANARY=$T/canary
	echo "host secret" >"$CANARY"
	mkdir -p "$T/hostdir"
}

teardown() {
	dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	daemon_teardown
}

# stat_of CONTAINER PATH: the decoded X-Docker-Container-Path-Stat of a HEAD.
stat_of() {
	api -I "/containers/$1/archive?path=$2" | tr -d '\r' |
		sed -n 's/^X-Docker-Container-Path-Stat: //Ip' | base64 -d
}

canary_untouched() {
	assert_eq "$(cat "$CANARY")" "host secret"
	[ -z "$(ls -A "$T/hostdir")" ]
}

@test "archive: cp out of and into a running container, its volume, HEAD's stat header, events" {
	dk run -d --name c1 -v vol1:/data bb sh -c \
		'mkdir -p /d/sub; echo hi >/d/sub/f; echo v >/data/vf; ln -s ../../etc /d/rel; touch /ready; exec sleep 1000'
	local i=0
	while ! dk exec c1 test -e /ready && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	mkdir "$T/out"
	dk cp c1:/d/sub "$T/out/"
	assert_eq "$(cat "$T/out/sub/f")" hi
	dk cp c1:/d/sub/f "$T/out/renamed"
	assert_eq "$(cat "$T/out/renamed")" hi
	dk cp c1:/data/vf - | tar -xO vf | grep -qx v
	# -L copies what the link points to: the container's /etc, not the host's
	dk cp -L c1:/d/rel "$T/out/etc"
	[ -f "$T/out/etc/passwd" ]
	cmp "$T/out/etc/passwd" "$ROOTFS/etc/passwd"
	# the root's archive includes the volume, but not /proc's contents
	api "/containers/c1/archive?path=/" | tar -t >"$T/list"
	grep -qx '/data/vf' "$T/list"
	! grep -q '^/proc/.' "$T/list"

	echo into >"$T/in.txt"
	mkdir -p "$T/indir/deep"
	echo deep >"$T/indir/deep/x"
	dk cp "$T/in.txt" c1:/tmp/
	dk cp "$T/in.txt" c1:/tmp/newname
	dk cp "$T/indir" c1:/data/
	assert_eq "$(dk exec c1 cat /tmp/in.txt /tmp/newname /data/indir/deep/x)" "into
into
deep"
	# the volume's own directory on the host has it
	local vol
	vol=$(dk volume inspect -f '{{.Mountpoint}}' vol1)
	assert_eq "$(cat "$vol/indir/deep/x")" deep

	# HEAD: Go's FileMode bits (ModeDir 1<<31, ModeSymlink 1<<27), the link's target in the container
	assert_contains "$(stat_of c1 /d/sub)" '"name":"sub","size":'
	assert_contains "$(stat_of c1 /d/sub)" "\"mode\":$(((1 << 31) | 0755)),"
	assert_contains "$(stat_of c1 /d/rel)" "\"mode\":$(((1 << 27) | 0777)),"
	assert_contains "$(stat_of c1 /d/rel)" '"linkTarget":"/etc"'
	assert_contains "$(stat_of c1 /d/sub/f)" '"name":"f","size":3,"mode":420,'
	run dk events --since 0 --until "$(($(date +%s) + 1))" --filter event=archive-path --filter event=extract-to-dir \
		--format '{{.Action}} {{.Actor.Attributes.name}}'
	assert_contains "$output" "archive-path c1"
	assert_contains "$output" "extract-to-dir c1"
}

@test "archive: cp out of and into a stopped and a created container, volume included" {
	dk run --name s1 -v vol2:/data bb sh -c 'echo before >/data/v; echo root >/r'
	dk create --name c0 bb true >/dev/null
	assert_eq "$(dk cp s1:/r - | tar -xO r)" root
	assert_eq "$(dk cp s1:/data/v - | tar -xO v)" before
	assert_eq "$(dk cp c0:/etc/passwd - | tar -xO passwd)" "$(cat "$ROOTFS/etc/passwd")"
	echo put >"$T/p"
	dk cp "$T/p" s1:/data/p
	dk cp "$T/p" s1:/p2
	dk cp "$T/p" c0:/p3
	assert_eq "$(dk cp s1:/data/p - | tar -xO p)" put
	# nothing stays mounted on the host for a stopped container
	! grep -q "$BERTHD_ROOT/containers/" /proc/self/mountinfo
	dk start -a s1 >/dev/null || true
	run dk run --rm -v vol2:/data bb cat /data/p
	assert_eq "$output" put
	dk start c0
	dk wait c0 >/dev/null
	assert_eq "$(dk cp c0:/p3 - | tar -xO p3)" put
}

@test "archive: symlinks in the container never reach the host" {
	dk run -d --name e1 bb sh -c "ln -s / /esc; ln -s ../../../../../.. /up; ln -s $CANARY /canary; \
		ln -s $T/hostdir /hd; mkdir -p $T/hostdir; touch /ready; exec sleep 1000"
	local i=0
	while ! dk exec e1 test -e /ready && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	# reading through them stays in the container
	run dk cp "e1:/esc$CANARY" "$T/got"
	[ "$status" -ne 0 ]
	assert_contains "$output" "Could not find the file"
	run dk cp "e1:/up$CANARY" "$T/got"
	[ "$status" -ne 0 ]
	run dk cp -L e1:/canary "$T/got"
	[ "$status" -ne 0 ]
	[ ! -e "$T/got" ]
	# writing through them lands in the container
	echo evil >"$T/evil"
	dk cp "$T/evil" e1:/hd/
	dk cp "$T/evil" e1:/up/tmp/
	assert_eq "$(dk exec e1 cat "$T/hostdir/evil" /tmp/evil)" "evil
evil"
	# a tar that climbs out, or writes through a symlink it planted
	python3 - "$T/climb.tar" "$T/planted.tar" "$T/hostdir" <<-'EOF'
		import io, sys, tarfile
		def add(t, name, data=b"x", link=None):
		    i = tarfile.TarInfo(name)
		    if link:
		        i.type, i.linkname = tarfile.SYMTYPE, link
		        t.addfile(i)
		    else:
		        i.size = len(data)
		        t.addfile(i, io.BytesIO(data))
		with tarfile.open(sys.argv[1], "w") as t:
		    add(t, "../../../../../../.." + sys.argv[3] + "/climbed")
		with tarfile.open(sys.argv[2], "w") as t:
		    add(t, "l", link=sys.argv[3])
		    add(t, "l/through")
	EOF
	api_status -X PUT --data-binary @"$T/climb.tar" "/containers/e1/archive?path=/tmp"
	[ "$API_STATUS" -ge 400 ]
	api_status -X PUT --data-binary @"$T/planted.tar" "/containers/e1/archive?path=/tmp"
	[ "$API_STATUS" -ge 400 ]
	assert_contains "$API_BODY" "symlink"
	dk stop -t 0 e1 >/dev/null
	run dk cp "e1:/esc$CANARY" "$T/got"
	[ "$status" -ne 0 ]
	dk cp "$T/evil" e1:/esc/tmp/stopped
	api_status -X PUT --data-binary @"$T/planted.tar" "/containers/e1/archive?path=/tmp"
	[ "$API_STATUS" -ge 400 ]
	canary_untouched
}

@test "archive: errors as dockerd's: missing path, not a directory, read-only root and volume, no path" {
	dk run -d --name r1 --read-only -v "$T/hostdir:/rov:ro" bb sleep 1000 >/dev/null
	tar -C "$T" -cf "$T/one.tar" canary
	api_status -X PUT --data-binary @"$T/one.tar" "/containers/r1/archive?path=/tmp"
	assert_eq "$API_STATUS" 500
	assert_contains "$API_BODY" "container rootfs is marked read-only"
	api_status -X PUT --data-binary @"$T/one.tar" "/containers/r1/archive?path=/rov"
	assert_contains "$API_BODY" "mounted volume is marked read-only"
	api_status -X PUT --data-binary @"$T/one.tar" "/containers/r1/archive?path=/nope"
	assert_eq "$API_STATUS" 404
	assert_eq "$API_BODY" '{"message":"Could not find the file /nope in container r1"}'
	api_status -X PUT --data-binary @"$T/one.tar" "/containers/r1/archive?path=/etc/passwd"
	assert_eq "$API_STATUS" 400
	assert_contains "$API_BODY" "extraction point is not a directory"
	api_status "/containers/r1/archive?path=/nope"
	assert_eq "$API_STATUS" 404
	api_status "/containers/r1/archive"
	assert_eq "$API_STATUS" 400
	assert_contains "$API_BODY" "path cannot be empty"
	api_status "/containers/nosuch/archive?path=/"
	assert_eq "$API_STATUS" 404
	run dk cp r1:/nope "$T/x"
	[ "$status" -ne 0 ]
	assert_contains "$output" "Could not find the file /nope in container r1"
	canary_untouched
}

@test "archive: ownership: the archive's ids, or the container's user with -a; a compressed upload" {
	dk run -d --name o1 -u 1000:1000 bb sleep 1000 >/dev/null
	echo own >"$T/own"
	chown 1234:4321 "$T/own"
	dk cp "$T/own" o1:/tmp/plain
	dk cp -a "$T/own" o1:/tmp/archived
	assert_eq "$(dk exec o1 stat -c '%u:%g' /tmp/plain /tmp/archived)" "1234:4321
1000:1000"
	# the owner goes out in the archive too
	dk cp o1:/tmp/archived - | tar -tv | grep -q '1000/1000'
	tar -C "$T" -czf "$T/own.tgz" own
	api_status -X PUT --data-binary @"$T/own.tgz" "/containers/o1/archive?path=/tmp"
	assert_eq "$API_STATUS" 200
	assert_eq "$(dk exec o1 cat /tmp/own)" own
	# xz and bzip2, as dockerd takes them
	mkdir "$T/xz" "$T/bz"
	echo xz-body >"$T/xz/xzfile"
	echo bz-body >"$T/bz/bzfile"
	tar -C "$T/xz" -cJf "$T/x.txz" xzfile
	tar -C "$T/bz" -cjf "$T/b.tbz" bzfile
	api_status -X PUT --data-binary @"$T/x.txz" "/containers/o1/archive?path=/tmp"
	assert_eq "$API_STATUS" 200
	api_status -X PUT --data-binary @"$T/b.tbz" "/containers/o1/archive?path=/tmp"
	assert_eq "$API_STATUS" 200
	assert_eq "$(dk exec o1 cat /tmp/xzfile /tmp/bzfile)" "xz-body
bz-body"
	# a corrupt one is the client's error
	head -c 40 "$T/x.txz" >"$T/bad.txz"
	api_status -X PUT --data-binary @"$T/bad.txz" "/containers/o1/archive?path=/tmp"
	assert_eq "$API_STATUS" 400
}
