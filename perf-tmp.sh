#!/bin/bash
# usage: perf-tmp.sh script file port
env -i PATH=$PATH JWT_SECRET=$(printf 'x%.0s' {1..32}) CHATWOOT_INBOX_WEBSITE_SECRET=inbox HOST=127.0.0.1 PORT=$3 VERIFY_API_KEYS=$(printf 'k%.0s' {1..32}) node --perf-basic-prof $1 > /dev/null 2>&1 &
pid=$!
sleep 1.5
BENCH_REQUESTS=$2 wrk -t1 -c32 -d2s -s bench/tokens.lua http://127.0.0.1:$3 > /dev/null
perf record -F 1999 -e cpu-clock -p $pid -o /tmp/perf-$3.data -- sleep 5 > /dev/null 2>&1 &
BENCH_REQUESTS=$2 wrk -t1 -c32 -d5s -s bench/tokens.lua http://127.0.0.1:$3 | grep RESULT
wait %2 2>/dev/null; sleep 0.5
kill $pid
perf report -i /tmp/perf-$3.data --no-children --sort symbol --stdio 2>/dev/null | grep -v "^#" | grep -v "^$" | head -45
