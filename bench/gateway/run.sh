#!/usr/bin/env bash
# Gateway vs nginx in one run: a tiny backend, nginx (proxy_pass, one worker) and the gateway (Release) in front of
# it, each proxy pinned to core 0 with the backend and wrk on core 1; wrk measures throughput (64 connections) and
# latency (1 connection) against the backend directly, through nginx and through the gateway. Each measurement runs
# REPEATS times (default 3), interleaved across the targets so drift on a shared machine hits all alike, and the
# median is printed. The gateway runs as shipped: its GC, JIT and socket settings are its own (csproj, Program.cs).
# Usage: bench/gateway/run.sh [seconds per measurement, default 10]; WARMUP= seconds of load per target before the
# first measurement (default 15). Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-10}"
REPEATS="${REPEATS:-3}"
WARMUP="${WARMUP:-15}"
BACKEND_PORT=18181 NGINX_PORT=18182 GATEWAY_PORT=18183

source bench/gateway/common.sh

wait_for() { # url
  for _ in $(seq 1 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "not answering: $1" >&2; cat "$WORK"/*.log >&2; exit 1
}

Logging__LogLevel__Default=Warning taskset -c 1 dotnet bench/gateway/EchoBackend/bin/Release/net10.0/LiveMicro.Bench.EchoBackend.dll \
  --urls "http://127.0.0.1:$BACKEND_PORT" >"$WORK/backend.log" 2>&1 &
PIDS+=($!)

start_nginx "$(cat <<NGINX
  upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 128; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # what the gateway adds to every request and response, so both proxies do the same work and the backend
      # reads the same fields from each
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$http_host;
      proxy_set_header X-Request-Id \$request_id;
      add_header X-Request-Id \$request_id;
    }
  }
NGINX
)" taskset -c 0

# the gateway as shipped (JWT, rate limiter, breaker, timeout, retry), with one extra anonymous route to the backend
Logging__LogLevel__Default=Warning \
Urls="http://127.0.0.1:$GATEWAY_PORT" \
ConnectionStrings__Redis="127.0.0.1:1" \
Discovery__Etcd__Endpoint="" \
ReverseProxy__Routes__bench__ClusterId=bench \
ReverseProxy__Routes__bench__Match__Path=/bench \
ReverseProxy__Routes__bench__AuthorizationPolicy=anonymous \
ReverseProxy__Routes__bench__RateLimiterPolicy=bench \
RateLimits__Policies__bench__PermitLimit=1000000000 \
ReverseProxy__Clusters__bench__Destinations__backend__Address="http://127.0.0.1:$BACKEND_PORT" \
  taskset -c 0 dotnet services/gateway/bin/Release/net10.0/LiveMicro.Gateway.dll \
  --contentRoot "$PWD/services/gateway/bin/Release/net10.0" >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)

wait_for "http://127.0.0.1:$BACKEND_PORT/bench"
wait_for "http://127.0.0.1:$NGINX_PORT/bench"
wait_for "http://127.0.0.1:$GATEWAY_PORT/bench"

measure() { # name port connections seconds -> "req/s p50 p99" (ms)
  taskset -c 1 wrk -t1 -c"$3" -d"$4"s --latency "http://127.0.0.1:$2/bench" | awk '
    /Requests\/sec/ { rps = $2 }
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }'
}

# Steady state is what is compared: under this load a cold gateway runs at about half speed for its first 6-12 s while
# the runtime recompiles its hot paths on the one core it shares with them (ReadyToRun does not shorten it; tiering
# off removes it but costs 10-35 % more CPU per request for good), so every target gets the same long warm-up first.
for port in $BACKEND_PORT $NGINX_PORT $GATEWAY_PORT; do measure warmup "$port" 64 "$WARMUP" >/dev/null; done

declare -A THROUGHPUT LATENCY
for _ in $(seq 1 "$REPEATS"); do
  for target in direct:$BACKEND_PORT nginx:$NGINX_PORT gateway:$GATEWAY_PORT; do
    THROUGHPUT[${target%%:*}]+="$(measure "${target%%:*}" "${target##*:}" 64 "$DURATION")"$'\n'
    LATENCY[${target%%:*}]+="$(measure "${target%%:*}" "${target##*:}" 1 "$DURATION")"$'\n'
  done
done

median() { # runs, one "req/s p50 p99" per line -> the run with the median of field $2
  sort -g -k"$2" <<<"$1" | sed '/^$/d' | awk '{ line[NR] = $0 } END { print line[int((NR + 1) / 2)] }'
}
for target in direct nginx gateway; do
  printf '%s c64 req/s: %s\n' "$target" "$(cut -d' ' -f1 <<<"${THROUGHPUT[$target]}" | xargs)"
  printf '%s c1 p50 ms: %s\n' "$target" "$(cut -d' ' -f2 <<<"${LATENCY[$target]}" | xargs)"
  THROUGHPUT[$target]="$(median "${THROUGHPUT[$target]}" 1)"
  LATENCY[$target]="$(median "${LATENCY[$target]}" 2)"
done

read -r _ direct_p50 _ <<<"${LATENCY[direct]}"
printf '%s, %s s per run after %s s warm-up, median of %s, %s\n' "$(date -u +%Y-%m-%d)" "$DURATION" "$WARMUP" "$REPEATS" "$(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
printf '%-8s | %12s | %12s | %12s | %12s | %14s\n' target "req/s (c64)" "p50 ms (c64)" "p99 ms (c64)" "p50 ms (c1)" "added p50 (c1)"
for target in direct nginx gateway; do
  read -r rps p50 p99 <<<"${THROUGHPUT[$target]}"
  read -r _ l50 _ <<<"${LATENCY[$target]}"
  printf '%-8s | %12s | %12s | %12s | %12s | %14s\n' "$target" "$rps" "$p50" "$p99" "$l50" \
    "$(awk -v a="$l50" -v b="$direct_p50" 'BEGIN { printf "%.3f", a - b }')"
done
