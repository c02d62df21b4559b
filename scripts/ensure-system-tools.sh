#!/usr/bin/env bash
# Make sure the system programs the build and the tests need are present:
#   dot (Graphviz)   draws the computation graphs in the autograd chapter
#   node, npm        install MathJax and axe-core from package-lock.json
#   chromium         prints the PDF edition and runs the browser checks
# On Debian/Ubuntu, running as root, missing ones are installed with apt-get.
# Anywhere else the script stops and says what to install.
set -euo pipefail

missing_packages=()
need() {  # need COMMAND DEBIAN_PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing_packages+=("$2")
}

need dot graphviz
need node nodejs
need npm npm
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
    && ! command -v google-chrome >/dev/null 2>&1; then
    missing_packages+=(chromium)
fi

if [ ${#missing_packages[@]} -eq 0 ]; then
    exit 0
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    echo "Installing system packages: ${missing_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
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
