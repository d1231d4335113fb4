#!/usr/bin/env python3
"""A small client of berth-shim's sockets, for the tests.

  shimctl.py request SOCK LINE...        send one control request, print the reply
                                         (--ready FILE: created once it is sent)
  shimctl.py attach SOCK [options]       attach, print or save what comes back

attach options:
  --streams stdin,stdout,stderr   what to ask for (the header's words)
  --tty                           the output is raw bytes, not frames
  --out FILE / --err FILE         where stdout / stderr payloads go (default: our stdout)
  --ready FILE                    created once the header is sent
  --send TEXT                     send TEXT as stdin (after --send-delay seconds)
  --eof                           shut down our sending side after --send
  --read-delay S                  sleep before reading (a slow client)
  --timeout S                     give up (exit 2) if EOF does not come in time
Frames are checked: 8-byte header, stream byte 1 or 2, three zero bytes,
big-endian length; a bad frame exits 3.
"""
import argparse
import os
import socket
import struct
import sys
import time


def connect(path, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    # sun_path is 108 bytes: long paths are reached from their directory.
    d, base = os.path.split(path)
    if len(path) >= 100:
        old = os.getcwd()
        os.chdir(d)
        try:
            s.connect(base)
        finally:
            os.chdir(old)
    else:
        s.connect(path)
    return s


def read_all(s):
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def cmd_request(a):
    s = connect(a.sock, a.timeout)
    s.sendall((" ".join(a.line) + "\n").encode())
    if a.ready:
        open(a.ready, "w").close()
    try:
        reply = read_all(s)
    except socket.timeout:
        print("shimctl: no reply in time", file=sys.stderr)
        return 2
    sys.stdout.write(reply.decode(errors="replace"))
    return 0


def sink(path):
    return open(path, "ab") if path else sys.stdout.buffer


def cmd_attach(a):
    s = connect(a.sock, a.timeout)
    words = [w for w in a.streams.split(",") if w]
    s.sendall(("attach " + " ".join(words) + "\n").encode())
    if a.ready:
        open(a.ready, "w").close()
    if a.send is not None:
        time.sleep(a.send_delay)
        s.sendall(a.send.encode().decode("unicode_escape").encode("latin-1"))
    if a.eof:
        s.shutdown(socket.SHUT_WR)
    if a.read_delay:
        time.sleep(a.read_delay)
    out, err = sink(a.out), sink(a.err)
    buf = b""
    deadline = time.monotonic() + a.timeout
    while True:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            b = s.recv(65536)
        except socket.timeout:
            print("shimctl: no EOF in time", file=sys.stderr)
            return 2
        except ConnectionResetError:
            b = b""
        if a.tty:
            if not b:
                break
            out.write(b)
            out.flush()
            continue
        buf += b
        while len(buf) >= 8:
            stream, z1, z2, z3, length = struct.unpack(">BBBBI", buf[:8])
            if stream not in (1, 2) or (z1, z2, z3) != (0, 0, 0):
                print("shimctl: bad frame header %r" % buf[:8], file=sys.stderr)
                return 3
            if len(buf) < 8 + length:
                break
            (out if stream == 1 else err).write(buf[8:8 + length])
            buf = buf[8 + length:]
        out.flush()
        err.flush()
        if not b:
            if buf:
                print("shimctl: EOF inside a frame (%d bytes left)" % len(buf), file=sys.stderr)
                return 3
            break
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("request")
    r.add_argument("sock")
    r.add_argument("line", nargs="+")
    r.add_argument("--timeout", type=float, default=30)
    r.add_argument("--ready")
    t = sub.add_parser("attach")
    t.add_argument("sock")
    t.add_argument("--streams", default="stdout,stderr")
    t.add_argument("--tty", action="store_true")
    t.add_argument("--out")
    t.add_argument("--err")
    t.add_argument("--ready")
    t.add_argument("--send")
    t.add_argument("--send-delay", type=float, default=0)
    t.add_argument("--eof", action="store_true")
    t.add_argument("--read-delay", type=float, default=0)
    t.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    return cmd_request(a) if a.cmd == "request" else cmd_attach(a)


if __name__ == "__main__":
    sys.exit(main())
