using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Reference;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Kernels;

/// <summary>
/// The fused GEMM forms against the unfused composition of references (<see cref="GemmFusedReference"/>),
/// at the width this process runs (CI runs the suite at every forced width and without FMA): random
/// shapes up to three micro-tiles each way with every tile edge, shapes across the KC, MC and NC block
/// edges, all three paths, padded strides, every activation, float and double; the results bit-identical
/// for 1, 2 and 3 threads, and 0 B per call.
/// </summary>
public class GemmFusedProperties
{
    private static readonly ActivationFunction[] AllActivations = [ActivationFunction.Identity, ActivationFunction.Sigmoid, ActivationFunction.Tanh, ActivationFunction.Relu];

    /// <summary>One fused product: op(A)·op(B) of m × n × k, padded strides, an activation, a path.</summary>
    internal sealed record Case(int M, int N, int K, bool TransposeA, bool TransposeB, int PadA, int PadB, int PadC, ActivationFunction Activation, int Seed, GemmPath Path)
    {
        public override string ToString() =>
            $"{M}×{N}×{K} op(A)={(TransposeA ? "T" : "N")} op(B)={(TransposeB ? "T" : "N")} pads=({PadA},{PadB},{PadC}) f={Activation} seed={Seed} path={Path}";
    }

    internal static Gen<Case> Cases<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        from m in Gen.Choose(0, (3 * GemmPacked.MR<T>()) + 3)
        from n in Gen.Choose(0, (3 * GemmPacked.NR<T>()) + 3)
        from k in Gen.Choose(0, 70)
        from ta in Gen.Elements(false, true)
        from tb in Gen.Elements(false, true)
        from pads in Gen.Choose(0, 3).Three()
        from f in Gen.Elements(AllActivations)
        from seed in Gens.Seed
        from path in Gen.Elements(GemmPath.Auto, GemmPath.Packed, GemmPath.Unpacked)
        select new Case(m, n, k, ta, tb, pads.Item1, pads.Item2, pads.Item3, f, seed, path);

    [SizedProperty(MaxTest = 300)]
    public Property ForwardFloatEqualsReference() => Prop.ForAll(Cases<float>().ToArbitrary(), c => Forward<float>(c, null));

    [SizedProperty(MaxTest = 300)]
    public Property ForwardDoubleEqualsReference() => Prop.ForAll(Cases<double>().ToArbitrary(), c => Forward<double>(c, null));

    [SizedProperty(MaxTest = 300)]
    public Property BackwardFloatEqualsReference() => Prop.ForAll(Cases<float>().ToArbitrary(), c => Backward<float>(c, null));

    [SizedProperty(MaxTest = 300)]
    public Property BackwardDoubleEqualsReference() => Prop.ForAll(Cases<double>().ToArbitrary(), c => Backward<double>(c, null));

    [SizedProperty(MaxTest = 300)]
    public Property ColumnSumsFloatEqualReference() => Prop.ForAll(Cases<float>().Select(c => c with { TransposeB = false }).ToArbitrary(), c => ColumnSums<float>(c, null));

    [SizedProperty(MaxTest = 300)]
    public Property ColumnSumsDoubleEqualReference() => Prop.ForAll(Cases<double>().Select(c => c with { TransposeB = false }).ToArbitrary(), c => ColumnSums<double>(c, null));

    /// <summary>Shapes across the KC (depth), MC (rows) and NC (columns) block edges, and the training step's shapes.</summary>
    [Theory]
    [InlineData(9, 17, 513, false, false)]
    [InlineData(9, 17, 1025, true, false)]
    [InlineData(130, 33, 257, false, true)]
    [InlineData(150, 40, 300, true, false)]
    [InlineData(17, 257, 40, true, true)]
    [InlineData(129, 300, 520, false, false)]
    [InlineData(9, 1100, 33, false, true)]
    [InlineData(17, 2060, 20, true, false)]
    [InlineData(128, 256, 784, false, false)]
    [InlineData(128, 10, 256, false, false)]
    [InlineData(128, 256, 10, false, true)]
    [InlineData(784, 256, 128, true, false)]
    public void BlockEdgesEqualReference(int m, int n, int k, bool ta, bool tb)
    {
        foreach (ActivationFunction f in AllActivations)
        {
            foreach (GemmPath path in new[] { GemmPath.Packed, GemmPath.Auto })
            {
                Assert.True(Forward<float>(new Case(m, n, k, ta, tb, 1, 2, 3, f, 42, path), null));
                Assert.True(Forward<double>(new Case(m, n, k, ta, tb, 0, 1, 0, f, 43, path), null));
                Assert.True(Backward<float>(new Case(m, n, k, ta, tb, 2, 0, 1, f, 44, path), null));
                Assert.True(Backward<double>(new Case(m, n, k, ta, tb, 0, 0, 0, f, 45, path), null));
            }
        }

        Assert.True(ColumnSums<float>(new Case(m, n, k, ta, false, 1, 2, 3, ActivationFunction.Identity, 46, GemmPath.Packed), null));
        Assert.True(ColumnSums<double>(new Case(m, n, k, ta, false, 0, 0, 1, ActivationFunction.Identity, 47, GemmPath.Packed), null));
    }

    /// <summary>
    /// Every fused form gives the same bits on 1, 2 and 3 threads (the split forced on small products):
    /// row and column splits, edge tiles in the last part, column sums kept by the part of row 0.
    /// </summary>
    [Theory]
    [InlineData(40, 150, 70, false, false)]
    [InlineData(150, 40, 70, true, false)]
    [InlineData(131, 37, 300, false, true)]
    [InlineData(37, 131, 300, true, true)]
    [InlineData(128, 256, 784, false, false)]
    [InlineData(784, 256, 128, true, false)]
    public void ThreadCountsGiveIdenticalBits(int m, int n, int k, bool ta, bool tb)
    {
        using var two = new KernelThreads(2);
        using var three = new KernelThreads(3);
        foreach (ActivationFunction f in AllActivations)
        {
            var c = new Case(m, n, k, ta, tb, 1, 0, 2, f, 7, GemmPath.Packed);
            SameAcrossThreads<float>(c, two, three);
            SameAcrossThreads<double>(c with { Seed = 8 }, two, three);
        }

        // Without SIMD nothing is split (GemmParallel.Supported); everywhere else the split must have run.
        Assert.True(!GemmParallel.Supported || (two.SplitCalls > 0 && three.SplitCalls > 0), "the products were never split");
    }

    /// <summary>ReLU and the identity are exact operations, so the fused forms equal the separate passes (product, bias pass, activation pass) bit for bit.</summary>
    [Theory]
    [InlineData(45, 77, 300, false, false)]
    [InlineData(128, 256, 784, false, false)]
    [InlineData(33, 19, 520, true, true)]
    public void ExactActivationsEqualTheSeparatePassesBitForBit(int m, int n, int k, bool ta, bool tb)
    {
        foreach (ActivationFunction f in new[] { ActivationFunction.Identity, ActivationFunction.Relu })
        {
            Operands<float> o = Operands<float>.Make(new Case(m, n, k, ta, tb, 0, 0, 0, f, 9, GemmPath.Packed));
            float[] fused = o.NewC(), separate = o.NewC();
            Gemm.MultiplyBiasActivation(o.OpA, o.AView, o.OpB, o.BView, o.Bias, f, o.CView(fused), null, null);
            Gemm.Multiply(o.OpA, o.AView, o.OpB, o.BView, o.CView(separate), 1f, 0f);
            RowColumnOps.AddRowVector(o.CView(separate), o.Bias);
            if (f == ActivationFunction.Relu)
            {
                Activations.Relu(separate, separate);
            }

            KernelAccuracy.Same<float>(fused, separate, $"forward {f}");

            Gemm.MultiplyActivationBackward(o.OpA, o.AView, o.OpB, o.BView, new ReadOnlyMatrixSpan<float>(o.Output, m, n, o.Ldc), f, o.CView(fused), null, null);
            Gemm.Multiply(o.OpA, o.AView, o.OpB, o.BView, o.CView(separate), 1f, 0f);
            if (f == ActivationFunction.Relu)
            {
                Activations.ReluBackward(separate, o.Output, separate);
            }

            KernelAccuracy.Same<float>(fused, separate, $"backward {f}");
        }
    }

    /// <summary>The column sums are bit-identical to <see cref="RowColumnOps.SumColumns{T}"/> (each column summed first row to last), whichever path runs.</summary>
    [Theory]
    [InlineData(45, 77, 300, 1)]
    [InlineData(784, 256, 128, 0)]
    [InlineData(33, 19, 520, 1)]
    [InlineData(3, 5, 9, 2)]
    public void ColumnSumsEqualSumColumnsBitForBit(int m, int n, int k, int pathIndex)
    {
        var path = (GemmPath)pathIndex;
        Operands<double> o = Operands<double>.Make(new Case(m, n, k, true, false, 0, 1, 0, ActivationFunction.Identity, 10, path));
        double[] sums = new double[n], expected = new double[n];
        Gemm.MultiplySumColumns(o.OpA, o.AView, o.BView, o.CView(o.NewC()), sums, path, null, GemmParallel.MinimumWork, null);
        RowColumnOps.SumColumns(o.BView, expected, 1.0, 0.0);
        KernelAccuracy.Same<double>(sums, expected, "column sums");
    }

    [Fact]
    public void CallsAllocateNothingAfterWarmUp()
    {
        using var threads = new KernelThreads(2);
        var workspace = new GemmWorkspace<float>();
        Operands<float> o = Operands<float>.Make(new Case(128, 256, 300, false, false, 0, 0, 0, ActivationFunction.Sigmoid, 11, GemmPath.Auto));
        float[] c = o.NewC(), sums = new float[256];
        Operands<float> t = Operands<float>.Make(new Case(300, 256, 128, true, false, 0, 0, 0, ActivationFunction.Identity, 12, GemmPath.Auto));
        float[] tc = t.NewC();
        KernelThreads?[] groups = [null, threads];
        Allocations.AssertNone(() =>
        {
            foreach (KernelThreads? group in groups)
            {
                Gemm.MultiplyBiasActivation(o.OpA, o.AView, o.OpB, o.BView, o.Bias, ActivationFunction.Tanh, o.CView(c), group, workspace);
                Gemm.MultiplyActivationBackward(o.OpA, o.AView, o.OpB, o.BView, new ReadOnlyMatrixSpan<float>(o.Output, 128, 256), ActivationFunction.Sigmoid, o.CView(c), group, workspace);
                Gemm.MultiplySumColumns(t.OpA, t.AView, t.BView, t.CView(tc), sums, group, workspace);
            }
        }, repetitions: 20);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        float[] aBuffer = new float[6], bBuffer = new float[12], cBuffer = new float[8];
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(bBuffer, 3, 4), new float[3], ActivationFunction.Relu, new MatrixSpan<float>(new float[8], 2, 4), null, null)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(bBuffer, 3, 4), cBuffer.AsSpan(4, 4), ActivationFunction.Relu, new MatrixSpan<float>(cBuffer, 2, 4), null, null)).ParamName);
        Assert.Equal("activation", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(bBuffer, 3, 4), new float[4], (ActivationFunction)9, new MatrixSpan<float>(new float[8], 2, 4), null, null)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBiasActivation(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(bBuffer, 3, 4), new float[4], ActivationFunction.Relu, new MatrixSpan<float>(new float[9], 3, 3), null, null)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyActivationBackward(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(bBuffer, 3, 4), new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), ActivationFunction.Tanh, new MatrixSpan<float>(new float[8], 2, 4), null, null)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyActivationBackward(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(bBuffer, 3, 4), new ReadOnlyMatrixSpan<float>(cBuffer, 2, 4), ActivationFunction.Tanh, new MatrixSpan<float>(cBuffer, 2, 4), null, null)).ParamName);
        Assert.Equal("columnSums", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplySumColumns(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), new ReadOnlyMatrixSpan<float>(bBuffer, 3, 4), new MatrixSpan<float>(new float[8], 2, 4), new float[3], null, null)).ParamName);
        Assert.Equal("columnSums", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplySumColumns(MatrixOperation.None, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), new ReadOnlyMatrixSpan<float>(bBuffer, 3, 4), new MatrixSpan<float>(cBuffer, 2, 4), cBuffer.AsSpan(4, 4), null, null)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplySumColumns(MatrixOperation.Transpose, new ReadOnlyMatrixSpan<float>(aBuffer, 2, 3), new ReadOnlyMatrixSpan<float>(bBuffer, 3, 4), new MatrixSpan<float>(new float[12], 3, 4), new float[4], null, null)).ParamName);
    }

    // ---- Drivers ------------------------------------------------------------------------------

    private static bool Forward<T>(Case c, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Operands<T> o = Operands<T>.Make(c);
        T[] cm = o.NewC();
        T[] before = (T[])cm.Clone();
        (double[] expected, double[] z, double[] scale) = GemmFusedReference.MultiplyBiasActivation(c.TransposeA, o.A, o.Lda, c.TransposeB, o.B, o.Ldb, o.Bias, (ReferenceActivation)c.Activation, c.M, c.N, c.K);
        Gemm.MultiplyBiasActivation(o.OpA, o.AView, o.OpB, o.BView, o.Bias, c.Activation, o.CView(cm), c.Path, threads, 0, null);

        // The product and bias within GEMM's bound (4·(k+2)·ε of the terms' magnitude), moved by f at
        // most by as much (every f here has slope ≤ 1), plus f's own error: 8 ulp of the result.
        double eps = KernelAccuracy.Epsilon<T>();
        double tolerance = 4 * (c.K + 2) * eps;
        Check(c, cm, before, o.Ldc, (i, j) =>
        {
            int e = (i * c.N) + j;
            return (expected[e], (tolerance * scale[e]) + (8 * eps * Math.Abs(expected[e])) + KernelAccuracy.MinNormal<T>());
        });
        _ = z;
        return true;
    }

    private static bool Backward<T>(Case c, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Operands<T> o = Operands<T>.Make(c);
        T[] cm = o.NewC();
        T[] before = (T[])cm.Clone();
        (double[] expected, double[] product, double[] derivative, double[] scale) =
            GemmFusedReference.MultiplyActivationBackward(c.TransposeA, o.A, o.Lda, c.TransposeB, o.B, o.Ldb, o.Output, o.Ldc, (ReferenceActivation)c.Activation, c.M, c.N, c.K);
        Gemm.MultiplyActivationBackward(o.OpA, o.AView, o.OpB, o.BView, new ReadOnlyMatrixSpan<T>(o.Output, c.M, c.N, o.Ldc), c.Activation, o.CView(cm), c.Path, threads, 0, null);

        // dA within GEMM's bound, times |f′| (computed from A in T: off by at most 2ε absolute), plus
        // the three or four roundings of the derivative's product.
        double eps = KernelAccuracy.Epsilon<T>();
        double tolerance = 4 * (c.K + 2) * eps;
        Check(c, cm, before, o.Ldc, (i, j) =>
        {
            int e = (i * c.N) + j;
            double slope = Math.Abs(derivative[e]) + (2 * eps);
            double magnitude = (tolerance * scale[e]) + Math.Abs(product[e]);
            return (expected[e], (tolerance * scale[e] * slope) + (2 * eps * magnitude) + (6 * eps * magnitude * slope) + KernelAccuracy.MinNormal<T>());
        });
        return true;
    }

    private static bool ColumnSums<T>(Case c, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Operands<T> o = Operands<T>.Make(c with { TransposeB = false });
        T[] cm = o.NewC();
        T[] before = (T[])cm.Clone();
        T[] sums = Gens.Random<T>(c.N + 1, c.Seed + 5, 1);
        T guard = sums[c.N];
        (double[] expected, double[] scale) = GemmReference.Multiply(c.TransposeA, o.A, o.Lda, false, o.B, o.Ldb, [], 0, c.M, c.N, c.K, T.One, T.Zero);
        (double[] expectedSums, double[] sumScale) = GemmFusedReference.SumColumns(o.B, o.Ldb, c.K, c.N);
        Gemm.MultiplySumColumns(o.OpA, o.AView, o.BView, o.CView(cm), sums.AsSpan(0, c.N), c.Path, threads, 0, null);
        GemmProperties.CheckAgainstReference(c.ToString(), cm, before, expected, scale, c.M, c.N, c.K, o.Ldc);
        for (int j = 0; j < c.N; j++)
        {
            KernelAccuracy.Close(sums[j], T.CreateTruncating(expectedSums[j]), c.K + 2, sumScale[j] + Math.Abs(expectedSums[j]), $"{c}: column sum {j}");
        }

        KernelAccuracy.Same(sums[c.N], guard, $"{c}: the element after the sums");
        return true;
    }

    private static void SameAcrossThreads<T>(Case c, KernelThreads two, KernelThreads three)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Operands<T> o = Operands<T>.Make(c);
        ReadOnlyMatrixSpan<T> output = new(o.Output, c.M, c.N, o.Ldc);
        T[][] forward = new T[3][], backward = new T[3][], product = new T[3][], sums = new T[3][];
        Operands<T> t = Operands<T>.Make(c with { TransposeB = false });
        KernelThreads?[] groups = [null, two, three];
        for (int g = 0; g < 3; g++)
        {
            forward[g] = o.NewC();
            backward[g] = o.NewC();
            product[g] = t.NewC();
            sums[g] = new T[c.N];
            Gemm.MultiplyBiasActivation(o.OpA, o.AView, o.OpB, o.BView, o.Bias, c.Activation, o.CView(forward[g]), GemmPath.Packed, groups[g], 0, null);
            Gemm.MultiplyActivationBackward(o.OpA, o.AView, o.OpB, o.BView, output, c.Activation, o.CView(backward[g]), GemmPath.Packed, groups[g], 0, null);
            Gemm.MultiplySumColumns(t.OpA, t.AView, t.BView, t.CView(product[g]), sums[g], GemmPath.Packed, groups[g], 0, null);
        }

        for (int g = 1; g < 3; g++)
        {
            string what = $"{typeof(T).Name} {c} on {g + 1} threads";
            KernelAccuracy.Same<T>(forward[g], forward[0], what + ", forward");
            KernelAccuracy.Same<T>(backward[g], backward[0], what + ", backward");
            KernelAccuracy.Same<T>(product[g], product[0], what + ", product with sums");
            KernelAccuracy.Same<T>(sums[g], sums[0], what + ", column sums");
        }
    }

    /// <summary>Every element of C within its bound; the padding between rows never written.</summary>
    private static void Check<T>(Case c, T[] cm, T[] before, int ldc, Func<int, int, (double Expected, double Bound)> at)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < c.M; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                int index = (i * ldc) + j;
                if (j >= c.N)
                {
                    if (!cm[index].Equals(before[index]))
                    {
                        throw new InvalidOperationException($"{typeof(T).Name} {c}: padding at ({i}, {j}) was written.");
                    }

                    continue;
                }

                (double want, double bound) = at(i, j);
                double actual = double.CreateTruncating(cm[index]);
                if (!(Math.Abs(actual - want) <= bound))
                {
                    throw new InvalidOperationException($"{typeof(T).Name} {c}: C[{i}, {j}] = {actual:R}, reference {want:R}, allowed error {bound}.");
                }
            }
        }
    }

    /// <summary>Random operands of a case: A, B (padded strides), a bias row, an activation output of C's shape in (−1, 1) (sigmoid's outputs are used in (0, 1)).</summary>
    private sealed class Operands<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public required Case Case { get; init; }

        public required T[] A { get; init; }

        public required T[] B { get; init; }

        public required T[] Bias { get; init; }

        public required T[] Output { get; init; }

        public int ARows => Case.TransposeA ? Case.K : Case.M;

        public int ACols => Case.TransposeA ? Case.M : Case.K;

        public int BRows => Case.TransposeB ? Case.N : Case.K;

        public int BCols => Case.TransposeB ? Case.K : Case.N;

        public int Lda => ACols + Case.PadA;

        public int Ldb => BCols + Case.PadB;

        public int Ldc => Case.N + Case.PadC;

        public MatrixOperation OpA => Case.TransposeA ? MatrixOperation.Transpose : MatrixOperation.None;

        public MatrixOperation OpB => Case.TransposeB ? MatrixOperation.Transpose : MatrixOperation.None;

        public ReadOnlyMatrixSpan<T> AView => new(A, ARows, ACols, Lda);

        public ReadOnlyMatrixSpan<T> BView => new(B, BRows, BCols, Ldb);

        public static Operands<T> Make(Case c)
        {
            int aRows = c.TransposeA ? c.K : c.M, aCols = c.TransposeA ? c.M : c.K;
            int bRows = c.TransposeB ? c.N : c.K, bCols = c.TransposeB ? c.K : c.N;
            int ldc = c.N + c.PadC;
            T[] output = Gens.Random<T>(Math.Max(1, c.M * ldc), c.Seed + 3, 1);
            if (c.Activation == ActivationFunction.Sigmoid)
            {
                for (int i = 0; i < output.Length; i++)
                {
                    output[i] = T.Abs(output[i]);
                }
            }

            return new Operands<T>
            {
                Case = c,
                A = Gens.Random<T>(Math.Max(1, aRows * (aCols + c.PadA)), c.Seed, 1),
                B = Gens.Random<T>(Math.Max(1, bRows * (bCols + c.PadB)), c.Seed + 1, 1),
                Bias = Gens.Random<T>(c.N, c.Seed + 4, 1),
                Output = output,
            };
        }

        /// <summary>A C buffer full of NaN (which must not survive: the fused forms overwrite C).</summary>
        public T[] NewC()
        {
            T[] c = new T[Math.Max(1, Case.M * Ldc)];
            Array.Fill(c, T.NaN);
            return c;
        }

        public MatrixSpan<T> CView(T[] c) => new(c, Case.M, Case.N, Ldc);
    }
}
