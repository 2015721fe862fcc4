#!/usr/bin/env bash
# Installs the Debian packages that provide the given commands, when a command is missing:
#   scripts/need-packages.sh COMMAND[=PACKAGE] ...
# Used by `make test` (nginx, haproxy: the proxy integration tests) and `make bench-gateway`
# (wrk). Installs with apt-get, as root or through sudo; without either it says what to install.
set -euo pipefail
need=()
for spec in "$@"; do
  cmd=${spec%%=*}
  pkg=${spec#*=}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd="sudo"
  else
    echo "missing: ${need[*]}; install them (apt-get install ${need[*]}) and run again" >&2
    exit 1
  fi
fi
echo "installing: ${need[*]}"
$sudo_cmd apt-get update -qq
# The packages only: their services are never started as system services here (no systemd in a
# container; the tests start their own, with their own configuration).
$sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
