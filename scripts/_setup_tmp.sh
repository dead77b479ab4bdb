#!/usr/bin/env bash
# Install what the tests need (Python packages, Debian packages of the real
# clients, npm packages of the browser tests) and run the whole test suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r package; do
    case "$package" in ''|'#'*) continue ;; esac
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done < scripts/debian-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    echo "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the browser tests (axe-core), from package-lock.json; reinstalled when
# node_modules is missing or the lock file changed since the last install.
if ! command -v npm >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    echo "installing Debian packages: nodejs npm"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.installed-lock; then
    npm ci --no-audit --no-fund
    cp package-lock.json node_modules/.installed-lock
fi

. scripts/_venv.sh
ensure_venv test
if [ $# -gt 0 ]; then
