#!/usr/bin/env bash
# Chat benchmarks in one run each: interact (Release, as shipped, on a private PostgreSQL and Redis) and, as the peer,
# a plain Node.js `ws` broadcast server (peer.js). ChatBench (a light raw-socket client) opens N connections in one
# room over 127.0.x.y source addresses.
#   idle   [connections=10000]                      server RSS per idle connection, interact and node
#   fanout [connections=15000] [messages/s=10] [seconds=20]
#          R messages/s, each carrying its send timestamp, into the room (into interact through POST /internal/push to
#          the room: the same serialise-once room broadcast a danmaku takes, without one user's rate limit); delivered
#          messages/s, p50/p99 latency, server CPU
#   premium [rooms=1000] [viewers=19500] [gifts=5]
#          a premium gift goes to every room: guest viewers spread over the rooms, one signed-in sender (auth runs too)
#          sends G premium gifts one after the other; per gift the time from the request until the last viewer has it,
#          p50/p99 over the viewers, every viewer exactly once; server CPU and RSS. 19,500 viewers, not 20,000: interact
#          holds one open file per viewer plus about 445 of its own (100 pooled PostgreSQL connections, its assemblies
#          twice each), and the limit is 20,000 per process; at 19,555 viewers it ran out of descriptors and died.
#   hotroom [seconds=20] [senders=64] [viewers=100]
#          S senders, each with a wallet (some funded to run dry: 409s), send gifts into one room as fast as they can,
#          with retries of the same idempotency key; gifts/s, latency, then PASS/FAIL checks in PostgreSQL that no coin
#          was spent twice and every answer matches the ledger
#   (a number first means fanout, as before)
# The server side (interact or node, with PostgreSQL and Redis) is pinned to CPU $SERVER_CPU (default 0) and the
# load generator to CPU $LOAD_CPU (default 1); PIN=0 leaves both unpinned. Run it under the exclusive benchmark lock:
#   flock /tmp/livemicro-bench.lock bench/chat/run.sh fanout
# PEERS="interact" (or "node") runs one side only; KEEP_LOGS=<dir> keeps the servers' logs. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=fanout
case "${1:-}" in idle|fanout|premium|hotroom) MODE="$1"; shift ;; esac
DEFAULT_CONNECTIONS=15000; [ "$MODE" = idle ] && DEFAULT_CONNECTIONS=10000
CONNECTIONS="${1:-$DEFAULT_CONNECTIONS}" RATE="${2:-10}" SECONDS_="${3:-20}"
GIFTS=no; [ "$MODE" = premium ] || [ "$MODE" = hotroom ] && GIFTS=yes
SERVER_CPU="${SERVER_CPU:-0}" LOAD_CPU="${LOAD_CPU:-1}"
ON_SERVER=(taskset -c "$SERVER_CPU") ON_LOAD=(taskset -c "$LOAD_CPU")
[ "${PIN:-1}" = 0 ] && { ON_SERVER=(); ON_LOAD=(); }
PG_PORT=18432 REDIS_PORT=18379 INTERACT_PORT=18504 NODE_PORT=18505 AUTH_PORT=18501
ulimit -n 20000

command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server postgresql >/dev/null; }
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
(cd bench/chat && npm install --no-audit --no-fund --silent)
dotnet build -c Release -warnaserror -v quiet -nologo services/interact/LiveMicro.Interact.csproj >/dev/null
[ "$GIFTS" = yes ] && dotnet build -c Release -warnaserror -v quiet -nologo services/auth/LiveMicro.Auth.csproj >/dev/null
dotnet build -c Release -warnaserror -v quiet -nologo bench/chat/ChatBench/LiveMicro.Bench.Chat.csproj >/dev/null

source bench/work.sh
bench_work chat
chmod 777 "$WORK"
AS_PG=(); [ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)
bench_before_removal() {
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  # KEEP_LOGS=<dir> keeps the servers' logs (and the hot room's answers) for a look afterwards
  [ -n "${KEEP_LOGS:-}" ] && { mkdir -p "$KEEP_LOGS"; cp "$WORK"/*.log "$WORK"/*.csv "$KEEP_LOGS"/ 2>/dev/null || true; }
  return 0
}

"${AS_PG[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust --no-sync >/dev/null
"${ON_SERVER[@]}" "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK -c fsync=off -c max_connections=200" start >/dev/null
"${ON_SERVER[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --maxclients 1000 >"$WORK/redis.log" 2>&1 &
PIDS+=($!)

export ConnectionStrings__InteractDb="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=interact"
export ConnectionStrings__Redis="127.0.0.1:$REDIS_PORT"
export Jwt__JwksUrl="http://127.0.0.1:9/unused-by-guests" Logging__LogLevel__Default=Warning EventBus__ServiceName=interact
wait_ready() { # name port
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$2/health/ready" && return 0; sleep 0.2; done
  echo "$1 did not get ready:" >&2; tail -30 "$WORK/$1.log" >&2; exit 1
}
if [ "$GIFTS" = yes ]; then
  # signed-in senders: auth as shipped on its own database, and interact validating its tokens from auth's JWKS;
  # the development payment provider is how scripts/run and compose top up wallets too
  (cd services/auth/bin/Release/net10.0 && exec env -u Jwt__JwksUrl ConnectionStrings__AuthDb="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=auth" \
    EventBus__ServiceName=auth "${ON_SERVER[@]}" dotnet LiveMicro.Auth.dll --urls "http://127.0.0.1:$AUTH_PORT") >"$WORK/auth.log" 2>&1 &
  PIDS+=($!)
  wait_ready auth "$AUTH_PORT"
  export Jwt__JwksUrl="http://127.0.0.1:$AUTH_PORT/.well-known/jwks.json" Jwt__AllowHttpJwks=true Payments__DevelopmentProvider=true
fi
(cd services/interact/bin/Release/net10.0 && exec "${ON_SERVER[@]}" dotnet LiveMicro.Interact.dll --urls "http://127.0.0.1:$INTERACT_PORT") \
  >"$WORK/interact.log" 2>&1 &
INTERACT_PID=$!
PIDS+=($INTERACT_PID)
wait_ready interact "$INTERACT_PORT"
PSQL=(psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d interact)
if [ "$GIFTS" = no ]; then
  "${PSQL[@]}" -c "INSERT INTO rooms VALUES (1, 1, 'bench anchor', 'bench', 'live', now()) ON CONFLICT DO NOTHING"
else
  # the anchors are not the senders (auth numbers its users from 1): room N belongs to user 1,000,000 + N
  ROOMS=1; [ "$MODE" = premium ] && ROOMS="${1:-1000}"
  "${PSQL[@]}" -c "INSERT INTO rooms SELECT n, 1000000 + n, 'anchor ' || n, 'bench room ' || n, 'live', now()
    FROM generate_series(1, $ROOMS) n ON CONFLICT DO NOTHING"
fi

BENCH=bench/chat/ChatBench/bin/Release/net10.0/LiveMicro.Bench.Chat.dll
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
PINNED="pinned: ${ON_SERVER[*]:-no} / ${ON_LOAD[*]:-no}"
interact_problems() {
  echo "interact log: $(grep -ciE 'fail|exception|error' "$WORK/interact.log" || true) lines with fail/exception/error"
  grep -iE -m 5 'fail|exception|error' "$WORK/interact.log" || true
}

if [ "$MODE" = premium ]; then
  echo "== premium gift to every room ($(date -u +%FT%TZ), $PINNED)"
  status=0
  "${ON_LOAD[@]}" dotnet "$BENCH" premium "interact=http://127.0.0.1:$INTERACT_PORT" "auth=http://127.0.0.1:$AUTH_PORT" \
    "rooms=${1:-1000}" "viewers=${2:-19500}" "gifts=${3:-5}" "pid=$INTERACT_PID" "server-cpu=$SERVER_CPU" || status=$?
  interact_problems
  exit "$status"
fi

if [ "$MODE" = hotroom ]; then
  echo "== hot room ($(date -u +%FT%TZ), $PINNED)"
  status=0
  "${ON_LOAD[@]}" dotnet "$BENCH" hotroom "interact=http://127.0.0.1:$INTERACT_PORT" "auth=http://127.0.0.1:$AUTH_PORT" \
    room=1 "seconds=${1:-20}" "senders=${2:-64}" "viewers=${3:-100}" poor=$(( ${2:-64} / 4 )) "seed=${SEED:-1}" \
    "pid=$INTERACT_PID" "server-cpu=$SERVER_CPU" "answers=$WORK/answers.csv" "top-ups=$WORK/top-ups.csv" || status=$?
  [ -s "$WORK/answers.csv" ] || exit 1
  echo "== the database after the run (interact's tables; the bench's answers loaded beside them)"
  "${PSQL[@]}" -At -F ' ' <<SQL || status=$?
CREATE TEMP TABLE answers (sender_id bigint, key text, status int, transaction_id bigint, total_coins bigint);
\copy answers FROM '$WORK/answers.csv' CSV
CREATE TEMP TABLE paid_top_ups (user_id bigint, key text, amount bigint);
\copy paid_top_ups FROM '$WORK/top-ups.csv' CSV
CREATE TEMP VIEW paid AS SELECT * FROM answers WHERE status BETWEEN 200 AND 299;
CREATE TEMP VIEW senders AS SELECT DISTINCT user_id FROM paid_top_ups;
CREATE TEMP VIEW figures AS SELECT s.user_id,
    (SELECT coalesce(sum(amount), 0) FROM top_ups t WHERE t.user_id = s.user_id) AS topped_up,
    (SELECT coalesce(sum(amount), 0) FROM paid_top_ups p WHERE p.user_id = s.user_id) AS paid_for,
    (SELECT coalesce(sum(amount), 0) FROM ledger_entries l WHERE l.user_id = s.user_id AND l.kind = 'top_up') AS ledger_top_ups,
    (SELECT coalesce(-sum(amount), 0) FROM ledger_entries l WHERE l.user_id = s.user_id AND l.kind = 'gift_sent') AS debits,
    (SELECT coalesce(sum(total_coins), 0) FROM paid a WHERE a.sender_id = s.user_id) AS answered,
    (SELECT balance FROM wallets w WHERE w.user_id = s.user_id) AS balance
  FROM senders s;
SELECT CASE WHEN ok THEN 'PASS' ELSE 'FAIL' END, what FROM (
  SELECT count(*) = 0 AS ok, 'no negative balance or revenue (' || count(*) || ' wallets below 0)' AS what
    FROM wallets WHERE balance < 0 OR revenue < 0
  UNION ALL SELECT count(*) FILTER (WHERE topped_up - debits <> balance) = 0,
    'every sender: top-ups - ledger debits = balance (' || count(*) FILTER (WHERE topped_up - debits <> balance) || ' of '
    || count(*) || ' senders differ)' FROM figures
  UNION ALL SELECT count(*) FILTER (WHERE topped_up <> paid_for OR ledger_top_ups <> topped_up) = 0,
    'every sender: top-ups credited once per key, with their ledger entries (' || sum(topped_up) || ' coins in top_ups, '
    || sum(paid_for) || ' paid for, ' || sum(ledger_top_ups) || ' in the ledger)' FROM figures
  UNION ALL SELECT count(*) FILTER (WHERE debits <> answered) = 0,
    'every sender: ledger debits = coins of its 2xx answers (' || sum(debits) || ' debited, ' || sum(answered) || ' answered)'
    FROM figures
  UNION ALL SELECT w.revenue = coalesce(l.credits, 0) AND w.revenue = (SELECT coalesce(sum(total_coins), 0) FROM paid),
    'anchor revenue = ledger credits = coins of the 2xx answers (' || w.revenue || ', ' || coalesce(l.credits, 0) || ', '
    || (SELECT coalesce(sum(total_coins), 0) FROM paid) || ')'
    FROM wallets w LEFT JOIN (SELECT user_id, sum(amount) AS credits FROM ledger_entries WHERE kind = 'gift_received' GROUP BY user_id) l
      USING (user_id) WHERE w.user_id = 1000001
  UNION ALL SELECT sent = answered AND received = answered AND transactions = answered,
    'ledger entries = 2xx answers, distinct keys (' || sent || ' debits, ' || received || ' credits, ' || transactions
    || ' gift transactions, ' || answered || ' keys answered 2xx)'
    FROM (SELECT (SELECT count(*) FROM ledger_entries WHERE kind = 'gift_sent') AS sent,
                 (SELECT count(*) FROM ledger_entries WHERE kind = 'gift_received') AS received,
                 (SELECT count(*) FROM gift_transactions) AS transactions,
                 (SELECT count(*) FROM paid) AS answered) c
  UNION ALL SELECT count(*) = (SELECT count(*) FROM paid),
    'every 2xx answer is its key''s transaction, with its coins (' || count(*) || ' of ' || (SELECT count(*) FROM paid) || ')'
    FROM paid a JOIN gift_transactions g ON g.sender_id = a.sender_id AND g.idempotency_key = a.key
      AND g.id = a.transaction_id AND g.total_coins = a.total_coins
  UNION ALL SELECT count(*) = 0, 'a refused key left no transaction (' || count(*) || ' did)'
    FROM answers a JOIN gift_transactions g ON g.sender_id = a.sender_id AND g.idempotency_key = a.key
    WHERE a.status NOT BETWEEN 200 AND 299
  UNION ALL SELECT count(*) = 0, 'each transaction debited once, by its total (' || count(*) || ' transactions otherwise)'
    FROM gift_transactions g WHERE (SELECT count(*) FROM ledger_entries l WHERE l.gift_transaction_id = g.id AND l.kind = 'gift_sent'
      AND l.amount = -g.total_coins AND l.user_id = g.sender_id) <> 1
) checks;
SQL
  interact_problems
  exit "$status"
fi

"${ON_SERVER[@]}" node bench/chat/peer.js "$NODE_PORT" >"$WORK/node.log" 2>&1 &
NODE_PID=$!
PIDS+=($NODE_PID)
sleep 1

PEERS="${PEERS:-interact node}"
if [[ " $PEERS " == *" interact "* ]]; then
echo "== interact ($MODE, $(date -u +%FT%TZ), $PINNED)"
"${ON_LOAD[@]}" dotnet "$BENCH" "$MODE" 127.0.0.1 "$INTERACT_PORT" /ws/chat/1 "http://127.0.0.1:$INTERACT_PORT/internal/push" \
  "$CONNECTIONS" "$RATE" "$SECONDS_" "$INTERACT_PID" interact
fi
if [[ " $PEERS " == *" node "* ]]; then
echo "== node ws peer ($MODE)"
"${ON_LOAD[@]}" dotnet "$BENCH" "$MODE" 127.0.0.1 "$NODE_PORT" / "http://127.0.0.1:$NODE_PORT/send" \
  "$CONNECTIONS" "$RATE" "$SECONDS_" "$NODE_PID" node
fi
