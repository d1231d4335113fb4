#!/usr/bin/env bats
# berthd's life on one root: a second daemon is refused, SIGTERM stops it
# cleanly (also in the middle of a pull), kill -9 in the middle of a pull
# leaves nothing that the next start does not repair, and what was stored
# (SQLite, content, snapshots) survives.
#
#   bats tests/daemon/restart.bats

load helpers

# The images, built once for the whole file:
#   other  one layer, busybox plus a file (so it shares no layer with
#          multi), pushed to a real registry as test/other
#   multi  two layers, served by fakereg (slow or stalled) for the pulls
#          that get interrupted
setup_file() {
	require_binaries || return 1
	export IMG=$BATS_FILE_TMPDIR/img ROOTFS=$BATS_FILE_TMPDIR/rootfs
	export no_proxy='*' NO_PROXY='*'
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" || return 1
	build_layout "$IMG" multi --variant multi || return 1
	local other=$BATS_FILE_TMPDIR/rootfs-other
	cp -a "$ROOTFS" "$other" && echo "the other image" >"$other/etc/other-release" || return 1
	ROOTFS=$other build_layout "$IMG" other --variant single || return 1
	registry_start "$BATS_FILE_TMPDIR/registry" || return 1
	export REG=$REGISTRY_ADDR
	push_tag "$IMG" other "$REG/test/other:latest" >/dev/null || return 1
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
}

teardown() {
	daemon_teardown
}

pull_ok() {
	run dk pull -q "$@"
	echo "$output"
	[ "$status" -eq 0 ]
}

# state_of IMAGE: what the daemon says about an image, for before/after.
state_of() {
	dk image inspect --format '{{.Id}} {{json .RepoTags}} {{json .RepoDigests}} {{json .RootFS.Layers}} {{.Size}} {{.GraphDriver.Data.LowerDir}}' "$1"
}

# wait_for DESCRIPTION SECONDS CMD...: until CMD succeeds.
wait_for() {
	local what=$1 n=$(($2 * 20))
	shift 2
	while ! "$@"; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			echo "timed out waiting for $what" >&2
			return 1
		fi
		sleep 0.05
	done
}

# ingest_bytes DIGEST: the size of the ingest file of a blob (0 if none).
ingest_bytes() {
	stat -c %s "$BERTHD_ROOT/content/ingest/sha256-${1#sha256:}" 2>/dev/null || echo 0
}

ingest_has() {
	[ "$(ingest_bytes "$1")" -ge "$2" ]
}

preparing() {
	[ "$(db_query "SELECT count(*) FROM snapshots WHERE state = 'preparing'")" -ge 1 ]
}

# check_other: the other image's one layer, on disk.
check_other() {
	local l
	l=$(dk image inspect --format '{{.GraphDriver.Data.LowerDir}}' "$REG/test/other") || return 1
	assert_eq "$(cat "$l/etc/other-release")" "the other image" "other-release" || return 1
	cmp "$ROOTFS/bin/busybox" "$l/bin/busybox" || return 1
}

@test "restart: a second berthd on the same root is refused; the first keeps serving" {
	berthd_start
	pull_ok "$REG/test/other"
	local first=$BERTHD_PID before
	before=$(state_of "$REG/test/other")
	# the same root, its own socket and pidfile
	run timeout 20 "$BERTHD" --root "$BERTHD_ROOT" --exec-root "$BD/exec2" -H "unix://$BD/second.sock" \
		--pidfile "$BD/second.pid" "${BERTHD_DEFAULT_FLAGS[@]}"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	assert_eq "$output" "berthd: another berthd is running on $BERTHD_ROOT (it holds $BERTHD_ROOT/berthd.lock)"
	[ ! -e "$BD/second.sock" ]
	[ ! -e "$BD/second.pid" ]
	# another root, but the first one's socket: refused, the socket stays
	run timeout 20 "$BERTHD" --root "$BD/root2" --exec-root "$BD/exec2" -H "unix://$BERTHD_SOCK" \
		--pidfile "$BD/second.pid" "${BERTHD_DEFAULT_FLAGS[@]}"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	assert_contains "$output" "$BERTHD_SOCK: a daemon is listening there already"
	[ ! -e "$BD/second.pid" ]
	# the first one is untouched: same pid, socket, pidfile, images
	kill -0 "$first"
	assert_eq "$(cat "$BERTHD_PIDFILE")" "$first" "pidfile"
	assert_eq "$(api /_ping)" OK
	assert_eq "$(state_of "$REG/test/other")" "$before"
	check_other
}

@test "restart: SIGTERM exits 0 and removes socket and pidfile; the state survives the restart" {
	berthd_start
	pull_ok "$REG/test/other"
	dk tag "$REG/test/other" local/kept:1
	dk tag "$REG/test/other" local/gone:1
	dk rmi local/gone:1 >/dev/null
	local before images blobs_before snaps_before
	before=$(state_of "$REG/test/other")
	images=$(dk images --digests --no-trunc --format '{{.Repository}}:{{.Tag}} {{.Digest}} {{.ID}}' | sort)
	blobs_before=$(blobs)
	snaps_before=$(snapshot_dirs)
	assert_eq "$(cat "$BERTHD_PIDFILE")" "$BERTHD_PID" "pidfile"

	local rc=0
	berthd_stop || rc=$?
	assert_eq "$rc" 0 "berthd's exit status"
	[ ! -e "$BERTHD_SOCK" ]
	[ ! -e "$BERTHD_PIDFILE" ]
	grep -q 'berthd shutting down' "$BERTHD_LOG"

	berthd_start
	assert_eq "$(state_of "$REG/test/other")" "$before" "inspect after the restart"
	assert_eq "$(dk images --digests --no-trunc --format '{{.Repository}}:{{.Tag}} {{.Digest}} {{.ID}}' | sort)" "$images"
	assert_eq "$(blobs)" "$blobs_before" "blobs"
	assert_eq "$(snapshot_dirs)" "$snaps_before" "snapshots"
	check_other
	api_status /images/local/gone:1/json
	assert_eq "$API_STATUS" 404
	# the new daemon works on that state: remove it all
	run dk rmi "$REG/test/other" local/kept:1
	echo "$output"
	[ "$status" -eq 0 ]
	assert_nothing_stored
}

@test "restart: kill -9 in the middle of a pull; the restart repairs, earlier images are intact, the pull then succeeds" {
	berthd_start
	pull_ok "$REG/test/other"
	local before base size
	before=$(state_of "$REG/test/other")
	base=$(layout_layers "$IMG" multi | head -1)
	size=$(stat -c %s "$(layout_blob "$IMG" "$base")")
	# a slow registry: the base layer takes about 10 s
	fakereg_start "$T/slow" "$IMG" slow --ref multi --rate $((size / 10))
	dk pull "$FAKEREG_ADDR/x/slow" >"$T/pull.out" 2>&1 &
	local client=$!
	# really in flight: part of the blob written, its snapshot being made
	wait_for "the download" 20 ingest_has "$base" 50000
	wait_for "a snapshot being prepared" 10 preparing
	berthd_kill9
	local rc=0
	wait "$client" || rc=$?
	cat "$T/pull.out"
	[ "$rc" -ne 0 ]
	# what the crash left: a stale socket, a pidfile, a partial blob, a
	# snapshot row and directory that will never be committed
	[ -S "$BERTHD_SOCK" ]
	[ -e "$BERTHD_PIDFILE" ]
	local partial stale
	partial=$(ingest_bytes "$base")
	[ "$partial" -ge 50000 ]
	[ "$partial" -lt "$size" ]
	stale=$(db_query "SELECT id FROM snapshots WHERE state = 'preparing'")
	[ -n "$stale" ]
	for id in $stale; do
		[ -d "$BERTHD_ROOT/snapshots/$id" ]
	done
	registry_stop

	# the restart: half-made snapshots go (rows and directories); the
	# partial blob stays as it was, a prefix of the real one, to resume
	berthd_start
	assert_eq "$(db_query "SELECT count(*) FROM snapshots WHERE state = 'preparing'")" 0 "preparing snapshots"
	for id in $stale; do
		[ ! -e "$BERTHD_ROOT/snapshots/$id" ]
	done
	assert_eq "$(ingest_bytes "$base")" "$partial" "partial blob after the restart"
	cmp -n "$partial" "$(layout_blob "$IMG" "$base")" "$BERTHD_ROOT/content/ingest/sha256-${base#sha256:}"
	# the image acknowledged before the crash is all there
	assert_eq "$(state_of "$REG/test/other")" "$before" "the earlier image"
	check_other
	assert_blobs_verified
	assert_eq "$(dk images -q | wc -l)" 1 "images"

	# the same image again, from a registry at full speed: the download
	# resumes where the crash stopped it, and the pull succeeds
	fakereg_start "$T/fast" "$IMG" none --ref multi
	run dk pull "$FAKEREG_ADDR/x/slow"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$(jq -r --arg b "/blobs/$base" 'select(.path | endswith($b)) | .range' "$FAKEREG_LOG")" "bytes=$partial-" "the resumed request"
	assert_eq "$(dk image inspect --format '{{json .RootFS.Layers}}' "$FAKEREG_ADDR/x/slow")" "$(layout_diff_ids "$IMG" multi)"
	local l
	l=$(dk image inspect --format '{{.GraphDriver.Data.LowerDir}}' "$FAKEREG_ADDR/x/slow")
	cmp "$ROOTFS/bin/busybox" "${l##*:}/bin/busybox"
	[ -f "${l%%:*}/opt/berth/hello.txt" ]
	assert_blobs_verified
	assert_eq "$(ingest_files)" "" "ingest files"
	assert_eq "$(db_query "SELECT count(*) FROM snapshots WHERE state = 'preparing'")" 0
	# every snapshot directory is a committed snapshot an image uses
	assert_eq "$(snapshot_dirs | wc -l)" 3 "snapshot dirs"
	assert_eq "$(db_query "SELECT count(*) FROM snapshots WHERE state = 'committed'")" 3
	assert_eq "$(state_of "$REG/test/other")" "$before" "the earlier image, at the end"
}

@test "restart: SIGTERM while a pull is stalled and /events is open: a prompt clean exit, then a clean start" {
	berthd_start
	pull_ok "$REG/test/other"
	local base
	base=$(layout_layers "$IMG" multi | head -1)
	fakereg_start "$T/stall" "$IMG" stall --ref multi --drop-at 100000 --stall-seconds 120
	api -N /events >"$T/events.out" 2>&1 &
	local events=$!
	dk pull "$FAKEREG_ADDR/x/stall" >"$T/pull.out" 2>&1 &
	local client=$!
	wait_for "the stalled download" 20 ingest_has "$base" 100000
	local start=$SECONDS rc=0
	berthd_stop || rc=$?
	assert_eq "$rc" 0 "berthd's exit status"
	[ $((SECONDS - start)) -lt 10 ]
	[ ! -e "$BERTHD_SOCK" ]
	[ ! -e "$BERTHD_PIDFILE" ]
	# the clients were let go, the pull with an error
	rc=0
	wait "$client" || rc=$?
	cat "$T/pull.out"
	[ "$rc" -ne 0 ]
	wait "$events" || true
	registry_stop

	# nothing half made is left for the next start, which serves as before
	berthd_start
	assert_eq "$(db_query "SELECT count(*) FROM snapshots WHERE state = 'preparing'")" 0 "preparing snapshots"
	assert_eq "$(snapshot_dirs | wc -l)" 1 "snapshot dirs"
	check_other
	assert_eq "$(dk images -q | wc -l)" 1 "images"
	# the part downloaded before the shutdown is resumed by the next pull
	local partial
	partial=$(ingest_bytes "$base")
	assert_eq "$partial" 100000 "partial blob"
	fakereg_start "$T/fast" "$IMG" none --ref multi
	pull_ok "$FAKEREG_ADDR/x/stall"
	assert_eq "$(jq -r --arg b "/blobs/$base" 'select(.path | endswith($b)) | .range' "$FAKEREG_LOG")" "bytes=100000-"
	assert_blobs_verified
	assert_eq "$(ingest_files)" ""
}
