using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Training;
using Xunit.Abstractions;

namespace Backprop.Properties.Training;

/// <summary>
/// The trainer's regularisation options: label smoothing and dropout inside the passes (gradient
/// against finite differences of the very loss the step minimises, determinism, thread-count
/// independence, nothing at evaluation, 0 B per step), and early stopping with best-epoch restore.
/// </summary>
public class RegularizationProperties(ITestOutputHelper output)
{
    /// <summary>
    /// With dropout 0.4 and label smoothing 0.2 the gradient of every parameter equals central
    /// differences of the loss <see cref="Trainer{T}.ComputeGradients"/> returns (the mask depends on the
    /// step only, and computing gradients takes no step, so the perturbed passes see the same mask).
    /// Smooth activations only (ReLU's kink would make differences meaningless); h = 1e-5, so the
    /// difference is off by about h²·|L‴| + ε|L|/h ≈ 1e-10; 1e-7 catches a missing 1/(1 − rate) (off by 40 %).
    /// </summary>
    [Theory]
    [InlineData(HiddenActivation.Tanh)]
    [InlineData(HiddenActivation.Sigmoid)]
    public void GradientEqualsFiniteDifferencesOfTheRegularisedLoss(HiddenActivation activation)
    {
        var shape = new NetworkShape([5, 9, 7, 3], activation);
        (double[] x, int[] y) = TestData.Random<double>(6, 5, 3, 11);
        var inputs = new ReadOnlyMatrixSpan<double>(x, 6, 5);
        var network = new Network<double>(shape, 2);
        using var trainer = new Trainer<double>(network, new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 6, Seed = 9, DropoutRate = 0.4, LabelSmoothing = 0.2, DegreeOfParallelism = 1 });
        trainer.ComputeGradients(inputs, y);
        double[] gradient = network.Gradients.ToArray();
        using var plain = new Trainer<double>(network, new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 6, Seed = 9, DegreeOfParallelism = 1 });
        plain.ComputeGradients(inputs, y);
        Assert.NotEqual(gradient, network.Gradients.ToArray());
        Span<double> p = network.Parameters;
        const double h = 1e-5;
        double worst = 0;
        for (int k = 0; k < p.Length; k++)
        {
            double original = p[k];
            p[k] = original + h;
            double up = trainer.ComputeGradients(inputs, y);
            p[k] = original - h;
            double down = trainer.ComputeGradients(inputs, y);
            p[k] = original;
            double fd = (up - down) / (2 * h);
            worst = Math.Max(worst, Math.Abs(fd - gradient[k]));
            Assert.True(Math.Abs(fd - gradient[k]) <= 1e-7, $"parameter {k}: gradient {gradient[k]:R}, finite difference {fd:R}");
        }

        output.WriteLine($"{activation}: largest |gradient − finite difference| {worst:E2} over {p.Length} parameters");
    }

    /// <summary>Dropout and smoothing keep training bit-identical for 1, 2 and 3 threads (float and double), and the comparison is not vacuous: dropout changes the result, and a different seed changes the mask.</summary>
    [Fact]
    public void DropoutTrainingIsBitIdenticalForAnyDegree()
    {
        byte[] serial = Train<double>(1, 0.3, 5);
        Assert.Equal(serial, Train<double>(2, 0.3, 5));
        Assert.Equal(serial, Train<double>(3, 0.3, 5));
        Assert.Equal(Train<float>(1, 0.3, 5), Train<float>(2, 0.3, 5));
        Assert.NotEqual(serial, Train<double>(1, 0, 5));
        Assert.NotEqual(serial, Train<double>(1, 0.3, 6));
        Assert.Equal(serial, Train<double>(1, 0.3, 5));
    }

    private static byte[] Train<T>(int degree, double dropout, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkShape shape = TrainerParallelismProperties.Shape;
        var network = new Network<T>(shape, 3);
        TrainerOptions options = TrainerParallelismProperties.Options(degree) with { DropoutRate = dropout, LabelSmoothing = 0.1, Seed = seed, Epochs = 1 };
        using var trainer = new Trainer<T>(network, new AdamOptimizer<T>(shape, weightDecay: 0.01), options);
        trainer.Fit(TestData.Dataset<T>(300, 100, 10, 4));
        return TestData.Bits<T>(network.Parameters);
    }

    /// <summary>Evaluation and loss-only passes never drop: a dropout trainer reports what a plain one does for the same parameters, every time.</summary>
    [Fact]
    public void EvaluationNeverDrops()
    {
        var shape = new NetworkShape([6, 32, 4], HiddenActivation.Relu);
        var network = new Network<float>(shape, 1);
        Dataset<float> data = TestData.Dataset<float>(100, 6, 4, 3);
        using var dropping = new Trainer<float>(network, new SgdOptimizer<float>(shape.ParameterCount), new TrainerOptions { BatchSize = 20, DropoutRate = 0.5, DegreeOfParallelism = 1 });
        dropping.RunEpoch(data);
        using var plain = new Trainer<float>(network, new SgdOptimizer<float>(shape.ParameterCount), new TrainerOptions { BatchSize = 20, DegreeOfParallelism = 1 });
        Evaluation a = dropping.Evaluate(data);
        Assert.Equal(plain.Evaluate(data), a);
        Assert.Equal(a, dropping.Evaluate(data));
        (float[] x, int[] y) = TestData.Random<float>(20, 6, 4, 8);
        Assert.Equal(plain.ComputeLoss(new ReadOnlyMatrixSpan<float>(x, 20, 6), y), dropping.ComputeLoss(new ReadOnlyMatrixSpan<float>(x, 20, 6), y));
    }

    /// <summary>Steps and epochs with dropout, smoothing, bias-skipping decay and early stopping allocate nothing after warm-up.</summary>
    [Fact]
    public void RegularisedStepsAllocateNothing()
    {
        var shape = new NetworkShape([6, 16, 12, 4], HiddenActivation.Relu);
        var network = new Network<float>(shape, 1);
        var options = new TrainerOptions { BatchSize = 16, Seed = 3, Epochs = 3, DropoutRate = 0.25, LabelSmoothing = 0.1, EarlyStoppingPatience = 5, LearningRate = LearningRateSchedule.WarmupCosine(0.01, 0.001, 10, 100) };
        using var trainer = new Trainer<float>(network, new AdamOptimizer<float>(shape, weightDecay: 0.05), options);
        Dataset<float> train = TestData.Dataset<float>(203, 6, 4, 7), validation = TestData.Dataset<float>(61, 6, 4, 8);
        (float[] x, int[] y) = TestData.Random<float>(16, 6, 4, 9);
        long steps = Allocations.Measure(() => trainer.Step(new ReadOnlyMatrixSpan<float>(x, 16, 6), y), repetitions: 500, warmup: 1);
        long epochs = Allocations.Measure(() => trainer.RunEpoch(train, validation), repetitions: 3, warmup: 1);
        long fit = Allocations.Measure(() => trainer.Fit(train, validation), repetitions: 2, warmup: 1);
        Assert.Equal((0L, 0L, 0L), (steps, epochs, fit));
    }

    /// <summary>
    /// Early stopping: the kept epoch is the best validation accuracy (ties: lower loss) among those run,
    /// training stops exactly patience epochs after it, and the network holds that epoch's parameters.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void EarlyStoppingKeepsTheBestEpoch(int patience)
    {
        var shape = new NetworkShape([6, 24, 4], HiddenActivation.Relu);
        var network = new Network<double>(shape, 4);
        var options = new TrainerOptions { BatchSize = 8, Epochs = 60, Seed = 1, EarlyStoppingPatience = patience, LearningRate = LearningRateSchedule.Constant(0.05) };
        using var trainer = new Trainer<double>(network, new AdamOptimizer<double>(shape.ParameterCount), options);
        Dataset<double> train = TestData.Dataset<double>(64, 6, 4, 2), validation = TestData.Dataset<double>(40, 6, 4, 3);
        var seen = new List<(EpochMetrics Metrics, byte[] Parameters)>();
        TrainingResult result = trainer.Fit(train, validation, m => seen.Add((m, TestData.Bits<double>(network.Parameters))));
        var best = seen[0];
        foreach (var s in seen)
        {
            if (s.Metrics.ValidationAccuracy > best.Metrics.ValidationAccuracy || (s.Metrics.ValidationAccuracy == best.Metrics.ValidationAccuracy && s.Metrics.ValidationLoss < best.Metrics.ValidationLoss))
            {
                best = s;
            }
        }

        output.WriteLine($"patience {patience}: ran {result.Epochs} epochs ({result.StopReason}), kept epoch {result.BestEpoch} at validation accuracy {result.Best.ValidationAccuracy}");
        Assert.Equal(StopReason.EarlyStopped, result.StopReason);
        Assert.Equal(seen.Count, result.Epochs);
        Assert.Equal(best.Metrics.Epoch, result.BestEpoch);
        Assert.Equal(best.Metrics, result.Best);
        Assert.Equal(result.BestEpoch + patience, result.Epochs);
        Assert.Equal(best.Parameters, TestData.Bits<double>(network.Parameters));
        Assert.NotEqual(seen[^1].Parameters, TestData.Bits<double>(network.Parameters));
        Assert.Equal(best.Metrics.ValidationAccuracy, trainer.Evaluate(validation).Accuracy);
    }

    /// <summary>Without early stopping the result names the last epoch as kept.</summary>
    [Fact]
    public void WithoutEarlyStoppingTheLastEpochIsKept()
    {
        var shape = new NetworkShape([6, 8, 4], HiddenActivation.Relu);
        using var trainer = new Trainer<float>(new Network<float>(shape, 4), new SgdOptimizer<float>(shape.ParameterCount), new TrainerOptions { Epochs = 3, DegreeOfParallelism = 1 });
        TrainingResult result = trainer.Fit(TestData.Dataset<float>(50, 6, 4, 2));
        Assert.Equal(3, result.BestEpoch);
        Assert.Equal(result.Last, result.Best);
    }

    [Fact]
    public void BadOptionsThrowNamingThem()
    {
        var shape = new NetworkShape([3, 4, 2]);
        Trainer<double> Make(TrainerOptions o) => new(new Network<double>(shape, 1), new SgdOptimizer<double>(shape.ParameterCount), o with { DegreeOfParallelism = 1 });
        foreach (TrainerOptions bad in new[]
        {
            new TrainerOptions { LabelSmoothing = 1 }, new TrainerOptions { LabelSmoothing = -0.1 }, new TrainerOptions { LabelSmoothing = double.NaN },
            new TrainerOptions { DropoutRate = 1 }, new TrainerOptions { DropoutRate = -0.5 }, new TrainerOptions { DropoutRate = double.NaN },
            new TrainerOptions { EarlyStoppingPatience = 0 },
        })
        {
            Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => Make(bad)).ParamName);
        }

        using Trainer<double> needsValidation = Make(new TrainerOptions { EarlyStoppingPatience = 2 });
        Assert.Equal("validation", Assert.Throws<ArgumentException>(() => needsValidation.Fit(TestData.Dataset<double>(10, 3, 2, 1))).ParamName);
    }
}
