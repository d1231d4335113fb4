#!/usr/bin/env bats
# docker pull through berthd from a real docker-registry on 127.0.0.1: the
# image formats, compressions and file kinds that have to survive the trip,
# the progress the CLI shows, concurrent pulls, and the pulled rootfs run
# by berth-runtime (on overlay, and on the copy driver).
#
#   bats tests/daemon/pull.bats

load helpers

# The images, built once and pushed once for the whole file; read-only
# afterwards.  Repository test/TAG:latest holds the layout's TAG.
setup_file() {
	require_binaries || return 1
	export IMG=$BATS_FILE_TMPDIR/img ROOTFS=$BATS_FILE_TMPDIR/rootfs
	export no_proxy='*' NO_PROXY='*'
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" || return 1
	local t args
	while read -r t args; do
		# shellcheck disable=SC2086
		build_layout "$IMG" "$t" $args || return 1
	done <<-'EOF'
		single --variant single
		multi --variant multi
		whiteout --variant whiteout
		zstd --variant multi --compression zstd
		none --variant multi --compression none
		mixed --variant whiteout --compression zstd,none,gzip
		index --variant single --index
		docker --variant multi --format docker
		docker-index --variant single --format docker --index
	EOF
	registry_start "$BATS_FILE_TMPDIR/registry" || return 1
	export REG=$REGISTRY_ADDR
	for t in single multi whiteout zstd none mixed index docker docker-index; do
		push_tag "$IMG" "$t" "$REG/test/$t:latest" >/dev/null || return 1
	done
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

# lower_dirs IMAGE: the image's LowerDir, checked to be non-empty.
lower_dirs() {
	local l
	l=$(dk image inspect --format '{{.GraphDriver.Data.LowerDir}}' "$1") || return 1
	[ -n "$l" ] || {
		echo "$1 has no LowerDir" >&2
		return 1
	}
	echo "$l"
}

# check_busybox ROOT: the base layer (scripts/make-rootfs) is all there.
check_busybox() {
	local r=$1
	cmp "$ROOTFS/bin/busybox" "$r/bin/busybox" || return 1
	assert_eq "$(stat -c %a "$r/bin/busybox")" "$(stat -c %a "$ROOTFS/bin/busybox")" "busybox mode" || return 1
	assert_eq "$(readlink "$r/bin/sh")" busybox "bin/sh" || return 1
	assert_eq "$(stat -c %a "$r/tmp")" 1777 "tmp mode" || return 1
	cmp "$ROOTFS/etc/passwd" "$r/etc/passwd" || return 1
	# the same names, every one (symlinks to busybox included)
	diff <(cd "$ROOTFS" && find . | sort) <(cd "$r" && find . | sort) >&2 || {
		echo "the tree under $r differs from the rootfs" >&2
		return 1
	}
}

# check_extras ROOT: every file kind and attribute of mkimage's "extras"
# layer (the multi and whiteout variants).
check_extras() {
	local r=$1 ob=$1/opt/berth
	assert_eq "$(cat "$ob/hello.txt")" "hello from berth" "hello.txt" || return 1
	assert_eq "$(cat "$r/etc/berth-release")" "berth test image" "etc/berth-release" || return 1
	# a hard link: one inode, two names
	assert_eq "$(stat -c %i "$ob/hardlink-to-hello")" "$(stat -c %i "$ob/hello.txt")" "hard link inode" || return 1
	assert_eq "$(stat -c %h "$ob/hello.txt")" 2 "hello.txt link count" || return 1
	# symlinks: relative, absolute, dangling, kept as they are
	assert_eq "$(readlink "$ob/symlink-to-hello")" hello.txt "symlink-to-hello" || return 1
	assert_eq "$(readlink "$ob/abs-symlink")" /etc/passwd "abs-symlink" || return 1
	assert_eq "$(readlink "$ob/dangling-symlink")" does-not-exist "dangling-symlink" || return 1
	[ -L "$ob/dangling-symlink" ]
	[ ! -e "$ob/dangling-symlink" ]
	assert_eq "$(stat -c '%F %a' "$ob/fifo")" "fifo 644" "fifo" || return 1
	assert_eq "$(stat -c '%a %u:%g' "$ob/setuid")" "4755 0:0" "setuid file" || return 1
	assert_eq "$(stat -c '%F %a' "$ob/sticky")" "directory 1777" "sticky dir" || return 1
	assert_eq "$(getxattr "$ob/xattr" user.berth)" 1 "user.berth xattr" || return 1
	# owners
	assert_eq "$(stat -c '%u:%g' "$r/home/u")" 1000:1000 "home/u owner" || return 1
	assert_eq "$(stat -c '%u:%g %a' "$r/home/u/owned-by-u")" "1000:1000 640" "owned-by-u" || return 1
	assert_eq "$(stat -c '%u:%g %a' "$r/home/u/private")" "1000:1000 700" "private" || return 1
	assert_eq "$(stat -c '%u:%g %a' "$r/home/u/private/secret")" "1000:1000 600" "private/secret" || return 1
	# mtimes: the entries' own, and the epoch for the others (directories
	# too, although entries were created in them afterwards)
	assert_eq "$(stat -c %Y "$ob/hello.txt")" 1500000000 "hello.txt mtime" || return 1
	assert_eq "$(stat -c %Y "$ob/mtime-2000")" 946684800 "mtime-2000 mtime" || return 1
	assert_eq "$(stat -c %Y "$r/etc/berth-release")" 1700000000 "berth-release mtime" || return 1
	assert_eq "$(stat -c %Y "$ob/empty-dir")" 1700000000 "empty-dir mtime" || return 1
	# empty file and directory, long and non-ASCII names (pax headers)
	assert_eq "$(stat -c '%F %s' "$ob/empty")" "regular empty file 0" "empty" || return 1
	assert_eq "$(stat -c '%F %a' "$ob/empty-dir")" "directory 750" "empty-dir" || return 1
	assert_eq "$(ls -A "$ob/empty-dir")" "" "empty-dir content" || return 1
	assert_eq "$(cat "$ob/long-$(printf 'n%.0s' {1..120})")" "a name longer than 100 characters" "long name" || return 1
	assert_eq "$(cat "$ob/$(printf '\303\274n\303\257c\303\266d\303\251')")" "non-ASCII name" "non-ASCII name" || return 1
}

# pull_ok IMAGE [docker pull options]: a pull that must succeed, its
# output in $output.
pull_ok() {
	run dk pull "$@"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "pull: a single-layer gzip image lands verified, its layer is the busybox rootfs" {
	berthd_start
	pull_ok "$REG/test/single"
	assert_contains "$output" "Status: Downloaded newer image for $REG/test/single:latest"
	assert_contains "$output" "Digest: $(layout_digest "$IMG" single)"

	run dk images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	[ "$status" -eq 0 ]
	assert_eq "$output" "$REG/test/single:latest $(short_id "$(layout_config "$IMG" single)")" "docker images"

	# the store: the manifest, the config and the layer, each under its digest
	local want=()
	want+=("$(layout_digest "$IMG" single)" "$(layout_config "$IMG" single)" $(layout_layers "$IMG" single))
	local d
	for d in "${want[@]}"; do
		[ -f "$BERTHD_ROOT/content/blobs/sha256/${d#sha256:}" ] || {
			echo "blob $d not in the store" >&2
			false
		}
	done
	assert_blobs_verified
	# read-only once committed
	for d in $(blobs); do
		[ "$(stat -c %a "$d")" = 444 ]
	done
	assert_eq "$(ingest_files)" "" "ingest files left"

	local l
	l=$(lower_dirs "$REG/test/single")
	[[ "$l" != *:* ]]
	assert_eq "$(snapshot_dirs | wc -l)" 1 "snapshot dirs"
	check_busybox "$l"
}

@test "pull: a multi-layer image keeps every file kind and attribute (snapshot dirs and an overlay mount)" {
	berthd_start
	pull_ok "$REG/test/multi"
	local l
	l=$(lower_dirs "$REG/test/multi")
	local dirs
	IFS=: read -ra dirs <<<"$l"
	assert_eq "${#dirs[@]}" 2 "lower dirs"
	# top first: the extras layer, then the busybox base
	[ -e "${dirs[0]}/opt/berth/hello.txt" ]
	[ ! -e "${dirs[0]}/bin/busybox" ]
	check_busybox "${dirs[1]}"
	# on disk, in the layer's own snapshot dir
	check_extras "${dirs[0]}"
	# and through overlayfs, as a container sees it
	overlay_mount "$l" "$T/mnt"
	check_extras "$T/mnt"
	[ -x "$T/mnt/bin/busybox" ]
	assert_eq "$(readlink "$T/mnt/bin/sh")" busybox
}

@test "pull: zstd layers" {
	berthd_start
	# the fixture really has zstd layers
	local m
	m=$(layout_blob "$IMG" "$(layout_manifest "$IMG" zstd)")
	assert_eq "$(jq -r '[.layers[].mediaType] | unique | join(",")' "$m")" application/vnd.oci.image.layer.v1.tar+zstd
	pull_ok "$REG/test/zstd"
	run dk image inspect --format '{{json .RootFS.Layers}}' "$REG/test/zstd"
	assert_eq "$output" "$(layout_diff_ids "$IMG" zstd)" "RootFS.Layers"
	local l
	l=$(lower_dirs "$REG/test/zstd")
	overlay_mount "$l" "$T/mnt"
	check_extras "$T/mnt"
	check_busybox "${l##*:}"
}

@test "pull: uncompressed layers" {
	berthd_start
	local m
	m=$(layout_blob "$IMG" "$(layout_manifest "$IMG" none)")
	assert_eq "$(jq -r '[.layers[].mediaType] | unique | join(",")' "$m")" application/vnd.oci.image.layer.v1.tar
	pull_ok "$REG/test/none"
	run dk image inspect --format '{{json .RootFS.Layers}}' "$REG/test/none"
	assert_eq "$output" "$(layout_diff_ids "$IMG" none)" "RootFS.Layers"
	local l
	l=$(lower_dirs "$REG/test/none")
	overlay_mount "$l" "$T/mnt"
	check_extras "$T/mnt"
	check_busybox "${l##*:}"
}

@test "pull: whiteouts: deleted files are gone in an overlay mount, the opaque dir holds only the new file" {
	berthd_start
	pull_ok "$REG/test/whiteout"
	local l dirs
	l=$(lower_dirs "$REG/test/whiteout")
	IFS=: read -ra dirs <<<"$l"
	assert_eq "${#dirs[@]}" 3 "lower dirs"
	local top=${dirs[0]}/opt/berth
	# on disk: overlayfs whiteouts (0/0 character devices) and an opaque
	# directory (trusted.overlay.opaque=y), never the .wh. files of the tar
	assert_eq "$(stat -c '%F %t:%T' "$top/delete-me")" "character special file 0:0" "delete-me whiteout"
	assert_eq "$(stat -c '%F %t:%T' "$top/gone-dir")" "character special file 0:0" "gone-dir whiteout"
	assert_eq "$(getxattr "$top/opaque-dir" trusted.overlay.opaque)" y "opaque-dir xattr"
	assert_eq "$(find "${dirs[@]}" -name '.wh.*' | head -5)" "" ".wh. files"
	# the layer below is untouched
	assert_eq "$(cat "${dirs[1]}/opt/berth/delete-me")" "deleted by the whiteout layer"
	[ -f "${dirs[1]}/opt/berth/opaque-dir/old-a" ]

	overlay_mount "$l" "$T/mnt"
	local ob=$T/mnt/opt/berth
	[ ! -e "$ob/delete-me" ]
	[ ! -e "$ob/gone-dir" ]
	[ ! -e "$ob/gone-dir/inner" ]
	assert_eq "$(cat "$ob/added-by-layer-3")" "layer 3"
	assert_eq "$(ls -A "$ob/opaque-dir")" new-file "opaque-dir content"
	assert_eq "$(cat "$ob/opaque-dir/new-file")" "new in layer 3"
	if [ -e "$ROOTFS/bin/vi" ] || [ -L "$ROOTFS/bin/vi" ]; then
		[ ! -e "$T/mnt/bin/vi" ]
		[ ! -L "$T/mnt/bin/vi" ]
	fi
	# what the whiteouts did not name is still there
	[ -x "$T/mnt/bin/busybox" ]
	assert_eq "$(cat "$ob/hello.txt")" "hello from berth"
}

@test "pull: one image with gzip, zstd and uncompressed layers" {
	berthd_start
	pull_ok "$REG/test/mixed"
	assert_eq "$(dk image inspect --format '{{json .RootFS.Layers}}' "$REG/test/mixed")" "$(layout_diff_ids "$IMG" mixed)"
	local l
	l=$(lower_dirs "$REG/test/mixed")
	overlay_mount "$l" "$T/mnt"
	check_extras "$T/mnt"
	[ ! -e "$T/mnt/opt/berth/delete-me" ]
	assert_eq "$(ls -A "$T/mnt/opt/berth/opaque-dir")" new-file
}

@test "pull: an OCI index: the host's platform by default, --platform picks the other one" {
	berthd_start
	local host other
	host=$(host_arch)
	other=$(other_arch)
	pull_ok "$REG/test/index"
	assert_contains "$output" "Digest: $(layout_digest "$IMG" index)"
	run dk image inspect --format '{{.Id}} {{.Architecture}} {{.Os}}' "$REG/test/index"
	assert_eq "$output" "$(layout_config "$IMG" index "$host") $host linux"
	local l
	l=$(lower_dirs "$REG/test/index")
	[ -x "$l/bin/busybox" ]
	[ ! -e "$l/arch.txt" ]

	pull_ok --platform "linux/$other" "$REG/test/index"
	run dk image inspect --format '{{.Id}} {{.Architecture}} {{.Os}}' "$REG/test/index"
	assert_eq "$output" "$(layout_config "$IMG" index "$other") $other linux"
	l=$(lower_dirs "$REG/test/index")
	assert_eq "$(cat "$l/arch.txt")" "$other" "arch.txt of the $other image"
	[ ! -e "$l/bin/busybox" ]
	# only the manifest of the platform asked for was fetched for its layers
	run dk images --format '{{.ID}}' --filter "reference=$REG/test/index"
	assert_eq "$output" "$(short_id "$(layout_config "$IMG" index "$other")")"
}

@test "pull: a Docker schema 2 manifest" {
	berthd_start
	assert_eq "$(jq -r .mediaType "$(layout_blob "$IMG" "$(layout_digest "$IMG" docker)")")" \
		application/vnd.docker.distribution.manifest.v2+json "fixture media type"
	pull_ok "$REG/test/docker"
	run dk image inspect --format '{{.Id}} {{index .RepoDigests 0}}' "$REG/test/docker"
	assert_eq "$output" "$(layout_config "$IMG" docker) $REG/test/docker@$(layout_digest "$IMG" docker)"
	local l
	l=$(lower_dirs "$REG/test/docker")
	overlay_mount "$l" "$T/mnt"
	check_extras "$T/mnt"
}

@test "pull: a Docker manifest list: the host's platform by default, --platform the other" {
	berthd_start
	assert_eq "$(jq -r .mediaType "$(layout_blob "$IMG" "$(layout_digest "$IMG" docker-index)")")" \
		application/vnd.docker.distribution.manifest.list.v2+json "fixture media type"
	pull_ok "$REG/test/docker-index"
	assert_eq "$(dk image inspect --format '{{.Id}} {{.Architecture}}' "$REG/test/docker-index")" \
		"$(layout_config "$IMG" docker-index "$(host_arch)") $(host_arch)"
	[ -x "$(lower_dirs "$REG/test/docker-index")/bin/busybox" ]
	pull_ok --platform "linux/$(other_arch)" "$REG/test/docker-index"
	assert_eq "$(dk image inspect --format '{{.Id}} {{.Architecture}}' "$REG/test/docker-index")" \
		"$(layout_config "$IMG" docker-index "$(other_arch)") $(other_arch)"
	assert_eq "$(cat "$(lower_dirs "$REG/test/docker-index")/arch.txt")" "$(other_arch)"
}

@test "pull: by digest: the image has the digest name and no tag" {
	berthd_start
	local digest
	digest=$(layout_digest "$IMG" multi)
	pull_ok "$REG/test/multi@$digest"
	assert_contains "$output" "Digest: $digest"
	assert_contains "$output" "Status: Downloaded newer image for $REG/test/multi@$digest"
	run dk image inspect --format '{{json .RepoTags}} {{json .RepoDigests}}' "$REG/test/multi@$digest"
	assert_eq "$output" "[] [\"$REG/test/multi@$digest\"]"
	run dk images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}'
	assert_eq "$output" "$REG/test/multi <none> $digest"
	# by the digest of an index: the host's image, named by the index digest
	digest=$(layout_digest "$IMG" index)
	pull_ok "$REG/test/index@$digest"
	assert_eq "$(dk image inspect --format '{{.Id}}' "$REG/test/index@$digest")" \
		"$(layout_config "$IMG" index "$(host_arch)")"
	# a digest the registry does not have
	run dk pull "$REG/test/multi@sha256:$(printf '0%.0s' {1..64})"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "not found"
}

@test "pull: a second pull says Image is up to date, reports no layer and fetches no blob" {
	berthd_start
	pull_ok "$REG/test/multi"
	local mark
	mark=$(wc -l <"$REGISTRY_LOG")
	pull_ok "$REG/test/multi"
	local id
	# as dockerd: an image that is all here reports no layer at all
	for id in $(layout_layers "$IMG" multi); do
		[[ "$output" != *"$(short_id "$id"):"* ]]
	done
	assert_contains "$output" "Status: Image is up to date for $REG/test/multi:latest"
	[[ "$output" != *"Pull complete"* ]]
	sleep 0.2 # the registry writes its access log after the answer
	run log_from "$REGISTRY_LOG" "$mark"
	echo "$output"
	[[ "$output" != *"/blobs/"* ]]
	# a whiteout pull shares the multi chain: two layers exist already
	pull_ok "$REG/test/whiteout"
	local layers
	mapfile -t layers < <(layout_layers "$IMG" whiteout)
	assert_contains "$output" "$(short_id "${layers[0]}"): Already exists"
	assert_contains "$output" "$(short_id "${layers[1]}"): Already exists"
	assert_contains "$output" "$(short_id "${layers[2]}"): Pull complete"
	# the shared layers are the same snapshot dirs
	local a b
	a=$(lower_dirs "$REG/test/multi")
	b=$(lower_dirs "$REG/test/whiteout")
	assert_eq "${b#*:}" "$a" "shared lower dirs"
}

@test "pull: two concurrent pulls of one image both succeed, each layer blob is fetched once" {
	berthd_start
	local mark
	mark=$(wc -l <"$REGISTRY_LOG")
	dk pull "$REG/test/whiteout" >"$T/p1" 2>&1 &
	local p1=$!
	dk pull "$REG/test/whiteout" >"$T/p2" 2>&1 &
	local p2=$!
	local s1=0 s2=0
	wait "$p1" || s1=$?
	wait "$p2" || s2=$?
	cat "$T/p1" "$T/p2"
	assert_eq "$s1" 0 "first pull"
	assert_eq "$s2" 0 "second pull"
	local f id
	for f in "$T/p1" "$T/p2"; do
		assert_contains "$(cat "$f")" "Digest: $(layout_digest "$IMG" whiteout)"
		for id in $(layout_layers "$IMG" whiteout); do
			# every layer ends complete or was there already
			grep -Eq "^$(short_id "$id"): (Pull complete|Already exists)$" "$f"
		done
	done
	sleep 0.2
	log_from "$REGISTRY_LOG" "$mark" >"$T/log"
	for id in $(layout_layers "$IMG" whiteout); do
		assert_eq "$(count_registry_gets "$T/log" "/blobs/$id")" 1 "GETs of layer $id"
	done
	assert_eq "$(dk images -q | sort -u | wc -l)" 1 "images"
	assert_eq "$(snapshot_dirs | wc -l)" 3 "snapshot dirs"
	assert_blobs_verified
}

@test "pull: two pulls that really overlap (a slow registry) share each layer download" {
	berthd_start
	fakereg_start "$T/fakereg" "$IMG" slow --ref multi --rate 1500000
	dk pull "$FAKEREG_ADDR/x/y" >"$T/p1" 2>&1 &
	local p1=$!
	sleep 0.2
	dk pull "$FAKEREG_ADDR/x/y" >"$T/p2" 2>&1 &
	local p2=$!
	local s1=0 s2=0
	wait "$p1" || s1=$?
	wait "$p2" || s2=$?
	cat "$T/p1" "$T/p2"
	assert_eq "$s1" 0 "first pull"
	assert_eq "$s2" 0 "second pull"
	local id
	for id in $(layout_layers "$IMG" multi); do
		assert_eq "$(count_fakereg_gets "/blobs/$id")" 1 "GETs of layer $id"
		# complete in both (the second may find a small layer done already)
		grep -Eq "^$(short_id "$id"): (Pull complete|Already exists)$" "$T/p1"
		grep -Eq "^$(short_id "$id"): (Pull complete|Already exists)$" "$T/p2"
	done
	# the big base layer overlapped: both show it complete, one waited
	local base
	base=$(short_id "$(layout_layers "$IMG" multi | head -1)")
	grep -q "^$base: Pull complete$" "$T/p1"
	grep -q "^$base: Pull complete$" "$T/p2"
	cat "$T/p1" "$T/p2" | grep -q "^$base: Waiting$"
	# one says it downloaded the image, the other that it is up to date
	cat "$T/p1" "$T/p2" | grep -c "^Status: " | grep -qx 2
	assert_eq "$(snapshot_dirs | wc -l)" 2 "snapshot dirs"
	check_extras "$(lower_dirs "$FAKEREG_ADDR/x/y" | cut -d: -f1)"
}

@test "pull: the progress output: every layer reaches Pull complete, then Digest and Status (CLI and raw API)" {
	berthd_start
	pull_ok "$REG/test/whiteout"
	local -a lines layers
	mapfile -t lines <<<"$output"
	mapfile -t layers < <(layout_layers "$IMG" whiteout)
	assert_eq "${lines[0]}" "Using default tag: latest"
	assert_eq "${lines[1]}" "latest: Pulling from test/whiteout"
	local n=${#lines[@]} i id last_complete=0 first_line
	for id in "${layers[@]}"; do
		first_line=-1
		for i in "${!lines[@]}"; do
			if [ "${lines[$i]}" = "$(short_id "$id"): Pulling fs layer" ] && [ "$first_line" -lt 0 ]; then
				first_line=$i
			fi
			if [ "${lines[$i]}" = "$(short_id "$id"): Pull complete" ]; then
				[ "$first_line" -ge 0 ] || {
					echo "layer $id: Pull complete before Pulling fs layer" >&2
					false
				}
				[ "$i" -gt "$last_complete" ] && last_complete=$i
				continue 2
			fi
		done
		echo "layer $id never reached Pull complete" >&2
		false
	done
	# every line is "ID: status", or one of the frame lines
	for i in "${!lines[@]}"; do
		[[ "${lines[$i]}" =~ ^[0-9a-f]{12}:\ (Pulling\ fs\ layer|Waiting|Downloading|Verifying\ Checksum|Download\ complete|Extracting|Pull\ complete|Already\ exists)$ ]] ||
			[ "$i" -lt 2 ] || [ "$i" -ge $((n - 3)) ] || {
			echo "unexpected progress line $i: ${lines[$i]}" >&2
			false
		}
	done
	assert_eq "${lines[$((n - 3))]}" "Digest: $(layout_digest "$IMG" whiteout)"
	assert_eq "${lines[$((n - 2))]}" "Status: Downloaded newer image for $REG/test/whiteout:latest"
	assert_eq "${lines[$((n - 1))]}" "$REG/test/whiteout:latest"
	[ "$last_complete" -lt $((n - 3)) ]

	# The raw stream the CLI draws its bars from (a fresh daemon root).
	berthd_stop
	rm -rf "$BERTHD_ROOT"
	berthd_start
	api -XPOST "/v1.47/images/create?fromImage=$REG/test/multi&tag=latest" >"$T/stream"
	cat "$T/stream"
	# every line is a JSON object, none an error
	jq -se 'all(type == "object")' "$T/stream" >/dev/null
	assert_eq "$(jq -r 'select(.error or .errorDetail) | .error' "$T/stream")" "" "errors in the stream"
	assert_eq "$(head -1 "$T/stream" | jq -c '[.status, .id]')" "[\"Pulling from test/multi\",\"latest\"]"
	local m size sid
	m=$(layout_blob "$IMG" "$(layout_manifest "$IMG" multi)")
	while read -r id size; do
		sid=$(short_id "$id")
		# Downloading with docker's progressDetail: bytes so far of the blob's size
		assert_eq "$(jq -r --arg i "$sid" 'select(.id == $i and .status == "Downloading") | .progressDetail.total' "$T/stream" | sort -u)" \
			"$size" "progressDetail.total of $sid"
		jq -se --arg i "$sid" '[.[] | select(.id == $i and .status == "Downloading")] |
			length > 0 and all(.progressDetail.current <= .progressDetail.total)' "$T/stream" >/dev/null
		jq -se --arg i "$sid" '[.[] | select(.id == $i) | .status] as $s |
			($s | index("Pulling fs layer")) < ($s | index("Download complete")) and
			($s | index("Download complete")) < ($s | index("Pull complete"))' "$T/stream" >/dev/null
	done < <(jq -r '.layers[] | "\(.digest) \(.size)"' "$m")
	assert_eq "$(tail -2 "$T/stream" | jq -r .status)" \
		"Digest: $(layout_digest "$IMG" multi)
Status: Downloaded newer image for $REG/test/multi:latest"
}

# run_image_checks IMAGE: the pulled whiteout image, mounted on overlay
# with a fresh upper dir, runs under berth-runtime with the image's own
# entrypoint, cmd, env and working dir; writes land in the upper dir.
run_image_checks() {
	local image=$1 l
	l=$(lower_dirs "$image")
	overlay_mount "$l" "$T/mnt"
	IMAGE_ENV=$(dk image inspect --format '{{json .Config.Env}}' "$image")
	IMAGE_CWD=$(dk image inspect --format '{{.Config.WorkingDir}}' "$image")
	local cmd
	cmd=$(dk image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$image")
	assert_eq "$cmd" '["/bin/sh","-c"] ["echo hello from berth"]' "entrypoint and cmd"
	run run_container "$T/mnt" "bd-$BATS_SUITE_TEST_NUMBER-$RANDOM" /bin/sh -c "echo hello from berth"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$output" "hello from berth"
	# shellcheck disable=SC2016
	run run_container "$T/mnt" "bd-$BATS_SUITE_TEST_NUMBER-$RANDOM" /bin/sh -c '
		echo "greeting=$GREETING test=$BERTH_TEST pwd=$(pwd)"
		cat /opt/berth/hello.txt
		test -e /opt/berth/delete-me && echo "whiteout missed"
		ls /opt/berth/opaque-dir
		/opt/berth/setuid
		echo written > /root/new-file && cat /root/new-file'
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$output" "greeting=hello world test=1 pwd=/root
hello from berth
new-file
setuid
written" "container output"
	# the write went to the upper dir, never into a layer
	assert_eq "$(cat "$T/mnt.upper/root/new-file")" written
	local d
	IFS=: read -ra dirs <<<"$l"
	for d in "${dirs[@]}"; do
		[ ! -e "$d/root/new-file" ]
	done
}

@test "pull: the pulled rootfs runs under berth-runtime (overlay of LowerDir, fresh upper dir)" {
	[ -x "$BERTH_RUNTIME" ] || skip "no berth-runtime at $BERTH_RUNTIME"
	berthd_start
	pull_ok "$REG/test/whiteout"
	run_image_checks "$REG/test/whiteout"
}

@test "pull: --storage-driver copy: LowerDir is one full tree, whiteouts applied, and it runs" {
	[ -x "$BERTH_RUNTIME" ] || skip "no berth-runtime at $BERTH_RUNTIME"
	berthd_start --storage-driver copy
	assert_eq "$(dk info --format '{{.Driver}}')" copy "docker info Driver"
	pull_ok "$REG/test/whiteout"
	assert_eq "$(dk image inspect --format '{{.GraphDriver.Name}}' "$REG/test/whiteout")" copy
	local l
	l=$(lower_dirs "$REG/test/whiteout")
	[[ "$l" != *:* ]] || {
		echo "copy driver LowerDir has several dirs: $l" >&2
		false
	}
	# the full tree: busybox, extras, and the whiteouts applied (no
	# whiteout devices, no .wh. files, no opaque marker needed)
	check_extras "$l"
	[ -x "$l/bin/busybox" ]
	[ ! -e "$l/opt/berth/delete-me" ]
	[ ! -e "$l/opt/berth/gone-dir" ]
	assert_eq "$(ls -A "$l/opt/berth/opaque-dir")" new-file
	assert_eq "$(find "$l" \( -name '.wh.*' -o -type c \) | head -5)" "" "whiteout leftovers"
	run_image_checks "$REG/test/whiteout"
}
