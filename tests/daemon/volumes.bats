#!/usr/bin/env bats
# Volumes through the real docker CLI and the Engine API: create (named,
# anonymous, labels, driver options, idempotent), ls and its filters,
# inspect, rm, prune, /events, persistence and repair across restarts,
# volumes in use, hostile names and bodies.
#
#   bats tests/daemon/volumes.bats

load helpers

setup_file() {
	require_binaries || return 1
}

setup() {
	daemon_setup
	berthd_start
}

teardown() {
	daemon_teardown
}

# post_json PATH BODY: POST with a JSON body; sets API_STATUS / API_BODY.
post_json() {
	api_status -XPOST -H 'Content-Type: application/json' --data-binary "$2" "$1"
}

# add_ref VOLUME CONTAINER: what the container code records for a
# container using a volume (there are no containers yet to do it).
add_ref() {
	"$REGISTRY_PYTHON" - "$BERTHD_ROOT/berth.db" "$1" "$2" <<-'EOF'
		import sqlite3, sys
		db = sqlite3.connect(sys.argv[1], timeout=10)
		db.execute("INSERT INTO volume_refs (volume, container) VALUES (?, ?)", (sys.argv[2], sys.argv[3]))
		db.commit()
	EOF
}

@test "volumes: create, ls, inspect as dockerd answers them; create is idempotent" {
	run dk volume create --label tier=db --label b= data
	assert_eq "$output" data "create"
	run dk volume create -o type=tmpfs -o device=tmpfs -o o=size=1m scratch
	assert_eq "$output" scratch "create with options"
	run dk volume create
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	anon=$output

	# the whole document, field for field (sorted keys, nulls as dockerd)
	api_status /volumes/data
	assert_eq "$API_STATUS" 200
	assert_eq "$(jq -c 'del(.CreatedAt)' <<<"$API_BODY")" \
		"{\"Driver\":\"local\",\"Labels\":{\"b\":\"\",\"tier\":\"db\"},\"Mountpoint\":\"$BERTHD_ROOT/volumes/data/_data\",\"Name\":\"data\",\"Options\":null,\"Scope\":\"local\"}"
	# RFC 3339 in the daemon's zone, seconds only, within the last minute
	created=$(jq -r .CreatedAt <<<"$API_BODY")
	[[ "$created" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$ ]]
	[ $(($(date +%s) - $(date -d "$created" +%s))) -lt 60 ]
	[ -d "$BERTHD_ROOT/volumes/data/_data" ]
	run dk volume inspect --format '{{json .Options}} {{json .Labels}}' scratch
	assert_eq "$output" '{"device":"tmpfs","o":"size=1m","type":"tmpfs"} null'
	run dk volume inspect --format '{{json .Labels}}' "$anon"
	assert_eq "$output" '{"com.docker.volume.anonymous":""}'

	# the list: every volume once, docker's table
	# (the anonymous volume's random name sorts anywhere among the others)
	run dk volume ls
	assert_eq "$output" "DRIVER    VOLUME NAME
$(printf '%s\n' "$anon" data scratch | LC_ALL=C sort | sed 's/^/local     /')"
	run dk volume ls -q
	assert_eq "$(echo "$output" | wc -l)" 3
	run api /volumes
	assert_eq "$(jq -c '[.Volumes[].Name] | sort' <<<"$output") $(jq -c .Warnings <<<"$output")" \
		"$(jq -cn --arg a "$anon" '[$a, "data", "scratch"] | sort') null"

	# again: the same volume, its labels kept, no second create event
	post_json /volumes/create '{"Name":"data","Labels":{"other":"x"}}'
	assert_eq "$API_STATUS" 201
	assert_eq "$(jq -c .Labels <<<"$API_BODY")" '{"b":"","tier":"db"}'
	assert_eq "$(jq -r .CreatedAt <<<"$API_BODY")" "$created"
	# explicit empty maps stay {} (null only when left out), as dockerd
	post_json /volumes/create '{"Name":"empties","Labels":{},"DriverOpts":{}}'
	assert_eq "$(jq -c '[.Labels, .Options]' <<<"$API_BODY")" '[{},{}]'
	# an empty body: an anonymous volume
	api_status -XPOST /volumes/create
	assert_eq "$API_STATUS" 201
	[[ "$(jq -r .Name <<<"$API_BODY")" =~ ^[0-9a-f]{64}$ ]]
}

@test "volumes: ls filters name, label, dangling, driver; bad filters are 400" {
	dk volume create --label app=web web1 >/dev/null
	dk volume create --label app=db db1 >/dev/null
	dk volume create other >/dev/null
	add_ref db1 c0ffee
	run dk volume ls -q --filter name=1
	assert_eq "$output" "db1
web1"
	run dk volume ls -q --filter 'name=^web'
	assert_eq "$output" web1
	run dk volume ls -q --filter label=app=db
	assert_eq "$output" db1
	run dk volume ls -q --filter label=app --filter dangling=true
	assert_eq "$output" web1
	run dk volume ls -q --filter dangling=false
	assert_eq "$output" db1
	run dk volume ls -q --filter driver=local
	assert_eq "$(echo "$output" | wc -l)" 3
	run dk volume ls -q --filter driver=nfs
	assert_eq "$output" ""
	run dk volume ls --filter dangling=maybe
	[ "$status" -eq 1 ]
	assert_contains "$output" "invalid filter 'dangling=maybe'"
	api_status '/volumes?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D'
	assert_eq "$API_STATUS $API_BODY" "400 {\"message\":\"invalid filter 'bogus'\"}"
	api_status '/volumes?filters=notjson'
	assert_eq "$API_STATUS" 400
}

@test "volumes: rm and in use; 404 and 409 as dockerd" {
	dk volume create gone >/dev/null
	echo hello >"$BERTHD_ROOT/volumes/gone/_data/f"
	run dk volume rm gone
	assert_eq "$status $output" "0 gone"
	[ ! -e "$BERTHD_ROOT/volumes/gone" ]
	[ -z "$(ls -A "$BERTHD_ROOT/volumes/.trash")" ]
	run dk volume rm gone
	assert_eq "$status $output" "1 Error response from daemon: get gone: no such volume"
	api_status -XDELETE /volumes/gone
	assert_eq "$API_STATUS $API_BODY" '404 {"message":"get gone: no such volume"}'
	api_status -XDELETE '/volumes/gone?force=1'
	assert_eq "$API_STATUS" 204
	run dk volume rm -f gone
	assert_eq "$status $output" "0 gone"

	dk volume create busy >/dev/null
	add_ref busy aaaa1111
	add_ref busy 0000bbbb
	api_status -XDELETE '/volumes/busy?force=1'
	assert_eq "$API_STATUS $API_BODY" '409 {"message":"remove busy: volume is in use - [0000bbbb, aaaa1111]"}'
	run dk volume rm busy
	[ "$status" -eq 1 ]
	[ -d "$BERTHD_ROOT/volumes/busy/_data" ]
	run dk volume prune -af
	assert_eq "$output" "Total reclaimed space: 0B"
	dk volume inspect busy >/dev/null
}

@test "volumes: prune takes anonymous volumes, -a named ones too, filters, space reclaimed; API 1.41 prunes all" {
	anon=$(dk volume create)
	head -c 2500 /dev/zero >"$BERTHD_ROOT/volumes/$anon/_data/blob"
	dk volume create named >/dev/null
	dk volume create --label keep=1 kept >/dev/null
	dk volume create -o type=tmpfs -o device=tmpfs withopts >/dev/null
	run dk volume prune -f
	assert_eq "$output" "Deleted Volumes:
$anon

Total reclaimed space: 2.5kB"
	run dk volume prune -a -f --filter label!=keep
	assert_eq "$output" "Deleted Volumes:
named

Total reclaimed space: 0B"
	run dk volume ls -q
	assert_eq "$output" "kept
withopts"
	api_status -XPOST '/volumes/prune?filters=%7B%22all%22%3A%5B%22maybe%22%5D%7D'
	assert_eq "$API_STATUS" 400
	assert_contains "$API_BODY" "invalid filter 'all'"
	api_status -XPOST '/volumes/prune?filters=%7B%22until%22%3A%5B%221h%22%5D%7D'
	assert_eq "$API_STATUS $API_BODY" "400 {\"message\":\"invalid filter 'until'\"}"
	# before API 1.42, prune removed named volumes too (options still spared)
	api_status -XPOST /v1.41/volumes/prune
	assert_eq "$API_STATUS $(jq -c . <<<"$API_BODY")" '200 {"VolumesDeleted":["kept"],"SpaceReclaimed":0}'
	api_status -XPOST /volumes/prune
	assert_eq "$(jq -c . <<<"$API_BODY")" '{"VolumesDeleted":[],"SpaceReclaimed":0}'
	# and docker system prune --volumes reaches it
	anon=$(dk volume create)
	run dk system prune -f --volumes
	assert_contains "$output" "Deleted Volumes:
$anon"
}

@test "volumes: /events: create, destroy and prune with dockerd's Actor" {
	t0=$(date +%s)
	dk volume create evv >/dev/null
	dk volume create evv >/dev/null
	dk volume rm evv >/dev/null
	dk volume prune -f >/dev/null
	run dk events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=volume \
		--format '{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}'
	assert_eq "$output" 'volume create evv {"driver":"local"}
volume destroy evv {"driver":"local"}
volume prune  {"reclaimed":"0"}'
	run dk events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=volume --filter event=destroy \
		--format '{{.Action}}'
	assert_eq "$output" destroy
}

@test "volumes: they survive a restart; the start repairs what a crash left" {
	dk volume create --label a=b keep >/dev/null
	dk volume create lost >/dev/null
	echo data >"$BERTHD_ROOT/volumes/keep/_data/f"
	before=$(dk volume inspect keep)
	local engine_id
	engine_id=$(dk info -f '{{.ID}}')
	berthd_kill9
	# a create that died before its row, a row whose directory went, a
	# remove that died after its rename, a directory with data and no row
	mkdir -p "$BERTHD_ROOT/volumes/halfmade/_data"
	rm -rf "$BERTHD_ROOT/volumes/lost"
	mkdir -p "$BERTHD_ROOT/volumes/.trash/gone/_data"
	mkdir -p "$BERTHD_ROOT/volumes/restored/_data"
	echo precious >"$BERTHD_ROOT/volumes/restored/_data/p"
	berthd_start
	assert_eq "$(dk volume inspect keep)" "$before" "inspect after restart"
	assert_eq "$(dk info -f '{{.ID}}')" "$engine_id" "the engine ID after restart"
	[ "$(cat "$BERTHD_ROOT/volumes/keep/_data/f")" = data ]
	[ ! -e "$BERTHD_ROOT/volumes/halfmade" ]
	[ -d "$BERTHD_ROOT/volumes/lost/_data" ]
	[ ! -e "$BERTHD_ROOT/volumes/.trash/gone" ]
	[ "$(cat "$BERTHD_ROOT/volumes/restored/_data/p")" = precious ]
	run dk volume ls -q
	assert_eq "$output" "keep
lost
restored"
	# a reference of a container that is gone (a crash between its removal
	# and the release of its volumes) is dropped at the next start
	add_ref keep 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	run dk volume rm keep
	[ "$status" -ne 0 ]
	assert_contains "$output" "volume is in use"
	berthd_stop
	berthd_start
	run dk volume ls -q
	assert_eq "$(echo "$output" | wc -l)" 3
	dk volume rm keep
}

@test "volumes: hostile names and bodies: 400s, nothing made outside ROOT/volumes" {
	run dk volume create ../x
	[ "$status" -eq 1 ]
	assert_eq "$output" 'Error response from daemon: create ../x: "../x" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'
	run dk volume create x
	assert_eq "$output" "Error response from daemon: create x: volume name is too short, names should be at least two alphanumeric characters"
	for name in '..' '.hidden' '/etc' 'a/b' 'a b' '-dash' 'a\\b' 'a\u0001b' 'caf\u00e9' '.trash'; do
		post_json /volumes/create "{\"Name\":\"$name\"}"
		assert_eq "$API_STATUS" 400 "status for $name"
	done
	post_json /volumes/create '{"Name":"a\u0001b"}'
	assert_contains "$API_BODY" '\"a\\x01b\" includes invalid characters'
	post_json /volumes/create "{\"Name\":\"$(printf 'a%.0s' $(seq 300))\"}"
	assert_eq "$API_STATUS" 400
	post_json /volumes/create '{"Name":"ab\u0000../../x"}'
	assert_eq "$API_STATUS" 400
	for body in '{"Name":' '[]' '{"Name":5}' '{"Labels":{"a":1}}' '{"Labels":[]}' '{"DriverOpts":"x"}' \
		'{"Driver":true}' 'not json'; do
		post_json /volumes/create "$body"
		assert_eq "$API_STATUS" 400 "status for $body"
		jq -e .message <<<"$API_BODY" >/dev/null
	done
	post_json /volumes/create '{"Name":"okk","DriverOpts":{"bad":"1"}}'
	assert_eq "$API_STATUS $API_BODY" '400 {"message":"create okk: invalid option: \"bad\""}'
	post_json /volumes/create '{"Name":"okk","DriverOpts":{"o":"size=1m"}}'
	assert_eq "$API_STATUS $API_BODY" '400 {"message":"create okk: missing required option: \"device\""}'
	post_json /volumes/create '{"Name":"okk","Driver":"nfs"}'
	assert_eq "$API_STATUS $API_BODY" '404 {"message":"create okk: error looking up volume plugin nfs: plugin \"nfs\" not found"}'
	# names in the path: looked up, never used as paths
	api_status '/volumes/..%2F..%2Fetc'
	assert_eq "$API_STATUS" 404
	api_status -XDELETE '/volumes/..%2Fberth.db'
	assert_eq "$API_STATUS" 404
	api_status --path-as-is '/volumes/../volumes/x'
	assert_eq "$API_STATUS" 404
	api_status '/volumes/%ff%fe'
	assert_eq "$API_STATUS" 404
	jq -e .message <<<"$API_BODY" >/dev/null
	# nothing was made but the store's own directory
	assert_eq "$(ls -A "$BERTHD_ROOT/volumes")" ".trash"
	[ -f "$BERTHD_ROOT/berth.db" ]
	[ ! -e "$BD/x" ]
	[ ! -e "$BERTHD_ROOT/x" ]
	run dk volume ls -q
	assert_eq "$output" ""
}
