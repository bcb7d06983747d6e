#!/usr/bin/env bash
# RTMP fan-out, LiveMicro's rtmp service vs nginx-rtmp (Debian's libnginx-mod-rtmp, worker_processes 1), in one run:
# the same 600 kbit/s H.264 + AAC source (2 s GOP, encoded once beforehand, then sent in real time, looping, by
# LoadClient's publish mode) is published to each server, and N light players (bench/rtmp/LoadClient: read RTMP or
# HTTP-FLV and discard; all but 20 latency probes are read by one epoll thread) play it. Each server is pinned to core 0;
# publisher, load generator and the live-service stand-in share core 1. For every N the script reads the server's and
# the load generator's CPU time from /proc/PID/stat over a steady window, the server's RSS, the bitrate the slowest 5 %
# of players received and the publish-to-arrival latency of 20 of them; then 100 late joiners report their time to
# first frame. Traffic stays on 127.0.0.1; everything started here is stopped on exit.
# Usage: bench/rtmp/run.sh            (COUNTS="250 1000 1500" WARMUP=8 WINDOW=15 by default; FLV=1 adds HTTP-FLV;
#        SERVERS="livemicro nginx" picks the servers; MERGE_WINDOW=0.080 overrides LiveMicro's Rtmp:MergeWindow, seconds;
#        TTFF=100 late joiners measure time to first frame after each server's counts, 0 skips them;
#        READ_INTERVAL_MS=10 makes the players read every 10 ms instead of as soon as data arrives, see EpollPlayers)
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNTS="${COUNTS:-250 1000 1500}" WARMUP="${WARMUP:-8}" WINDOW="${WINDOW:-15}" FLV="${FLV:-0}" SERVERS="${SERVERS:-livemicro nginx}" TTFF="${TTFF:-100}"
MERGE_WINDOW="${MERGE_WINDOW:-}"
export READ_INTERVAL_MS="${READ_INTERVAL_MS:-0}"
RTMP_PORT=19350 HTTP_PORT=19351 NGINX_PORT=19352 AUTH_PORT=19353
TICKS="$(getconf CLK_TCK)"

if [ ! -e /usr/lib/nginx/modules/ngx_rtmp_module.so ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-rtmp >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

dotnet build -c Release -warnaserror -v quiet -nologo services/rtmp/LiveMicro.Rtmp.csproj >/dev/null
dotnet build -c Release -warnaserror -v quiet -nologo bench/rtmp/LoadClient/LiveMicro.Bench.RtmpLoad.csproj >/dev/null
LOAD=bench/rtmp/LoadClient/bin/Release/net10.0/LiveMicro.Bench.RtmpLoad.dll

source bench/work.sh
bench_work rtmp

# 600 kbit/s in all: 536k video (640x360, 25 fps, keyframe every 50 frames) + 64k AAC.
ffmpeg -hide_banner -v error -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine=frequency=1000:sample_rate=44100 -t 120 \
  -c:v libx264 -preset veryfast -b:v 536k -maxrate 536k -bufsize 1072k -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p \
  -c:a aac -b:a 64k -f flv "$WORK/source.flv"

# The live service's authorize contract, for one key.
taskset -c 1 python3 - "$AUTH_PORT" >"$WORK/auth.log" 2>&1 <<'PY' &
import http.server, json, sys
class Authorize(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        ok = body.get("streamKey") == "benchkey"
        out = b'{"roomId":1,"streamName":"bench"}' if ok else b"{}"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Authorize).serve_forever()
PY
PIDS+=($!)

# LiveMicro as shipped, minus HLS (nginx-rtmp runs without hls too) and with no Redis (events are retried and dropped).
env ${MERGE_WINDOW:+Rtmp__MergeWindow="00:00:$(printf '%06.3f' "$MERGE_WINDOW")"} \
Logging__LogLevel__Default=Warning \
Rtmp__Port=$RTMP_PORT Rtmp__HttpPort=$HTTP_PORT Rtmp__ListenAddress=127.0.0.1 \
Rtmp__LiveServiceUrl="http://127.0.0.1:$AUTH_PORT" Hls__Enabled=false ConnectionStrings__Redis="127.0.0.1:1" \
DOTNET_gcServer=0 taskset -c 0 dotnet services/rtmp/bin/Release/net10.0/LiveMicro.Rtmp.dll \
  --contentRoot "$PWD/services/rtmp/bin/Release/net10.0" >"$WORK/livemicro.log" 2>&1 &
LIVEMICRO_PID=$!
PIDS+=($LIVEMICRO_PID)

mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
worker_rlimit_nofile 16384;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 8192; }
rtmp {
  server {
    listen 127.0.0.1:$NGINX_PORT;
    chunk_size 4096;
    application live { live on; }
  }
}
NGINX
taskset -c 0 "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx.log" 2>&1 &
NGINX_MASTER=$!
PIDS+=($NGINX_MASTER)
sleep 2
NGINX_WORKER="$(pgrep -P "$NGINX_MASTER" | head -1)"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

run() { # label pid publish-url play-url
  local label=$1 pid=$2
  # The publisher is LoadClient's publish mode (real time, looping, like ffmpeg -re -stream_loop -1 -c copy), which
  # logs when it sent each video frame, so the players can report publish-to-arrival latency.
  taskset -c 1 dotnet "$LOAD" publish "$WORK/source.flv" "$3" "$WORK/sent-$label.log" >"$WORK/publish-$label.log" 2>&1 &
  local publisher=$!
  PIDS+=($publisher)
  sleep 4
  for players in $COUNTS; do
    SENDLOG="$WORK/sent-$label.log" taskset -c 1 dotnet "$LOAD" "$4" "$players" "$WARMUP" "$WINDOW" >"$WORK/load.out" 2>&1 &
    local load=$!
    sleep "$WARMUP"
    local before; before=$(cpu_ticks "$pid")
    local load_before; load_before=$(cpu_ticks "$load")
    sleep "$WINDOW"
    local after; after=$(cpu_ticks "$pid")
    local load_after; load_after=$(cpu_ticks "$load")
    local rss; rss=$(rss_mb "$pid")
    wait "$load" || true
    local result; result=$(tail -1 "$WORK/load.out")
    awk -v l="$label" -v n="$players" -v b="$before" -v a="$after" -v lb="$load_before" -v la="$load_after" -v t="$TICKS" -v w="$WINDOW" -v r="$rss" -v res="$result" 'BEGIN {
      cpu = (a - b) / t / w * 100
      printf "%-14s | %7d | %8.1f | %14.4f | %7s | %11.1f | %s\n", l, n, cpu, cpu / n, r, (la - lb) / t / w * 100, res }'
  done
  if [ "$TTFF" -gt 0 ] && [ "${4#rtmp}" != "$4" ]; then
    # Late joiners on the otherwise idle stream, 40 ms apart (every phase of the 2 s GOP), side by side.
    printf '%-14s | ttff    | %s\n' "$label" "$(taskset -c 1 dotnet "$LOAD" ttff "$4" "$TTFF" 40 2>&1 | tail -1)"
  fi
  kill "$publisher" 2>/dev/null || true
  wait "$publisher" 2>/dev/null || true
}

printf '%s, %s s window after %s s warm-up, %s\n' "$(date -u +%Y-%m-%d)" "$WINDOW" "$WARMUP" "$(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
printf '%-14s | %7s | %8s | %14s | %7s | %11s | %s\n' server players "CPU %" "CPU % / player" "RSS MB" "load CPU %" "players' received bitrate (kbit/s), publish-to-arrival latency of up to 20 players"
printf '# LiveMicro merge window: %s; players read every %s ms\n' "${MERGE_WINDOW:-default (appsettings)}" "$READ_INTERVAL_MS"
case " $SERVERS " in *" livemicro "*)
  run livemicro-rtmp "$LIVEMICRO_PID" "rtmp://127.0.0.1:$RTMP_PORT/live/benchkey" "rtmp://127.0.0.1:$RTMP_PORT/live/bench"
  if [ "$FLV" = 1 ]; then
    run livemicro-flv "$LIVEMICRO_PID" "rtmp://127.0.0.1:$RTMP_PORT/live/benchkey" "http://127.0.0.1:$HTTP_PORT/live/bench.flv"
  fi ;;
esac
case " $SERVERS " in *" nginx "*)
  run nginx-rtmp "$NGINX_WORKER" "rtmp://127.0.0.1:$NGINX_PORT/live/bench" "rtmp://127.0.0.1:$NGINX_PORT/live/bench" ;;
esac
