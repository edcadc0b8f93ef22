using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Training;
using Xunit.Abstractions;

namespace Backprop.Properties.Training;

public class TrainerProperties(ITestOutputHelper output)
{
    // ---- The worked example (data/stairs, 4-2-2 sigmoid, unscaled pixels, full batch, η = 0.1) ----

    [Fact]
    public void WorkedExampleInitialLossIsTheTextbooks()
    {
        Network<double> network = StairsData.InitialNetwork<double>();
        Dataset<double> train = StairsData.Dataset<double>("train.csv");
        var trainer = new Trainer<double>(network, new SgdOptimizer<double>(network.Shape.ParameterCount), new TrainerOptions { BatchSize = 400 });
        double viaTrainer = trainer.ComputeLoss(train.Features, train.Labels);
        double viaEvaluate = trainer.Evaluate(train).Loss;
        double viaReference = Reference.Loss(Reference.Weights(network), HiddenActivation.Sigmoid, To2D(StairsData.Load("train.csv").Features, 4), train.Labels.ToArray());
        output.WriteLine($"initial loss: trainer {viaTrainer:R}, evaluate {viaEvaluate:R}, reference {viaReference:R}");
        Assert.Equal(400, train.Count);
        Assert.Equal(0.6934984699, viaReference, 1e-9); // the data and weights are the textbook's
        Assert.Equal(0.6934984699, viaTrainer, 1e-9);
        Assert.Equal(0.6934984699, viaEvaluate, 1e-9);
    }

    /// <summary>
    /// 1500 epochs of full-batch gradient descent. With unscaled pixels (0–255) and η = 0.1 the loss
    /// curve is noisy (it jumps up and down from epoch 5 on), so rounding differences grow about
    /// twofold per epoch: per-epoch losses of float and double agree only early on. The stated
    /// tolerance: the first 10 epochs agree to 1e−5 relative; the mean training loss over the last
    /// 500 epochs agrees to 0.05; double ends with test accuracy in the textbook's [0.85, 0.91], float
    /// (whose last bits are 2²⁹ times coarser) within one test row more either side, [0.84, 0.92].
    /// Measured with the plain-loop kernels: double 0.86, float 0.91.
    /// </summary>
    [Fact]
    public void WorkedExampleReachesTheTextbooksTestAccuracyAndFloatTracksDouble()
    {
        TrainingRun d = RunWorkedExample<double>();
        TrainingRun f = RunWorkedExample<float>();
        output.WriteLine($"double: train loss {d.Losses[0]:R} -> {d.Losses[^1]:R}, test accuracy {d.TestAccuracy}, test loss {d.TestLoss:R}");
        output.WriteLine($"float:  train loss {f.Losses[0]:R} -> {f.Losses[^1]:R}, test accuracy {f.TestAccuracy}, test loss {f.TestLoss:R}");
        for (int e = 0; e < 10; e++)
        {
            Assert.True(Math.Abs(f.Losses[e] - d.Losses[e]) <= 1e-5 * d.Losses[e], $"epoch {e + 1}: float {f.Losses[e]:R}, double {d.Losses[e]:R}");
        }

        double meanD = d.Losses[1000..].Average(), meanF = f.Losses[1000..].Average();
        output.WriteLine($"mean loss over epochs 1001-1500: double {meanD:R}, float {meanF:R}");
        Assert.True(Math.Abs(meanD - meanF) <= 0.05, $"mean loss over the last 500 epochs: double {meanD:R}, float {meanF:R}");
        Assert.True(meanD < 0.4, $"double did not learn: mean loss {meanD:R}");
        Assert.InRange(d.TestAccuracy, 0.85, 0.91);
        Assert.InRange(f.TestAccuracy, 0.84, 0.92);
    }

    private sealed record TrainingRun(double[] Losses, double TestAccuracy, double TestLoss);

    private static TrainingRun RunWorkedExample<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Network<T> network = StairsData.InitialNetwork<T>();
        Dataset<T> train = StairsData.Dataset<T>("train.csv");
        Dataset<T> test = StairsData.Dataset<T>("test.csv");
        var options = new TrainerOptions { BatchSize = 400, Epochs = 1500, Shuffle = false, LearningRate = LearningRateSchedule.Constant(0.1) };
        var trainer = new Trainer<T>(network, new SgdOptimizer<T>(network.Shape.ParameterCount), options);
        var losses = new List<double>();
        TrainingResult result = trainer.Fit(train, progress: m => losses.Add(m.TrainingLoss));
        Assert.Equal(1500, result.Epochs);
        Assert.Equal(StopReason.EpochLimit, result.StopReason);
        Evaluation evaluation = trainer.Evaluate(test);
        return new TrainingRun([.. losses], evaluation.Accuracy, evaluation.Loss);
    }

    internal static double[,] To2D(double[] flat, int columns)
    {
        var m = new double[flat.Length / columns, columns];
        for (int i = 0; i < flat.Length; i++)
        {
            m[i / columns, i % columns] = flat[i];
        }

        return m;
    }

    // ---- Epochs and minibatches -----------------------------------------------------------------

    [Fact]
    public void AnUnshuffledEpochIsTheSameStepsOverConsecutiveSlices()
    {
        var shape = new NetworkShape([5, 7, 3], HiddenActivation.Tanh);
        (double[] x, int[] y) = TestData.Random<double>(30, 5, 3, seed: 11);
        var data = new Dataset<double>(x, y, 5, 3);
        var options = new TrainerOptions { BatchSize = 7, Shuffle = false, LearningRate = LearningRateSchedule.Constant(0.05) };
        var a = new Trainer<double>(new Network<double>(shape, 4), new MomentumOptimizer<double>(shape.ParameterCount), options);
        var b = new Trainer<double>(new Network<double>(shape, 4), new MomentumOptimizer<double>(shape.ParameterCount), options);

        EpochMetrics metrics = a.RunEpoch(data);
        double weighted = 0;
        for (int start = 0; start < 30; start += 7)
        {
            int rows = Math.Min(7, 30 - start);
            weighted += b.Step(new ReadOnlyMatrixSpan<double>(x.AsSpan(start * 5, rows * 5), rows, 5), y.AsSpan(start, rows)) * rows;
        }

        Assert.Equal(TestData.Bits<double>(b.Network.Parameters), TestData.Bits<double>(a.Network.Parameters));
        Assert.Equal(5, metrics.Steps); // 7 + 7 + 7 + 7 + 2
        Assert.Equal(1, metrics.Epoch);
        Assert.Equal(weighted / 30, metrics.TrainingLoss, 1e-15);
        Assert.Equal(5, a.StepCount);
        Assert.Equal(1, a.CompletedEpochs);
    }

    /// <summary>
    /// With η = 0 the parameters never move, so the batch-weighted mean of the minibatch losses of a
    /// shuffled epoch equals the full-data loss exactly when every row was visited once with its own
    /// label, and the training accuracy equals the full-data accuracy (computed by the reference).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100)]
    public void AShuffledEpochVisitsEveryRowOnceWithItsLabel(int batch)
    {
        var shape = new NetworkShape([4, 6, 3], HiddenActivation.Sigmoid);
        (double[] x, int[] y) = TestData.Random<double>(64, 4, 3, seed: 5);
        var data = new Dataset<double>(x, y, 4, 3);
        var network = new Network<double>(shape, 8);
        var trainer = new Trainer<double>(network, new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = batch, Seed = 99, LearningRate = LearningRateSchedule.Constant(0) });
        EpochMetrics metrics = trainer.RunEpoch(data);

        double[][,] w = Reference.Weights(network);
        double[,] x2 = To2D(x, 4);
        double[,] logits = Reference.PreActivations(w, shape.HiddenActivation, x2)[^1];
        int correct = Enumerable.Range(0, 64).Count(r => Enumerable.Range(0, 3).MaxBy(k => logits[r, k]) == y[r]);
        Assert.Equal(Reference.MeanCrossEntropy(logits, y), metrics.TrainingLoss, 1e-12);
        Assert.Equal(correct / 64.0, metrics.TrainingAccuracy);
        Assert.Equal((64 + batch - 1) / batch, metrics.Steps);
    }

    [Fact]
    public void ValidationMetricsAreTheEvaluationAfterTheEpoch()
    {
        var shape = new NetworkShape([3, 5, 4], HiddenActivation.Relu);
        Dataset<double> train = TestData.Dataset<double>(50, 3, 4, 1), validation = TestData.Dataset<double>(23, 3, 4, 2);
        var network = new Network<double>(shape, 3);
        var trainer = new Trainer<double>(network, new AdamOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 8, LearningRate = LearningRateSchedule.StepDecay(0.01, 0.5, 1) });
        trainer.RunEpoch(train);
        EpochMetrics metrics = trainer.RunEpoch(train, validation);
        Assert.True(metrics.HasValidation);
        Assert.Equal(0.005, metrics.LearningRate);
        double[,] logits = Reference.PreActivations(Reference.Weights(network), shape.HiddenActivation, To2D(validation.Features.Span.ToArray(), 3))[^1];
        Assert.Equal(Reference.MeanCrossEntropy(logits, validation.Labels.ToArray()), metrics.ValidationLoss, 1e-12);
        int correct = Enumerable.Range(0, 23).Count(r => Enumerable.Range(0, 4).MaxBy(k => logits[r, k]) == validation.Labels[r]);
        Assert.Equal(correct / 23.0, metrics.ValidationAccuracy);
        Assert.False(trainer.RunEpoch(train).HasValidation);
    }

    // ---- Stopping -------------------------------------------------------------------------------

    [Fact]
    public void FitStopsAtTheFirstEpochThatReachesTheTargetLoss()
    {
        var shape = new NetworkShape([4, 8, 2], HiddenActivation.Tanh);
        Dataset<double> data = TestData.Dataset<double>(80, 4, 2, 21);
        var trainer = new Trainer<double>(new Network<double>(shape, 1), new AdamOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 16, Epochs = 500, TargetLoss = 0.45, LearningRate = LearningRateSchedule.Constant(0.01) });
        var losses = new List<double>();
        TrainingResult result = trainer.Fit(data, progress: m => losses.Add(m.TrainingLoss));
        Assert.Equal(StopReason.TargetLossReached, result.StopReason);
        Assert.Equal(losses.Count, result.Epochs);
        Assert.True(result.Epochs is > 1 and < 500, $"{result.Epochs} epochs");
        Assert.True(losses[^1] <= 0.45);
        Assert.All(losses.SkipLast(1), l => Assert.True(l > 0.45));
        Assert.Equal(losses[^1], result.Last.TrainingLoss);
    }

    [Fact]
    public void FitRunsTheConfiguredEpochsWhenTheTargetIsOutOfReach()
    {
        var shape = new NetworkShape([4, 3, 2]);
        Dataset<float> data = TestData.Dataset<float>(40, 4, 2, 3);
        var trainer = new Trainer<float>(new Network<float>(shape, 1), new SgdOptimizer<float>(shape.ParameterCount), new TrainerOptions { BatchSize = 10, Epochs = 7, TargetLoss = 0 });
        int calls = 0;
        TrainingResult result = trainer.Fit(data, progress: _ => calls++);
        Assert.Equal((7, StopReason.EpochLimit, 7, 7), (result.Epochs, result.StopReason, result.Last.Epoch, calls));
        Assert.Equal(28, trainer.StepCount);
    }

    [Fact]
    public void FitHonoursCancellationBetweenEpochs()
    {
        var shape = new NetworkShape([4, 3, 2]);
        Dataset<double> data = TestData.Dataset<double>(40, 4, 2, 3);
        var trainer = new Trainer<double>(new Network<double>(shape, 1), new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 10, Epochs = 50 });
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(data, progress: m => { if (m.Epoch == 3) { cancel.Cancel(); } }, cancellationToken: cancel.Token));
        Assert.Equal(3, trainer.CompletedEpochs);
    }

    /// <summary>Epochs 1–3 use a sane η, epoch 4 a huge one: its loss overflows within a few steps.</summary>
    private sealed class BlowUpAtEpoch4 : LearningRateSchedule
    {
        public override double Rate(int epoch, long globalStep) => epoch < 3 ? 0.01 : 1e306;
    }

    [Fact]
    public void ANonFiniteLossStopsTrainingAndRestoresTheLastFiniteEpoch() => DivergenceRestores<double>();

    [Fact]
    public void ANonFiniteLossStopsFloatTrainingToo() => DivergenceRestores<float>();

    private static void DivergenceRestores<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new NetworkShape([4, 6, 3], HiddenActivation.Relu);
        Dataset<T> data = TestData.Dataset<T>(60, 4, 3, 9);
        var network = new Network<T>(shape, 2);
        var trainer = new Trainer<T>(network, new SgdOptimizer<T>(shape.ParameterCount), new TrainerOptions { BatchSize = 10, Epochs = 10, LearningRate = new BlowUpAtEpoch4() });
        byte[]? afterEpoch3 = null;
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data, progress: m =>
        {
            if (m.Epoch == 3)
            {
                afterEpoch3 = TestData.Bits<T>(network.Parameters);
            }
        }));
        Assert.Equal(4, e.Epoch);
        Assert.InRange(e.Step, 2, 6); // step 1 of epoch 4 still ran on epoch 3's finite parameters
        Assert.Equal(3, e.RestoredEpoch);
        Assert.False(double.IsFinite(e.Loss));
        Assert.Contains($"epoch 4, step {e.Step} of 6", e.Message, StringComparison.Ordinal);
        Assert.Contains("end of epoch 3", e.Message, StringComparison.Ordinal);
        Assert.Equal(afterEpoch3, TestData.Bits<T>(network.Parameters));
        Assert.Equal(3, trainer.CompletedEpochs);
    }

    /// <summary>Epochs 1–2 use a sane η, later ones a huge but not overflowing one.</summary>
    private sealed class JumpAtEpoch3(double huge) : LearningRateSchedule
    {
        public override double Rate(int epoch, long globalStep) => epoch < 2 ? 0.01 : huge;
    }

    /// <summary>
    /// Generated: η jumps at epoch 3 to a random 10³–10⁶ on a random ReLU network. The loss stays
    /// finite (or not) but grows far above its start: training stops as diverged with the parameters
    /// of epoch 2 restored, exactly as for a NaN loss. With the rule off, the same run is not stopped
    /// unless the loss becomes non-finite (so the rule, not the NaN check, is what stopped it).
    /// </summary>
    [Fact]
    public void ALossFarAboveItsStartStopsTrainingAsDiverged()
    {
        var random = new Random(7);
        int finiteStops = 0;
        for (int i = 0; i < 20; i++)
        {
            int seed = random.Next();
            double huge = Math.Pow(10, 3 + (3 * random.NextDouble()));
            var shape = new NetworkShape([5, 8, 3], HiddenActivation.Relu);
            Dataset<double> data = TestData.Dataset<double>(48, 5, 3, seed);
            var network = new Network<double>(shape, (ulong)seed);
            var trainer = new Trainer<double>(network, new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 8, Epochs = 30, LearningRate = new JumpAtEpoch3(huge) });
            byte[]? afterEpoch2 = null;
            double firstEpochLoss = double.NaN;
            var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data, progress: m =>
            {
                firstEpochLoss = m.Epoch == 1 ? m.TrainingLoss : firstEpochLoss;
                afterEpoch2 = m.Epoch == 2 ? TestData.Bits<double>(network.Parameters) : afterEpoch2;
            }));
            Assert.True(e.Epoch >= 3, $"stopped at epoch {e.Epoch} before η jumped");
            Assert.Equal(e.Epoch - 1, e.RestoredEpoch);
            if (e.RestoredEpoch == 2)
            {
                Assert.Equal(afterEpoch2, TestData.Bits<double>(network.Parameters));
            }

            if (double.IsFinite(e.Loss))
            {
                finiteStops++;
                Assert.Contains("mean training loss", e.Message, StringComparison.Ordinal);
                Assert.True(e.Loss > 100 * Math.Log(3), $"stopped at loss {e.Loss}");

                // The same run with the rule off goes on past that epoch (until the loss overflows, if it does).
                var unruled = new Trainer<double>(new Network<double>(shape, (ulong)seed), new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 8, Epochs = e.Epoch, LearningRate = new JumpAtEpoch3(huge), DivergenceFactor = double.PositiveInfinity });
                try
                {
                    Assert.Equal(e.Epoch, unruled.Fit(data).Epochs);
                }
                catch (TrainingDivergedException nan)
                {
                    Assert.False(double.IsFinite(nan.Loss));
                }
            }
        }

        output.WriteLine($"{finiteStops} of 20 runs stopped by the divergence factor with a finite loss");
        Assert.True(finiteStops >= 5, $"only {finiteStops} of 20 runs had a finite exploding loss; the rule is barely exercised");
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(double.NaN)]
    [InlineData(-1.0)]
    public void TheDivergenceFactorMustExceedOne(double factor)
    {
        var shape = new NetworkShape([2, 2]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer<double>(new Network<double>(shape), new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { DivergenceFactor = factor }));
        Assert.Contains("DivergenceFactor", e.Message, StringComparison.Ordinal);
    }

    /// <summary>SGD that poisons one parameter on a chosen step: the loss of that step was finite, so only the end-of-epoch check can catch it.</summary>
    private sealed class PoisonOnStep(int parameterCount, long poisonStep) : Optimizer<double>(parameterCount)
    {
        protected override void Apply(Span<double> parameters, ReadOnlySpan<double> gradients, double learningRate, long stepNumber)
        {
            Updates.SgdStep(parameters, gradients, learningRate, 0.0);
            if (stepNumber == poisonStep)
            {
                parameters[^1] = double.NaN;
            }
        }
    }

    [Fact]
    public void NonFiniteParametersAtTheEndOfAnEpochAlsoStopTraining()
    {
        var shape = new NetworkShape([4, 3, 2]);
        Dataset<double> data = TestData.Dataset<double>(40, 4, 2, 3);
        var network = new Network<double>(shape, 5);
        var trainer = new Trainer<double>(network, new PoisonOnStep(shape.ParameterCount, poisonStep: 5), new TrainerOptions { BatchSize = 40, Epochs = 10 });
        byte[]? afterEpoch4 = null;
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data, progress: m => afterEpoch4 = m.Epoch == 4 ? TestData.Bits<double>(network.Parameters) : afterEpoch4));
        Assert.Equal((5, 1, 4), (e.Epoch, e.Step, e.RestoredEpoch));
        Assert.Equal(afterEpoch4, TestData.Bits<double>(network.Parameters));
        Assert.Contains("parameter", e.Message, StringComparison.Ordinal);
    }

    // ---- The constructor's warm-up --------------------------------------------------------------

    /// <summary>
    /// The constructor's warm-up (one <c>Step</c> on zero inputs, its update on a scratch twin of a
    /// built-in optimiser) changes nothing the caller owns, for every optimiser, on the tiny and the
    /// general path, and above <see cref="Trainer{T}.MaxTwinParameters"/> (no twin): the parameters, the
    /// gradients (a sentinel), the optimiser's state and step count, and the trainer's step count come
    /// out as they went in, a custom optimiser is never called, and the next step is bit-identical to
    /// the same step of a trainer that never met a second one.
    /// </summary>
    [Theory]
    [InlineData("sgd", new[] { 2, 3, 2 })]
    [InlineData("momentum", new[] { 2, 3, 2 })]
    [InlineData("nesterov", new[] { 4, 2, 2 })]
    [InlineData("adam", new[] { 4, 2, 2 })]
    [InlineData("adamw-per-layer", new[] { 4, 5, 3 })]
    [InlineData("custom", new[] { 4, 5, 3 })]
    [InlineData("momentum", new[] { 20, 30, 4 })]
    [InlineData("adamw-per-layer", new[] { 20, 30, 4 })]
    [InlineData("custom", new[] { 20, 30, 4 })]
    [InlineData("adam", new[] { 512, 512, 2 })]
    public void TheWarmUpChangesNothingTheCallerOwns(string kind, int[] sizes)
    {
        var shape = new NetworkShape(sizes);
        if (sizes[1] == 512)
        {
            Assert.True(shape.ParameterCount > Trainer<double>.MaxTwinParameters);
        }

        (double[] x, int[] y) = TestData.Random<double>(16, sizes[0], sizes[^1], seed: 4);
        var first = new ReadOnlyMatrixSpan<double>(x.AsSpan(0, 8 * sizes[0]), 8, sizes[0]);
        var second = new ReadOnlyMatrixSpan<double>(x.AsSpan(8 * sizes[0]), 8, sizes[0]);
        var options = new TrainerOptions { BatchSize = 8, LearningRate = LearningRateSchedule.Constant(0.05) };

        // The reference: one trainer, two steps.
        var network = new Network<double>(shape, 3);
        Optimizer<double> optimizer = MakeOptimizer(kind, shape);
        using var reference = new Trainer<double>(network, optimizer, options);
        reference.Step(first, y.AsSpan(0, 8));

        // The same first step, then a second trainer on the same network and optimiser (with state).
        var warmed = new Network<double>(shape, 3);
        Optimizer<double> warmedOptimizer = MakeOptimizer(kind, shape);
        using (var before = new Trainer<double>(warmed, warmedOptimizer, options))
        {
            before.Step(first, y.AsSpan(0, 8));
        }

        warmed.Gradients.Fill(0.5);
        byte[] parameters = TestData.Bits<double>(warmed.Parameters);
        byte[] gradients = TestData.Bits<double>(warmed.Gradients);
        byte[] state = OptimizerState(warmedOptimizer);
        int applied = (warmedOptimizer as CountingSgd)?.Calls ?? 0;
        using var trainer = new Trainer<double>(warmed, warmedOptimizer, options);
        Assert.Equal(sizes[0] <= 16 && sizes[1] <= 16, trainer.UsesTinyPath);
        Assert.Equal(parameters, TestData.Bits<double>(warmed.Parameters));
        Assert.Equal(gradients, TestData.Bits<double>(warmed.Gradients));
        Assert.Equal(state, OptimizerState(warmedOptimizer));
        Assert.Equal(1, warmedOptimizer.StepCount);
        Assert.Equal(0, trainer.StepCount);
        Assert.Equal(applied, (warmedOptimizer as CountingSgd)?.Calls ?? 0);

        trainer.Step(second, y.AsSpan(8));
        reference.Step(second, y.AsSpan(8));
        Assert.Equal(TestData.Bits<double>(network.Parameters), TestData.Bits<double>(warmed.Parameters));
        Assert.Equal(OptimizerState(optimizer), OptimizerState(warmedOptimizer));
    }

    private static Optimizer<double> MakeOptimizer(string kind, NetworkShape shape) => kind switch
    {
        "sgd" => new SgdOptimizer<double>(shape.ParameterCount, weightDecay: 0.01),
        "momentum" => new MomentumOptimizer<double>(shape.ParameterCount, 0.9),
        "nesterov" => new MomentumOptimizer<double>(shape.ParameterCount, 0.8, nesterov: true, weightDecay: 0.01),
        "adam" => new AdamOptimizer<double>(shape.ParameterCount),
        "adamw-per-layer" => new AdamOptimizer<double>(shape, weightDecay: 0.05),
        _ => new CountingSgd(shape.ParameterCount),
    };

    /// <summary>The optimiser's whole state as bytes: step count, then velocity or both moments.</summary>
    private static byte[] OptimizerState(Optimizer<double> optimizer)
    {
        byte[] count = BitConverter.GetBytes(optimizer.StepCount);
        return optimizer switch
        {
            MomentumOptimizer<double> m => [.. count, .. TestData.Bits(m.Velocity)],
            AdamOptimizer<double> a => [.. count, .. TestData.Bits(a.FirstMoment), .. TestData.Bits(a.SecondMoment)],
            CountingSgd c => [.. count, .. BitConverter.GetBytes(c.Calls)],
            _ => count,
        };
    }

    /// <summary>A custom optimiser (plain SGD) that counts its updates: the warm-up cannot twin it and must not call it.</summary>
    private sealed class CountingSgd(int parameterCount) : Optimizer<double>(parameterCount)
    {
        public int Calls { get; private set; }

        protected override void Apply(Span<double> parameters, ReadOnlySpan<double> gradients, double learningRate, long stepNumber)
        {
            Calls++;
            Updates.SgdStep(parameters, gradients, learningRate, 0.0);
        }
    }

    // ---- Determinism ----------------------------------------------------------------------------

    [Fact]
    public void SameSeedsGiveBitIdenticalParameters()
    {
        Assert.Equal(Train<double>(5, 9), Train<double>(5, 9));
        Assert.Equal(Train<float>(5, 9), Train<float>(5, 9));

        // And the seeds matter (otherwise the equality above would be trivial).
        Assert.NotEqual(Train<double>(5, 9), Train<double>(5, 10));
        Assert.NotEqual(Train<double>(5, 9), Train<double>(6, 9));
    }

    private static byte[] Train<T>(ulong initSeed, ulong shuffleSeed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new NetworkShape([6, 9, 5, 3], HiddenActivation.Tanh);
        var network = new Network<T>(shape, initSeed);
        var trainer = new Trainer<T>(network, new AdamOptimizer<T>(shape.ParameterCount), new TrainerOptions { BatchSize = 10, Epochs = 3, Seed = shuffleSeed, LearningRate = LearningRateSchedule.Constant(0.01) });
        trainer.Fit(TestData.Dataset<T>(57, 6, 3, 4), TestData.Dataset<T>(20, 6, 3, 5));
        return TestData.Bits<T>(network.Parameters);
    }

    // ---- Zero allocation ------------------------------------------------------------------------

    public static TheoryData<string, string> TypesAndOptimizers()
    {
        var data = new TheoryData<string, string>();
        foreach (string type in new[] { "float", "double" })
        {
            foreach (string optimizer in new[] { "sgd", "sgd+decay", "momentum", "nesterov", "adam", "adamw" })
            {
                data.Add(type, optimizer);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TypesAndOptimizers))]
    public void StepsEpochsAndEvaluationAllocateNothing(string type, string optimizer)
    {
        (long steps, long contended, long epochs, long fit, long evaluate, long loss, string where) = type == "float" ? MeasureTraining<float>(optimizer) : MeasureTraining<double>(optimizer);
        output.WriteLine($"{type}/{optimizer}: 1000 steps {steps} B, 1000 steps with every core busy {contended} B, 5 epochs {epochs} B, Fit (10 epochs) {fit} B, 100 evaluations {evaluate} B, 100 losses {loss} B");
        output.WriteLine($"steps: {where}");
        Assert.Equal((0L, 0L, 0L, 0L, 0L, 0L), (steps, contended, epochs, fit, evaluate, loss));
    }

    private static (long Steps, long Contended, long Epochs, long Fit, long Evaluate, long Loss, string Where) MeasureTraining<T>(string optimizer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new NetworkShape([6, 16, 12, 4], HiddenActivation.Relu);
        var network = new Network<T>(shape, 1);
        var options = new TrainerOptions { BatchSize = 16, Seed = 3, LearningRate = LearningRateSchedule.Cosine(0.01, 0.001, 50), TargetLoss = -1 };
        var trainer = new Trainer<T>(network, TestData.Optimizer<T>(optimizer, shape.ParameterCount), options);
        Dataset<T> train = TestData.Dataset<T>(203, 6, 4, 7), validation = TestData.Dataset<T>(61, 6, 4, 8);
        (T[] x, int[] y) = TestData.Random<T>(16, 6, 4, 9);
        int[] y5 = y[..5];
        int epochs = 0;
        Action<EpochMetrics> progress = _ => epochs++;

        // One warm-up call each (Measure's warm-up), then the measured calls. A full and a partial batch.
        long steps = Allocations.MeasureSteady(() => trainer.Step(new ReadOnlyMatrixSpan<T>(x, 16, 6), y), repetitions: 1000, warmup: 1, out string where)
            + Allocations.Measure(() => trainer.Step(new ReadOnlyMatrixSpan<T>(x.AsSpan(0, 30), 5, 6), y5), repetitions: 100, warmup: 1);

        // Again with every core busy and no further warm-up: a slow path taken only when the machine
        // is loaded (a first block, a late tier-up) must not allocate either.
        long contended;
        using (new CpuLoad())
        {
            contended = Allocations.MeasureSteady(() => trainer.Step(new ReadOnlyMatrixSpan<T>(x, 16, 6), y), repetitions: 1000, warmup: 0, out string contendedWhere);
            where += "; with every core busy: " + contendedWhere;
        }

        long epochBytes = Allocations.Measure(() => trainer.RunEpoch(train, validation), repetitions: 5, warmup: 1);
        long fit = Allocations.Measure(() => trainer.Fit(train, validation, progress), repetitions: 1, warmup: 1);
        long evaluate = Allocations.Measure(() => trainer.Evaluate(validation), repetitions: 100, warmup: 1);
        long loss = Allocations.Measure(() => trainer.ComputeLoss(new ReadOnlyMatrixSpan<T>(x, 16, 6), y), repetitions: 100, warmup: 1);
        Assert.Equal(20, epochs);
        return (steps, contended, epochBytes, fit, evaluate, loss, where);
    }

    // ---- Bad input ------------------------------------------------------------------------------

    private static Trainer<double> SmallTrainer(out double[] x, out int[] y)
    {
        var shape = new NetworkShape([3, 4, 2]);
        (x, y) = TestData.Random<double>(5, 3, 2, 1);
        return new Trainer<double>(new Network<double>(shape, 1), new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 5 });
    }

    [Fact]
    public void AWrongFeatureCountThrowsNamingInputs()
    {
        Trainer<double> trainer = SmallTrainer(out double[] x, out int[] y);
        var e = Assert.Throws<ArgumentException>(() => trainer.Step(new ReadOnlyMatrixSpan<double>(x, 3, 5), y.AsSpan(0, 3)));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("Expected 3 features", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    [InlineData(int.MaxValue)]
    public void ALabelOutOfRangeThrowsNamingLabels(int label)
    {
        Trainer<double> trainer = SmallTrainer(out double[] x, out int[] y);
        y[3] = label;
        byte[] before = TestData.Bits<double>(trainer.Network.Parameters);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Step(TestData.View(x, 3), y));
        Assert.Equal("labels", e.ParamName);
        Assert.Contains("Label 3", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, TestData.Bits<double>(trainer.Network.Parameters)); // nothing was updated
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.ComputeGradients(TestData.View(x, 3), y));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.ComputeLoss(TestData.View(x, 3), y));
    }

    [Fact]
    public void LabelsOfTheWrongLengthThrowNamingLabels()
    {
        Trainer<double> trainer = SmallTrainer(out double[] x, out int[] y);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => trainer.Step(TestData.View(x, 3), y.AsSpan(0, 4))).ParamName);
    }

    [Fact]
    public void ABatchLargerThanTheWorkspaceThrowsNamingInputs()
    {
        Trainer<double> trainer = SmallTrainer(out _, out _);
        (double[] x, int[] y) = TestData.Random<double>(6, 3, 2, 1);
        var e = Assert.Throws<ArgumentException>(() => trainer.Step(TestData.View(x, 3), y));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("at most 5", e.Message, StringComparison.Ordinal);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => trainer.Step(new ReadOnlyMatrixSpan<double>([], 0, 3), [])).ParamName);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void ANonFiniteInputThrowsNamingInputsAndTheCell(double bad)
    {
        Trainer<double> trainer = SmallTrainer(out double[] x, out int[] y);
        x[(2 * 3) + 1] = bad;
        var e = Assert.Throws<ArgumentException>(() => trainer.Step(TestData.View(x, 3), y));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("row 2, feature 1", e.Message, StringComparison.Ordinal);

        // Strided views are checked row by row, and float too.
        double[] padded = new double[(5 * 4) - 1];
        padded[(4 * 4) + 2] = bad;
        Assert.Contains("row 4, feature 2", Assert.Throws<ArgumentException>(() => trainer.Step(new ReadOnlyMatrixSpan<double>(padded, 5, 3, 4), y)).Message, StringComparison.Ordinal);
        var shape = new NetworkShape([40, 2]);
        var floats = new Trainer<float>(new Network<float>(shape), new SgdOptimizer<float>(shape.ParameterCount), new TrainerOptions { BatchSize = 2 });
        float[] xf = new float[80];
        xf[77] = (float)bad;
        Assert.Contains("row 1, feature 37", Assert.Throws<ArgumentException>(() => floats.Step(new ReadOnlyMatrixSpan<float>(xf, 2, 40), [0, 1])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MismatchedDataSetsAndOptimisersThrowNamingTheArgument()
    {
        Trainer<double> trainer = SmallTrainer(out _, out _);
        Assert.Equal("training", Assert.Throws<ArgumentException>(() => trainer.RunEpoch(TestData.Dataset<double>(10, 4, 2, 1))).ParamName);
        Assert.Equal("validation", Assert.Throws<ArgumentException>(() => trainer.RunEpoch(TestData.Dataset<double>(10, 3, 2, 1), TestData.Dataset<double>(10, 3, 3, 1))).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => trainer.Evaluate(TestData.Dataset<double>(10, 3, 3, 1))).ParamName);
        var shape = new NetworkShape([3, 4, 2]);
        Assert.Equal("optimizer", Assert.Throws<ArgumentException>(() => new Trainer<double>(new Network<double>(shape), new SgdOptimizer<double>(7), new TrainerOptions())).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer<double>(new Network<double>(shape), new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 0 })).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer<double>(new Network<double>(shape), new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { TargetLoss = double.NaN })).ParamName);
    }
}
