#!/usr/bin/env bash
# The cost of NativeAOT, measured: publishes samples/AotStep with the default instruction set and
# with the documented ones, runs each beside the JIT build (rounds interleaved, best median per
# configuration, since the machine may be shared), prints each training step's time as a ratio to
# the JIT's, and checks what must hold exactly:
#   - the default AOT publish shows the package's BPK0001 warning, a publish with an instruction set does not;
#   - the same vector width and FMA choice give bit-identical weights under the JIT and under NativeAOT.
# Usage: samples/AotStep/compare.sh [--quick] [--out DIR]     (needs clang and zlib1g-dev for NativeAOT)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=3; steps=200; out=$(mktemp -d)
while [ $# -gt 0 ]; do
  case $1 in
    --quick) rounds=1; steps=60 ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
project=samples/AotStep
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

dotnet build "$project" -c Release -v q -nologo > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
jit=(dotnet "$project/bin/Release/net10.0/Backprop.Samples.AotStep.dll")

declare -A sets=([default]="" [x86-64-v3]="-p:IlcInstructionSet=x86-64-v3")
if grep -qw avx512f /proc/cpuinfo; then sets[x86-64-v4]="-p:IlcInstructionSet=x86-64-v4"; fi
for name in "${!sets[@]}"; do
  # shellcheck disable=SC2086 # the instruction-set argument is one word or none
  dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true ${sets[$name]} -o "$out/aot-$name" -nologo > "$out/publish-$name.log" 2>&1 \
    || { tail -30 "$out/publish-$name.log"; fail "NativeAOT publish ($name) failed"; continue; }
  if [ "$name" = default ]; then
    grep -q "warning BPK0001" "$out/publish-$name.log" || fail "the default AOT publish did not show warning BPK0001"
  else
    ! grep -q "BPK0001" "$out/publish-$name.log" || fail "the $name publish showed warning BPK0001"
  fi
done

# name|environment|command; JIT rows pinned to the AOT widths exist for the bit-identity checks.
configs=(
  "jit|-|${jit[*]}"
  "jit, no AVX2 (128-bit, no FMA)|DOTNET_EnableAVX2=0|${jit[*]}"
  "jit, 256-bit|BACKPROP_VECTOR_BITS=256|${jit[*]}"
)
for name in default x86-64-v3 x86-64-v4; do
  [ -x "$out/aot-$name/Backprop.Samples.AotStep" ] && configs+=("nativeaot $name|-|$out/aot-$name/Backprop.Samples.AotStep")
done

declare -A best line
for ((round = 1; round <= rounds; round++)); do
  for threads in 1 2; do
    for config in "${configs[@]}"; do
      IFS='|' read -r name envs command <<< "$config"
      [ "$threads" = 2 ] && [[ $name == *","* ]] && continue   # pinned JIT rows: one thread is enough
      key="$name|$threads"
      # shellcheck disable=SC2086
      result=$(env ${envs/#-/} $command --steps "$steps" --threads "$threads") || { fail "$key did not run"; continue; }
      us=$(sed -E 's/.*median_us=([0-9.]+).*/\1/' <<< "$result")
      if [ -z "${best[$key]:-}" ] || awk -v a="$us" -v b="${best[$key]}" 'BEGIN { exit !(a < b) }'; then
        best[$key]=$us; line[$key]=$result
      fi
    done
  done
done

echo
echo "NativeAOT vs JIT: 784-256-10 float training step, batch 128, best median of $rounds round(s) of $steps steps"
printf '| %-34s | %-7s | %-40s | %12s | %8s |\n' configuration threads "kernels chosen" "µs per step" "vs JIT"
printf '|%s|%s|%s|%s|%s|\n' "------------------------------------" "---------" "------------------------------------------" "--------------" "----------"
for threads in 1 2; do
  base=${best["jit|$threads"]:-}
  for config in "${configs[@]}"; do
    name=${config%%|*}; key="$name|$threads"
    [ -n "${best[$key]:-}" ] || continue
    simd=$(sed -E 's/.*simd="([^"]*)".*/\1/' <<< "${line[$key]}")
    ratio=$(awk -v a="${best[$key]}" -v b="$base" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
    printf '| %-34s | %-7s | %-40s | %12s | %8s |\n' "$name" "$threads" "$simd" "${best[$key]}" "$ratio"
  done
done
echo

# Bit-identity: every pair of runs with the same kernels and thread count has the same weights.
declare -A weights names
for key in "${!line[@]}"; do
  id="$(sed -E 's/.*simd="([0-9]+-bit)[^,]*, ([^"]*)".*/\1 \2/' <<< "${line[$key]}"), ${key##*|} thread(s)"
  hash=$(sed -E 's/.*weights=([0-9a-f]+).*/\1/' <<< "${line[$key]}")
  if [ -n "${weights[$id]:-}" ] && [ "${weights[$id]}" != "$hash" ]; then
    fail "weights differ for $id: ${key%%|*} vs${names[$id]}"
  fi
  weights[$id]=$hash; names[$id]="${names[$id]:-} ${key%%|*};"
done
for id in "${!weights[@]}"; do echo "weights ${weights[$id]} for $id:${names[$id]}"; done
echo "aot compare: $failures failure(s); logs in $out"
[ "$failures" = 0 ]
