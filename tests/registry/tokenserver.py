#!/usr/bin/python3
"""tokenserver.py: a Docker-registry token service for tests (stdlib only).

usage: tokenserver.py --key KEY.pem --cert CERT.pem [--user U:P]...
                      [--pull-only-user U:P]... [--anonymous-pull]
                      [--issuer ISS] [--service SVC] [--expires SECONDS]
                      [--port N] [--port-file FILE] [--log FILE]

Listens on 127.0.0.1 (port 0, the default, picks a free one; the port is
written to --port-file once it listens and "127.0.0.1:PORT" is printed on
stdout).  Any path answers:

  GET  /token?service=SVC&scope=repository:NAME:pull,push[&scope=...]
       with or without "Authorization: Basic ..." (the Docker token flow)
  POST /token  (application/x-www-form-urlencoded: grant_type=password,
       username, password, service, scope: the OAuth2 flow containerd tries
       first; grant_type=refresh_token is refused with 400)

Users given with --user get what they ask for among pull, push, delete and
* (registry:catalog:*); --pull-only-user users get pull only; anonymous
requests (no credentials) get a token with no access unless
--anonymous-pull (then pull).  Wrong credentials: 401 with
WWW-Authenticate: Basic.  A service other than --service: 400.

The answer: {"token": T, "access_token": T, "expires_in": N, "issued_at": ...}.
T is a JWT that distribution 2.8's token auth accepts: header
{"typ":"JWT","alg":"RS256"|"ES256","x5c":[CERT]} (the registry checks the x5c
chain against its rootcertbundle, which is CERT itself), claims iss, sub,
aud (= the service), exp, nbf, iat, jti and access.  It is signed with
`openssl dgst -sha256 -sign KEY` (RS256 for an RSA key, ES256 for a P-256
key, the DER signature turned into JWS r||s).

--log FILE gets one JSON object per request: time, method, path, user
("" when anonymous), auth ("none", "basic", "bad-credentials"), service,
scopes (asked), access (granted), status.
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def der_to_raw(sig, n=32):
    """ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) -> r||s."""
    def read_len(b, i):
        l = b[i]
        i += 1
        if l & 0x80:
            k = l & 0x7F
            l = int.from_bytes(b[i:i + k], "big")
            i += k
        return l, i

    assert sig[0] == 0x30
    _, i = read_len(sig, 1)
    out = b""
    for _ in range(2):
        assert sig[i] == 0x02
        l, i = read_len(sig, i + 1)
        v = int.from_bytes(sig[i:i + l], "big")
        i += l
        out += v.to_bytes(n, "big")
    return out


class Issuer:
    def __init__(self, key, cert, issuer, service, expires):
        self.key = key
        self.issuer = issuer
        self.service = service
        self.expires = expires
        pem = open(cert).read()
        body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
        self.x5c = "".join(body.split())
        text = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-text"],
                              stdout=subprocess.PIPE, check=True, text=True).stdout
        if "id-ecPublicKey" in text:
            if "prime256v1" not in text and "P-256" not in text:
                sys.exit("tokenserver: only P-256 EC keys are supported")
            self.alg = "ES256"
        else:
            self.alg = "RS256"

    def sign(self, claims):
        header = {"typ": "JWT", "alg": self.alg, "x5c": [self.x5c]}
        inp = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key],
                             input=inp.encode(), stdout=subprocess.PIPE, check=True).stdout
        if self.alg == "ES256":
            sig = der_to_raw(sig)
        return inp + "." + b64url(sig)

    def token(self, sub, access):
        now = int(time.time())
        return self.sign({"iss": self.issuer, "sub": sub, "aud": self.service,
                          "exp": now + self.expires, "nbf": now - 10, "iat": now,
                          "jti": uuid.uuid4().hex, "access": access})


def parse_scope(s):
    """repository:NAME:a,b -> (type, name, [actions]); NAME may hold ':'."""
    parts = s.split(":")
    if len(parts) < 3:
        return None
    return parts[0], ":".join(parts[1:-1]), [a for a in parts[-1].split(",") if a]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth-tokenserver/1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        user = password = None
        h = self.headers.get("Authorization", "")
        if h.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(h[6:].strip()).decode().partition(":")
            except ValueError:
                user, password = "", None
        self.issue(u.path, q, user, password)

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        q = urllib.parse.parse_qs(self.rfile.read(n).decode())
        gt = q.get("grant_type", [""])[0]
        if gt != "password":
            self.record(u.path, "", "none", q, [], 400, grant_type=gt)
            return self.reply(400, {"error": "unsupported_grant_type"})
        q["scope"] = " ".join(q.get("scope", [])).split()
        self.issue(u.path, q, q.get("username", [""])[0], q.get("password", [""])[0], oauth=True)

    def issue(self, path, q, user, password, oauth=False):
        srv = self.server
        scopes = q.get("scope", [])
        service = q.get("service", [srv.issuer.service])[0]
        if user is None:
            mode, who = "none", ""
        elif srv.users.get(user) == password and password is not None:
            mode, who = "basic", user
        else:
            self.record(path, user, "bad-credentials", q, [], 401)
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                "message": "bad credentials"}]},
                              {"WWW-Authenticate": 'Basic realm="berth-token"'})
        if service != srv.issuer.service:
            self.record(path, who, mode, q, [], 400)
            return self.reply(400, {"errors": [{"code": "DENIED",
                                                "message": "unknown service %s" % service}]})
        if not who:
            allowed = {"pull"} if srv.anonymous_pull else set()
        elif who in srv.pull_only:
            allowed = {"pull"}
        else:
            allowed = {"pull", "push", "delete", "*"}
        access = []
        for s in scopes:
            for one in s.split(" "):
                p = parse_scope(one)
                if not p:
                    continue
                acts = [a for a in p[2] if a in allowed]
                if acts:
                    access.append({"type": p[0], "name": p[1], "actions": acts})
        tok = srv.issuer.token(who, access)
        self.record(path, who, mode, q, access, 200)
        res = {"access_token": tok, "expires_in": srv.issuer.expires,
               "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if not oauth:
            res["token"] = tok
        self.reply(200, res)

    def record(self, path, user, mode, q, access, status, **kw):
        srv = self.server
        if not srv.logpath:
            return
        rec = {"time": time.time(), "method": self.command, "path": path, "user": user or "",
               "auth": mode, "service": q.get("service", [""])[0],
               "scopes": q.get("scope", []), "access": access, "status": status}
        rec.update(kw)
        with srv.loglock, open(srv.logpath, "a") as f:
            f.write(json.dumps(rec) + "\n")


def main():
    ap = argparse.ArgumentParser(description="token service for registry tests",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", default="berth-test-issuer")
    ap.add_argument("--service", default="berth-test-registry")
    ap.add_argument("--user", action="append", default=[])
    ap.add_argument("--pull-only-user", action="append", default=[])
    ap.add_argument("--anonymous-pull", action="store_true")
    ap.add_argument("--expires", type=int, default=300)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    a = ap.parse_args()

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.issuer = Issuer(a.key, a.cert, a.issuer, a.service, a.expires)
    srv.users = {}
    srv.pull_only = set()
    for up in a.user + a.pull_only_user:
        u, _, p = up.partition(":")
        srv.users[u] = p
    for up in a.pull_only_user:
        srv.pull_only.add(up.partition(":")[0])
    srv.anonymous_pull = a.anonymous_pull
    srv.logpath = a.log
    srv.loglock = threading.Lock()
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
