#!/usr/bin/python3
"""fakereg.py: a deliberately faulty read-only registry for error-path tests.

usage: fakereg.py LAYOUT --fault FAULT [--ref TAG] [--repo NAME]
                  [--target layers|config|all] [--count N] [--rate BYTES_PER_S]
                  [--drop-at BYTES] [--huge-size BYTES] [--stall-seconds S]
                  [--redirect-relative] [--port N] [--port-file FILE] [--log FILE]

Serves the image that LAYOUT's index.json names (--ref TAG, default: the
first entry) under every repository name (or only --repo NAME) and every
tag, over plain HTTP on 127.0.0.1 (port 0, the default: a free port; it is
written to --port-file once listening, and "127.0.0.1:PORT" is printed on
stdout).  Endpoints: GET/HEAD /v2/, /v2/NAME/manifests/TAG-OR-DIGEST,
/v2/NAME/blobs/DIGEST, GET /v2/NAME/tags/list.  Blobs honour
"Range: bytes=N-" / "bytes=N-M" with 206 and Content-Range, unless the fault
says otherwise.  Manifests are served with their media type as Content-Type
whatever the Accept header says, and with Docker-Content-Digest.

--log FILE gets one JSON object per request, written when the status is
sent: time, method, path, range (the Range header or null), accept,
authorization (true if one was sent), status, fault (what was done to this
answer, "" when nothing).

Blob faults apply to the --target blobs (default: layers, i.e. every layer
blob; config: the config blobs; all: every blob); other blobs are served
correctly.  The faults:

  none              a correct registry (the baseline).
  bad-digest        target blobs: one byte flipped in the middle, same
                    length; Docker-Content-Digest still names the real digest.
  truncated         target blobs: Content-Length is the full size, the
                    connection is closed after --drop-at bytes (default: half).
  drop-resume       target blobs: the first GET of each (whatever its Range)
                    is cut like truncated; later GETs honour Range with 206
                    (the log records every Range header received).
  desc-size-small   the manifests say each target blob is 1 byte SMALLER than
                    it is (blobs and their digests unchanged, the manifests and
                    the index are rewritten, so their digests change).
  desc-size-large   the same, 1000 bytes LARGER than the blob.
  bad-diffid        the config's rootfs.diff_ids[0] is wrong (the sha256 of
                    another text); config, manifests and index rewritten.
  blob-404          target blobs: 404 BLOB_UNKNOWN (GET and HEAD).
  500-first-n       the first --count (default 2) GETs of target blobs get
                    500 (a JSON error body), the rest succeed.
  429-first-n       the same with 429 Too Many Requests and Retry-After: 1.
  redirect          target blob GETs answer 307 with a Location
                    http://127.0.0.1:PORT/_redirected/sha256/HEX?sig=berth
                    (a relative /_redirected/... with --redirect-relative);
                    that URL serves the blob (with Range).
  redirect-loop     target blob GETs redirect (307) to /_loop/1/..., which
                    redirects to /_loop/2/..., forever.
  slow              target blobs are sent at --rate bytes/s (default 65536):
                    room to kill -9 a puller mid-blob.
  stall             target blobs: the headers and --drop-at bytes, then
                    nothing for --stall-seconds (default 600): read timeouts.
  huge-manifest     a manifest of --huge-size bytes (default 64 MiB, valid
                    JSON: an OCI manifest with a giant annotation) with a
                    correct Content-Length, streamed, for the tag (by digest:
                    the real one).
  bad-json          the tag's manifest is truncated JSON (Content-Type: the
                    real manifest's).
  schema1           the tag's manifest is a Docker schema 1 signed manifest
                    (application/vnd.docker.distribution.manifest.v1+prettyjws).
  manifest-bad-digest  the top manifest's bytes are altered (a space added),
                    served for the tag and for its real digest, with
                    Docker-Content-Digest: the real digest.
  artifact          the tag is an OCI manifest whose config is not an image
                    config (mediaType application/vnd.berth.test.config.v1+json,
                    artifactType set) with one non-layer blob
                    (application/vnd.berth.test.data.v1); the layout's image
                    stays reachable by digest.
  401-no-challenge  every /v2/ request gets 401 without WWW-Authenticate.
"""

import argparse
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ["none", "bad-digest", "truncated", "drop-resume", "desc-size-small",
          "desc-size-large", "bad-diffid", "blob-404", "500-first-n", "429-first-n", "redirect",
          "redirect-loop", "slow", "stall", "huge-manifest", "bad-json", "schema1",
          "manifest-bad-digest", "artifact", "401-no-challenge"]
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def jdump(o):
    return json.dumps(o, separators=(",", ":")).encode()


class Store:
    def __init__(self, a):
        self.layout = a.layout
        self.mem = {}            # digest -> bytes (rewritten / made-up content)
        self.manifests = {}      # digest -> media type
        self.layers, self.configs = set(), set()
        with open(os.path.join(a.layout, "index.json")) as f:
            entries = json.load(f)["manifests"]
        if a.ref:
            entries = [e for e in entries
                       if e.get("annotations", {}).get("org.opencontainers.image.ref.name") == a.ref]
            if not entries:
                sys.exit("fakereg: no ref %s in %s" % (a.ref, a.layout))
        self.top = dict(entries[0])
        self.top.pop("annotations", None)
        self.walk(self.top)
        self.real_top = dict(self.top)
        f = a.fault
        if f in ("desc-size-small", "desc-size-large", "bad-diffid"):
            self.top = self.rewrite(self.top, f, a.target)
        if f == "artifact":
            cfg = jdump({"artifact": "berth-test", "note": "not an image config"})
            data = b"this is not a container image layer\n"
            self.mem[sha(cfg)] = cfg
            self.mem[sha(data)] = data
            m = jdump({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "artifactType": "application/vnd.berth.test.artifact.v1",
                       "config": {"mediaType": "application/vnd.berth.test.config.v1+json",
                                  "digest": sha(cfg), "size": len(cfg)},
                       "layers": [{"mediaType": "application/vnd.berth.test.data.v1",
                                   "digest": sha(data), "size": len(data)}]})
            self.mem[sha(m)] = m
            self.manifests[sha(m)] = OCI_MANIFEST
            self.top = {"mediaType": OCI_MANIFEST, "digest": sha(m), "size": len(m)}
        self.altered_top = None
        if f == "manifest-bad-digest":
            self.altered_top = self.read(self.top["digest"]) + b" "

    def path(self, d):
        return os.path.join(self.layout, "blobs", "sha256", d.split(":", 1)[1])

    def read(self, d):
        if d in self.mem:
            return self.mem[d]
        with open(self.path(d), "rb") as f:
            return f.read()

    def size(self, d):
        if d in self.mem:
            return len(self.mem[d])
        return os.path.getsize(self.path(d))

    def exists(self, d):
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", d):
            return False
        return d in self.mem or os.path.isfile(self.path(d))

    def walk(self, desc):
        mt = desc["mediaType"]
        self.manifests[desc["digest"]] = mt
        m = json.loads(self.read(desc["digest"]))
        if mt in INDEX_TYPES:
            for c in m["manifests"]:
                self.walk(c)
        else:
            self.configs.add(m["config"]["digest"])
            for l in m.get("layers", []):
                self.layers.add(l["digest"])

    def is_target(self, d, target):
        if target == "all":
            return True
        if target == "config":
            return d in self.configs
        return d in self.layers

    def rewrite(self, desc, fault, target):
        mt = desc["mediaType"]
        m = json.loads(self.read(desc["digest"]))
        if mt in INDEX_TYPES:
            m["manifests"] = [dict(self.rewrite(c, fault, target), **(
                {"platform": c["platform"]} if "platform" in c else {})) for c in m["manifests"]]
        else:
            descs = [m["config"]] + m.get("layers", [])
            if fault == "bad-diffid":
                cfg = json.loads(self.read(m["config"]["digest"]))
                cfg["rootfs"]["diff_ids"][0] = sha(b"not the diff_id of this layer")
                cb = jdump(cfg)
                self.mem[sha(cb)] = cb
                self.configs.add(sha(cb))
                m["config"] = dict(m["config"], digest=sha(cb), size=len(cb))
            else:
                for dd in descs:
                    if self.is_target(dd["digest"], target):
                        dd["size"] += -1 if fault == "desc-size-small" else 1000
        b = jdump(m)
        self.mem[sha(b)] = b
        self.manifests[sha(b)] = mt
        return {"mediaType": mt, "digest": sha(b), "size": len(b)}

    def chunks(self, d, start, end, flip=None):
        """The bytes [start, end) of blob d, in pieces; flip: the offset of
        a byte to invert."""
        if d in self.mem:
            data = self.mem[d][start:end]
            if flip is not None and start <= flip < end:
                data = bytearray(data)
                data[flip - start] ^= 0xFF
                data = bytes(data)
            yield data
            return
        with open(self.path(d), "rb") as f:
            f.seek(start)
            pos = start
            while pos < end:
                b = f.read(min(65536, end - pos))
                if not b:
                    return
                if flip is not None and pos <= flip < pos + len(b):
                    b = bytearray(b)
                    b[flip - pos] ^= 0xFF
                    b = bytes(b)
                pos += len(b)
                yield b


def schema1_manifest(store, name, tag):
    layer = sorted(store.layers)[0] if store.layers else sha(b"")
    v1 = json.dumps({"id": hashlib.sha256(b"berth-schema1").hexdigest(),
                     "created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
                     "config": {"Cmd": ["/bin/sh"]}})
    return json.dumps({
        "schemaVersion": 1, "name": name, "tag": tag, "architecture": "amd64",
        "fsLayers": [{"blobSum": layer}],
        "history": [{"v1Compatibility": v1}],
        "signatures": [{
            "header": {"jwk": {"crv": "P-256", "kid": "BERT:H000:0000:0000:0000:0000:0000:0000:0000",
                               "kty": "EC", "x": "AAAA", "y": "AAAA"}, "alg": "ES256"},
            "signature": "AAAA", "protected": "eyJmb3JtYXRMZW5ndGgiOjEsImZvcm1hdFRhaWwiOiJJbjAifQ"}],
    }, indent=3).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth-fakereg/1"

    def log_message(self, fmt, *args):
        pass

    # -- helpers
    def start(self, status, headers, fault=""):
        a = self.server.args
        if a.log:
            rec = {"time": time.time(), "method": self.command, "path": self.path,
                   "range": self.headers.get("Range"), "accept": self.headers.get("Accept"),
                   "authorization": "Authorization" in self.headers, "status": status,
                   "fault": fault}
            with self.server.lock, open(a.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()

    def simple(self, status, obj=None, headers=(), fault=""):
        body = jdump(obj) if obj is not None else b""
        h = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
             ("Docker-Distribution-API-Version", "registry/2.0")] + list(headers)
        self.start(status, h, fault)
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, msg, headers=(), fault=""):
        self.simple(status, {"errors": [{"code": code, "message": msg, "detail": None}]},
                    headers, fault)

    def cut(self):
        """Close the connection now (the client sees a short body)."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def host_url(self):
        return "http://%s:%d" % self.server.server_address[:2]

    # -- dispatch
    def do_GET(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_HEAD = do_GET

    def route(self):
        a = self.server.args
        u = urllib.parse.urlsplit(self.path)
        p = u.path
        if p.startswith("/v2") and a.fault == "401-no-challenge":
            return self.error(401, "UNAUTHORIZED", "authentication required",
                              fault="401-no-challenge")
        if p in ("/v2", "/v2/"):
            return self.simple(200, {})
        m = re.fullmatch(r"/_redirected/sha256/([0-9a-f]{64})", p)
        if m:
            return self.blob("sha256:" + m.group(1), redirected=True)
        m = re.fullmatch(r"/_loop/(\d+)/sha256/([0-9a-f]{64})", p)
        if m:
            nxt = "/_loop/%d/sha256/%s" % (int(m.group(1)) + 1, m.group(2))
            return self.simple(307, headers=[("Location", self.host_url() + nxt)],
                               fault="redirect-loop")
        m = re.fullmatch(r"/v2/(.+)/(manifests|blobs|tags)/([^/]+)", p)
        if not m:
            return self.error(404, "NOT_FOUND", "no such endpoint")
        name, kind, ref = m.groups()
        if a.repo and name != a.repo:
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        if kind == "tags":
            if ref != "list" or self.command != "GET":
                return self.error(404, "NOT_FOUND", "no such endpoint")
            return self.simple(200, {"name": name, "tags": [a.ref or "latest"]})
        if kind == "manifests":
            return self.manifest(name, ref)
        return self.blob(ref)

    def manifest(self, name, ref):
        a, st = self.server.args, self.server.store
        by_tag = not ref.startswith("sha256:")
        f = a.fault
        if by_tag and not re.fullmatch(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}", ref):
            return self.error(400, "TAG_INVALID", "bad tag")
        if by_tag and f == "huge-manifest":
            return self.huge_manifest()
        if by_tag and f == "bad-json":
            body = st.read(st.top["digest"])
            body = body[:len(body) // 2]
            return self.send_manifest(body, st.top["mediaType"], sha(body), "bad-json")
        if by_tag and f == "schema1":
            body = schema1_manifest(st, name, ref)
            return self.send_manifest(body, SCHEMA1, sha(body), "schema1")
        if by_tag:
            d = st.top["digest"]
        else:
            d = ref
            if d not in st.manifests:
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        if st.altered_top is not None and d == st.top["digest"]:
            return self.send_manifest(st.altered_top, st.manifests[d], d, "manifest-bad-digest")
        return self.send_manifest(st.read(d), st.manifests[d], d)

    def send_manifest(self, body, mt, digest, fault=""):
        self.start(200, [("Content-Type", mt), ("Content-Length", str(len(body))),
                         ("Docker-Content-Digest", digest),
                         ("Docker-Distribution-API-Version", "registry/2.0")], fault)
        if self.command != "HEAD":
            self.wfile.write(body)

    def huge_manifest(self):
        a = self.server.args
        head = ('{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":'
                '"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},'
                '"layers":[],"annotations":{"pad":"' % (OCI_MANIFEST, sha(b"{}"))).encode()
        tail = b'"}}'
        n = max(a.huge_size, len(head) + len(tail))
        self.start(200, [("Content-Type", OCI_MANIFEST), ("Content-Length", str(n))],
                   "huge-manifest")
        if self.command == "HEAD":
            return
        self.wfile.write(head)
        left = n - len(head) - len(tail)
        chunk = b"a" * (1 << 20)
        while left > 0:
            self.wfile.write(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
        self.wfile.write(tail)

    def blob(self, d, redirected=False):
        a, st, srv = self.server.args, self.server.store, self.server
        if not st.exists(d):
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        f = a.fault
        target = st.is_target(d, a.target)
        size = st.size(d)
        if target and f == "blob-404":
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry", fault=f)
        if self.command == "HEAD":
            return self.start(200, [("Content-Length", str(size)),
                                    ("Content-Type", "application/octet-stream"),
                                    ("Docker-Content-Digest", d), ("Accept-Ranges", "bytes")])
        if target and f in ("500-first-n", "429-first-n") and not redirected:
            with srv.lock:
                srv.failed += 1
                fail = srv.failed <= a.count
            if fail:
                if f == "500-first-n":
                    return self.error(500, "UNKNOWN", "injected failure %d" % srv.failed, fault=f)
                return self.error(429, "TOOMANYREQUESTS", "injected 429 %d" % srv.failed,
                                  [("Retry-After", "1")], fault=f)
        if target and f == "redirect" and not redirected:
            loc = "/_redirected/sha256/%s?sig=berth" % d.split(":", 1)[1]
            if not a.redirect_relative:
                loc = self.host_url() + loc
            return self.simple(307, headers=[("Location", loc)], fault=f)
        if target and f == "redirect-loop":
            return self.simple(307, headers=[("Location", self.host_url() + "/_loop/1/" +
                                              d.replace(":", "/"))], fault=f)
        drop_at = a.drop_at if a.drop_at is not None else size // 2
        drop_at = min(drop_at, size)
        if target and f == "truncated":
            self.start(200, self.blob_headers(d, size), f)
            for b in st.chunks(d, 0, drop_at):
                self.wfile.write(b)
            return self.cut()
        if target and f == "drop-resume":
            with srv.lock:
                first = d not in srv.dropped
                srv.dropped.add(d)
            if first:
                self.start(200, self.blob_headers(d, size), "drop-resume: cut")
                for b in st.chunks(d, 0, drop_at):
                    self.wfile.write(b)
                return self.cut()
        if target and f == "stall":
            self.start(200, self.blob_headers(d, size), f)
            for b in st.chunks(d, 0, drop_at):
                self.wfile.write(b)
            self.wfile.flush()
            end = time.time() + a.stall_seconds
            while time.time() < end:
                time.sleep(0.2)
            return self.cut()
        # a normal answer, maybe with a Range, maybe slow or altered
        start, end, status = 0, size, 200
        rng = self.headers.get("Range")
        if rng:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())
            if m:
                start = int(m.group(1))
                end = min(int(m.group(2)) + 1, size) if m.group(2) else size
                if start >= size or start >= end:
                    return self.error(416, "RANGE_INVALID", "range not satisfiable",
                                      [("Content-Range", "bytes */%d" % size)])
                status = 206
        h = self.blob_headers(d, end - start)
        if status == 206:
            h.append(("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size)))
        flip = size // 2 if target and f == "bad-digest" else None
        note = f if target and f in ("bad-digest", "slow") else (
            "drop-resume: resumed" if target and f == "drop-resume" else "")
        if redirected:
            note = (note + " redirected").strip()
        self.start(status, h, note)
        rate = a.rate if target and f == "slow" else None
        t0, sent = time.time(), 0
        for b in st.chunks(d, start, end, flip):
            if rate:
                step = max(1024, rate // 20)
                for i in range(0, len(b), step):
                    piece = b[i:i + step]
                    self.wfile.write(piece)
                    sent += len(piece)
                    delay = t0 + sent / rate - time.time()
                    if delay > 0:
                        time.sleep(delay)
            else:
                self.wfile.write(b)

    def blob_headers(self, d, length):
        return [("Content-Length", str(length)), ("Content-Type", "application/octet-stream"),
                ("Docker-Content-Digest", d), ("Accept-Ranges", "bytes"),
                ("Docker-Distribution-API-Version", "registry/2.0")]


def main():
    ap = argparse.ArgumentParser(description="a faulty registry for tests",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("layout")
    ap.add_argument("--fault", default="none", choices=FAULTS)
    ap.add_argument("--ref")
    ap.add_argument("--repo")
    ap.add_argument("--target", default="layers", choices=["layers", "config", "all"])
    ap.add_argument("--count", type=int, default=2)
    ap.add_argument("--rate", type=int, default=65536)
    ap.add_argument("--drop-at", type=int)
    ap.add_argument("--huge-size", type=int, default=64 << 20)
    ap.add_argument("--stall-seconds", type=float, default=600)
    ap.add_argument("--redirect-relative", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    a = ap.parse_args()

    store = Store(a)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.args, srv.store = a, store
    srv.lock = threading.Lock()
    srv.failed = 0
    srv.dropped = set()
    port = srv.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(a.port_file + ".tmp", a.port_file)
    print("127.0.0.1:%d" % port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
