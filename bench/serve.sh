# Sourced by the benchmarks that talk to a running service:
#   serve PORT MODELS_DIR DLL [service options...]
# starts the service on 127.0.0.1:PORT in the background (its pid in $service, stopped on exit) and
# returns once every model has loaded or failed: ready answers with one model, and the benchmarks want all.
serve() {
  local port=$1 models=$2 dll=$3
  shift 3
  # The allocator the service runs with everywhere (scripts/common.sh).
  MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" dotnet "$dll" --urls "http://127.0.0.1:$port" \
    --Models:Directory="$PWD/$models" --Serilog:MinimumLevel:Default=Warning "$@" &
  service=$!
  trap 'kill $service 2>/dev/null || true' EXIT
  local listing
  # The first start measures every model's thread settings: minutes on two cores.
  for _ in $(seq 600); do
    listing=$(curl -fsS "http://127.0.0.1:$port/models" 2>/dev/null || true)
    [ -n "$listing" ] && ! grep -q '"status":"loading"' <<<"$listing" && return 0
    sleep 1
  done
  echo "error: the service on port $port did not load its models in 10 minutes" >&2
  return 1
}
