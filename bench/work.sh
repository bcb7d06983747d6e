# Sourced by the benchmark scripts. bench_work NAME makes WORK, a scratch directory, and PIDS, for the processes a
# script starts; on exit they are killed, bench_before_removal runs when the script defines one, and WORK goes.
bench_work() {
  WORK="$(mktemp -d "/tmp/livemicro-bench-$1.XXXXXX")"
  PIDS=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if declare -F bench_before_removal >/dev/null; then bench_before_removal; fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
