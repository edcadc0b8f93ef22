using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Training;
using Xunit.Abstractions;

namespace Backprop.Properties.Training;

/// <summary>
/// <see cref="TrainerOptions.DegreeOfParallelism"/> and caller-owned <see cref="KernelThreads"/>:
/// the same seeds give bit-identical parameters for any degree; owned workers stop with the
/// trainer; trainers on several threads at once (own or shared groups) stay exact.
/// </summary>
public class TrainerParallelismProperties
{
    /// <summary>Big enough that the layer products (m·n·k well over the threshold) and the first activation (128 × 300 elements) are split, small enough to be quick.</summary>
    internal static readonly NetworkShape Shape = new([100, 300, 128, 10], HiddenActivation.Sigmoid);

    /// <summary>Whether products are split at all: without SIMD every product takes the unpacked, single-thread path.</summary>
    internal static bool Splits => GemmParallel.Supported;

    internal static TrainerOptions Options(int degree) => new() { BatchSize = 128, Epochs = 2, Seed = 5, DegreeOfParallelism = degree, LearningRate = LearningRateSchedule.Constant(0.05) };

    [Fact]
    public void TheSameSeedsGiveBitIdenticalParametersForAnyDegree()
    {
        foreach (string optimizer in new[] { "sgd", "nesterov", "adamw" })
        {
            byte[] serial = Train<double>(optimizer, 1, out _);
            Assert.Equal(serial, Train<double>(optimizer, 2, out long split2));
            Assert.Equal(serial, Train<double>(optimizer, 3, out long split3));
            Assert.True((split2 > 0 && split3 > 0) || !Splits, $"products were not split ({split2}, {split3})");
            byte[] serialFloat = Train<float>(optimizer, 1, out _);
            Assert.Equal(serialFloat, Train<float>(optimizer, 2, out long splitFloat));
            Assert.True(splitFloat > 0 || !Splits);
        }

        // The comparison is not vacuous: training changed the parameters.
        Assert.NotEqual(TestData.Bits<double>(new Network<double>(Shape, 3).Parameters), Train<double>("sgd", 2, out _));
    }

    private static byte[] Train<T>(string optimizer, int degree, out long splitCalls)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var network = new Network<T>(Shape, 3);
        using var trainer = new Trainer<T>(network, TestData.Optimizer<T>(optimizer, Shape.ParameterCount), Options(degree));
        Assert.Equal(degree, trainer.DegreeOfParallelism);
        trainer.Fit(TestData.Dataset<T>(300, 100, 10, 4), TestData.Dataset<T>(150, 100, 10, 5));
        splitCalls = trainer.Threads?.SplitCalls ?? 0;
        return TestData.Bits<T>(network.Parameters);
    }

    [Fact]
    public void TheDefaultDegreeIsTheProcessorCount() =>
        Assert.Equal(Environment.ProcessorCount, new TrainerOptions().DegreeOfParallelism);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ADegreeBelowOneThrowsNamingOptions(int degree)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer<float>(new Network<float>(Shape, 1), new SgdOptimizer<float>(Shape.ParameterCount), Options(degree)));
        Assert.Equal("options", e.ParamName);
    }

    [Fact]
    public void DisposingATrainerStopsItsOwnWorkersButNotASharedGroup()
    {
        (float[] x, int[] y) = TestData.Random<float>(128, 100, 10, 6);
        var owned = new Trainer<float>(new Network<float>(Shape, 1), new SgdOptimizer<float>(Shape.ParameterCount), Options(2));
        owned.Step(new ReadOnlyMatrixSpan<float>(x, 128, 100), y);
        Thread[] workers = owned.Threads!.WorkerThreads;
        Assert.Equal(Splits ? 1 : 0, workers.Length);
        owned.Dispose();
        Assert.All(workers, w => Assert.False(w.IsAlive));

        using var group = new KernelThreads(2);
        var sharing = new Trainer<float>(new Network<float>(Shape, 1), new SgdOptimizer<float>(Shape.ParameterCount), Options(1), group);
        Assert.Equal(2, sharing.DegreeOfParallelism);
        sharing.Step(new ReadOnlyMatrixSpan<float>(x, 128, 100), y);
        sharing.Dispose();
        Assert.Equal(Splits ? 1 : 0, group.LiveWorkers);
    }

    /// <summary>Four trainers on four threads: two with their own groups, two sharing one group. Each ends bit-identical to serial training.</summary>
    [Fact]
    public void TrainersOnSeveralThreadsAtOnceStayExact()
    {
        byte[] serial = Train<double>("sgd", 1, out _);
        using var shared = new KernelThreads(2);
        byte[][] results = new byte[4][];
        var runners = new Thread[4];
        for (int i = 0; i < runners.Length; i++)
        {
            int which = i;
            runners[i] = new Thread(() =>
            {
                var network = new Network<double>(Shape, 3);
                using var trainer = which < 2
                    ? new Trainer<double>(network, new SgdOptimizer<double>(Shape.ParameterCount), Options(2))
                    : new Trainer<double>(network, new SgdOptimizer<double>(Shape.ParameterCount), Options(2), shared);
                trainer.Fit(TestData.Dataset<double>(300, 100, 10, 4), TestData.Dataset<double>(150, 100, 10, 5));
                results[which] = TestData.Bits<double>(network.Parameters);
            });
            runners[i].Start();
        }

        foreach (Thread t in runners)
        {
            t.Join();
        }

        Assert.All(results, r => Assert.Equal(serial, r));
    }
}

/// <summary>Allocation of parallel training steps and epochs on every thread of the trainer's group, quiet and contended: runs alone.</summary>
[Collection(nameof(ProcessAllocations))]
public class TrainerParallelismAllocationProperties(ITestOutputHelper output)
{
    [Theory]
    [InlineData("float")]
    [InlineData("double")]
    public void ParallelStepsAndEpochsAllocateNothingOnAnyThread(string type)
    {
        (ProcessAllocations.Phase[] phases, long split) = type == "float" ? Measure<float>() : Measure<double>();
        foreach (ProcessAllocations.Phase phase in phases)
        {
            output.WriteLine(phase.ToString());
        }

        Assert.True(split > 0 || !TrainerParallelismProperties.Splits);
        Assert.All(phases, p => Assert.Equal((0L, 0L), (p.Caller, p.Workers)));

        // The contended phases (steps, epochs) really took the slow path: a thread blocked and was woken.
        Assert.True(!TrainerParallelismProperties.Splits || (phases[1].BlockedWaits > 0 && phases[3].BlockedWaits > 0), "the contended phases never blocked");
    }

    private static (ProcessAllocations.Phase[] Phases, long Split) Measure<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkShape shape = TrainerParallelismProperties.Shape;
        using var trainer = new Trainer<T>(new Network<T>(shape, 1), new AdamOptimizer<T>(shape.ParameterCount), TrainerParallelismProperties.Options(2));
        Dataset<T> train = TestData.Dataset<T>(300, 100, 10, 7), validation = TestData.Dataset<T>(100, 100, 10, 8);
        (T[] x, int[] y) = TestData.Random<T>(128, 100, 10, 9);
        var step = ProcessAllocations.Measure(trainer.Threads, () => trainer.Step(new ReadOnlyMatrixSpan<T>(x, 128, 100), y), repetitions: 5, warmup: 5);
        var epoch = ProcessAllocations.Measure(trainer.Threads, () => trainer.RunEpoch(train, validation), repetitions: 1, warmup: 2);
        return ([step.Quiet, step.Contended, epoch.Quiet, epoch.Contended], trainer.Threads!.SplitCalls);
    }
}
