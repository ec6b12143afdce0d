#!/usr/bin/env bash
# The three-service set-up in one command: the auth server, the demo page on its own origin,
# the Rust API and the Python service, until Ctrl-C.
#
#   bash examples/three-services/run.sh        # then open http://localhost:4001
#
# Ports: AUTH_PORT (4000), PAGE_PORT (4001), API_PORT (4002), PYTHON_PORT (4003). The database
# and the shared secret live in STATE_DIR (target/three-services); BETTER_AUTH_SECRET, when
# set, is used instead of the generated one.
set -euo pipefail
cd "$(dirname "$0")/../.."

AUTH_PORT=${AUTH_PORT:-4000}
PAGE_PORT=${PAGE_PORT:-4001}
API_PORT=${API_PORT:-4002}
PYTHON_PORT=${PYTHON_PORT:-4003}
STATE_DIR=${STATE_DIR:-target/three-services}
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd)

auth_origin="http://localhost:$AUTH_PORT"
page_origin="http://localhost:$PAGE_PORT"
if [ -z "${BETTER_AUTH_SECRET:-}" ]; then
  if [ ! -s "$STATE_DIR/secret" ]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$STATE_DIR/secret")
  fi
  BETTER_AUTH_SECRET=$(cat "$STATE_DIR/secret")
fi
# The auth server and the Rust API share these two; the Python service needs neither.
export BETTER_AUTH_SECRET
export DATABASE_URL="sqlite://$STATE_DIR/auth.db?mode=rwc"

cargo build --quiet --example three-services-auth --example three-services-api --example three-services-page
bin="${CARGO_TARGET_DIR:-target}/debug/examples"

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop EXIT
trap 'exit 130' INT TERM

wait_for() { # wait_for <url>
  python3 - "$1" <<'PY'
import sys, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=5)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(f"{sys.argv[1]} did not answer")
PY
}

PORT=$AUTH_PORT BETTER_AUTH_URL=$auth_origin PAGE_ORIGINS=$page_origin "$bin/three-services-auth" &
pids+=($!)
wait_for "$auth_origin/health"   # it creates the tables the Rust API reads

PORT=$API_PORT BETTER_AUTH_URL=$auth_origin PAGE_ORIGINS=$page_origin "$bin/three-services-api" &
pids+=($!)
PORT=$PYTHON_PORT AUTH_SERVER=$auth_origin/api/auth PAGE_ORIGINS=$page_origin \
  python3 examples/three-services/python_service.py &
pids+=($!)
PORT=$PAGE_PORT AUTH_SERVER=$auth_origin/api/auth RUST_API=http://localhost:$API_PORT/me \
  PYTHON_API=http://localhost:$PYTHON_PORT/me "$bin/three-services-page" &
pids+=($!)
wait_for "http://localhost:$API_PORT/health"
wait_for "http://localhost:$PYTHON_PORT/health"
wait_for "$page_origin/"

echo
echo "  page          $page_origin          (open this)"
echo "  auth server   $auth_origin/api/auth"
echo "  Rust API      http://localhost:$API_PORT/me"
echo "  Python API    http://localhost:$PYTHON_PORT/me"
echo
echo "Ctrl-C stops all four."
wait -n
