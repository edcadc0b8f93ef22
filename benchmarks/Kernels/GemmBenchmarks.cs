using System.Numerics;
using Backprop.Benchmarks.Peers;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using Backprop.Reference;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;

namespace Backprop.Benchmarks.Kernels;

/// <summary>One GEMM shape: C (m×n) = op(A)·op(B) with depth k.</summary>
public sealed record GemmShape(int M, int N, int K, bool TransposeA, bool TransposeB) : IHasFlops
{
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => $"{M}x{N}x{K} {(TransposeA ? 'T' : 'N')}{(TransposeB ? 'T' : 'N')}";
}

/// <summary>The shapes every GEMM benchmark runs.</summary>
public static class GemmShapes
{
    public static IEnumerable<GemmShape> All() =>
    [
        new(64, 64, 64, false, false),
        new(128, 128, 128, false, false),
        new(256, 256, 256, false, false),
        new(512, 512, 512, false, false),
        new(1024, 1024, 1024, false, false),
        new(256, 256, 256, true, false),
        new(1024, 1024, 1024, true, false),
        new(256, 256, 256, false, true),
        new(1024, 1024, 1024, false, true),
        new(128, 256, 784, false, false), // forward: X(128×784) · W1(784×256)
        new(784, 256, 128, true, false),  // weight gradient: Xᵀ · dZ1
        new(128, 784, 256, false, true),  // input gradient: dZ1 · W1ᵀ
    ];
}

/// <summary>
/// Two jobs in one run (<see cref="GemmJobs"/>): a default process against OpenBLAS's AVX-512
/// (SkylakeX) kernels and an AVX2-only process against its AVX2 (Haswell) kernels, one thread each;
/// GFLOP/s and the share of this machine's measured FMA peak (<see cref="PercentOfPeakColumn"/>).
/// </summary>
public sealed class GemmConfig : ManualConfig
{
    public GemmConfig()
    {
        GemmJobs.Add(this);
        AddColumn(new GflopsColumn());
        AddColumn(new PercentOfPeakColumn());
        BuildTimeout = TimeSpan.FromMinutes(10); // the machine is shared: generated projects took over 2 min to build
        if (!OpenBlas.IsAvailable)
        {
            Console.WriteLine("note: libopenblas.so.0 not found, so the OpenBLAS rows are skipped (apt-get install libopenblas-dev).");
            AddFilter(new SimpleFilter(b => b.Descriptor.WorkloadMethod.Name != "OpenBlasGemm"));
        }

        SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithRatioStyle(BenchmarkDotNet.Columns.RatioStyle.Trend);
        HideColumns("Error", "StdDev", "RatioSD");
    }
}

/// <summary>
/// GEMM against the naive i-k-j loop (baseline: the tests' <see cref="GemmReference"/>, accumulating in double), OpenBLAS and MathNet.Numerics' managed multiply, on squares and on the shapes of a
/// 784-256-10 network's training step at batch 128. Each implementation is checked against the
/// naive result before anything is timed.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GemmConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class GemmBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _a = [], _b = [], _c = [];
    private double[] _reference = [];
    private MathNetGemm<T>? _mathNet;

    [ParamsSource(typeof(GemmShapes), nameof(GemmShapes.All))]
    public GemmShape Shape { get; set; } = new(1, 1, 1, false, false);

    private int ARows => Shape.TransposeA ? Shape.K : Shape.M;

    private int ACols => Shape.TransposeA ? Shape.M : Shape.K;

    private int BRows => Shape.TransposeB ? Shape.N : Shape.K;

    private int BCols => Shape.TransposeB ? Shape.K : Shape.N;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _a = Enumerable.Range(0, ARows * ACols).Select(_ => T.CreateTruncating(random.NextDouble() - 0.5)).ToArray();
        _b = Enumerable.Range(0, BRows * BCols).Select(_ => T.CreateTruncating(random.NextDouble() - 0.5)).ToArray();
        _c = new T[Shape.M * Shape.N];
        _reference = new double[Shape.M * Shape.N];

        Naive();
        double[] expected = (double[])_reference.Clone();
        Library();
        Validate(expected, "Backprop");
        if (OpenBlas.IsAvailable)
        {
            OpenBlasGemm();
            Validate(expected, "OpenBLAS");
        }

        _mathNet = new MathNetGemm<T>(Shape.TransposeA, Shape.TransposeB, Shape.M, Shape.N, Shape.K, _a, _b, _c);
        MathNet();
        Validate(expected, "MathNet");
    }

    /// <summary>The tests' judge, <see cref="GemmReference"/>: the i-k-j loop, accumulated in double.</summary>
    [Benchmark(Baseline = true, Description = "Naive i-k-j")]
    public void Naive() =>
        GemmReference.Multiply<T>(Shape.TransposeA, _a, ACols, Shape.TransposeB, _b, BCols, _c, Shape.N, Shape.M, Shape.N, Shape.K, T.One, T.Zero, _reference, default);

    [Benchmark(Description = "Backprop")]
    public void Library() =>
        Gemm.Multiply(
            Shape.TransposeA ? MatrixOperation.Transpose : MatrixOperation.None,
            new ReadOnlyMatrixSpan<T>(_a, ARows, ACols),
            Shape.TransposeB ? MatrixOperation.Transpose : MatrixOperation.None,
            new ReadOnlyMatrixSpan<T>(_b, BRows, BCols),
            new MatrixSpan<T>(_c, Shape.M, Shape.N),
            T.One,
            T.Zero);

    [Benchmark(Description = "OpenBLAS")]
    public void OpenBlasGemm()
    {
        if (!OpenBlas.IsAvailable)
        {
            throw new InvalidOperationException("libopenblas.so.0 is not installed: apt-get install libopenblas-dev (or filter out *OpenBlasGemm*).");
        }

        OpenBlas.Gemm(Shape.TransposeA, Shape.TransposeB, Shape.M, Shape.N, Shape.K, _a, ACols, _b, BCols, _c, Shape.N);
    }

    [Benchmark(Description = "MathNet")]
    public void MathNet() => _mathNet!.Multiply();

    private void Validate(double[] expected, string who)
    {
        double tolerance = (typeof(T) == typeof(float) ? 1e-5 : 1e-13) * Shape.K;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = double.CreateTruncating(_c[i]);
            if (!(Math.Abs(e - a) <= tolerance * (1 + Math.Abs(e))))
            {
                throw new InvalidOperationException($"{who} differs from the naive loop at {i}: {a} vs {e} ({Shape}).");
            }
        }
    }
}
