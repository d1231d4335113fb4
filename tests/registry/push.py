#!/usr/bin/python3
"""push.py: push an image from an OCI layout to a registry (distribution API).

usage: push.py LAYOUT HOST:PORT/NAME[:TAG] [--ref REF] [--user USER:PASS]
               [--scheme http|https] [-v]

  LAYOUT        an OCI image layout (mkimage.py makes them)
  HOST:PORT/NAME[:TAG]
                where to push; TAG defaults to latest.  HOST:PORT/NAME@DIGEST
                pushes without a tag (the digest must be the layout's).
  --ref REF     the layout entry to push (its org.opencontainers.image.ref.name);
                default: the entry named TAG, else the layout's only entry
  --user U:P    credentials for HTTP basic auth, or for the token service
                when the registry asks for a Bearer token
  -v            log every request on stderr

Blobs: HEAD /v2/NAME/blobs/DIGEST and skip it on 200, else
POST /v2/NAME/blobs/uploads/ then PUT <Location>?digest=DIGEST with the whole
blob (a relative or an absolute Location).  Manifests: the children of an
index (or Docker manifest list) first, by digest, then the index by tag;
Content-Type is the manifest's media type; the bytes are the layout's,
unchanged, so digests stay the same.

Auth: on 401, WWW-Authenticate Basic -> send --user; Bearer realm=...,
service=..., scope=... -> GET realm?service=...&scope=... (with --user as
basic credentials if given; also asks for pull,push on NAME) and retry with
"Authorization: Bearer <token>"; the token is kept for later requests.

Prints the pushed top-level digest on stdout.  Exit status 1 on any failure,
with the registry's answer on stderr.
"""

import argparse
import base64
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json")


class PushError(Exception):
    pass


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def parse_challenge(h):
    scheme, _, rest = h.strip().partition(" ")
    params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
    return scheme.lower(), params


class Client:
    def __init__(self, base, name, user, verbose):
        self.base = base
        self.name = name
        self.user = user
        self.verbose = verbose
        self.auth = None  # the Authorization header value to send
        handlers = [urllib.request.ProxyHandler({})]
        self.opener = urllib.request.build_opener(*handlers)
        self.noredir = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)

    def log(self, msg):
        if self.verbose:
            print("push: " + msg, file=sys.stderr)

    def _once(self, method, url, body, headers, follow=True):
        h = dict(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        data = body() if callable(body) else body
        req = urllib.request.Request(url, data=data, method=method, headers=h)
        opener = self.opener if follow else self.noredir
        try:
            with opener.open(req, timeout=300) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
        except urllib.error.URLError as e:
            raise PushError("%s %s: %s" % (method, url, e.reason))
        finally:
            if hasattr(data, "close"):
                data.close()

    def request(self, method, url, body=None, headers=None):
        if not url.startswith("http"):
            url = urllib.parse.urljoin(self.base, url)
        for attempt in range(3):
            st, hd, data = self._once(method, url, body, headers)
            self.log("%s %s -> %d" % (method, url, st))
            if st != 401 or attempt == 2:
                return st, hd, data
            ch = hd.get("WWW-Authenticate")
            if not ch:
                raise PushError("%s %s: 401 without WWW-Authenticate" % (method, url))
            self.authenticate(ch)
        return st, hd, data

    def authenticate(self, challenge):
        scheme, p = parse_challenge(challenge)
        if scheme == "basic":
            if not self.user:
                raise PushError("the registry wants basic auth (%s): give --user" % challenge)
            new = "Basic " + base64.b64encode(self.user.encode()).decode()
        elif scheme == "bearer":
            if "realm" not in p:
                raise PushError("Bearer challenge without realm: %s" % challenge)
            q = []
            if "service" in p:
                q.append(("service", p["service"]))
            scopes = []
            if p.get("scope"):
                scopes += p["scope"].split(" ")
            want = "repository:%s:pull,push" % self.name
            if want not in scopes:
                scopes.append(want)
            q += [("scope", s) for s in scopes]
            url = p["realm"] + ("&" if "?" in p["realm"] else "?") + urllib.parse.urlencode(q)
            h = {}
            if self.user:
                h["Authorization"] = "Basic " + base64.b64encode(self.user.encode()).decode()
            req = urllib.request.Request(url, headers=h)
            try:
                with self.opener.open(req, timeout=60) as r:
                    tok = json.loads(r.read())
            except urllib.error.HTTPError as e:
                raise PushError("token service %s: %d %s" % (url, e.code, e.read()[:300]))
            except (urllib.error.URLError, ValueError) as e:
                raise PushError("token service %s: %s" % (url, e))
            t = tok.get("token") or tok.get("access_token")
            if not t:
                raise PushError("token service %s: no token in %r" % (url, tok))
            self.log("got a token for %s" % " ".join(scopes))
            new = "Bearer " + t
        else:
            raise PushError("unsupported auth challenge: %s" % challenge)
        if new == self.auth and scheme == "basic":
            raise PushError("the registry refuses the credentials")
        self.auth = new


def load(layout, digest):
    return open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb").read()


def push_blob(c, layout, desc):
    d = desc["digest"]
    path = os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1])
    size = os.path.getsize(path)
    st, hd, _ = c.request("HEAD", "/v2/%s/blobs/%s" % (c.name, d))
    if st == 200:
        c.log("blob %s exists" % d)
        return
    st, hd, data = c.request("POST", "/v2/%s/blobs/uploads/" % c.name, b"",
                             {"Content-Length": "0"})
    if st != 202 or not hd.get("Location"):
        raise PushError("POST upload for %s: %d %s" % (d, st, data[:500]))
    loc = urllib.parse.urljoin(c.base + "/v2/%s/blobs/uploads/" % c.name, hd["Location"])
    loc += ("&" if "?" in loc else "?") + urllib.parse.urlencode({"digest": d})
    st, hd, data = c.request("PUT", loc, lambda: open(path, "rb"),
                             {"Content-Type": "application/octet-stream",
                              "Content-Length": str(size)})
    if st != 201:
        raise PushError("PUT blob %s: %d %s" % (d, st, data[:500]))


def push_node(c, layout, desc, ref):
    mt = desc["mediaType"]
    raw = load(layout, desc["digest"])
    m = json.loads(raw)
    if mt in INDEX_TYPES:
        for child in m["manifests"]:
            push_node(c, layout, child, child["digest"])
    elif mt in MANIFEST_TYPES:
        push_blob(c, layout, m["config"])
        for l in m.get("layers", []):
            push_blob(c, layout, l)
    else:
        raise PushError("cannot push mediaType %s" % mt)
    st, hd, data = c.request("PUT", "/v2/%s/manifests/%s" % (c.name, ref), raw,
                             {"Content-Type": mt})
    if st != 201:
        raise PushError("PUT manifest %s (%s): %d %s" % (ref, mt, st, data[:500]))
    got = hd.get("Docker-Content-Digest")
    if got and got != desc["digest"]:
        raise PushError("registry says %s for manifest %s" % (got, desc["digest"]))


def main():
    ap = argparse.ArgumentParser(description="push an OCI layout's image to a registry",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("layout")
    ap.add_argument("dest")
    ap.add_argument("--ref")
    ap.add_argument("--user")
    ap.add_argument("--scheme", default="http", choices=["http", "https"])
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    host, _, rest = a.dest.partition("/")
    if not rest:
        sys.exit("push: destination must be HOST:PORT/NAME[:TAG]")
    digest = None
    if "@" in rest:
        name, _, digest = rest.partition("@")
        tag = None
    else:
        name, _, tag = rest.partition(":")
        tag = tag or "latest"
    with open(os.path.join(a.layout, "index.json")) as f:
        entries = json.load(f)["manifests"]

    def refname(e):
        return e.get("annotations", {}).get("org.opencontainers.image.ref.name")

    want = a.ref or tag
    pick = [e for e in entries if want and refname(e) == want]
    if digest:
        pick = [e for e in entries if e["digest"] == digest]
    if not pick and not a.ref and len(entries) == 1:
        pick = entries
    if not pick:
        sys.exit("push: no entry %s in %s/index.json (have: %s)" % (
            a.ref or tag or digest, a.layout, ", ".join(str(refname(e)) for e in entries)))
    top = pick[0]
    c = Client("%s://%s" % (a.scheme, host), name, a.user, a.verbose)
    try:
        push_node(c, a.layout, top, tag or top["digest"])
    except PushError as e:
        print("push: %s" % e, file=sys.stderr)
        sys.exit(1)
    print(top["digest"])


if __name__ == "__main__":
    main()
