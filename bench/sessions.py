#!/usr/bin/env python3
"""Sessions for the memory figure: `sessions.py USER_ID COUNT SECRET ROWS.csv COOKIES.txt`.

Writes COUNT session rows of USER_ID (CSV for psql's \\copy into "session": id, expiresAt,
token, createdAt, updatedAt, userId) and, line by line, the Cookie header that carries each
token as Better-Auth and authgate sign it: `token.base64(HMAC-SHA256(secret, token))`,
percent-encoded.
"""
import base64
import datetime
import hashlib
import hmac
import secrets
import string
import sys
import urllib.parse

user_id, count, secret, rows_path, cookies_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
alphabet = string.ascii_letters + string.digits
now = datetime.datetime.now(datetime.timezone.utc)
created = now.isoformat()
expires = (now + datetime.timedelta(days=7)).isoformat()
with open(rows_path, "w") as rows, open(cookies_path, "w") as cookies:
    for n in range(count):
        token = "".join(secrets.choice(alphabet) for _ in range(32))
        tag = base64.b64encode(hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()).decode()
        rows.write(f"memory{n},{expires},{token},{created},{created},{user_id}\n")
        cookies.write("better-auth.session_token=" + urllib.parse.quote(f"{token}.{tag}", safe="") + "\n")
