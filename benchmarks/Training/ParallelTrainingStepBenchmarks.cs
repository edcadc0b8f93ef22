using System.Numerics;
using Backprop.Benchmarks.Kernels;
using Backprop.Kernels;
using Backprop.Training;
using BenchmarkDotNet.Attributes;

namespace Backprop.Benchmarks.Training;

/// <summary>
/// One <see cref="Trainer{T}.Step"/> (as <see cref="TrainingStepBenchmarks{T}"/>) on the two
/// large networks at <see cref="TrainerOptions.DegreeOfParallelism"/> 1 and 2, in one run.
/// <c>dotnet run -c Release --project benchmarks -- --filter '*ParallelTrainingStep*'</c>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
[MemoryDiagnoser]
[Config(typeof(ParallelConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class ParallelTrainingStepBenchmarks<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Trainer<T> _trainer = null!;
    private T[] _inputs = [];
    private int[] _labels = [];
    private int _rows;
    private int _features;

    /// <summary>Layer sizes and batch rows.</summary>
    [Params("784-256-10x128", "784-1024-1024-10x256")]
    public string Case { get; set; } = "784-256-10x128";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (int[] sizes, int rows) = TrainingStepBenchmarks<T>.Parse(Case);
        var shape = new NetworkShape(sizes, HiddenActivation.Sigmoid);
        var network = new Network<T>(shape, 1);
        _trainer = new Trainer<T>(network, new SgdOptimizer<T>(shape.ParameterCount), new TrainerOptions { BatchSize = rows, DegreeOfParallelism = Threads, LearningRate = LearningRateSchedule.Constant(1e-3) });
        var random = new Random(2);
        _rows = rows;
        _features = sizes[0];
        _inputs = [.. Enumerable.Range(0, rows * sizes[0]).Select(_ => T.CreateTruncating((random.NextDouble() * 2) - 1))];
        _labels = [.. Enumerable.Range(0, rows).Select(_ => random.Next(sizes[^1]))];
        Step();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _trainer?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public T Step() => _trainer.Step(new ReadOnlyMatrixSpan<T>(_inputs, _rows, _features), _labels);
}
