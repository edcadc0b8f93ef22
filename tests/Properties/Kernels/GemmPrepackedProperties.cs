using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Reference;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Kernels;

/// <summary>
/// <see cref="Gemm.MultiplyBiasActivation{T}(MatrixOperation, ReadOnlyMatrixSpan{T}, PackedWeights{T}, ReadOnlySpan{T}, ActivationFunction, MatrixSpan{T}, GemmWorkspace{T})"/>
/// over weights packed once, at the width this process runs (CI runs the suite at every forced width
/// and without FMA): bit-identical to the packed path of the fused GEMM on the same unpacked operands
/// (the same kernel over the same packed data), and within the rounding bound of the plain reference
/// (<see cref="GemmFusedReference"/>, the unpacked product); random shapes up to three micro-tiles each
/// way with every tile edge, shapes across the KC (several depth blocks), MC and NC block edges with N
/// and K not multiples of NR or KC, both operations, padded strides, every activation; the padding
/// between C's rows never written; 0 B per call; bad arguments named.
/// </summary>
public class GemmPrepackedProperties
{
    private static readonly ActivationFunction[] AllActivations = [ActivationFunction.Identity, ActivationFunction.Sigmoid, ActivationFunction.Tanh, ActivationFunction.Relu];

    private static Gen<GemmFusedProperties.Case> Cases<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        from m in Gen.Choose(0, (3 * GemmPacked.MR<T>()) + 3)
        from n in Gen.Choose(1, (3 * GemmPacked.NR<T>()) + 3)
        from k in Gen.Choose(1, 70)
        from ta in Gen.Elements(false, true)
        from tb in Gen.Elements(false, true)
        from pads in Gen.Choose(0, 3).Three()
        from f in Gen.Elements(AllActivations)
        from seed in Gens.Seed
        select new GemmFusedProperties.Case(m, n, k, ta, tb, pads.Item1, pads.Item2, pads.Item3, f, seed, GemmPath.Packed);

    [SizedProperty(MaxTest = 300)]
    public Property FloatEqualsThePackedPathAndTheReference() => Prop.ForAll(Cases<float>().ToArbitrary(), c => Check<float>(c));

    [SizedProperty(MaxTest = 300)]
    public Property DoubleEqualsThePackedPathAndTheReference() => Prop.ForAll(Cases<double>().ToArbitrary(), c => Check<double>(c));

    /// <summary>
    /// Shapes across the block edges of every kernel: K above KC (256 float, 128 double) so two to five
    /// depth blocks with a short last one, N not a multiple of NR and above NC (1024), M above MC and
    /// not a multiple of MR; and the inference shapes (784-256-10 at 16, 64, 128 rows).
    /// </summary>
    [Theory]
    [InlineData(9, 17, 513, false, false)]
    [InlineData(9, 17, 1025, true, false)]
    [InlineData(130, 33, 257, false, true)]
    [InlineData(150, 40, 300, true, false)]
    [InlineData(17, 257, 40, true, true)]
    [InlineData(129, 300, 520, false, false)]
    [InlineData(9, 1100, 33, false, true)]
    [InlineData(3, 2060, 130, false, false)]
    [InlineData(16, 256, 784, false, false)]
    [InlineData(64, 256, 784, false, false)]
    [InlineData(128, 10, 256, false, false)]
    [InlineData(1, 5, 32, false, false)]
    public void BlockEdgesEqualThePackedPathAndTheReference(int m, int n, int k, bool ta, bool tb)
    {
        foreach (ActivationFunction f in AllActivations)
        {
            Assert.True(Check<float>(new GemmFusedProperties.Case(m, n, k, ta, tb, 1, 2, 3, f, 42, GemmPath.Packed)));
            Assert.True(Check<double>(new GemmFusedProperties.Case(m, n, k, ta, tb, 0, 1, 0, f, 43, GemmPath.Packed)));
        }
    }

    /// <summary>The packed copy owns its data: changing or dropping the source afterwards changes nothing.</summary>
    [Fact]
    public void ThePackedCopyDoesNotReferToTheSource()
    {
        float[] a = Gens.Random<float>(20 * 300, 1, 1), b = Gens.Random<float>(300 * 40, 2, 1), bias = Gens.Random<float>(40, 3, 1);
        var packed = new PackedWeights<float>(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(b, 300, 40));
        float[] before = new float[20 * 40], after = new float[20 * 40];
        Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(a, 20, 300), packed, bias, ActivationFunction.Tanh, new MatrixSpan<float>(before, 20, 40), null);
        Array.Fill(b, float.NaN);
        Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(a, 20, 300), packed, bias, ActivationFunction.Tanh, new MatrixSpan<float>(after, 20, 40), null);
        KernelAccuracy.Same<float>(after, before, "after the source changed");
        Assert.Equal(300, packed.Depth);
        Assert.Equal(40, packed.Columns);
        Assert.True(packed.SizeInBytes >= 300L * 40 * sizeof(float));
    }

    [Fact]
    public void CallsAllocateNothingAfterWarmUp()
    {
        var workspace = new GemmWorkspace<float>();
        float[] a = Gens.Random<float>(64 * 784, 1, 1), b = Gens.Random<float>(784 * 256, 2, 1), bias = Gens.Random<float>(256, 3, 1), c = new float[64 * 256];
        var packed = new PackedWeights<float>(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(b, 784, 256));
        var packedT = new PackedWeights<double>(MatrixOperation.Transpose, new ReadOnlyMatrixSpan<double>(Gens.Random<double>(10 * 256, 4, 1), 10, 256));
        double[] ad = Gens.Random<double>(7 * 256, 5, 1), cd = new double[7 * 10], biasd = new double[10];
        Allocations.AssertNone(
            () =>
            {
                Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(a, 64, 784), packed, bias, ActivationFunction.Relu, new MatrixSpan<float>(c, 64, 256), workspace);
                Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(a, 3, 784), packed, bias, ActivationFunction.Sigmoid, new MatrixSpan<float>(c, 3, 256), null);
                Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<double>(ad, 7, 256), packedT, biasd, ActivationFunction.Identity, new MatrixSpan<double>(cd, 7, 10), null);
            },
            repetitions: 20);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        float[] aBuffer = new float[6], cBuffer = new float[8];
        var packed = new PackedWeights<float>(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(new float[12], 3, 4));
        Assert.Equal("b", Assert.Throws<ArgumentNullException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), null!, new float[4], ActivationFunction.Relu, new MatrixSpan<float>(new float[8], 2, 4), null)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.Transpose, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), packed, new float[4], ActivationFunction.Relu, new MatrixSpan<float>(new float[12], 3, 4), null)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), packed, new float[4], ActivationFunction.Relu, new MatrixSpan<float>(new float[9], 3, 3), null)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), packed, new float[3], ActivationFunction.Relu, new MatrixSpan<float>(new float[8], 2, 4), null)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), packed, cBuffer.AsSpan(4, 4), ActivationFunction.Relu, new MatrixSpan<float>(cBuffer, 2, 4), null)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(cBuffer, 2, 3), packed, new float[4], ActivationFunction.Relu, new MatrixSpan<float>(cBuffer, 2, 4), null)).ParamName);
        Assert.Equal("activation", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), packed, new float[4], (ActivationFunction)9, new MatrixSpan<float>(new float[8], 2, 4), null)).ParamName);
        Assert.Equal("operationA", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.MultiplyBiasActivation((MatrixOperation)7, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), packed, new float[4], ActivationFunction.Relu, new MatrixSpan<float>(new float[8], 2, 4), null)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => new PackedWeights<float>(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(new float[3], 0, 3))).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => new PackedWeights<float>(MatrixOperation.Transpose, new ReadOnlyMatrixSpan<float>(new float[3], 3, 0))).ParamName);
        Assert.Equal("operation", Assert.Throws<ArgumentOutOfRangeException>(() => new PackedWeights<float>((MatrixOperation)5, new ReadOnlyMatrixSpan<float>(new float[4], 2, 2))).ParamName);
        Assert.Throws<NotSupportedException>(() => new PackedWeights<Half>(MatrixOperation.None, new ReadOnlyMatrixSpan<Half>(new Half[4], 2, 2)));
    }

    /// <summary>One case: bit-identical to the fused GEMM's packed path, within the reference's bound, C's row padding untouched.</summary>
    private static bool Check<T>(GemmFusedProperties.Case c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int aRows = c.TransposeA ? c.K : c.M, aCols = c.TransposeA ? c.M : c.K;
        int bRows = c.TransposeB ? c.N : c.K, bCols = c.TransposeB ? c.K : c.N;
        int lda = aCols + c.PadA, ldb = bCols + c.PadB, ldc = c.N + c.PadC;
        T[] a = Gens.Random<T>(Math.Max(1, aRows * lda), c.Seed, 1);
        T[] b = Gens.Random<T>(bRows * ldb, c.Seed + 1, 1);
        T[] bias = Gens.Random<T>(c.N, c.Seed + 4, 1);
        MatrixOperation opA = c.TransposeA ? MatrixOperation.Transpose : MatrixOperation.None;
        MatrixOperation opB = c.TransposeB ? MatrixOperation.Transpose : MatrixOperation.None;
        var aView = new ReadOnlyMatrixSpan<T>(a, aRows, aCols, lda);
        var bView = new ReadOnlyMatrixSpan<T>(b, bRows, bCols, ldb);
        T[] actual = new T[Math.Max(1, c.M * ldc)], expected = new T[actual.Length];
        Array.Fill(actual, T.NaN);
        Array.Fill(expected, T.NaN);

        var packed = new PackedWeights<T>(opB, bView);
        Gemm.MultiplyBiasActivation(opA, aView, packed, bias, c.Activation, new MatrixSpan<T>(actual, c.M, c.N, ldc), null);
        Gemm.MultiplyBiasActivation(opA, aView, opB, bView, bias, c.Activation, new MatrixSpan<T>(expected, c.M, c.N, ldc), GemmPath.Packed, null, 0, null);

        // The packed path with the same kernel on the same packed data: the same bits, padding (NaN) included.
        KernelAccuracy.Same<T>(actual, expected, $"{typeof(T).Name} {c}: prepacked against the packed path");

        // And against the plain reference: GEMM's bound (4·(k+2)·ε of the terms' magnitude) moved by
        // f at most as much (slope ≤ 1), plus f's own error, 8 ulp of the result.
        (double[] reference, _, double[] scale) = GemmFusedReference.MultiplyBiasActivation(c.TransposeA, a, lda, c.TransposeB, b, ldb, bias, (ReferenceActivation)c.Activation, c.M, c.N, c.K);
        double eps = KernelAccuracy.Epsilon<T>();
        double tolerance = 4 * (c.K + 2) * eps;
        for (int i = 0; i < c.M; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                T value = actual[(i * ldc) + j];
                if (j >= c.N)
                {
                    Assert.True(T.IsNaN(value), $"{typeof(T).Name} {c}: padding at ({i}, {j}) was written.");
                    continue;
                }

                int e = (i * c.N) + j;
                double bound = (tolerance * scale[e]) + (8 * eps * Math.Abs(reference[e])) + KernelAccuracy.MinNormal<T>();
                double got = double.CreateTruncating(value);
                Assert.True(Math.Abs(got - reference[e]) <= bound, $"{typeof(T).Name} {c}: C[{i}, {j}] = {got:R}, reference {reference[e]:R}, allowed error {bound}.");
            }
        }

        return true;
    }
}
