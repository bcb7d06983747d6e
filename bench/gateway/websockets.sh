#!/usr/bin/env bash
# Memory per proxied WebSocket, gateway beside nginx: N idle chat WebSockets (default 3000) opened through each proxy
# to the echo backend's chat, and the proxy's resident memory before and after, per connection. The gateway runs with
# its own socket loops and with Kestrel's socket transport (SocketLoop:Enabled=false). Traffic stays on 127.0.0.1.
# Usage: bench/gateway/websockets.sh [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-3000}"
BACKEND_PORT=18281 NGINX_PORT=18282 GATEWAY_PORT=18283

source bench/gateway/common.sh

Logging__LogLevel__Default=Warning dotnet bench/gateway/EchoBackend/bin/Release/net10.0/LiveMicro.Bench.EchoBackend.dll \
  --urls "http://127.0.0.1:$BACKEND_PORT" >"$WORK/backend.log" 2>&1 &
PIDS+=($!)

# open N WebSockets through the proxy on $1 whose memory is that of process $2; prints KB per WebSocket
measure() {
  python3 - "$1" "$2" "$N" <<'PY'
import socket, sys, time
port, pid, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def rss(): return int(open(f"/proc/{pid}/status").read().split("VmRSS:")[1].split()[0])
def upgrade(i):
    s = socket.socket(); s.connect(("127.0.0.1", port))
    s.sendall(f"GET /ws/chat/r{i % 50} HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    return s
def opened(sockets): return sum(1 for s in sockets if s.recv(4096).startswith(b"HTTP/1.1 101"))
warm = [upgrade(i) for i in range(100)]
assert opened(warm) == 100, "the proxy did not upgrade"
time.sleep(2)
before = rss()
sockets = [upgrade(i) for i in range(n)]
ok = opened(sockets)
time.sleep(3)
after = rss()
print(f"{ok}/{n} open, {(after - before) / n:.1f} KB each (RSS {before} -> {after} KB)")
PY
}

start_nginx "$(cat <<NGINX
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://127.0.0.1:$BACKEND_PORT;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout 1h;
    }
  }
NGINX
)"
sleep 1
printf 'nginx              %s\n' "$(measure "$NGINX_PORT" "$(pgrep -P "${PIDS[1]}" | head -1)")"

for loop in true false; do
  Logging__LogLevel__Default=Warning Urls="http://127.0.0.1:$GATEWAY_PORT" ConnectionStrings__Redis="127.0.0.1:1" \
  Discovery__Etcd__Endpoint="" SocketLoop__Enabled=$loop RateLimits__Policies__websocket__PermitLimit=1000000 \
  ReverseProxy__Clusters__interact__HealthCheck__Active__Enabled=false \
  env "ReverseProxy__Clusters__interact__Destinations__interact-1__Address=http://127.0.0.1:$BACKEND_PORT" \
    dotnet services/gateway/bin/Release/net10.0/LiveMicro.Gateway.dll --contentRoot "$PWD/services/gateway/bin/Release/net10.0" \
    >"$WORK/gateway.log" 2>&1 &
  GATEWAY=$!
  PIDS+=($GATEWAY)
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/health/live" && break; sleep 0.1; done
  printf 'gateway loops=%-5s %s\n' "$loop" "$(measure "$GATEWAY_PORT" "$GATEWAY")"
  kill "$GATEWAY"; wait "$GATEWAY" 2>/dev/null || true
done
