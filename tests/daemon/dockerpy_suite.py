#!/usr/bin/python3
"""Engine API checks through docker-py (Debian's python3-docker), a client
written independently of the docker CLI.

    dockerpy_suite.py SOCKET IMAGE AREA

IMAGE is a busybox image whose command is "sh".  AREA names one function
below (check_AREA); it raises on the first wrong answer, with what was
expected and what came.  Every container, volume and tag it makes is named
with a prefix of its own and removed by the bats file's daemon teardown.
"""

import datetime
import re
import socket
import sys
import time

import docker
from docker import errors

TIMEOUT = 30


def fail(msg):
    raise AssertionError(msg)


def eq(got, want, what):
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))


def ok(cond, what):
    if not cond:
        fail(what)


def until(cond, what, seconds=10):
    """Wait (polling) for cond() to be true."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    fail("timed out waiting for " + what)


def raises(exc, fn, what):
    try:
        fn()
    except exc as e:
        return e
    fail("%s: no %s raised" % (what, exc.__name__))


def split_frames(data):
    """docker's multiplexed stream: (stream id, payload) for each frame."""
    out = []
    while data:
        ok(len(data) >= 8, "a frame header cut short: %r" % data)
        sid, size = data[0], int.from_bytes(data[4:8], "big")
        out.append((sid, data[8:8 + size]))
        data = data[8 + size:]
    return out


# ------------------------------------------------------------------ system

def check_system(c, api, img):
    eq(api.ping(), True, "ping")
    v = c.version()
    for k in ("Version", "ApiVersion", "MinAPIVersion", "Os", "Arch", "KernelVersion"):
        ok(v.get(k), "version has no %s: %r" % (k, v))
    eq(v["Os"], "linux", "version Os")
    ok(float(v["ApiVersion"]) >= 1.41, "ApiVersion %s too old for docker-py" % v["ApiVersion"])
    ok(float(v["MinAPIVersion"]) <= float(v["ApiVersion"]), "MinAPIVersion above ApiVersion")
    # docker-py asked the daemon which version to speak
    eq(api.api_version, v["ApiVersion"], "negotiated API version")

    run = c.containers.run(img, "sleep 1000", detach=True, name="pyS-run")
    c.containers.create(img, "true", name="pyS-created")
    info = c.info()
    eq(info["Containers"], 2, "info Containers")
    eq(info["ContainersRunning"], 1, "info ContainersRunning")
    eq(info["ContainersStopped"], 1, "info ContainersStopped")
    eq(info["ContainersPaused"], 0, "info ContainersPaused")
    eq(info["Images"], 1, "info Images")
    eq(info["OSType"], "linux", "info OSType")
    ok(info["NCPU"] >= 1 and info["MemTotal"] > 0, "info NCPU / MemTotal: %r" % info)
    ok(info.get("Name") and info.get("ServerVersion"), "info Name, ServerVersion")
    ok(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", info["ID"]),
       "info ID is a UUID: %r" % info["ID"])
    run.pause()
    eq(c.info()["ContainersPaused"], 1, "info ContainersPaused after pause")
    run.unpause()


# ------------------------------------------------------------------ images

def check_images(c, api, img):
    image = c.images.get(img)
    ok(image.id.startswith("sha256:") and len(image.id) == 71, "image id %r" % image.id)
    eq(image.tags, [img], "tags")
    eq(image.attrs["Config"]["Cmd"], ["sh"], "Config.Cmd")
    eq(image.attrs["Os"], "linux", "Os")
    eq(image.attrs["RootFS"]["Type"], "layers", "RootFS.Type")
    eq(len(image.attrs["RootFS"]["Layers"]), 1, "one layer")
    ok(image.attrs["Size"] > 1000000, "Size %r" % image.attrs["Size"])
    # by ID, by short ID
    eq(c.images.get(image.id).id, image.id, "get by ID")
    eq(c.images.get(image.short_id.split(":")[1]).id, image.id, "get by short ID")
    eq([i.id for i in c.images.list()], [image.id], "images.list")
    eq(api.images(quiet=True), [image.id], "images quiet")

    ok(image.tag("pyi/other", "v1"), "tag")
    image.reload()
    eq(sorted(image.tags), sorted([img, "pyi/other:v1"]), "tags after tag")
    eq(c.images.get("pyi/other:v1").id, image.id, "the new tag names the same image")
    eq([i.id for i in c.images.list("pyi/other")], [image.id], "images.list(name)")
    eq(c.images.list("pyi/nothere"), [], "images.list(name) of nothing")

    # removing one of two tags only untags
    c.images.remove("pyi/other:v1")
    eq(c.images.get(image.id).tags, [img], "tags after untag")
    raises(errors.ImageNotFound, lambda: c.images.get("pyi/other:v1"), "get of a removed tag")
    raises(errors.ImageNotFound, lambda: c.images.remove("pyi/nothere"), "remove of nothing")

    # an image a container uses is refused without force
    c.containers.create(img, "true", name="pyi-user")
    image.tag("pyi/second", "latest")
    c.images.remove("pyi/second")
    e = raises(errors.APIError, lambda: c.images.remove(image.id), "rmi of an image in use")
    eq(e.status_code, 409, "rmi of an image in use: status")

    # history
    h = image.history()
    ok(len(h) >= 1 and h[0]["Id"] == image.id, "history: %r" % h)


# ------------------------------------------------------------------ run

def check_run(c, api, img):
    eq(c.containers.run(img, ["echo", "hello", "world"], remove=True), b"hello world\n", "run output")
    # stdout only by default; stderr when asked
    eq(c.containers.run(img, ["sh", "-c", "echo out; echo err >&2"], remove=True), b"out\n", "run stdout")
    out = c.containers.run(img, ["sh", "-c", "echo err >&2"], stdout=False, stderr=True, remove=True)
    eq(out, b"err\n", "run stderr")
    e = raises(errors.ContainerError, lambda: c.containers.run(img, ["sh", "-c", "echo bad >&2; exit 3"], name="pyR-fail"),
               "a failing run")
    eq(e.exit_status, 3, "ContainerError exit status")
    ok(b"bad" in e.stderr, "ContainerError stderr: %r" % e.stderr)
    eq(c.containers.get("pyR-fail").attrs["State"]["ExitCode"], 3, "the failed container's exit code")
    # remove=True left nothing but the failed one
    eq([x.name for x in c.containers.list(all=True)], ["pyR-fail"], "containers after remove=True runs")

    # a missing program: the run itself fails
    e = raises(errors.APIError, lambda: c.containers.run(img, "/no/such/program", remove=True), "run of a missing program")
    ok(e.status_code in (400, 404, 500), "status of a missing program: %r" % e.status_code)
    ok("no/such/program" in str(e), "the error names the program: %s" % e)

    d = c.containers.run(img, ["sh", "-c", "echo started; sleep 0.3; exit 4"], detach=True, name="pyR-d",
                         environment={"A": "1"}, working_dir="/tmp", hostname="boxy")
    eq(d.name, "pyR-d", "detached name")
    eq(d.wait(timeout=TIMEOUT), {"StatusCode": 4, "Error": None}, "wait")
    eq(d.logs(), b"started\n", "logs of the detached run")
    d.reload()
    eq(d.status, "exited", "status after wait")
    eq(d.attrs["Config"]["Hostname"], "boxy", "Hostname")
    eq(d.attrs["Config"]["WorkingDir"], "/tmp", "WorkingDir")
    ok("A=1" in d.attrs["Config"]["Env"], "Env: %r" % d.attrs["Config"]["Env"])
    d.remove()
    raises(errors.NotFound, lambda: c.containers.get("pyR-d"), "get after remove")

    # what the container sees inside
    out = c.containers.run(img, ["sh", "-c", "hostname; pwd; id -u; echo $A"], remove=True, hostname="inside",
                           working_dir="/etc", user="1000", environment=["A=xyz"])
    eq(out, b"inside\n/etc\n1000\nxyz\n", "inside the container")

    # stdin: run with stdin_open, the input through attach
    # stdin_open sets StdinOnce too
    cid = api.create_container(img, "cat", stdin_open=True, name="pyR-cat")["Id"]
    cat = c.containers.get(cid)
    s = api.attach_socket(cat.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
    cat.start()
    raw = s._sock
    raw.sendall(b"through stdin\n")
    raw.shutdown(socket.SHUT_WR)
    data = read_all(raw)
    eq(split_frames(data), [(1, b"through stdin\n")], "attach frames")
    eq(cat.wait(timeout=TIMEOUT)["StatusCode"], 0, "cat's exit after stdin closed")


def read_all(sock, seconds=TIMEOUT):
    sock.settimeout(seconds)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


# ------------------------------------------------------------------ logs

def check_logs(c, api, img):
    script = "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done"
    ct = c.containers.create(img, ["sh", "-c", script], name="pyL")
    eq(ct.status, "created", "status after create")
    ct.start()
    eq(ct.wait(timeout=TIMEOUT)["StatusCode"], 0, "exit")
    eq(ct.logs(stdout=True, stderr=False), b"".join(b"out%d\n" % i for i in range(1, 6)), "stdout only")
    eq(ct.logs(stdout=False, stderr=True), b"".join(b"err%d\n" % i for i in range(1, 6)), "stderr only")
    both = ct.logs()
    eq(sorted(both.splitlines()), sorted([b"out%d" % i for i in range(1, 6)] + [b"err%d" % i for i in range(1, 6)]),
       "both streams")
    eq(ct.logs(stderr=False, tail=2), b"out4\nout5\n", "tail=2")
    eq(ct.logs(stderr=False, tail=0), b"", "tail=0")
    ts = ct.logs(stderr=False, timestamps=True).splitlines()
    eq(len(ts), 5, "timestamped lines")
    started = c.containers.get("pyL").attrs["State"]["StartedAt"][:19]
    for i, line in enumerate(ts, 1):
        stamp, _, text = line.partition(b" ")
        eq(text, b"out%d" % i, "timestamped text")
        # RFC 3339 with nanoseconds, UTC, as dockerd writes them
        ok(len(stamp) == 30 and stamp.endswith(b"Z") and stamp[19:20] == b".", "timestamp %r" % stamp)
        ok(stamp[:19].decode() >= started, "timestamp %r before the start %s" % (stamp, started))
    # since / until, by time: nothing after the end, everything before
    later = int(time.time()) + 5
    eq(ct.logs(since=later), b"", "since after the end")
    eq(ct.logs(stderr=False, until=later), b"".join(b"out%d\n" % i for i in range(1, 6)), "until after the end")

    # the low-level API: the raw frames keep stdout and stderr apart
    raw = api.logs(ct.id, stdout=True, stderr=True, stream=False)
    ok(b"out1" in raw and b"err1" in raw, "APIClient.logs: %r" % raw)

    # a stream that follows a running container to its end
    st = c.containers.run(img, ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done"], detach=True, name="pyL-f")
    lines = b"".join(st.logs(stream=True, follow=True)).splitlines()
    eq(lines, [b"line1", b"line2", b"line3"], "followed stream")
    # a stream of a container that ended is only its log
    eq(b"".join(st.logs(stream=True, follow=False)), b"line1\nline2\nline3\n", "stream of an ended container")


# ------------------------------------------------------------------ exec

def late(cmd):
    """An exec's command, writing at once: docker-py reads an exec's output
    from the raw socket, so what arrived with the 101's headers would sit in
    its HTTP parser's buffer and be lost (docker-py issues 2042 and 3332).
    berthd starts the exec only after the 101 is out, as dockerd does; the
    loop in check_exec_output_first proves it."""
    return ["sh", "-c", cmd]


def check_exec_output_first(c, api, img):
    ct = c.containers.run(img, "sleep 1000", detach=True, name="pyEF")
    for i in range(30):
        r = ct.exec_run(["echo", "first%d" % i])
        eq(r.output, b"first%d\n" % i, "output written at once, run %d" % i)
    ct.remove(force=True)


def check_exec(c, api, img):
    ct = c.containers.run(img, "sleep 1000", detach=True, name="pyE", environment={"BASE": "b"})
    r = ct.exec_run(late("echo out; echo err >&2; exit 3"), demux=True)
    eq(r.exit_code, 3, "exec exit code")
    eq(r.output, (b"out\n", b"err\n"), "exec demuxed output")
    r = ct.exec_run(late("echo only-err >&2"), stdout=False, stderr=True)
    eq((r.exit_code, r.output), (0, b"only-err\n"), "exec stderr only")
    r = ct.exec_run(late("echo $E1 $BASE; pwd; id -u; id -g"), environment={"E1": "one"}, workdir="/tmp",
                    user="1000:1000")
    eq((r.exit_code, r.output), (0, b"one b\n/tmp\n1000\n1000\n"), "exec environment, workdir, user")
    r = ct.exec_run(late("id -un"), user="nobody")
    eq(r.output, b"nobody\n", "exec user by name")
    r = ct.exec_run(late("tty"), tty=True)
    ok(r.output.startswith(b"/dev/pts/"), "exec with a tty: %r" % r.output)
    # a streamed exec
    r = ct.exec_run(late("echo a; sleep 0.1; echo b"), stream=True)
    eq(r.exit_code, None, "a stream has no exit code yet")
    eq(b"".join(r.output), b"a\nb\n", "streamed exec output")
    # a detached exec runs on its own
    r = ct.exec_run(["sh", "-c", "echo detached > /tmp/d"], detach=True)
    until(lambda: ct.exec_run(late("cat /tmp/d")).output == b"detached\n", "the detached exec's file")

    # the low-level calls: create, start with a socket, inspect
    eid = api.exec_create(ct.id, ["sh", "-c", "read x; echo got:$x; exit 5"], stdin=True)["Id"]
    ins = api.exec_inspect(eid)
    eq((ins["Running"], ins["ExitCode"], ins["ContainerID"]), (False, None, ct.id), "exec inspect before start")
    eq(ins["ProcessConfig"]["arguments"], ["-c", "read x; echo got:$x; exit 5"], "exec ProcessConfig")
    s = api.exec_start(eid, socket=True)
    raw = s._sock
    until(lambda: api.exec_inspect(eid)["Pid"] > 0, "the exec's Pid")
    ok(api.exec_inspect(eid)["Running"], "exec Running while it waits for input")
    raw.sendall(b"input\n")
    data = read_all(raw)
    eq(split_frames(data), [(1, b"got:input\n")], "exec socket frames")
    until(lambda: api.exec_inspect(eid)["ExitCode"] == 5, "the exec's exit code")
    ins = api.exec_inspect(eid)
    eq(ins["Running"], False, "exec Running after the end")
    raises(errors.NotFound, lambda: api.exec_inspect("nothere"), "inspect of no exec")

    # exec in a stopped container is refused
    ct.kill()
    ct.wait(timeout=TIMEOUT)
    e = raises(errors.APIError, lambda: ct.exec_run("true"), "exec in a stopped container")
    eq(e.status_code, 409, "exec in a stopped container: status")


# ------------------------------------------------------------------ lifecycle

def state(ct):
    ct.reload()
    return ct.attrs["State"]


def check_lifecycle(c, api, img):
    trap = "trap 'echo term; exit 7' TERM; echo up; while :; do sleep 0.1; done"
    ct = c.containers.run(img, ["sh", "-c", trap], detach=True, name="pyC")
    until(lambda: ct.logs() == b"up\n", "the container's first line")
    st = state(ct)
    eq((st["Status"], st["Running"], st["Paused"]), ("running", True, False), "running state")
    pid = st["Pid"]
    ok(pid > 0, "Pid %r" % pid)
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        eq(f.read().split(b"\0")[0], b"sh", "the container's process on the host")
    started = st["StartedAt"]

    top = ct.top()
    eq(top["Titles"][:2], ["UID", "PID"], "top Titles")
    ok(any(str(pid) == p[1] for p in top["Processes"]), "top has the pid %d: %r" % (pid, top))

    ct.pause()
    st = state(ct)
    eq((st["Status"], st["Running"], st["Paused"]), ("paused", True, True), "paused state")
    eq(ct.status, "paused", "status paused")
    e = raises(errors.APIError, lambda: ct.pause(), "pause of a paused container")
    eq(e.status_code, 409, "pause twice: status")
    ct.unpause()
    eq(state(ct)["Status"], "running", "unpaused")

    ct.rename("pyC-renamed")
    ct.reload()
    eq(ct.name, "pyC-renamed", "renamed")
    raises(errors.NotFound, lambda: c.containers.get("pyC"), "the old name")
    c.containers.create(img, "true", name="pyC-taken")
    e = raises(errors.APIError, lambda: ct.rename("pyC-taken"), "rename to a taken name")
    eq(e.status_code, 409, "rename to a taken name: status")

    ct.restart(timeout=5)
    st = state(ct)
    eq(st["Status"], "running", "restarted")
    ok(st["Pid"] != pid and st["StartedAt"] != started, "a new process after restart")
    eq(ct.logs(), b"up\nterm\nup\n", "the logs across the restart")

    # stop: the signal, then the exit code the program chose
    ct.stop(timeout=5)
    st = state(ct)
    eq((st["Status"], st["ExitCode"], st["Running"]), ("exited", 7, False), "stopped")
    ok(st["FinishedAt"] > st["StartedAt"], "FinishedAt after StartedAt: %r" % st)
    # stopping it again: 304, which docker-py takes for success
    eq(api._post(api._url("/containers/{0}/stop", ct.id)).status_code, 304, "stop of a stopped container")

    # kill with a signal of choice
    k = c.containers.run(img, ["sh", "-c", "trap 'exit 9' USR1; while :; do sleep 0.1; done"], detach=True, name="pyC-k")
    until(lambda: state(k)["Running"], "pyC-k running")
    time.sleep(0.2)  # the trap is set once sh runs its loop
    k.kill(signal="SIGUSR1")
    eq(k.wait(timeout=TIMEOUT)["StatusCode"], 9, "kill USR1 exit")
    e = raises(errors.APIError, lambda: k.kill(), "kill of a stopped container")
    eq(e.status_code, 409, "kill of a stopped container: status")
    k.start()
    k.kill()
    eq(k.wait(timeout=TIMEOUT)["StatusCode"], 137, "kill exit")

    # wait conditions
    n = c.containers.create(img, "true", name="pyC-n")
    eq(api.wait(n.id, condition="not-running")["StatusCode"], 0, "wait not-running of a created container")

    # remove: running needs force
    r = c.containers.run(img, "sleep 1000", detach=True, name="pyC-r")
    e = raises(errors.APIError, lambda: r.remove(), "remove of a running container")
    eq(e.status_code, 409, "remove of a running container: status")
    r.remove(force=True)
    raises(errors.NotFound, lambda: r.reload(), "reload of a removed container")


# ------------------------------------------------------------------ list

def check_list(c, api, img):
    a = c.containers.run(img, "sleep 1000", detach=True, name="pyF-a", labels={"role": "web", "tier": "1"})
    b = c.containers.run(img, "true", detach=True, name="pyF-b", labels={"role": "db"})
    b.wait(timeout=TIMEOUT)
    cr = c.containers.create(img, "true", name="pyF-c")

    def names(**kw):
        return sorted(x.name for x in c.containers.list(**kw))

    eq(names(), ["pyF-a"], "list (running)")
    eq(names(all=True), ["pyF-a", "pyF-b", "pyF-c"], "list all")
    eq(names(all=True, filters={"status": "exited"}), ["pyF-b"], "status=exited")
    eq(names(all=True, filters={"status": "created"}), ["pyF-c"], "status=created")
    eq(names(all=True, filters={"status": "running"}), ["pyF-a"], "status=running")
    eq(names(all=True, filters={"label": "role"}), ["pyF-a", "pyF-b"], "label key")
    eq(names(all=True, filters={"label": "role=db"}), ["pyF-b"], "label key=value")
    eq(names(all=True, filters={"label": ["role", "tier=1"]}), ["pyF-a"], "two labels")
    eq(names(all=True, filters={"name": "pyF-c"}), ["pyF-c"], "name")
    eq(names(all=True, filters={"id": a.id[:12]}), ["pyF-a"], "id prefix")
    eq(names(all=True, filters={"exited": 0}), ["pyF-b"], "exited=0")
    eq(names(all=True, filters={"ancestor": img}), ["pyF-a", "pyF-b", "pyF-c"], "ancestor")
    eq(names(all=True, filters={"ancestor": "nothere"}), [], "ancestor of nothing")
    eq(names(all=True, filters={"status": "exited", "label": "role=web"}), [], "filters are ANDed")
    # newest first, and limit
    eq([x.name for x in c.containers.list(all=True)], ["pyF-c", "pyF-b", "pyF-a"], "newest first")
    eq([x.name for x in c.containers.list(limit=1)], ["pyF-c"], "limit=1")
    e = raises(errors.APIError, lambda: c.containers.list(all=True, filters={"nosuchfilter": "x"}), "a bad filter")
    eq(e.status_code, 400, "a bad filter: status")
    # the low-level list's summary fields
    row = [r for r in api.containers(all=True) if r["Id"] == b.id][0]
    eq(row["Names"], ["/pyF-b"], "Names")
    eq(row["Image"], img, "Image")
    eq(row["Command"], "true", "Command")
    eq(row["State"], "exited", "State")
    ok(row["Status"].startswith("Exited (0) "), "Status %r" % row["Status"])
    eq(row["Labels"], {"role": "db"}, "Labels")
    ok(isinstance(row["Created"], int) and abs(row["Created"] - time.time()) < 60, "Created %r" % row["Created"])
    eq(api.containers(quiet=True, all=True, filters={"name": "pyF-a"}), [{"Id": a.id}], "quiet")


# ------------------------------------------------------------------ inspect

def check_inspect(c, api, img):
    v = c.volumes.create("pyI-vol")
    ct = c.containers.run(
        img, ["sleep", "1000"], detach=True, name="pyI",
        mem_limit="64m", cap_add=["NET_ADMIN"], cap_drop=["MKNOD"],
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 2},
        volumes={"pyI-vol": {"bind": "/data", "mode": "rw"}, "/tmp": {"bind": "/host", "mode": "ro"}},
        environment={"K": "v"}, labels={"l": "x"}, working_dir="/data", user="0:0", hostname="hn",
        stop_signal="SIGUSR1", read_only=True, tmpfs={"/run": "size=1m"}, pids_limit=50,
        init=False, network_mode="none", privileged=False, shm_size="32m")
    ct.reload()
    a = ct.attrs
    eq(a["Id"], ct.id, "Id")
    eq(a["Name"], "/pyI", "Name")
    eq(a["Image"], c.images.get(img).id, "Image (the ID)")
    eq(a["Path"], "sleep", "Path")
    eq(a["Args"], ["1000"], "Args")
    ok(a["Created"].endswith("Z") and a["Created"][:4].isdigit(), "Created %r" % a["Created"])
    st = a["State"]
    eq((st["Status"], st["Running"], st["Paused"], st["Restarting"], st["OOMKilled"], st["Dead"], st["ExitCode"]),
       ("running", True, False, False, False, False, 0), "State")
    ok(st["Pid"] > 0, "State.Pid")
    eq(st["FinishedAt"], "0001-01-01T00:00:00Z", "FinishedAt of a running container")
    cfg = a["Config"]
    eq(cfg["Image"], img, "Config.Image")
    eq(cfg["Cmd"], ["sleep", "1000"], "Config.Cmd")
    eq(cfg["Hostname"], "hn", "Config.Hostname")
    eq(cfg["User"], "0:0", "Config.User")
    eq(cfg["WorkingDir"], "/data", "Config.WorkingDir")
    eq(cfg["Labels"], {"l": "x"}, "Config.Labels")
    eq(cfg["StopSignal"], "SIGUSR1", "Config.StopSignal")
    ok("K=v" in cfg["Env"], "Config.Env %r" % cfg["Env"])
    eq((cfg["Tty"], cfg["OpenStdin"], cfg["AttachStdout"]), (False, False, False), "Config Tty/OpenStdin/Attach")
    hc = a["HostConfig"]
    eq(hc["Memory"], 64 * 1024 * 1024, "HostConfig.Memory")
    eq(hc["CapAdd"], ["NET_ADMIN"], "HostConfig.CapAdd")
    eq(hc["CapDrop"], ["MKNOD"], "HostConfig.CapDrop")
    eq(hc["RestartPolicy"], {"Name": "on-failure", "MaximumRetryCount": 2}, "HostConfig.RestartPolicy")
    eq(hc["ReadonlyRootfs"], True, "HostConfig.ReadonlyRootfs")
    eq(hc["PidsLimit"], 50, "HostConfig.PidsLimit")
    eq(hc["ShmSize"], 32 * 1024 * 1024, "HostConfig.ShmSize")
    eq(hc["NetworkMode"], "none", "HostConfig.NetworkMode")
    eq(hc["Privileged"], False, "HostConfig.Privileged")
    eq(hc["Tmpfs"], {"/run": "size=1m"}, "HostConfig.Tmpfs")
    eq(sorted(hc["Binds"]), sorted(["pyI-vol:/data:rw", "/tmp:/host:ro"]), "HostConfig.Binds")
    mounts = sorted(a["Mounts"], key=lambda m: m["Destination"])
    eq([(m["Type"], m["Destination"], m["RW"]) for m in mounts], [("volume", "/data", True), ("bind", "/host", False)],
       "Mounts")
    eq(mounts[0]["Name"], "pyI-vol", "the volume mount's Name")
    eq(mounts[0]["Source"], v.attrs["Mountpoint"], "the volume mount's Source")
    eq(mounts[0]["Driver"], "local", "the volume mount's Driver")
    eq(mounts[1]["Source"], "/tmp", "the bind's Source")

    # and the settings hold inside
    r = ct.exec_run(late("grep CapEff /proc/self/status; touch /x 2>&1; cat /sys/fs/cgroup/pids.max "
                     "2>/dev/null || cat /sys/fs/cgroup/pids/pids.max"))
    lines = r.output.decode().splitlines()
    # docker's default set with NET_ADMIN (bit 12) and without MKNOD (bit 27)
    eq(lines[0].split()[1], "00000000a00435fb", "the capabilities inside")
    ok("Read-only file system" in lines[1], "the read-only root: %r" % lines[1])
    eq(lines[2], "50", "pids.max")

    e = raises(errors.NotFound, lambda: c.containers.get("pyI-nothere"), "inspect of nothing")
    eq(e.status_code, 404, "inspect of nothing: status")


# ------------------------------------------------------------------ volumes

def check_volumes(c, api, img):
    v = c.volumes.create("pyV-one", labels={"k": "v"}, driver_opts={})
    eq(v.name, "pyV-one", "volume name")
    eq(v.attrs["Driver"], "local", "Driver")
    eq(v.attrs["Labels"], {"k": "v"}, "Labels")
    eq(v.attrs["Scope"], "local", "Scope")
    ok(v.attrs["Mountpoint"].endswith("/pyV-one/_data"), "Mountpoint %r" % v.attrs["Mountpoint"])
    # create again: the same volume
    eq(c.volumes.create("pyV-one", labels={"k": "v"}).attrs["CreatedAt"], v.attrs["CreatedAt"], "idempotent create")
    anon = c.volumes.create()
    ok(len(anon.name) == 64, "an anonymous volume's name %r" % anon.name)
    eq(c.volumes.get("pyV-one").attrs["Labels"], {"k": "v"}, "get")
    eq(sorted(x.name for x in c.volumes.list()), sorted(["pyV-one", anon.name]), "list")
    eq([x.name for x in c.volumes.list(filters={"label": "k=v"})], ["pyV-one"], "list label filter")
    eq([x.name for x in c.volumes.list(filters={"name": "pyV-one"})], ["pyV-one"], "list name filter")
    # data written through a container stays in the volume
    c.containers.run(img, ["sh", "-c", "echo kept > /v/f"], volumes={"pyV-one": {"bind": "/v"}}, remove=True)
    eq(c.containers.run(img, "cat /v/f", volumes=["pyV-one:/v:ro"], remove=True), b"kept\n", "volume data")
    # in use: neither removed nor pruned
    user = c.containers.create(img, "true", volumes=["pyV-one:/v"], name="pyV-user")
    e = raises(errors.APIError, lambda: v.remove(), "remove of a volume in use")
    eq(e.status_code, 409, "remove of a volume in use: status")
    c.volumes.create("pyV-named")
    pr = c.volumes.prune()
    # API >= 1.42: prune takes anonymous volumes only unless all=true
    eq(pr["VolumesDeleted"], [anon.name], "prune deleted")
    ok(isinstance(pr["SpaceReclaimed"], int), "SpaceReclaimed")
    pr = c.volumes.prune(filters={"all": "true"})
    eq(pr["VolumesDeleted"], ["pyV-named"], "prune all=true")
    user.remove()
    v.remove()
    raises(errors.NotFound, lambda: c.volumes.get("pyV-one"), "get of a removed volume")
    raises(errors.NotFound, lambda: c.volumes.get("pyV-nothere").remove(), "remove of nothing")
    eq(c.volumes.list(), [], "no volume left")


# ------------------------------------------------------------------ prune

def check_prune(c, api, img):
    run = c.containers.run(img, "sleep 1000", detach=True, name="pyP-run")
    done1 = c.containers.run(img, "true", detach=True, name="pyP-d1", labels={"keep": "yes"})
    done2 = c.containers.run(img, "true", detach=True, name="pyP-d2")
    for d in (done1, done2):
        d.wait(timeout=TIMEOUT)
    created = c.containers.create(img, "true", name="pyP-c")
    r = c.containers.prune(filters={"label!": "keep"})
    eq(sorted(r["ContainersDeleted"]), sorted([done2.id, created.id]), "prune with label!")
    ok(isinstance(r["SpaceReclaimed"], int), "SpaceReclaimed")
    eq(sorted(x.name for x in c.containers.list(all=True)), ["pyP-d1", "pyP-run"], "after the filtered prune")
    r = c.containers.prune()
    eq(r["ContainersDeleted"], [done1.id], "prune")
    eq([x.name for x in c.containers.list(all=True)], ["pyP-run"], "the running one stays")
    eq(c.containers.prune()["ContainersDeleted"], None, "nothing to prune")
    run.remove(force=True)


# ------------------------------------------------------------------ events

def check_events(c, api, img):
    t0 = time.time()
    ct = c.containers.run(img, ["sh", "-c", "exit 2"], detach=True, name="pyEv", labels={"ev": "1"})
    ct.wait(timeout=TIMEOUT)
    ct.remove()
    c.volumes.create("pyEv-vol").remove()
    t1 = time.time()

    def events(**filters):
        return list(c.events(since=t0, until=t1, decode=True, filters=filters))

    evs = events(container=ct.id)
    eq([e["Action"] for e in evs], ["create", "start", "die", "destroy"], "the container's events")
    for e in evs:
        eq((e["Type"], e["id"], e["Actor"]["ID"]), ("container", ct.id, ct.id), "event ids")
        eq(e["Actor"]["Attributes"]["name"], "pyEv", "the event's name attribute")
        eq(e["Actor"]["Attributes"]["ev"], "1", "the event's label attribute")
        eq(e["from"], img, "the event's image")
        ok(t0 - 1 <= e["time"] <= t1 + 1 and e["timeNano"] // 10**9 == e["time"], "event time %r" % e)
    eq(evs[2]["Actor"]["Attributes"]["exitCode"], "2", "die exitCode")
    eq([e["Action"] for e in events(container="pyEv", event="die")], ["die"], "event filter")
    eq([e["Action"] for e in events(type="volume")], ["create", "destroy"], "volume events")
    eq([e["Action"] for e in events(label="ev=1", event=["start", "destroy"])], ["start", "destroy"], "label filter")
    eq(events(container="nothere"), [], "no event for another container")
    # since alone streams on: what comes next arrives
    stream = c.events(since=t1, decode=True, filters={"type": "container", "event": "create"})
    c.containers.create(img, "true", name="pyEv-later")
    e = next(stream)
    eq((e["Action"], e["Actor"]["Attributes"]["name"]), ("create", "pyEv-later"), "a live event")
    stream.close()
    # until in the past of since: nothing
    eq(list(c.events(since=t1, until=t0, decode=True)), [], "until before since")


def main():
    sock, img, area = sys.argv[1:4]
    base = "unix://" + sock
    c = docker.DockerClient(base_url=base, timeout=TIMEOUT)
    api = docker.APIClient(base_url=base, timeout=TIMEOUT)
    try:
        globals()["check_" + area](c, api, img)
    except errors.APIError as e:
        fail("unexpected API error: %s (status %s)" % (e, e.status_code))
    print("ok: %s" % area)


if __name__ == "__main__":
    main()
