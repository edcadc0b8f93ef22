#!/usr/bin/env bash
# Mutation testing of src/Kernels with Stryker.NET (a local tool: .config/dotnet-tools.json).
# On demand only, never in CI: the whole of src/Kernels takes hours on 2 cores.
#
#   tests/mutation/run.sh                          # every file of src/Kernels
#   tests/mutation/run.sh Activations.cs Softmax.cs  # some files (names under src/Kernels)
#   tests/mutation/run.sh Gemm.cs --verbosity=debug  # arguments starting with '-' go to Stryker
#   BACKPROP_MUTATION_FILTER="FullyQualifiedName~Backprop.Properties.Kernels.Activations" tests/mutation/run.sh Activations.cs
#                                                  # only the tests of that kernel (much faster; fewer kills)
#
# Name several files per run: each run pays analysis, build, an initial test run and coverage
# capture (about 15 min on 2 busy cores) before its first mutant. Runs with concurrency 1 (a shared
# 2-core machine), only the kernel properties (FullyQualifiedName~Backprop.Properties.Kernels) and
# BACKPROP_PROPERTY_SIZE=quick unless the environment sets another size (it reaches the test host:
# each mutant's tests are short). Reports go to tests/mutation/StrykerOutput/<date>/ (HTML and
# JSON; the text summary is printed); tests/mutation/summary.sh tabulates the newest one per file.
# docs/MUTATION.md records the results.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
dotnet tool restore >/dev/null
mutate=()
options=()
for f in "$@"; do
  case "$f" in
    -*) options+=("$f") ;;            # a Stryker option, passed on (e.g. --verbosity debug)
    *) mutate+=(--mutate "**/$f") ;;
  esac
done
if [ "${#mutate[@]}" -eq 0 ]; then mutate=(--mutate "**/*.cs"); fi
cd "$root/src/Kernels"
export BACKPROP_PROPERTY_SIZE="${BACKPROP_PROPERTY_SIZE:-quick}"
filter=()
if [ -n "${BACKPROP_MUTATION_FILTER:-}" ]; then filter=(--test-case-filter "$BACKPROP_MUTATION_FILTER"); fi
# One test process at a time. BACKPROP_MUTATION_CONCURRENCY=2 is faster but not a measurement on 2
# cores: Stryker's timeouts come from the initial run, which had the machine to itself, and two test
# processes at once made error-message mutants "time out" (counted as killed). See docs/MUTATION.md.
exec dotnet stryker --config-file "$here/stryker-config.json" --concurrency "${BACKPROP_MUTATION_CONCURRENCY:-1}" \
  --output "$here/StrykerOutput/$(date -u +%Y%m%dT%H%M%S)" "${mutate[@]}" "${filter[@]}" "${options[@]}"
