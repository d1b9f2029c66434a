#!/usr/bin/env bash
# Eligibility over HTTP at national scale, in one run, as ratios (README: "Benchmarks").
#
#   benches/http.sh                         # 4.5 M ASN, 500 k sanctions, 10 k blocks
#   BENCH_ASN=200000 BENCH_SANCTIONS=20000 benches/http.sh   # a quick run
#
# For each backend: a fresh database filled by `gen-data`, the release server with auth on
# and every decision stored and audited, then wrk (-t2, 64 connections, loopback) against
# /health/live, the eligibility GET, and the 1000-NIP batch; the server's peak RSS; and
# `pgbench -S -M prepared -c 8` on the same PostgreSQL as its point-lookup limit. Then the
# GET again open-loop (examples/open_loop.rs) at half the rate wrk reached: requests leave on
# a schedule and latency counts from when each was due, so p99 there is not hidden queueing.
# PostgreSQL is an instance of the bench's own (initdb under $BENCH_WORK/pg, port 55432)
# with memory as a production server would have it: shared_buffers 4 GB (a sixth of this
# machine's 24 GB; the usual advice is a quarter). The cluster the tests use keeps 128 MB,
# which the registry's working set overflows: a batch's random profiles and sanctions then
# come from the OS, 30 ms of its 90. BENCH_PG=postgres://… runs against another server.
# Needs wrk and pgbench (Debian: apt-get install wrk postgresql-contrib).
set -euo pipefail
cd "$(dirname "$0")/.."

ASN=${BENCH_ASN:-4500000}
SANCTIONS=${BENCH_SANCTIONS:-500000}
BLOCKS=${BENCH_BLOCKS:-10000}
SECONDS_EACH=${BENCH_SECONDS:-20}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
BACKENDS=${BENCH_BACKENDS:-"postgres sqlite"}
PG=${BENCH_PG:-}
PG_PORT=${BENCH_PG_PORT:-55432}
PG_SHARED_BUFFERS=${BENCH_PG_SHARED_BUFFERS:-4GB}
PORT=${BENCH_PORT:-18080}
WORK=${BENCH_WORK:-target/bench-http}
BIN=${ASN_BIN:-}
# Reuse a generated database left by an earlier run with the same sizes (saves minutes).
REUSE=${BENCH_REUSE_DATA:-}

for tool in wrk pgbench psql curl; do
  command -v "$tool" >/dev/null || { echo "benches/http.sh needs $tool" >&2; exit 1; }
done
if [ -z "$BIN" ]; then
  cargo build --release --locked -q
  BIN=target/release/asn-eligibility
fi
OPEN_LOOP=${BENCH_OPEN_LOOP:-}
if [ -z "$OPEN_LOOP" ]; then
  cargo build --release --locked -q --example open_loop
  OPEN_LOOP=target/release/examples/open_loop
fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
export ASN_JWT_SECRET=bench-secret-0123456789-0123456789-abcdef
export ASN_DATA_DIR=$WORK/data RUST_LOG=warn ASN_CRON_LIFT_EXPIRED= ASN_CRON_ACTIVATE_SCHEDULED=
SIZE="$ASN-$SANCTIONS-$BLOCKS"
server=""
pg_own=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "$pg_own" ] && pg_as "$pg_ctl" -D "$pg_own" -m fast stop >/dev/null; true' EXIT

# Runs a PostgreSQL binary as the postgres user when this is root (initdb refuses root).
pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# (pgbench needs it even when only SQLite is measured.)
if [ -z "$PG" ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$pg_bin/initdb" ] || { echo "benches/http.sh needs PostgreSQL's initdb (or BENCH_PG)" >&2; exit 1; }
  pg_ctl=$pg_bin/pg_ctl
  if [ ! -f "$WORK/pg/PG_VERSION" ]; then
    mkdir -p "$WORK/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
    pg_as "$pg_bin/initdb" -D "$WORK/pg" -U postgres -A trust --no-sync >/dev/null
    rm -f "$WORK"/postgres.*.ready
  fi
  # One left running by an interrupted run is stopped first: the settings are this run's.
  if pg_as "$pg_ctl" -D "$WORK/pg" status >/dev/null 2>&1; then
    pg_as "$pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null
  fi
  pg_as "$pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w start -o "-p $PG_PORT \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories='$WORK/pg' \
    -c shared_buffers=$PG_SHARED_BUFFERS -c max_wal_size=4GB -c max_connections=200" >/dev/null
  pg_own=$WORK/pg
  PG=postgres://postgres@127.0.0.1:$PG_PORT
fi

# wrk's summary as "req/s p50_ms p99_ms non2xx"
wrk_run() {
  local out
  out=$(wrk -t"$(($1 < 2 ? 1 : 2))" -c"$1" -d"${SECONDS_EACH}s" --latency "${@:2}")
  echo "$out" >>"$WORK/wrk.log"
  echo "$out" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad + 0 }'
}

# The server's per-stage totals of eligibility checks (asn_eligibility_check_stage_seconds):
# "load_sum load_count evaluate_sum evaluate_count sign_sum sign_count store_sum store_count"
stage_totals() {
  curl -s "http://127.0.0.1:$PORT/metrics" | awk '
    /^asn_eligibility_check_stage_seconds_(sum|count)\{/ {
      match($0, /stage="[a-z]+"/); st = substr($0, RSTART + 7, RLENGTH - 8)
      kind = ($0 ~ /_sum\{/) ? "sum" : "count"; v[st kind] = $NF }
    END { printf "%s %s %s %s %s %s %s %s\n", v["loadsum"] + 0, v["loadcount"] + 0,
      v["evaluatesum"] + 0, v["evaluatecount"] + 0, v["signsum"] + 0, v["signcount"] + 0,
      v["storesum"] + 0, v["storecount"] + 0 }'
}

# The mean milliseconds per request of each stage between two stage_totals.
stage_means() {
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x); split(b, y)
    for (i = 1; i <= 8; i += 2) { n = y[i + 1] - x[i + 1]
      printf "%.3f ", (n > 0 ? 1000 * (y[i] - x[i]) / n : 0) }
    print "" }'
}

# CPU time so far, in clock ticks (user + system, all threads), of the server and of the
# bench's own PostgreSQL (its postmaster and every child: backends, checkpointer, WAL
# writer): "server_ticks postgres_ticks" (0 for PostgreSQL when BENCH_PG is another server).
cpu_ticks() {
  local pg=0 p master
  if [ -n "$pg_own" ]; then
    master=$(head -1 "$pg_own/postmaster.pid")
    for p in "$master" $(pgrep -P "$master"); do
      pg=$((pg + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true) + 0))
    done
  fi
  echo "$(awk '{ print $14 + $15 }' "/proc/$server/stat") $pg"
}

# CPU milliseconds per request of the server and of PostgreSQL between two cpu_ticks, the
# requests counted by the server's load stage between two stage_totals: "server_ms pg_ms".
cpu_means() {
  awk -v a="$1" -v b="$2" -v s="$3" -v t="$4" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(a, x); split(b, y); split(s, m); split(t, n); r = n[2] - m[2]
    if (r <= 0) r = 1
    printf "%.3f %.3f\n", 1000 * (y[1] - x[1]) / hz / r, 1000 * (y[2] - x[2]) / hz / r }'
}

database_url() {
  case $1 in
    postgres) echo "$PG/asn_bench" ;;
    sqlite) echo "sqlite://$WORK/bench.db" ;;
  esac
}

fresh_database() {
  local backend=$1 url=$2
  # Which server holds the data is part of what a marker says (the port).
  local ready=$WORK/$backend.$SIZE.ready
  [ "$backend" = postgres ] && ready=$WORK/$backend.$SIZE.${PG##*:}.ready
  if [ -n "$REUSE" ] && [ -f "$ready" ]; then return; fi
  rm -f "$WORK/$backend".*.ready
  case $backend in
    postgres)
      psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS asn_bench" -c "CREATE DATABASE asn_bench" ;;
    sqlite) rm -f "$WORK"/bench.db* ;;
  esac
  local started=$SECONDS
  DATABASE_URL=$url "$BIN" gen-data --asn "$ASN" --sanctions "$SANCTIONS" --blocks "$BLOCKS" \
    --nips-out "$WORK/nips.txt" --nips-every $((ASN / 10000 > 0 ? ASN / 10000 : 1)) >&2
  echo "gen-data ($backend): $((SECONDS - started)) s" >&2
  # PostgreSQL's autovacuum would otherwise pass over the 4.5 M rows just inserted while the
  # runs measure (in one run of 2026-12-04 its pass over asn ended 45 s into them). A
  # registry in service was vacuumed long ago.
  if [ "$backend" = postgres ]; then
    started=$SECONDS
    psql "$url" -qc "VACUUM (ANALYZE)"
    echo "VACUUM (ANALYZE) (postgres): $((SECONDS - started)) s" >&2
  fi
  touch "$ready"
}

start_server() {
  DATABASE_URL=$1 ASN_BIND=127.0.0.1:$PORT "$BIN" serve >"$WORK/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && return
    sleep 0.1
  done
  echo "the server did not become ready; see $WORK/server.log" >&2
  exit 1
}

stop_server() {
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
}

rows=()
stage_rows=()
for backend in $BACKENDS; do
  url=$(database_url "$backend")
  fresh_database "$backend" "$url"
  # Nothing of the load or of the backend before still being written out while this runs
  # (with 4 GB of shared_buffers PostgreSQL's checkpointer otherwise writes for minutes).
  [ -n "$pg_own" ] && psql "$PG/postgres" -qc CHECKPOINT
  sync
  start_server "$url"
  TOKEN=$(DATABASE_URL=$url "$BIN" token --scope "eligibility:read" --ttl 1h)
  export TOKEN NIPS=$WORK/nips.txt
  read -r live_rps live_p50 live_p99 _ < <(wrk_run "$CONNECTIONS" "http://127.0.0.1:$PORT/health/live")
  before_get=$(stage_totals) cpu_before_get=$(cpu_ticks)
  read -r get_rps get_p50 get_p99 get_bad < <(wrk_run "$CONNECTIONS" -s benches/wrk/eligibility.lua "http://127.0.0.1:$PORT")
  after_get=$(stage_totals) cpu_after_get=$(cpu_ticks)
  read -r _ _ open_bad open_p50 open_p99 _ open_rps < <(RATE=$((get_rps / 2)) SECONDS=$SECONDS_EACH \
    URL="http://127.0.0.1:$PORT" "$OPEN_LOOP")
  after_open=$(stage_totals) cpu_after_open=$(cpu_ticks)
  read -r batch_rps batch_p50 batch_p99 batch_bad < <(wrk_run 1 -s benches/wrk/batch.lua "http://127.0.0.1:$PORT")
  after_batch=$(stage_totals) cpu_after_batch=$(cpu_ticks)
  stage_rows+=("$backend GET $(stage_means "$before_get" "$after_get") $(cpu_means \
    "$cpu_before_get" "$cpu_after_get" "$before_get" "$after_get")")
  stage_rows+=("$backend GET-open-loop $(stage_means "$after_get" "$after_open") $(cpu_means \
    "$cpu_after_get" "$cpu_after_open" "$after_get" "$after_open")")
  stage_rows+=("$backend batch-1000 $(stage_means "$after_open" "$after_batch") $(cpu_means \
    "$cpu_after_open" "$cpu_after_batch" "$after_open" "$after_batch")")
  rss=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status")
  stop_server
  if [ "$get_bad" -gt 0 ] || [ "$batch_bad" -gt 0 ] || [ "$open_bad" -gt 0 ]; then
    echo "FAILED: $get_bad eligibility, $open_bad open-loop and $batch_bad batch responses were not 2xx (see $WORK/wrk.log)" >&2
    exit 1
  fi
  rows+=("$backend $live_rps $live_p50 $live_p99 $get_rps $get_p50 $get_p99 $batch_rps $batch_p50 $batch_p99 $rss $open_rps $open_p50 $open_p99")
done

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS pgbench_bench" -c "CREATE DATABASE pgbench_bench"
pgbench -q -i -s 10 "$PG/pgbench_bench" >/dev/null 2>&1
pg_tps=$(pgbench -S -M prepared -c 8 -j 2 -T "$SECONDS_EACH" "$PG/pgbench_bench" 2>/dev/null |
  awk '/^tps/ { printf "%.0f", $3 }')

echo
echo "$(date -u +%F), $(nproc) cores, $ASN ASN / $SANCTIONS sanctions / $BLOCKS blocks, wrk -t2 -c$CONNECTIONS ${SECONDS_EACH}s; pgbench -S -M prepared -c 8: $pg_tps tps"
echo
echo "| backend | /health/live req/s | eligibility GET req/s | GET p50 / p99 ms | GET ÷ live | GET ÷ pgbench -S | open loop at ½: req/s, p50 / p99 ms | batch of 1000 p50 / p99 ms | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  read -r backend live_rps _ _ get_rps get_p50 get_p99 _ batch_p50 batch_p99 rss open_rps open_p50 open_p99 <<<"$row"
  awk -v b="$backend" -v l="$live_rps" -v g="$get_rps" -v p50="$get_p50" -v p99="$get_p99" \
      -v pg="$pg_tps" -v b50="$batch_p50" -v b99="$batch_p99" -v rss="$rss" \
      -v o="$open_rps" -v o50="$open_p50" -v o99="$open_p99" 'BEGIN {
    printf "| %s | %d | %d | %.1f / %.1f | %.1f %% | %s | %d, %.1f / %.1f | %.0f / %.0f | %d MiB |\n",
      b, l, g, p50, p99, 100 * g / l, (b == "postgres" ? sprintf("%.1f %%", 100 * g / pg) : "—"),
      o, o50, o99, b50, b99, rss }'
done

# Where a check's time goes, from the server's own stage histograms (mean per request; a
# GET waits in `store` for its group's commit, a batch writes its rows in its transaction),
# and the CPU a request costs the server and PostgreSQL (2 cores: at saturation the two add
# up to 2000 ms per second of requests, wrk's share aside).
echo
echo "| backend | requests | load ms | evaluate ms | sign ms | store ms | server CPU ms | PostgreSQL CPU ms |"
echo "|---|---|---|---|---|---|---|---|"
for row in "${stage_rows[@]}"; do
  read -r backend what load evaluate sign store cpu_server cpu_pg <<<"$row"
  [ "$backend" = sqlite ] && cpu_pg="—"
  echo "| $backend | $what | $load | $evaluate | $sign | $store | $cpu_server | $cpu_pg |"
done

# The targets (issue 16), each with pass or fail; the run fails when the server's peak RSS
# passed 200 MB on either backend (memory is a limit, the rest are goals being worked on).
echo
# One column per backend this run measured, in the order it measured them.
header="| target |" rule="|---|"
for row in "${rows[@]}"; do
  header+=" ${row%% *} |" rule+="---|"
done
echo "$header"
echo "$rule"
over=0
verdicts() {
  local name=$1 expr=$2
  local out="| $name |"
  for row in "${rows[@]}"; do
    read -r backend live_rps _ _ get_rps get_p50 get_p99 _ batch_p50 batch_p99 rss _ _ open_p99 <<<"$row"
    out+=" $(awk -v b="$backend" -v l="$live_rps" -v g="$get_rps" -v p99="$get_p99" -v pg="$pg_tps" \
      -v b50="$batch_p50" -v rss="$rss" -v o99="$open_p99" "BEGIN { print ($expr) ? \"pass\" : \"fail\" }") |"
  done
  echo "$out"
}
verdicts "PostgreSQL GET ≥ 15 % of pgbench -S; SQLite GET ≥ 10 % of live" \
  'b == "postgres" ? g >= 0.15 * pg : g >= 0.10 * l'
verdicts "GET p99 ≤ 20 ms at $CONNECTIONS connections" 'p99 <= 20'
verdicts "GET p99 ≤ 5 ms open-loop at half the rate wrk reached" 'o99 <= 5'
verdicts "batch of 1000 p50 ≤ 50 ms" 'b50 <= 50'
verdicts "peak RSS ≤ 200 MB" 'rss * 1048576 <= 200000000'
for row in "${rows[@]}"; do
  read -r backend _ _ _ _ _ _ _ _ _ rss _ <<<"$row"
  if [ $((rss * 1048576)) -gt 200000000 ]; then
    echo "FAILED: the $backend server's peak RSS was $rss MiB, over 200 MB" >&2
    over=1
  fi
done
exit $over
