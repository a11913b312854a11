# Shared by the repository's scripts (run.sh, test.sh, scripts/, bench/, tests/container/): small helpers to install what is missing, loudly.

step() { printf '\n==> %s\n' "$*"; }

# glibc's allocator as the service runs everywhere (docker/Dockerfile sets the same): at most two arenas, not
# eight per core. Native memory freed in one thread's arena cannot serve another thread, so with many arenas a
# long-running process holds the fragments of each; docs/memory.md has the fuzz campaign's figures both ways.
use_service_allocator() { export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages that are not installed yet (one apt-get update at most).
install_debian_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# The .NET 10 SDK: from the distribution where it has it (Ubuntu), else Microsoft's installer.
install_dotnet_if_missing() {
  if command -v dotnet >/dev/null && dotnet --list-sdks | grep -q '^10\.'; then return; fi
  step "Installing the .NET 10 SDK"
  if as_root apt-get install -y -qq dotnet-sdk-10.0 2>/dev/null; then return; fi
  local installer; installer=$(mktemp)
  curl -fsSL https://dot.net/v1/dotnet-install.sh -o "$installer"
  bash "$installer" --channel 10.0 --install-dir "$HOME/.dotnet"
  export DOTNET_ROOT="$HOME/.dotnet" PATH="$HOME/.dotnet:$PATH"
}
