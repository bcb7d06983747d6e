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
