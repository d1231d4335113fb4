#!/usr/bin/env bats
# Hostile and broken registries, hostile layers, and malformed requests:
# every pull that must fail fails with a message that says why, and leaves
# nothing behind (no image, blob, snapshot or ingest file); the faults a
# registry may have for real (a dropped connection, 500, 429) are survived.
#
#   bats tests/daemon/hostile.bats

load helpers

# The images, built once for the whole file: the multi image (two layers)
# for tests/registry/fakereg.py, and evilimage.py's hostile images, pushed
# to a real registry.  $CANARY is the directory outside the daemon's root
# the evil layers aim at.
setup_file() {
	require_binaries || return 1
	export IMG=$BATS_FILE_TMPDIR/img ROOTFS=$BATS_FILE_TMPDIR/rootfs EVIL=$BATS_FILE_TMPDIR/evil
	export CANARY=$BATS_FILE_TMPDIR/canary
	export no_proxy='*' NO_PROXY='*'
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" || return 1
	build_layout "$IMG" multi --variant multi || return 1
	mkdir -p "$CANARY" && echo "the canary's secret" >"$CANARY/secret" || return 1
	"${EVILIMAGE[@]}" "$EVIL" --canary "$CANARY" >"$BATS_FILE_TMPDIR/evil.list" || return 1
	registry_start "$BATS_FILE_TMPDIR/registry" || return 1
	export REG=$REGISTRY_ADDR
	local tag digest
	while read -r tag digest; do
		push_tag "$EVIL" "$tag" "$REG/evil/$tag:latest" >/dev/null || return 1
	done <"$BATS_FILE_TMPDIR/evil.list"
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
	# retries 10 ms apart: the tests that exhaust them stay fast
	berthd_start --pull-retry-delay-ms 10
}

teardown() {
	daemon_teardown
}

# pull_fails IMAGE: a pull that must fail; its output in $output.
pull_fails() {
	run dk pull "$@"
	echo "$output"
	[ "$status" -ne 0 ] || {
		echo "the pull of $* succeeded" >&2
		return 1
	}
	# an error, not a crash: the daemon still answers
	[ "$(api /_ping)" = OK ]
}

# nothing_left: no image, blob, snapshot (row or directory) or ingest file.
nothing_left() {
	assert_nothing_stored || return 1
	assert_eq "$(ingest_files)" "" "ingest files" || return 1
}

# fakereg_pull FAULT [fakereg options]: fakereg serving the multi image with
# FAULT; pulls FAKEREG_ADDR/x/y, the output in $output.
fakereg_pull() {
	local fault=$1
	shift
	fakereg_start "$T/fakereg" "$IMG" "$fault" --ref multi "$@"
	run dk pull "$FAKEREG_ADDR/x/y"
	echo "$output"
}

# fakereg_records JQ-FILTER: the fakereg log lines it selects, compact.
fakereg_records() {
	jq -c "$1" "$FAKEREG_LOG"
}

@test "hostile: a blob whose content does not match its digest is refused" {
	fakereg_pull bad-digest
	[ "$status" -ne 0 ]
	# both layers are bad: the first to be verified is reported
	[[ "$output" =~ blob\ (sha256:[0-9a-f]{64}):\ digest\ mismatch:\ content\ hashes\ to\ sha256:[0-9a-f]{64} ]]
	layout_layers "$IMG" multi | grep -qx "${BASH_REMATCH[1]}"
	# the registry did send it whole (the failure is the check's, not a transfer's)
	[ "$(fakereg_records 'select(.fault == "bad-digest" and .status == 200)' | wc -l)" -ge 1 ]
	nothing_left
}

@test "hostile: a truncated blob (the connection closes early, every time) fails after its retries" {
	fakereg_pull truncated
	[ "$status" -ne 0 ]
	assert_contains "$output" "Transferred a partial file"
	assert_contains "$output" "Retrying in 1 second"
	# the layer that gave up was tried 5 times, each time after the first
	# from where the file had got to (the registry ignores Range: the start
	# is skipped), never more
	local layer gets most=0 size
	for layer in $(layout_layers "$IMG" multi); do
		gets=$(count_fakereg_gets "/blobs/$layer")
		[ "$gets" -le 5 ]
		[ "$gets" -gt "$most" ] && most=$gets
		size=$(stat -c %s "$(layout_blob "$IMG" "$layer")")
		assert_eq "$(fakereg_records "select(.path | endswith(\"/blobs/$layer\")) | .range" | sort | uniq -c | awk '{ print $1 " " $2 }' | tr '\n' ' ')" \
			"$((gets - 1)) \"bytes=$((size / 2))-\" 1 null " "Range headers for $layer"
	done
	assert_eq "$most" 5 "attempts"
	nothing_left
}

@test "hostile: a descriptor that lies about the size (smaller, larger) is refused before the data" {
	local layer size
	fakereg_pull desc-size-small
	[ "$status" -ne 0 ]
	[[ "$output" =~ blobs/(sha256:[0-9a-f]{64}):\ the\ registry\'s\ blob\ has\ ([0-9]+)\ bytes,\ its\ descriptor\ says\ ([0-9]+) ]]
	size=$(stat -c %s "$(layout_blob "$IMG" "${BASH_REMATCH[1]}")")
	assert_eq "${BASH_REMATCH[2]} ${BASH_REMATCH[3]}" "$size $((size - 1))" "sizes"
	nothing_left
	registry_stop
	fakereg_pull desc-size-large
	[ "$status" -ne 0 ]
	[[ "$output" =~ blobs/(sha256:[0-9a-f]{64}):\ the\ registry\'s\ blob\ has\ ([0-9]+)\ bytes,\ its\ descriptor\ says\ ([0-9]+) ]]
	size=$(stat -c %s "$(layout_blob "$IMG" "${BASH_REMATCH[1]}")")
	assert_eq "${BASH_REMATCH[2]} ${BASH_REMATCH[3]}" "$size $((size + 1000))" "sizes"
	# refused at once: not retried as if the connection had dropped
	for layer in $(layout_layers "$IMG" multi); do
		[ "$(count_fakereg_gets "/blobs/$layer")" -le 1 ]
	done
	nothing_left
}

@test "hostile: a layer whose content is not the config's diff_id is refused" {
	fakereg_pull bad-diffid
	[ "$status" -ne 0 ]
	local layer want
	layer=$(layout_layers "$IMG" multi | head -1)
	want=$(layout_diff_ids "$IMG" multi | jq -r '.[0]')
	assert_contains "$output" "layer $layer: its content is $want, but the image config says sha256:"
	nothing_left
}

@test "hostile: a huge manifest is refused at 4 MiB without reading it all" {
	fakereg_start "$T/fakereg" "$IMG" huge-manifest --ref multi --huge-size $((256 << 20))
	local start=$SECONDS
	pull_fails "$FAKEREG_ADDR/x/y"
	assert_eq "$output" "Using default tag: latest
Error response from daemon: manifest for $FAKEREG_ADDR/x/y:latest is larger than 4194304 bytes"
	# 256 MiB were on offer; a bounded reader stops early
	[ $((SECONDS - start)) -lt 10 ]
	# the API answers with the error itself, not a stream
	api_status -XPOST "/images/create?fromImage=$FAKEREG_ADDR/x/y&tag=latest"
	[ "$API_STATUS" -ge 400 ]
	assert_eq "$(jq -r .message <<<"$API_BODY")" "manifest for $FAKEREG_ADDR/x/y:latest is larger than 4194304 bytes"
	nothing_left
}

@test "hostile: schema 1, truncated JSON, a manifest that does not hash to its digest, an artifact: refused clearly" {
	local fault want
	while IFS='|' read -r fault want; do
		fakereg_start "$T/fakereg-$fault" "$IMG" "$fault" --ref multi
		pull_fails "$FAKEREG_ADDR/x/y"
		# refused before any progress: a plain error answer
		assert_contains "$output" "Error response from daemon: " "$fault"
		assert_contains "$output" "$want" "$fault"
		nothing_left
		registry_stop
	done <<-'EOF'
		schema1|manifest: schema 1 manifests are not supported
		bad-json|manifest: not valid JSON: line 1
		manifest-bad-digest|manifest x/y:latest: Docker-Content-Digest sha256:
		artifact|is not a container image
	EOF
	# by digest, a manifest that does not hash to it
	fakereg_start "$T/fakereg-digest" "$IMG" manifest-bad-digest --ref multi
	local d
	d=$(layout_digest "$IMG" multi)
	pull_fails "$FAKEREG_ADDR/x/y@$d"
	assert_contains "$output" "manifest $d: content hashes to sha256:"
	nothing_left
}

@test "hostile: layers that try to leave their root (.., absolute, symlinks, hard links) are refused, nothing is written outside" {
	local before tag digest
	before=$(cd "$CANARY" && find . -printf '%p %s %n %T@\n' | sort)
	while read -r tag digest; do
		pull_fails "$REG/evil/$tag"
		assert_contains "$output" "layer entry" "$tag"
		case "$tag" in
		symlink-*) assert_contains "$output" "is a symlink: entries are never written through symlinks" "$tag" ;;
		*dotdot) assert_contains "$output" "path leaves the layer root" "$tag" ;;
		absolute | hardlink-abs) assert_contains "$output" "absolute path" "$tag" ;;
		*) false ;;
		esac
		# the canary is untouched: no new file, the secret has one link
		assert_eq "$(cd "$CANARY" && find . -printf '%p %s %n %T@\n' | sort)" "$before" "canary after $tag"
		nothing_left
	done <"$BATS_FILE_TMPDIR/evil.list"
	assert_eq "$(wc -l <"$BATS_FILE_TMPDIR/evil.list")" 8 "evil images"
	# and nothing landed next to the daemon's root or in /
	[ ! -e "$BD/escape-dotdot" ]
	[ ! -e "$BERTHD_ROOT/escape-dotdot" ]
	[ ! -e /escape-dotdot ]
	[ ! -e /escape-nested ]
	[ ! -e "$BERTHD_ROOT/snapshots/escape-dotdot" ]
}

@test "hostile: a connection dropped mid-blob is resumed with Range" {
	fakereg_pull drop-resume
	[ "$status" -eq 0 ]
	assert_contains "$output" "Status: Downloaded newer image for $FAKEREG_ADDR/x/y:latest"
	local layer size half
	for layer in $(layout_layers "$IMG" multi); do
		size=$(stat -c %s "$(layout_blob "$IMG" "$layer")")
		half=$((size / 2))
		# cut at half, then asked again from there, and answered 206
		assert_eq "$(fakereg_records "select(.path | endswith(\"/blobs/$layer\")) | [.range, .status, .fault]" | tr '\n' ' ')" \
			"[null,200,\"drop-resume: cut\"] [\"bytes=$half-\",206,\"drop-resume: resumed\"] " "requests for $layer"
	done
	assert_blobs_verified
	assert_eq "$(ingest_files)" ""
	assert_eq "$(dk image inspect --format '{{json .RootFS.Layers}}' "$FAKEREG_ADDR/x/y")" "$(layout_diff_ids "$IMG" multi)"
}

@test "hostile: 500 and 429 answers are retried, and the pull succeeds" {
	local fault status_code
	for fault in 500-first-n 429-first-n; do
		status_code=${fault%%-*}
		fakereg_start "$T/fakereg-$fault" "$IMG" "$fault" --ref multi --count 3
		run dk pull "$FAKEREG_ADDR/x/y:$fault"
		echo "$output"
		[ "$status" -eq 0 ]
		assert_contains "$output" "Retrying in 1 second"
		assert_eq "$(fakereg_records "select(.status == $status_code) | .fault" | sort -u)" "\"$fault\""
		assert_eq "$(fakereg_records "select(.status == $status_code)" | wc -l)" 3 "$status_code answers"
		assert_eq "$(dk images --format '{{.Tag}}')" "$fault"
		assert_blobs_verified
		assert_eq "$(ingest_files)" ""
		# the next one downloads again
		dk rmi "$FAKEREG_ADDR/x/y:$fault" >/dev/null
		nothing_left
		registry_stop
	done
}

@test "hostile: a blob the registry does not have, a redirect loop: clear errors, nothing stored" {
	fakereg_pull blob-404
	[ "$status" -ne 0 ]
	assert_contains "$output" "blob unknown: blob unknown to registry"
	nothing_left
	registry_stop
	fakereg_pull redirect-loop
	[ "$status" -ne 0 ]
	assert_contains "$output" "redirects"
	nothing_left
}

@test "hostile: malformed JSON and bad parameters in every request that takes them: 400 with a clear message" {
	local b64
	# check STATUS MESSAGE-PART CURL-ARGS...: the answer is a JSON error
	check() {
		local want=$1 part=$2
		shift 2
		api_status "$@" || return 1
		echo "$* -> $API_STATUS $API_BODY"
		assert_eq "$API_STATUS" "$want" "status of $*" || return 1
		jq -e 'keys == ["message"]' <<<"$API_BODY" >/dev/null || return 1
		assert_contains "$(jq -r .message <<<"$API_BODY")" "$part" "message of $*" || return 1
	}
	local create="/images/create?fromImage=$REG/evil/dotdot&tag=latest"
	# POST /auth
	check 400 "auth request body: not valid JSON" -XPOST -H 'Content-Type: application/json' -d '{bad' /auth
	check 400 "auth request body: must be a JSON object" -XPOST -H 'Content-Type: application/json' -d '[1]' /auth
	check 400 "auth request body: username: must be a string" -XPOST -H 'Content-Type: application/json' -d '{"username":5}' /auth
	check 400 "auth request body: empty" -XPOST -H 'Content-Type: application/json' /auth
	# X-Registry-Auth on a pull
	check 400 "X-Registry-Auth: not valid base64" -XPOST -H 'X-Registry-Auth: !!!' "$create"
	b64=$(printf '%s' '{bad' | base64 -w0)
	check 400 "X-Registry-Auth: not valid JSON" -XPOST -H "X-Registry-Auth: $b64" "$create"
	b64=$(printf '%s' '{"password":{}}' | base64 -w0)
	check 400 "X-Registry-Auth: password: must be a string" -XPOST -H "X-Registry-Auth: $b64" "$create"
	# /images/create parameters
	check 400 "invalid reference format" -XPOST "/images/create?fromImage=Bad/Name"
	check 400 "invalid reference format" -XPOST "/images/create?fromImage="
	check 400 "invalid platform" -XPOST "/images/create?fromImage=$REG/evil/dotdot&platform=linux/"
	# tag
	check 400 "must be lowercase" -XPOST "/images/sha256:0/tag?repo=Bad"
	# filters, wherever they are taken
	check 400 "filters: not valid JSON" -G --data-urlencode 'filters={bad' /images/json
	check 400 "filters: want a JSON object" -G --data-urlencode 'filters=[1]' /images/json
	check 400 "invalid filter 'dangling=maybe'" -G --data-urlencode 'filters={"dangling":["maybe"]}' /images/json
	check 400 "filters: not valid JSON" -XPOST -G --data-urlencode 'filters={bad' /images/prune
	check 400 "invalid filter 'bogus'" -XPOST -G --data-urlencode 'filters={"bogus":["1"]}' /images/prune
	check 400 "invalid filter 'until=x'" -XPOST -G --data-urlencode 'filters={"until":["x"]}' /images/prune
	check 400 "filters: not valid JSON" -G --data-urlencode 'filters={bad' /events
	# a body larger than the daemon takes
	head -c $((2 << 20)) /dev/zero | tr '\0' 'a' >"$T/big"
	check 413 "request body larger than" -XPOST -H 'Content-Type: application/json' --data-binary @"$T/big" /auth
	# none of it pulled or stored anything, and the daemon is fine
	nothing_left
	[ "$(api /_ping)" = OK ]
}
