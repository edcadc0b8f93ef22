"""One training step in NumPy and PyTorch, checked against this project's step, then timed.

The same step as benchmarks/Training/TrainingStepBenchmarks.cs: sigmoid hidden layers, softmax and
mean cross-entropy, backward, plain SGD update, float32, from the textbook matrix derivation:

    Z_l = A_{l-1} W_l + b_l            A_0 = X (N x F), W_l fan_in x fan_out, b_l a row
    A_l = sigmoid(Z_l)                  hidden layers
    P   = softmax(Z_L)                  row-wise; loss = -mean(log P[n, y_n])
    D_L = (P - Y) / N                   Y one-hot
    dW_l = A_{l-1}^T D_l                db_l = column sums of D_l
    D_{l-1} = (D_l W_l^T) * A_{l-1} * (1 - A_{l-1})
    theta -= eta * grad                 every W and b

Three peers:
  NumPy              preallocated: every product and element-wise op writes into buffers made once
                     (out= arguments); parameters and gradients are views of one flat buffer each, in
                     this project's layout, so the update is one pass, as in this project.
  PyTorch-autograd   what a PyTorch user writes: leaf tensors, torch.addmm/sigmoid/cross_entropy,
                     loss.backward(), torch.optim.SGD (zero_grad(set_to_none=True), step()).
  PyTorch-manual     the derivation by hand under torch.no_grad(), in-place ops and out= buffers.

This file is the worker: run.py starts it once per thread count and BLAS kernel set, because the
thread variables must be set before NumPy and PyTorch load. It imports nothing at module level but
the standard library, so run.py can read CASES without loading NumPy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

CASES = ["2-3-2x500", "4-2-2x500", "64-128-10x64", "784-256-10x128", "784-1024-1024-10x256"]
PEERS = ["NumPy", "PyTorch-autograd", "PyTorch-manual"]

# Tolerances of the check, float32 against float32 (both sides round every operation to float32).
# The exact gradient is the same for both; each side's rounding error in a gradient entry is bounded by
# about K * u * (sum of |terms|) (u = 2^-24 = 6.0e-8, K the longest dot product: 1,024 features or 500
# rows here), i.e. ~6e-5 relative to the entry's scale in the worst case and ~sqrt(K) * u = 2e-6
# typically. Entries can cancel to near zero, so the error is measured against the layer's largest
# gradient (a norm-wise comparison) rather than entry by entry. GRADIENT_TOLERANCE = 1e-3 is > 10x the
# worst case over three layers, and far below what a real mistake gives (a missing 1/N, a wrong
# transpose, a missing sigmoid' or bias: an error of order 1).
GRADIENT_TOLERANCE = 1e-3
# Parameters after the update: theta - eta * g on both sides, so they differ by eta times the gradient
# difference plus one float32 rounding of theta on each side (2 ulp of the largest |theta|).
FLOAT32_EPS = 2.0 ** -23


class CheckFailed(Exception):
    """The peer's step does not match this project's: it must not be timed."""


def parse_case(text: str) -> tuple[list[int], int]:
    layers, rows = text.split("x")
    return [int(s) for s in layers.split("-")], int(rows)


def read_reference(path: str) -> dict:
    """Reads a file written by `benchmarks -- peer-reference` (one JSON line, then raw arrays)."""
    import numpy as np

    with open(path, "rb") as f:
        header = json.loads(f.readline().decode("utf-8"))
        if header.get("format") != "backprop-step-reference-1":
            raise CheckFailed(f"{path}: not a step reference file (format {header.get('format')!r})")
        for name, dtype, count in header["arrays"]:
            data = np.frombuffer(f.read(4 * count), dtype=np.dtype(dtype).newbyteorder("<"))
            if data.size != count:
                raise CheckFailed(f"{path}: truncated at array {name}")
            header[name] = data.astype(dtype)  # native order, writable copy
    return header


def layer_slices(layers: list[int]) -> list[tuple[int, int, int, int]]:
    """(bias start, weights start, fan_in, fan_out) per layer, in this project's parameter layout."""
    out, offset = [], 0
    for fan_in, fan_out in zip(layers, layers[1:]):
        out.append((offset, offset + fan_out, fan_in, fan_out))
        offset += fan_out + fan_in * fan_out
    return out


# ------------------------------------------------------------------------------------------ NumPy


class NumpyStep:
    """The derivation in NumPy, every buffer preallocated."""

    def __init__(self, layers, rows, parameters, inputs, labels, learning_rate):
        import numpy as np

        self.np = np
        f32 = np.float32
        self.x = np.ascontiguousarray(inputs.reshape(rows, layers[0]), dtype=f32)
        self.y = labels.astype(np.intp)
        self.rows_index = np.arange(rows)
        self.eta = f32(learning_rate)
        self.theta = parameters.astype(f32).copy()
        self.grad = np.zeros_like(self.theta)
        self.scaled = np.zeros_like(self.theta)
        self.W, self.b, self.dW, self.db = [], [], [], []
        for bias, weights, fan_in, fan_out in layer_slices(layers):
            self.b.append(self.theta[bias:weights])
            self.W.append(self.theta[weights:weights + fan_in * fan_out].reshape(fan_in, fan_out))
            self.db.append(self.grad[bias:weights])
            self.dW.append(self.grad[weights:weights + fan_in * fan_out].reshape(fan_in, fan_out))
        self.A = [np.empty((rows, n), f32) for n in layers[1:]]  # activations; the last is P
        self.D = [np.empty((rows, n), f32) for n in layers[1:]]  # deltas
        self.T = [np.empty((rows, n), f32) for n in layers[1:]]  # scratch for sigmoid'
        self.row_max = np.empty((rows, 1), f32)
        self.row_sum = np.empty((rows, 1), f32)
        self.inv_rows = f32(1.0 / rows)

    def gradients_and_loss(self) -> float:
        np = self.np
        last = len(self.W) - 1
        a = self.x
        for l, (w, b, z) in enumerate(zip(self.W, self.b, self.A)):
            np.matmul(a, w, out=z)
            z += b
            if l < last:  # sigmoid in place: 1 / (1 + exp(-z))
                np.negative(z, out=z)
                np.exp(z, out=z)
                z += 1
                np.reciprocal(z, out=z)
            a = z
        p = self.A[last]  # softmax, stabilised by the row maximum
        np.max(p, axis=1, keepdims=True, out=self.row_max)
        p -= self.row_max
        np.exp(p, out=p)
        np.sum(p, axis=1, keepdims=True, out=self.row_sum)
        p /= self.row_sum
        loss = -float(np.log(p[self.rows_index, self.y]).mean())
        d = self.D[last]  # (P - Y) / N
        np.copyto(d, p)
        d[self.rows_index, self.y] -= 1
        d *= self.inv_rows
        for l in range(last, -1, -1):
            a_prev = self.x if l == 0 else self.A[l - 1]
            np.matmul(a_prev.T, d, out=self.dW[l])
            np.sum(d, axis=0, out=self.db[l])
            if l > 0:
                d_prev, t = self.D[l - 1], self.T[l - 1]
                np.matmul(d, self.W[l].T, out=d_prev)
                np.subtract(1, a_prev, out=t)  # sigmoid' = A (1 - A)
                t *= a_prev
                d_prev *= t
                d = d_prev
        return loss

    def update(self):
        np = self.np
        np.multiply(self.grad, self.eta, out=self.scaled)
        self.theta -= self.scaled

    def step(self) -> float:
        loss = self.gradients_and_loss()
        self.update()
        return loss

    def flat_gradients(self):
        return self.grad

    def flat_parameters(self):
        return self.theta


# ---------------------------------------------------------------------------------------- PyTorch


class TorchAutogradStep:
    """What a PyTorch user writes: autograd and torch.optim.SGD."""

    def __init__(self, layers, rows, parameters, inputs, labels, learning_rate):
        import torch

        self.torch = torch
        self.layers = layers
        self.x = torch.from_numpy(inputs.reshape(rows, layers[0]).copy())
        self.y = torch.from_numpy(labels.astype("int64"))
        self.W, self.b = [], []
        for bias, weights, fan_in, fan_out in layer_slices(layers):
            self.b.append(torch.from_numpy(parameters[bias:weights].copy()).requires_grad_())
            self.W.append(torch.from_numpy(parameters[weights:weights + fan_in * fan_out].reshape(fan_in, fan_out).copy()).requires_grad_())
        self.params = [p for pair in zip(self.b, self.W) for p in pair]  # this project's order: b, W per layer
        self.optimizer = torch.optim.SGD(self.params, lr=learning_rate)

    def gradients_and_loss(self) -> float:
        torch = self.torch
        self.optimizer.zero_grad(set_to_none=True)
        a = self.x
        last = len(self.W) - 1
        for l, (w, b) in enumerate(zip(self.W, self.b)):
            a = torch.addmm(b, a, w)
            if l < last:
                a = torch.sigmoid(a)
        loss = torch.nn.functional.cross_entropy(a, self.y)
        loss.backward()
        return float(loss)

    def step(self) -> float:
        loss = self.gradients_and_loss()
        self.optimizer.step()
        return loss

    def update(self):
        self.optimizer.step()

    def flat_gradients(self):
        return self.torch.cat([p.grad.reshape(-1) for p in self.params]).numpy()

    def flat_parameters(self):
        return self.torch.cat([p.detach().reshape(-1) for p in self.params]).numpy()


class TorchManualStep:
    """The derivation by hand in PyTorch: no autograd, in-place ops and out= buffers."""

    def __init__(self, layers, rows, parameters, inputs, labels, learning_rate):
        import torch

        self.torch = torch
        f32 = torch.float32
        self.x = torch.from_numpy(inputs.reshape(rows, layers[0]).copy())
        self.y = torch.from_numpy(labels.astype("int64"))
        self.y_column = self.y.reshape(rows, 1)
        self.eta = float(learning_rate)
        self.theta = torch.from_numpy(parameters.copy())
        self.grad = torch.zeros_like(self.theta)
        self.W, self.b, self.dW, self.db = [], [], [], []
        for bias, weights, fan_in, fan_out in layer_slices(layers):
            self.b.append(self.theta[bias:weights])
            self.W.append(self.theta[weights:weights + fan_in * fan_out].view(fan_in, fan_out))
            self.db.append(self.grad[bias:weights])
            self.dW.append(self.grad[weights:weights + fan_in * fan_out].view(fan_in, fan_out))
        self.A = [torch.empty((rows, n), dtype=f32) for n in layers[1:]]
        self.D = [torch.empty((rows, n), dtype=f32) for n in layers[1:]]
        self.T = [torch.empty((rows, n), dtype=f32) for n in layers[1:]]
        self.row_max = torch.empty((rows, 1), dtype=f32)
        self.row_sum = torch.empty((rows, 1), dtype=f32)
        self.picked = torch.empty((rows, 1), dtype=f32)
        self.minus_one = torch.full((rows, 1), -1.0, dtype=f32)
        self.inv_rows = 1.0 / rows

    def gradients_and_loss(self) -> float:
        torch = self.torch
        with torch.no_grad():
            last = len(self.W) - 1
            a = self.x
            for l, (w, b, z) in enumerate(zip(self.W, self.b, self.A)):
                torch.addmm(b, a, w, out=z)
                if l < last:
                    z.sigmoid_()
                a = z
            p = self.A[last]
            torch.amax(p, dim=1, keepdim=True, out=self.row_max)
            p.sub_(self.row_max).exp_()
            torch.sum(p, dim=1, keepdim=True, out=self.row_sum)
            p.div_(self.row_sum)
            torch.gather(p, 1, self.y_column, out=self.picked)
            loss = -float(self.picked.log_().mean())
            d = self.D[last]
            d.copy_(p).scatter_add_(1, self.y_column, self.minus_one).mul_(self.inv_rows)
            for l in range(last, -1, -1):
                a_prev = self.x if l == 0 else self.A[l - 1]
                torch.mm(a_prev.t(), d, out=self.dW[l])
                torch.sum(d, dim=0, out=self.db[l])
                if l > 0:
                    d_prev, t = self.D[l - 1], self.T[l - 1]
                    torch.mm(d, self.W[l].t(), out=d_prev)
                    torch.mul(a_prev, a_prev, out=t)  # sigmoid' = A - A^2
                    torch.sub(a_prev, t, out=t)
                    d_prev.mul_(t)
                    d = d_prev
        return loss

    def update(self):
        with self.torch.no_grad():
            self.theta.add_(self.grad, alpha=-self.eta)

    def step(self) -> float:
        loss = self.gradients_and_loss()
        self.update()
        return loss

    def flat_gradients(self):
        return self.grad.numpy()

    def flat_parameters(self):
        return self.theta.numpy()


IMPLEMENTATIONS = {"NumPy": NumpyStep, "PyTorch-autograd": TorchAutogradStep, "PyTorch-manual": TorchManualStep}


# ------------------------------------------------------------------------------ check and timing


def check(peer: str, ref: dict) -> dict:
    """One step from the reference's parameters; raises CheckFailed unless it matches this project's."""
    import numpy as np

    layers, rows = ref["layers"], ref["rows"]
    impl = IMPLEMENTATIONS[peer](layers, rows, ref["parameters"], ref["inputs"], ref["labels"], ref["learning_rate"])
    loss = impl.gradients_and_loss()
    grad = np.array(impl.flat_gradients(), dtype=np.float64)
    impl.update()
    after = np.array(impl.flat_parameters(), dtype=np.float64)
    ours_grad = ref["gradients"].astype(np.float64)
    ours_after = ref["parameters_after"].astype(np.float64)
    worst_gradient, worst_parameter = 0.0, 0.0
    problems = []
    if not math.isclose(loss, ref["loss"], rel_tol=1e-5):
        problems.append(f"loss {loss:.9g}, this project's {ref['loss']:.9g}")
    for l, (bias, weights, fan_in, fan_out) in enumerate(layer_slices(layers)):
        end = weights + fan_in * fan_out
        for name, lo, hi in (("b", bias, weights), ("W", weights, end)):
            scale = np.abs(ours_grad[bias:end]).max()  # the layer's largest gradient
            error = np.abs(grad[lo:hi] - ours_grad[lo:hi]).max()
            relative = error / scale if scale > 0 else error
            worst_gradient = max(worst_gradient, relative)
            if not relative <= GRADIENT_TOLERANCE:
                problems.append(f"layer {l + 1} d{name}: largest difference {error:.3g} = {relative:.3g} of the layer's largest gradient (tolerance {GRADIENT_TOLERANCE:g})")
            bound = ref["learning_rate"] * GRADIENT_TOLERANCE * scale + 2 * FLOAT32_EPS * np.abs(ref["parameters"][lo:hi]).max()
            difference = np.abs(after[lo:hi] - ours_after[lo:hi]).max()
            worst_parameter = max(worst_parameter, difference / bound if bound > 0 else difference)
            if not difference <= bound:
                problems.append(f"layer {l + 1} {name} after the update: largest difference {difference:.3g} > {bound:.3g}")
    if problems:
        raise CheckFailed(f"{peer}, {ref['case']}: the step does not match this project's Trainer<float>.Step:\n  " + "\n  ".join(problems))
    return {"gradient_error": worst_gradient, "parameter_error_of_bound": worst_parameter}


def time_peer(peer: str, ref: dict, samples: int, warmup_seconds: float, sample_seconds: float) -> dict:
    """Warm-up, then `samples` timed samples of k steps each (k chosen so a sample lasts about
    sample_seconds); the per-step time of each sample is one observation (BenchmarkDotNet's scheme)."""
    layers, rows = ref["layers"], ref["rows"]
    impl = IMPLEMENTATIONS[peer](layers, rows, ref["parameters"], ref["inputs"], ref["labels"], ref["learning_rate"])
    clock = time.perf_counter_ns
    start, steps = clock(), 0
    while steps < 3 or clock() - start < warmup_seconds * 1e9:
        impl.step()
        steps += 1
    per_step = (clock() - start) / steps
    k = max(1, int(sample_seconds * 1e9 / per_step))
    observations = []
    for _ in range(samples):
        t0 = clock()
        for _ in range(k):
            impl.step()
        observations.append((clock() - t0) / k)
    return {
        "mean_ns": statistics.fmean(observations),
        "median_ns": statistics.median(observations),
        "stddev_ns": statistics.stdev(observations) if len(observations) > 1 else 0.0,
        "samples": samples,
        "steps_per_sample": k,
    }


def kernel_set() -> dict:
    """What actually runs: the BLAS libraries loaded (from /proc/self/maps), OpenBLAS's core name and
    threads, PyTorch's CPU capability and threads."""
    import ctypes

    import numpy as np
    import torch

    info = {"numpy": np.__version__, "torch": torch.__version__, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "")}
    libraries = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if any(k in path for k in ("blas", "lapack", "mkl", "dnnl", "gomp", "omp")):
                    libraries.add(path)
    except OSError:
        pass
    info["libraries"] = sorted(libraries)
    openblas = next((p for p in sorted(libraries) if "libopenblas" in p), None)
    if openblas:
        lib = ctypes.CDLL(openblas)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        info["openblas_core"] = lib.openblas_get_corename().decode()
        info["openblas_config"] = lib.openblas_get_config().decode()
        info["openblas_threads"] = lib.openblas_get_num_threads()
    capability = [l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines() if "CPU capability usage" in l]
    info["torch_cpu_capability"] = capability[0] if capability else ""
    info["torch_threads"] = torch.get_num_threads()
    return info


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", required=True, help="folder of <case>.f32ref files (benchmarks -- peer-reference)")
    parser.add_argument("--case", action="append", dest="cases", help="case to run (default: all)")
    parser.add_argument("--peer", action="append", dest="peers", choices=PEERS, help="peer to run (default: all)")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--warmup-seconds", type=float, default=1.0)
    parser.add_argument("--sample-seconds", type=float, default=0.25)
    parser.add_argument("--self-test", action="store_true", help="first show that the check refuses a reference whose largest gradient is 1%% off")
    args = parser.parse_args(argv)

    expected = str(args.threads)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(variable) != expected:
            print(f"error: {variable} must be {expected} before Python starts (run.py sets it)", file=sys.stderr)
            return 2
    import numpy as np  # noqa: F401  (after the thread variables)
    import torch

    torch.set_num_threads(args.threads)
    info = kernel_set()
    print(json.dumps({"kernel_set": info}), flush=True)
    if args.self_test:
        import numpy as np

        ref = read_reference(os.path.join(args.references, (args.cases or CASES)[0] + ".f32ref"))
        bad = dict(ref, gradients=ref["gradients"].copy())
        bad["gradients"][int(np.argmax(np.abs(bad["gradients"])))] *= np.float32(1.01)
        for peer in args.peers or PEERS:
            try:
                check(peer, bad)
            except CheckFailed:
                continue
            print(f"error: self-test: the check accepted {peer}'s step against a reference 1% off; it cannot be trusted.", file=sys.stderr)
            return 1
        print(json.dumps({"self_test": "the check refused a reference 1% off, for every peer"}), flush=True)
    for case in args.cases or CASES:
        ref = read_reference(os.path.join(args.references, case + ".f32ref"))
        for peer in args.peers or PEERS:
            try:
                checked = check(peer, ref)
            except CheckFailed as failure:
                print(f"error: {failure}\nrefusing to time {peer} on {case}.", file=sys.stderr)
                return 1
            result = time_peer(peer, ref, args.samples, args.warmup_seconds, args.sample_seconds)
            print(json.dumps({"case": case, "peer": peer, "threads": args.threads, **checked, **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
