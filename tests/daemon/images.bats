#!/usr/bin/env bats
# The image half of the Engine API through the real docker CLI: docker
# images (flags, filters, formats), image inspect, history, tag, rmi, image
# prune and /events, and the API's framing (versioned paths, errors, _ping).
#
#   bats tests/daemon/images.bats

load helpers

# Images built once and pushed once for the whole file:
#   test/plain     one busybox layer
#   test/labeled   the same layer, a config with two more labels
#   test/multi     busybox + the extras layer
setup_file() {
	require_binaries || return 1
	export IMG=$BATS_FILE_TMPDIR/img ROOTFS=$BATS_FILE_TMPDIR/rootfs
	export no_proxy='*' NO_PROXY='*'
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" || return 1
	build_layout "$IMG" plain --variant single || return 1
	build_layout "$IMG" labeled --variant single --label com.example.berth=yes --label tier=test || return 1
	build_layout "$IMG" multi --variant multi || return 1
	registry_start "$BATS_FILE_TMPDIR/registry" || return 1
	export REG=$REGISTRY_ADDR
	local t
	for t in plain labeled multi; do
		push_tag "$IMG" "$t" "$REG/test/$t:latest" >/dev/null || return 1
	done
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
	berthd_start
}

teardown() {
	daemon_teardown
}

pull_ok() {
	run dk pull -q "$@"
	echo "$output"
	[ "$status" -eq 0 ]
}

id_of() {
	layout_config "$IMG" "$1"
}

# sorted_lines CMD...: the command's output, sorted.
sorted_lines() {
	"$@" | LC_ALL=C sort
}

@test "images: docker images lists every name; -q, --no-trunc, -a and --format" {
	pull_ok "$REG/test/plain"
	pull_ok "$REG/test/multi"
	dk tag "$REG/test/plain" local/alias:1
	local plain multi
	plain=$(id_of plain)
	multi=$(id_of multi)

	run sorted_lines dk images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	assert_eq "$output" "$REG/test/multi:latest $(short_id "$multi")
$REG/test/plain:latest $(short_id "$plain")
local/alias:1 $(short_id "$plain")" "docker images"
	# the default table has docker's columns
	run dk images
	assert_eq "$(head -1 <<<"$output" | tr -s ' ')" "REPOSITORY TAG IMAGE ID CREATED SIZE" "header"
	assert_eq "$(wc -l <<<"$output")" 4 "table lines"

	# -q: one ID per name, as docker prints them
	run sorted_lines dk images -q
	assert_eq "$output" "$(printf '%s\n' "$(short_id "$multi")" "$(short_id "$plain")" "$(short_id "$plain")" | LC_ALL=C sort)"
	run sorted_lines dk images -q --no-trunc
	assert_eq "$output" "$(printf '%s\n' "$multi" "$plain" "$plain" | LC_ALL=C sort)"
	# -a shows the same (there are no intermediate images)
	assert_eq "$(sorted_lines dk images -a --format '{{.Repository}}:{{.Tag}}')" \
		"$(sorted_lines dk images --format '{{.Repository}}:{{.Tag}}')" "-a"

	# --format json: the fields the CLI computes from the summary
	run dk images --format '{{json .}}' "$REG/test/multi"
	echo "$output"
	assert_eq "$(jq -r .ID <<<"$output")" "$(short_id "$multi")"
	assert_eq "$(jq -r .Repository <<<"$output")" "$REG/test/multi"
	assert_eq "$(jq -r .Tag <<<"$output")" latest
	assert_eq "$(jq -r .CreatedAt <<<"$output")" "2024-01-01 00:00:00 +0000 UTC"
	[[ "$(jq -r .Size <<<"$output")" =~ ^[0-9.]+[kM]B$ ]]
	# the size is the snapshots' (unpacked) size, bigger than the gzip blobs
	local size blobs=0 l
	size=$(api /images/json | jq --arg id "$multi" '.[] | select(.Id == $id) | .Size')
	for l in $(layout_layers "$IMG" multi); do
		blobs=$((blobs + $(stat -c %s "$(layout_blob "$IMG" "$l")")))
	done
	[ "$size" -gt "$blobs" ]
}

@test "images: --digests, and --filter dangling / reference / label" {
	pull_ok "$REG/test/plain"
	pull_ok "$REG/test/labeled"
	dk tag "$REG/test/plain" local/alias:1
	dk tag "$REG/test/plain" local/alias:2
	local plain labeled pd ld
	plain=$(id_of plain)
	labeled=$(id_of labeled)
	pd=$(layout_digest "$IMG" plain)
	ld=$(layout_digest "$IMG" labeled)

	# --digests: the pulled names have their manifest digest, the local ones none
	run sorted_lines dk images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}'
	assert_eq "$output" "$REG/test/labeled latest $ld
$REG/test/plain latest $pd
local/alias 1 <none>
local/alias 2 <none>"

	# reference: a glob over the familiar name (or name:tag); '*' stops at '/'
	run sorted_lines dk images --format '{{.Repository}}:{{.Tag}}' --filter 'reference=local/*'
	assert_eq "$output" "local/alias:1
local/alias:2" "reference=local/*"
	run sorted_lines dk images --format '{{.Repository}}:{{.Tag}}' --filter 'reference=local/alias:2'
	assert_eq "$output" "local/alias:2" "reference=local/alias:2"
	run sorted_lines dk images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$REG/test/*"
	assert_eq "$output" "$REG/test/labeled:latest
$REG/test/plain:latest" "reference=REG/test/*"
	run dk images --format '{{.Repository}}' --filter 'reference=*'
	assert_eq "$output" "" "reference=* (no single-component name)"
	# the API narrows RepoTags to what matched, as dockerd does
	run api -G --data-urlencode 'filters={"reference":["local/alias:1"]}' /images/json
	assert_eq "$(jq -c '[.[] | .RepoTags]' <<<"$output")" '[["local/alias:1"]]' "RepoTags with reference filter"

	# label: present, or with a value
	run dk images --format '{{.ID}}' --filter label=com.example.berth=yes
	assert_eq "$output" "$(short_id "$labeled")" "label=k=v"
	run dk images --format '{{.ID}}' --filter label=tier
	assert_eq "$output" "$(short_id "$labeled")" "label=k"
	run dk images -q --filter label=com.example.berth=no
	assert_eq "$output" "" "label with another value"
	run sorted_lines dk images -q --filter label=io.berth.test
	assert_eq "$(uniq <<<"$output" | wc -l)" 2 "label every image has"

	# dangling: nothing yet; then labeled loses its tag to plain
	run dk images -q --filter dangling=true
	assert_eq "$output" "" "dangling before"
	dk tag "$REG/test/plain" "$REG/test/labeled:latest"
	run dk images --format '{{.ID}} {{.Repository}} {{.Tag}}' --filter dangling=true
	assert_eq "$output" "$(short_id "$labeled") $REG/test/labeled <none>" "dangling=true"
	# dangling=false, as dockerd: an image that still has a digest is listed
	run sorted_lines dk images --no-trunc -q --filter dangling=false
	assert_eq "$(uniq <<<"$output")" "$(printf '%s\n' "$plain" "$labeled" | LC_ALL=C sort)" "dangling=false"
	# a filter docker does not know
	run dk images --filter bogus=1
	[ "$status" -ne 0 ]
	assert_contains "$output" "invalid filter 'bogus'"
}

@test "images: image inspect: Id, RepoTags, RepoDigests, RootFS, Config, GraphDriver, by name, ID and short ID" {
	pull_ok "$REG/test/multi"
	local id cfg
	id=$(id_of multi)
	cfg=$(layout_blob "$IMG" "$id")
	run dk image inspect "$REG/test/multi"
	[ "$status" -eq 0 ]
	local j=$output
	assert_eq "$(jq -r '.[0].Id' <<<"$j")" "$id" Id
	assert_eq "$(jq -c '.[0].RepoTags' <<<"$j")" "[\"$REG/test/multi:latest\"]" RepoTags
	assert_eq "$(jq -c '.[0].RepoDigests' <<<"$j")" "[\"$REG/test/multi@$(layout_digest "$IMG" multi)\"]" RepoDigests
	assert_eq "$(jq -c '.[0].RootFS' <<<"$j")" "{\"Type\":\"layers\",\"Layers\":$(layout_diff_ids "$IMG" multi)}" RootFS
	assert_eq "$(jq -c '.[0].Config.Env' <<<"$j")" "$(jq -c .config.Env "$cfg")" Config.Env
	assert_eq "$(jq -c '.[0].Config.Cmd' <<<"$j")" "$(jq -c .config.Cmd "$cfg")" Config.Cmd
	assert_eq "$(jq -c '.[0].Config.Entrypoint' <<<"$j")" "$(jq -c .config.Entrypoint "$cfg")" Config.Entrypoint
	assert_eq "$(jq -c '.[0].Config.Labels' <<<"$j")" "$(jq -c .config.Labels "$cfg")" Config.Labels
	assert_eq "$(jq -c '.[0].Config.ExposedPorts' <<<"$j")" "$(jq -c .config.ExposedPorts "$cfg")" Config.ExposedPorts
	assert_eq "$(jq -r '.[0].Config.WorkingDir' <<<"$j")" /root Config.WorkingDir
	assert_eq "$(jq -r '.[0] | "\(.Created) \(.Author) \(.Os) \(.Architecture)"' <<<"$j")" \
		"2024-01-01T00:00:00Z berth tests linux $(host_arch)"
	[ "$(jq '.[0].Size' <<<"$j")" -gt 1000000 ]
	# GraphDriver: overlay2, LowerDir = the snapshot dirs, top layer first
	assert_eq "$(jq -r '.[0].GraphDriver.Name' <<<"$j")" overlay2
	local lower dirs
	lower=$(jq -r '.[0].GraphDriver.Data.LowerDir' <<<"$j")
	IFS=: read -ra dirs <<<"$lower"
	assert_eq "${#dirs[@]}" 2 "LowerDir entries"
	[ -f "${dirs[0]}/opt/berth/hello.txt" ]
	[ -x "${dirs[1]}/bin/busybox" ]
	[[ "${dirs[0]}" == "$BERTHD_ROOT/snapshots/"* ]]
	assert_eq "$(printf '%s\n' "${dirs[@]%/fs}" | LC_ALL=C sort)" "$(snapshot_dirs)" "LowerDir vs snapshot dirs"

	# the same image by every name docker accepts
	local name
	for name in "$id" "${id#sha256:}" "$(short_id "$id")" "sha256:$(short_id "$id")" "${id:7:4}" \
		"$REG/test/multi:latest" "$REG/test/multi@$(layout_digest "$IMG" multi)"; do
		assert_eq "$(dk image inspect --format '{{.Id}}' "$name")" "$id" "inspect $name"
	done
	# the raw API, versioned and not
	assert_eq "$(api "/v1.41/images/$REG/test/multi/json" | jq -r .Id)" "$id"
	assert_eq "$(api "/images/$(short_id "$id")/json" | jq -r .Id)" "$id"
	# VirtualSize went away in API 1.44
	assert_eq "$(api "/v1.43/images/$id/json" | jq 'has("VirtualSize")')" true
	assert_eq "$(api "/v1.47/images/$id/json" | jq 'has("VirtualSize")')" false

	# an unknown image: docker's 404 and message
	api_status "/images/nope/json"
	assert_eq "$API_STATUS" 404
	assert_eq "$API_BODY" '{"message":"No such image: nope:latest"}'
	run dk image inspect nope
	[ "$status" -ne 0 ]
	assert_contains "$output" "No such image: nope"
}

@test "images: history: newest first, the image ID on top, layer sizes, created_by of the config" {
	pull_ok "$REG/test/multi"
	local id cfg
	id=$(id_of multi)
	cfg=$(layout_blob "$IMG" "$id")
	run dk history --no-trunc --format '{{.ID}}|{{.CreatedBy}}|{{.Comment}}' "$REG/test/multi"
	echo "$output"
	[ "$status" -eq 0 ]
	local want
	want=$(jq -r --arg id "$id" '.history | reverse | to_entries |
		map("\(if .key == 0 then $id else "<missing>" end)|\(.value.created_by)|\(.value.comment // "")") | .[]' "$cfg")
	assert_eq "$output" "$want" "history"
	# layer entries have the snapshot's size, empty ones 0
	run api "/images/$id/history"
	echo "$output"
	assert_eq "$(jq -c '[.[] | .Size > 0]' <<<"$output")" \
		"$(jq -c '[.history | reverse | .[] | (.empty_layer | not)]' "$cfg")" "sizes"
	assert_eq "$(jq -c '.[0].Tags' <<<"$output")" "[\"$REG/test/multi:latest\"]"
	assert_eq "$(jq -c '[.[1:][] | .Tags]' <<<"$output" | jq -c unique)" '[null]'
	assert_eq "$(jq '.[0].Created' <<<"$output")" 1704067200
	api_status /images/nope/history
	assert_eq "$API_STATUS" 404
}

@test "images: tag: new names, moving a tag, and docker's refusals" {
	pull_ok "$REG/test/plain"
	pull_ok "$REG/test/labeled"
	local plain labeled
	plain=$(id_of plain)
	labeled=$(id_of labeled)
	dk tag "$REG/test/plain" mine
	dk tag "$(short_id "$plain")" mine:v2
	dk tag "$REG/test/plain" "$REG/elsewhere/x:1"
	assert_eq "$(dk image inspect --format '{{json .RepoTags}}' "$plain")" \
		"[\"$REG/elsewhere/x:1\",\"$REG/test/plain:latest\",\"mine:latest\",\"mine:v2\"]" "RepoTags"
	assert_eq "$(dk image inspect --format '{{.Id}}' docker.io/library/mine:v2)" "$plain" "normalised name"
	# a tag moves: the other image loses it
	dk tag "$REG/test/labeled" mine:v2
	assert_eq "$(dk image inspect --format '{{.Id}}' mine:v2)" "$labeled"
	assert_eq "$(dk image inspect --format '{{json .RepoTags}}' "$plain")" \
		"[\"$REG/elsewhere/x:1\",\"$REG/test/plain:latest\",\"mine:latest\"]"
	# tagging again is a no-op
	dk tag "$REG/test/plain" mine
	assert_eq "$(dk images -q mine:latest)" "$(short_id "$plain")"

	# refusals, as the API answers them
	api_status -XPOST "/images/nope/tag?repo=x&tag=1"
	assert_eq "$API_STATUS $API_BODY" '404 {"message":"No such image: nope:latest"}'
	api_status -XPOST "/images/mine/tag?repo=Bad/Name"
	assert_eq "$API_STATUS" 400
	assert_contains "$(jq -r .message <<<"$API_BODY")" "must be lowercase"
	api_status -XPOST "/images/mine/tag?repo=x&tag=bad:tag"
	assert_eq "$API_STATUS" 400
	api_status -XPOST "/images/mine/tag?repo=x@sha256:$(printf 'a%.0s' {1..64})"
	assert_eq "$API_STATUS" 400
	assert_eq "$(jq -r .message <<<"$API_BODY")" "refusing to create a tag with a digest reference"
	api_status -XPOST "/images/mine/tag"
	assert_eq "$API_STATUS" 400
	# and through the CLI
	run dk tag nope x:1
	[ "$status" -ne 0 ]
	assert_contains "$output" "No such image: nope:latest"
	# nothing of that changed anything
	assert_eq "$(sorted_lines dk images --format '{{.Repository}}:{{.Tag}}')" "$REG/elsewhere/x:1
$REG/test/labeled:latest
$REG/test/plain:latest
mine:latest
mine:v2"
}

@test "images: rmi: untag vs delete as docker reports them, conflicts, -f, short IDs, layers removed" {
	pull_ok "$REG/test/plain"
	pull_ok "$REG/test/multi"
	local plain multi
	plain=$(id_of plain)
	multi=$(id_of multi)
	dk tag "$REG/test/multi" other/name:1
	assert_eq "$(snapshot_dirs | wc -l)" 2 "snapshots before"

	# a name of an image with another name: only untagged
	run dk rmi other/name:1
	echo "$output"
	assert_eq "$output" "Untagged: other/name:1"
	assert_eq "$(dk image inspect --format '{{json .RepoTags}}' "$multi")" "[\"$REG/test/multi:latest\"]"

	# by ID while two repositories name it: 409 and docker's message
	dk tag "$REG/test/multi" other/name:2
	run dk rmi "$(short_id "$multi")"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_eq "$output" "Error response from daemon: conflict: unable to delete $(short_id "$multi") (must be forced) - image is referenced in multiple repositories"
	api_status -XDELETE "/images/$(short_id "$multi")"
	assert_eq "$API_STATUS" 409
	# -f: every name goes, then the image and its own layer (the base is
	# plain's too and stays)
	run dk rmi -f "$(short_id "$multi")"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$(grep -c '^Untagged: ' <<<"$output")" 3 "untagged names"
	assert_contains "$output" "Untagged: other/name:2"
	assert_contains "$output" "Untagged: $REG/test/multi:latest"
	assert_contains "$output" "Untagged: $REG/test/multi@$(layout_digest "$IMG" multi)"
	assert_contains "$output" "Deleted: $multi"
	assert_eq "$(grep -c '^Deleted: ' <<<"$output")" 2 "deleted: the image and one layer"
	assert_eq "$(snapshot_dirs | wc -l)" 1 "snapshots after"
	api_status "/images/$multi/json"
	assert_eq "$API_STATUS" 404
	# the blobs only multi had are gone, plain's are there
	local d
	for d in $(layout_digest "$IMG" multi) "$multi" $(layout_layers "$IMG" multi | tail -1); do
		[ ! -e "$BERTHD_ROOT/content/blobs/sha256/${d#sha256:}" ]
	done
	for d in $(layout_digest "$IMG" plain) "$plain" $(layout_layers "$IMG" plain); do
		[ -f "$BERTHD_ROOT/content/blobs/sha256/${d#sha256:}" ]
	done

	# by the last name: untag, then delete (with the digest name and the layer)
	run dk rmi "$REG/test/plain"
	echo "$output"
	assert_eq "$(head -2 <<<"$output")" "Untagged: $REG/test/plain:latest
Untagged: $REG/test/plain@$(layout_digest "$IMG" plain)"
	assert_eq "$(sed -n 3p <<<"$output")" "Deleted: $plain"
	assert_eq "$(wc -l <<<"$output")" 4 "rmi lines"
	assert_nothing_stored

	# by a short ID of an image with one name: deleted without -f
	pull_ok "$REG/test/plain"
	run dk rmi "$(short_id "$plain")"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_contains "$output" "Deleted: $plain"
	assert_nothing_stored

	# what is not there
	run dk rmi nope
	[ "$status" -ne 0 ]
	assert_eq "$output" "Error response from daemon: No such image: nope:latest"
	api_status -XDELETE /images/nope
	assert_eq "$API_STATUS $API_BODY" '404 {"message":"No such image: nope:latest"}'
}

@test "images: image prune removes dangling images, -a every image, and their layers" {
	pull_ok "$REG/test/plain"
	pull_ok "$REG/test/labeled"
	pull_ok "$REG/test/multi"
	local plain labeled multi
	plain=$(id_of plain)
	labeled=$(id_of labeled)
	multi=$(id_of multi)
	# nothing dangling: nothing pruned
	run dk image prune -f
	echo "$output"
	assert_eq "$output" "Total reclaimed space: 0B"
	# labeled loses its tag: dangling (it keeps its digest name)
	dk tag "$REG/test/plain" "$REG/test/labeled:latest"
	run dk image prune -f
	echo "$output"
	[ "$status" -eq 0 ]
	assert_contains "$output" "untagged: $REG/test/labeled@$(layout_digest "$IMG" labeled)"
	assert_contains "$output" "deleted: $labeled"
	[[ "$output" != *"$plain"* ]]
	[[ "$output" != *"$multi"* ]]
	api_status "/images/$labeled/json"
	assert_eq "$API_STATUS" 404
	[ ! -e "$BERTHD_ROOT/content/blobs/sha256/${labeled#sha256:}" ]
	assert_eq "$(sorted_lines dk images -q --no-trunc | uniq)" "$(printf '%s\n' "$multi" "$plain" | LC_ALL=C sort)"
	# the API: the same with a label filter that matches nothing
	run api -XPOST -G --data-urlencode 'filters={"label":["no.such.label"]}' /images/prune
	assert_eq "$output" '{"ImagesDeleted":null,"SpaceReclaimed":0}'
	# -a: every image goes, with every layer
	run dk image prune -af
	echo "$output"
	[ "$status" -eq 0 ]
	assert_contains "$output" "deleted: $plain"
	assert_contains "$output" "deleted: $multi"
	[[ "$(tail -1 <<<"$output")" =~ ^Total\ reclaimed\ space:\ [0-9.]+MB$ ]]
	assert_nothing_stored
	assert_eq "$(ingest_files)" ""
}

@test "images: docker system prune -af removes every image and its layers" {
	berthd_start
	pull_ok "$REG/test/plain"
	pull_ok "$REG/test/multi"
	run dk system prune -af
	echo "$output"
	[ "$status" -eq 0 ]
	assert_contains "$output" "deleted: $(id_of plain)"
	[[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ [0-9.]+[kMG]?B$ ]]
	assert_eq "$(dk images -q)" ""
	assert_nothing_stored
}

@test "images: /events: pull, tag, untag and delete with docker's Actor and names" {
	local t0
	t0=$(date +%s)
	pull_ok "$REG/test/labeled"
	local id
	id=$(id_of labeled)
	dk tag "$REG/test/labeled" evt/name:1
	dk rmi evt/name:1 >/dev/null
	dk rmi "$REG/test/labeled" >/dev/null
	run api "/events?since=$t0&until=$(($(date +%s) + 1))"
	echo "$output"
	[ "$status" -eq 0 ]
	local ev=$output
	# in order, every one an image event of the local scope
	assert_eq "$(jq -r '.Action' <<<"$ev" | tr '\n' ' ')" "pull tag untag untag delete " "actions"
	assert_eq "$(jq -r '"\(.Type) \(.scope)"' <<<"$ev" | sort -u)" "image local"
	# pull: the reference as ID, the repository as name, the labels
	jq -se --arg r "$REG/test/labeled:latest" --arg n "$REG/test/labeled" 'map(select(.Action == "pull")) |
		length == 1 and all(.Actor.ID == $r and .Actor.Attributes.name == $n and
		.Actor.Attributes.tier == "test" and .id == $r and .status == "pull")' <<<"$ev"
	# tag: the image ID, the new name
	jq -se --arg id "$id" 'map(select(.Action == "tag")) | length == 1 and all(.Actor.ID == $id and
		.Actor.Attributes.name == "evt/name:1" and .Actor.Attributes["com.example.berth"] == "yes")' <<<"$ev"
	# untag and delete: the image ID as ID and name (as dockerd)
	assert_eq "$(jq -c --arg id "$id" 'select(.Action == "untag" or .Action == "delete") |
		[.Actor.ID == $id, .Actor.Attributes.name == $id]' <<<"$ev" | sort -u)" "[true,true]"
	# timeNano and time agree
	jq -se 'all((.timeNano / 1000000000 | floor) == .time)' <<<"$ev" >/dev/null
	# the CLI reads them, with its filters
	run dk events --since "$t0" --until "$(($(date +%s) + 1))" --filter event=tag --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
	echo "$output"
	assert_eq "$output" "image tag evt/name:1"
	# a live stream: an event that happens while it is open
	api -N "/events?filters=%7B%22event%22%3A%5B%22tag%22%5D%7D" >"$T/live" &
	local reader=$!
	local n=100
	while [ "$(curl -s --unix-socket "$BERTHD_SOCK" http://berthd/info | jq .NEventsListener)" != 1 ] && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	pull_ok "$REG/test/plain"
	dk tag "$REG/test/plain" live/tag:1
	n=100
	while ! grep -q live/tag "$T/live" && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	kill "$reader" 2>/dev/null || true
	wait "$reader" 2>/dev/null || true
	cat "$T/live"
	assert_eq "$(jq -r .Actor.Attributes.name "$T/live")" live/tag:1 "live stream"
	# malformed filters: 400
	api_status "/events?filters=%7Bbad"
	assert_eq "$API_STATUS" 400
}

@test "images: API framing: version prefixes, too old / too new, _ping headers, JSON errors" {
	pull_ok "$REG/test/plain"
	local v want
	want=$(api /images/json | jq -c '[.[] | .Id]')
	for v in v1.24 v1.41 v1.44 v1.47; do
		api_status "/$v/images/json"
		assert_eq "$API_STATUS" 200 "/$v/images/json"
		assert_eq "$(jq -c '[.[] | .Id]' <<<"$API_BODY")" "$want" "/$v/images/json"
	done
	# API < 1.44 still has VirtualSize
	assert_eq "$(api /v1.41/images/json | jq '.[0].VirtualSize > 0')" true
	assert_eq "$(api /v1.44/images/json | jq '.[0] | has("VirtualSize")')" false
	# too old, too new: 400 with dockerd's words
	api_status /v1.12/images/json
	assert_eq "$API_STATUS" 400
	assert_eq "$API_BODY" '{"message":"client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"}'
	api_status /v1.99/version
	assert_eq "$API_STATUS" 400
	assert_eq "$(jq -r .message <<<"$API_BODY")" "client version 1.99 is too new. Maximum supported API version is 1.47"
	# _ping: OK, with the headers the CLI negotiates with; HEAD too
	api -D "$T/h" -o "$T/body" /_ping
	assert_eq "$(cat "$T/body")" OK
	tr -d '\r' <"$T/h" >"$T/headers"
	grep -qx 'HTTP/1.1 200 OK' "$T/headers"
	grep -qix 'Api-Version: 1.47' "$T/headers"
	grep -qix 'Ostype: linux' "$T/headers"
	grep -qix 'Cache-Control: no-cache, no-store, must-revalidate' "$T/headers"
	api -I /v1.41/_ping | tr -d '\r' | grep -qix 'Api-Version: 1.47'
	# the CLI negotiates 1.47
	assert_eq "$(dk version --format '{{.Server.APIVersion}} {{.Server.MinAPIVersion}}')" "1.47 1.24"
	# errors: JSON objects with a message and docker's statuses
	api_status /no/such/endpoint
	assert_eq "$API_STATUS $API_BODY" '404 {"message":"page not found"}'
	api_status -XDELETE /v1.41/images/nope:1
	assert_eq "$API_STATUS $API_BODY" '404 {"message":"No such image: nope:1"}'
	dk tag "$REG/test/plain" x/y:1
	api_status -XDELETE "/images/$(short_id "$(id_of plain)")"
	assert_eq "$API_STATUS" 409
	jq -e '.message | startswith("conflict: unable to delete")' <<<"$API_BODY"
	api_status -XPOST "/images/create?fromImage=Bad/Name"
	assert_eq "$API_STATUS" 400
	jq -e '.message | type == "string" and length > 0' <<<"$API_BODY"
	grep -qi '^Content-Type: application/json' < <(api -D - -o /dev/null /no/such/endpoint | tr -d '\r')
}
