"""Runs the Python training-step peers (NumPy, PyTorch) and writes TrainingStepPeers.csv.

    /usr/bin/python3 benchmarks/Peers/python/run.py --quick   # smoke run: 2 cases, 1 thread, 3 samples, no CSV
    /usr/bin/python3 benchmarks/Peers/python/run.py           # full run: every case, 1 and 2 threads,
                                                              # OpenBLAS's AVX2 and AVX-512 kernel sets

Steps: (1) `dotnet run -c Release --project benchmarks -- peer-reference` writes this project's step
for each case (initial parameters, inputs, labels, gradients, parameters after one SGD step);
(2) for each thread count and kernel set, a fresh worker (training_step.py) with OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_CORETYPE set before NumPy and PyTorch load runs each
peer's step once from those parameters and exits non-zero unless it matches this project's (see
training_step.check), then times it; (3) the results go to benchmarks/results/<cpu>/TrainingStepPeers.csv
(the columns of every suite CSV) and the kernel sets actually loaded to TrainingStepPeers.md; then run
`dotnet run -c Release --project benchmarks -- report`.

Use Debian's Python (/usr/bin/python3, with python3-numpy and python3-torch): a python3 found first on
PATH (pyenv, a venv) usually has neither.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import training_step  # noqa: E402  (standard library only at import)

HEADER = "Suite,Type,Method,Job,Width,Parameters,MeanNs,MedianNs,StdDevNs,Ratio,GflopsPerSec,RowsPerSec,AllocatedBytes"
SUITE = "TrainingStepPeers"
QUICK_CASES = ["2-3-2x500", "64-128-10x64"]

# OpenBLAS kernel sets by vector width, as the GEMM benchmarks pin them (benchmarks/Reporting/Jobs.cs).
KERNEL_SETS = {256: "Haswell", 512: "SkylakeX"}
WIDTH_OF_CORE = {"haswell": 256, "zen": 256, "skylakex": 512, "cooperlake": 512, "sapphirerapids": 512}


def has_avx512() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return False


def make_references(folder: str, cases: list[str], no_build: bool) -> str:
    command = ["dotnet", "run", "-c", "Release", "--project", os.path.join(ROOT, "benchmarks")]
    if no_build:
        command.append("--no-build")
    command += ["--", "peer-reference", "--out", folder]
    for case in cases:
        command += ["--case", case]
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)
    with open(os.path.join(folder, "results-folder.txt")) as f:
        return f.read().strip()


def run_worker(references: str, cases: list[str], threads: int, core: str, quick: bool, sampling: list[str]) -> tuple[dict, list[dict]]:
    env = dict(os.environ)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = str(threads)
    env["OPENBLAS_CORETYPE"] = core
    command = [sys.executable, os.path.join(HERE, "training_step.py"), "--references", references, "--threads", str(threads)]
    for case in cases:
        command += ["--case", case]
    if quick:
        command += ["--samples", "3", "--warmup-seconds", "0.05", "--sample-seconds", "0.01", "--self-test"]
    else:
        command += sampling
    print(f"$ OPENBLAS_CORETYPE={core} OMP_NUM_THREADS={threads} ... " + " ".join(command[1:]), flush=True)
    process = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
    kernel, results = {}, []
    for line in process.stdout.splitlines():
        record = json.loads(line)
        if "kernel_set" in record:
            kernel = record["kernel_set"]
        elif "self_test" in record:
            print("  self-test: " + record["self_test"], flush=True)
        else:
            results.append(record)
            print(f"  {record['peer']:17} {record['case']:22} {record['median_ns'] / 1e3:10.1f} µs median "
                  f"(gradient check: {record['gradient_error']:.1e} of the largest, tolerance {training_step.GRADIENT_TOLERANCE:g})", flush=True)
    if process.returncode != 0:
        raise SystemExit(f"the peer worker failed (exit {process.returncode}); nothing was written")
    return kernel, results


def csv_row(record: dict, job: str, width: int) -> str:
    rows = training_step.parse_case(record["case"])[1]
    return ",".join([
        SUITE, "float", record["peer"], job, str(width),
        f"Case={record['case']}; Threads={record['threads']}",
        f"{record['mean_ns']:.1f}", f"{record['median_ns']:.1f}", f"{record['stddev_ns']:.1f}",
        "", "", f"{rows / (record['mean_ns'] * 1e-9):.0f}", "",
    ])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 cases, 1 thread, the AVX2 kernel set, 3 short samples; writes no CSV unless --results is given")
    parser.add_argument("--results", help="folder for TrainingStepPeers.csv (default: this machine's benchmarks/results/<cpu>/)")
    parser.add_argument("--case", action="append", dest="cases", help="case to run (default: all, or 2 with --quick)")
    parser.add_argument("--threads", type=int, action="append", help="thread count (default: 1 and 2, or 1 with --quick)")
    parser.add_argument("--no-build", action="store_true", help="pass --no-build to dotnet run (the benchmarks are built)")
    parser.add_argument("--samples", type=int, help="timed samples per peer and case (default 15)")
    parser.add_argument("--sample-seconds", type=float, help="length of one sample (default 0.25)")
    parser.add_argument("--warmup-seconds", type=float, help="warm-up before the samples (default 1)")
    args = parser.parse_args(argv)
    sampling = [a for flag, v in (("--samples", args.samples), ("--sample-seconds", args.sample_seconds), ("--warmup-seconds", args.warmup_seconds))
                if v is not None for a in (flag, str(v))]

    cases = args.cases or (QUICK_CASES if args.quick else training_step.CASES)
    threads = args.threads or ([1] if args.quick else [1, 2])
    widths = [256] if args.quick or not has_avx512() else [256, 512]
    with tempfile.TemporaryDirectory(prefix="backprop-peers-") as references:
        machine_folder = make_references(references, cases, args.no_build)
        lines, kernels = [], []
        for width in widths:
            for t in threads:
                kernel, results = run_worker(references, cases, t, KERNEL_SETS[width], args.quick, sampling)
                core = kernel.get("openblas_core", "")
                actual = WIDTH_OF_CORE.get(core.lower(), 0)
                if actual != width:
                    raise SystemExit(f"OPENBLAS_CORETYPE={KERNEL_SETS[width]} gave OpenBLAS core '{core}'; nothing was written")
                job = f"OpenBLAS-{core}-{t}t"
                kernels.append((job, kernel))
                lines += [csv_row(r, job, width) for r in results]

    folder = args.results or (None if args.quick else machine_folder)
    if folder is None:
        print("quick run: every peer matched this project's step and ran; no CSV written (give --results DIR to write one)")
        return 0
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, SUITE + ".csv"), "w", newline="\n") as f:
        f.write(HEADER + "\n" + "".join(line + "\n" for line in lines))
    with open(os.path.join(folder, SUITE + ".md"), "w", newline="\n") as f:
        f.write(f"# {SUITE}\n\nWritten by `benchmarks/Peers/python/run.py` on {datetime.date.today().isoformat()}"
                f"{' (quick mode: not a measurement)' if args.quick else ''}; the numbers are in `{SUITE}.csv`.\n\n"
                "Each job is one worker process; what it loaded:\n\n")
        for job, kernel in kernels:
            f.write(f"- `{job}`: " + "; ".join(f"{k} = {v}" for k, v in kernel.items() if k != "libraries")
                    + "; libraries: " + ", ".join(f"`{p}`" for p in kernel.get("libraries", [])) + "\n")
    print(f"results written to {folder}; regenerate the report with: dotnet run -c Release --project benchmarks -- report")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
