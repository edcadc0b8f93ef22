#!/usr/bin/env bash
# Summarises a Stryker JSON report (mutation-testing-report-schema) for docs/MUTATION.md:
# a Markdown table per file (mutants counted, killed, survived, no coverage, timeouts, compile
# errors, ignored, score) and then every survivor, every uncovered mutant and every timeout (to check that it loops), one line each
# (file:line, mutator, the replacement). Needs jq.
#
#   tests/mutation/summary.sh                       # the newest report under tests/mutation/StrykerOutput
#   tests/mutation/summary.sh path/to/mutation-report.json
#   tests/mutation/summary.sh old.json newer.json   # several runs: each file from the last report that tested it,
#                                                   # and the total over all those files (the directory's score)
#
# Score as Stryker computes it: (killed + timeouts) / (killed + timeouts + survived + no coverage);
# compile errors and ignored mutants are not counted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
reports=("$@")
if [ "${#reports[@]}" -eq 0 ]; then
  newest="$(ls -1d "$here"/StrykerOutput/*/reports/mutation-report.json 2>/dev/null | sort | tail -n 1)"
  if [ -n "$newest" ]; then reports=("$newest"); fi
fi
if [ "${#reports[@]}" -eq 0 ]; then
  echo "summary.sh: no report found (expected tests/mutation/StrykerOutput/<time>/reports/mutation-report.json or a path)" >&2
  exit 2
fi
for report in "${reports[@]}"; do
  if [ ! -f "$report" ]; then echo "summary.sh: no such report: $report" >&2; exit 2; fi
done

jq -r -s '
  def count(s): map(select(.status == s)) | length;
  def score(k; t; s; n): if (k + t + s + n) == 0 then "—" else (((k + t) * 10000 / (k + t + s + n) | round) / 100 | tostring) + " %" end;
  (reduce .[] as $r ({};
      . + ($r.files | to_entries | map(select((.value.mutants | map(select(.status == "Killed" or .status == "Survived" or .status == "NoCoverage" or .status == "Timeout")) | length) > 0))
           | map({key: (.key | split("/") | last), value: .value.mutants}) | from_entries))
    | to_entries | sort_by(.key) | map({file: .key, m: .value})) as $files
  | "| file | counted | killed | survived | no coverage | timeouts | compile errors | ignored | score |",
    "|---|---|---|---|---|---|---|---|---|",
    ($files[] | .m as $m
      | ($m | count("Killed")) as $k | ($m | count("Timeout")) as $t | ($m | count("Survived")) as $s | ($m | count("NoCoverage")) as $n
      | "| \(.file) | \($k + $t + $s + $n) | \($k) | \($s) | \($n) | \($t) | \($m | count("CompileError")) | \($m | count("Ignored")) | \(score($k; $t; $s; $n)) |"),
    ([$files[].m[]] as $all
      | ($all | count("Killed")) as $k | ($all | count("Timeout")) as $t | ($all | count("Survived")) as $s | ($all | count("NoCoverage")) as $n
      | "| **all** | **\($k + $t + $s + $n)** | **\($k)** | **\($s)** | **\($n)** | **\($t)** | **\($all | count("CompileError"))** | **\($all | count("Ignored"))** | **\(score($k; $t; $s; $n))** |"),
    "",
    ($files[] | .file as $f | .m[] | select(.status == "Survived" or .status == "NoCoverage" or .status == "Timeout")
      | "- \(.status) \($f):\(.location.start.line) \(.mutatorName): `\(.replacement | gsub("\n"; " ") | gsub("  +"; " ") | .[0:160])`")
' "${reports[@]}"
