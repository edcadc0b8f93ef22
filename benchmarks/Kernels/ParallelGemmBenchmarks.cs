using System.Numerics;
using Backprop.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;

namespace Backprop.Benchmarks.Kernels;

/// <summary>
/// Square A·B on 1 and 2 threads (<see cref="KernelThreads"/>) in one run, the split forced down to
/// the smallest sizes (threshold 0) so the table shows where two threads start to win — the
/// measurement behind <c>GemmParallel.MinimumWork</c>.
/// <c>dotnet run -c Release --project benchmarks -- --filter '*ParallelGemm*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ParallelConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class ParallelGemmBenchmarks<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _a = [], _b = [], _c = [];
    private KernelThreads _threads = null!;

    [Params(32, 48, 64, 96, 128, 256, 512, 1024)]
    public int Size { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _a = [.. Enumerable.Range(0, Size * Size).Select(_ => T.CreateTruncating(random.NextDouble() - 0.5))];
        _b = [.. Enumerable.Range(0, Size * Size).Select(_ => T.CreateTruncating(random.NextDouble() - 0.5))];
        _c = new T[Size * Size];
        _threads = new KernelThreads(Threads);
        Multiply();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _threads?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public void Multiply() =>
        Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<T>(_a, Size, Size), MatrixOperation.None, new ReadOnlyMatrixSpan<T>(_b, Size, Size), new MatrixSpan<T>(_c, Size, Size), T.One, T.Zero, GemmPath.Auto, _threads, minimumParallelWork: 0);
}

/// <summary>One job (default width, in its own process), times in µs; <c>--quick</c> runs each case once.</summary>
public sealed class ParallelConfig : ManualConfig
{
    public ParallelConfig()
    {
        AddJob(Reporting.Jobs.Quick ? Job.Dry.WithId("Quick") : Job.Default.WithWarmupCount(3).WithIterationCount(8).WithId("Parallel"));
        SummaryStyle = SummaryStyle.Default.WithTimeUnit(TimeUnit.Microsecond);
    }
}
