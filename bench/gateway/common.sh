# Sourced by the gateway benchmarks: nginx and wrk installed when missing, the echo backend and the gateway built in
# Release, and a scratch directory with the processes to stop (bench/work.sh).
source "$(dirname "${BASH_SOURCE[0]}")/../work.sh"
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
dotnet build -c Release -warnaserror -v quiet -nologo bench/gateway/EchoBackend/LiveMicro.Bench.EchoBackend.csproj >/dev/null
dotnet build -c Release -warnaserror -v quiet -nologo services/gateway/LiveMicro.Gateway.csproj >/dev/null
bench_work gateway

# starts nginx with one worker and the given http block, pinned by the optional command before it (taskset ...)
start_nginx() { # http-block [command...]
  local http="$1"
  shift
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; }
http {
  access_log off;
$http
}
NGINX
  "$@" "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx.log" 2>&1 &
  PIDS+=($!)
}
