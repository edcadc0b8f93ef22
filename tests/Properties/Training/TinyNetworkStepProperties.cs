using System.Numerics;
using System.Runtime.Intrinsics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Training;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Backprop.Properties.Training;

/// <summary>
/// The tiny-network path (<see cref="TinyNetworkStep{T}"/>) against a plain-loop double reference of
/// the whole step (written here, any depth, every activation), and against the general GEMM path,
/// at every vector width this machine accelerates (forced in process), with batch tails, strided
/// inputs and rows picked through a shuffle order; then the trainer's choice, epochs, determinism,
/// training to the same accuracy, and 0 B per step.
/// </summary>
/// <remarks>
/// Tolerance: each result is a sum of terms (a gradient <c>Σ_r x·dz / N</c>, the loss
/// <c>Σ_r log s − (z_y − max)</c>), each computed from values that carry their own rounding. The
/// reference also propagates the magnitude of every term (absolute values through the same chain:
/// <c>|x|</c> plus the absolute sum of the pre-activation under it, <c>(p + y + p·S)/N</c> for
/// <c>dZ</c>, <c>Σ|W|·M</c> backwards), so <c>M_p</c> bounds what rounding can move; a result must lie
/// within <c>K·ε_T·M_p</c> with <c>K = 16·(layers + 1)</c>. That does not grow with the inputs beyond
/// what the float rounding of the sums does; a real error (a wrong term, a missed row) is of the
/// size of the terms themselves. ReLU cases whose pre-activations come within 1e−4 of the kink are
/// regenerated (there the derivative itself is ill-defined for a rounded input).
/// </remarks>
public class TinyNetworkStepProperties(ITestOutputHelper output)
{
    private static readonly HiddenActivation[] AllActivations = [HiddenActivation.Sigmoid, HiddenActivation.Tanh, HiddenActivation.Relu];

    /// <summary>Every width this machine accelerates, and scalar code.</summary>
    private static readonly int[] Widths = [.. new[] { 512, 256, 128, 0 }.Where(b => b switch
    {
        512 => Vector512.IsHardwareAccelerated,
        256 => Vector256.IsHardwareAccelerated,
        128 => Vector128.IsHardwareAccelerated,
        _ => true,
    })];

    public sealed record TinyCase(int Seed, int Hidden, int Rows, HiddenActivation Activation, bool Shuffled)
    {
        public override string ToString() => $"seed {Seed}, {Hidden} hidden, {Rows} rows, {Activation}{(Shuffled ? ", shuffled" : string.Empty)}";
    }

    private static Arbitrary<TinyCase> Cases() =>
        (from seed in Gens.Seed
         from hidden in Gen.Choose(0, 3)
         from rows in Gen.Frequency((3, Gen.Choose(1, 70)), (1, Gen.Choose(100, 300)))
         from activation in Gen.Elements(AllActivations)
         from shuffled in Gen.Elements(false, true)
         select new TinyCase(seed, hidden, rows, activation, shuffled)).ToArbitrary();

    // ---- Against the reference, at every width ----------------------------------------------------

    [SizedProperty(MaxTest = 60)]
    public Property DoubleMatchesTheReferenceAndTheGeneralPathAtEveryWidth() => Prop.ForAll(Cases(), c => Check<double>(c));

    [SizedProperty(MaxTest = 60)]
    public Property FloatMatchesTheReferenceAndTheGeneralPathAtEveryWidth() => Prop.ForAll(Cases(), c => Check<float>(c));

    private static void Check<T>(TinyCase c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Problem<T> p = Problem<T>.Build(c);
        var expected = ReferenceStep.Run(p.Sizes, p.Activation, p.ParametersAsDouble(), p.BatchAsDouble(), p.BatchLabels());
        double eps = typeof(T) == typeof(float) ? 1.1920929e-7 : 2.220446049250313e-16; // unit roundoff ×2
        double k = 16.0 * (p.Sizes.Length);
        var step = new TinyNetworkStep<T>(p.Network.Shape);
        Assert.True(TinyNetworkStep<T>.Supports(p.Network.Shape, new TrainerOptions()), $"{c}: not supported");
        foreach (int bits in Widths)
        {
            p.Network.Gradients.Fill(T.NaN); // must overwrite, never accumulate
            T loss = step.RunAtWidth(bits, p.Network, p.Features, p.Labels, p.Order, p.Start, p.Rows, out int correct);
            string where = $"{c}, width {bits}";
            CheckAgainst(where, expected, double.CreateTruncating(loss), p.Network.Gradients, eps, k);
            Assert.True(Math.Abs(correct - expected.Correct) <= expected.NearTies, $"{where}: {correct} correct, the reference {expected.Correct} ({expected.NearTies} near-ties)");
        }

        // The general path on the same batch (gathered), judged the same way, and the two paths against each other.
        T tinyLoss = step.Run(p.Network, p.Features, p.Labels, p.Order, p.Start, p.Rows, out _);
        T[] tiny = p.Network.Gradients.ToArray();
        using var trainer = new Trainer<T>(p.Network, new SgdOptimizer<T>(p.Network.Shape.ParameterCount), new TrainerOptions { BatchSize = p.Rows }) { UsesTinyPath = false };
        p.Network.Gradients.Fill(T.NaN);
        T generalLoss = trainer.ComputeGradients(new ReadOnlyMatrixSpan<T>(p.BatchDense(), p.Rows, p.Sizes[0]), p.BatchLabels());
        CheckAgainst($"{c}, general path", expected, double.CreateTruncating(generalLoss), p.Network.Gradients, eps, k);
        double lossBound = 2 * k * eps * expected.LossMagnitude;
        Assert.True(Math.Abs(double.CreateTruncating(tinyLoss - generalLoss)) <= lossBound, $"{c}: loss tiny {tinyLoss}, general {generalLoss}, bound {lossBound:E2}");
        for (int i = 0; i < tiny.Length; i++)
        {
            double bound = 2 * k * eps * expected.Magnitudes[i];
            double diff = Math.Abs(double.CreateTruncating(tiny[i] - p.Network.Gradients[i]));
            Assert.True(diff <= bound, $"{c}: gradient {i}: tiny {tiny[i]}, general {p.Network.Gradients[i]}, bound {bound:E2}");
        }
    }

    private static void CheckAgainst<T>(string where, ReferenceStep.Result expected, double loss, ReadOnlySpan<T> gradients, double eps, double k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double lossBound = k * eps * expected.LossMagnitude;
        Assert.True(Math.Abs(loss - expected.Loss) <= lossBound, $"{where}: loss {loss:R}, reference {expected.Loss:R}, bound {lossBound:E2}");
        Assert.Equal(expected.Gradients.Length, gradients.Length);
        for (int i = 0; i < gradients.Length; i++)
        {
            double actual = double.CreateTruncating(gradients[i]);
            double bound = k * eps * expected.Magnitudes[i];
            Assert.True(Math.Abs(actual - expected.Gradients[i]) <= bound, $"{where}: gradient {i} is {actual:R}, reference {expected.Gradients[i]:R}, bound {bound:E2} (magnitude {expected.Magnitudes[i]:E2})");
        }
    }

    [Fact]
    public void AWrongGradientIsCaughtByTheTolerance()
    {
        // The judge can fail: one row dropped from the batch moves the gradients far beyond the bound.
        Problem<float> p = Problem<float>.Build(new TinyCase(7, 1, 37, HiddenActivation.Sigmoid, false));
        var expected = ReferenceStep.Run(p.Sizes, p.Activation, p.ParametersAsDouble(), p.BatchAsDouble(), p.BatchLabels());
        var step = new TinyNetworkStep<float>(p.Network.Shape);
        step.Run(p.Network, p.Features, p.Labels, p.Order, p.Start, p.Rows - 1, out _);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => CheckAgainst("dropped row", expected, expected.Loss, (ReadOnlySpan<float>)p.Network.Gradients, 1.1920929e-7, 16.0 * p.Sizes.Length));
    }

    /// <summary>Label smoothing and dropout are implemented by the general path only: a narrow network with either declines the tiny path (else the option would be silently ignored).</summary>
    [Fact]
    public void OptionsThePathDoesNotImplementDeclineIt()
    {
        var shape = new NetworkShape([2, 3, 2], HiddenActivation.Sigmoid);
        Assert.True(TinyNetworkStep<float>.Supports(shape, new TrainerOptions()));
        Assert.False(TinyNetworkStep<float>.Supports(shape, new TrainerOptions { LabelSmoothing = 0.1 }));
        Assert.False(TinyNetworkStep<float>.Supports(shape, new TrainerOptions { DropoutRate = 0.2 }));
        var network = new Network<float>(shape, 1);
        using var trainer = new Trainer<float>(network, new SgdOptimizer<float>(shape.ParameterCount), new TrainerOptions { BatchSize = 8, DegreeOfParallelism = 1, DropoutRate = 0.2 });
        Assert.False(trainer.UsesTinyPath);
    }

    // ---- The path's own exponential -----------------------------------------------------------------

    /// <summary>
    /// The path's float exponential against Math.Exp on a dense sweep over the whole range (overflow
    /// and underflow included), random values near 0 and special values, at every width: within 3 ulp
    /// where the result is a normal float, within one subnormal step where it underflows, exactly ∞ / 0
    /// beyond the range, NaN for NaN. Measured worst: 0.61 ulp (printed).
    /// </summary>
    [Fact]
    public void TheFloatExponentialIsWithinAFewUlpEverywhere()
    {
        var values = new List<float> { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon, 1f, -1f, 88.72f, 88.73f, -87.33f, -103.9f };
        var random = new Random(9);
        for (int i = 0; i < 200_000; i++)
        {
            values.Add((float)(-110 + (205.0 * i / 200_000)));
            values.Add((float)((random.NextDouble() - 0.5) * 4));
        }

        while (values.Count % 16 != 0)
        {
            values.Add(0f);
        }

        float[] x = [.. values];
        float[] y = new float[x.Length];
        foreach (int bits in Widths.Where(b => b != 0))
        {
            TinyNetworkStep<float>.ExponentialAtWidth(bits, x, y);
            double worst = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double exact = Math.Exp(x[i]);
                float rounded = (float)exact;
                if (double.IsNaN(exact) || float.IsInfinity(rounded) || exact < float.Epsilon / 2.0)
                {
                    Assert.True(float.IsNaN(rounded) ? float.IsNaN(y[i]) : y[i] == rounded, $"width {bits}: exp({x[i]:R}) = {y[i]:R}, expected {rounded:R}");
                    continue;
                }

                double error = Math.Abs(y[i] - exact);
                if (exact < Math.Pow(2, -126))
                {
                    Assert.True(error <= float.Epsilon, $"width {bits}: exp({x[i]:R}) = {y[i]:R}, exact {exact:R} (subnormal)");
                    continue;
                }

                double ulps = error / (exact * 1.1920929e-7);
                worst = Math.Max(worst, ulps);
                Assert.True(ulps <= 3, $"width {bits}: exp({x[i]:R}) = {y[i]:R}, exact {exact:R}: {ulps:F2} ulp");
            }

            output.WriteLine($"float at {bits} bits: worst {worst:F2} ulp (relative to ε·e^x) over {x.Length} values");
        }
    }

    // ---- The trainer's choice ---------------------------------------------------------------------

    [Theory]
    [InlineData(new[] { 2, 3, 2 }, true)]
    [InlineData(new[] { 4, 2, 2 }, true)]
    [InlineData(new[] { 16, 16, 16, 16 }, true)]
    [InlineData(new[] { 17, 3, 2 }, false)]
    [InlineData(new[] { 4, 17, 2 }, false)]
    [InlineData(new[] { 64, 128, 10 }, false)]
    [InlineData(new[] { 784, 256, 10 }, false)]
    public void TheTrainerTakesTheTinyPathForNarrowNetworksOnly(int[] sizes, bool tiny)
    {
        var shape = new NetworkShape(sizes);
        using var f = new Trainer<float>(new Network<float>(shape, 1), new SgdOptimizer<float>(shape.ParameterCount), new TrainerOptions { BatchSize = 500 });
        using var d = new Trainer<double>(new Network<double>(shape, 1), new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 500 });
        Assert.Equal(tiny, f.UsesTinyPath);
        Assert.Equal(tiny, d.UsesTinyPath);
        f.UsesTinyPath = true; // cannot be forced on where it is not supported
        Assert.Equal(tiny, f.UsesTinyPath);
        f.UsesTinyPath = false;
        Assert.False(f.UsesTinyPath);
    }

    [Fact]
    public void TheWorkedExampleRunsOnTheTinyPathWithTheTextbooksLoss()
    {
        Network<double> network = StairsData.InitialNetwork<double>();
        Dataset<double> train = StairsData.Dataset<double>("train.csv");
        var trainer = new Trainer<double>(network, new SgdOptimizer<double>(network.Shape.ParameterCount), new TrainerOptions { BatchSize = 400 });
        Assert.True(trainer.UsesTinyPath);
        double loss = trainer.ComputeGradients(train.Features, train.Labels);
        Assert.Equal(0.6934984699, loss, 1e-9);
    }

    [Theory]
    [InlineData(new[] { 2, 3, 2 })]
    [InlineData(new[] { 20, 30, 4 })]
    public void TheConstructorsWarmUpIsInvisible(int[] sizes)
    {
        // The warm-up pass runs in the constructor: the parameters, the gradients (a sentinel value
        // here), the optimiser's step count and the trainer's must come out exactly as they went in,
        // and the first step must equal one computed on a copy that never met a second trainer.
        var shape = new NetworkShape(sizes);
        var network = new Network<double>(shape, 3);
        var copy = new Network<double>(shape, 3);
        (double[] x, int[] y) = TestData.Random<double>(40, sizes[0], sizes[^1], seed: 8);
        var optimizer = new SgdOptimizer<double>(shape.ParameterCount);
        using (var used = new Trainer<double>(network, optimizer, new TrainerOptions { BatchSize = 40 }))
        {
            used.Step(TestData.View(x, sizes[0]), y);
        }

        network.Gradients.Fill(0.5);
        byte[] parameters = TestData.Bits<double>(network.Parameters);
        byte[] gradients = TestData.Bits<double>(network.Gradients);
        using var trainer = new Trainer<double>(network, optimizer, new TrainerOptions { BatchSize = 40, LearningRate = LearningRateSchedule.Constant(0.1) });
        Assert.Equal(parameters, TestData.Bits<double>(network.Parameters));
        Assert.Equal(gradients, TestData.Bits<double>(network.Gradients));
        Assert.Equal(0, trainer.StepCount);
        Assert.Equal(1, optimizer.StepCount);

        // SGD by hand on the copy (same parameters): p − 0.1·∇ with ∇ from the copy's own pass.
        network.Parameters.CopyTo(copy.Parameters);
        trainer.Step(TestData.View(x, sizes[0]), y);
        using var reference = new Trainer<double>(copy, new SgdOptimizer<double>(shape.ParameterCount), new TrainerOptions { BatchSize = 40 });
        reference.ComputeGradients(TestData.View(x, sizes[0]), y);
        for (int i = 0; i < shape.ParameterCount; i++)
        {
            Assert.Equal(copy.Parameters[i] - (0.1 * copy.Gradients[i]), network.Parameters[i], 1e-14); // the kernel may fuse the multiply-add
        }
    }

    // ---- Epochs: same steps as the general path, deterministic, same accuracy ----------------------

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100)]
    public void AShuffledEpochFollowsTheGeneralPath(int batch)
    {
        var shape = new NetworkShape([4, 6, 3], HiddenActivation.Tanh);
        Dataset<double> data = TestData.Dataset<double>(100, 4, 3, seed: 5);
        var options = new TrainerOptions { BatchSize = batch, Seed = 99, LearningRate = LearningRateSchedule.Constant(0.05) };
        using var tiny = new Trainer<double>(new Network<double>(shape, 8), new MomentumOptimizer<double>(shape.ParameterCount, 0.9), options);
        using var general = new Trainer<double>(new Network<double>(shape, 8), new MomentumOptimizer<double>(shape.ParameterCount, 0.9), options) { UsesTinyPath = false };
        Assert.True(tiny.UsesTinyPath);
        for (int e = 0; e < 3; e++)
        {
            EpochMetrics a = tiny.RunEpoch(data, data);
            EpochMetrics b = general.RunEpoch(data, data);
            Assert.Equal(b.TrainingLoss, a.TrainingLoss, 1e-12);
            Assert.Equal(b.TrainingAccuracy, a.TrainingAccuracy);
            Assert.Equal(b.ValidationLoss, a.ValidationLoss, 1e-12);
        }

        for (int i = 0; i < shape.ParameterCount; i++)
        {
            Assert.Equal(general.Network.Parameters[i], tiny.Network.Parameters[i], 1e-11);
        }
    }

    [Fact]
    public void EpochsAreBitIdenticalForTheSameSeedAndAnyThreadCount()
    {
        var shape = new NetworkShape([5, 8, 8, 3], HiddenActivation.Sigmoid);
        Dataset<float> data = TestData.Dataset<float>(333, 5, 3, seed: 3);
        byte[]? first = null;
        foreach (int threads in new[] { 1, 1, 2 })
        {
            var options = new TrainerOptions { BatchSize = 50, Seed = 4, DegreeOfParallelism = threads, LearningRate = LearningRateSchedule.Constant(0.1) };
            using var trainer = new Trainer<float>(new Network<float>(shape, 2), new AdamOptimizer<float>(shape.ParameterCount), options);
            Assert.True(trainer.UsesTinyPath);
            for (int e = 0; e < 3; e++)
            {
                trainer.RunEpoch(data);
            }

            byte[] bits = TestData.Bits<float>(trainer.Network.Parameters);
            first ??= bits;
            Assert.Equal(first, bits);
        }
    }

    [Theory]
    [InlineData(HiddenActivation.Sigmoid)]
    [InlineData(HiddenActivation.Tanh)]
    [InlineData(HiddenActivation.Relu)]
    public void ManyEpochsReachTheSameAccuracyAsTheGeneralPath(HiddenActivation activation)
    {
        var shape = new NetworkShape([6, 12, 8, 4], activation);
        Dataset<float> train = TestData.Dataset<float>(600, 6, 4, seed: 21);
        Dataset<float> test = TestData.Dataset<float>(400, 6, 4, seed: 22);
        var options = new TrainerOptions { BatchSize = 32, Epochs = 40, Seed = 1, LearningRate = LearningRateSchedule.Constant(0.003) };
        using var tiny = new Trainer<float>(new Network<float>(shape, 5), new AdamOptimizer<float>(shape.ParameterCount), options);
        using var general = new Trainer<float>(new Network<float>(shape, 5), new AdamOptimizer<float>(shape.ParameterCount), options) { UsesTinyPath = false };
        TrainingResult a = tiny.Fit(train);
        TrainingResult b = general.Fit(train);
        Evaluation ta = tiny.Evaluate(test), tb = general.Evaluate(test);
        output.WriteLine($"{activation}: train loss tiny {a.Last.TrainingLoss:F5} general {b.Last.TrainingLoss:F5}; test accuracy tiny {ta.Accuracy:F4} general {tb.Accuracy:F4}");
        Assert.True(ta.Accuracy > 0.7, $"tiny path did not learn: {ta.Accuracy}");
        Assert.True(Math.Abs(ta.Accuracy - tb.Accuracy) <= 0.02, $"test accuracy tiny {ta.Accuracy}, general {tb.Accuracy}");
        Assert.True(Math.Abs(a.Last.TrainingLoss - b.Last.TrainingLoss) <= 0.02 * b.Last.TrainingLoss, $"training loss tiny {a.Last.TrainingLoss}, general {b.Last.TrainingLoss}");
    }

    // ---- No allocation ----------------------------------------------------------------------------

    [Fact]
    public void StepsAndShuffledEpochsAllocateNothing()
    {
        var shape = new NetworkShape([2, 3, 2]);
        (float[] x, int[] y) = TestData.Random<float>(500, 2, 2, seed: 1);
        using var trainer = new Trainer<float>(new Network<float>(shape, 1), new SgdOptimizer<float>(shape.ParameterCount), new TrainerOptions { BatchSize = 500, LearningRate = LearningRateSchedule.Constant(1e-3) });
        Assert.True(trainer.UsesTinyPath);
        Allocations.AssertNone(() => trainer.Step(TestData.View(x, 2), y));
        var data = new Dataset<float>(x, y, 2, 2);
        using var epochs = new Trainer<float>(new Network<float>(shape, 1), new SgdOptimizer<float>(shape.ParameterCount), new TrainerOptions { BatchSize = 64, LearningRate = LearningRateSchedule.Constant(1e-3) });
        Allocations.AssertNone(() => epochs.RunEpoch(data), repetitions: 20);
    }

    // ---- The problem and the reference ------------------------------------------------------------

    /// <summary>A random narrow network (widths 1–16, 2–6 classes, weights in ±1), a data set of inputs in ±2 stored with a stride and NaN padding, and the batch to run: rows [start, start + rows) of it, or of a shuffle order.</summary>
    private sealed class Problem<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public required int[] Sizes { get; init; }

        public required HiddenActivation Activation { get; init; }

        public required Network<T> Network { get; init; }

        public required T[] Data { get; init; }

        public required int Stride { get; init; }

        public required int[] AllLabels { get; init; }

        public required int[] OrderArray { get; init; }

        public required int Start { get; init; }

        public required int Rows { get; init; }

        public required bool Shuffled { get; init; }

        public ReadOnlyMatrixSpan<T> Features => new(Data, AllLabels.Length, Sizes[0], Stride);

        public ReadOnlySpan<int> Labels => AllLabels;

        public ReadOnlySpan<int> Order => Shuffled ? OrderArray : default;

        public static Problem<T> Build(TinyCase c)
        {
            for (int attempt = 0; ; attempt++)
            {
                var random = new Random(c.Seed + attempt);
                int[] sizes = new int[c.Hidden + 2];
                sizes[0] = random.Next(1, 17);
                for (int l = 1; l <= c.Hidden; l++)
                {
                    sizes[l] = random.Next(1, 17);
                }

                sizes[^1] = random.Next(2, 7);
                var network = new Network<T>(new NetworkShape(sizes, c.Activation));
                foreach (ref T w in network.Parameters)
                {
                    w = T.CreateTruncating((random.NextDouble() * 2) - 1);
                }

                int extra = random.Next(0, 3);
                int total = c.Rows + random.Next(0, 20);
                int stride = sizes[0] + random.Next(0, 4);
                var data = new T[(total * stride) + extra];
                Array.Fill(data, T.NaN); // padding between rows must never be read
                for (int r = 0; r < total; r++)
                {
                    for (int i = 0; i < sizes[0]; i++)
                    {
                        data[(r * stride) + i] = T.CreateTruncating((random.NextDouble() * 4) - 2);
                    }
                }

                int[] labels = [.. Enumerable.Range(0, total).Select(_ => random.Next(sizes[^1]))];
                int[] order = [.. Enumerable.Range(0, total).OrderBy(_ => random.Next())];
                var p = new Problem<T>
                {
                    Sizes = sizes,
                    Activation = c.Activation,
                    Network = network,
                    Data = data,
                    Stride = stride,
                    AllLabels = labels,
                    OrderArray = order,
                    Start = random.Next(0, total - c.Rows + 1),
                    Rows = c.Rows,
                    Shuffled = c.Shuffled,
                };
                if (c.Activation != HiddenActivation.Relu || !ReferenceStep.NearKink(sizes, p.ParametersAsDouble(), p.BatchAsDouble(), 1e-4))
                {
                    return p;
                }
            }
        }

        public int RowIndex(int r) => Shuffled ? OrderArray[Start + r] : Start + r;

        public double[] ParametersAsDouble() => [.. Network.Parameters.ToArray().Select(double.CreateTruncating)];

        public T[] BatchDense()
        {
            var x = new T[Rows * Sizes[0]];
            for (int r = 0; r < Rows; r++)
            {
                Data.AsSpan(RowIndex(r) * Stride, Sizes[0]).CopyTo(x.AsSpan(r * Sizes[0]));
            }

            return x;
        }

        public double[,] BatchAsDouble()
        {
            T[] dense = BatchDense();
            var x = new double[Rows, Sizes[0]];
            for (int r = 0; r < Rows; r++)
            {
                for (int i = 0; i < Sizes[0]; i++)
                {
                    x[r, i] = double.CreateTruncating(dense[(r * Sizes[0]) + i]);
                }
            }

            return x;
        }

        public int[] BatchLabels() => [.. Enumerable.Range(0, Rows).Select(r => AllLabels[RowIndex(r)])];
    }

    /// <summary>
    /// One step in plain double loops straight from the derivation (per layer <c>Z = X·W + b</c>,
    /// <c>A = f(Z)</c>; softmax; <c>dZ = (Ŷ − Y)/N</c>; <c>dW = Xᵀ·dZ</c>, <c>db = Σ dZ</c>,
    /// <c>dA = dZ·Wᵀ</c>, <c>dZ = dA ⊙ f′</c>), in the library's parameter layout, with the magnitude of
    /// every result's terms carried beside it (see the class remarks). Calls nothing in the library.
    /// </summary>
    private static class ReferenceStep
    {
        public sealed record Result(double Loss, double LossMagnitude, double[] Gradients, double[] Magnitudes, int Correct, int NearTies);

        private static double F(HiddenActivation f, double z) => f switch
        {
            HiddenActivation.Sigmoid => 1 / (1 + Math.Exp(-z)),
            HiddenActivation.Tanh => Math.Tanh(z),
            _ => z > 0 ? z : 0,
        };

        private static double Derivative(HiddenActivation f, double a) => f switch
        {
            HiddenActivation.Sigmoid => a * (1 - a),
            HiddenActivation.Tanh => 1 - (a * a),
            _ => a > 0 ? 1 : 0,
        };

        private static int Offset(int[] sizes, int layer)
        {
            int offset = 0;
            for (int l = 0; l < layer; l++)
            {
                offset += (sizes[l] + 1) * sizes[l + 1];
            }

            return offset;
        }

        /// <summary>Whether any hidden pre-activation lies within <paramref name="margin"/> of 0 (a ReLU kink).</summary>
        public static bool NearKink(int[] sizes, double[] parameters, double[,] x, double margin)
        {
            (double[][,] a, _, double[][,] z) = Forward(sizes, HiddenActivation.Relu, parameters, x);
            _ = a;
            for (int l = 0; l < z.Length - 1; l++)
            {
                foreach (double v in z[l])
                {
                    if (Math.Abs(v) < margin)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>Layer inputs (a[0] = x), the absolute sums S of each layer's pre-activation, and the pre-activations.</summary>
        private static (double[][,] A, double[][,] S, double[][,] Z) Forward(int[] sizes, HiddenActivation f, double[] parameters, double[,] x)
        {
            int n = x.GetLength(0), layers = sizes.Length - 1;
            var a = new double[layers + 1][,];
            var s = new double[layers][,];
            var zs = new double[layers][,];
            a[0] = x;
            for (int l = 0; l < layers; l++)
            {
                int fanIn = sizes[l], fanOut = sizes[l + 1], offset = Offset(sizes, l);
                var z = new double[n, fanOut];
                var abs = new double[n, fanOut];
                var next = new double[n, fanOut];
                for (int r = 0; r < n; r++)
                {
                    for (int j = 0; j < fanOut; j++)
                    {
                        double bias = parameters[offset + j], sum = bias, m = Math.Abs(bias);
                        for (int i = 0; i < fanIn; i++)
                        {
                            double w = parameters[offset + fanOut + (i * fanOut) + j];
                            sum += a[l][r, i] * w;
                            m += Math.Abs(a[l][r, i] * w);
                        }

                        z[r, j] = sum;
                        abs[r, j] = m;
                        next[r, j] = l < layers - 1 ? F(f, sum) : sum;
                    }
                }

                a[l + 1] = next;
                s[l] = abs;
                zs[l] = z;
            }

            return (a, s, zs);
        }

        public static Result Run(int[] sizes, HiddenActivation f, double[] parameters, double[,] x, int[] y)
        {
            int n = x.GetLength(0), layers = sizes.Length - 1, classes = sizes[^1];
            (double[][,] a, double[][,] s, _) = Forward(sizes, f, parameters, x);
            double[,] logits = a[layers];
            var dz = new double[n, classes];
            var dm = new double[n, classes];
            double loss = 0, lossMagnitude = 0;
            int correct = 0, nearTies = 0;
            for (int r = 0; r < n; r++)
            {
                double max = double.NegativeInfinity, second = double.NegativeInfinity, maxS = 0;
                int arg = 0;
                for (int k = 0; k < classes; k++)
                {
                    double v = logits[r, k];
                    if (v > max)
                    {
                        second = max;
                        max = v;
                        arg = k;
                    }
                    else if (v > second)
                    {
                        second = v;
                    }

                    maxS = Math.Max(maxS, s[layers - 1][r, k]);
                }

                correct += arg == y[r] ? 1 : 0;
                nearTies += max - second < 1e-4 * (1 + maxS) ? 1 : 0;
                double sum = 0;
                for (int k = 0; k < classes; k++)
                {
                    sum += Math.Exp(logits[r, k] - max);
                }

                double term = Math.Log(sum) - (logits[r, y[r]] - max);
                loss += term;
                lossMagnitude += Math.Abs(Math.Log(sum)) + Math.Abs(logits[r, y[r]] - max) + (2 * maxS) + 1;
                for (int k = 0; k < classes; k++)
                {
                    double prob = Math.Exp(logits[r, k] - max) / sum;
                    double one = y[r] == k ? 1 : 0;
                    dz[r, k] = (prob - one) / n;
                    dm[r, k] = (prob + one + (2 * prob * maxS)) / n;
                }
            }

            var gradients = new double[parameters.Length];
            var magnitudes = new double[parameters.Length];
            for (int l = layers - 1; l >= 0; l--)
            {
                int fanIn = sizes[l], fanOut = sizes[l + 1], offset = Offset(sizes, l);
                for (int j = 0; j < fanOut; j++)
                {
                    double g = 0, m = 0;
                    for (int r = 0; r < n; r++)
                    {
                        g += dz[r, j];
                        m += dm[r, j];
                    }

                    gradients[offset + j] = g;
                    magnitudes[offset + j] = m;
                    for (int i = 0; i < fanIn; i++)
                    {
                        g = 0;
                        m = 0;
                        for (int r = 0; r < n; r++)
                        {
                            double xi = a[l][r, i];
                            double xm = Math.Abs(xi) + (l > 0 ? s[l - 1][r, i] : 0);
                            g += xi * dz[r, j];
                            m += xm * dm[r, j];
                        }

                        gradients[offset + fanOut + (i * fanOut) + j] = g;
                        magnitudes[offset + fanOut + (i * fanOut) + j] = m;
                    }
                }

                if (l == 0)
                {
                    break;
                }

                var da = new double[n, fanIn];
                var dam = new double[n, fanIn];
                for (int r = 0; r < n; r++)
                {
                    for (int i = 0; i < fanIn; i++)
                    {
                        double g = 0, m = 0;
                        for (int j = 0; j < fanOut; j++)
                        {
                            double w = parameters[offset + fanOut + (i * fanOut) + j];
                            g += dz[r, j] * w;
                            m += dm[r, j] * Math.Abs(w);
                        }

                        da[r, i] = g * Derivative(f, a[l][r, i]);
                        dam[r, i] = m * (1 + s[l - 1][r, i]);
                    }
                }

                dz = da;
                dm = dam;
            }

            return new Result(loss / n, lossMagnitude / n, gradients, magnitudes, correct, nearTies);
        }
    }
}
