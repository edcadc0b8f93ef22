using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Training;
using Xunit.Abstractions;

namespace Backprop.Properties.Training;

public class PredictorProperties(ITestOutputHelper output)
{
    private static Network<T> Trained<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new NetworkShape([7, 12, 9, 4], HiddenActivation.Tanh);
        return new Network<T>(shape, 17);
    }

    /// <summary>
    /// 8 threads predict at once through one predictor (chunks of 16 rows over 37-row inputs, so
    /// every call rents once and runs three passes), each on its own inputs, and compare every result
    /// bit for bit with a serial prediction made before (itself within rounding of the network's batch
    /// path). After warm-up, the measured calls of every thread allocate 0 bytes.
    /// </summary>
    [Fact]
    public void ConcurrentPooledPredictionsMatchSerialBitForBitAndAllocateNothing() => Concurrent<float>();

    [Fact]
    public void ConcurrentPooledPredictionsMatchSerialInDoubleToo() => Concurrent<double>();

    private void Concurrent<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int Threads = 8, Rows = 37, Features = 7, Classes = 4, Warmup = 20, Measured = 300;
        Network<T> network = Trained<T>();
        var predictor = new Predictor<T>(network, maxBatchSize: 16, maximumRetained: Threads);
        var inputs = new T[Threads][];
        var expectedProbabilities = new byte[Threads][];
        var expectedClasses = new int[Threads][];
        var serial = new Workspace<T>(network.Shape, 16, forTraining: false);
        for (int t = 0; t < Threads; t++)
        {
            inputs[t] = TestData.Random<T>(Rows, Features, Classes, 100 + t).Features;
            // Serial results of the predictor itself (the inference kernels), which must also agree
            // with the network's batch path within rounding.
            var p = new T[Rows * Classes];
            predictor.PredictProbabilities(new ReadOnlyMatrixSpan<T>(inputs[t], Rows, Features), new MatrixSpan<T>(p, Rows, Classes));
            expectedProbabilities[t] = TestData.Bits<T>(p);
            expectedClasses[t] = new int[Rows];
            predictor.PredictClasses(new ReadOnlyMatrixSpan<T>(inputs[t], Rows, Features), expectedClasses[t]);
            var batch = new T[Rows * Classes];
            network.PredictProbabilities(new ReadOnlyMatrixSpan<T>(inputs[t], Rows, Features), new MatrixSpan<T>(batch, Rows, Classes), serial);
            for (int i = 0; i < batch.Length; i++)
            {
                Assert.Equal(double.CreateTruncating(batch[i]), double.CreateTruncating(p[i]), typeof(T) == typeof(float) ? 1e-5 : 1e-14);
            }
        }

        // Steady state means the pool holds a workspace for every concurrent caller.
        var warm = Enumerable.Range(0, Threads).Select(_ => predictor.Pool.Get()).ToList();
        warm.ForEach(predictor.Pool.Return);

        long[] allocated = new long[Threads];
        int[] mismatches = new int[Threads];
        Exception?[] errors = new Exception?[Threads];
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                var p = new T[Rows * Classes];
                int[] c = new int[Rows];
                start.SignalAndWait();
                for (int i = 0; i < Warmup + Measured; i++)
                {
                    if (i == Warmup)
                    {
                        allocated[t] = GC.GetAllocatedBytesForCurrentThread();
                    }

                    var x = new ReadOnlyMatrixSpan<T>(inputs[t], Rows, Features);
                    predictor.PredictProbabilities(x, new MatrixSpan<T>(p, Rows, Classes));
                    predictor.PredictClasses(x, c);
                    if (!System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.AsSpan()).SequenceEqual(expectedProbabilities[t]) || !c.AsSpan().SequenceEqual(expectedClasses[t]))
                    {
                        mismatches[t]++;
                    }
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

        output.WriteLine($"{typeof(T).Name}: bytes per thread over {Measured} × 2 calls: {string.Join(", ", allocated)}; mismatches {string.Join(", ", mismatches)}");
        Assert.All(errors, e => Assert.Null(e));
        Assert.All(mismatches, m => Assert.Equal(0, m));
        Assert.All(allocated, a => Assert.Equal(0, a));
    }

    /// <summary>
    /// A workspace the pool creates before its first call (Prepare, or a warm-up that rents several
    /// at once) must not allocate in that call: for a network whose layers take the packed GEMM, the
    /// GEMM's 1.2 MiB buffer used to be allocated lazily by the first product, so the 8-thread test
    /// above failed (on the 128-bit no-FMA leg, where its narrow network takes the GEMM) whenever a
    /// thread first rented a workspace only in the measured calls.
    /// </summary>
    [Fact]
    public void PreparedWorkspacesAllocateNothingInTheirFirstCall()
    {
        // 128 hidden units: the packed GEMM at every width (two tiles of rows and columns at 512 bits).
        var network = new Network<float>(new NetworkShape([7, 128, 4], HiddenActivation.Tanh), 17);
        var predictor = new Predictor<float>(network, maxBatchSize: 32);
        var pool = Assert.IsType<WorkspacePool<float>>(predictor.Pool);
        pool.Prepare(3);
        (float[] x, _) = TestData.Random<float>(32, 7, 4, 5);
        var rows = new ReadOnlyMatrixSpan<float>(x, 32, 7);
        float[] p = new float[32 * 4];
        predictor.PredictProbabilities(rows, new MatrixSpan<float>(p, 32, 4)); // compiles the path, on the top workspace

        // Hold two, so the measured call rents the third, which no call has used yet.
        Workspace<float> first = pool.Get(), second = pool.Get();
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        predictor.PredictProbabilities(rows, new MatrixSpan<float>(p, 32, 4));
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        pool.Return(first);
        pool.Return(second);
        Assert.Equal(3, pool.Created);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void PredictionsAllocateNothingOnOneThread()
    {
        Network<double> network = Trained<double>();
        var predictor = new Predictor<double>(network, 16);
        (double[] x, int[] y) = TestData.Random<double>(40, 7, 4, 3);
        double[] p = new double[40 * 4];
        int[] c = new int[40];
        long bytes = Allocations.Measure(() => predictor.PredictProbabilities(new ReadOnlyMatrixSpan<double>(x, 40, 7), new MatrixSpan<double>(p, 40, 4)), 1000, 1)
            + Allocations.Measure(() => predictor.PredictClasses(new ReadOnlyMatrixSpan<double>(x, 40, 7), c), 1000, 1)
            + Allocations.Measure(() => predictor.Evaluate(new ReadOnlyMatrixSpan<double>(x, 40, 7), y), 1000, 1);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void ChunkedPredictionEqualsOnePass()
    {
        Network<double> network = Trained<double>();
        (double[] x, _) = TestData.Random<double>(50, 7, 4, 3);
        double[] small = new double[200], large = new double[200];
        new Predictor<double>(network, 3).PredictProbabilities(new ReadOnlyMatrixSpan<double>(x, 50, 7), new MatrixSpan<double>(small, 50, 4));
        new Predictor<double>(network, 64).PredictProbabilities(new ReadOnlyMatrixSpan<double>(x, 50, 7), new MatrixSpan<double>(large, 50, 4));
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(large[i], small[i], 1e-15);
        }
    }

    [Fact]
    public void PredictorEvaluationMatchesTheReference()
    {
        Network<double> network = Trained<double>();
        (double[] x, int[] y) = TestData.Random<double>(50, 7, 4, 3);
        Evaluation e = new Predictor<double>(network, 8).Evaluate(new ReadOnlyMatrixSpan<double>(x, 50, 7), y);
        double[,] logits = Reference.PreActivations(Reference.Weights(network), HiddenActivation.Tanh, TrainerProperties.To2D(x, 7))[^1];
        Assert.Equal(Reference.MeanCrossEntropy(logits, y), e.Loss, 1e-12);
        Assert.Equal(Enumerable.Range(0, 50).Count(r => Enumerable.Range(0, 4).MaxBy(k => logits[r, k]) == y[r]) / 50.0, e.Accuracy);
        Assert.Equal(50, e.Count);
    }

    [Fact]
    public void BadInputThrowsNamingTheArgument()
    {
        var predictor = new Predictor<float>(Trained<float>(), 4);
        float[] x = new float[5 * 7];
        float[] p = new float[5 * 4];
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => predictor.PredictProbabilities(new ReadOnlyMatrixSpan<float>(x, 7, 5), new MatrixSpan<float>(p, 5, 4))).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => predictor.PredictProbabilities(new ReadOnlyMatrixSpan<float>(x, 5, 7), new MatrixSpan<float>(p, 4, 5))).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => predictor.PredictProbabilities(new ReadOnlyMatrixSpan<float>(x, 5, 7), new MatrixSpan<float>(x, 5, 4))).ParamName);
        Assert.Equal("classes", Assert.Throws<ArgumentException>(() => predictor.PredictClasses(new ReadOnlyMatrixSpan<float>(x, 5, 7), new int[4])).ParamName);
        x[20] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => predictor.PredictClasses(new ReadOnlyMatrixSpan<float>(x, 5, 7), new int[5]));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("row 2, feature 6", e.Message, StringComparison.Ordinal);
        x[20] = 0;
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => predictor.Evaluate(new ReadOnlyMatrixSpan<float>(x, 5, 7), [0, 1, 2, 3, 4])).ParamName);
        var otherShape = new Workspace<float>(new NetworkShape([7, 12, 9, 5], HiddenActivation.Tanh), 4);
        Assert.Equal("workspace", Assert.Throws<ArgumentException>(() => predictor.Network.PredictClasses(new ReadOnlyMatrixSpan<float>(x, 5, 7), new int[5], otherShape)).ParamName);
    }
}
