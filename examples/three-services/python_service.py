#!/usr/bin/env python3
"""The three-service set-up's Python API (standard library only).

It validates every request the way such services do: by asking the auth server's
get-session with the caller's own credentials (its Cookie header, or its
Authorization: Bearer token), and trusts nothing else the caller sends.

    AUTH_SERVER=http://localhost:4000/api/auth PORT=4003 python3 python_service.py

PAGE_ORIGINS (comma-separated, default http://localhost:4001) are allowed by CORS
with credentials. GET /me answers {"service": "python", "user": ...} or 401.
"""

import json
import os
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AUTH_SERVER = os.environ.get("AUTH_SERVER", "http://localhost:4000/api/auth").rstrip("/")
PORT = int(os.environ.get("PORT", "4003"))
PAGE_ORIGINS = {
    o.strip() for o in os.environ.get("PAGE_ORIGINS", "http://localhost:4001").split(",") if o.strip()
}
TIMEOUT_SECONDS = 30


class Unavailable(Exception):
    """The auth server could not answer: a 503 here, never a 401."""


def session_of(headers):
    """The caller's {"session", "user"} from the auth server, or None when not signed in."""
    forwarded = {}
    for name in ("Cookie", "Authorization"):
        if headers.get(name):
            forwarded[name] = headers[name]
    if not forwarded:
        return None
    request = urllib.request.Request(
        f"{AUTH_SERVER}/get-session", headers=forwarded, method="GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        if err.code == 401:
            return None
        raise Unavailable(f"get-session answered {err.code}") from err
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise Unavailable(str(err)) from err


class Handler(BaseHTTPRequestHandler):
    server_version = "python-service"

    def cors(self):
        origin = self.headers.get("Origin")
        if origin in PAGE_ORIGINS:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("Vary", "Origin")

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.cors()
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_OPTIONS(self):
        self.send_response(204)
        self.cors()
        if self.headers.get("Origin") in PAGE_ORIGINS:
            self.send_header("Access-Control-Allow-Methods", "GET")
            self.send_header("Access-Control-Allow-Headers", "authorization")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        if self.path == "/health":
            return self.answer(200, {"status": "ok"})
        if self.path != "/me":
            return self.answer(404, {"message": "Not found", "code": "NOT_FOUND"})
        try:
            found = session_of(self.headers)
        except Unavailable as err:
            print(f"auth server unavailable: {err}", file=sys.stderr)
            return self.answer(503, {"message": "Auth server unavailable", "code": "UNAVAILABLE"})
        if not found:
            return self.answer(401, {"message": "Unauthorized", "code": "UNAUTHORIZED"})
        return self.answer(200, {"service": "python", "user": found["user"]})

    def log_message(self, format, *args):
        # Request lines only; never headers (they carry the caller's credentials).
        sys.stderr.write("python-service: %s\n" % (format % args))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"Python API on http://localhost:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
