"""End-to-end peers on Fashion-MNIST (PyTorch, NumPy, scikit-learn): time per epoch, to 0.89 and 0.90 test accuracy, peak memory.

    /usr/bin/python3 benchmarks/Peers/python/fashion_mnist.py --quick   # 5,000 rows, 1 epoch, 1 thread, every peer; checks, writes nothing
    /usr/bin/python3 benchmarks/Peers/python/fashion_mnist.py           # 60,000 rows, 15 epochs, 1 and 2 threads (quiet machine)

The data are the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, the IDX files
the CLI's `--data fashion-mnist` reads). PyTorch and NumPy train the CLI's default recipe for these data
(see e2e_models.py: 784-256-10 ReLU, He uniform, Adam 0.002 with one epoch of warm-up then a cosine,
label smoothing 0.1, batch 128, 15 epochs, float32, standardised pixels); scikit-learn as close as it
allows (no schedule, no label smoothing: Adam at a constant 1e-3). Each peer and thread count runs in
its own worker process, with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS set before Python
starts (and torch.set_num_threads): first PyTorch and NumPy replay this project's first three steps
(`benchmarks -- e2e-reference`) and the worker exits non-zero, timing nothing, unless they match
(e2e_models.check); then every epoch is timed (shuffle and steps; the test set is scored after each
epoch, outside the time). Peak memory is the worker's ru_maxrss. Results: EndToEndPeers.csv (and .md)
in the results folder, replacing only the rows of the peers that ran.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import e2e_models  # noqa: E402  (standard library only at import)

HEADER = "Suite,Type,Method,Job,Width,Parameters,MeanNs,MedianNs,StdDevNs,Ratio,GflopsPerSec,RowsPerSec,AllocatedBytes"
SUITE = "EndToEndPeers"
DATA = "/usr/share/datasets/fashion-mnist"
TARGETS = (0.89, 0.90)
EPOCHS = 15
PEERS = {"PyTorch": ("numpy", "torch"), "NumPy": ("numpy",), "scikit-learn": ("numpy", "sklearn")}
WIDTH_OF_CORE = {"haswell": 256, "zen": 256, "skylakex": 512, "cooperlake": 512, "sapphirerapids": 512}


def read_idx(path: str):
    import numpy as np

    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(train_rows: int, test_rows: int):
    """Standardised float32 pixels (statistics of all 60,000 training rows, computed in float64 in chunks so
    no float64 copy of the data set inflates the peak memory) and int64 labels."""
    import numpy as np

    x = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz")).reshape(-1, 784)
    y = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    xt = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))[:test_rows].reshape(-1, 784)
    yt = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))[:test_rows].astype(np.int64)
    chunks = range(0, x.shape[0], 5000)
    offsets = sum(x[i:i + 5000].sum(axis=0, dtype=np.float64) for i in chunks) / x.shape[0]
    std = (sum(((x[i:i + 5000] - offsets) ** 2).sum(axis=0) for i in chunks) / x.shape[0]) ** 0.5
    constant = (x.max(axis=0) == x.min(axis=0)) | (std == 0)
    scales = np.where(constant, 1.0, 1.0 / np.where(std == 0, 1.0, std))

    def scale(raw):
        out = np.empty(raw.shape, np.float32)
        for i in range(0, raw.shape[0], 5000):
            out[i:i + 5000] = (raw[i:i + 5000] - offsets) * scales
        return out

    return offsets, scales, scale(x[:train_rows]), y[:train_rows].copy(), scale(xt), yt


def openblas_core() -> str:
    import ctypes

    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "libopenblas" in line})
    if not paths:
        return "none"
    lib = ctypes.CDLL(paths[0])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib.openblas_get_corename().decode()


def check_scaling(ref: dict, offsets, scales, x) -> None:
    """Our standardisation against this project's FeatureScaling (both in float64; the scaled rows within 1 float32 rounding)."""
    import numpy as np

    problems = []
    if not np.allclose(offsets, ref["offsets"], rtol=1e-9, atol=1e-12):
        problems.append(f"offsets differ by up to {np.abs(offsets - ref['offsets']).max():.3g}")
    if not np.allclose(scales, ref["scales"], rtol=1e-9, atol=0):
        problems.append(f"scales differ by up to {np.abs(scales - ref['scales']).max():.3g}")
    theirs = ref["inputs"].reshape(-1, 784).astype(np.float64)
    mine = x[:theirs.shape[0]].astype(np.float64)
    difference = np.abs(mine - theirs)
    if not (difference <= 2.0 ** -23 * np.abs(theirs) + 1e-12).all():
        problems.append(f"the first {theirs.shape[0]} scaled rows differ by up to {difference.max():.3g}")
    if problems:
        raise e2e_models.CheckFailed("the standardisation does not match this project's FeatureScaling: " + "; ".join(problems))


def worker(peer: str, threads: int, reference: str | None, train_rows: int, test_rows: int, epochs: int, self_test: bool) -> dict:
    import resource

    import numpy as np

    result = {"peer": peer, "threads": threads, "numpy": np.__version__}
    offsets, scales, x, y, xt, yt = load(train_rows, test_rows)
    ref = e2e_models.read_reference(reference) if reference else None
    if ref is not None:
        check_scaling(ref, offsets, scales, x)
    settings = ref or {}
    if peer == "PyTorch":
        import torch

        torch.set_num_threads(threads)
        result.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
        if ref is not None:
            make = lambda layers, parameters, batch, s: e2e_models.TorchMlp(layers, parameters, batch, s)  # noqa: E731
            if self_test:
                e2e_models.self_test(peer, ref, make)
            result["check"] = e2e_models.check(peer, ref, make)
        model = e2e_models.TorchMlp([784, 256, 10], None, 128, settings_for(settings, train_rows, epochs))
        data = (torch.from_numpy(x), torch.from_numpy(y), None, torch.Generator().manual_seed(1))
        xt_, yt_ = torch.from_numpy(xt), torch.from_numpy(yt)
    elif peer == "NumPy":
        if ref is not None:
            make = e2e_models.NumPyMlp
            if self_test:
                e2e_models.self_test(peer, ref, make)
            result["check"] = e2e_models.check(peer, ref, make)
        model = e2e_models.NumPyMlp([784, 256, 10], e2e_models.NumPyMlp.initial_parameters([784, 256, 10], 1), 128, settings_for(settings, train_rows, epochs))
        data = (x, y, np.arange(x.shape[0]), np.random.default_rng(1))
        xt_, yt_ = xt, yt
    else:
        import sklearn
        from sklearn.neural_network import MLPClassifier

        result["sklearn"] = sklearn.__version__
        clf = MLPClassifier(hidden_layer_sizes=(256,), activation="relu", solver="adam", batch_size=128,
                            learning_rate_init=1e-3, shuffle=True, random_state=1)
        classes = np.arange(10)

        class Sklearn:
            @staticmethod
            def run_epoch(x, y, _order, _rng):
                clf.partial_fit(x, y, classes=classes)

            @staticmethod
            def accuracy(x, y):
                return float((clf.predict(x) == y).mean())

        model, data, xt_, yt_ = Sklearn, (x, y, None, None), xt, yt
    result["openblas_core"] = openblas_core()
    epoch_ns, accuracies = [], []
    for _ in range(epochs):
        t0 = time.perf_counter_ns()
        model.run_epoch(*data)
        epoch_ns.append(time.perf_counter_ns() - t0)
        accuracies.append(model.accuracy(xt_, yt_))
    result.update(epoch_ns=epoch_ns, accuracies=accuracies, peak_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return result


def settings_for(ref: dict, train_rows: int, epochs: int) -> dict:
    """The recipe's settings (from the reference where there is one), with the schedule sized for this run."""
    steps_per_epoch = (train_rows - 1) // 128 + 1
    s = {"label_smoothing": 0.1, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0, "peak_rate": 0.002, "final_rate": 0.002 / 100}
    s.update({k: ref[k] for k in s if k in ref})
    # One epoch of warm-up, as FashionMnistRecipe.Options; a one-epoch run (quick mode) has none.
    s.update(warmup_steps=steps_per_epoch if epochs > 1 else 0, total_steps=steps_per_epoch * epochs)
    return s


def make_reference(folder: str, no_build: bool) -> str:
    command = ["dotnet", "run", "-c", "Release", "--project", os.path.join(ROOT, "benchmarks")] + (["--no-build"] if no_build else []) + ["--", "e2e-reference", "--out", folder]
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)
    with open(os.path.join(folder, "results-folder.txt")) as f:
        return f.read().strip()


def csv_rows(r: dict, train_rows: int, test_rows: int) -> list[str]:
    e, acc, peer, t = r["epoch_ns"], r["accuracies"], r["peer"], r["threads"]
    core = r["openblas_core"]
    job = f"OpenBLAS-{core}-{t}t"
    width = str(WIDTH_OF_CORE.get(core.lower(), 256))
    case = f"784-256-10x128 {train_rows} rows +{test_rows} eval"
    def row(measure: str, mean: float, median: str, sd: str, rate: str, allocated: str) -> str:
        return ",".join([SUITE, "float", peer, job, width, f"\"Case={case}; Threads={t}; Measure={measure}\"", f"{mean:.1f}", median, sd, "", "", rate, allocated])
    lines = [row(f"epoch ({len(e)} epochs)", statistics.fmean(e), f"{statistics.median(e):.1f}", f"{statistics.stdev(e) if len(e) > 1 else 0:.1f}",
                 f"{train_rows / (statistics.fmean(e) * 1e-9):.0f}", "")]
    for target in TARGETS:  # a target not reached is a row too (time 0, "not reached" in its measure), so the report can say so
        first = next((i for i, a in enumerate(acc) if a >= target), None)
        lines.append(row(f"to {target:.2f} test accuracy ({first + 1} epochs)", float(sum(e[:first + 1])), "", "", "", "") if first is not None
                     else row(f"to {target:.2f} test accuracy (not reached in {len(e)} epochs)", 0.0, "", "", "", ""))
    lines.append(row(f"final test accuracy ({len(e)} epochs); Accuracy={acc[-1]:.4f}", 0.0, "", "", "", ""))
    lines.append(row("peak memory", 0.0, "0.0", "0.0", "", str(r["peak_bytes"])))
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="5,000 training rows, 2,000 test rows, 1 epoch, 1 thread, the checks' self-test; writes no CSV unless --results is given")
    parser.add_argument("--results", help="folder for EndToEndPeers.csv (default: this machine's benchmarks/results/<cpu>/)")
    parser.add_argument("--peer", action="append", dest="peers", choices=list(PEERS), help="peer to run (default: every one whose packages are installed)")
    parser.add_argument("--threads", type=int, action="append", help="thread count (default: 1 and 2, or 1 with --quick)")
    parser.add_argument("--epochs", type=int, help=f"epochs (default {EPOCHS}, the recipe's; 1 with --quick)")
    parser.add_argument("--no-build", action="store_true", help="pass --no-build to dotnet run (the benchmarks are built)")
    parser.add_argument("--worker", nargs=2, metavar=("PEER", "THREADS"), help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    train_rows, test_rows = (5000, 2000) if args.quick else (60000, 10000)
    epochs = args.epochs or (1 if args.quick else EPOCHS)

    if args.worker is not None:
        peer, threads = args.worker[0], int(args.worker[1])
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            if os.environ.get(variable) != str(threads):
                print(f"error: {variable} must be {threads} before Python starts (the parent sets it)", file=sys.stderr)
                return 2
        try:
            result = worker(peer, threads, args.reference, train_rows, test_rows, epochs, args.quick)
        except e2e_models.CheckFailed as failure:
            print(f"error: {failure}\nrefusing to time {peer}.", file=sys.stderr)
            return 1
        print(json.dumps(result))
        return 0

    if not os.path.isdir(DATA):
        print(f"error: {DATA} not found (apt-get install dataset-fashion-mnist)", file=sys.stderr)
        return 2
    installed = [p for p, modules in PEERS.items() if all(importlib.util.find_spec(m) for m in modules)]
    peers = args.peers or installed
    missing = [p for p in peers if p not in installed]
    if missing:
        print(f"error: {', '.join(missing)}: {sys.executable} cannot import {', '.join(sorted({m for p in missing for m in PEERS[p]}))} (apt-get install python3-numpy python3-torch python3-sklearn)", file=sys.stderr)
        return 2
    for p in PEERS:
        if p not in peers and args.peers is None:
            print(f"skipped: {p} ({sys.executable} cannot import {', '.join(PEERS[p])})")

    results = []
    with tempfile.TemporaryDirectory(prefix="backprop-e2e-peers-") as scratch:
        needs_reference = any(p != "scikit-learn" for p in peers)
        machine_folder = make_reference(scratch, args.no_build) if needs_reference or (args.results is None and not args.quick) else None
        reference = os.path.join(scratch, "fashion-mnist.e2eref") if needs_reference else None
        for threads in args.threads or ([1] if args.quick else [1, 2]):
            for peer in peers:
                env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
                env.pop("OPENBLAS_CORETYPE", None)  # end to end: each library with the kernels it picks by default, as this project
                command = [sys.executable, os.path.abspath(__file__), "--worker", peer, str(threads), "--epochs", str(epochs)] \
                    + (["--quick"] if args.quick else []) + (["--reference", reference] if reference and peer != "scikit-learn" else [])
                print(f"$ OMP_NUM_THREADS={threads} ... {' '.join(command[1:])}", flush=True)
                process = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
                if process.returncode != 0:
                    print(f"error: the {peer} worker failed (exit {process.returncode}); nothing was written", file=sys.stderr)
                    return 1
                r = json.loads(process.stdout.strip().splitlines()[-1])
                results.append(r)
                e, acc = r["epoch_ns"], r["accuracies"]
                checked = f"; matched this project's first steps (gradients within {r['check']['gradient_error']:.1e} of the largest, updates within {r['check']['parameter_error_of_bound']:.2f} of the bound)" if "check" in r else ""
                reached = ", ".join(f"{t:.2f} after {next(i for i, a in enumerate(acc) if a >= t) + 1} epochs ({sum(e[:next(i for i, a in enumerate(acc) if a >= t) + 1]) / 1e9:.1f} s)" if any(a >= t for a in acc) else f"{t:.2f} not reached" for t in TARGETS)
                print(f"  {peer}, {threads} thread(s), OpenBLAS {r['openblas_core']}: {statistics.median(e) / 1e9:.3f} s per epoch (median of {len(e)}); "
                      f"test accuracy {', '.join(f'{a:.4f}' for a in acc)}; {reached}; peak memory {r['peak_bytes'] / 2**20:.0f} MiB{checked}", flush=True)

    folder = args.results or (None if args.quick else machine_folder)
    if folder is None:
        print("quick run: every peer ran (and PyTorch and NumPy matched this project's steps); no CSV written (give --results DIR to write one)")
        return 0
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, SUITE + ".csv")
    kept = []
    if os.path.exists(path):  # keep the rows of the peers that did not run now
        with open(path) as f:
            kept = [line.rstrip("\n") for line in f.readlines()[1:] if line.strip() and line.split(",")[2].strip('"').split(" ")[0] not in peers]
    lines = kept + [line for r in results for line in csv_rows(r, train_rows, test_rows)]
    with open(path, "w", newline="\n") as f:
        f.write(HEADER + "\n" + "".join(line + "\n" for line in lines))
    with open(os.path.join(folder, SUITE + ".md"), "w", newline="\n") as f:
        f.write(f"# {SUITE}\n\nWritten by `benchmarks/Peers/python/fashion_mnist.py` on {datetime.date.today().isoformat()}"
                f"{' (quick mode: not a measurement)' if args.quick else ''}; the numbers are in `{SUITE}.csv`. Each line is one worker process:\n\n")
        for r in results:
            versions = "; ".join(f"{k} {r[k]}" for k in ("numpy", "torch", "sklearn") if k in r)
            check = f"; check against this project's first 3 steps: gradients within {r['check']['gradient_error']:.1e} of each layer's largest, updates within {r['check']['parameter_error_of_bound']:.2f} of the bound" if "check" in r else "; no step check (scikit-learn has no label smoothing or schedule)"
            f.write(f"- {r['peer']}, {r['threads']} thread(s): {versions}; OpenBLAS core {r['openblas_core']}{check}; test accuracy by epoch: {', '.join(f'{a:.4f}' for a in r['accuracies'])}\n")
    print(f"results written to {path}; regenerate the report with: dotnet run -c Release --project benchmarks -- report")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
