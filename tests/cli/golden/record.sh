#!/usr/bin/env bash
# record.sh STREAM.json: what the docker CLI prints for a recorded stream
# (see README.md); needs docker (the CLI only) and script(1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$1" .json)
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
serve() {
	rm -f "$tmp/fake.sock"
	python3 "$here/../fakedaemon.py" "$tmp/fake.sock" "$here/$name.json" &
	pid=$!
	while [ ! -S "$tmp/fake.sock" ]; do sleep 0.05; done
}
export DOCKER_CONFIG=$tmp/config
serve
docker -H "unix://$tmp/fake.sock" pull demo:1.0 >"$here/$name.notty.out" 2>"$here/$name.notty.err" || true
kill "$pid"
for cols in 80 200; do
	serve
	script -qec "stty cols $cols; docker -H unix://$tmp/fake.sock pull demo:1.0" /dev/null |
		sed 's/\r$//' >"$here/$name.$cols.out" || true
	kill "$pid"
done
