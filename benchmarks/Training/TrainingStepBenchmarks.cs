using System.Globalization;
using System.Numerics;
using Backprop.Kernels;
using Backprop.Training;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Backprop.Benchmarks.Reporting;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;

namespace Backprop.Benchmarks.Training;

/// <summary>
/// One training step (forward, mean cross-entropy, backward, SGD update) through the public
/// <see cref="Trainer{T}.Step"/>, input checks included, for the network sizes, on one
/// thread (<see cref="ParallelTrainingStepBenchmarks{T}"/> compares one and two). Sigmoid
/// hidden layers as in the derivation; random inputs in ±1 and random labels.
/// <c>dotnet run -c Release --project benchmarks -- --filter '*TrainingStep*' --job short</c>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
[MemoryDiagnoser]
[Config(typeof(TrainingStepConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class TrainingStepBenchmarks<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Trainer<T> _trainer = null!;
    private T[] _inputs = [];
    private int[] _labels = [];
    private int _rows;
    private int _features;

    /// <summary>Layer sizes and batch rows, e.g. <c>784-256-10x128</c>.</summary>
    [Params("2-3-2x500", "4-2-2x500", "64-128-10x64", "784-256-10x128", "784-1024-1024-10x256")]
    public string Case { get; set; } = "2-3-2x500";

    [GlobalSetup]
    public void Setup()
    {
        (int[] sizes, int rows) = Parse(Case);
        var shape = new NetworkShape(sizes, HiddenActivation.Sigmoid);
        var network = new Network<T>(shape, 1);
        _trainer = new Trainer<T>(network, new SgdOptimizer<T>(shape.ParameterCount), new TrainerOptions { BatchSize = rows, DegreeOfParallelism = 1, LearningRate = LearningRateSchedule.Constant(1e-3) });
        var random = new Random(2);
        _rows = rows;
        _features = sizes[0];
        _inputs = [.. Enumerable.Range(0, rows * sizes[0]).Select(_ => T.CreateTruncating((random.NextDouble() * 2) - 1))];
        _labels = [.. Enumerable.Range(0, rows).Select(_ => random.Next(sizes[^1]))];
        _trainer.Step(new ReadOnlyMatrixSpan<T>(_inputs, _rows, _features), _labels);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _trainer?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public T Step() => _trainer.Step(new ReadOnlyMatrixSpan<T>(_inputs, _rows, _features), _labels);

    internal static (int[] Sizes, int Rows) Parse(string text)
    {
        string[] parts = text.Split('x');
        return ([.. parts[0].Split('-').Select(s => int.Parse(s, CultureInfo.InvariantCulture))], int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// Times in µs and a rows-per-second column; the default 256-bit Vector&lt;T&gt; job is the baseline
/// and the 512-bit job (DOTNET_MaxVectorTBitWidth=512) is compared against it in the same run.
/// </summary>
public class TrainingStepConfig : ManualConfig
{
    public TrainingStepConfig()
    {
        Jobs.AddWidthJobs(this, baselineJob: true, openBlas: false);
        AddColumn(new RowsPerSecondColumn());
        SummaryStyle = SummaryStyle.Default.WithTimeUnit(TimeUnit.Microsecond);
    }
}

/// <summary>
/// The tiny-network path (<c>TinyNetworkStep</c>, chosen automatically for networks whose layers are
/// all at most 16 wide) against the general GEMM path forced on an identical trainer, alternating in
/// one process: same network, data and step as <see cref="TrainingStepBenchmarks{T}"/>; the general
/// path is the baseline of each case, so the ratio column is the tiny path's speed-up.
/// <c>dotnet run -c Release --project benchmarks -- --filter '*TinyPathStep*'</c>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
[MemoryDiagnoser]
[Config(typeof(TinyPathStepConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class TinyPathStepBenchmarks<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Trainer<T> _tiny = null!;
    private Trainer<T> _general = null!;
    private T[] _inputs = [];
    private int[] _labels = [];
    private int _rows;
    private int _features;

    /// <summary>Layer sizes and batch rows: the two tiny networks and the widest the path takes.</summary>
    [Params("2-3-2x500", "4-2-2x500", "16-16-16x256")]
    public string Case { get; set; } = "2-3-2x500";

    [GlobalSetup]
    public void Setup()
    {
        (int[] sizes, int rows) = TrainingStepBenchmarks<T>.Parse(Case);
        var shape = new NetworkShape(sizes, HiddenActivation.Sigmoid);
        var options = new TrainerOptions { BatchSize = rows, DegreeOfParallelism = 1, LearningRate = LearningRateSchedule.Constant(1e-3) };
        _tiny = new Trainer<T>(new Network<T>(shape, 1), new SgdOptimizer<T>(shape.ParameterCount), options);
        _general = new Trainer<T>(new Network<T>(shape, 1), new SgdOptimizer<T>(shape.ParameterCount), options) { UsesTinyPath = false };
        if (!_tiny.UsesTinyPath)
        {
            throw new InvalidOperationException($"{Case} does not take the tiny path.");
        }

        var random = new Random(2);
        _rows = rows;
        _features = sizes[0];
        _inputs = [.. Enumerable.Range(0, rows * sizes[0]).Select(_ => T.CreateTruncating((random.NextDouble() * 2) - 1))];
        _labels = [.. Enumerable.Range(0, rows).Select(_ => random.Next(sizes[^1]))];
        T a = _tiny.Step(new ReadOnlyMatrixSpan<T>(_inputs, _rows, _features), _labels);
        T b = _general.Step(new ReadOnlyMatrixSpan<T>(_inputs, _rows, _features), _labels);
        if (T.Abs(a - b) > T.CreateTruncating(1e-4) * T.Abs(b))
        {
            throw new InvalidOperationException($"{Case}: the paths' first losses differ: tiny {a}, general {b}.");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _tiny?.Dispose();
        _general?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public T General() => _general.Step(new ReadOnlyMatrixSpan<T>(_inputs, _rows, _features), _labels);

    [Benchmark]
    public T Tiny() => _tiny.Step(new ReadOnlyMatrixSpan<T>(_inputs, _rows, _features), _labels);
}

/// <summary>Times in µs and rows per second; both widths, the general path the baseline of each case.</summary>
public class TinyPathStepConfig : ManualConfig
{
    public TinyPathStepConfig()
    {
        Jobs.AddWidthJobs(this, baselineJob: false, openBlas: false);
        AddColumn(new RowsPerSecondColumn());
        SummaryStyle = SummaryStyle.Default.WithTimeUnit(TimeUnit.Microsecond);
    }
}
