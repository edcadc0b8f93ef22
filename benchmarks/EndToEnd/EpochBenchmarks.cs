using System.Globalization;
using System.Numerics;
using Backprop.Benchmarks.Reporting;
using Backprop.Benchmarks.Training;
using Backprop.Training;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;

namespace Backprop.Benchmarks.EndToEnd;

/// <summary>One end-to-end case: a network, a training set of <see cref="Rows"/> rows at <see cref="Batch"/> rows per step, and a held-out set evaluated after the epoch.</summary>
public sealed record EpochCase(int[] Sizes, int Batch, int Rows, int ValidationRows) : IHasRows
{
    /// <summary>The suite's cases.</summary>
    public static IEnumerable<EpochCase> All() =>
    [
        new([784, 256, 10], 128, 60_000, 10_000), // Fashion-MNIST's shape, the CLI's default network for it
        new([64, 128, 10], 64, 10_000, 2_000),
    ];

    /// <summary>Rows trained per epoch (the throughput column counts these).</summary>
    int IHasRows.Rows => Rows;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{string.Join('-', Sizes)}x{Batch} {Rows} rows +{ValidationRows} eval");
}

/// <summary>
/// The whole loop as an application runs it: <see cref="Trainer{T}.RunEpoch"/> (seeded shuffle,
/// gather, forward, backward, update for every minibatch, then evaluation of a held-out set), at one
/// and two threads. The data are random (±1 inputs, uniform labels) with the shapes of
/// Fashion-MNIST (60 000 × 784, 10 classes, 10 000 held out) and of a small tabular task, so the
/// suite runs on any machine; time per epoch does not depend on the values.
/// <c>dotnet run -c Release --project benchmarks -- --filter '*EpochBenchmarks*'</c>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
[MemoryDiagnoser]
[Config(typeof(EpochConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class EpochBenchmarks<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Trainer<T> _trainer = null!;
    private Dataset<T> _training = null!, _validation = null!;

    [ParamsSource(typeof(EpochCase), nameof(EpochCase.All))]
    public EpochCase Case { get; set; } = new([2, 3, 2], 1, 1, 1);

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var shape = new NetworkShape(Case.Sizes, HiddenActivation.Sigmoid);
        _trainer = new Trainer<T>(
            new Network<T>(shape, 1),
            new SgdOptimizer<T>(shape.ParameterCount),
            new TrainerOptions { BatchSize = Case.Batch, DegreeOfParallelism = Threads, LearningRate = LearningRateSchedule.Constant(1e-3), Seed = 7 });
        var random = new Random(3);
        _training = Random(Case.Rows, random);
        _validation = Random(Case.ValidationRows, random);
        EpochMetrics first = _trainer.RunEpoch(_training, _validation);
        if (!double.IsFinite(first.TrainingLoss))
        {
            throw new InvalidOperationException($"The first epoch's loss is {first.TrainingLoss}.");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _trainer?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Description = "Epoch")]
    public EpochMetrics Epoch() => _trainer.RunEpoch(_training, _validation);

    private Dataset<T> Random(int rows, Random random)
    {
        int features = Case.Sizes[0], classes = Case.Sizes[^1];
        T[] x = [.. Enumerable.Range(0, rows * features).Select(_ => T.CreateTruncating((random.NextDouble() * 2) - 1))];
        int[] y = [.. Enumerable.Range(0, rows).Select(_ => random.Next(classes))];
        return new Dataset<T>(x, y, features, classes);
    }
}

/// <summary>Both widths in one run (256-bit the baseline), times in ms, a rows-per-second column.</summary>
public sealed class EpochConfig : ManualConfig
{
    public EpochConfig()
    {
        Jobs.AddWidthJobs(this, baselineJob: true, openBlas: false);
        AddColumn(new RowsPerSecondColumn());
        SummaryStyle = SummaryStyle.Default.WithTimeUnit(TimeUnit.Millisecond);
    }
}
