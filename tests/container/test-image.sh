#!/usr/bin/env bash
# The container test: builds docker/Dockerfile's CPU image and runs it as a deployment would.
#   tests/container/test-image.sh        (ContainerTests runs it; so does ./test.sh)
# 1. An engine: installs docker.io if there is no Docker, starts dockerd if none runs, and stops at
#    the end only the one it started.
# 2. Base images: the Dockerfile's defaults where they can be pulled, else stand-ins made here
#    (debootstrap from this machine's Debian archive, this machine's .NET), cached by what they are
#    made of and passed as build arguments; the Dockerfile itself is what a user builds.
# 3. Builds the CPU image and the CUDA target's .NET stage; runs the CPU image with a read-only
#    root file system on a loopback port of the host network, waits until Docker reports it
#    healthy, explains a real photo with the four default models (a transformer among them), checks the service runs as a
#    non-root user in an image without the SDK, PyTorch or curl, and stops it with SIGTERM, expecting
#    exit status 0.
# Exit status: 0 passed, 77 skipped (no Docker engine can run here; the reason is printed), else failed.
# Logs and the figures (image size, build and test time) go to artifacts/container-test/.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/common.sh

started=$(date +%s)
logs=$PWD/artifacts/container-test
rm -rf "$logs" && mkdir -p "$logs"
image=camservice:container-test
skip_status=77

skip() {
  printf '\nSKIPPED: no Docker engine can run here, so docker/Dockerfile is NOT built or run: %s\n' "$*" >&2
  exit $skip_status
}
fail() {
  printf '\nFAILED: %s\n' "$*" >&2
  exit 1
}
seconds_since() { echo $(( $(date +%s) - $1 )); }

# --- 1. A Docker engine --------------------------------------------------------------------------

if ! command -v dockerd >/dev/null && ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null || skip "no Docker engine, and no root to install docker.io"
  install_debian_packages docker.io || skip "docker.io cannot be installed"
fi
# BuildKit builds only the stages a target needs (the CPU target never pulls the CUDA image). Newer
# clients build with it through the buildx plugin; docker.io 20.10's client has it built in.
if docker buildx version >/dev/null 2>&1; then
  docker=(docker)
elif [ -x /usr/bin/docker ]; then
  docker=(env DOCKER_BUILDKIT=1 /usr/bin/docker)
else
  skip "no Docker client with BuildKit (neither the buildx plugin nor docker.io's client)"
fi

dockerd_pid=
container=
stop_engine() {
  [ -n "$container" ] && "${docker[@]}" rm -f "$container" >/dev/null 2>&1
  # What each run builds goes again (the images are some 5.5 GB, and CI runs share a disk); the
  # stand-in bases and a bounded build cache stay, so the next run builds from its restore layers.
  if "${docker[@]}" info >/dev/null 2>&1; then
    "${docker[@]}" image rm -f "$image" "$image-service-cuda" >/dev/null 2>&1 || true
    "${docker[@]}" image prune -f >/dev/null 2>&1 || true
    "${docker[@]}" builder prune -f --keep-storage 3GB >/dev/null 2>&1 || true
  fi
  if [ -n "$dockerd_pid" ]; then
    as_root kill -TERM "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 60); do as_root kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
  fi
}
trap stop_engine EXIT

if ! "${docker[@]}" info >/dev/null 2>&1; then
  if pgrep -x dockerd >/dev/null; then
    skip "a dockerd runs but this user cannot use it: $("${docker[@]}" info 2>&1 | tail -n 1)"
  fi
  [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null || skip "no Docker engine runs, and no root to start dockerd"
  step "Starting dockerd (stopped again at the end)"
  # Host networking only: no bridge and no firewall rules on this machine. The storage driver is
  # dockerd's own choice (overlay2 where the file system allows it, else vfs).
  root=(); [ "$(id -u)" -eq 0 ] || root=(sudo -n)
  "${root[@]}" dockerd --bridge=none --iptables=false >"$logs/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 120); do
    "${docker[@]}" info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { dockerd_pid=; skip "dockerd exits: $(tail -n 3 "$logs/dockerd.log")"; }
    sleep 0.5
  done
  "${docker[@]}" info >/dev/null 2>&1 || skip "dockerd does not answer within 60 s: $(tail -n 3 "$logs/dockerd.log")"
fi
echo "Docker engine $("${docker[@]}" version -f '{{.Server.Version}}'), storage driver $("${docker[@]}" info -f '{{.Driver}}')"

# --- 2. Base images ------------------------------------------------------------------------------

default_of() { sed -n "s/^ARG $1=//p" docker/Dockerfile; }
pullable() { "${docker[@]}" image inspect "$1" >/dev/null 2>&1 || "${docker[@]}" pull -q "$1" >/dev/null 2>>"$logs/pull.log"; }

build_args=()
missing=()
for arg in SDK_IMAGE ASPNET_IMAGE EXPORT_IMAGE; do
  if ! pullable "$(default_of $arg)"; then missing+=("$arg"); fi
done

# A Debian as its official image is made: debootstrap's minimal variant, dpkg not waiting for each
# file to reach the disk, apt keeping no packages.
debian_standin() {
  local tag=$1 rootfs
  install_debian_packages debootstrap
  rootfs=$(mktemp -d)
  echo "debootstrap $VERSION_CODENAME from $mirror"
  as_root debootstrap --variant=minbase "$VERSION_CODENAME" "$rootfs" "$mirror" >"$logs/debootstrap.log" 2>&1 ||
    { as_root rm -rf "$rootfs"; fail "debootstrap failed: $(tail -n 3 "$logs/debootstrap.log")"; }
  echo force-unsafe-io | as_root tee "$rootfs/etc/dpkg/dpkg.cfg.d/docker-apt-speedup" >/dev/null
  as_root tee "$rootfs/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'CLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CLEAN
  as_root tar --numeric-owner --exclude='./var/cache/apt/archives/*.deb' -C "$rootfs" -c . |
    "${docker[@]}" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "$tag" >/dev/null
  as_root rm -rf "$rootfs"
}

# The .NET stand-ins: this machine's .NET and local certificate authorities, on the Debian stand-in.
dotnet_standin() {
  local target=$1 tag=$2 context
  context=$(mktemp -d)
  # Hard links where the file system allows: the SDK is some 600 MB.
  cp -al "$dotnet_root" "$context/dotnet" 2>/dev/null || cp -a "$dotnet_root" "$context/dotnet"
  mkdir "$context/local-ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$context/local-ca-certificates/" 2>/dev/null || true
  echo "$tag from $dotnet_root"
  "${docker[@]}" build --network host --progress plain -f tests/container/standins.Dockerfile --target "$target" \
    --build-arg DEBIAN_IMAGE="$debian" -t "$tag" "$context" >"$logs/standin-$target.log" 2>&1 ||
    { rm -rf "$context"; fail "the $target stand-in does not build: $(tail -n 5 "$logs/standin-$target.log")"; }
  rm -rf "$context"
}

if [ ${#missing[@]} -gt 0 ]; then
  step "Stand-ins for ${missing[*]} (the official images cannot be pulled: $(tail -n 1 "$logs/pull.log"))"
  standins_started=$(date +%s)
  . /etc/os-release
  # This machine's archive and release, as apt knows them.
  mirror=$(apt-get indextargets --no-release-info --format '$(SITE) $(RELEASE)' 'Identifier: Packages' |
           awk -v suite="$VERSION_CODENAME" '$2 == suite { print $1; exit }')
  [ -n "$mirror" ] || fail "no apt source for $VERSION_CODENAME to debootstrap from"
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  # Named by everything they are made of, so a machine builds them once.
  key=$({ declare -f debian_standin dotnet_standin; cat tests/container/standins.Dockerfile /usr/local/share/ca-certificates/*.crt 2>/dev/null
          echo "$mirror $VERSION_CODENAME $(dpkg --print-architecture)"; dotnet --list-sdks; dotnet --list-runtimes; } | sha256sum | cut -c1-12)
  debian=camservice-standin/debian:$VERSION_CODENAME-$key
  "${docker[@]}" image inspect "$debian" >/dev/null 2>&1 || debian_standin "$debian"
  for target in sdk aspnet; do
    "${docker[@]}" image inspect "camservice-standin/$target:$key" >/dev/null 2>&1 || dotnet_standin "$target" "camservice-standin/$target:$key"
  done
  for arg in "${missing[@]}"; do
    case $arg in
      SDK_IMAGE) build_args+=(--build-arg "SDK_IMAGE=camservice-standin/sdk:$key") ;;
      ASPNET_IMAGE) build_args+=(--build-arg "ASPNET_IMAGE=camservice-standin/aspnet:$key") ;;
      EXPORT_IMAGE) build_args+=(--build-arg "EXPORT_IMAGE=$debian") ;;
    esac
  done
  echo "Stand-ins ready in $(seconds_since "$standins_started") s: ${build_args[*]}"
fi

# --- 3. The CPU image, built and run -------------------------------------------------------------

step "Building the CPU image (docker/Dockerfile, default target)"
build_started=$(date +%s)
"${docker[@]}" build --network host --progress plain -f docker/Dockerfile "${build_args[@]}" -t "$image" . \
  >"$logs/build.log" 2>&1 || fail "the image does not build: $(tail -n 20 "$logs/build.log")"
build_seconds=$(seconds_since "$build_started")
size_mb=$(( $("${docker[@]}" image inspect -f '{{.Size}}' "$image") / 1000000 ))
grep -E 'exporting .* (with|instead)|weights\) written' "$logs/build.log" | sed 's/^#[0-9]* [0-9.]* //' || true
echo "Built in $build_seconds s; the image is $size_mb MB"

# The CUDA target's runtime image may not be pullable, but its .NET stage builds wherever the SDK does,
# and is the only build of the service against ONNX Runtime's CUDA package.
step "Building the CUDA target's .NET stage (service-cuda)"
cuda_started=$(date +%s)
"${docker[@]}" build --network host --progress plain -f docker/Dockerfile "${build_args[@]}" --target service-cuda \
  -t "$image-service-cuda" . >"$logs/build-service-cuda.log" 2>&1 ||
  fail "the service-cuda stage does not build: $(tail -n 20 "$logs/build-service-cuda.log")"
echo "Built in $(seconds_since "$cuda_started") s"

photos=$(bash scripts/fetch-sample-images.sh "${CAMSERVICE_SAMPLES:-.cache/samples}")
# A free loopback port: the service listens on the host network, on 127.0.0.1 only.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port

step "Running it on $base (read-only root, a tmpfs for the model cache)"
container=$("${docker[@]}" run -d --network host --read-only --tmpfs /tmp \
  -e ASPNETCORE_HTTP_PORTS="$port" -e ASPNETCORE_URLS="$base" "$image")
run_started=$(date +%s)
health=starting
while [ "$health" = starting ] && [ "$(seconds_since "$run_started")" -lt 300 ]; do
  sleep 2
  health=$("${docker[@]}" inspect -f '{{if .State.Running}}{{.State.Health.Status}}{{else}}exited{{end}}' "$container")
done
"${docker[@]}" logs "$container" >"$logs/service.log" 2>&1
[ "$health" = healthy ] || fail "the container is $health after $(seconds_since "$run_started") s: $(tail -n 20 "$logs/service.log")"
echo "Healthy after $(seconds_since "$run_started") s"

models=efficientnet_b0,densenet121,resnet50,swin_t
# Healthy means one model is ready; the explanation needs all four.
for _ in $(seq 120); do
  curl -fsS "$base/models" -o "$logs/models.json" &&
    python3 -c 'import json, sys; sys.exit(any(m["status"] == "loading" for m in json.load(open(sys.argv[1]))))' "$logs/models.json" && break
  sleep 1
done
status=$(curl -sS -o "$logs/answer.json" -w '%{http_code}' -F image=@"$photos/chelsea.png" -F models=$models "$base/cam")
[ "$status" = 200 ] || fail "POST /cam answers $status: $(head -c 2000 "$logs/answer.json")"
python3 tests/container/check-answer.py "$logs/answer.json" "$logs/models.json" "$photos/chelsea.png" $models ||
  fail "POST /cam answers wrongly (artifacts/container-test/answer.json)"

user=$("${docker[@]}" exec "$container" sh -c "awk '/^Uid:/ { print \$2 }' /proc/1/status")
[ "$user" != 0 ] || fail "the service runs as root"
echo "The service runs as uid $user (image user $("${docker[@]}" inspect -f '{{.Config.User}}' "$image"))"
"${docker[@]}" exec "$container" sh -c '! command -v python3 && [ ! -e /usr/share/dotnet/sdk ]' >/dev/null ||
  fail "the image carries Python or the .NET SDK"
# The health check is the service's own (dotnet CamService.dll --health-check), so nothing fetches URLs.
"${docker[@]}" exec "$container" sh -c '! command -v curl && ! command -v wget' >/dev/null ||
  fail "the image carries curl or wget"

step "Stopping it with SIGTERM"
"${docker[@]}" kill --signal TERM "$container" >/dev/null
exit_status=$(timeout 60 "${docker[@]}" wait "$container") || fail "the container is still running 60 s after SIGTERM"
"${docker[@]}" logs "$container" >"$logs/service.log" 2>&1
[ "$exit_status" = 0 ] || fail "the service exits with $exit_status on SIGTERM: $(tail -n 20 "$logs/service.log")"
"${docker[@]}" rm "$container" >/dev/null
container=
echo "Exited 0"

summary="CPU image $size_mb MB, built in $build_seconds s; container test $(seconds_since "$started") s in all"
echo "$summary" | tee "$logs/summary.txt"
