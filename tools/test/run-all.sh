#!/usr/bin/env bash
# The whole test suite, as `npm test` and CI (.ci/run) run it:
#   services (Kafka, PostgreSQL, topics) -> database migrations -> reference models
#   -> lint -> unit -> integration -> end-to-end
#
#   bash tools/test/run-all.sh [step...]      steps: migrate models lint unit integration e2e (default: all)
#
# Services, migrations and models are prerequisites: their failure stops the run. The test steps all run,
# and the exit code is non-zero if any failed (RUN_ALL_FAIL_FAST=1 stops at the first failure instead).
# Whatever services.sh started is stopped on exit, on failure and on INT/TERM.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

export NX_DAEMON=false
export NX_NO_CLOUD=true
# kafkajs prints a partitioner notice on every producer; it is noise in test output.
export KAFKAJS_NO_PARTITIONER_WARNING=1
FAIL_FAST="${RUN_ALL_FAIL_FAST:-0}"

ALL_STEPS=(migrate models lint unit integration e2e)
declare -A STEP_CMD=(
  [migrate]="npx nx run audit-data-access:db-migrate"
  [models]="npx nx run inference-feature:build-models"
  [lint]="npx nx run-many -t lint"
  [unit]="npx jest -c jest.unit.config.js --json --outputFile=var/test-results/unit.json"
  [integration]="npx jest -c jest.integration.config.js --json --outputFile=var/test-results/integration.json"
  [e2e]="npx jest -c jest.e2e.config.js --json --outputFile=var/test-results/e2e.json"
)
# Upper bounds (seconds) against a hung step; a normal full run is well under 20 minutes.
declare -A STEP_TIMEOUT=([migrate]=300 [models]=600 [lint]=900 [unit]=900 [integration]=1200 [e2e]=1200)
PREREQS=" migrate models "

steps=("$@")
((${#steps[@]} > 0)) || steps=("${ALL_STEPS[@]}")
for s in "${steps[@]}"; do
  [[ -n "${STEP_CMD[$s]:-}" ]] || { echo "unknown step '$s' (known: ${ALL_STEPS[*]})" >&2; exit 2; }
done

services_started=0
child=0
rm -rf var/test-results && mkdir -p var/test-results
summary=()
failed=0
run_started=$SECONDS

# The test counts of every jest tier that ran, ending in one plain 'N passed, N failed' line (CI reads it).
print_counts() {
  node -e '
    const fs = require("fs");
    let passed = 0, failed = 0, skipped = 0, found = 0;
    for (const tier of ["unit", "integration", "e2e"]) {
      const f = `var/test-results/${tier}.json`;
      if (!fs.existsSync(f)) continue;
      const r = JSON.parse(fs.readFileSync(f, "utf8"));
      found++;
      passed += r.numPassedTests; failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0); skipped += r.numPendingTests;
      console.log(`  ${tier.padEnd(12)} ${r.numPassedTests} passed, ${r.numFailedTests} failed in ${r.numTotalTestSuites} suites`);
    }
    if (found) console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  ' || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((child > 0)) && kill -0 "$child" 2>/dev/null; then
    kill -TERM -- "-$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  if ((services_started)); then
    echo "== stopping the services this run started" >&2
    bash tools/test/services.sh stop || true
  fi
  print_counts
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "== interrupted" >&2; exit 130' INT
trap 'echo "== terminated" >&2; exit 143' TERM

header() {
  local line="================================================================================"
  printf '\n%s\n== %s\n%s\n' "$line" "$1" "$line"
}

# Runs a command in its own process group (so a signal or the trap can stop all of it) under a timeout,
# and waits for it in a way INT/TERM can interrupt.
run_bounded() {
  local limit=$1
  shift
  setsid timeout --kill-after=30 "$limit" "$@" </dev/null &
  child=$!
  wait "$child"
  local rc=$?
  child=0
  ((rc == 124)) && echo "== timed out after ${limit}s" >&2
  return "$rc"
}

record() {
  local name=$1 rc=$2 took=$3
  if ((rc == 0)); then
    summary+=("$(printf '  %-12s ok      %5ss' "$name" "$took")")
  else
    summary+=("$(printf '  %-12s FAILED  %5ss  (exit %s)' "$name" "$took" "$rc")")
    failed=$((failed + 1))
  fi
}

print_summary() {
  header "summary ($((SECONDS - run_started))s)"
  printf '%s\n' "${summary[@]}"
}

total=$((${#steps[@]} + 1))
header "[1/$total] services: Kafka, PostgreSQL, topics (tools/test/services.sh start)"
t0=$SECONDS
services_started=1
if env_lines="$(bash tools/test/services.sh start)"; then
  eval "$env_lines"
  record services 0 $((SECONDS - t0))
else
  rc=$?
  record services "$rc" $((SECONDS - t0))
  print_summary
  echo "== services could not be started; nothing else can run" >&2
  exit 1
fi
export KAFKA_BROKERS DATABASE_URL
echo "KAFKA_BROKERS=$KAFKA_BROKERS"
echo "DATABASE_URL=$DATABASE_URL"

i=1
for step in "${steps[@]}"; do
  i=$((i + 1))
  header "[$i/$total] $step: ${STEP_CMD[$step]}"
  t0=$SECONDS
  # shellcheck disable=SC2086 # the commands are plain words
  run_bounded "${STEP_TIMEOUT[$step]}" ${STEP_CMD[$step]}
  rc=$?
  record "$step" "$rc" $((SECONDS - t0))
  if ((rc != 0)); then
    if [[ "$PREREQS" == *" $step "* ]]; then
      print_summary
      echo "== $step failed; the test steps need it, so the run stops here" >&2
      exit 1
    fi
    if [[ "$FAIL_FAST" == "1" ]]; then
      print_summary
      exit 1
    fi
  fi
done

print_summary
if ((failed > 0)); then
  echo "== $failed step(s) failed" >&2
  exit 1
fi
echo "== all steps passed"
