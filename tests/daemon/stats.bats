#!/usr/bin/env bats
# docker stats, update and system df through the real docker CLI: the
# figures are checked against what the container did (memory it filled,
# processes it started, bytes it wrote) and the limits against its real
# cgroup files (cgroup v1 here: /sys/fs/cgroup/CONTROLLER/berth/ID).
#
#   bats tests/daemon/stats.bats

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
	timeout 60 "$DOCKER" -H "unix://$BERTHD_SOCK" import - bb <"$ROOTFS_TAR" >/dev/null
}

teardown() {
	dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	daemon_teardown
}

# cg CONTROLLER FILE ID: a file of the container's v1 cgroup
cg() {
	cat "/sys/fs/cgroup/$1/berth/$3/$2"
}

# wait_file NAME PATH: until PATH exists inside the container
wait_file() {
	local i=0
	while ! dk exec "$1" test -e "$2" 2>/dev/null; do
		[ $i -lt 100 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

@test "stats: memory, pids and cpu of a container that fills 24 MiB and starts 3 processes" {
	dk run -d --name s1 -m 64m --pids-limit 50 bb sh -c \
		'dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; sleep 1000 & sleep 1000 & sleep 1000 & touch /ready; wait'
	wait_file s1 /ready
	local id
	id=$(dk inspect -f '{{.Id}}' s1)
	run api "/v1.47/containers/s1/stats?stream=false&one-shot=true"
	echo "$output" | jq -c '{pids_stats, memory_stats: (.memory_stats | {usage, limit}), name, id}'
	[ "$(jq -r .name <<<"$output")" = /s1 ]
	[ "$(jq -r .id <<<"$output")" = "$id" ]
	[ "$(jq .pids_stats.current <<<"$output")" -eq 4 ]
	[ "$(jq .pids_stats.limit <<<"$output")" -eq 50 ]
	[ "$(jq .memory_stats.limit <<<"$output")" -eq 67108864 ]
	[ "$(jq .memory_stats.usage <<<"$output")" -gt $((24 * 1024 * 1024)) ]
	[ "$(jq .memory_stats.usage <<<"$output")" -le "$(cg memory memory.max_usage_in_bytes "$id")" ]
	[ "$(jq .memory_stats.stats.hierarchical_memory_limit <<<"$output")" -eq 67108864 ]
	[ "$(jq .cpu_stats.online_cpus <<<"$output")" -eq "$(nproc)" ]
	[ "$(jq .cpu_stats.cpu_usage.total_usage <<<"$output")" -gt 0 ]
	[ "$(jq .cpu_stats.cpu_usage.total_usage <<<"$output")" -le "$(cg cpuacct cpuacct.usage "$id")" ]
	[ "$(jq .cpu_stats.system_cpu_usage <<<"$output")" -gt 0 ]
	[ "$(jq -r .preread <<<"$output")" = 0001-01-01T00:00:00Z ]
	[ "$(jq .precpu_stats.cpu_usage.total_usage <<<"$output")" -eq 0 ]
	# the docker CLI's table, from the same figures
	run dk stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' s1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^s1\ 4\ 2[4-9](\.[0-9]+)?MiB\ /\ 64MiB$ ]]
}

@test "stats: a stream gives a sample a second with the one before as precpu; a stopped container is zeroes" {
	dk run -d --name s2 bb sleep 1000
	run api --max-time 2.6 /containers/s2/stats
	[ "$(wc -l <<<"$output")" -ge 2 ]
	local first second
	first=$(sed -n 1p <<<"$output")
	second=$(sed -n 2p <<<"$output")
	[ "$(jq -r .preread <<<"$second")" = "$(jq -r .read <<<"$first")" ]
	[ "$(jq .precpu_stats.system_cpu_usage <<<"$second")" -eq "$(jq .cpu_stats.system_cpu_usage <<<"$first")" ]
	[ "$(jq .cpu_stats.system_cpu_usage <<<"$second")" -gt "$(jq .cpu_stats.system_cpu_usage <<<"$first")" ]
	dk create --name idle bb true >/dev/null
	run api "/containers/idle/stats?stream=false"
	echo "$output"
	[ "$(jq -r .read <<<"$output")" = 0001-01-01T00:00:00Z ]
	[ "$(jq -c .memory_stats <<<"$output")" = '{}' ]
	[ "$(jq -r .name <<<"$output")" = /idle ]
	api_status "/containers/nope/stats?stream=false"
	[ "$API_STATUS" = 404 ]
	api_status "/containers/s2/stats?stream=true&one-shot=true"
	[ "$API_STATUS" = 400 ]
}

@test "update: limits reach the running cgroup, inspect and the next start; dockerd's refusals" {
	dk run -d --name u1 -m 64m bb sleep 1000
	local id
	id=$(dk inspect -f '{{.Id}}' u1)
	run dk update -m 32m --memory-swap 48m --memory-reservation 16m --cpus 0.5 --cpu-shares 512 --pids-limit 20 \
		--cpuset-cpus 0 --restart on-failure:3 u1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cg memory memory.limit_in_bytes "$id")" -eq 33554432 ]
	[ "$(cg memory memory.memsw.limit_in_bytes "$id")" -eq 50331648 ]
	[ "$(cg memory memory.soft_limit_in_bytes "$id")" -eq 16777216 ]
	[ "$(cg cpu cpu.cfs_quota_us "$id")" -eq 50000 ]
	[ "$(cg cpu cpu.shares "$id")" -eq 512 ]
	[ "$(cg pids pids.max "$id")" -eq 20 ]
	[ "$(cg cpuset cpuset.cpus "$id")" = 0 ]
	assert_eq "$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' u1)" \
		"33554432 50331648 500000000 20 on-failure:3"
	# the limits are the container's: a restart keeps them
	dk restart -t 0 u1 >/dev/null
	[ "$(cg memory memory.limit_in_bytes "$id")" -eq 33554432 ]
	[ "$(cg pids pids.max "$id")" -eq 20 ]
	run dk update --pids-limit -1 u1
	[ "$status" -eq 0 ]
	[ "$(cg pids pids.max "$id")" = max ]
	# dockerd's refusals, with its words
	run dk update -m 32m --memory-swap 16m u1
	[ "$status" -ne 0 ]
	assert_contains "$output" "Minimum memoryswap limit should be larger than memory limit"
	run dk update --cpu-quota 20000 u1
	[ "$status" -ne 0 ]
	assert_contains "$output" "CPU Quota cannot be updated as NanoCPUs has already been set"
	api_status -X POST -H 'Content-Type: application/json' -d '{"Memory":1000}' /containers/u1/update
	[ "$API_STATUS" = 400 ]
	[ "$(cg memory memory.limit_in_bytes "$id")" -eq 33554432 ]
}

@test "update: a limit below what the container uses is refused with the figures; a created container gets it at start" {
	dk run -d --name u2 -m 64m --memory-swap 64m bb sh -c 'dd if=/dev/zero of=/dev/shm/f bs=1M count=24 2>/dev/null; touch /ready; sleep 1000'
	wait_file u2 /ready
	local id
	id=$(dk inspect -f '{{.Id}}' u2)
	run dk update -m 8m --memory-swap 8m u2
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "unable to set memory limit to 8388608 (current usage:"
	[ "$(cg memory memory.limit_in_bytes "$id")" -eq 67108864 ]
	assert_eq "$(dk inspect -f '{{.HostConfig.Memory}}' u2)" 67108864
	dk create --name u3 bb sleep 1000 >/dev/null
	run dk update --pids-limit 9 --cpu-quota 30000 u3
	[ "$status" -eq 0 ]
	dk start u3
	id=$(dk inspect -f '{{.Id}}' u3)
	[ "$(cg pids pids.max "$id")" -eq 9 ]
	[ "$(cg cpu cpu.cfs_quota_us "$id")" -eq 30000 ]
}

@test "system df: image, container and volume sizes as written" {
	dk volume create data >/dev/null
	dk run -d --name d1 -v data:/data bb sh -c 'head -c 5000 /dev/zero > /data/f; head -c 3000 /dev/zero > /rw; touch /ready; sleep 1000'
	wait_file d1 /ready
	dk create --name d2 bb true >/dev/null
	run api /system/df
	echo "$output" | jq -c '{LayersSize, Images: [.Images[] | {Size, SharedSize, Containers}], Containers: [.Containers[] | {Names, SizeRw, SizeRootFs}], Volumes: [.Volumes[] | {Name, UsageData}], BuildCache}'
	local image_size
	image_size=$(jq '.Images[0].Size' <<<"$output")
	[ "$(jq '.Images | length' <<<"$output")" -eq 1 ]
	[ "$(jq '.Images[0].Containers' <<<"$output")" -eq 2 ]
	[ "$(jq '.Images[0].SharedSize' <<<"$output")" -eq 0 ]
	[ "$(jq '.LayersSize' <<<"$output")" -gt 0 ]
	[ "$(jq '.Containers[] | select(.Names[0] == "/d1") | .SizeRw' <<<"$output")" -ge 3000 ]
	[ "$(jq '.Containers[] | select(.Names[0] == "/d1") | .SizeRootFs' <<<"$output")" -ge $((image_size + 3000)) ]
	[ "$(jq '.Containers[] | select(.Names[0] == "/d2") | .SizeRw' <<<"$output")" = null ]
	assert_eq "$(jq -c '.Volumes[0].UsageData' <<<"$output")" '{"RefCount":1,"Size":5000}'
	assert_eq "$(jq -c .BuildCache <<<"$output")" '[]'
	run dk system df --format '{{.Type}} {{.TotalCount}} {{.Active}}'
	echo "$output"
	assert_eq "$output" $'Images 1 1\nContainers 2 1\nLocal Volumes 1 1\nBuild Cache 0 0'
	api_status "/v1.47/system/df?type=bogus"
	[ "$API_STATUS" = 400 ]
	run api "/v1.47/system/df?type=volume"
	[ "$(jq -c '[.Images, .Containers, (.Volumes | length)]' <<<"$output")" = '[null,null,1]' ]
}
