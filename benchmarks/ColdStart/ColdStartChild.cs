using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime;
using Backprop.Benchmarks.Peers;
using Backprop.Kernels;
using Backprop.Training;

namespace Backprop.Benchmarks.ColdStart;

/// <summary>How many calls a child times, and how it takes the steady-state sample.</summary>
/// <param name="Calls">Calls 1..Calls are timed one by one.</param>
/// <param name="SteadyWarmupMs">Minimum time from the first call before the steady sample starts (tier 1 must be in).</param>
/// <param name="SteadyFrom">The steady sample starts at this call number at the earliest.</param>
/// <param name="SteadyCount">Calls in the steady sample (its median is reported).</param>
internal sealed record ChildSettings(int Calls, int SteadyWarmupMs, int SteadyFrom, int SteadyCount)
{
    public static ChildSettings Full { get; } = new(100, 1000, 1000, 200);

    public static ChildSettings Quick { get; } = new(100, 250, 200, 50);

    public string[] ToArguments() =>
    [
        "--calls", Calls.ToString(CultureInfo.InvariantCulture),
        "--steady-warmup-ms", SteadyWarmupMs.ToString(CultureInfo.InvariantCulture),
        "--steady-from", SteadyFrom.ToString(CultureInfo.InvariantCulture),
        "--steady-count", SteadyCount.ToString(CultureInfo.InvariantCulture),
    ];
}

/// <summary>
/// The child side: in a fresh process, sets up one case's inputs (not timed), then times each of the
/// first calls and a steady-state sample, checks the result, and prints one line
/// (<see cref="ChildResult.Format"/>) on stdout. Nothing else goes to stdout.
/// </summary>
/// <remarks>
/// The timed calls are written out inline (no delegate), so the only code JIT-compiled inside a timed
/// call is what the call itself needs. Inputs and outputs are written before the first call so no
/// page fault of the operands lands in call 1; the library's own first-call work (packing buffer,
/// workspace) does, as it would in an application. Nothing runs between the timed calls but the
/// timing and JIT counters: call 1's result is kept (a copy made by the runtime's precompiled
/// <see cref="Array.Copy(Array, Array, int)"/>) and checked after the last timed call, because a check
/// between calls 1 and 2 JIT-compiles the check itself, which evicts the library's code and data from
/// the caches and made a 2.6 µs step's call 2 look 3–4× slower than it is.
/// </remarks>
internal static class ColdStartChild
{
    public static int Run(ColdStartCase c, ChildSettings settings)
    {
        // Warm the timing and JIT-counting calls themselves, so they cost nothing inside call 1.
        _ = Stopwatch.GetTimestamp();
        _ = JitInfo.GetCompilationTime(currentThread: true);
        _ = JitInfo.GetCompiledMethodCount(currentThread: true);

        ChildResult result = c.Kind switch
        {
            ColdStartKind.BackpropGemm when c.IsDouble => BackpropGemm<double>(c, settings),
            ColdStartKind.BackpropGemm => BackpropGemm<float>(c, settings),
            ColdStartKind.OpenBlasGemm when c.IsDouble => OpenBlasGemm<double>(c, settings),
            ColdStartKind.OpenBlasGemm => OpenBlasGemm<float>(c, settings),
            ColdStartKind.TrainingStep when c.IsDouble => TrainingStep<double>(c, settings),
            ColdStartKind.TrainingStep => TrainingStep<float>(c, settings),
            _ => throw new ArgumentOutOfRangeException(nameof(c)),
        };
        Console.Out.WriteLine(result.Format());
        Console.Out.Flush();
        return 0;
    }

    private static ChildResult BackpropGemm<T>(ColdStartCase c, ChildSettings s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (T[] a, T[] b, T[] cc, int m, int n, int k) = GemmInputs<T>(c);
        T[] first = new T[cc.Length];
        var times = new long[s.Calls];
        var jit = new JitProbe();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < s.Calls; i++)
        {
            jit.Before(i);
            long t0 = Stopwatch.GetTimestamp();
            Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<T>(a, m, k), MatrixOperation.None, new ReadOnlyMatrixSpan<T>(b, k, n), new MatrixSpan<T>(cc, m, n), T.One, T.Zero);
            times[i] = Stopwatch.GetTimestamp() - t0;
            jit.After(i);
            if (i == 0)
            {
                Array.Copy(cc, first, cc.Length);
            }
        }

        CheckGemm(a, b, first, m, n, k, "Backprop call 1");

        int done = s.Calls;
        while (done < s.SteadyFrom - 1 || Stopwatch.GetElapsedTime(start).TotalMilliseconds < s.SteadyWarmupMs)
        {
            Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<T>(a, m, k), MatrixOperation.None, new ReadOnlyMatrixSpan<T>(b, k, n), new MatrixSpan<T>(cc, m, n), T.One, T.Zero);
            done++;
        }

        var steady = new long[s.SteadyCount];
        for (int i = 0; i < steady.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<T>(a, m, k), MatrixOperation.None, new ReadOnlyMatrixSpan<T>(b, k, n), new MatrixSpan<T>(cc, m, n), T.One, T.Zero);
            steady[i] = Stopwatch.GetTimestamp() - t0;
        }

        Array.Fill(cc, T.NaN);
        Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<T>(a, m, k), MatrixOperation.None, new ReadOnlyMatrixSpan<T>(b, k, n), new MatrixSpan<T>(cc, m, n), T.One, T.Zero);
        CheckGemm(a, b, cc, m, n, k, "Backprop after the steady sample");
        return ChildResult.From(times, steady, jit, construct: null, Check(cc[0]));
    }

    private static ChildResult OpenBlasGemm<T>(ColdStartCase c, ChildSettings s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!OpenBlas.IsAvailable)
        {
            throw new InvalidOperationException("libopenblas.so.0 is not installed (apt-get install libopenblas-dev).");
        }

        (T[] a, T[] b, T[] cc, int m, int n, int k) = GemmInputs<T>(c);
        T[] first = new T[cc.Length];
        var times = new long[s.Calls];
        var jit = new JitProbe();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < s.Calls; i++)
        {
            jit.Before(i);
            long t0 = Stopwatch.GetTimestamp();
            OpenBlas.Gemm(false, false, m, n, k, a, k, b, n, cc, n);
            times[i] = Stopwatch.GetTimestamp() - t0;
            jit.After(i);
            if (i == 0)
            {
                Array.Copy(cc, first, cc.Length);
            }
        }

        CheckGemm(a, b, first, m, n, k, "OpenBLAS call 1");

        int done = s.Calls;
        while (done < s.SteadyFrom - 1 || Stopwatch.GetElapsedTime(start).TotalMilliseconds < s.SteadyWarmupMs)
        {
            OpenBlas.Gemm(false, false, m, n, k, a, k, b, n, cc, n);
            done++;
        }

        var steady = new long[s.SteadyCount];
        for (int i = 0; i < steady.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            OpenBlas.Gemm(false, false, m, n, k, a, k, b, n, cc, n);
            steady[i] = Stopwatch.GetTimestamp() - t0;
        }

        Array.Fill(cc, T.NaN);
        OpenBlas.Gemm(false, false, m, n, k, a, k, b, n, cc, n);
        CheckGemm(a, b, cc, m, n, k, "OpenBLAS after the steady sample");
        return ChildResult.From(times, steady, jit, construct: null, Check(cc[0]));
    }

    private static ChildResult TrainingStep<T>(ColdStartCase c, ChildSettings s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] sizes = c.Dims[..^1];
        int rows = c.Dims[^1];
        var random = new Random(2);
        T[] inputs = new T[rows * sizes[0]];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = T.CreateTruncating((random.NextDouble() * 2) - 1);
        }

        int[] labels = new int[rows];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = random.Next(sizes[^1]);
        }

        // Construction: shape, network (Glorot initialisation), optimiser, trainer (workspace).
        var constructJit = new JitProbe();
        constructJit.Before(0);
        long c0 = Stopwatch.GetTimestamp();
        var shape = new NetworkShape(sizes, HiddenActivation.Sigmoid);
        var network = new Network<T>(shape, 1);
        using var trainer = new Trainer<T>(network, new SgdOptimizer<T>(shape.ParameterCount), new TrainerOptions { BatchSize = rows, DegreeOfParallelism = 1, LearningRate = LearningRateSchedule.Constant(1e-3) });
        long constructTicks = Stopwatch.GetTimestamp() - c0;
        constructJit.After(0);

        // The batch's views, made once: converting the arrays is the caller's code, not the step's.
        var batch = new ReadOnlyMatrixSpan<T>(inputs, rows, sizes[0]);
        ReadOnlySpan<int> batchLabels = labels;
        var times = new long[s.Calls];
        var jit = new JitProbe();
        T firstLoss = T.Zero, loss = T.Zero;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < s.Calls; i++)
        {
            jit.Before(i);
            long t0 = Stopwatch.GetTimestamp();
            loss = trainer.Step(batch, batchLabels);
            times[i] = Stopwatch.GetTimestamp() - t0;
            jit.After(i);
            if (i == 0)
            {
                firstLoss = loss;
            }
        }

        CheckLoss(firstLoss, sizes[^1], "call 1");

        int done = s.Calls;
        while (done < s.SteadyFrom - 1 || Stopwatch.GetElapsedTime(start).TotalMilliseconds < s.SteadyWarmupMs)
        {
            loss = trainer.Step(batch, batchLabels);
            done++;
        }

        var steady = new long[s.SteadyCount];
        for (int i = 0; i < steady.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            loss = trainer.Step(batch, batchLabels);
            steady[i] = Stopwatch.GetTimestamp() - t0;
        }

        CheckLoss(loss, sizes[^1], "the last call");
        return ChildResult.From(times, steady, jit, (constructTicks, constructJit), Check(firstLoss));
    }

    private static (T[] A, T[] B, T[] C, int M, int N, int K) GemmInputs<T>(ColdStartCase c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = c.Dims[0], n = c.Dims[1], k = c.Dims[2];
        var random = new Random(42);
        T[] a = new T[m * k], b = new T[k * n], cc = new T[m * n];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        }

        for (int i = 0; i < b.Length; i++)
        {
            b[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        }

        Array.Fill(cc, T.NaN); // touches C's pages; β = 0 must overwrite NaN
        return (a, b, cc, m, n, k);
    }

    /// <summary>Compares C at the corners and 32 fixed positions with a double-precision dot product.</summary>
    private static void CheckGemm<T>(T[] a, T[] b, T[] c, int m, int n, int k, string when)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double tolerance = (typeof(T) == typeof(float) ? 1e-5 : 1e-13) * k;
        var positions = new List<(int I, int J)> { (0, 0), (0, n - 1), (m - 1, 0), (m - 1, n - 1) };
        var pick = new Random(7);
        for (int p = 0; p < 32; p++)
        {
            positions.Add((pick.Next(m), pick.Next(n)));
        }

        foreach ((int i, int j) in positions)
        {
            double expected = 0;
            for (int p = 0; p < k; p++)
            {
                expected += double.CreateTruncating(a[(i * k) + p]) * double.CreateTruncating(b[(p * n) + j]);
            }

            double actual = double.CreateTruncating(c[(i * n) + j]);
            if (!(Math.Abs(actual - expected) <= tolerance * (1 + Math.Abs(expected))))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"GEMM result wrong ({when}) at ({i}, {j}): {actual} vs dot product {expected}."));
            }
        }
    }

    private static void CheckLoss<T>(T loss, int classes, string when)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Mean cross-entropy of a freshly initialised net on random labels is near ln(classes).
        double value = double.CreateTruncating(loss);
        if (!double.IsFinite(value) || value <= 0 || value > 10 * Math.Log(classes))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"training step loss implausible at {when}: {value} (ln {classes} = {Math.Log(classes):F3})."));
        }
    }

    private static string Check<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        double.CreateTruncating(value).ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// JIT time and method count of this thread around call 1, and the methods it compiled during the
/// later timed calls (<see cref="JitInfo"/>; tier-1 recompilation runs on a background thread and is
/// not counted).
/// </summary>
internal sealed class JitProbe
{
    private TimeSpan _time;
    private long _methods;
    private long _laterStart;
    private long _laterMethods;

    public double Microseconds { get; private set; }

    public long Methods { get; private set; }

    /// <summary>Methods compiled on this thread from the start of call 2 to the end of the last timed call (set by <see cref="After"/> of that call).</summary>
    public long LaterMethods => _laterMethods;

    public void Before(int call)
    {
        if (call == 0)
        {
            _time = JitInfo.GetCompilationTime(currentThread: true);
            _methods = JitInfo.GetCompiledMethodCount(currentThread: true);
        }
        else if (call == 1)
        {
            _laterStart = JitInfo.GetCompiledMethodCount(currentThread: true);
        }
    }

    public void After(int call)
    {
        if (call == 0)
        {
            Microseconds = (JitInfo.GetCompilationTime(currentThread: true) - _time).TotalMicroseconds;
            Methods = JitInfo.GetCompiledMethodCount(currentThread: true) - _methods;
        }
        else
        {
            _laterMethods = JitInfo.GetCompiledMethodCount(currentThread: true) - _laterStart; // a field: no method of the probe's own to compile
        }
    }
}
