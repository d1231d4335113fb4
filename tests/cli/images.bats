#!/usr/bin/env bats
# berth images, image inspect, history, tag, rmi, image prune.

load helpers

setup_file() { images_build; }

setup() {
	cli_setup
	daemon_start
	registry_start "$BATS_TEST_TMPDIR/registry"
}

teardown() { cli_teardown; }

# pull_quiet NAME: pull from the test's registry
pull_quiet() { berth pull -q "$REGISTRY_ADDR/$1" >/dev/null; }

@test "images: docker's table, one row per tag, -q, --no-trunc, --digests" {
	digest=$(push multi test/multi:v1)
	pull_quiet test/multi:v1
	id=$(berth image inspect --format '{{.Id}}' "$REGISTRY_ADDR/test/multi:v1")
	[[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]]
	short=${id:7:12}

	run --separate-stderr berth images
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	# docker's tabwriter: columns padded to the widest cell + 3, at least 10
	repo="$REGISTRY_ADDR/test/multi"
	pad=$(( ${#repo} + 3 ))
	[ "${lines[0]:0:$((pad + 25))}" = "$(printf "%-${pad}s%-10s%-15s" REPOSITORY TAG "IMAGE ID")" ]
	[[ "${lines[0]:$((pad + 25))}" =~ ^CREATED\ {3,}SIZE$ ]]
	[[ "${lines[1]}" =~ ^"$repo"\ +v1\ +$short\ +([0-9]+|About\ an?)\ [a-z]+\ ago\ +[0-9.]+[kMG]?B$ ]]
	same_as_docker images

	run berth images -q
	[ "$output" = "$short" ]
	run berth images --no-trunc --format '{{.ID}}'
	[ "$output" = "$id" ]
	run berth images --digests --format '{{.Repository}}|{{.Tag}}|{{.Digest}}'
	[ "$output" = "$repo|v1|$digest" ]
	run berth images --digests
	[[ "${lines[0]}" == "REPOSITORY"*"TAG"*"DIGEST"*"IMAGE ID"*"CREATED"*"SIZE" ]]
	[[ "${lines[1]}" == *" $digest "* ]]
	same_as_docker images --digests
	same_as_docker image ls --no-trunc
}

@test "images --format: templates, tables, json; a REPOSITORY argument filters" {
	push single test/single:v1 >/dev/null
	pull_quiet test/single:v1
	run berth images --format '{{.Repository}}:{{.Tag}}'
	[ "$output" = "$REGISTRY_ADDR/test/single:v1" ]
	run berth images --format 'table {{.Repository}}\t{{.Tag}}'
	[ "${lines[0]}" = "$(printf "%-$(( ${#REGISTRY_ADDR} + 15 ))s%s" REPOSITORY TAG)" ]
	[ "${lines[1]}" = "$(printf "%-$(( ${#REGISTRY_ADDR} + 15 ))s%s" "$REGISTRY_ADDR/test/single" v1)" ]
	run berth images --format json
	[ "$(jq -r '.Repository + " " + .Tag + " " + .Size' <<<"$output")" = \
		"$REGISTRY_ADDR/test/single v1 $(berth images --format '{{.Size}}')" ]
	run berth images "$REGISTRY_ADDR/test/single"
	[ "${#lines[@]}" -eq 2 ]
	run berth images nothing/here
	[ "${#lines[@]}" -eq 1 ]
	run --separate-stderr berth images --format '{{.NoSuchField}}'
	[ "$status" -eq 1 ]
	[[ "$stderr" == "template parsing error: "* ]]
	run --separate-stderr berth images -f bad
	[ "$status" -eq 125 ]
	[ "${stderr_lines[0]}" = 'invalid argument "bad" for "-f, --filter" flag: bad format of filter (expected name=value)' ]
	same_as_docker images --format '{{.Repository}} {{.Tag}} {{.ID}} {{.CreatedAt}} {{.Size}} {{.VirtualSize}}'
	same_as_docker images --format 'table {{.ID}}\t{{.CreatedSince}}'
}

# make_dangling: leaves an image without tags or digests, as a rebuilt tag
# does (docker's "<none>:<none>"): multi loses its names, single is kept as
# $REGISTRY_ADDR/test/app:v2 and keep:1.  Sets OLD and NEW (full IDs).
make_dangling() {
	local olddigest
	olddigest=$(push multi test/app:v1)
	pull_quiet test/app:v1
	OLD=$(berth images -q --no-trunc)
	berth tag "$REGISTRY_ADDR/test/app:v1" keep:1
	berth rmi "$REGISTRY_ADDR/test/app@$olddigest" "$REGISTRY_ADDR/test/app:v1" >/dev/null
	push single test/app:v2 >/dev/null
	pull_quiet test/app:v2
	NEW=$(berth image inspect --format '{{.Id}}' "$REGISTRY_ADDR/test/app:v2")
	berth tag "$REGISTRY_ADDR/test/app:v2" keep:1
}

@test "images --filter dangling=true shows an image left without names" {
	make_dangling
	run berth images -f dangling=true --no-trunc --format '{{.Repository}} {{.Tag}} {{.ID}}'
	[ "$output" = "<none> <none> $OLD" ]
	run berth images --filter dangling=false --format '{{.Repository}} {{.Tag}}'
	[ "${#lines[@]}" -eq 2 ]
	printf '%s\n' "${lines[@]}" | grep -qx "$REGISTRY_ADDR/test/app v2"
	printf '%s\n' "${lines[@]}" | grep -qx "keep 1"
	run berth images
	[ "${#lines[@]}" -eq 4 ]
	# (both images were made at the same time: their order is the daemon's)
	printf '%s\n' "${lines[@]}" | grep -Eq "^<none> +<none> +${OLD:7:12} "
	same_as_docker images -f dangling=true
	same_as_docker images -a --digests -f dangling=true
}

@test "image inspect: an indented JSON array; --format; errors for missing images" {
	push single test/single:v1 >/dev/null
	pull_quiet test/single:v1
	ref=$REGISTRY_ADDR/test/single:v1
	run --separate-stderr berth image inspect "$ref"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[" ]
	[ "${lines[1]}" = "    {" ]
	[[ "${lines[2]}" =~ ^\ {8}\"Id\":\ \"sha256:[0-9a-f]{64}\",$ ]]
	[ "${lines[-1]}" = "]" ]
	[ "$(jq -r '.[0].RepoTags[0]' <<<"$output")" = "$ref" ]
	id=$(jq -r '.[0].Id' <<<"$output")
	run berth image inspect --format '{{.Id}}' "$ref"
	[ "$output" = "$id" ]
	run berth inspect -f '{{index .RepoTags 0}} {{index .Config.Labels "berth.test"}}' "$ref"
	[ "$output" = "$ref single" ]
	run berth inspect -f '{{.Config.Labels}}' "$ref"
	[[ "$output" == "map["*"berth.test:single"*"]" ]]
	run --separate-stderr berth image inspect --format '{{.Id}}' "$ref" nothere
	[ "$status" -eq 1 ]
	[ "$output" = "$id" ]
	# the daemon's words ("No such image: nothere:latest"; dockerd 20.10
	# adds "no such image: nothere: " before them)
	[[ "$stderr" == "Error response from daemon: "*"No such image: nothere:latest" ]]
	run --separate-stderr berth image inspect nothere
	[ "$status" -eq 1 ]
	[ "$output" = "[]" ]
	same_as_docker image inspect "$ref"
}

@test "history: docker's table, <missing> layers, CREATED BY cut at 45 columns, -H=false, -q" {
	push multi test/multi:v1 >/dev/null
	pull_quiet test/multi:v1
	ref=$REGISTRY_ADDR/test/multi:v1
	short=$(berth images -q)
	run --separate-stderr berth history "$ref"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
	[[ "${lines[1]}" == "$short "* ]]
	for l in "${lines[@]:2}"; do
		[[ "$l" == "<missing> "* ]]
	done
	printf '%s\n' "${lines[@]}" | grep -q "COPY extras / # links, fifo, setuid, xattr, …   "
	run berth history --no-trunc --format '{{.CreatedBy}}' "$ref"
	printf '%s\n' "${lines[@]}" | grep -q "^COPY extras / # links, fifo, setuid, xattr, owners, mtimes$"
	run berth history -q "$ref"
	[ "${lines[0]}" = "$short" ]
	[ "${lines[1]}" = "<missing>" ]
	run berth history -H=false --format '{{.Size}} {{.CreatedSince}}' "$ref"
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^[0-9]+\ [0-9]{4}-[0-9]{2}-[0-9]{2}T ]]
	done
	run berth history --human=false "$ref"
	[[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ AT\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
	same_as_docker history "$ref"
	same_as_docker history --no-trunc -H=false "$ref"
	run --separate-stderr berth history nothere
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error response from daemon: No such image: nothere:latest" ]
}

@test "tag, then images shows both names; rmi untags, then deletes with the last tag" {
	push single test/single:v1 >/dev/null
	pull_quiet test/single:v1
	ref=$REGISTRY_ADDR/test/single:v1
	id=$(berth images -q --no-trunc)
	run berth tag "$ref" mine/copy:2
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	berth image tag "$ref" second
	run berth images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	[ "${#lines[@]}" -eq 3 ]
	printf '%s\n' "${lines[@]}" | grep -qx "mine/copy:2 ${id:7:12}"
	printf '%s\n' "${lines[@]}" | grep -qx "second:latest ${id:7:12}"
	printf '%s\n' "${lines[@]}" | grep -qx "$ref ${id:7:12}"

	run --separate-stderr berth rmi mine/copy:2
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: mine/copy:2" ]
	run --separate-stderr berth image rm second
	[ "$output" = "Untagged: second:latest" ]

	# the last tag: untagged (the name and its digest), then deleted
	run --separate-stderr berth rmi "$ref"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Untagged: $ref" ]
	printf '%s\n' "${lines[@]}" | grep -q "^Untagged: $REGISTRY_ADDR/test/single@sha256:"
	printf '%s\n' "${lines[@]}" | grep -qx "Deleted: $id"
	run berth images -q
	[ -z "$output" ]

	run --separate-stderr berth tag "$ref" again
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error response from daemon: No such image: $ref" ]
	run --separate-stderr berth tag "$ref" 'Bad:x'
	[ "$status" -eq 1 ]
	[[ "$stderr" == "invalid reference format"* ]]
}

@test "rmi goes on past errors and fails at the end; -f forgives missing images" {
	push single test/single:v1 >/dev/null
	pull_quiet test/single:v1
	berth tag "$REGISTRY_ADDR/test/single:v1" one
	berth tag "$REGISTRY_ADDR/test/single:v1" two
	run --separate-stderr berth rmi nothere one also-missing
	[ "$status" -eq 1 ]
	[ "$output" = "Untagged: one:latest" ]
	[ "${stderr_lines[0]}" = "Error response from daemon: No such image: nothere:latest" ]
	[ "${stderr_lines[1]}" = "Error response from daemon: No such image: also-missing:latest" ]
	run --separate-stderr berth rmi -f nothere two
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: two:latest" ]
	[ "$stderr" = "Error response from daemon: No such image: nothere:latest" ]
}

@test "image prune: asks first, -f removes the dangling image, -a -f the rest" {
	make_dangling

	# answered no: nothing happens
	run --separate-stderr berth image prune <<<"n"
	[ "$status" -eq 0 ]
	[ "$output" = $'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ' ]
	[ "$(berth images -q | wc -l)" -eq 3 ]

	run --separate-stderr berth image prune -f
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Deleted Images:" ]
	printf '%s\n' "${lines[@]}" | grep -qx "deleted: $OLD"
	[[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ [0-9.]+[kMG]?B$ ]]
	[ "${lines[-1]}" != "Total reclaimed space: 0B" ]
	run berth images -q --no-trunc
	[ "${lines[0]}" = "$NEW" ]
	[ "${lines[1]}" = "$NEW" ]

	run berth image prune -f
	[ "$output" = "Total reclaimed space: 0B" ]
	run berth image prune -a <<<"y"
	[ "${lines[0]}" = "WARNING! This will remove all images without at least one container associated to them." ]
	[[ "${lines[1]}" == "Are you sure you want to continue? [y/N] Deleted Images:" ]]
	printf '%s\n' "${lines[@]}" | grep -qx "untagged: keep:1"
	printf '%s\n' "${lines[@]}" | grep -qx "deleted: $NEW"
	run berth images -q
	[ -z "$output" ]
}

@test "system prune: docker's warning, the dangling image goes, -a the rest; the report ends with the total" {
	make_dangling

	run --separate-stderr berth system prune <<<"n"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "WARNING! This will remove:" ]
	[ "${lines[1]}" = "  - all stopped containers" ]
	[ "${lines[2]}" = "  - all networks not used by at least one container" ]
	[ "${lines[3]}" = "  - all dangling images" ]
	[ "${lines[4]}" = "  - unused build cache" ]
	[ "$(berth images -q | wc -l)" -eq 3 ]

	run --separate-stderr berth system prune -f
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" | grep -qx "Deleted Images:"
	printf '%s\n' "${lines[@]}" | grep -qx "deleted: $OLD"
	[[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ [0-9.]+[kMG]?B$ ]]
	[ "$(berth images -q --no-trunc | sort -u)" = "$NEW" ]

	run --separate-stderr berth system prune -a -f
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" | grep -qx "deleted: $NEW"
	run berth images -q
	[ -z "$output" ]
}
