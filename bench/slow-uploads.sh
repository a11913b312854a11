#!/usr/bin/env bash
# Slow uploads against the normal clients (issue 20's first "Done when"): after 10 s of warm-up, 4 clients sending
# the 224 px photo for 20 s alone, 20 s beside 16 clients each uploading a 2 MP photo (about 300 kB) at 300 bytes/s, and 20 s alone
# again, with two explanation slots as on a 2-core pod and the default admission queue (a request waits while its
# predicted wait fits Cam:MaxQueueWaitSeconds), so that the 4 normal clients are not refused for their own sake and
# every refusal is the slow uploads' doing. Prints the phases and the ratios, and
# exits 1 unless the normal clients keep at least 0.9 of their throughput, a p99 within 1.2 times, and get no more
# refusals.
#   bench/slow-uploads.sh [--seconds 20] [--clients 4] [--slow-uploads 16] [--slow-rate 300]
#                         [--service PATH/TO/CamService.dll] [service arguments, e.g. --Cam:Upload:TimeoutSeconds=20]
# --service measures another build (e.g. a worktree of an earlier commit) the same way; see bench/load.sh.
set -euo pipefail
seconds=20 clients=4 slow=16 rate=300
rest=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=${2:?--seconds needs a value}; shift 2 ;;
    --clients) clients=${2:?--clients needs a value}; shift 2 ;;
    --slow-uploads) slow=${2:?--slow-uploads needs a value}; shift 2 ;;
    --slow-rate) rate=${2:?--slow-rate needs a value}; shift 2 ;;
    *) rest+=("$1"); shift ;;
  esac
done
exec "$(dirname "$0")/load.sh" --clients "$clients" --seconds "$seconds" --warmup 10 --soak 0 --slow-uploads "$slow" --slow-rate "$rate" \
  --Cam:MaxConcurrentRequests=2 "${rest[@]}"
