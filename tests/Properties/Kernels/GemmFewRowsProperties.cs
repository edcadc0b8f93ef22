using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Kernels;

/// <summary>
/// <see cref="GemmFewRows"/> against <see cref="GemmFewRowsReference"/> at the width this process runs
/// at (CI runs the suite at 512, 256, 128 bits, without FMA and scalar): every output within
/// <c>(n + 2)·u·(|b| + Σ|x·w|)</c> of the exact value, and with a fused activation f within that bound
/// (f is 1-Lipschitz) plus f's own rounding, 16·u·|f(z)| (the vector exponential's and tanh's ulp
/// budgets of ActivationsProperties); a row's bits independent of the other rows of the call (so of
/// the row blocking: 1–70 rows cover every block of 1, 2 and 4 rows and every repeated-row tail),
/// 1–70 inputs and outputs (every panel tail and repeated-panel block), strided views, nothing written
/// outside the destination's view.
/// </summary>
public class GemmFewRowsProperties
{
    private static readonly Gen<(int Rows, int N, int M, ActivationFunction Activation, int Seed)> Shapes =
        from rows in Gen.Choose(1, 70)
        from n in Gen.Choose(1, 70)
        from m in Gen.Choose(1, 70)
        from activation in Gen.Elements(ActivationFunction.Identity, ActivationFunction.Relu, ActivationFunction.Sigmoid, ActivationFunction.Tanh)
        from seed in Gens.Seed
        select (rows, n, m, activation, seed);

    [Fact]
    public void FloatMatchesTheReference() => Prop.ForAll(Shapes.ToArbitrary(), s => Check<float>(s.Rows, s.N, s.M, s.Seed, s.Activation)).QuickCheckThrowOnFailure();

    [Fact]
    public void DoubleMatchesTheReference() => Prop.ForAll(Shapes.ToArbitrary(), s => Check<double>(s.Rows, s.N, s.M, s.Seed, s.Activation)).QuickCheckThrowOnFailure();

    /// <summary>Every row count 1–70 and every activation on one shape with a partial panel, so no blocking or tail is left to chance.</summary>
    [Fact]
    public void EveryRowCountAndActivationMatchesTheReference()
    {
        foreach (ActivationFunction activation in Enum.GetValues<ActivationFunction>())
        {
            for (int rows = 1; rows <= 70; rows++)
            {
                Check<float>(rows, 13, 37, rows, activation);
                Check<double>(rows, 11, 19, rows, activation);
            }
        }
    }

    /// <summary>The shapes, where whole panels, four-panel groups and the tails all occur.</summary>
    [Theory]
    [InlineData(1, 784, 256)]
    [InlineData(8, 784, 256)]
    [InlineData(3, 256, 10)]
    [InlineData(7, 20, 32)]
    [InlineData(2, 32, 5)]
    [InlineData(64, 784, 256)]
    [InlineData(5, 256, 10)]
    public void LayerShapesMatchTheReference(int rows, int n, int m)
    {
        Check<float>(rows, n, m, 1, ActivationFunction.Relu);
        Check<double>(rows, n, m, 2, ActivationFunction.Identity);
    }

    private static void Check<T>(int rows, int n, int m, int seed, ActivationFunction activation = ActivationFunction.Identity)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        double u = Math.ScaleB(1.0, typeof(T) == typeof(float) ? -24 : -53);
        int xStride = n + random.Next(3), yStride = m + random.Next(3);
        T[] x = new T[(rows * xStride) + 2];
        T[] w = new T[n * m];
        T[] b = new T[m];
        Fill(x, random);
        Fill(w, random);
        Fill(b, random);
        T[] y = new T[(rows * yStride) + 2];
        Array.Fill(y, T.CreateTruncating(7.5));

        var packed = new FewRowsWeights<T>(new ReadOnlyMatrixSpan<T>(w, n, m), b);
        GemmFewRows.Multiply(new ReadOnlyMatrixSpan<T>(x, rows, n, xStride), packed, new MatrixSpan<T>(y, rows, m, yStride), activation);

        double[] xd = new double[rows * n];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < n; i++)
            {
                xd[(r * n) + i] = double.CreateTruncating(x[(r * xStride) + i]);
            }
        }

        (double[] expected, double[] magnitude) = GemmFewRowsReference.Multiply(xd, rows, n, [.. w.Select(double.CreateTruncating)], m, [.. b.Select(double.CreateTruncating)]);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < yStride; j++)
            {
                T actual = y[(r * yStride) + j];
                if (j >= m)
                {
                    Assert.Equal(T.CreateTruncating(7.5), actual);
                    continue;
                }

                double e = Activate(activation, expected[(r * m) + j]);
                double bound = ((n + 2) * u * magnitude[(r * m) + j]) + (activation is ActivationFunction.Sigmoid or ActivationFunction.Tanh ? 16 * u * Math.Abs(e) : 0);
                Assert.True(Math.Abs(double.CreateTruncating(actual) - e) <= bound, $"{typeof(T).Name} {activation} {rows}×{n}·{n}×{m} at {KernelSimd.Describe()}: y[{r},{j}] = {actual}, reference {e}, bound {bound:E2}");
            }
        }

        Assert.Equal(T.CreateTruncating(7.5), y[^1]);

        // Each row alone gives the same bits as in the group.
        T[] alone = new T[m];
        for (int r = 0; r < rows; r++)
        {
            GemmFewRows.Multiply(new ReadOnlyMatrixSpan<T>(x.AsSpan(r * xStride, n), 1, n), packed, new MatrixSpan<T>(alone, 1, m), activation);
            Assert.Equal(alone, y.AsSpan(r * yStride, m).ToArray());
        }
    }

    /// <summary>The activation in double (the references' formulas: ActivationsReference applied to the exact sum).</summary>
    private static double Activate(ActivationFunction activation, double z)
    {
        double[] a = [z];
        switch (activation)
        {
            case ActivationFunction.Relu:
                ActivationsReference.Relu<double>(a, a);
                break;
            case ActivationFunction.Sigmoid:
                ActivationsReference.Sigmoid<double>(a, a);
                break;
            case ActivationFunction.Tanh:
                ActivationsReference.Tanh<double>(a, a);
                break;
        }

        return a[0];
    }

    private static void Fill<T>(T[] values, Random random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating((random.NextDouble() * 4) - 2);
        }
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        var packed = new FewRowsWeights<float>(new ReadOnlyMatrixSpan<float>(new float[12], 3, 4), new float[4]);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => new FewRowsWeights<float>(new ReadOnlyMatrixSpan<float>(new float[12], 3, 4), new float[3])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => GemmFewRows.Multiply(new ReadOnlyMatrixSpan<float>(new float[8], 2, 4), packed, new MatrixSpan<float>(new float[8], 2, 4))).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GemmFewRows.Multiply(new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), packed, new MatrixSpan<float>(new float[6], 2, 3))).ParamName);
        float[] shared = new float[16];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GemmFewRows.Multiply(new ReadOnlyMatrixSpan<float>(shared.AsSpan(0, 3), 1, 3), packed, new MatrixSpan<float>(shared.AsSpan(2, 4), 1, 4))).ParamName);
        Assert.Equal("activation", Assert.Throws<ArgumentOutOfRangeException>(() => GemmFewRows.Multiply(new ReadOnlyMatrixSpan<float>(new float[3], 1, 3), packed, new MatrixSpan<float>(new float[4], 1, 4), (ActivationFunction)9)).ParamName);
    }

    private static readonly Gen<(int Rows, int[] Sizes, ActivationFunction Activation, int Seed)> Chains =
        from rows in Gen.Choose(0, 70)
        from depth in Gen.Choose(1, 3)
        from sizes in Gen.Choose(1, GemmFewRows.MaxChainWidth).ArrayOf(depth + 1)
        from activation in Gen.Elements(ActivationFunction.Identity, ActivationFunction.Relu, ActivationFunction.Sigmoid, ActivationFunction.Tanh)
        from seed in Gens.Seed
        select (rows, sizes, activation, seed);

    /// <summary>
    /// The whole-network chain gives the bits of the layer-by-layer calls (themselves judged by the
    /// reference above): 0–70 rows (whole and partial blocks of every width's lanes), one to three
    /// layers of 1–64 inputs and outputs, every activation, strided views, nothing written outside Y's view.
    /// </summary>
    [Fact]
    public void FloatChainEqualsLayerByLayerBitForBit() => Prop.ForAll(Chains.ToArbitrary(), c => CheckChain<float>(c.Rows, c.Sizes, c.Activation, c.Seed)).QuickCheckThrowOnFailure();

    [Fact]
    public void DoubleChainEqualsLayerByLayerBitForBit() => Prop.ForAll(Chains.ToArbitrary(), c => CheckChain<double>(c.Rows, c.Sizes, c.Activation, c.Seed)).QuickCheckThrowOnFailure();

    /// <summary>The benchmark's small network and the widest chain, at row counts around the block sizes.</summary>
    [Theory]
    [InlineData(256, new[] { 20, 32, 5 })]
    [InlineData(17, new[] { 64, 64, 64, 64 })]
    [InlineData(33, new[] { 4, 2, 2 })]
    [InlineData(9, new[] { 23, 17, 11, 5 })]
    public void ChainShapesEqualLayerByLayerBitForBit(int rows, int[] sizes)
    {
        foreach (ActivationFunction f in Enum.GetValues<ActivationFunction>())
        {
            CheckChain<float>(rows, sizes, f, rows);
            CheckChain<double>(rows, sizes, f, rows + 1);
        }
    }

    /// <summary>Packed layers of <paramref name="sizes"/> with weights and biases drawn from <paramref name="random"/>, layer by layer.</summary>
    private static FewRowsWeights<T>[] RandomLayers<T>(int[] sizes, Random random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var packed = new FewRowsWeights<T>[sizes.Length - 1];
        for (int l = 0; l < packed.Length; l++)
        {
            T[] w = new T[sizes[l] * sizes[l + 1]];
            T[] b = new T[sizes[l + 1]];
            Fill(w, random);
            Fill(b, random);
            packed[l] = new FewRowsWeights<T>(new ReadOnlyMatrixSpan<T>(w, sizes[l], sizes[l + 1]), b);
        }

        return packed;
    }

    private static void CheckChain<T>(int rows, int[] sizes, ActivationFunction hidden, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        FewRowsWeights<T>[] packed = RandomLayers<T>(sizes, random);

        int n = sizes[0], m = sizes[^1];
        int xStride = n + random.Next(3), yStride = m + random.Next(3);
        T[] x = new T[(rows * xStride) + 1];
        Fill(x, random);
        T[] y = new T[(rows * yStride) + 2];
        Array.Fill(y, T.CreateTruncating(7.5));
        GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<T>(x, rows, n, xStride), packed, hidden, new MatrixSpan<T>(y, rows, m, yStride));

        // Layer by layer.
        ReadOnlyMatrixSpan<T> a = new(x, rows, n, xStride);
        T[] z = [];
        for (int l = 0; l < packed.Length; l++)
        {
            z = new T[Math.Max(1, rows * sizes[l + 1])];
            GemmFewRows.Multiply(a, packed[l], new MatrixSpan<T>(z, rows, sizes[l + 1]), l < packed.Length - 1 ? hidden : ActivationFunction.Identity);
            a = new ReadOnlyMatrixSpan<T>(z, rows, sizes[l + 1]);
        }

        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < yStride; j++)
            {
                T actual = y[(r * yStride) + j];
                T expected = j < m ? z[(r * m) + j] : T.CreateTruncating(7.5);
                KernelAccuracy.Same(actual, expected, $"{typeof(T).Name} chain {string.Join('-', sizes)} {hidden}, {rows} rows at {KernelSimd.Describe()}: y[{r},{j}]");
            }
        }

        Assert.Equal(T.CreateTruncating(7.5), y[^1]);
    }

    private static readonly Gen<(int Rows, int[] Sizes, ActivationFunction Activation, int Shift, bool Softmax, int Seed)> FusedChains =
        from c in Chains
        from shift in Gen.Choose(0, 2)
        from softmax in Gen.Elements(false, true)
        select (c.Rows, c.Sizes, c.Activation, shift, softmax, c.Seed);

    /// <summary>
    /// The chain from raw features gives the bits of a separate shift (the scalar formula
    /// <c>T((double(x) − o)·s)</c>), then <see cref="GemmFewRows.MultiplyChain{T}"/> (judged above), and
    /// the probabilities of <see cref="Softmax.Forward{T}"/> on those logits within (m + 4)·u of each
    /// (the same operations; the vector exponential's bits depend on its neighbouring lanes): no shift, offsets, offsets
    /// and factors; 0–70 rows (every partial block, both transpositions: fewer than 16 features and more);
    /// strided views; nothing written outside Y's view.
    /// </summary>
    [Fact]
    public void FloatFusedChainEqualsShiftThenChainThenSoftmax() => Prop.ForAll(FusedChains.ToArbitrary(), c => CheckFusedChain<float>(c.Rows, c.Sizes, c.Activation, c.Shift, c.Softmax, c.Seed)).QuickCheckThrowOnFailure();

    [Fact]
    public void DoubleFusedChainEqualsShiftThenChainThenSoftmax() => Prop.ForAll(FusedChains.ToArbitrary(), c => CheckFusedChain<double>(c.Rows, c.Sizes, c.Activation, c.Shift, c.Softmax, c.Seed)).QuickCheckThrowOnFailure();

    /// <summary>The benchmark's small network (offsets per call, 5 classes) at row counts around every block size.</summary>
    [Theory]
    [InlineData(256, new[] { 20, 32, 5 })]
    [InlineData(255, new[] { 20, 32, 5 })]
    [InlineData(47, new[] { 16, 64, 3 })]
    [InlineData(15, new[] { 64, 8, 20 })]
    [InlineData(33, new[] { 7, 9, 2 })]
    public void FusedChainShapesEqualShiftThenChainThenSoftmax(int rows, int[] sizes)
    {
        for (int shift = 0; shift < 3; shift++)
        {
            CheckFusedChain<float>(rows, sizes, ActivationFunction.Relu, shift, true, rows + shift);
            CheckFusedChain<float>(rows, sizes, ActivationFunction.Tanh, shift, false, rows + shift);
            CheckFusedChain<double>(rows, sizes, ActivationFunction.Sigmoid, shift, true, rows + shift + 1);
        }
    }

    private static void CheckFusedChain<T>(int rows, int[] sizes, ActivationFunction hidden, int shift, bool softmax, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        FewRowsWeights<T>[] packed = RandomLayers<T>(sizes, random);

        int n = sizes[0], m = sizes[^1];
        int xStride = n + random.Next(3), yStride = m + random.Next(3);
        T[] x = new T[(rows * xStride) + 1];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = T.CreateTruncating(1000 + (random.NextDouble() * 8));
        }

        // Offsets near the features (some zero, as folded ones are), factors of a few units.
        double[] offsets = shift == 0 ? [] : [.. Enumerable.Range(0, n).Select(i => i % 4 == 0 ? 0 : 1000 + (random.NextDouble() * 8))];
        double[] scales = shift == 2 ? [.. Enumerable.Range(0, n).Select(_ => 0.2 + random.NextDouble())] : [];
        T[] y = new T[(rows * yStride) + 2];
        Array.Fill(y, T.CreateTruncating(7.5));
        bool finite = GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<T>(x, rows, n, xStride), offsets, scales, packed, hidden, softmax, new MatrixSpan<T>(y, rows, m, yStride));
        Assert.True(finite);

        // Shift (the scalar formula), chain, softmax: separately.
        T[] shifted = new T[Math.Max(1, rows * n)];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < n; i++)
            {
                T v = x[(r * xStride) + i];
                shifted[(r * n) + i] = shift == 0 ? v : T.CreateTruncating(shift == 1 ? double.CreateTruncating(v) - offsets[i] : (double.CreateTruncating(v) - offsets[i]) * scales[i]);
            }
        }

        T[] z = new T[Math.Max(1, rows * m)];
        GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<T>(shifted, rows, n), packed, hidden, new MatrixSpan<T>(z, rows, m));
        if (softmax)
        {
            Softmax.Forward<T>(new ReadOnlyMatrixSpan<T>(z, rows, m), new MatrixSpan<T>(z, rows, m));
        }

        // The logits bit for bit; the probabilities within a few ulp: the vector exponential falls back to
        // the scalar one for a whole vector when one of its lanes is out of its fast range (a logit far
        // below the row's largest), so its bits depend on the vector's other lanes, which the chain
        // fills with other rows and Softmax.Forward with other classes (both within about an ulp of e^x).
        bool exact = !softmax;
        double u = Math.ScaleB(1.0, typeof(T) == typeof(float) ? -24 : -53);
        double smallestNormal = typeof(T) == typeof(float) ? 1.2e-38 : 2.3e-308;
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < yStride; j++)
            {
                T actual = y[(r * yStride) + j];
                string where = $"{typeof(T).Name} fused chain {string.Join('-', sizes)} {hidden} shift {shift} softmax {softmax}, {rows} rows at {KernelSimd.Describe()}: y[{r},{j}]";
                if (j >= m)
                {
                    KernelAccuracy.Same(actual, T.CreateTruncating(7.5), where);
                }
                else if (exact)
                {
                    KernelAccuracy.Same(actual, z[(r * m) + j], where);
                }
                else
                {
                    double a = double.CreateTruncating(actual), e = double.CreateTruncating(z[(r * m) + j]);
                    Assert.True(Math.Abs(a - e) <= ((m + 4) * u * e) + smallestNormal, $"{where}: {a} vs {e}");
                }
            }
        }

        Assert.Equal(T.CreateTruncating(7.5), y[^1]);
    }

    /// <summary>
    /// A NaN or ±∞ feature, or one the shift takes beyond the range of T, in any row (vector lanes,
    /// the repeated rows of a partial block, every feature position), makes the fused chain return
    /// false; without offsets nothing is checked.
    /// </summary>
    [Theory]
    [InlineData(1, 3)]
    [InlineData(37, 20)]
    [InlineData(64, 17)]
    [InlineData(5, 64)]
    public void FusedChainReportsANonFiniteShiftedFeature(int rows, int n)
    {
        FewRowsWeights<float>[] chain = [new(new ReadOnlyMatrixSpan<float>(new float[n * 8], n, 8), new float[8]), new(new ReadOnlyMatrixSpan<float>(new float[8 * 3], 8, 3), new float[3])];
        double[] offsets = [.. Enumerable.Repeat(-1e38, n)];
        float[] y = new float[rows * 3];
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3e38f })
        {
            for (int at = 0; at < rows * n; at += Math.Max(1, (rows * n) / 23))
            {
                float[] x = new float[rows * n];
                x[at] = bad;
                Assert.False(GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<float>(x, rows, n), offsets, default, chain, ActivationFunction.Relu, true, new MatrixSpan<float>(y, rows, 3)), $"{bad} at {at}");
                Assert.True(GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<float>(x, rows, n), default, default, chain, ActivationFunction.Relu, true, new MatrixSpan<float>(y, rows, 3)), "no offsets: not checked");
            }

            Assert.True(GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<float>(new float[rows * n], rows, n), offsets, default, chain, ActivationFunction.Relu, true, new MatrixSpan<float>(y, rows, 3)));
        }
    }

    [Fact]
    public void ChainBadArgumentsAreNamed()
    {
        var a = new FewRowsWeights<float>(new ReadOnlyMatrixSpan<float>(new float[12], 3, 4), new float[4]);
        var b = new FewRowsWeights<float>(new ReadOnlyMatrixSpan<float>(new float[10], 5, 2), new float[2]);
        var wide = new FewRowsWeights<float>(new ReadOnlyMatrixSpan<float>(new float[65 * 2], 65, 2), new float[2]);
        float[] x = new float[6], y = new float[8];
        Assert.Equal("layers", Assert.Throws<ArgumentException>(() => GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<float>(x, 2, 3), [], ActivationFunction.Relu, new MatrixSpan<float>(y, 2, 4))).ParamName);
        Assert.Equal("layers", Assert.Throws<ArgumentException>(() => GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<float>(x, 2, 3), [a, b], ActivationFunction.Relu, new MatrixSpan<float>(y, 2, 4))).ParamName);
        Assert.Equal("layers", Assert.Throws<ArgumentException>(() => GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<float>(new float[65], 1, 65), [wide], ActivationFunction.Relu, new MatrixSpan<float>(y, 1, 2))).ParamName);
        Assert.Equal("layers", Assert.Throws<ArgumentException>(() => GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<float>(x, 2, 3), [a, null!], ActivationFunction.Relu, new MatrixSpan<float>(y, 2, 4))).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<float>(new float[8], 2, 4), [a], ActivationFunction.Relu, new MatrixSpan<float>(y, 2, 4))).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<float>(x, 2, 3), [a], ActivationFunction.Relu, new MatrixSpan<float>(y, 2, 3))).ParamName);
        float[] shared = new float[16];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<float>(shared.AsSpan(0, 3), 1, 3), [a], ActivationFunction.Relu, new MatrixSpan<float>(shared.AsSpan(2, 4), 1, 4))).ParamName);
        Assert.Equal("hidden", Assert.Throws<ArgumentOutOfRangeException>(() => GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<float>(x, 2, 3), [a], (ActivationFunction)9, new MatrixSpan<float>(y, 2, 4))).ParamName);
        Assert.Equal("offsets", Assert.Throws<ArgumentException>(() => GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<float>(x, 2, 3), new double[2], default, [a], ActivationFunction.Relu, false, new MatrixSpan<float>(y, 2, 4))).ParamName);
        Assert.Equal("scales", Assert.Throws<ArgumentException>(() => GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<float>(x, 2, 3), default, new double[3], [a], ActivationFunction.Relu, false, new MatrixSpan<float>(y, 2, 4))).ParamName);
        Assert.Equal("scales", Assert.Throws<ArgumentException>(() => GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<float>(x, 2, 3), new double[3], new double[2], [a], ActivationFunction.Relu, false, new MatrixSpan<float>(y, 2, 4))).ParamName);
        Assert.Equal("layers", Assert.Throws<ArgumentException>(() => GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<float>(x, 2, 3), default, default, [a, b], ActivationFunction.Relu, false, new MatrixSpan<float>(y, 2, 4))).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<float>(shared.AsSpan(0, 3), 1, 3), default, default, [a], ActivationFunction.Relu, true, new MatrixSpan<float>(shared.AsSpan(2, 4), 1, 4))).ParamName);
    }

    [Fact]
    public void AllocatesNothing()
    {
        var packed = new FewRowsWeights<float>(new ReadOnlyMatrixSpan<float>(new float[784 * 256], 784, 256), new float[256]);
        float[] x = new float[8 * 784], y = new float[8 * 256];
        Allocations.AssertNone(() =>
        {
            GemmFewRows.Multiply(new ReadOnlyMatrixSpan<float>(x, 1, 784), packed, new MatrixSpan<float>(y.AsSpan(0, 256), 1, 256));
            GemmFewRows.Multiply(new ReadOnlyMatrixSpan<float>(x, 8, 784), packed, new MatrixSpan<float>(y, 8, 256));
            GemmFewRows.Multiply(new ReadOnlyMatrixSpan<float>(x, 7, 784), packed, new MatrixSpan<float>(y.AsSpan(0, 7 * 256), 7, 256), ActivationFunction.Tanh);
        });

        FewRowsWeights<float>[] chain = [new(new ReadOnlyMatrixSpan<float>(new float[20 * 32], 20, 32), new float[32]), new(new ReadOnlyMatrixSpan<float>(new float[32 * 5], 32, 5), new float[5])];
        Allocations.AssertNone(() => GemmFewRows.MultiplyChain(new ReadOnlyMatrixSpan<float>(x, 37, 20), chain, ActivationFunction.Sigmoid, new MatrixSpan<float>(y, 37, 5)));
        double[] offsets = new double[20], scales = new double[20];
        Allocations.AssertNone(() => GemmFewRows.TryMultiplyChain(new ReadOnlyMatrixSpan<float>(x, 37, 20), offsets, scales, chain, ActivationFunction.Relu, true, new MatrixSpan<float>(y, 37, 5)));
    }
}
