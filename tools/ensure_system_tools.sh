#!/usr/bin/env bash
# Make sure the system programs the build and the tests need are present:
#   dot (Graphviz)   draws the computation graphs in the autograd chapter
#   node, npm        typeset the maths at build time (MathJax), install npm packages
#   chromium         prints the PDF edition and runs the browser checks
# On Debian/Ubuntu, running as root, missing ones are installed with apt-get.
# Anywhere else the script stops and says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

missing_packages=()
need() {  # need COMMAND DEBIAN_PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing_packages+=("$2")
}

need dot graphviz
need node nodejs
need npm npm
# A Chromium that really starts, found as the build and the tests find it
# (tools/chromium.py, standard library only: the system's python3 runs it)
if ! python3 -m tools.chromium >/dev/null 2>&1; then
    if grep -qi '^ID=ubuntu' /etc/os-release 2>/dev/null; then
        echo "error: no working Chromium or Google Chrome; on Ubuntu apt's chromium is a snap:" >&2
        echo "install Google Chrome (or set CHROMIUM=/path/to/chrome) and run the command again." >&2
        exit 1
    fi
    missing_packages+=(chromium)
fi

if [ ${#missing_packages[@]} -eq 0 ]; then
    exit 0
fi

# root runs apt-get itself; a CI runner's user (GitHub Actions) has passwordless sudo
as_root=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
fi
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ ${#as_root[@]} -gt 0 ]; }; then
    echo "Installing system packages: ${missing_packages[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" fonts-dejavu-core >/dev/null
    exit 0
fi

cat >&2 <<MSG
error: missing system packages: ${missing_packages[*]}
Install them with your package manager, then run the command again. On Debian/Ubuntu:
    sudo apt-get install ${missing_packages[*]}
On macOS (Homebrew): brew install graphviz node; install Chromium or Google Chrome.
MSG
exit 1
