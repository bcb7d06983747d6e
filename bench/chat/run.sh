#!/usr/bin/env bash
# Danmaku fan-out in one run: interact (Release, as shipped, on a private PostgreSQL and Redis) and, as the peer, a
# plain Node.js `ws` broadcast server (peer.js). ChatBench opens N connections in one room over 127.0.0.x source
# addresses and sends R messages/s, each carrying its send timestamp (into interact through POST /internal/push to
# the room: the same serialise-once room broadcast a danmaku takes, without one user's rate limit).
# Usage: bench/chat/run.sh [connections=15000] [messages/s=10] [seconds=20]. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNECTIONS="${1:-15000}" RATE="${2:-10}" SECONDS_="${3:-20}"
PG_PORT=18432 REDIS_PORT=18379 INTERACT_PORT=18504 NODE_PORT=18505
ulimit -n 20000

command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server postgresql >/dev/null; }
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
(cd bench/chat && npm install --no-audit --no-fund --silent)
dotnet build -c Release -warnaserror -v quiet -nologo services/interact/LiveMicro.Interact.csproj >/dev/null
dotnet build -c Release -warnaserror -v quiet -nologo bench/chat/ChatBench/LiveMicro.Bench.Chat.csproj >/dev/null

WORK="$(mktemp -d /tmp/livemicro-bench-chat.XXXXXX)"
chmod 777 "$WORK"
PIDS=()
AS_PG=(); [ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"${AS_PG[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust --no-sync >/dev/null
"${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK -c fsync=off" start >/dev/null
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --maxclients 1000 >"$WORK/redis.log" 2>&1 &
PIDS+=($!)

export ConnectionStrings__InteractDb="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=interact"
export ConnectionStrings__Redis="127.0.0.1:$REDIS_PORT"
export Jwt__JwksUrl="http://127.0.0.1:9/unused-by-guests" Logging__LogLevel__Default=Warning EventBus__ServiceName=interact
(cd services/interact/bin/Release/net10.0 && exec dotnet LiveMicro.Interact.dll --urls "http://127.0.0.1:$INTERACT_PORT") \
  >"$WORK/interact.log" 2>&1 &
INTERACT_PID=$!
PIDS+=($INTERACT_PID)
ready=no
for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$INTERACT_PORT/health/ready" && { ready=yes; break; }; sleep 0.2; done
[ "$ready" = yes ] || { echo "interact did not get ready:" >&2; tail -30 "$WORK/interact.log" >&2; exit 1; }
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d interact -c \
  "INSERT INTO rooms VALUES (1, 1, 'bench anchor', 'bench', 'live', now()) ON CONFLICT DO NOTHING"

node bench/chat/peer.js "$NODE_PORT" >"$WORK/node.log" 2>&1 &
NODE_PID=$!
PIDS+=($NODE_PID)
sleep 1

BENCH=bench/chat/ChatBench/bin/Release/net10.0/LiveMicro.Bench.Chat.dll
echo "== interact"
dotnet "$BENCH" "ws://127.0.0.1:$INTERACT_PORT" "http://127.0.0.1:$INTERACT_PORT/internal/push" 1 \
  "$CONNECTIONS" "$RATE" "$SECONDS_" "$INTERACT_PID"
echo "== node ws peer"
dotnet "$BENCH" "ws://127.0.0.1:$NODE_PORT" "http://127.0.0.1:$NODE_PORT/send" 1 \
  "$CONNECTIONS" "$RATE" "$SECONDS_" "$NODE_PID" node
