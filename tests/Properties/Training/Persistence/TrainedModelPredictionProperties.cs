using System.Numerics;
using System.Runtime.InteropServices;
using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;
using Xunit.Abstractions;

namespace Backprop.Properties.Training.Persistence;

/// <summary><see cref="TrainedModel{T}"/> as the object applications predict with.</summary>
public class TrainedModelPredictionProperties(ITestOutputHelper output)
{
    /// <summary>Raw rows: feature i is offset + spread × U(−2, 2), with offsets and spreads that differ per feature.</summary>
    internal static T[] RawRows<T>(int rows, int features, double offset, double spread, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var x = new T[rows * features];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < features; i++)
            {
                double o = offset * (1 + (i % 3)) * (i % 2 == 0 ? 1 : -1);
                double s = spread * (1 + (i % 4));
                x[(r * features) + i] = T.CreateTruncating(o + (s * ((random.NextDouble() * 4) - 2)));
            }
        }

        return x;
    }

    public static TheoryData<HiddenActivation, ScalingKind, double, double> Scalings()
    {
        var data = new TheoryData<HiddenActivation, ScalingKind, double, double>();
        foreach (HiddenActivation f in Enum.GetValues<HiddenActivation>())
        {
            data.Add(f, ScalingKind.Standardize, 0, 1);           // offsets folded (|o·s| small)
            data.Add(f, ScalingKind.Standardize, 1e6, 3);         // offsets far from the spread: subtracted per call
            data.Add(f, ScalingKind.MinMax, 5, 2);                // min-max with moderate offsets
            data.Add(f, ScalingKind.MinMax, -3e4, 1e-2);          // large negative offsets, tiny spread
        }

        return data;
    }

    /// <summary>
    /// Predicting raw rows equals scaling them (ScaleInputs) then predicting with the network, within a
    /// bound computed for each row and output from the scaled features (not the raw ones), propagated
    /// through the layers; and the caller's rows are not modified.
    /// </summary>
    [Theory]
    [MemberData(nameof(Scalings))]
    public void PredictingRawRowsEqualsScalingThenPredicting(HiddenActivation activation, ScalingKind kind, double offset, double spread)
    {
        EqualsScalingThenPredicting<float>(activation, kind, offset, spread);
        EqualsScalingThenPredicting<double>(activation, kind, offset, spread);
    }

    /// <summary>
    /// The same with hidden layers wide enough for the packed GEMM at every width (at least two tiles
    /// of columns), so each call of 300 rows runs whole tiles of rows on the GEMM and the rest on
    /// GemmFewRows, a single row GemmFewRows only. For both shapes every call size from 1 to 40 rows
    /// (both sides of the crossover, every partial tile, the small network's chain) stays within the bound too.
    /// </summary>
    [Theory]
    [InlineData(HiddenActivation.Relu, ScalingKind.Standardize, 0, 1)]
    [InlineData(HiddenActivation.Sigmoid, ScalingKind.Standardize, 1e6, 3)]
    [InlineData(HiddenActivation.Tanh, ScalingKind.MinMax, 5, 2)]
    public void WideLayersEqualScalingThenPredictingOnBothSidesOfTheCrossover(HiddenActivation activation, ScalingKind kind, double offset, double spread)
    {
        EqualsScalingThenPredicting<float>(activation, kind, offset, spread, [70, 66]);
        EqualsScalingThenPredicting<double>(activation, kind, offset, spread, [70, 66]);
    }

    private void EqualsScalingThenPredicting<T>(HiddenActivation activation, ScalingKind kind, double offset, double spread, int[]? hidden = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int Rows = 300, Features = 23, Classes = 5;
        hidden ??= [17, 11];
        var shape = new NetworkShape([Features, .. hidden, Classes], activation);
        var network = new Network<T>(shape, seed: 5);
        for (int i = 0; i < shape.LayerCount; i++)
        {
            Span<T> bias = network.Layer(i).Bias;
            for (int j = 0; j < bias.Length; j++)
            {
                bias[j] = T.CreateTruncating(0.1 * ((j % 5) - 2));
            }
        }

        T[] raw = RawRows<T>(Rows, Features, offset, spread, seed: 11);
        byte[] rawBits = TestData.Bits<T>(raw);
        var scaling = FeatureScaling.Fit(TestData.View(raw, Features), kind);
        var model = new TrainedModel<T>(network, scaling);

        T[] scaled = (T[])raw.Clone();
        model.ScaleInputs(new MatrixSpan<T>(scaled, Rows, Features));
        T[] expected = new T[Rows * Classes];
        network.PredictProbabilities(TestData.View(scaled, Features), new MatrixSpan<T>(expected, Rows, Classes), new Workspace<T>(shape, 64, forTraining: false));

        T[] actual = new T[Rows * Classes];
        model.PredictProbabilities(TestData.View(raw, Features), new MatrixSpan<T>(actual, Rows, Classes));
        Assert.Equal(rawBits, TestData.Bits<T>(raw));

        T[] one = new T[Classes];
        double worst = 0;
        for (int r = 0; r < Rows; r++)
        {
            double[] bound = Bound(network, scaled.AsSpan(r * Features, Features), Math.ScaleB(1.0, typeof(T) == typeof(float) ? -24 : -53));
            Prediction p = model.Predict(raw.AsSpan(r * Features, Features), one);
            Assert.Equal(rawBits, TestData.Bits<T>(raw));
            for (int k = 0; k < Classes; k++)
            {
                double e = double.CreateTruncating(expected[(r * Classes) + k]);
                double a = double.CreateTruncating(actual[(r * Classes) + k]);
                worst = Math.Max(worst, Math.Abs(a - e) / bound[k]);
                Assert.True(Math.Abs(a - e) <= bound[k], $"{typeof(T).Name} row {r} class {k}: {a} vs {e}, bound {bound[k]:E2}");

                // One row takes the latency path (GemmFewRows only): the same bound holds.
                double o = double.CreateTruncating(one[k]);
                worst = Math.Max(worst, Math.Abs(o - e) / bound[k]);
                Assert.True(Math.Abs(o - e) <= bound[k], $"{typeof(T).Name} row {r} class {k}, alone: {o} vs {e}, bound {bound[k]:E2}");
            }

            int best = Enumerable.Range(0, Classes).MaxBy(k => (double.CreateTruncating(one[k]), -k));
            Assert.Equal(double.CreateTruncating(one[p.ClassIndex]), p.Probability);
            Assert.True(double.CreateTruncating(one[best]) == p.Probability, $"row {r}: predicted {p.ClassIndex}, most probable {best}");
            Assert.Same(model.ClassNames[p.ClassIndex], p.ClassName);
            Prediction q = model.Predict(raw.AsSpan(r * Features, Features));
            Assert.Equal(p.ClassIndex, q.ClassIndex);
            Assert.Equal(p.Probability, q.Probability, 1e-5);
        }

        if (hidden[0] >= 64)
        {
            // Both kernels ran: the GEMM on the big calls' whole tiles, GemmFewRows on single rows.
            Assert.True(model.Inference.GemmRows(0, 128) > 0 && model.Inference.GemmRows(1, 44) > 0, "the wide layers never take the GEMM");
            Assert.Equal(0, model.Inference.GemmRows(0, 1));
        }
        else
        {
            // At 256 and 512 bits a network this small runs whole vectors of rows as one chain.
            Assert.Equal(KernelSimd.VectorBits >= 256, model.Inference.ChainRows(128) > 0);
        }

        {
            T[] some = new T[40 * Classes];
            for (int rows = 1; rows <= 40; rows++)
            {
                model.PredictProbabilities(new ReadOnlyMatrixSpan<T>(raw, rows, Features), new MatrixSpan<T>(some, rows, Classes));
                for (int r = 0; r < rows; r++)
                {
                    double[] bound = Bound(network, scaled.AsSpan(r * Features, Features), Math.ScaleB(1.0, typeof(T) == typeof(float) ? -24 : -53));
                    for (int k = 0; k < Classes; k++)
                    {
                        double e = double.CreateTruncating(expected[(r * Classes) + k]);
                        double a = double.CreateTruncating(some[(r * Classes) + k]);
                        worst = Math.Max(worst, Math.Abs(a - e) / bound[k]);
                        Assert.True(Math.Abs(a - e) <= bound[k], $"{typeof(T).Name} call of {rows} rows, row {r} class {k}: {a} vs {e}, bound {bound[k]:E2}");
                    }
                }
            }
        }

        int[] classes = new int[Rows];
        model.PredictClasses(TestData.View(raw, Features), classes);
        int[] single = new int[1];
        for (int r = 0; r < Rows; r++)
        {
            // Within one path the classes are the arg-max of that path's probabilities.
            T top = actual.AsSpan(r * Classes, Classes).ToArray().Max();
            Assert.Equal(top, actual[(r * Classes) + classes[r]]);
            model.PredictClasses(new ReadOnlyMatrixSpan<T>(raw.AsSpan(r * Features, Features), 1, Features), single);
            Assert.Equal(model.Predict(raw.AsSpan(r * Features, Features)).ClassIndex, single[0]);
        }

        output.WriteLine($"{typeof(T).Name} {activation} {kind} offset {offset} spread {spread}: largest difference {worst:P1} of its bound; offsets subtracted per call: {model.Inference.RemainingOffsets.Length > 0}");
    }

    /// <summary>
    /// The largest difference two correct computations of one row's probabilities may show, u the unit
    /// round-off: at the first layer 2(n + 4)·u·(|b| + Σ (|x′| + 2)·|W|) with x′ the scaled features
    /// (the folded offsets are at most 1 in scaled units, and the bias absorbs one more Σ|W|); each
    /// later layer carries the error of its inputs through |W| (activations are 1-Lipschitz) and adds
    /// its own 2(n + 4)·u·(|b| + Σ|a|·|W|) and 16·u·(1 + |a|) for the activation's own rounding; the
    /// softmax turns a logit error e into at most 2e per probability, plus 16·u of its own.
    /// </summary>
    private static double[] Bound<T>(Network<T> network, ReadOnlySpan<T> scaled, double u)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkShape shape = network.Shape;
        double[] a = new double[scaled.Length];
        double[] e = new double[scaled.Length];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = Math.Abs(double.CreateTruncating(scaled[i]));
        }

        for (int l = 0; l < shape.LayerCount; l++)
        {
            LayerView<T> layer = network.Layer(l);
            double gamma = 2 * (layer.FanIn + 4) * u;
            double[] z = new double[layer.FanOut];
            double[] next = new double[layer.FanOut];
            double[] nextE = new double[layer.FanOut];
            for (int j = 0; j < layer.FanOut; j++)
            {
                double exact = double.CreateTruncating(layer.Bias[j]);
                double magnitude = Math.Abs(exact);
                double carried = 0;
                for (int i = 0; i < layer.FanIn; i++)
                {
                    double w = double.CreateTruncating(layer.Weights[i, j]);
                    exact += a[i] * w;
                    magnitude += (a[i] + (l == 0 ? 2 : 0)) * Math.Abs(w);
                    carried += e[i] * Math.Abs(w);
                }

                z[j] = exact;
                nextE[j] = carried + (gamma * magnitude);
            }

            if (l < shape.LayerCount - 1)
            {
                for (int j = 0; j < z.Length; j++)
                {
                    // |A| from |Z|: the magnitude of each activation's output is at most max(|z|, 1) for every activation here.
                    next[j] = Math.Max(Math.Abs(z[j]), 1) + nextE[j];
                    nextE[j] += 16 * u * (1 + next[j]);
                }

                a = next;
                e = nextE;
            }
            else
            {
                double largest = nextE.Max();
                return [.. Enumerable.Repeat((2 * largest) + (16 * u), shape.Outputs)];
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    [Fact]
    public void BadInputThrowsNamingTheArgumentAndLeavesTheRowAlone()
    {
        var shape = new NetworkShape([4, 6, 3], HiddenActivation.Tanh);
        var model = new TrainedModel<float>(new Network<float>(shape, 1), new FeatureScaling(ScalingKind.Standardize, [1e38, 0, 0, 0], [1, 1, 1, 1]));
        Assert.Equal("rawRow", Assert.Throws<ArgumentException>(() => model.Predict(new float[5])).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => model.Predict(new float[4], new float[2])).ParamName);
        float[] row = [1, 2, float.NaN, 4];
        ArgumentException e = Assert.Throws<ArgumentException>(() => model.Predict(row));
        Assert.Equal("rawRow", e.ParamName);
        Assert.Contains("feature", e.Message, StringComparison.Ordinal);

        // −3e38 − 1e38 is finite in double but not in float: named, not a silent ∞.
        float[] far = [-3e38f, 0, 0, 0];
        e = Assert.Throws<ArgumentException>(() => model.Predict(far));
        Assert.Equal("rawRow", e.ParamName);
        Assert.Equal(-3e38f, far[0]);

        float[] rows = new float[3 * 4];
        Assert.Equal("classes", Assert.Throws<ArgumentException>(() => model.PredictClasses(new ReadOnlyMatrixSpan<float>(rows, 3, 4), new int[2])).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => model.PredictProbabilities(new ReadOnlyMatrixSpan<float>(rows, 3, 4), new MatrixSpan<float>(new float[9], 3, 3).SliceRows(0, 2))).ParamName);
        Assert.Equal("rawRows", Assert.Throws<ArgumentException>(() => model.PredictClasses(new ReadOnlyMatrixSpan<float>(rows, 4, 3), new int[4])).ParamName);
    }

    /// <summary>
    /// A feature the scaling takes beyond the range of T, in rows the chain takes (whole vectors of
    /// rows of a small network at 512 bits, the offsets subtracted inside its pass) or in the rows
    /// after them, throws the exception of the separate shift: naming the argument, the row and the
    /// feature; the rows are not modified. A NaN or ±∞ feature, found by that pass (this model shifts
    /// every feature per call, so no separate check runs), throws the separate check's exception
    /// (naming the row and feature). A destination overlapping the rows is refused.
    /// </summary>
    [Fact]
    public void ChainRowsBeyondTheRangeThrowNamingTheRowAndFeature()
    {
        var shape = new NetworkShape([20, 32, 5], HiddenActivation.Relu);
        double[] offsets = [.. Enumerable.Range(0, 20).Select(i => i == 7 ? 1e38 : 3.0)];
        var model = new TrainedModel<float>(new Network<float>(shape, 1), new FeatureScaling(ScalingKind.Standardize, offsets, [.. Enumerable.Repeat(1.0, 20)]));
        float[] p = new float[300 * 5];
        foreach (int row in new[] { 0, 40, 255, 299 })
        {
            float[] raw = RawRows<float>(300, 20, 0, 1, row);
            raw[(row * 20) + 7] = -3e38f;
            byte[] bits = TestData.Bits<float>(raw);
            ArgumentException e = Assert.Throws<ArgumentException>(() => model.PredictProbabilities(TestData.View(raw, 20), new MatrixSpan<float>(p, 300, 5)));
            Assert.Equal("rawRows", e.ParamName);
            Assert.Contains($"Row {row}, feature 7", e.Message, StringComparison.Ordinal);
            e = Assert.Throws<ArgumentException>(() => model.PredictClasses(TestData.View(raw, 20), new int[300]));
            Assert.Contains($"Row {row}, feature 7", e.Message, StringComparison.Ordinal);
            Assert.Equal(bits, TestData.Bits<float>(raw));

            raw[(row * 20) + 7] = float.NaN;
            e = Assert.Throws<ArgumentException>(() => model.PredictProbabilities(TestData.View(raw, 20), new MatrixSpan<float>(p, 300, 5)));
            Assert.Equal("rawRows", e.ParamName);
            Assert.Contains($"row {row}, feature 7 is NaN", e.Message, StringComparison.Ordinal);
            raw[(row * 20) + 7] = float.NegativeInfinity;
            e = Assert.Throws<ArgumentException>(() => model.Predict(raw.AsSpan(row * 20, 20)));
            Assert.Equal("rawRow", e.ParamName);
            Assert.Contains("row 0, feature 7 is ", e.Message, StringComparison.Ordinal);
        }

        float[] shared = new float[64 * 20];
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => model.PredictProbabilities(TestData.View(shared, 20), new MatrixSpan<float>(shared, 64, 5))).ParamName);
    }

    [Fact]
    public void PredictionAllocatesNothingOnOneThread()
    {
        var shape = new NetworkShape([20, 32, 5], HiddenActivation.Relu);
        float[] raw = RawRows<float>(300, 20, 1e5, 2, 3);
        var model = new TrainedModel<float>(new Network<float>(shape, 2), FeatureScaling.Fit(TestData.View(raw, 20), ScalingKind.Standardize));
        float[] p = new float[300 * 5];
        int[] c = new int[300];
        Allocations.AssertNone(() => model.Predict(raw.AsSpan(0, 20)), 1000);
        Allocations.AssertNone(() => model.Predict(raw.AsSpan(20, 20), p.AsSpan(0, 5)), 1000);
        Allocations.AssertNone(() => model.PredictProbabilities(TestData.View(raw, 20), new MatrixSpan<float>(p, 300, 5)), 100);
        Allocations.AssertNone(() => model.PredictClasses(TestData.View(raw, 20), c), 100);

        // Layers wide enough for the packed GEMM (whole tiles of rows there, the rest on GemmFewRows).
        var wide = new TrainedModel<float>(new Network<float>(new NetworkShape([20, 70, 66, 5], HiddenActivation.Relu), 2), FeatureScaling.Fit(TestData.View(raw, 20), ScalingKind.Standardize));
        Assert.True(wide.Inference.GemmRows(0, 128) > 0);
        Allocations.AssertNone(() => wide.Predict(raw.AsSpan(0, 20)), 1000);
        Allocations.AssertNone(() => wide.PredictProbabilities(TestData.View(raw, 20), new MatrixSpan<float>(p, 300, 5)), 100);
        Allocations.AssertNone(() => wide.PredictProbabilities(new ReadOnlyMatrixSpan<float>(raw, 37, 20), new MatrixSpan<float>(p, 37, 5)), 100);
    }
}

/// <summary>The shared model under many threads: measured alone, as the other whole-process allocation tests.</summary>
[Collection(nameof(ProcessAllocations))]
public class TrainedModelConcurrencyProperties(ITestOutputHelper output)
{
    /// <summary>
    /// 8 threads share one model (2 cores here, so they are preempted mid-call) and make 10⁵ one-row
    /// predictions each, plus batch predictions of 1 to 40 rows (both paths), over their own rows; every result
    /// equals bit for bit the one computed serially before, and after warm-up no thread allocates a byte.
    /// </summary>
    [Fact]
    public void EightThreadsSharingOneModelMatchSerialBitForBitAndAllocateNothing()
    {
        const int Threads = 8, Calls = 100_000, Warmup = 2_000, Features = 20, Classes = 5, RowsPerThread = 96;
        var shape = new NetworkShape([Features, 70, Classes], HiddenActivation.Tanh); // 70: wide enough for the packed GEMM at every width
        float[] all = TrainedModelPredictionProperties.RawRows<float>(Threads * RowsPerThread, Features, 1e4, 3, 7);
        var model = new TrainedModel<float>(new Network<float>(shape, 4), FeatureScaling.Fit(TestData.View(all, Features), ScalingKind.Standardize));

        // Serial results first: one row at a time (the latency path).
        var expected = new float[all.Length / Features * Classes];
        for (int r = 0; r < all.Length / Features; r++)
        {
            model.Predict(all.AsSpan(r * Features, Features), expected.AsSpan(r * Classes, Classes));
        }

        byte[] expectedBits = TestData.Bits<float>(expected);

        // The batch calls' serial results, for every (rows, first row) a thread uses: a row's last
        // bits may depend on how many rows share its pass (the kernels' blocking), never on timing.
        var batchBits = new Dictionary<(int Rows, int At), byte[]>();
        for (int t = 0; t < Threads; t++)
        {
            for (int i = 0; i < Calls; i += 16)
            {
                int rows = 1 + (i / 16 % 40);
                int at = (t * RowsPerThread) + (i % (RowsPerThread - rows));
                if (!batchBits.ContainsKey((rows, at)))
                {
                    float[] q = new float[rows * Classes];
                    model.PredictProbabilities(new ReadOnlyMatrixSpan<float>(all.AsSpan(at * Features, rows * Features), rows, Features), new MatrixSpan<float>(q, rows, Classes));
                    batchBits[(rows, at)] = TestData.Bits<float>(q);
                }
            }
        }

        long[] allocated = new long[Threads];
        int[] mismatches = new int[Threads];
        Exception?[] errors = new Exception?[Threads];
        long process0 = 0;
        using var start = new Barrier(Threads, _ => process0 = GC.GetTotalAllocatedBytes(precise: true));
        using var measuring = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                float[] p = new float[40 * Classes];
                int first = t * RowsPerThread;
                bool Call(int i)
                {
                    int row = first + (i % RowsPerThread);
                    ReadOnlySpan<float> x = all.AsSpan(row * Features, Features);
                    Span<float> one = p.AsSpan(0, Classes);
                    Prediction prediction = model.Predict(x, one);
                    bool same = MemoryMarshal.AsBytes(one).SequenceEqual(expectedBits.AsSpan(row * Classes * sizeof(float), Classes * sizeof(float)))
                        && prediction.Probability == one[prediction.ClassIndex];
                    if (i % 16 == 0)
                    {
                        int rows = 1 + (i / 16 % 40);
                        int at = first + (i % (RowsPerThread - rows));
                        var batch = new MatrixSpan<float>(p.AsSpan(0, rows * Classes), rows, Classes);
                        model.PredictProbabilities(new ReadOnlyMatrixSpan<float>(all.AsSpan(at * Features, rows * Features), rows, Features), batch);
                        same &= MemoryMarshal.AsBytes(batch.Span).SequenceEqual(batchBits[(rows, at)]);
                    }

                    return same;
                }

                // Warm-up: Warmup calls and at least 1.5 s, so tiered compilation has promoted what the calls run.
                start.SignalAndWait();
                long began = System.Diagnostics.Stopwatch.GetTimestamp();
                for (int i = 0; i < Warmup || System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalMilliseconds < 1500; i++)
                {
                    mismatches[t] += Call(i % Calls) ? 0 : 1;
                }

                measuring.SignalAndWait();
                allocated[t] = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < Calls; i++)
                {
                    mismatches[t] += Call(i) ? 0 : 1;
                }

                allocated[t] = GC.GetAllocatedBytesForCurrentThread() - allocated[t];
            }
            catch (Exception e)
            {
                errors[t] = e;
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        long process = GC.GetTotalAllocatedBytes(precise: true) - process0;

        output.WriteLine($"bytes per thread over {Calls} calls after warm-up: {string.Join(", ", allocated)}; mismatches {string.Join(", ", mismatches)}; workspaces created {model.Inference.Pool.Created}; process-wide over the whole run (warm-up and test host included) {process:N0} B");
        Assert.All(errors, e => Assert.Null(e));
        Assert.All(mismatches, m => Assert.Equal(0, m));
        Assert.All(allocated, a => Assert.Equal(0, a));
        Assert.InRange(model.Inference.Pool.Created, 1, Threads);
        Assert.Equal(model.Inference.Pool.Created, model.Inference.Pool.Idle);
    }
}
