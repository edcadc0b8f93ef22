"""End-to-end peer: scikit-learn's MLPClassifier on Fashion-MNIST, time per epoch and to 0.89 test accuracy.

    /usr/bin/python3 benchmarks/Peers/python/fashion_mnist.py --quick   # 5,000 rows, 1 epoch, 1 thread; writes nothing
    /usr/bin/python3 benchmarks/Peers/python/fashion_mnist.py           # 60,000 rows, up to 30 epochs, 1 and 2 threads

The data are the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, the IDX
files the CLI's `--data fashion-mnist` reads). The model is as close to the CLI's default for this
data as scikit-learn allows: 784-256-10, ReLU, Adam (learning rate 1e-3, constant: scikit-learn's
Adam has no cosine schedule), batch 128, float32, inputs divided by 255 then standardised with the
training set's per-pixel mean and standard deviation. One epoch is one `partial_fit` over the
shuffled training set; the test set is evaluated after each epoch, outside the epoch's time.
Results: EndToEndPeers.csv in the results folder (the suite CSV columns; one row per thread count
for the time per epoch, with its median and standard deviation over the epochs, and one for the
training time until the test accuracy first reaches 0.89, if it does).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = "Suite,Type,Method,Job,Width,Parameters,MeanNs,MedianNs,StdDevNs,Ratio,GflopsPerSec,RowsPerSec,AllocatedBytes"
SUITE = "EndToEndPeers"
DATA = "/usr/share/datasets/fashion-mnist"
TARGET = 0.89


def read_idx(path: str):
    import numpy as np

    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def worker(threads: int, train_rows: int, test_rows: int, epochs: int) -> dict:
    import numpy as np
    from sklearn.neural_network import MLPClassifier

    x = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"))[:train_rows].reshape(-1, 784).astype(np.float32) / 255
    y = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"))[:train_rows].astype(np.int64)
    xt = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))[:test_rows].reshape(-1, 784).astype(np.float32) / 255
    yt = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))[:test_rows].astype(np.int64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1
    x, xt = (x - mean) / std, (xt - mean) / std
    model = MLPClassifier(hidden_layer_sizes=(256,), activation="relu", solver="adam", batch_size=128,
                          learning_rate_init=1e-3, shuffle=True, random_state=1)
    classes = np.arange(10)
    epoch_ns, accuracies, to_target = [], [], None
    for _ in range(epochs):
        t0 = time.perf_counter_ns()
        model.partial_fit(x, y, classes=classes)
        epoch_ns.append(time.perf_counter_ns() - t0)
        accuracies.append(float((model.predict(xt) == yt).mean()))
        if to_target is None and accuracies[-1] >= TARGET:
            to_target = (sum(epoch_ns), len(epoch_ns))
    return {
        "threads": threads, "epoch_ns": epoch_ns, "accuracies": accuracies,
        "to_target_ns": to_target[0] if to_target else None, "to_target_epochs": to_target[1] if to_target else None,
        "dtype": str(model.coefs_[0].dtype), "sklearn": __import__("sklearn").__version__,
    }


def openblas_core() -> str:
    import ctypes

    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "libopenblas" in line})
    if not paths:
        return "unknown"
    lib = ctypes.CDLL(paths[0])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib.openblas_get_corename().decode()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results", help="folder for EndToEndPeers.csv (default: this machine's results folder, from `benchmarks -- peer-reference`)")
    parser.add_argument("--threads", type=int, action="append")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    train_rows, test_rows = (5000, 2000) if args.quick else (60000, 10000)
    epochs = args.epochs or (1 if args.quick else 30)
    if args.worker is not None:
        import numpy  # noqa: F401  (loads OpenBLAS, after the thread variables)

        result = worker(args.worker, train_rows, test_rows, epochs)
        result["openblas_core"] = openblas_core()
        print(json.dumps(result))
        return 0

    if not os.path.isdir(DATA):
        print(f"error: {DATA} not found (apt-get install dataset-fashion-mnist)", file=sys.stderr)
        return 2
    lines = []
    for threads in args.threads or ([1] if args.quick else [1, 2]):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), OPENBLAS_CORETYPE="Haswell")
        command = [sys.executable, os.path.abspath(__file__), "--worker", str(threads), "--epochs", str(epochs)] + (["--quick"] if args.quick else [])
        process = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
        if process.returncode != 0:
            print(f"error: the worker failed (exit {process.returncode}); nothing was written", file=sys.stderr)
            return 1
        r = json.loads(process.stdout.strip().splitlines()[-1])
        e = r["epoch_ns"]
        print(f"{threads} thread(s), {r['dtype']}, OpenBLAS {r['openblas_core']}: {statistics.median(e) / 1e9:.2f} s per epoch (median of {len(e)}); "
              f"test accuracy by epoch {', '.join(f'{a:.4f}' for a in r['accuracies'])}; "
              + (f"{TARGET} after {r['to_target_epochs']} epochs, {r['to_target_ns'] / 1e9:.1f} s of training" if r["to_target_ns"] else f"{TARGET} not reached"), flush=True)
        job = f"OpenBLAS-{r['openblas_core']}-{threads}t"
        case = f"784-256-10x128 {train_rows} rows +{test_rows} eval"
        method = f"scikit-learn {r['sklearn']} MLPClassifier (ReLU, Adam)"
        lines.append(",".join([SUITE, "float" if r["dtype"] == "float32" else "double", f"\"{method}\"", job, "256",
                               f"Case={case}; Threads={threads}; Measure=epoch",
                               f"{statistics.fmean(e):.1f}", f"{statistics.median(e):.1f}", f"{statistics.stdev(e) if len(e) > 1 else 0:.1f}",
                               "", "", f"{train_rows / (statistics.fmean(e) * 1e-9):.0f}", ""]))
        if r["to_target_ns"]:
            lines.append(",".join([SUITE, "float" if r["dtype"] == "float32" else "double", f"\"{method}\"", job, "256",
                                   f"Case={case}; Threads={threads}; Measure=to {TARGET} test accuracy ({r['to_target_epochs']} epochs)",
                                   f"{r['to_target_ns']:.1f}", "", "", "", "", "", ""]))
    folder = args.results
    if folder is None and not args.quick:
        sys.path.insert(0, HERE)
        import run  # noqa: E402

        import tempfile
        with tempfile.TemporaryDirectory(prefix="backprop-peers-") as references:
            folder = run.make_references(references, ["2-3-2x500"], no_build=False)
    if folder is None:
        print("quick run: no CSV written (give --results DIR to write one)")
        return 0
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, SUITE + ".csv"), "w", newline="\n") as f:
        f.write(HEADER + "\n" + "".join(line + "\n" for line in lines))
    print(f"results written to {folder}; regenerate the report with: dotnet run -c Release --project benchmarks -- report")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
