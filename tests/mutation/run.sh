#!/usr/bin/env bash
# Mutation testing of src/Kernels with Stryker.NET (a local tool: .config/dotnet-tools.json).
# On demand only, never in CI: the whole of src/Kernels takes hours on 2 cores.
#
#   tests/mutation/run.sh                          # every file of src/Kernels
#   tests/mutation/run.sh Activations.cs Softmax.cs  # some files (names under src/Kernels)
#   tests/mutation/run.sh 'Activations.cs{266..370}'  # a line range of a file
#   BACKPROP_MUTATION_FILTER="FullyQualifiedName~Backprop.Properties.Kernels.Activations" tests/mutation/run.sh Activations.cs
#                                                  # only the tests of that kernel (much faster; fewer kills)
#
# Runs with concurrency 1 (a shared 2-core machine) and only the kernel properties
# (FullyQualifiedName~Backprop.Properties.Kernels). Reports go to tests/mutation/StrykerOutput/<date>/
# (HTML and JSON; the text summary is printed). docs/MUTATION.md records the results.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
dotnet tool restore >/dev/null
mutate=()
if [ "$#" -eq 0 ]; then
  mutate=(--mutate "**/*.cs")
else
  for f in "$@"; do mutate+=(--mutate "**/$f"); done
fi
cd "$root/src/Kernels"
filter=()
if [ -n "${BACKPROP_MUTATION_FILTER:-}" ]; then filter=(--test-case-filter "$BACKPROP_MUTATION_FILTER"); fi
exec dotnet stryker --config-file "$here/stryker-config.json" --output "$here/StrykerOutput/$(date -u +%Y%m%dT%H%M%S)" "${mutate[@]}" "${filter[@]}"
