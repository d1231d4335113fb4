#!/usr/bin/python3
"""mkimage.py: deterministic container images for berth's registry tests.

Builds an image from local material into an OCI image layout directory
(oci-layout, index.json, blobs/sha256/...).  The same arguments give the
same digests on every run on the same machine: every tar entry has a fixed
mtime (--epoch, default $SOURCE_DATE_EPOCH or 1700000000, except the
entries that test mtimes), gzip headers carry no name and no time, zstd
runs single-threaded, JSON is written compactly in a fixed key order.

usage: mkimage.py LAYOUT [options]

  --variant single     one layer: a busybox rootfs (scripts/make-rootfs, or
                       --rootfs DIR)
  --variant multi      busybox + an "extras" layer: directories, a symlink
                       (relative, absolute, dangling), a hard link, a fifo,
                       a 4755 file, a 1777 directory, a file with the xattr
                       user.berth=1 (pax SCHILY.xattr.user.berth), files
                       owned by 1000:1000, files with their own mtimes, an
                       empty file and directory, a 120+ character name and a
                       non-ASCII name (both need pax headers)
  --variant whiteout   multi + a third layer of whiteouts:
                       opt/berth/.wh.delete-me (a file of layer 2),
                       opt/berth/.wh.gone-dir (a directory of layer 2),
                       bin/.wh.vi (a file of layer 1, if the base has it),
                       opt/berth/opaque-dir/.wh..wh..opq with a new file
                       opt/berth/opaque-dir/new-file in the same layer
  --variant evil       busybox + a hostile layer (../ and absolute names, a
                       file written through a symlink to /etc, a hard link
                       to ../../etc/shadow): an engine must refuse or
                       contain it
  --variant big        busybox + N-1 layers (--layers N, default 6) of files
                       copied from --content-dir (default /usr/lib and
                       /usr/share), about --size-mb MB (default 200) of tar
                       in total; gzip level --level (default 6)

  --index              wrap the image in an OCI index (Docker manifest list
                       with --format docker) with two platforms: linux/<host
                       arch> (the image above, the real busybox) and the
                       other of amd64/arm64 (a one-layer dummy image whose
                       /arch.txt says "arm64" or "amd64")
  --format oci|docker  OCI media types (default) or Docker schema 2
                       (application/vnd.docker.distribution.manifest.v2+json,
                       ...container.image.v1+json, ...rootfs.diff.tar.gzip)
  --compression LIST   gzip (default), zstd or none; a comma-separated list is
                       used layer by layer, cycling (e.g. gzip,zstd,none)
  --tag TAG            the ref.name of the image in index.json (default
                       latest); a layout may hold several tags: building
                       into an existing layout adds or replaces TAG
  --entrypoint JSON --cmd JSON --workdir DIR --user U --env K=V --label K=V
                       override / add to the image config
  --json               print a JSON summary instead of "LAYOUT DIGEST"

Prints "LAYOUT DIGEST" on stdout (DIGEST: the manifest, or the index with
--index, that index.json names for TAG).

Media types: OCI layers application/vnd.oci.image.layer.v1.tar[+gzip|+zstd];
Docker layers application/vnd.docker.image.rootfs.diff.tar.gzip,
application/vnd.docker.image.rootfs.diff.tar (none) and
application/vnd.docker.image.rootfs.diff.tar.zstd (zstd: not part of
Docker's spec, containerd's name for it).
"""

import argparse
import concurrent.futures
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MAKE_ROOTFS = os.path.join(TOP, "scripts", "make-rootfs")

MEDIA = {
    "oci": {
        "index": "application/vnd.oci.image.index.v1+json",
        "manifest": "application/vnd.oci.image.manifest.v1+json",
        "config": "application/vnd.oci.image.config.v1+json",
        "layer": {
            "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
            "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
            "none": "application/vnd.oci.image.layer.v1.tar",
        },
    },
    "docker": {
        "index": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifest": "application/vnd.docker.distribution.manifest.v2+json",
        "config": "application/vnd.docker.container.image.v1+json",
        "layer": {
            "gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "zstd": "application/vnd.docker.image.rootfs.diff.tar.zstd",
            "none": "application/vnd.docker.image.rootfs.diff.tar",
        },
    },
}

CREATED = "2024-01-01T00:00:00Z"
MB = 1000 * 1000


def die(msg):
    print("mkimage: " + msg, file=sys.stderr)
    sys.exit(1)


def host_arch():
    m = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(m, m)


def jdump(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


# ---------------------------------------------------------------- entries

class Entry:
    """One tar member.  kind: file dir symlink hardlink fifo."""

    def __init__(self, name, kind="file", mode=None, uid=0, gid=0, mtime=None,
                 data=None, src=None, size=None, linkname="", xattrs=None,
                 uname="", gname=""):
        self.name = name
        self.kind = kind
        if mode is None:
            mode = 0o755 if kind == "dir" else 0o777 if kind == "symlink" else 0o644
        self.mode = mode
        self.uid, self.gid = uid, gid
        self.mtime = mtime
        self.data = data
        self.src = src
        self.size = size
        self.linkname = linkname
        self.xattrs = xattrs or {}
        self.uname, self.gname = uname, gname

    def tarinfo(self, epoch):
        ti = tarfile.TarInfo(self.name)
        ti.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE,
                   "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                   "fifo": tarfile.FIFOTYPE}[self.kind]
        ti.mode = self.mode
        ti.uid, ti.gid = self.uid, self.gid
        ti.uname, ti.gname = self.uname, self.gname
        ti.mtime = int(epoch if self.mtime is None else self.mtime)
        ti.linkname = self.linkname
        if self.kind == "file":
            ti.size = len(self.data) if self.data is not None else self.size
        if self.xattrs:
            ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in sorted(self.xattrs.items())}
        return ti


def dir_entries(root, prefix=""):
    """Entries for everything under root (sorted, parents first), named
    prefix + relative path.  Owner and mode come from the disk, mtimes from
    the epoch.  Hard links inside the tree become tar hard links."""
    out = []
    seen = {}

    def walk(rel):
        full = os.path.join(root, rel) if rel else root
        for n in sorted(os.listdir(full)):
            r = rel + "/" + n if rel else n
            p = os.path.join(root, r)
            st = os.lstat(p)
            name = prefix + r
            common = dict(mode=stat.S_IMODE(st.st_mode), uid=st.st_uid, gid=st.st_gid)
            if stat.S_ISDIR(st.st_mode):
                out.append(Entry(name, "dir", **common))
                walk(r)
            elif stat.S_ISLNK(st.st_mode):
                out.append(Entry(name, "symlink", linkname=os.readlink(p), **common))
            elif stat.S_ISREG(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in seen:
                    out.append(Entry(name, "hardlink", linkname=seen[key], **common))
                else:
                    seen[key] = name
                    out.append(Entry(name, "file", src=p, size=st.st_size, **common))
            elif stat.S_ISFIFO(st.st_mode):
                out.append(Entry(name, "fifo", **common))
            # sockets and device nodes are left out

    walk("")
    return out


def extras_entries():
    """Layer 2 of the multi and whiteout variants (see the usage)."""
    E = Entry
    ob = "opt/berth/"
    return [
        E("etc/", "dir"),
        E("etc/berth-release", data=b"berth test image\n"),
        E("home/", "dir"),
        E("home/u/", "dir", uid=1000, gid=1000),
        E("home/u/owned-by-u", data=b"owned by 1000:1000\n", mode=0o640, uid=1000, gid=1000),
        E("home/u/private/", "dir", mode=0o700, uid=1000, gid=1000),
        E("home/u/private/secret", data=b"secret\n", mode=0o600, uid=1000, gid=1000),
        E("opt/", "dir"),
        E(ob, "dir"),
        E(ob + "hello.txt", data=b"hello from berth\n", mtime=1500000000),
        E(ob + "hardlink-to-hello", "hardlink", linkname=ob + "hello.txt"),
        E(ob + "symlink-to-hello", "symlink", linkname="hello.txt"),
        E(ob + "abs-symlink", "symlink", linkname="/etc/passwd"),
        E(ob + "dangling-symlink", "symlink", linkname="does-not-exist"),
        E(ob + "fifo", "fifo", mode=0o644),
        E(ob + "setuid", data=b"#!/bin/sh\necho setuid\n", mode=0o4755),
        E(ob + "sticky/", "dir", mode=0o1777),
        E(ob + "xattr", data=b"has user.berth=1\n", xattrs={"user.berth": "1"}),
        E(ob + "mtime-2000", data=b"2000-01-01T00:00:00Z\n", mtime=946684800),
        E(ob + "empty", data=b""),
        E(ob + "empty-dir/", "dir", mode=0o750),
        E(ob + "delete-me", data=b"deleted by the whiteout layer\n"),
        E(ob + "gone-dir/", "dir"),
        E(ob + "gone-dir/inner", data=b"inner\n"),
        E(ob + "opaque-dir/", "dir"),
        E(ob + "opaque-dir/old-a", data=b"old a\n"),
        E(ob + "opaque-dir/old-sub/", "dir"),
        E(ob + "opaque-dir/old-sub/old-b", data=b"old b\n"),
        E(ob + "long-" + "n" * 120, data=b"a name longer than 100 characters\n"),
        E(ob + "\u00fcn\u00efc\u00f6d\u00e9", data=b"non-ASCII name\n"),
    ]


def whiteout_entries(base_has_vi):
    E = Entry
    ob = "opt/berth/"
    out = []
    if base_has_vi:
        out += [E("bin/", "dir"), E("bin/.wh.vi", data=b"", mode=0)]
    out += [
        E("opt/", "dir"),
        E(ob, "dir"),
        E(ob + ".wh.delete-me", data=b"", mode=0),
        E(ob + ".wh.gone-dir", data=b"", mode=0),
        E(ob + "added-by-layer-3", data=b"layer 3\n"),
        E(ob + "opaque-dir/", "dir"),
        E(ob + "opaque-dir/.wh..wh..opq", data=b"", mode=0),
        E(ob + "opaque-dir/new-file", data=b"new in layer 3\n"),
    ]
    return out


def evil_entries():
    E = Entry
    return [
        E("../escape-dotdot", data=b"written outside the root via ../\n"),
        E("tmp/../../escape-dotdot-2", data=b"written outside the root via tmp/../../\n"),
        E("/abs-escape", data=b"absolute member name\n"),
        E("evil-link", "symlink", linkname="/etc"),
        E("evil-link/evil-through-symlink", data=b"written through a symlink to /etc\n"),
        E("evil-dotdot-link", "symlink", linkname="../../../../../../tmp"),
        E("evil-dotdot-link/evil-through-dotdot-symlink", data=b"written through ../ symlink\n"),
        E("evil-hardlink", "hardlink", linkname="../../../../etc/shadow"),
        E("evil-abs-hardlink", "hardlink", linkname="/etc/shadow"),
    ]


def dummy_entries(arch):
    return [Entry("arch.txt", data=(arch + "\n").encode())]


def big_entries(content_dirs, n_layers, total_bytes, base_bytes):
    """n_layers lists of entries copied from content_dirs, about
    total_bytes - base_bytes of file data in all."""
    files = []  # (name, path, st)

    def walk(d):
        try:
            names = sorted(os.listdir(d))
        except OSError:
            return
        for n in names:
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
                p.encode("utf-8")
            except (OSError, UnicodeEncodeError):
                continue
            if stat.S_ISDIR(st.st_mode):
                walk(p)
            elif stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
                if stat.S_ISREG(st.st_mode) and not os.access(p, os.R_OK):
                    continue
                files.append((p, st))

    for d in content_dirs:
        walk(os.path.abspath(d))
    if not any(stat.S_ISREG(st.st_mode) and st.st_size > 0 for _, st in files):
        die("no readable files in %s" % " ".join(content_dirs))
    want = max(total_bytes - base_bytes, n_layers)
    per_layer = want // n_layers
    layers = [[] for _ in range(n_layers)]
    li, total, rnd = 0, 0, 1
    while total < want:
        for p, st in files:
            if total >= want:
                break
            if st.st_size > max(per_layer // 2, 1 << 20):
                continue  # one huge file would make the layers uneven
            rel = p.lstrip("/")
            if rnd > 1:
                rel = "berth-big/copy%d/%s" % (rnd, rel)
            if stat.S_ISLNK(st.st_mode):
                e = Entry(rel, "symlink", linkname=os.readlink(p), uid=st.st_uid, gid=st.st_gid)
                sz = 0
            else:
                e = Entry(rel, "file", src=p, size=st.st_size, mode=stat.S_IMODE(st.st_mode),
                          uid=st.st_uid, gid=st.st_gid)
                sz = st.st_size
            layers[li].append(e)
            total += sz
            if total >= (li + 1) * per_layer and li < n_layers - 1:
                li += 1
        rnd += 1
    # parent directories, once per layer, before their children
    out = []
    for entries in layers:
        withdirs, have = [], set()
        for e in entries:
            parts = e.name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i]) + "/"
                if d not in have:
                    have.add(d)
                    src = "/" + "/".join(parts[:i])
                    if d.startswith("berth-big/"):
                        src = "/" + "/".join(parts[2:i]) if i > 2 else None
                    mode = 0o755
                    if src and os.path.isdir(src):
                        mode = stat.S_IMODE(os.lstat(src).st_mode)
                    withdirs.append(Entry(d, "dir", mode=mode))
            withdirs.append(e)
        out.append(withdirs)
    return out


# ---------------------------------------------------------------- blobs

class Layout:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.blobdir = os.path.join(self.path, "blobs", "sha256")
        os.makedirs(self.blobdir, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix=".mkimage-tmp-", dir=self.path)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def tmpfile(self, suffix=""):
        fd, p = tempfile.mkstemp(dir=self.tmp, suffix=suffix)
        os.close(fd)
        return p

    def put_file(self, path):
        h, n = sha256_file(path)
        dst = os.path.join(self.blobdir, h)
        if os.path.exists(dst):
            os.unlink(path)
        else:
            os.chmod(path, 0o644)
            os.replace(path, dst)
        return "sha256:" + h, n

    def put_bytes(self, data):
        h = hashlib.sha256(data).hexdigest()
        dst = os.path.join(self.blobdir, h)
        if not os.path.exists(dst):
            p = self.tmpfile()
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, 0o644)
            os.replace(p, dst)
        return "sha256:" + h, len(data)


def sha256_file(path):
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
    return h.hexdigest(), n


def write_tar(entries, path, epoch):
    with open(path, "wb") as f:
        with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for e in entries:
                ti = e.tarinfo(epoch)
                if e.kind == "file":
                    if e.data is not None:
                        tf.addfile(ti, io.BytesIO(e.data))
                    else:
                        with open(e.src, "rb") as src:
                            # the size was taken at walk time: a file that
                            # changed since cannot make a corrupt tar
                            ti.size = os.fstat(src.fileno()).st_size
                            tf.addfile(ti, src)
                else:
                    tf.addfile(ti)


def compress(src, dst, comp, level):
    if comp == "gzip":
        with open(src, "rb") as i, open(dst, "wb") as o:
            with gzip.GzipFile(filename="", mode="wb", fileobj=o, compresslevel=level, mtime=0) as g:
                shutil.copyfileobj(i, g, 1 << 20)
    elif comp == "zstd":
        subprocess.run(["zstd", "-q", "-f", "-T1", "-3", src, "-o", dst], check=True,
                       stdin=subprocess.DEVNULL)
    else:
        shutil.copyfile(src, dst)


def build_layer(layout, entries, comp, fmt, epoch, level):
    tar = layout.tmpfile(".tar")
    write_tar(entries, tar, epoch)
    diff_hex, tar_size = sha256_file(tar)
    if comp == "none":
        digest, size = layout.put_file(tar)
    else:
        out = layout.tmpfile("." + comp)
        compress(tar, out, comp, level)
        os.unlink(tar)
        digest, size = layout.put_file(out)
    return {"mediaType": MEDIA[fmt]["layer"][comp], "digest": digest, "size": size,
            "diff_id": "sha256:" + diff_hex, "tar_size": tar_size}


# ---------------------------------------------------------------- images

def image_config(arch, diff_ids, history, args, fmt, variant=None, dummy=False):
    if dummy:
        cfg = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
               "Cmd": ["/bin/cat", "/arch.txt"]}
    else:
        env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "BERTH_TEST=1", "GREETING=hello world"]
        for kv in args.env:
            k = kv.split("=", 1)[0]
            env = [e for e in env if e.split("=", 1)[0] != k] + [kv]
        labels = {"org.opencontainers.image.title": "berth-test-" + args.variant,
                  "io.berth.test": "yes"}
        for kv in args.label:
            k, _, v = kv.partition("=")
            labels[k] = v
        cfg = {
            "Env": env,
            "Entrypoint": json.loads(args.entrypoint) if args.entrypoint else ["/bin/sh", "-c"],
            "Cmd": json.loads(args.cmd) if args.cmd else ["echo hello from berth"],
            "WorkingDir": args.workdir if args.workdir is not None else "/root",
            "Labels": dict(sorted(labels.items())),
            "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
        }
        if args.user:
            cfg["User"] = args.user
        if cfg["Entrypoint"] == []:
            del cfg["Entrypoint"]
        if cfg["Cmd"] == []:
            del cfg["Cmd"]
    c = {"created": CREATED, "author": "berth tests", "architecture": arch, "os": "linux"}
    if variant:
        c["variant"] = variant
    c["config"] = cfg
    c["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    c["history"] = [dict(h, created=CREATED) for h in history]
    return c


def history_for(variant, n_layers, dummy):
    if dummy:
        return [{"created_by": "ADD arch.txt /"}, {"created_by": 'CMD ["/bin/cat","/arch.txt"]',
                                                   "empty_layer": True}]
    h = [{"created_by": "ADD busybox-rootfs / # scripts/make-rootfs", "comment": "busybox base"},
         {"created_by": "ENV BERTH_TEST=1 GREETING=hello world", "empty_layer": True}]
    if variant in ("multi", "whiteout"):
        h.append({"created_by": "COPY extras / # links, fifo, setuid, xattr, owners, mtimes"})
    if variant == "whiteout":
        h.append({"created_by": "RUN rm -rf /opt/berth/delete-me /opt/berth/gone-dir /bin/vi "
                                "/opt/berth/opaque-dir/* && echo new in layer 3 > "
                                "/opt/berth/opaque-dir/new-file"})
    if variant == "evil":
        h.append({"created_by": "ADD evil.tar / # hostile member names"})
    if variant == "big":
        for i in range(n_layers - 1):
            h.append({"created_by": "COPY content part %d /" % (i + 1)})
    h += [{"created_by": "WORKDIR /root", "empty_layer": True},
          {"created_by": "EXPOSE 8080/tcp 53/udp", "empty_layer": True},
          {"created_by": 'CMD ["echo hello from berth"]', "empty_layer": True}]
    return h


def build_image(layout, layer_entries, comps, fmt, epoch, level, arch, history, args,
                variant=None, dummy=False):
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as ex:
        for i, entries in enumerate(layer_entries):
            comp = comps[i % len(comps)]
            jobs.append(ex.submit(build_layer, layout, entries, comp, fmt, epoch, level))
        layers = [j.result() for j in jobs]
    cfg = image_config(arch, [l["diff_id"] for l in layers], history, args, fmt, variant, dummy)
    cdig, csize = layout.put_bytes(jdump(cfg))
    m = {"schemaVersion": 2, "mediaType": MEDIA[fmt]["manifest"],
         "config": {"mediaType": MEDIA[fmt]["config"], "digest": cdig, "size": csize},
         "layers": [{"mediaType": l["mediaType"], "digest": l["digest"], "size": l["size"]}
                    for l in layers]}
    mdig, msize = layout.put_bytes(jdump(m))
    plat = {"architecture": arch, "os": "linux"}
    if variant:
        plat["variant"] = variant
    summary = {"mediaType": MEDIA[fmt]["manifest"], "digest": mdig, "size": msize,
               "platform": plat, "config": cdig, "layers": layers}
    return summary


def main():
    ap = argparse.ArgumentParser(description="deterministic test images in an OCI layout",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("layout")
    ap.add_argument("--variant", default="single",
                    choices=["single", "multi", "whiteout", "evil", "big"])
    ap.add_argument("--index", action="store_true")
    ap.add_argument("--format", default="oci", choices=["oci", "docker"])
    ap.add_argument("--compression", default="gzip")
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--rootfs")
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--size-mb", type=float, default=200)
    ap.add_argument("--content-dir", action="append", default=[])
    ap.add_argument("--level", type=int, default=6, help="gzip level")
    ap.add_argument("--epoch", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", 1700000000)))
    ap.add_argument("--entrypoint")
    ap.add_argument("--cmd")
    ap.add_argument("--workdir")
    ap.add_argument("--user")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    comps = args.compression.split(",")
    for c in comps:
        if c not in ("gzip", "zstd", "none"):
            die("unknown compression %r (gzip, zstd, none)" % c)
    if "zstd" in comps and not shutil.which("zstd"):
        die("zstd compression needs the zstd command")
    if args.variant == "big" and args.layers < 2:
        die("--variant big needs --layers 2 or more")
    if os.path.exists(args.layout) and os.listdir(args.layout) and \
            not os.path.exists(os.path.join(args.layout, "oci-layout")):
        die("%s exists and is not an OCI layout" % args.layout)

    os.makedirs(args.layout, exist_ok=True)
    layout = Layout(args.layout)
    rootfs_tmp = None
    try:
        rootfs = args.rootfs
        if not rootfs:
            rootfs_tmp = tempfile.mkdtemp(prefix=".rootfs-", dir=layout.tmp)
            rootfs = os.path.join(rootfs_tmp, "rootfs")
            old = os.umask(0o022)
            try:
                subprocess.run([MAKE_ROOTFS, rootfs], check=True, stdin=subprocess.DEVNULL)
            finally:
                os.umask(old)
        if not os.path.isdir(rootfs):
            die("rootfs %s is not a directory" % rootfs)
        base = dir_entries(rootfs)
        base_bytes = sum(e.size or 0 for e in base if e.kind == "file")
        layers = [base]
        if args.variant in ("multi", "whiteout"):
            layers.append(extras_entries())
        if args.variant == "whiteout":
            layers.append(whiteout_entries(os.path.lexists(os.path.join(rootfs, "bin", "vi"))))
        if args.variant == "evil":
            layers.append(evil_entries())
        if args.variant == "big":
            dirs = args.content_dir or ["/usr/lib", "/usr/share"]
            layers += big_entries(dirs, args.layers - 1, int(args.size_mb * MB), base_bytes)

        arch = host_arch()
        hist = history_for(args.variant, len(layers), False)
        img = build_image(layout, layers, comps, args.format, args.epoch, args.level, arch, hist,
                          args)
        images = [img]
        if args.index:
            other = "arm64" if arch != "arm64" else "amd64"
            dummy = build_image(layout, [dummy_entries(other)], comps[:1], args.format, args.epoch,
                                args.level, other, history_for(None, 1, True), args,
                                variant="v8" if other == "arm64" else None, dummy=True)
            images.append(dummy)
            idx = {"schemaVersion": 2, "mediaType": MEDIA[args.format]["index"],
                   "manifests": [{"mediaType": i["mediaType"], "digest": i["digest"],
                                  "size": i["size"], "platform": i["platform"]} for i in images]}
            tdig, tsize = layout.put_bytes(jdump(idx))
            top = {"mediaType": MEDIA[args.format]["index"], "digest": tdig, "size": tsize}
        else:
            top = {"mediaType": img["mediaType"], "digest": img["digest"], "size": img["size"],
                   "platform": img["platform"]}
        top["annotations"] = {"org.opencontainers.image.ref.name": args.tag}

        # oci-layout and index.json (other tags already there are kept)
        with open(os.path.join(layout.path, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        ipath = os.path.join(layout.path, "index.json")
        entries = []
        if os.path.exists(ipath):
            with open(ipath) as f:
                entries = [m for m in json.load(f).get("manifests", [])
                           if m.get("annotations", {}).get("org.opencontainers.image.ref.name")
                           != args.tag]
        entries.append(top)
        entries.sort(key=lambda m: m.get("annotations", {}).get(
            "org.opencontainers.image.ref.name", ""))
        tmp = layout.tmpfile()
        with open(tmp, "wb") as f:
            f.write(jdump({"schemaVersion": 2, "mediaType": MEDIA["oci"]["index"],
                           "manifests": entries}))
        os.chmod(tmp, 0o644)
        os.replace(tmp, ipath)
    finally:
        layout.cleanup()

    if args.json:
        print(json.dumps({"layout": layout.path, "tag": args.tag, "digest": top["digest"],
                          "mediaType": top["mediaType"], "size": top["size"],
                          "format": args.format, "variant": args.variant,
                          "images": images}, indent=1))
    else:
        print(layout.path, top["digest"])


if __name__ == "__main__":
    main()
