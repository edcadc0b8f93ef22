using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Backprop.Kernels;
using Backprop.Properties.Support;
using static Backprop.Properties.Kernels.KernelAccuracy;

namespace Backprop.Properties.Kernels;

/// <summary>
/// GEMM (both paths, every transpose, threaded too) and the row and element-wise kernels on buffers placed flush against an inaccessible page, once at
/// the end and once at the start (<see cref="GuardedBuffer{T}"/>; targets and row vectors too), at every length from 0 to
/// 3·(512-bit lanes) + 3 and matrix shapes around every narrow and wide form: a load or store of even
/// one element outside a view crashes the test process. CI runs this at every width it can force.
/// Each guarded run must also give bit for bit what the same call gives on ordinary arrays (results
/// do not depend on where the buffers lie); correctness itself is the other properties' job.
/// </summary>
public unsafe class GuardPageProperties
{
    private static readonly GuardSide[] Sides = [GuardSide.After, GuardSide.Before];

    private delegate void Kernel<T>(Span<T> a, Span<T> b, Span<T> c, Span<T> d, GuardSide? side);

    [GuardPageFact]
    public void TheGuardPageIsReallyInaccessible()
    {
        foreach (GuardSide side in Sides)
        {
            using var buffer = new GuardedBuffer<float>(5, side);
            Assert.True(buffer.GuardIsInaccessible(), $"{side}: the guard page is readable");
            nint first = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer.Span));
            nint page = Environment.SystemPageSize;
            if (side == GuardSide.After)
            {
                Assert.Equal(buffer.GuardAddress, first + (5 * sizeof(float)));
            }
            else
            {
                Assert.Equal(buffer.GuardAddress + page, first);
            }
        }
    }

    [GuardPageFact]
    public void ActivationsStayInsideTheirBuffers()
    {
        ActivationCases<float>();
        ActivationCases<double>();
    }

    [GuardPageFact]
    public void UpdatesStayInsideTheirBuffers()
    {
        UpdateCases<float>();
        UpdateCases<double>();
    }

    [GuardPageFact]
    public void SoftmaxAndCrossEntropyStayInsideTheirBuffers()
    {
        RowCases<float>(softmax: true);
        RowCases<double>(softmax: true);
    }

    [GuardPageFact]
    public void RowOpsStayInsideTheirBuffers()
    {
        RowCases<float>(softmax: false);
        RowCases<double>(softmax: false);
    }

    [GuardPageFact]
    public void ThreadedKernelsStayInsideTheirBuffers()
    {
        using var threads = new KernelThreads(2);
        int n = ElementwiseParallel.MinimumElements + 5;
        T4<float>(n, (a, b, c, d, side) => Activations.Sigmoid(a, b, threads), "threaded sigmoid");
        T4<double>(n, (a, b, c, d, side) => Activations.TanhBackward(a, b, c, threads), "threaded tanh backward");
        T4<float>(n, (a, b, c, d, side) => Updates.AdamStep(a, b, c, d, 1e-3f, 0.9f, 0.999f, 1e-8f, 2, 1e-4f, threads), "threaded adam", positive: 3);
        Assert.Equal(ElementwiseParallel.Supported, threads.SplitCalls > 0);
    }

    [GuardPageFact]
    public void GemmStaysInsideItsOperands()
    {
        GemmCases<float>();
        GemmCases<double>();
    }

    [GuardPageFact]
    public void ThreadedGemmStaysInsideItsOperands()
    {
        using var threads = new KernelThreads(2);
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                Gemm4<float>(37, 45, 29, ta, tb, 1, 0.5, GemmPath.Packed, threads);
                Gemm4<double>(45, 37, 29, ta, tb, 0, 0, GemmPath.Packed, threads);
            }
        }

        Assert.Equal(GemmParallel.Supported, threads.SplitCalls > 0);
    }

    /// <summary>
    /// Both paths (forced), every transpose combination, m across the micro-tile heights (4, 6, 8) and
    /// their neighbours, n across every width's vector and micro-tile widths (1 … 2·NR of 512-bit
    /// float + 1), k across the unroll; then shapes one past each block edge (MC 128/144, KC 128/256,
    /// NC 1024); dense and padded strides, β = 0 (C only written) and β ≠ 0 (C read).
    /// </summary>
    private static void GemmCases<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = WidestLanes<T>();
        int[] ms = [1, 3, 4, 5, 6, 7, 8, 9, 13];
        int[] ns = [.. new[] { 1, 2, 3, 4, 5, 7, 8, 9, lanes - 1, lanes, lanes + 1, (2 * lanes) - 1, 2 * lanes, (2 * lanes) + 1 }.Distinct().Where(n => n > 0)];
        int[] ks = [1, 4, 9];
        foreach (GemmPath path in new[] { GemmPath.Packed, GemmPath.Unpacked })
        {
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    foreach (int m in ms)
                    {
                        foreach (int n in ns)
                        {
                            foreach (int k in ks)
                            {
                                int pad = (m + n + k) % 2 == 0 ? 0 : 3;
                                Gemm4<T>(m, n, k, ta, tb, pad, pad == 0 ? 0.5 : 0, path);
                            }
                        }
                    }

                    Gemm4<T>(145, (2 * lanes) + 1, 257, ta, tb, 1, 0.5, path);
                    Gemm4<T>(9, 1025, 129, ta, tb, 0, 0, path);
                    Gemm4<T>(129, 17, 130, ta, tb, 2, 1, path);
                }
            }
        }
    }

    /// <summary>One product on guarded A, B and C (each against the page at each end), compared with the same product on arrays.</summary>
    private static void Gemm4<T>(int m, int n, int k, bool ta, bool tb, int pad, double beta, GemmPath path, KernelThreads? threads = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        int[] lengths = [((aRows - 1) * lda) + aCols, ((bRows - 1) * ldb) + bCols, ((m - 1) * ldc) + n, 0];
        T b0 = T.CreateTruncating(beta);
        T4<T>(
            lengths[0],
            (a, b, c, d, side) => Gemm.Multiply(
                ta ? MatrixOperation.Transpose : MatrixOperation.None,
                new ReadOnlyMatrixSpan<T>(a, aRows, aCols, lda),
                tb ? MatrixOperation.Transpose : MatrixOperation.None,
                new ReadOnlyMatrixSpan<T>(b, bRows, bCols, ldb),
                new MatrixSpan<T>(c, m, n, ldc),
                T.CreateTruncating(1.5),
                b0,
                path,
                threads,
                minimumParallelWork: 1),
            $"GEMM {path} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} {m}×{n}×{k} pad {pad} β {beta}{(threads is null ? string.Empty : " threaded")}",
            lengths: lengths);
    }

    private static void ActivationCases<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int n in Lengths<T>())
        {
            T4<T>(n, (a, b, c, d, s) => Activations.Sigmoid<T>(a, b), "sigmoid");
            T4<T>(n, (a, b, c, d, s) => Activations.Sigmoid<T>(a, a), "sigmoid in place");
            T4<T>(n, (a, b, c, d, s) => Activations.Tanh<T>(a, b), "tanh");
            T4<T>(n, (a, b, c, d, s) => Activations.Relu<T>(a, a), "relu in place");
            T4<T>(n, (a, b, c, d, s) => Activations.SigmoidBackward<T>(a, b, c), "sigmoid backward");
            T4<T>(n, (a, b, c, d, s) => Activations.TanhBackward<T>(a, b, a), "tanh backward in place");
            T4<T>(n, (a, b, c, d, s) => Activations.ReluBackward<T>(a, b, c), "relu backward");
        }
    }

    private static void UpdateCases<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(0.01), decay = T.CreateTruncating(1e-3), mu = T.CreateTruncating(0.9);
        foreach (int n in Lengths<T>())
        {
            T4<T>(n, (a, b, c, d, s) => Updates.Axpy(lr, a, b), "axpy");
            T4<T>(n, (a, b, c, d, s) => Updates.Axpy(lr, a, a), "axpy in place");
            T4<T>(n, (a, b, c, d, s) => Updates.SgdStep<T>(a, b, lr, decay), "sgd");
            T4<T>(n, (a, b, c, d, s) => Updates.MomentumStep<T>(a, b, c, lr, mu, false, decay), "momentum");
            T4<T>(n, (a, b, c, d, s) => Updates.MomentumStep<T>(a, b, c, lr, mu, true, decay), "nesterov");
            T4<T>(n, (a, b, c, d, s) => Updates.AdamStep<T>(a, b, c, d, lr, mu, T.CreateTruncating(0.999), T.CreateTruncating(1e-8), 5, decay), "adam", positive: 3);
        }
    }

    private static void RowCases<T>(bool softmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int wide = WidestLanes<T>();
        int[] rowCounts = [1, 2, 3, wide + 1, 131];
        var random = new Random(12345);
        for (int columns = 1; columns <= (2 * wide) + 2; columns++)
        {
            foreach (int rows in rowCounts)
            {
                if (rows == 131 && columns > 6 && columns != wide - 1)
                {
                    continue; // the many-row shapes matter for the narrow (chunked) forms only
                }

                foreach (int stride in new[] { columns, columns + 1 + random.Next(3) })
                {
                    int length = ((rows - 1) * stride) + columns;
                    int r = rows, c = columns, st = stride;
                    string shape = $"{rows}×{columns} stride {stride}";
                    if (softmax)
                    {
                        T4<T>(length, (a, b, x, y, s) => Softmax.Forward(View(a, r, c, st), Writable(b, r, c, st)), "softmax " + shape);
                        T4<T>(length, (a, b, x, y, s) => Softmax.LogForward(View(a, r, c, st), Writable(a, r, c, st)), "log-softmax in place " + shape);
                        T4<T>(length, (a, b, x, y, s) => { using Targets t = new(r, c, s); Sink(CrossEntropy.SoftmaxCrossEntropy(View(a, r, c, st), t.Span, Writable(b, r, c, st)), y); }, "cross-entropy " + shape);
                        T4<T>(length, (a, b, x, y, s) => { using Targets t = new(r, c, s); Sink(CrossEntropy.SoftmaxCrossEntropyLoss(View(a, r, c, st), t.Span), y); }, "cross-entropy loss " + shape);
                        T4<T>(length, (a, b, x, y, s) => Sink(CrossEntropy.SoftmaxCrossEntropy(View(a, r, c, st), View(x, r, c, st), Writable(a, r, c, st)), y), "cross-entropy, probability targets, in place " + shape, probabilities: (r, c, st));
                    }
                    else
                    {
                        int[] lengths = [length, columns, length, length];
                        T4<T>(length, (a, b, x, y, s) => RowColumnOps.AddRowVector(Writable(a, r, c, st), b), "add row vector " + shape, lengths: lengths);
                        T4<T>(length, (a, b, x, y, s) => RowColumnOps.SumColumns(View(a, r, c, st), b, T.One, T.CreateTruncating(0.5)), "sum columns " + shape, lengths: lengths);
                        T4<T>(
                            length,
                            (a, b, x, y, s) =>
                            {
                                using Targets t = new(r, c, s);
                                RowColumnOps.ArgMaxRows(View(a, r, c, st), t.Span);
                                for (int i = 0; i < r; i++)
                                {
                                    y[i] = T.CreateTruncating(t.Span[i]);
                                }
                            },
                            "arg-max " + shape, lengths: lengths);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> on four buffers of <paramref name="length"/> random values on
    /// plain arrays, then on guarded buffers at each side, and requires identical results.
    /// </summary>
    private static void T4<T>(int length, Kernel<T> kernel, string what, int positive = -1, (int Rows, int Columns, int Stride)? probabilities = null, int[]? lengths = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[][] inputs = new T[4][];
        for (int k = 0; k < 4; k++)
        {
            inputs[k] = Gens.Random<T>(lengths?[k] ?? length, (length * 4) + k, 4);
            if (k >= positive && positive >= 0)
            {
                for (int i = 0; i < inputs[k].Length; i++)
                {
                    inputs[k][i] = T.Abs(inputs[k][i]);
                }
            }
        }

        if (probabilities is { } p)
        {
            T[] rows = Gens.ProbabilityRows<T>(p.Rows, p.Columns, p.Stride, length);
            inputs[2] = rows.AsSpan(0, length).ToArray();
            for (int i = 0; i < length; i++)
            {
                inputs[2][i] = T.IsNaN(inputs[2][i]) ? T.Zero : inputs[2][i];
            }
        }

        T[][] plain = [.. inputs.Select(b => (T[])b.Clone())];
        kernel(plain[0], plain[1], plain[2], plain[3], null);
        foreach (GuardSide side in Sides)
        {
            using GuardedBuffer<T> a = GuardedBuffer.CopyOf(inputs[0], side), b = GuardedBuffer.CopyOf(inputs[1], side),
                c = GuardedBuffer.CopyOf(inputs[2], side), d = GuardedBuffer.CopyOf(inputs[3], side);
            kernel(a.Span, b.Span, c.Span, d.Span, side);
            GuardedBuffer<T>[] guarded = [a, b, c, d];
            for (int k = 0; k < 4; k++)
            {
                Require(
                    MemoryMarshal.AsBytes(guarded[k].Span).SequenceEqual(MemoryMarshal.AsBytes(plain[k].AsSpan())),
                    $"{typeof(T).Name} {what}, length {length}, guard {side}: buffer {k} differs from the same call on an array");
            }
        }
    }

    private static ReadOnlyMatrixSpan<T> View<T>(Span<T> span, int rows, int columns, int stride) => new(span, rows, columns, stride);

    private static MatrixSpan<T> Writable<T>(Span<T> span, int rows, int columns, int stride) => new(span, rows, columns, stride);

    /// <summary>Stores a scalar result in the first element of <paramref name="sink"/>, so it is compared too.</summary>
    private static void Sink<T>(T value, Span<T> sink)
    {
        if (!sink.IsEmpty)
        {
            sink[0] = value;
        }
    }

    /// <summary>Targets (one per row, in [0, columns)) in their own buffer, guarded on the same side as the others (or an array).</summary>
    private sealed class Targets : IDisposable
    {
        private readonly int[] _array;
        private readonly GuardedBuffer<int>? _guarded;

        public Targets(int rows, int columns, GuardSide? side)
        {
            _array = [.. Enumerable.Range(0, rows).Select(i => (i * 7) % columns)];
            _guarded = side is { } s ? GuardedBuffer.CopyOf<int>(_array, s) : null;
        }

        public Span<int> Span => _guarded is null ? _array : _guarded.Span;

        public void Dispose() => _guarded?.Dispose();
    }
}
