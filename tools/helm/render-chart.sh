#!/usr/bin/env bash
# Lints helm/triage-mesh and renders it per case with the real Helm library (tools/helm/pom.xml):
#   tools/helm/render-chart.sh OUT_DIR NAME=VALUES_FILE[,VALUES_FILE...]|NAME=- ...
# Compiles the checker with Maven (jars cached in ~/.m2) and runs it; exit code as ChartCheck's.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="$HERE/target"
[[ $# -ge 2 ]] || { echo "usage: $0 OUT_DIR NAME=VALUES|NAME=- ..." >&2; exit 2; }
command -v mvn >/dev/null || { echo "mvn not found: Maven fetches helm-java from Maven Central" >&2; exit 2; }
mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" compile dependency:build-classpath \
  -Dmdep.outputFile="$TARGET/classpath.txt" </dev/null >"$HERE/.mvn.log" 2>&1 ||
  { cat "$HERE/.mvn.log" >&2; echo "mvn failed (is Maven Central reachable?)" >&2; exit 2; }
exec java -cp "$TARGET/classes:$(cat "$TARGET/classpath.txt")" org.triage.helm.ChartCheck "$ROOT/helm/triage-mesh" "$@"
