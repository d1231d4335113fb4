#!/usr/bin/env bats
# Invalid configs and arguments: create fails with status 1 and a one-line
# error naming the field, and leaves nothing behind (runtime.md "Errors":
# the environment is as if the operation had never been attempted).

load helpers

setup() {
	setup_common
}

teardown() {
	teardown_common
}

# create_fails ID TEXT...: create fails with status 1, one line of error
# containing every TEXT, and nothing is left behind.
create_fails() {
	local id=$1 t
	shift
	runbg create --bundle "$BUNDLE" "$id"
	echo "status: $status"
	echo "output: $output"
	[ "$status" -eq 1 ] || {
		echo "expected status 1"
		return 1
	}
	[ "${#lines[@]}" -eq 1 ] || {
		echo "expected one line of error, got ${#lines[@]}"
		return 1
	}
	for t in "$@"; do
		[[ "$output" == *"$t"* ]] || {
			echo "the error does not mention: $t"
			return 1
		}
	done
	assert_nothing_left
	# Nothing of the container's program ran either.
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
}

@test "config.json that is not JSON" {
	echo '{"ociVersion": "1.0.0", "process": ' >"$BUNDLE/config.json"
	create_fails b1$X config.json
}

@test "config.json that is a JSON array" {
	echo '[1, 2]' >"$BUNDLE/config.json"
	create_fails b1$X config.json "JSON object"
}

@test "missing config.json" {
	rm "$BUNDLE/config.json"
	create_fails b1$X config.json
}

@test "missing ociVersion" {
	update_config 'del(.ociVersion)'
	create_fails b1$X ociVersion
}

@test "unsupported ociVersion" {
	update_config '.ociVersion = "2.0.0"'
	create_fails b1$X ociVersion 2.0.0
}

@test "process.args empty" {
	update_config '.process.args = []'
	create_fails b1$X "config.json: process.args: must be a non-empty array of strings"
}

@test "process.args of the wrong type" {
	update_config '.process.args = "sh -c true"'
	create_fails b1$X process.args
}

@test "process.args with a non-string element" {
	update_config '.process.args = ["sh", 5]'
	create_fails b1$X process.args
}

@test "process.cwd relative" {
	update_config '.process.cwd = "tmp"'
	create_fails b1$X process.cwd
}

@test "process.cwd that cannot be made in the rootfs (a file is in the way)" {
	touch "$BUNDLE/rootfs/afile"
	update_config '.process.cwd = "/afile/dir"'
	create_fails b1$X process.cwd
}

@test "process.env entry without =" {
	update_config '.process.env += ["NOEQUALS"]'
	create_fails b1$X process.env NOEQUALS
}

@test "process.rlimits with an unknown type" {
	update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	create_fails b1$X process.rlimits RLIMIT_BOGUS
}

@test "process.rlimits with soft above hard" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 10}]'
	create_fails b1$X process.rlimits
}

@test "process.user.uid of the wrong type" {
	update_config '.process.user.uid = "root"'
	create_fails b1$X process.user.uid
}

@test "unknown namespace type" {
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	create_fails b1$X linux.namespaces 'unknown namespace type "bogus"'
}

@test "a namespace listed twice" {
	update_config '.linux.namespaces += [{"type": "pid"}]'
	create_fails b1$X linux.namespaces pid
}

@test "a namespace path that does not exist" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/no/such/netns" else . end)'
	create_fails b1$X linux.namespaces /no/such/netns
}

@test "no mount namespace, with masked paths" {
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	create_fails b1$X linux.maskedPaths "mount namespace"
}

@test "no mount namespace: the container stays in the caller's (no masked paths, nothing mounted)" {
	update_config '.linux.namespaces |= map(select(.type != "mount")) | del(.linux.maskedPaths, .linux.readonlyPaths)
		| .root.readonly = false | .mounts = [] | .process.args = ["/bin/sh", "-c", "echo ran-in-$0"]'
	run berth run --bundle "$BUNDLE" b2$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "ran-in-/bin/sh" ]
	run berth state b2$X
	[ "$status" -ne 0 ]
}

@test "hostname without a uts namespace" {
	update_config '.linux.namespaces |= map(select(.type != "uts")) | .hostname = "h"'
	create_fails b1$X hostname uts
}

@test "uidMappings without a user namespace" {
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 10}] | .linux.gidMappings = .linux.uidMappings'
	create_fails b1$X linux.uidMappings
}

@test "a user namespace without mappings" {
	update_config '.linux.namespaces += [{"type": "user"}]'
	create_fails b1$X linux.uidMappings
}

@test "timeOffsets without a time namespace" {
	update_config '.linux.timeOffsets = {"monotonic": {"secs": 10}}'
	create_fails b1$X linux.timeOffsets
}

@test "a device with an invalid type" {
	update_config '.linux.devices = [{"path": "/dev/x", "type": "z", "major": 1, "minor": 3}]'
	create_fails b1$X "linux.devices[0].type"
}

@test "an invalid rootfsPropagation" {
	update_config '.linux.rootfsPropagation = "sideways"'
	create_fails b1$X linux.rootfsPropagation sideways
}

@test "a non-string annotation" {
	update_config '.annotations = {"k": 1}'
	create_fails b1$X annotations
}

@test "a mount without a type that is not a bind mount" {
	update_config '.mounts += [{"destination": "/x", "source": "none"}]'
	create_fails b1$X "mounts[" type
}

@test "a mount with an empty destination" {
	update_config '.mounts += [{"destination": "", "type": "tmpfs", "source": "tmpfs"}]'
	create_fails b1$X "mounts[" destination
}

@test "a relative mount destination is NOT an error" {
	update_config '.mounts += [{"destination": "relative/dest", "type": "tmpfs", "source": "tmpfs"}]'
	set_args sh -c 'grep -q " /relative/dest " /proc/self/mountinfo && echo mounted'
	run berth run --bundle "$BUNDLE" b1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = mounted ]
}

@test "an unknown capability is only a warning" {
	update_config '.process.capabilities.bounding += ["CAP_BOGUS"] | .process.capabilities.effective += ["CAP_BOGUS"]'
	set_args true
	run berth run --bundle "$BUNDLE" b1$X
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *CAP_BOGUS* ]]
}

@test "bad container id a/b" {
	create_fails "a/b" "invalid container id"
	[ ! -e "$TESTDIR/state/a" ]
}

@test "bad container id .." {
	create_fails ".." "invalid container id"
}

@test "bad container ids are refused by the other commands too" {
	# A sibling of the state root, which "../x" would name.
	create_ct ok1$X
	mkdir -p "$TESTDIR/x"
	for cmd in state start kill delete exec; do
		if [ "$cmd" = exec ]; then
			run berth exec ../x true
		else
			run berth $cmd ../x
		fi
		echo "$cmd: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"invalid container id"* ]]
	done
	[ -d "$TESTDIR/x" ]
}

@test "an existing id" {
	create_ct b1$X
	pid=$(ct_pid b1$X)
	runbg create --bundle "$BUNDLE" b1$X
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"b1$X already exists"* ]]
	# Only the first container's init exists.
	procs=$(procs_mentioning "$BUNDLE")
	echo "$procs"
	[ "$(wc -l <<<"$procs")" -eq 1 ]
	[[ "$procs" == "$pid "* ]]
	[ "$(ls "$ROOT")" = b1$X ]
	[ "$(ct_status b1$X)" = created ]
}

@test "missing rootfs directory" {
	rm -rf "$BUNDLE/rootfs"
	create_fails b1$X root.path
}

@test "root.path that is a file" {
	update_config '.root.path = "config.json"'
	create_fails b1$X root.path
}

@test "a missing bundle directory" {
	runbg create --bundle "$TESTDIR/no-such-bundle" b1$X
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *no-such-bundle* ]]
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
}

@test "a bind mount whose source does not exist fails during create" {
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "/no/such/source", "options": ["bind"]}]'
	set_args sh -c 'echo ran > /tmp/ran'
	create_fails b1$X /no/such/source /data
}

@test "a mount whose source does not exist, after others succeeded, leaves no mount behind" {
	mkdir "$TESTDIR/src"
	update_config '.mounts += [{"destination": "/good", "type": "bind", "source": $s, "options": ["bind"]},
		{"destination": "/bad", "type": "bind", "source": "/no/such/source", "options": ["rbind"]}]' --arg s "$TESTDIR/src"
	create_fails b1$X /no/such/source
	[ -z "$(mounts_mentioning "$TESTDIR/src")" ]
}

@test "a filesystem type the kernel does not know fails during create" {
	update_config '.mounts += [{"destination": "/x", "type": "berthfs", "source": "none"}]'
	create_fails b1$X /x
}

@test "/proc in the rootfs is a symlink out of it: create fails" {
	rmdir "$BUNDLE/rootfs/proc"
	ln -s /etc "$BUNDLE/rootfs/proc"
	create_fails b1$X /proc symlink
}

@test "a createRuntime hook failure" {
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]'
	create_fails b1$X createRuntime "exit status 3"
}

@test "unknown command and unknown option" {
	run berth frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *frobnicate* ]]
	runbg create --no-such-option --bundle "$BUNDLE" b1$X
	[ "$status" -eq 1 ]
	[[ "$output" == *no-such-option* ]]
	assert_nothing_left
}

@test "create without an id" {
	runbg create --bundle "$BUNDLE"
	[ "$status" -eq 1 ]
	[ -n "$output" ]
	assert_nothing_left
}
