#!/usr/bin/env bash
# The floor under the chat fan-out on this machine: what one small send over loopback costs with no server code in
# the way (loopback_floor.c: a sender pinned to CPU 0 writes 120 bytes to each of N connections in turn, a reader
# pinned to CPU 1 reads them through epoll, waiting or spinning). Prints microseconds per send and what one pass
# over 15,000 connections would take. N defaults to 9,000: both ends of every connection live in this one process,
# and a process may hold 20,000 open files here. Run it under the exclusive benchmark lock:
#   flock /tmp/livemicro-bench.lock bench/chat/floor/run.sh [connections=9000]
set -euo pipefail
cd "$(dirname "$0")"
CONNECTIONS="${1:-9000}"
command -v gcc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
WORK="$(mktemp -d /tmp/livemicro-bench-floor.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
gcc -O2 -Wall -Wextra -o "$WORK/loopback_floor" loopback_floor.c -lpthread
for reader in wait spin; do
  "$WORK/loopback_floor" "$CONNECTIONS" "$reader" "${SERVER_CPU:-0}" "${LOAD_CPU:-1}"
done
