#!/usr/bin/env bash
# pretest: the rate limit tests run a real Redis (Debian's redis-server). Installs it when it is missing and
# this can (root with apt-get); otherwise stops with how to get it. Never lets those tests skip.
set -euo pipefail
redis=${REDIS_SERVER:-redis-server}
command -v "$redis" >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "pretest: installing redis-server with apt-get (the rate limit tests need a real Redis)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  exit 0
fi
echo "pretest: $redis not found; the rate limit tests need it: sudo apt-get install redis-server" \
  "(or brew install redis), or set REDIS_SERVER to its path" >&2
exit 1
