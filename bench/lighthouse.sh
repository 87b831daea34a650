#!/usr/bin/env bash
# Lighthouse (npm `lighthouse`, installed into target/node_modules when
# missing) with Debian's Chromium on /matrix, / and /incidents of a release
# server holding the benchmark corpus (bench/web-env.sh; --public-read, so
# the pages are read as an anonymous visitor would), mobile settings as
# Lighthouse defaults to (`--desktop` for its desktop preset). Prints the
# performance, accessibility, best-practices and SEO scores and every audit
# of the last three categories that did not pass. Targets: accessibility,
# best practices and SEO >= 95. The full reports are kept in target/lighthouse/.
#
# Usage: [PAGES="/matrix /"] bench/lighthouse.sh [--desktop] [--incidents N] [--tags T]
# A benchmark, not a test: nothing fails on a miss.
set -euo pipefail
PRESET=()
while [ $# -gt 0 ]; do
  case "$1" in
    --desktop) PRESET=(--preset=desktop); shift ;;
    --incidents) export INCIDENTS=$2; shift 2 ;;
    --tags) export TAGS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in node npm chromium curl; do
  command -v "$tool" >/dev/null || { echo "bench/lighthouse.sh needs $tool" >&2; exit 2; }
done
source "$(dirname "$0")/web-env.sh"
npm_tools lighthouse@12.8.2
build_release
seed_corpus
start_server

LH="$ROOT/target/node_modules/.bin/lighthouse"
printf '%-12s %12s %14s %15s %5s\n' page performance accessibility best-practices SEO
for page in ${PAGES:-/matrix / /incidents}; do
  out="$WORK/lh$(echo "$page" | tr '/' '_').json"
  CHROME_PATH=$(command -v chromium) "$LH" "$BASE$page" "${PRESET[@]}" --quiet \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage" \
    --only-categories=performance,accessibility,best-practices,seo \
    --output=json --output-path="$out" >/dev/null 2>"$WORK/lh.log" ||
    { tail -20 "$WORK/lh.log" >&2; exit 1; }
  mkdir -p "$ROOT/target/lighthouse" && cp "$out" "$ROOT/target/lighthouse/"
  node -e '
    const r = require(process.argv[1]);
    const s = (c) => Math.round(100 * r.categories[c].score);
    const cols = [s("performance"), s("accessibility"), s("best-practices"), s("seo")];
    console.log(process.argv[2].padEnd(12) + String(cols[0]).padStart(12) + String(cols[1]).padStart(14) +
      String(cols[2]).padStart(15) + String(cols[3]).padStart(5));
    for (const c of ["accessibility", "best-practices", "seo"]) {
      for (const ref of r.categories[c].auditRefs) {
        const a = r.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1) {
          console.log("    " + c + ": " + a.id + " (" + a.score + ") " + (a.displayValue || a.title));
        }
      }
    }
    const m = (id) => r.audits[id] && r.audits[id].displayValue;
    console.log("    FCP " + m("first-contentful-paint") + ", LCP " + m("largest-contentful-paint") +
      ", TBT " + m("total-blocking-time") + ", CLS " + m("cumulative-layout-shift") + ", DOM " + m("dom-size"));
  ' "$out" "$page"
done
echo "targets: accessibility, best practices and SEO >= 95"
