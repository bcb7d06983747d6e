#!/usr/bin/env bash
# Chat benchmarks in one run each: interact (Release, as shipped, on a private PostgreSQL and Redis) and, as the peer,
# a plain Node.js `ws` broadcast server (peer.js). ChatBench (a light raw-socket client) opens N connections in one
# room over 127.0.x.y source addresses.
#   idle   [connections=10000]                      server RSS per idle connection, interact and node
#   fanout [connections=15000] [messages/s=10] [seconds=20]
#          R messages/s, each carrying its send timestamp, into the room (into interact through POST /internal/push to
#          the room: the same serialise-once room broadcast a danmaku takes, without one user's rate limit); delivered
#          messages/s, p50/p99 latency, server CPU
#   (a number first means fanout, as before)
# The server side (interact or node, with PostgreSQL and Redis) is pinned to CPU $SERVER_CPU (default 0) and the
# load generator to CPU $LOAD_CPU (default 1); PIN=0 leaves both unpinned. Run it under the shared lock:
#   flock /tmp/livemicro-bench.lock bench/chat/run.sh fanout
# PEERS="interact" (or "node") runs one side only. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=fanout
case "${1:-}" in idle|fanout) MODE="$1"; shift ;; esac
DEFAULT_CONNECTIONS=15000; [ "$MODE" = idle ] && DEFAULT_CONNECTIONS=10000
CONNECTIONS="${1:-$DEFAULT_CONNECTIONS}" RATE="${2:-10}" SECONDS_="${3:-20}"
SERVER_CPU="${SERVER_CPU:-0}" LOAD_CPU="${LOAD_CPU:-1}"
ON_SERVER=(taskset -c "$SERVER_CPU") ON_LOAD=(taskset -c "$LOAD_CPU")
[ "${PIN:-1}" = 0 ] && { ON_SERVER=(); ON_LOAD=(); }
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
"${ON_SERVER[@]}" "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK -c fsync=off" start >/dev/null
"${ON_SERVER[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --maxclients 1000 >"$WORK/redis.log" 2>&1 &
PIDS+=($!)

export ConnectionStrings__InteractDb="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=interact"
export ConnectionStrings__Redis="127.0.0.1:$REDIS_PORT"
export Jwt__JwksUrl="http://127.0.0.1:9/unused-by-guests" Logging__LogLevel__Default=Warning EventBus__ServiceName=interact
(cd services/interact/bin/Release/net10.0 && exec "${ON_SERVER[@]}" dotnet LiveMicro.Interact.dll --urls "http://127.0.0.1:$INTERACT_PORT") \
  >"$WORK/interact.log" 2>&1 &
INTERACT_PID=$!
PIDS+=($INTERACT_PID)
ready=no
for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$INTERACT_PORT/health/ready" && { ready=yes; break; }; sleep 0.2; done
[ "$ready" = yes ] || { echo "interact did not get ready:" >&2; tail -30 "$WORK/interact.log" >&2; exit 1; }
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d interact -c \
  "INSERT INTO rooms VALUES (1, 1, 'bench anchor', 'bench', 'live', now()) ON CONFLICT DO NOTHING"

"${ON_SERVER[@]}" node bench/chat/peer.js "$NODE_PORT" >"$WORK/node.log" 2>&1 &
NODE_PID=$!
PIDS+=($NODE_PID)
sleep 1

BENCH=bench/chat/ChatBench/bin/Release/net10.0/LiveMicro.Bench.Chat.dll
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
PEERS="${PEERS:-interact node}"
if [[ " $PEERS " == *" interact "* ]]; then
echo "== interact ($MODE, $(date -u +%FT%TZ), pinned: ${ON_SERVER[*]:-no} / ${ON_LOAD[*]:-no})"
"${ON_LOAD[@]}" dotnet "$BENCH" "$MODE" 127.0.0.1 "$INTERACT_PORT" /ws/chat/1 "http://127.0.0.1:$INTERACT_PORT/internal/push" \
  "$CONNECTIONS" "$RATE" "$SECONDS_" "$INTERACT_PID" interact
fi
if [[ " $PEERS " == *" node "* ]]; then
echo "== node ws peer ($MODE)"
"${ON_LOAD[@]}" dotnet "$BENCH" "$MODE" 127.0.0.1 "$NODE_PORT" / "http://127.0.0.1:$NODE_PORT/send" \
  "$CONNECTIONS" "$RATE" "$SECONDS_" "$NODE_PID" node
fi
