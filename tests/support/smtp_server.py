"""A real SMTP server for authgate's tests (aiosmtpd), one per test.

    python smtp_server.py --dir DIR [--mode ok|slow|refuse] [--delay SECONDS]
                          [--starttls] [--auth USER:PASSWORD]

Listens on 127.0.0.1 on a free port and prints `PORT <n>` once it accepts connections. Each
accepted message is written to DIR as `<n>.eml` (atomically: written as .tmp, then renamed).
`--mode slow` waits DELAY seconds before answering DATA; `--mode refuse` answers DATA with
550. `--starttls` offers (and requires) STARTTLS with a self-signed certificate for
localhost/127.0.0.1 made at start with `openssl`, written to DIR/../cert.pem; `--auth`
requires AUTH PLAIN/LOGIN with that user and password (only over TLS). The server exits when
its standard input closes (the test that started it ended).
"""

import argparse
import asyncio
import itertools
import os
import ssl
import subprocess
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, directory, mode, delay):
        self.directory = directory
        self.mode = mode
        self.delay = delay
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "refuse":
            return "550 5.7.1 Message refused by policy"
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        n = next(self.counter)
        final = os.path.join(self.directory, f"{n:04}.eml")
        with open(final + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(final + ".tmp", final)
        return "250 OK"


def self_signed(directory):
    base = os.path.dirname(os.path.abspath(directory))
    cert, key = os.path.join(base, "cert.pem"), os.path.join(base, "key.pem")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-keyout", key, "-out", cert,
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext", "basicConstraints=critical,CA:FALSE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
            "-addext", "extendedKeyUsage=serverAuth",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--mode", default="ok", choices=["ok", "slow", "refuse"])
    parser.add_argument("--delay", type=float, default=30.0)
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--auth")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    tls_context = self_signed(args.dir) if args.starttls else None
    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False)

    handler = Handler(args.dir, args.mode, args.delay)

    def factory():
        return SMTP(
            handler,
            hostname="localhost",
            tls_context=tls_context,
            require_starttls=tls_context is not None,
            authenticator=authenticator,
            auth_required=authenticator is not None,
            auth_require_tls=True,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
