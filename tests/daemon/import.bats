#!/usr/bin/env bats
# docker import (a tar, plain or compressed, streamed to berthd as the
# request body) and docker export / docker diff of containers, through the
# real docker CLI.  A hostile or broken archive is refused like a hostile
# pulled layer, and leaves nothing behind.
#
#   bats tests/daemon/import.bats

load helpers

setup_file() {
	require_binaries || return 1
	export ROOTFS=$BATS_FILE_TMPDIR/rootfs A=$BATS_FILE_TMPDIR/archives
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" || return 1
	mkdir -p "$A" || return 1
	tar -C "$ROOTFS" -cf "$A/rootfs.tar" . || return 1
	gzip -c "$A/rootfs.tar" >"$A/rootfs.tar.gz" || return 1
	zstd -q -c "$A/rootfs.tar" >"$A/rootfs.tar.zst" || return 1
	xz -T1 -0 -c "$A/rootfs.tar" >"$A/rootfs.tar.xz" || return 1
	# cut inside the compressed data: the gzip trailer never comes
	head -c $(($(stat -c %s "$A/rootfs.tar.gz") / 2)) "$A/rootfs.tar.gz" >"$A/truncated.tar.gz" || return 1
	"$REGISTRY_PYTHON" - "$A" <<-'EOF' || return 1
		import io, sys, tarfile
		d = sys.argv[1]
		def add(t, name, data=b"x", **kw):
		    ti = tarfile.TarInfo(name)
		    for k, v in kw.items():
		        setattr(ti, k, v)
		    if ti.type == tarfile.REGTYPE:
		        ti.size = len(data)
		        t.addfile(ti, io.BytesIO(data))
		    else:
		        t.addfile(ti)
		with tarfile.open(d + "/dotdot.tar", "w", format=tarfile.GNU_FORMAT) as t:
		    add(t, "ok")
		    add(t, "../escape")
		with tarfile.open(d + "/symlink.tar", "w", format=tarfile.GNU_FORMAT) as t:
		    add(t, "link", type=tarfile.SYMTYPE, linkname="/")
		    add(t, "link/escape")
	EOF
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
	berthd_start
}

teardown() {
	dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	daemon_teardown
}

# dk_in ARGS...: the docker CLI with the test's stdin (dk reads /dev/null).
dk_in() {
	timeout "$DK_TIMEOUT" "$DOCKER" -H "unix://$BERTHD_SOCK" "$@"
}

# out IMAGE [ARGS...]: what a container of IMAGE printed, from its log, so
# that these checks of the image do not depend on the attach path; fails
# when the program fails.
out() {
	local name=out-$(date +%s%N)
	dk run --name "$name" "$@" >/dev/null || return 1
	dk logs "$name"
}

# no upload file is left under ROOT/tmp, no ingest file, no mount of ours
assert_no_leftovers() {
	local left
	left=$(find "$BERTHD_ROOT/tmp" -mindepth 1 2>/dev/null || true)
	[ -z "$left" ] || {
		echo "left in ROOT/tmp: $left" >&2
		return 1
	}
	assert_eq "$(ingest_files)" "" "ingest files"
}

@test "import: a plain tar on stdin is an image that runs; upload files go; an import event" {
	local t0
	t0=$(date +%s)
	run dk_in import - imp:v1 <"$A/rootfs.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	local id=$output
	assert_eq "$(dk images --format '{{.Repository}}:{{.Tag}} {{.ID}}')" "imp:v1 $(short_id "$id")"
	assert_eq "$(dk inspect -f '{{.Id}} {{.Os}}/{{.Architecture}} {{len .RootFS.Layers}} {{.Comment}}' imp:v1)" \
		"$id linux/$(host_arch) 1 Imported from -"
	# the layer is the tar itself, as a verified blob; the manifest and config too
	assert_blobs_verified
	[ -e "$BERTHD_ROOT/content/blobs/sha256/$(sha256sum "$A/rootfs.tar" | cut -d' ' -f1)" ]
	assert_eq "$(dk history --format '{{.CreatedBy}}|{{.Comment}}' imp:v1)" "|Imported from -"
	assert_no_leftovers
	run dk run --rm imp:v1 /bin/busybox echo ok
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$(out imp:v1 /bin/busybox echo ok)" ok
	run dk events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=image \
		--format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}'
	echo "$output"
	assert_eq "$output" "tag $id imp:v1"$'\n'"import $id $id"
}

@test "import: gzip, zstd and xz archives, from stdin or a file; no name: an untagged image" {
	run dk_in import - gz <"$A/rootfs.tar.gz"
	echo "$output"
	[ "$status" -eq 0 ]
	run dk import "$A/rootfs.tar.zst" docker.io/library/zs:1
	echo "$output"
	[ "$status" -eq 0 ]
	run dk import "$A/rootfs.tar.xz" xz:1
	echo "$output"
	[ "$status" -eq 0 ]
	run dk import "$A/rootfs.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	local untagged=$output
	assert_eq "$(dk images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" \
		"<none>:<none> gz:latest xz:1 zs:1 "
	assert_eq "$(dk images -q -f dangling=true --no-trunc)" "$untagged"
	# one layer, whatever the compression: one snapshot for all four
	assert_eq "$(snapshot_dirs | wc -l)" 1
	local l
	for l in gz zs:1 xz:1 "$untagged"; do
		assert_eq "$(dk inspect -f '{{index .RootFS.Layers 0}}' "$l")" "sha256:$(sha256sum "$A/rootfs.tar" | cut -d' ' -f1)"
	done
	assert_eq "$(out zs:1 cat /etc/group | head -1)" "root:x:0:"
	assert_no_leftovers
}

@test "import: --change and --message: config and history, seen by a run" {
	run dk_in import --change 'CMD ["/bin/sh","-c","echo hi"]' --change 'ENV A=1' --change 'WORKDIR /tmp' \
		--change 'LABEL tier=test' -m 'made by a test' - chg:1 <"$A/rootfs.tar.gz"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$(dk inspect -f '{{json .Config.Cmd}} {{json .Config.Env}} {{.Config.WorkingDir}} {{.Config.Labels.tier}} {{.Comment}}' chg:1)" \
		'["/bin/sh","-c","echo hi"] ["A=1"] /tmp test made by a test'
	assert_eq "$(dk history --format '{{.Comment}}' chg:1)" "made by a test"
	assert_eq "$(out chg:1)" hi
	assert_eq "$(out chg:1 sh -c 'echo $A; pwd')" "1"$'\n'"/tmp"
	# the shell form, and ENTRYPOINT
	run dk_in import -c 'ENTRYPOINT ["/bin/echo", "from"]' -c 'CMD entry' - chg:2 <"$A/rootfs.tar"
	[ "$status" -eq 0 ]
	assert_eq "$(out chg:2)" "from /bin/sh -c entry"
}

@test "import: refused before the archive is read: a bad change, name or URL; nothing stored" {
	run dk_in import -c 'RUN make' - bad:1 <"$A/rootfs.tar"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "RUN is not a valid change command"
	run dk_in import - 'Bad:Name:x' <"$A/rootfs.tar"
	echo "$output"
	[ "$status" -ne 0 ]
	run dk import http://127.0.0.1:9/rootfs.tar web:1
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "import from a URL (http://127.0.0.1:9/rootfs.tar) is not supported"
	api_status -X POST '/images/create?fromSrc=http%3A%2F%2Fexample.com%2Fx.tar'
	assert_eq "$API_STATUS" 501
	api_status -X POST --data-binary @"$A/rootfs.tar" '/images/create?fromSrc=-&repo=x&changes=BOGUS'
	assert_eq "$API_STATUS" 400
	assert_eq "$(jq -r .message <<<"$API_BODY")" "BOGUS is not a valid change command"
	# the 1 MiB bound of other bodies holds: only imports are streamed
	api_status -X POST -H 'Content-Type: application/json' --data-binary @"$A/rootfs.tar" /containers/create
	assert_eq "$API_STATUS" 413
	assert_nothing_stored
	assert_no_leftovers
}

@test "import: a hostile archive (.., a symlink out) is refused: 400, nothing stored, nothing written outside" {
	local tarball
	for tarball in dotdot symlink; do
		run dk_in import - "evil-$tarball" <"$A/$tarball.tar"
		echo "$output"
		[ "$status" -ne 0 ]
	done
	api_status -X POST --data-binary @"$A/dotdot.tar" '/images/create?fromSrc=-&repo=evil'
	echo "$API_BODY"
	assert_eq "$API_STATUS" 400
	assert_contains "$API_BODY" 'layer entry \"../escape\": path leaves the layer root'
	api_status -X POST --data-binary @"$A/symlink.tar" '/images/create?fromSrc=-&repo=evil'
	echo "$API_BODY"
	assert_eq "$API_STATUS" 400
	assert_contains "$API_BODY" "entries are never written through symlinks"
	[ ! -e /escape ]
	assert_eq "$(find "$BERTHD_ROOT" -name escape)" ""
	assert_nothing_stored
	assert_no_leftovers
	# after an image exists: a hostile import changes nothing either
	dk_in import - good <"$A/rootfs.tar" >/dev/null
	local images blobs snaps
	images=$(dk images -a --no-trunc -q)
	blobs=$(blobs)
	snaps=$(snapshot_dirs)
	run dk_in import - evil <"$A/dotdot.tar"
	[ "$status" -ne 0 ]
	assert_eq "$(dk images -a --no-trunc -q)" "$images"
	assert_eq "$(blobs)" "$blobs"
	assert_eq "$(snapshot_dirs)" "$snaps"
	assert_eq "$(db_query "SELECT count(*) FROM snapshots WHERE state != 'committed'")" 0
	assert_no_leftovers
}

@test "import: a truncated gzip or a file that is no tar is an error that leaves nothing" {
	run dk_in import - trunc <"$A/truncated.tar.gz"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "truncated"
	head -c 4096 /dev/urandom >"$T/junk"
	api_status -X POST --data-binary @"$T/junk" '/images/create?fromSrc=-&repo=junk'
	echo "$API_BODY"
	assert_eq "$API_STATUS" 400
	assert_contains "$API_BODY" "malformed tar"
	assert_nothing_stored
	assert_no_leftovers
}

@test "export: a stopped container's files and changes; diff; importing the export gives an image that runs" {
	dk_in import - imp <"$A/rootfs.tar" >/dev/null
	local mounts
	mounts=$(grep -c . /proc/self/mountinfo)
	run dk run --name w imp sh -c 'echo written > /root/f; rm /etc/group; mkdir /new'
	[ "$status" -eq 0 ]
	run dk export -o "$T/w.tar" w
	echo "$output"
	[ "$status" -eq 0 ]
	tar -tf "$T/w.tar" >"$T/list"
	grep -qx 'root/f' "$T/list"
	grep -qx 'bin/busybox' "$T/list"
	grep -qx 'new/' "$T/list"
	if grep -q 'etc/group' "$T/list"; then
		echo "a deleted file was exported" >&2
		return 1
	fi
	assert_eq "$(tar -xOf "$T/w.tar" root/f)" written
	# symlinks stay symlinks, owners and modes are kept
	assert_eq "$(tar -tvf "$T/w.tar" bin/sh | awk '{print $1, $2, $6, $7, $8}')" "lrwxrwxrwx 0/0 bin/sh -> busybox"
	assert_eq "$(tar -tvf "$T/w.tar" tmp/ | head -1 | awk '{print $1}')" "drwxrwxrwt"
	# the stopped container's root was mounted for the export only, and privately
	assert_eq "$(grep -c . /proc/self/mountinfo)" "$mounts" "mounts after export"
	run dk diff w
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$output" "C /etc"$'\n'"D /etc/group"$'\n'"A /new"$'\n'"C /root"$'\n'"A /root/f"
	# the export is an archive docker import takes back
	run dk import "$T/w.tar" reimp:1
	[ "$status" -eq 0 ]
	assert_eq "$(out reimp:1 sh -c 'cat /root/f; ls /etc/group 2>/dev/null; echo end')" "written"$'\n'"end"
	assert_no_leftovers
}

@test "export: a running container, streamed as it is" {
	dk_in import - imp <"$A/rootfs.tar" >/dev/null
	dk run -d --name live imp sh -c 'echo up > /live; sleep 60' >/dev/null
	local i=0
	until dk diff live 2>/dev/null | grep -qx 'A /live' || [ $i -ge 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# docker export to a pipe: the tar on stdout
	dk export live | tar -xO live >"$T/live"
	assert_eq "$(cat "$T/live")" up
	api_status -o /dev/null -D "$T/headers" /containers/live/export
	grep -qi '^Content-Type: application/x-tar' "$T/headers"
	grep -qi '^Transfer-Encoding: chunked' "$T/headers"
	api_status /containers/nope/export
	assert_eq "$API_STATUS" 404
	api_status /containers/nope/changes
	assert_eq "$API_STATUS" 404
	dk rm -f live >/dev/null
}
