#!/usr/bin/env python3
"""A small HTTP server for the db update tests: serves the files under ROOT
with an ETag (the content's SHA-256) and a Last-Modified (the file's mtime),
answers 304 to a matching If-None-Match (or, without one, to an
If-Modified-Since not older than the file), and logs every request.

    feed_server.py ROOT --port-file F --log F [--control F] [--tls CERT KEY]

The port it listens on (on 127.0.0.1, chosen by the kernel) is written to
--port-file once it is ready. Each request appends one line to --log:

    GET /path STATUS inm=<If-None-Match or -> ims=<If-Modified-Since or -> ua=<User-Agent>

--control names a file read on every request, one rule a line:

    /path status 500        answer with that status and a short body
    /path truncate          send the headers for the whole file, half of it, then hang up
    /path redirect URL      302 to URL (a path of this server, or another server)

--tls serves HTTPS with that certificate and key (PEM).
"""
import argparse
import email.utils
import hashlib
import http.server
import os
import ssl
import sys


def rules(path):
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            words = line.split()
            if len(words) >= 2:
                out[words[0]] = words[1:]
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "feed-server"

    def log_message(self, fmt, *args):
        pass

    def log_request_line(self, status):
        h = self.headers
        with open(self.server.log, "a") as f:
            f.write("%s %s %d inm=%s ims=%s ua=%s\n" % (
                self.command, self.path, status, h.get("If-None-Match", "-"),
                h.get("If-Modified-Since", "-"), h.get("User-Agent", "-")))

    def answer(self, status, body=b"", headers=()):
        self.log_request_line(status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def do_GET(self):
        rule = rules(self.server.control).get(self.path)
        if rule and rule[0] == "status":
            return self.answer(int(rule[1]), b"injected failure\n")
        if rule and rule[0] == "redirect":
            return self.answer(302, b"", [("Location", rule[1])])
        local = os.path.join(self.server.root, self.path.lstrip("/"))
        if ".." in self.path.split("/") or not os.path.isfile(local):
            return self.answer(404, b"not found\n")
        with open(local, "rb") as f:
            data = f.read()
        mtime = int(os.stat(local).st_mtime)
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:32]
        lastmod = email.utils.formatdate(mtime, usegmt=True)
        validators = [("ETag", etag), ("Last-Modified", lastmod)]
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            if inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]:
                return self.answer(304, headers=validators)
        elif ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                since = None
            if since is not None and mtime <= since:
                return self.answer(304, headers=validators)
        if rule and rule[0] == "truncate":
            self.log_request_line(200)
            self.send_response(200)
            for k, v in validators:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        return self.answer(200, data, validators)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--control")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.root, srv.log, srv.control = a.root, a.log, a.control
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
