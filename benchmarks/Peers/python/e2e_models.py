"""The end-to-end peers' models (NumPy, PyTorch, scikit-learn) and their check against this project.

The recipe is the CLI's Fashion-MNIST default (src/Cli/TrainCommand.cs, written out in
benchmarks/EndToEnd/FashionMnistRecipe.cs): 784-256-10, ReLU, He-uniform initialisation
(U(-sqrt(6/fan_in), +sqrt(6/fan_in)), biases 0), batch 128 over the shuffled training set (the last
batch holds the remaining 96 rows), Adam (beta1 0.9, beta2 0.999, eps 1e-8 outside the square root,
bias-corrected), learning rate per step: linear warm-up over the first epoch, eta_s = peak (s + 1) / W,
then a cosine from peak 0.002 to 0.002/100 at the last step, label smoothing 0.1
(target (1 - eps) onehot + eps / K), float32, pixels standardised with the training set's per-pixel
mean and population standard deviation (a constant pixel becomes 0). From the textbook derivation:

    H = relu(X W1 + b1)          Z = H W2 + b2          P = softmax(Z) (row-wise)
    loss = mean over rows of  logsumexp(z) - (1 - eps) z[t] - (eps / K) sum_j z[j]
    D2 = (P - Y_smooth) / N      dW2 = H^T D2           db2 = column sums of D2
    D1 = (D2 W2^T) o [H > 0]     dW1 = X^T D1           db1 = column sums of D1
    m = b1 m + (1 - b1) g        v = b2 v + (1 - b2) g^2
    theta -= eta_s * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

Models:
  NumPyMlp     the derivation by hand, every buffer preallocated (out= arguments); parameters,
               gradients and Adam's moments are flat buffers in this project's layout (per layer the
               bias, then the fan_in x fan_out weights), so the update is a few whole-buffer passes.
  TorchMlp     what a PyTorch user writes: torch.nn.Sequential(Linear, ReLU, Linear),
               CrossEntropyLoss(label_smoothing=0.1), torch.optim.Adam, a LambdaLR scheduler with the
               recipe's schedule, torch.nn.init.kaiming_uniform_; batches gathered with index_select
               from a torch.randperm order into preallocated tensors (a DataLoader's per-row collation
               costs more than the step itself at this size, and a reader timing PyTorch would skip it).
  SklearnMlp   scikit-learn's MLPClassifier, as close as it allows: ReLU, Adam at a constant 1e-3 (no
               schedule, no label smoothing), batch 128; one epoch is one partial_fit.

This module imports only the standard library at load time; the worker imports NumPy and PyTorch after
the thread variables are set.
"""

from __future__ import annotations

import json
import math

CLASSES = 10
# Gradients: the same tolerance and argument as training_step.py (float32 both sides; K <= 784 terms per
# dot product; a mistake is off by order 1). Measured against each layer's largest gradient.
GRADIENT_TOLERANCE = 1e-3
FLOAT32_EPS = 2.0 ** -23


class CheckFailed(Exception):
    """The peer does not do what this project does: it must not be timed."""


def rate(step: int, peak: float, final: float, warmup: int, total: int) -> float:
    """The recipe's learning rate for a 0-based step (LearningRateSchedule.WarmupCosine)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    if step >= total:
        return final
    return final + 0.5 * (peak - final) * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def read_reference(path: str) -> dict:
    """Reads the file `benchmarks -- e2e-reference` writes (one JSON line, then raw little-endian arrays)."""
    import numpy as np

    with open(path, "rb") as f:
        header = json.loads(f.readline().decode("utf-8"))
        if header.get("format") != "backprop-e2e-reference-1":
            raise CheckFailed(f"{path}: not an end-to-end reference file (format {header.get('format')!r})")
        for name, dtype, count in header["arrays"]:
            size = np.dtype(dtype).itemsize
            data = np.frombuffer(f.read(size * count), dtype=np.dtype(dtype).newbyteorder("<"))
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


def standardise(x_train, *others):
    """Per-pixel mean and population standard deviation of the training set, in float64 (FeatureScaling.Fit):
    x' = float32((x - offset) * scale), scale = 1 / std, or 1 for a constant pixel. Returns (offsets, scales, scaled arrays...)."""
    import numpy as np

    x64 = x_train.astype(np.float64)
    offsets = x64.mean(axis=0)
    std = np.sqrt(((x64 - offsets) ** 2).mean(axis=0))
    constant = (x64.max(axis=0) == x64.min(axis=0)) | (std == 0)
    scales = np.where(constant, 1.0, 1.0 / np.where(std == 0, 1.0, std))
    del x64
    scaled = [((x.astype(np.float64) - offsets) * scales).astype(np.float32) for x in (x_train, *others)]
    return (offsets, scales, *scaled)


# ------------------------------------------------------------------------------------------ NumPy


class NumPyMlp:
    """784-256-10 by hand in NumPy: preallocated buffers, flat parameters in this project's layout."""

    def __init__(self, layers, parameters, batch, settings):
        import numpy as np

        self.np = np
        f32 = np.float32
        self.layers, self.batch = layers, batch
        self.eps_smooth = f32(settings["label_smoothing"])
        self.beta1, self.beta2, self.epsilon = f32(settings["beta1"]), f32(settings["beta2"]), f32(settings["epsilon"])
        self.schedule = (settings["peak_rate"], settings["final_rate"], settings["warmup_steps"], settings["total_steps"])
        self.theta = parameters.astype(f32).copy()
        self.grad = np.zeros_like(self.theta)
        self.m = np.zeros_like(self.theta)
        self.v = np.zeros_like(self.theta)
        self.t1 = np.zeros_like(self.theta)
        self.t2 = np.zeros_like(self.theta)
        self.W, self.b, self.dW, self.db = [], [], [], []
        for bias, weights, fan_in, fan_out in layer_slices(layers):
            self.b.append(self.theta[bias:weights])
            self.W.append(self.theta[weights:weights + fan_in * fan_out].reshape(fan_in, fan_out))
            self.db.append(self.grad[bias:weights])
            self.dW.append(self.grad[weights:weights + fan_in * fan_out].reshape(fan_in, fan_out))
        hidden, outputs = layers[1], layers[2]
        self.xb = np.empty((batch, layers[0]), f32)
        self.yb = np.empty(batch, np.intp)
        self.H = np.empty((batch, hidden), f32)
        self.mask = np.empty((batch, hidden), np.bool_)
        self.D1 = np.empty((batch, hidden), f32)
        self.Z = np.empty((batch, outputs), f32)
        self.P = np.empty((batch, outputs), f32)
        self.row = np.empty((batch, 1), f32)
        self.row2 = np.empty((batch, 1), f32)
        self.rows_index = np.arange(batch)
        self.steps = 0

    @staticmethod
    def initial_parameters(layers, seed):
        """He-uniform weights, zero biases, this project's layout (NumPy's own generator: not this project's numbers)."""
        import numpy as np

        rng = np.random.default_rng(seed)
        theta = np.zeros(sum(o + i * o for i, o in zip(layers, layers[1:])), np.float32)
        for _, weights, fan_in, fan_out in layer_slices(layers):
            limit = math.sqrt(6.0 / fan_in)
            theta[weights:weights + fan_in * fan_out] = rng.uniform(-limit, limit, fan_in * fan_out).astype(np.float32)
        return theta

    def gradients_and_loss(self, x, y) -> float:
        """Forward, loss and backward on rows x (r x 784, float32), labels y; the gradients land in self.grad."""
        np = self.np
        r = x.shape[0]
        W1, W2, b1, b2 = self.W[0], self.W[1], self.b[0], self.b[1]
        H, Z, P, D1, mask = self.H[:r], self.Z[:r], self.P[:r], self.D1[:r], self.mask[:r]
        row, row2, ar = self.row[:r], self.row2[:r], self.rows_index[:r]
        np.matmul(x, W1, out=H)
        H += b1
        np.maximum(H, 0, out=H)
        np.matmul(H, W2, out=Z)
        Z += b2
        np.max(Z, axis=1, keepdims=True, out=row)
        Z -= row                                          # z - max: every term of the loss >= 0
        np.exp(Z, out=P)
        np.sum(P, axis=1, keepdims=True, out=row)
        eps = self.eps_smooth
        np.sum(Z, axis=1, keepdims=True, out=row2)        # sum_j (z_j - max)
        picked = Z[ar, y]                                 # (z_t - max); r floats
        loss = float(np.log(row).sum() - (1 - eps) * picked.sum() - (eps / CLASSES) * row2.sum()) / r
        P /= row                                          # softmax
        P -= eps / CLASSES                                # D2 = (P - Y_smooth) / r, in P
        P[ar, y] -= 1 - eps
        P *= np.float32(1.0 / r)
        np.matmul(H.T, P, out=self.dW[1])
        np.sum(P, axis=0, out=self.db[1])
        np.matmul(P, W2.T, out=D1)
        np.greater(H, 0, out=mask)
        np.multiply(D1, mask, out=D1)
        np.matmul(x.T, D1, out=self.dW[0])
        np.sum(D1, axis=0, out=self.db[0])
        return loss

    def update(self, grad=None):
        """Adam on the flat buffers with the recipe's rate for this step (grad: use these gradients instead of self.grad)."""
        np = self.np
        g = self.grad if grad is None else grad
        eta = np.float32(rate(self.steps, *self.schedule))
        self.steps += 1
        t = self.steps
        c1 = np.float32(1) / (np.float32(1) - self.beta1 ** np.float32(t))
        c2 = np.float32(1) / (np.float32(1) - self.beta2 ** np.float32(t))
        m, v, t1, t2 = self.m, self.v, self.t1, self.t2
        m *= self.beta1
        np.multiply(g, np.float32(1) - self.beta1, out=t1)
        m += t1
        v *= self.beta2
        np.multiply(g, g, out=t1)
        t1 *= np.float32(1) - self.beta2
        v += t1
        np.multiply(v, c2, out=t1)
        np.sqrt(t1, out=t1)
        t1 += self.epsilon
        np.multiply(m, c1, out=t2)
        t2 /= t1
        t2 *= eta
        self.theta -= t2

    def run_epoch(self, x, y, order, rng):
        """One epoch: shuffle the order in place, then one step per batch (gathered into the preallocated batch buffer)."""
        np = self.np
        rng.shuffle(order)
        n = x.shape[0]
        for start in range(0, n, self.batch):
            idx = order[start:start + self.batch]
            r = idx.shape[0]
            np.take(x, idx, axis=0, out=self.xb[:r])
            np.take(y, idx, out=self.yb[:r])
            self.gradients_and_loss(self.xb[:r], self.yb[:r])
            self.update()

    def accuracy(self, x, y) -> float:
        np = self.np
        correct = 0
        for start in range(0, x.shape[0], 1000):
            xs = x[start:start + 1000]
            h = np.maximum(xs @ self.W[0] + self.b[0], 0)
            correct += int(((h @ self.W[1] + self.b[1]).argmax(axis=1) == y[start:start + 1000]).sum())
        return correct / x.shape[0]

    def load_flat(self, flat):
        self.theta[:] = flat

    def flat_gradients(self):
        return self.grad

    def flat_parameters(self):
        return self.theta


# ---------------------------------------------------------------------------------------- PyTorch


class TorchMlp:
    """784-256-10 as a PyTorch user writes it: nn.Sequential, CrossEntropyLoss, torch.optim.Adam, LambdaLR."""

    def __init__(self, layers, parameters, batch, settings, seed=1):
        import torch

        self.torch = torch
        self.layers, self.batch = layers, batch
        torch.manual_seed(seed)
        self.model = torch.nn.Sequential(torch.nn.Linear(layers[0], layers[1]), torch.nn.ReLU(), torch.nn.Linear(layers[1], layers[2]))
        self.linears = [self.model[0], self.model[2]]
        with torch.no_grad():
            if parameters is None:  # He uniform (bound sqrt(6 / fan_in)), zero biases, as this project initialises
                for linear in self.linears:
                    torch.nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")
                    torch.nn.init.zeros_(linear.bias)
            else:
                self.load_flat(parameters)
        self.loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=settings["label_smoothing"])
        peak, final, warmup, total = settings["peak_rate"], settings["final_rate"], settings["warmup_steps"], settings["total_steps"]
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=peak, betas=(settings["beta1"], settings["beta2"]), eps=settings["epsilon"], weight_decay=settings["weight_decay"])
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: rate(s, peak, final, warmup, total) / peak)
        self.xb = torch.empty((batch, layers[0]), dtype=torch.float32)
        self.yb = torch.empty(batch, dtype=torch.int64)

    def load_flat(self, flat):
        torch = self.torch
        with torch.no_grad():
            for linear, (bias, weights, fan_in, fan_out) in zip(self.linears, layer_slices(self.layers)):
                linear.bias.copy_(torch.from_numpy(flat[bias:weights].copy()))
                linear.weight.copy_(torch.from_numpy(flat[weights:weights + fan_in * fan_out].reshape(fan_in, fan_out).T.copy()))

    def gradients_and_loss(self, x, y) -> float:
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        return float(loss)

    def update(self, grad=None):
        """optimizer.step() then scheduler.step() (grad: this project's flat gradients to use instead of autograd's)."""
        if grad is not None:
            torch = self.torch
            for linear, (bias, weights, fan_in, fan_out) in zip(self.linears, layer_slices(self.layers)):
                linear.bias.grad = torch.from_numpy(grad[bias:weights].copy())
                linear.weight.grad = torch.from_numpy(grad[weights:weights + fan_in * fan_out].reshape(fan_in, fan_out).T.copy())
        self.optimizer.step()
        self.scheduler.step()

    def run_epoch(self, x, y, order, generator):
        torch = self.torch
        perm = torch.randperm(x.shape[0], generator=generator)
        n = x.shape[0]
        for start in range(0, n, self.batch):
            idx = perm[start:start + self.batch]
            r = idx.shape[0]
            xb, yb = self.xb[:r], self.yb[:r]
            torch.index_select(x, 0, idx, out=xb)
            torch.index_select(y, 0, idx, out=yb)
            self.gradients_and_loss(xb, yb)
            self.update()

    def accuracy(self, x, y) -> float:
        torch = self.torch
        with torch.no_grad():
            return float((self.model(x).argmax(dim=1) == y).double().mean())

    def flat_gradients(self):
        torch = self.torch
        return torch.cat([t.reshape(-1) for linear in self.linears for t in (linear.bias.grad, linear.weight.grad.T.contiguous())]).numpy()

    def flat_parameters(self):
        torch = self.torch
        with torch.no_grad():
            return torch.cat([t.reshape(-1) for linear in self.linears for t in (linear.bias, linear.weight.T.contiguous())]).numpy()


# ------------------------------------------------------------------------------------ the check


def check(peer: str, ref: dict, make) -> dict:
    """Replays this project's first steps (see benchmarks/Peers/EndToEndReference.cs) with the peer;
    raises CheckFailed unless it agrees. Per step k, from the current parameters (equal to this project's
    up to rounding): the loss (relative 1e-5: the label-smoothed formula), every layer's gradient (at most
    GRADIENT_TOLERANCE of the layer's largest), then the peer's optimiser and schedule applied to *this
    project's* gradient must give this project's parameters after the step: per entry within
    4 ulp of the parameter + 1e-4 of that step's rate (float32 rounding of Adam's few operations is
    ~1e-6 of the update, whose size is about the rate; a wrong rate, bias correction, beta or eps is off
    by order 1 of it). The schedule is also compared with this project's at the probe steps (relative 1e-9)."""
    import numpy as np

    layers, batch = ref["layers"], ref["batch"]
    problems = []
    for s, expected in zip(ref["rate_probes"], ref["rates_at_probes"]):
        got = rate(s, ref["peak_rate"], ref["final_rate"], ref["warmup_steps"], ref["total_steps"])
        if not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-15):
            problems.append(f"learning rate at step {s}: {got!r}, this project's {expected!r}")
    model = make(layers, ref["parameters"], batch, ref)
    x = ref["inputs"].reshape(-1, layers[0])
    y = ref["labels"].astype(np.int64)
    worst_gradient, worst_parameter = 0.0, 0.0
    for k in range(ref["steps"]):
        xs, ys = x[k * batch:(k + 1) * batch], y[k * batch:(k + 1) * batch]
        if peer == "PyTorch":
            import torch

            xs, ys = torch.from_numpy(xs.copy()), torch.from_numpy(ys.copy())
        loss = model.gradients_and_loss(xs, ys)
        if not math.isclose(loss, ref["losses"][k], rel_tol=1e-5):
            problems.append(f"step {k + 1}: loss {loss:.9g}, this project's {ref['losses'][k]:.9g}")
        grad = np.array(model.flat_gradients(), dtype=np.float64)
        ours = ref[f"gradients_{k}"].astype(np.float64)
        for l, (bias, weights, fan_in, fan_out) in enumerate(layer_slices(layers)):
            end = weights + fan_in * fan_out
            scale = np.abs(ours[bias:end]).max()
            for name, lo, hi in (("b", bias, weights), ("W", weights, end)):
                error = np.abs(grad[lo:hi] - ours[lo:hi]).max()
                relative = error / scale if scale > 0 else error
                worst_gradient = max(worst_gradient, relative)
                if not relative <= GRADIENT_TOLERANCE:
                    problems.append(f"step {k + 1}, layer {l + 1} d{name}: largest difference {error:.3g} = {relative:.3g} of the layer's largest gradient (tolerance {GRADIENT_TOLERANCE:g})")
        before = np.array(model.flat_parameters(), dtype=np.float64)
        model.update(ref[f"gradients_{k}"])
        after = np.array(model.flat_parameters(), dtype=np.float64)
        expected = ref[f"parameters_{k}"].astype(np.float64)
        bound = 4 * FLOAT32_EPS * np.maximum(np.abs(before), np.abs(expected)) + 1e-4 * ref["rates"][k]
        excess = np.abs(after - expected) / bound
        worst_parameter = max(worst_parameter, float(excess.max()))
        if not excess.max() <= 1:
            i = int(excess.argmax())
            problems.append(f"step {k + 1}: parameter {i} after the update is {after[i]:.9g}, this project's {expected[i]:.9g} (before {before[i]:.9g}, rate {ref['rates'][k]:.6g})")
        model.load_flat(ref[f"parameters_{k}"])  # the next step starts from this project's parameters: no drift
    if problems:
        raise CheckFailed(f"{peer}: its steps do not match this project's Trainer<float>.Step on the recipe:\n  " + "\n  ".join(problems[:12]))
    return {"gradient_error": worst_gradient, "parameter_error_of_bound": worst_parameter}


def self_test(peer: str, ref: dict, make) -> None:
    """Shows the check can fail: a reference with its largest step-1 gradient 1 % off, one with its first
    loss 1e-4 off, and one with step 1's rate halved (a wrong schedule) must each be refused."""
    import numpy as np

    bad_gradient = dict(ref, gradients_0=ref["gradients_0"].copy())
    bad_gradient["gradients_0"][int(np.argmax(np.abs(bad_gradient["gradients_0"])))] *= np.float32(1.01)
    bad_loss = dict(ref, losses=[ref["losses"][0] * (1 + 1e-4)] + list(ref["losses"][1:]))
    half = ref["parameters"].astype(np.float64) + (ref["parameters_0"].astype(np.float64) - ref["parameters"]) / 2
    bad_rate = dict(ref, parameters_0=half.astype(np.float32))
    for what, bad in (("a gradient 1% off", bad_gradient), ("a loss 1e-4 off", bad_loss), ("half the first step's update", bad_rate)):
        try:
            check(peer, bad, make)
        except CheckFailed:
            continue
        raise CheckFailed(f"self-test: the check accepted {peer}'s steps against a reference with {what}; it cannot be trusted")
