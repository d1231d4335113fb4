#!/usr/bin/env bats
# berth volume create, ls, inspect, rm, prune, against berthd and dockerd
# (BERTH_TEST_DAEMON); where the docker CLI is installed, its output on
# the same daemon is the reference (same_as_docker).

load helpers

setup() {
	cli_setup
	daemon_start
}

teardown() { cli_teardown; }

# The API version in use: 1.41 with Debian's dockerd, 1.47 with berthd.
api_number() {
	local v
	v=$(berth version --format '{{.Client.APIVersion}}')
	echo $((${v%%.*} * 100 + ${v#*.}))
}

@test "volume create, ls, inspect, rm: docker's table, natural order, formats, filters, errors" {
	run berth volume create --label tier=db --label b= v10
	[ "$status" -eq 0 ]
	[ "$output" = v10 ]
	berth volume create v9 >/dev/null
	berth volume create -o type=tmpfs -o device=tmpfs -o o=size=1m v2 >/dev/null
	run --separate-stderr berth volume ls
	[ "$status" -eq 0 ]
	[ "$output" = "DRIVER    VOLUME NAME
local     v2
local     v9
local     v10" ]
	same_as_docker volume ls
	run berth volume list -q
	[ "$output" = "$(printf 'v2\nv9\nv10')" ]
	run berth volume ls --format '{{.Name}}|{{.Labels}}|{{.Links}}|{{.Size}}|{{.Scope}}|{{.Driver}}'
	[ "${lines[2]}" = "v10|b=,tier=db|N/A|N/A|local|local" ]
	[ "${lines[0]}" = "v2||N/A|N/A|local|local" ]
	run berth volume ls --format 'table {{.Name}}\t{{.Driver}}'
	[ "${lines[0]}" = "VOLUME NAME   DRIVER" ]
	[ "${lines[1]}" = "v2            local" ]
	run berth volume ls --format json --filter name=v2
	[ "$(jq -r .Mountpoint <<<"$output")" = "$(berth volume inspect --format '{{.Mountpoint}}' v2)" ]
	[ "$(jq -c 'del(.Mountpoint)' <<<"$output")" = \
		'{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"N/A","Name":"v2","Scope":"local","Size":"N/A","Status":"N/A"}' ]
	run berth volume ls -q --filter label=tier=db
	[ "$output" = v10 ]
	run berth volume ls -q --filter dangling=true --filter name=v
	[ "${#lines[@]}" -eq 3 ]
	same_as_docker volume ls --format json --filter name=v9
	same_as_docker volume ls -q --filter label=tier
	same_as_docker volume ls --format '{{.Name}}: {{.Mountpoint}}'

	run --separate-stderr berth volume inspect v10
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[" ]
	[ "${lines[1]}" = "    {" ]
	[ "$(jq -c '.[0] | del(.CreatedAt, .Mountpoint)' <<<"$output")" = \
		'{"Driver":"local","Labels":{"b":"","tier":"db"},"Name":"v10","Options":null,"Scope":"local"}' ]
	same_as_docker volume inspect v10 v2
	run berth volume inspect --format '{{json .Options}}' v2
	[ "$output" = '{"device":"tmpfs","o":"size=1m","type":"tmpfs"}' ]
	run --separate-stderr berth volume inspect v9 nope
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error response from daemon: get nope: no such volume" ]
	[ "$(jq -r '.[0].Name' <<<"$output")" = v9 ]
	same_as_docker volume inspect v9 nope

	# rm: each name tried, errors at the end; -f
	berth volume rm v2 v9 v10 >/dev/null
	berth volume create r1 >/dev/null
	berth volume create r2 >/dev/null
	run --separate-stderr berth volume rm r1 nope r2
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'r1\nr2')" ]
	[ "$stderr" = "Error response from daemon: get nope: no such volume" ]
	run --separate-stderr berth volume rm -f nope
	[ "$status" -eq 0 ]
	[ "$output" = nope ]
	same_as_docker volume rm nope
	same_as_docker volume remove -f nope2
	run berth volume ls -q
	[ "$output" = "" ]
}

@test "volume create: anonymous names, idempotent create, the daemon's errors; usage errors and help" {
	run berth volume create
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	anon=$output
	run berth volume create same
	run berth volume create same
	[ "$status" -eq 0 ]
	[ "$output" = same ]
	run berth volume ls -q
	[ "$output" = "$(printf '%s\n' "$anon" same | sort)" ]
	run --separate-stderr berth volume create x
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error response from daemon: create x: volume name is too short, names should be at least two alphanumeric characters" ]
	same_as_docker volume create x
	same_as_docker volume create ../x
	same_as_docker volume create -o bogus=1 okk
	same_as_docker volume create -d nfs okk
	same_as_docker volume ls --filter dangling=maybe
	run berth volume ls -q
	[ "${#lines[@]}" -eq 2 ]

	# usage errors and help
	run --separate-stderr berth volume create a b
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "berth: 'berth volume create' requires at most 1 argument" ]
	run --separate-stderr berth volume ls extra
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "berth: 'berth volume ls' accepts no arguments" ]
	run --separate-stderr berth volume inspect
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "berth: 'berth volume inspect' requires at least 1 argument" ]
	run --separate-stderr berth volume create --label =x v
	[ "$status" -eq 125 ]
	[ "${stderr_lines[0]}" = "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': empty name" ]
	same_as_docker volume create --label =x v
	run --separate-stderr berth volume prune --bogus
	[ "$status" -eq 125 ]
	[ "${stderr_lines[0]}" = "unknown flag: --bogus" ]
	run berth volume --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"  prune       Remove unused local volumes"* ]]
	run berth --help
	[[ "$output" == *"  volume      Manage volumes"* ]]
	run berth volume nope
	[ "$status" -eq 1 ]
	run berth volume ls -q
	[ "${#lines[@]}" -eq 2 ]
}

@test "volume prune: warnings, confirmation, report; --all needs API 1.42" {
	api=$(api_number)
	anon=$(berth volume create)
	berth volume create named >/dev/null
	berth volume create --label keep=1 kept >/dev/null
	run berth volume prune <<<"n"
	[ "$status" -eq 0 ]
	if [ "$api" -ge 142 ]; then
		[ "${lines[0]}" = "WARNING! This will remove anonymous local volumes not used by at least one container." ]
	else
		[ "${lines[0]}" = "WARNING! This will remove all local volumes not used by at least one container." ]
	fi
	[ "${lines[1]}" = "Are you sure you want to continue? [y/N] " ] || [ "${#lines[@]}" -eq 2 ]
	[ "$(berth volume ls -q | wc -l)" -eq 3 ]
	if [ "$api" -ge 142 ]; then
		run berth volume prune <<<"y"
		[ "$output" = "WARNING! This will remove anonymous local volumes not used by at least one container.
Are you sure you want to continue? [y/N] Deleted Volumes:
$anon

Total reclaimed space: 0B" ]
		run --separate-stderr berth volume prune -a -f --filter all=1
		[ "$status" -eq 1 ]
		[ "$stderr" = "conflicting options: cannot specify both --all and --filter all=1" ]
		run berth volume prune -a -f --filter label!=keep
		[ "$output" = "Deleted Volumes:
named

Total reclaimed space: 0B" ]
	else
		# before API 1.42 the daemon prunes named volumes too
		run berth volume prune -f --filter label!=keep
		[ "$(sed -n '2,3p' <<<"$output" | sort)" = "$(printf '%s\n' "$anon" named | sort)" ]
		[ "${lines[0]}" = "Deleted Volumes:" ]
		[ "${lines[-1]}" = "Total reclaimed space: 0B" ]
		run --separate-stderr berth volume prune -a -f
		[ "$status" -eq 1 ]
		[ "$stderr" = '"--all" requires API version 1.42, but the berth daemon API version is 1.41' ]
	fi
	same_as_docker volume prune -a -f --filter label=nothing
	run berth volume ls -q
	[ "$output" = kept ]
	# the filter "all" is API 1.42's (dockerd 20.10 refuses it; it prunes all anyway)
	all=()
	[ "$api" -ge 142 ] && all=(--filter all=true)
	run berth volume prune -f --filter label=keep "${all[@]}"
	[ "$output" = "Deleted Volumes:
kept

Total reclaimed space: 0B" ]
}
