#!/usr/bin/python3
"""checklayout.py: check an OCI image layout, independently of mkimage.py.

usage: checklayout.py LAYOUT [--tag TAG] [--list]

Checks: oci-layout and index.json; every blob reachable from index.json
exists, its sha256 matches its name and its descriptor's digest, its size
matches the descriptor; indexes / manifest lists, manifests and configs
have the required fields and media types that match each other (OCI with
OCI, Docker with Docker); the config's rootfs.diff_ids are the sha256 of
the uncompressed layers (gzip, zstd or plain tar by media type); the
history has one non-empty_layer entry per layer; every layer is a
readable tar.

Prints a JSON summary on stdout (with --list, every tar member of every
layer: name, type, mode, uid, gid, mtime, size, linkname, xattrs).  Exits 1
with the problems on stderr when something is wrong.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

OCI = {
    "index": "application/vnd.oci.image.index.v1+json",
    "manifest": "application/vnd.oci.image.manifest.v1+json",
    "config": "application/vnd.oci.image.config.v1+json",
    "layers": {"application/vnd.oci.image.layer.v1.tar": "none",
               "application/vnd.oci.image.layer.v1.tar+gzip": "gzip",
               "application/vnd.oci.image.layer.v1.tar+zstd": "zstd"},
}
DOCKER = {
    "index": "application/vnd.docker.distribution.manifest.list.v2+json",
    "manifest": "application/vnd.docker.distribution.manifest.v2+json",
    "config": "application/vnd.docker.container.image.v1+json",
    "layers": {"application/vnd.docker.image.rootfs.diff.tar": "none",
               "application/vnd.docker.image.rootfs.diff.tar.gzip": "gzip",
               "application/vnd.docker.image.rootfs.diff.tar.zstd": "zstd"},
}
TYPES = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.DIRTYPE: "dir",
         tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink", tarfile.FIFOTYPE: "fifo",
         tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block"}

problems = []


def bad(msg):
    problems.append(msg)


class Checker:
    def __init__(self, layout, listing):
        self.layout = layout
        self.listing = listing

    def blob(self, desc, what):
        d = desc.get("digest", "")
        if not d.startswith("sha256:") or len(d) != 71:
            bad("%s: bad digest %r" % (what, d))
            return None
        p = os.path.join(self.layout, "blobs", "sha256", d[7:])
        if not os.path.isfile(p):
            bad("%s: blob %s missing" % (what, d))
            return None
        with open(p, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != d[7:]:
            bad("%s: blob %s: content has sha256 %s" % (what, d, hashlib.sha256(data).hexdigest()))
        if desc.get("size") != len(data):
            bad("%s: descriptor size %r, blob has %d bytes" % (what, desc.get("size"), len(data)))
        return data

    def json_blob(self, desc, what):
        data = self.blob(desc, what)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError as e:
            bad("%s: not JSON: %s" % (what, e))
            return None

    def node(self, desc, what):
        mt = desc.get("mediaType")
        if mt in (OCI["index"], DOCKER["index"]):
            return self.index(desc, what)
        if mt in (OCI["manifest"], DOCKER["manifest"]):
            return self.manifest(desc, what)
        bad("%s: unknown mediaType %r" % (what, mt))
        return {}

    def index(self, desc, what):
        idx = self.json_blob(desc, what)
        if idx is None:
            return {}
        fam = OCI if desc["mediaType"] == OCI["index"] else DOCKER
        if idx.get("schemaVersion") != 2:
            bad("%s: schemaVersion %r" % (what, idx.get("schemaVersion")))
        if fam is DOCKER and idx.get("mediaType") != DOCKER["index"]:
            bad("%s: manifest list mediaType %r" % (what, idx.get("mediaType")))
        if fam is OCI and idx.get("mediaType") not in (None, OCI["index"]):
            bad("%s: index mediaType %r" % (what, idx.get("mediaType")))
        out = {"digest": desc["digest"], "mediaType": desc["mediaType"], "manifests": []}
        kids = idx.get("manifests")
        if not isinstance(kids, list) or not kids:
            bad("%s: no manifests" % what)
            return out
        for i, m in enumerate(kids):
            w = "%s.manifests[%d]" % (what, i)
            p = m.get("platform", {})
            if not p.get("architecture") or not p.get("os"):
                bad("%s: platform %r" % (w, p))
            if m.get("mediaType") != fam["manifest"]:
                bad("%s: mediaType %r in a %s" % (w, m.get("mediaType"), desc["mediaType"]))
            child = self.node(m, w)
            child["platform"] = p
            if child.get("architecture") and child["architecture"] != p.get("architecture"):
                bad("%s: platform says %s, config says %s" % (w, p.get("architecture"),
                                                              child["architecture"]))
            out["manifests"].append(child)
        return out

    def manifest(self, desc, what):
        m = self.json_blob(desc, what)
        if m is None:
            return {}
        fam = OCI if desc["mediaType"] == OCI["manifest"] else DOCKER
        out = {"digest": desc["digest"], "mediaType": desc["mediaType"], "layers": []}
        if m.get("schemaVersion") != 2:
            bad("%s: schemaVersion %r" % (what, m.get("schemaVersion")))
        if m.get("mediaType", fam["manifest"] if fam is OCI else None) != fam["manifest"]:
            bad("%s: mediaType field %r, descriptor says %s" % (what, m.get("mediaType"),
                                                                desc["mediaType"]))
        cd = m.get("config", {})
        if cd.get("mediaType") != fam["config"]:
            bad("%s: config mediaType %r" % (what, cd.get("mediaType")))
        cfg = self.json_blob(cd, what + ".config") or {}
        out["config"] = cd.get("digest")
        for k in ("architecture", "os"):
            if not isinstance(cfg.get(k), str):
                bad("%s: config has no %s" % (what, k))
        out["architecture"] = cfg.get("architecture")
        out["os"] = cfg.get("os")
        out["image_config"] = cfg.get("config", {})
        rootfs = cfg.get("rootfs", {})
        if rootfs.get("type") != "layers":
            bad("%s: rootfs.type %r" % (what, rootfs.get("type")))
        diff_ids = rootfs.get("diff_ids", [])
        layers = m.get("layers", [])
        if len(diff_ids) != len(layers):
            bad("%s: %d layers, %d diff_ids" % (what, len(layers), len(diff_ids)))
        hist = cfg.get("history")
        if hist is not None:
            n = sum(1 for h in hist if not h.get("empty_layer"))
            if n != len(layers):
                bad("%s: %d non-empty history entries for %d layers" % (what, n, len(layers)))
            out["history"] = hist
        for i, ld in enumerate(layers):
            w = "%s.layers[%d]" % (what, i)
            comp = fam["layers"].get(ld.get("mediaType"))
            if comp is None:
                bad("%s: layer mediaType %r in a %s" % (w, ld.get("mediaType"), desc["mediaType"]))
                continue
            data = self.blob(ld, w)
            if data is None:
                continue
            try:
                if comp == "gzip":
                    tar = gzip.decompress(data)
                elif comp == "zstd":
                    tar = subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE,
                                         check=True).stdout
                else:
                    tar = data
            except Exception as e:  # noqa: BLE001
                bad("%s: cannot decompress (%s): %s" % (w, comp, e))
                continue
            did = "sha256:" + hashlib.sha256(tar).hexdigest()
            if i < len(diff_ids) and diff_ids[i] != did:
                bad("%s: diff_id %s, uncompressed layer is %s" % (w, diff_ids[i], did))
            lo = {"digest": ld["digest"], "mediaType": ld["mediaType"], "compression": comp,
                  "diff_id": did}
            try:
                with tarfile.open(fileobj=io.BytesIO(tar), mode="r:") as tf:
                    members = tf.getmembers()
            except tarfile.TarError as e:
                bad("%s: not a tar: %s" % (w, e))
                continue
            lo["members"] = len(members)
            if self.listing:
                lo["entries"] = [{
                    "name": t.name, "type": TYPES.get(t.type, repr(t.type)),
                    "mode": "%04o" % t.mode, "uid": t.uid, "gid": t.gid, "mtime": int(t.mtime),
                    "size": t.size, "linkname": t.linkname,
                    "xattrs": {k[len("SCHILY.xattr."):]: v for k, v in t.pax_headers.items()
                               if k.startswith("SCHILY.xattr.")},
                } for t in members]
            out["layers"].append(lo)
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("layout")
    ap.add_argument("--tag")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    try:
        with open(os.path.join(a.layout, "oci-layout")) as f:
            if not json.load(f).get("imageLayoutVersion"):
                bad("oci-layout: no imageLayoutVersion")
        with open(os.path.join(a.layout, "index.json")) as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        print("checklayout: %s" % e, file=sys.stderr)
        sys.exit(1)
    if index.get("schemaVersion") != 2:
        bad("index.json: schemaVersion %r" % index.get("schemaVersion"))
    c = Checker(a.layout, a.list)
    out = {"layout": os.path.abspath(a.layout), "refs": []}
    for i, m in enumerate(index.get("manifests", [])):
        tag = m.get("annotations", {}).get("org.opencontainers.image.ref.name")
        if a.tag is not None and tag != a.tag:
            continue
        r = c.node(m, "index.json[%d](%s)" % (i, tag))
        r["tag"] = tag
        out["refs"].append(r)
    if a.tag is not None and not out["refs"]:
        bad("no ref named %s" % a.tag)
    print(json.dumps(out, indent=1, ensure_ascii=False))
    if problems:
        for p in problems:
            print("checklayout: " + p, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
