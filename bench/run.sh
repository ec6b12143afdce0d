#!/usr/bin/env bash
# The load harness: `bash bench/run.sh` from the repository root. It installs wrk (Debian) and
# Better-Auth 1.7.25 (npm, as the interop tests do), builds the servers in bench/ (their own
# workspace, lock and target), creates its PostgreSQL databases, drives each server with wrk
# (2 threads, 32 connections unless a run says otherwise), measures the scale, memory and
# sign-in figures, and writes BENCHMARKS.md and bench/results.json itself.
#
# AUTHGATE_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# AUTHGATE_BENCH_SECONDS (default 10 per run), AUTHGATE_BENCH_TARGET (default bench/target).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PG_URL="${AUTHGATE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
SECONDS_PER_RUN="${AUTHGATE_BENCH_SECONDS:-10}"
export CARGO_TARGET_DIR="${AUTHGATE_BENCH_TARGET:-$root/bench/target}"
base="${PG_URL%/*}"
SECRET=bench-secret-kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k
DB_URL="$base/authgate_bench"
BA_URL="$base/authgate_bench_ba"

step() { echo "== $*"; }

step "tools"
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
wrk --version 2>&1 | head -1 || true
# The same install as .ci/run's (same key), so that either reuses the other's.
interop_cache="$HOME/.cache/authgate-interop/$(cat interop/package.json interop/package-lock.json | sha256sum | cut -c1-16)"
if [ ! -d "$interop_cache/node_modules/better-auth" ]; then
  mkdir -p "$interop_cache"
  cp interop/package.json interop/package-lock.json "$interop_cache/"
  (cd "$interop_cache" && npm ci --no-audit --no-fund --loglevel=error)
fi
rm -rf interop/node_modules
ln -s "$interop_cache/node_modules" interop/node_modules

step "databases"
for db in authgate_bench authgate_bench_ba; do
  psql "$PG_URL" -qc "drop database if exists $db with (force)"
  psql "$PG_URL" -qc "create database $db"
done

step "build (release)"
cargo build --release --quiet --manifest-path bench/Cargo.toml
bin="$CARGO_TARGET_DIR/release/authgate-bench"
# Let the build's load die down before measuring.
sleep 30

results="$(mktemp)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on $1" >&2; exit 1
}
start() { # port, command...
  local port=$1; shift
  "$@" >/tmp/authgate-bench-$port.log 2>&1 &
  pids+=($!)
  wait_port "$port"
}
stop() { kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }

# The cookie pairs a response sets, as one Cookie header.
cookies_of() { grep -i '^set-cookie:' | sed -E 's/^[Ss]et-[Cc]ookie: *([^;]*).*/\1/' | grep -v '=$' | paste -sd';' - | sed 's/;/; /g'; }
sign_up() { # base url -> Cookie header
  curl -s -D - -o /dev/null -X POST "$1/api/auth/sign-up/email" -H 'content-type: application/json' \
    -H "origin: http://localhost:3000" \
    -d '{"name":"Bench","email":"bench@example.com","password":"password123"}' | tr -d '\r' | cookies_of
}
status_of() { curl -s -o /dev/null -w '%{http_code}' -H "cookie: $2" "$1"; }

run() { # name, url, cookie, stats url (or -); CONNECTIONS (default 32)
  local name=$1 url=$2 cookie=$3 stats=$4 connections=${CONNECTIONS:-32} status before after
  status=$(status_of "$url" "$cookie")
  if [ "$status" != 200 ]; then echo "$name: $url answered $status before the run" >&2; exit 1; fi
  before='{}'; after='{}'
  # A short warm-up (connections opened, caches and Node's JIT warm), not counted.
  wrk -t2 -c"$connections" -d2s -H "cookie: $cookie" "$url" >/dev/null
  if [ "$stats" != - ]; then before=$(curl -s -X POST "$stats"); fi
  line=$(wrk -t2 -c"$connections" -d"${SECONDS_PER_RUN}s" --latency -s bench/report.lua -H "cookie: $cookie" "$url" | grep '^RESULT ' | cut -c8-)
  if [ "$stats" != - ]; then after=$(curl -s -X POST "$stats"); fi
  echo "{\"name\":\"$name\",\"connections\":$connections,\"wrk\":$line,\"stats_before\":$before,\"stats_after\":$after}" >> "$results"
  echo "$name: $line"
}

step "bare axum handler"
start 4201 "$bin" bare 4201
run "bare axum handler" http://127.0.0.1:4201/me "" -
stop

step "authgate (and the floor on its tables)"
start 4202 "$bin" authgate 4202 "$DB_URL" none
cookie=$(sign_up http://127.0.0.1:4202)
run "authgate /me, uncached" http://127.0.0.1:4202/me "$cookie" http://127.0.0.1:4202/stats
run "authgate get-session, uncached" http://127.0.0.1:4202/api/auth/get-session "$cookie" http://127.0.0.1:4202/stats
stop
start 4203 "$bin" floor 4203 "$DB_URL"
run "one sqlx join per request (floor)" http://127.0.0.1:4203/me "$cookie" -
stop
start 4204 "$bin" authgate 4204 "$DB_URL" memory
run "authgate /me, in-process cache" http://127.0.0.1:4204/me "$cookie" http://127.0.0.1:4204/stats
run "authgate get-session, in-process cache" http://127.0.0.1:4204/api/auth/get-session "$cookie" http://127.0.0.1:4204/stats
stop
start 4205 "$bin" authgate 4205 "$DB_URL" cookie
with_data="$cookie; $(curl -s -D - -o /dev/null -H "cookie: $cookie" http://127.0.0.1:4205/me | tr -d '\r' | cookies_of)"
run "authgate /me, cookie cache" http://127.0.0.1:4205/me "$with_data" http://127.0.0.1:4205/stats
run "authgate get-session, cookie cache" http://127.0.0.1:4205/api/auth/get-session "$with_data" http://127.0.0.1:4205/stats
stop

step "scale: /me with 1,000 and with 1,000,000 session rows"
user_id=$(psql "$DB_URL" -tAc "select \"id\" from \"user\" where \"email\" = 'bench@example.com'")
session_rows() { psql "$DB_URL" -tAc 'select count(*) from "session"'; }
add_sessions() { # how many rows more
  psql "$DB_URL" -v ON_ERROR_STOP=1 -q -c "insert into \"session\" (\"id\", \"expiresAt\", \"token\", \"createdAt\", \"updatedAt\", \"userId\")
    select 'scale' || ($(session_rows) + g), now() + interval '7 days', md5('token' || g || random()), now(), now(), '$user_id'
    from generate_series(1, $1) g" -c 'analyze "session"'
}
add_sessions $((1000 - $(session_rows)))
start 4209 "$bin" authgate 4209 "$DB_URL" none
run "authgate /me, uncached, 1,000 session rows" http://127.0.0.1:4209/me "$cookie" http://127.0.0.1:4209/stats
add_sessions $((1000000 - $(session_rows)))
run "authgate /me, uncached, 1,000,000 session rows" http://127.0.0.1:4209/me "$cookie" http://127.0.0.1:4209/stats
stop
psql "$DB_URL" -q -c "delete from \"session\" where \"id\" like 'scale%'" -c 'vacuum analyze "session"'

step "no head-of-line blocking: /me while 8 sign-ins run at once"
signins="$(mktemp -d)"
sign_ins_beside() { # port, label ("" or ", 1 hashing thread")
  local port=$1 label=$2 loops=() succeeded failed
  CONNECTIONS=4 run "authgate /me, uncached, 4 connections$label" "http://127.0.0.1:$port/me" "$cookie" "http://127.0.0.1:$port/stats"
  rm -f "$signins"/[1-8] "$signins/stop"
  for n in 1 2 3 4 5 6 7 8; do
    (while [ ! -e "$signins/stop" ]; do
      curl -s -o /dev/null -w '%{http_code}\n' -X POST "http://127.0.0.1:$port/api/auth/sign-in/email" \
        -H 'content-type: application/json' -H 'origin: http://localhost:3000' \
        -d '{"email":"bench@example.com","password":"password123"}' >> "$signins/$n"
    done) &
    loops+=($!)
  done
  CONNECTIONS=4 run "authgate /me, uncached, 4 connections, 8 sign-ins at once$label" "http://127.0.0.1:$port/me" "$cookie" "http://127.0.0.1:$port/stats"
  touch "$signins/stop"
  wait "${loops[@]}"
  succeeded=$(cat "$signins"/[1-8] | grep -c '^200$' || true)
  failed=$(cat "$signins"/[1-8] | grep -vc '^200$' || true)
  echo "{\"name\":\"sign-ins$label\",\"sign_ins\":{\"label\":\"$label\",\"succeeded\":$succeeded,\"failed\":$failed,\"seconds\":$SECONDS_PER_RUN}}" >> "$results"
  echo "sign-ins during the run$label: $succeeded succeeded, $failed failed"
}
start 4210 "$bin" authgate 4210 "$DB_URL" none
sign_ins_beside 4210 ""
stop
start 4212 env AUTHGATE_BENCH_HASHES=1 "$bin" authgate 4212 "$DB_URL" none
sign_ins_beside 4212 ", 1 hashing thread"
stop

step "memory: RSS with 100,000 cached sessions"
python3 bench/sessions.py "$user_id" 100000 "$SECRET" "$signins/rows.csv" "$signins/cookies.txt"
psql "$DB_URL" -qc "\\copy \"session\" (\"id\", \"expiresAt\", \"token\", \"createdAt\", \"updatedAt\", \"userId\") from '$signins/rows.csv' csv"
start 4211 "$bin" authgate 4211 "$DB_URL" memory-large
status_of http://127.0.0.1:4211/me "$cookie" >/dev/null
before=$(curl -s -X POST http://127.0.0.1:4211/stats)
fill=$(python3 bench/fill_cache.py http://127.0.0.1:4211/me "$signins/cookies.txt")
after=$(curl -s -X POST http://127.0.0.1:4211/stats)
echo "{\"name\":\"memory\",\"memory\":{\"fill\":$fill,\"before\":$before,\"after\":$after}}" >> "$results"
echo "memory: before $before, after $after"
stop
psql "$DB_URL" -qc "delete from \"session\" where \"id\" like 'memory%'"
rm -rf "$signins"

step "axum-login 0.18 + tower-sessions 0.14 (sqlx PostgreSQL store)"
start 4206 "$bin" axum-login 4206 "$DB_URL"
login_cookie=$(curl -s -D - -o /dev/null -X POST http://127.0.0.1:4206/login \
  -d 'email=bench@example.com&password=password123' | tr -d '\r' | cookies_of)
run "axum-login /me" http://127.0.0.1:4206/me "$login_cookie" -
stop

step "Better-Auth 1.7.25"
ba_env=(BA_DB=postgres "DATABASE_URL=$BA_URL" "BETTER_AUTH_SECRET=$SECRET"
  BASE_URL=http://localhost:3000 TRUSTED_ORIGINS=http://localhost:3000)
env "${ba_env[@]}" MIGRATE=1 node interop/better-auth-server.mjs >/dev/null
start 4207 env "${ba_env[@]}" PORT=4207 node interop/better-auth-server.mjs
ba_cookie=$(sign_up http://127.0.0.1:4207 | tr ';' '\n' | grep session_token | tr -d ' ')
run "Better-Auth get-session" http://127.0.0.1:4207/api/auth/get-session "$ba_cookie" -
stop
start 4208 env "${ba_env[@]}" COOKIE_CACHE=1 PORT=4208 node interop/better-auth-server.mjs
ba_cached="$(curl -s -D - -o /dev/null -X POST http://127.0.0.1:4208/api/auth/sign-in/email \
  -H 'content-type: application/json' -H 'origin: http://localhost:3000' \
  -d '{"email":"bench@example.com","password":"password123"}' | tr -d '\r' | cookies_of)"
run "Better-Auth get-session, cookie cache" http://127.0.0.1:4208/api/auth/get-session "$ba_cached" -
stop

step "invalidation across instances (LISTEN/NOTIFY)"
line=$("$bin" invalidation "$DB_URL" | grep '^RESULT ' | cut -c8-)
echo "{\"name\":\"invalidation\",\"invalidation\":$line}" >> "$results"
echo "invalidation: $line"

step "report"
python3 bench/report.py "$results" "$SECONDS_PER_RUN"
psql "$PG_URL" -qc "drop database if exists authgate_bench with (force)" -qc "drop database if exists authgate_bench_ba with (force)"
