#!/usr/bin/env bash
# Installs Debian's Chromium for the GraphiQL browser test (server/graphiql.browser.test.ts) when
# it is missing. Run by `npm test` (pretest) and by .ci/run; needs root and Debian's package index.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "The browser test needs Debian's Chromium: run 'apt-get install -y chromium' as root." >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser test (once)..." >&2
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
