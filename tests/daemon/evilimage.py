#!/usr/bin/python3
"""evilimage.py: one-layer hostile images, one per way out of a layer root.

usage: evilimage.py LAYOUT --canary DIR

Adds to the OCI layout LAYOUT (created when missing) one image per case
below, tagged with the case's name.  Every image has a single gzip layer
that starts with a harmless file "ok" and then tries to reach DIR (an
absolute directory outside the engine's root, which the test watches) or
DIR/secret (a file the test created):

  dotdot           "../escape-dotdot" and "../"*40 + DIR/escape-deep
  nested-dotdot    "tmp/../../escape-nested" (after a directory tmp/)
  absolute         the absolute name DIR/abs-escape
  symlink-abs      symlink evil-link -> DIR, then evil-link/through-abs
  symlink-dotdot   symlink evil-up -> "../"*40 + DIR, then evil-up/through-up
  symlink-chain    a -> b, b -> DIR, then a/through-chain
  hardlink-abs     hard link evil-hl -> DIR/secret (absolute)
  hardlink-dotdot  hard link evil-hl-up -> "../"*40 + DIR/secret

Prints "TAG DIGEST" per image.  Uses mkimage.py's code (same directory
layout, deterministic tars), imported from tests/registry.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "registry"))
import mkimage  # noqa: E402


def cases(canary):
    E = mkimage.Entry
    up = "../" * 40 + canary.lstrip("/")
    ok = E("ok", data=b"harmless\n")
    return {
        "dotdot": [ok, E("../escape-dotdot", data=b"escaped\n"),
                   E(up + "/escape-deep", data=b"escaped\n")],
        "nested-dotdot": [ok, E("tmp/", "dir"), E("tmp/../../escape-nested", data=b"escaped\n")],
        "absolute": [ok, E(canary + "/abs-escape", data=b"escaped\n")],
        "symlink-abs": [ok, E("evil-link", "symlink", linkname=canary),
                        E("evil-link/through-abs", data=b"escaped\n")],
        "symlink-dotdot": [ok, E("evil-up", "symlink", linkname=up),
                           E("evil-up/through-up", data=b"escaped\n")],
        "symlink-chain": [ok, E("b", "symlink", linkname=canary), E("a", "symlink", linkname="b"),
                          E("a/through-chain", data=b"escaped\n")],
        "hardlink-abs": [ok, E("evil-hl", "hardlink", linkname=canary + "/secret")],
        "hardlink-dotdot": [ok, E("evil-hl-up", "hardlink", linkname=up + "/secret")],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("layout")
    ap.add_argument("--canary", required=True)
    a = ap.parse_args()
    canary = os.path.abspath(a.canary)
    os.makedirs(a.layout, exist_ok=True)
    layout = mkimage.Layout(a.layout)
    # what mkimage's image_config reads from its command line
    args = argparse.Namespace(env=[], label=[], entrypoint=None, cmd=None, workdir=None,
                              user=None, variant="evil")
    arch = mkimage.host_arch()
    history = [{"created_by": "ADD evil.tar /"}]
    tops = []
    try:
        for tag, entries in cases(canary).items():
            img = mkimage.build_image(layout, [entries], ["gzip"], "oci", 1700000000, 6, arch,
                                      history, args)
            tops.append({"mediaType": img["mediaType"], "digest": img["digest"],
                         "size": img["size"], "platform": img["platform"],
                         "annotations": {"org.opencontainers.image.ref.name": tag}})
            print(tag, img["digest"])
        with open(os.path.join(layout.path, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        ipath = os.path.join(layout.path, "index.json")
        old = []
        if os.path.exists(ipath):
            with open(ipath) as f:
                names = {t["annotations"]["org.opencontainers.image.ref.name"] for t in tops}
                old = [m for m in json.load(f).get("manifests", [])
                       if m.get("annotations", {}).get("org.opencontainers.image.ref.name")
                       not in names]
        with open(ipath, "wb") as f:
            f.write(mkimage.jdump({"schemaVersion": 2, "mediaType": mkimage.MEDIA["oci"]["index"],
                                   "manifests": old + tops}))
    finally:
        layout.cleanup()


if __name__ == "__main__":
    main()
