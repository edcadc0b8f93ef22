using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Kernels;

public class GemmProperties
{
    private static readonly int[] Widths = [512, 256, 128, 0];

    /// <summary>One random product: shapes up to about three micro-tiles in each dimension.</summary>
    internal sealed record Case(int M, int N, int K, bool TransposeA, bool TransposeB, int PadA, int PadB, int PadC, double Alpha, double Beta, int Seed, GemmPath Path)
    {
        public override string ToString() =>
            $"{M}×{N}×{K} op(A)={(TransposeA ? "T" : "N")} op(B)={(TransposeB ? "T" : "N")} pads=({PadA},{PadB},{PadC}) α={Alpha} β={Beta} seed={Seed} path={Path}";
    }

    private static Gen<double> Scalar =>
        Gen.Frequency((3, Gen.Constant(1.0)), (1, Gen.Constant(0.0)), (1, Gen.Constant(-1.0)), (3, Gens.FiniteDouble(2.5)));

    internal static Gen<Case> Cases<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        from m in Gen.Choose(0, (3 * GemmPacked.MR<T>()) + 3)
        from n in Gen.Choose(0, (3 * GemmPacked.NR<T>()) + 3)
        from k in Gen.Choose(0, 70)
        from ta in Gen.Elements(false, true)
        from tb in Gen.Elements(false, true)
        from pads in Gen.Choose(0, 3).Three()
        from alpha in Scalar
        from beta in Scalar
        from seed in Gens.Seed
        from path in Gen.Elements(GemmPath.Auto, GemmPath.Packed, GemmPath.Unpacked)
        select new Case(m, n, k, ta, tb, pads.Item1, pads.Item2, pads.Item3, alpha, beta, seed, path);

    [SizedProperty(MaxTest = 300)]
    public Property FloatEqualsReference() => Prop.ForAll(Cases<float>().ToArbitrary(), c => Run<float>(c, nanInC: false));

    [SizedProperty(MaxTest = 300)]
    public Property DoubleEqualsReference() => Prop.ForAll(Cases<double>().ToArbitrary(), c => Run<double>(c, nanInC: false));

    [SizedProperty(MaxTest = 100)]
    public Property BetaZeroOverwritesNaN() =>
        Prop.ForAll(Cases<float>().Select(c => c with { Beta = 0 }).ToArbitrary(), c => Run<float>(c, nanInC: true));

    /// <summary>Shapes that cross the KC, NC and MC block edges, where a fresh β and new packing start.</summary>
    [Theory]
    [InlineData(9, 17, 513, false, false)]
    [InlineData(9, 17, 1025, true, false)]
    [InlineData(130, 33, 257, false, true)]
    [InlineData(17, 257, 40, true, true)]
    [InlineData(129, 300, 520, false, false)]
    [InlineData(64, 520, 300, false, true)]
    [InlineData(9, 1100, 33, false, true)]
    [InlineData(17, 2060, 20, true, false)]
    public void BlockEdgesEqualReference(int m, int n, int k, bool ta, bool tb)
    {
        foreach (GemmPath path in new[] { GemmPath.Packed, GemmPath.Unpacked })
        {
            Assert.True(Run<float>(new Case(m, n, k, ta, tb, 1, 2, 3, 1.5, 0.5, 42, path), nanInC: false), $"float {path}");
            Assert.True(Run<double>(new Case(m, n, k, ta, tb, 1, 0, 2, -0.75, 1, 43, path), nanInC: false), $"double {path}");
        }
    }

    /// <summary>
    /// The narrow paths (fewer columns than a vector): every narrow N, depths around the staging limit,
    /// row counts around the last row stored as a whole vector, all four operations, C dense with β = 0
    /// (NaN in C, which must not survive) or padded or β ≠ 0; the elements after C must stay untouched.
    /// </summary>
    [Fact]
    public void NarrowColumnsEqualReference()
    {
        NarrowColumns<float>();
        NarrowColumns<double>();
    }

    /// <summary>
    /// The packed path runs the micro-kernel of <see cref="KernelSimd.VectorBits"/> and no other, and
    /// that width is what the environment asked for (CI runs this under BACKPROP_VECTOR_BITS=512,
    /// 256, 128, 0 and the DOTNET_Enable* switches), so a green run at a setting proves that
    /// setting's kernel ran.
    /// </summary>
    [Fact]
    public void TheChosenKernelRuns()
    {
        int bits = KernelSimd.VectorBits;
        string? pinned = Environment.GetEnvironmentVariable(KernelSimd.EnvironmentVariable);
        if (!string.IsNullOrEmpty(pinned))
        {
            Assert.Equal(Math.Min(int.Parse(pinned, System.Globalization.CultureInfo.InvariantCulture), KernelSimd.HardwareBits), bits);
        }

        if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0")
        {
            Assert.Equal(0, bits);
        }

        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
        {
            Assert.True(bits <= 256, $"{bits}");
        }

        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0")
        {
            // .NET 10 disables FMA3 with AVX2 (one x86-64-v3 group): this is CI's no-FMA leg, and the
            // 128-bit kernel must then be the separate multiply-add one.
            Assert.True(bits <= 128, $"{bits}");
            Assert.False(KernelSimd.FusedMultiplyAdd);
            Assert.EndsWith("multiply+add", GemmPacked.KernelName<double>(), StringComparison.Ordinal);
        }

        Assert.StartsWith(bits == 0 ? "scalar " : $"{bits}-bit ", GemmPacked.KernelName<float>(), StringComparison.Ordinal);
        long[] before = [.. Widths.Select(GemmPacked.CallsOnThisThread)];
        Assert.True(Run<float>(new Case(40, 50, 60, false, false, 0, 0, 0, 1, 0, 3, GemmPath.Packed), nanInC: false));
        Assert.True(Run<double>(new Case(40, 50, 60, true, true, 0, 0, 0, 1, 0, 4, GemmPath.Packed), nanInC: false));
        long[] after = [.. Widths.Select(GemmPacked.CallsOnThisThread)];
        for (int i = 0; i < Widths.Length; i++)
        {
            Assert.Equal(Widths[i] == bits ? before[i] + 2 : before[i], after[i]);
        }
    }

    [Fact]
    public void SameInputsGiveIdenticalBits()
    {
        float[] a = Gens.Random<float>(70 * 90, 1, 1), b = Gens.Random<float>(90 * 110, 2, 1);
        float[] c1 = new float[70 * 110], c2 = new float[70 * 110];
        Gemm.Multiply(new ReadOnlyMatrixSpan<float>(a, 70, 90), new ReadOnlyMatrixSpan<float>(b, 90, 110), new MatrixSpan<float>(c1, 70, 110));
        Gemm.Multiply(new ReadOnlyMatrixSpan<float>(a, 70, 90), new ReadOnlyMatrixSpan<float>(b, 90, 110), new MatrixSpan<float>(c2, 70, 110));
        Assert.Equal(c1, c2);
    }

    [Fact]
    public void InnerDimensionMismatchNamesB()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), new ReadOnlyMatrixSpan<float>(new float[8], 4, 2), new MatrixSpan<float>(new float[4], 2, 2)));
        Assert.Equal("b", e.ParamName);
        Assert.Contains("op(A) is 2×3 but op(B) is 4×2: the inner dimensions differ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongResultShapeNamesC()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(MatrixOperation.Transpose, new ReadOnlyMatrixSpan<double>(new double[6], 3, 2), MatrixOperation.None, new ReadOnlyMatrixSpan<double>(new double[6], 3, 2), new MatrixSpan<double>(new double[6], 3, 2), 1, 0));
        Assert.Equal("c", e.ParamName);
        Assert.Contains("Expected C to be 2×2", e.Message, StringComparison.Ordinal);
        Assert.Contains("got 3×2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OverlappingResultNamesC()
    {
        float[] buffer = new float[16];
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(new ReadOnlyMatrixSpan<float>(buffer, 2, 2), new ReadOnlyMatrixSpan<float>(buffer.AsSpan(8), 2, 2), new MatrixSpan<float>(buffer.AsSpan(2), 2, 2)));
        Assert.Equal("c", e.ParamName);
    }

    [Fact]
    public void UndefinedOperationNamesIt()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Multiply((MatrixOperation)7, new ReadOnlyMatrixSpan<float>(new float[4], 2, 2), MatrixOperation.None, new ReadOnlyMatrixSpan<float>(new float[4], 2, 2), new MatrixSpan<float>(new float[4], 2, 2), 1f, 0f));
        Assert.Equal("operationA", e.ParamName);
        Assert.Contains("Expected MatrixOperation.None or MatrixOperation.Transpose", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedElementTypeThrows() =>
        Assert.Throws<NotSupportedException>(() =>
            Gemm.Multiply(new ReadOnlyMatrixSpan<Half>(new Half[1], 1, 1), new ReadOnlyMatrixSpan<Half>(new Half[1], 1, 1), new MatrixSpan<Half>(new Half[1], 1, 1)));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CallsAllocateNothingAfterWarmUp(bool packed)
    {
        GemmPath path = packed ? GemmPath.Packed : GemmPath.Unpacked;
        float[] a = Gens.Random<float>(100 * 300, 1, 1), b = Gens.Random<float>(300 * 70, 2, 1), c = new float[100 * 70];
        double[] ad = Gens.Random<double>(100 * 300, 1, 1), bd = Gens.Random<double>(300 * 70, 2, 1), cd = new double[100 * 70];
        long bytes = Allocations.Measure(() =>
        {
            for (MatrixOperation op = MatrixOperation.None; op <= MatrixOperation.Transpose; op++)
            {
                var aView = op == MatrixOperation.None ? new ReadOnlyMatrixSpan<float>(a, 100, 300) : new ReadOnlyMatrixSpan<float>(a, 300, 100);
                Gemm.Multiply(op, aView, MatrixOperation.None, new ReadOnlyMatrixSpan<float>(b, 300, 70), new MatrixSpan<float>(c, 100, 70), 1f, 0.5f, path);
                Gemm.Multiply(MatrixOperation.None, new ReadOnlyMatrixSpan<double>(ad, 100, 300), op, op == MatrixOperation.None ? new ReadOnlyMatrixSpan<double>(bd, 300, 70) : new ReadOnlyMatrixSpan<double>(bd, 70, 300), new MatrixSpan<double>(cd, 100, 70), 1, 0, path);
            }
        }, repetitions: 20);
        Assert.Equal(0, bytes);
    }

    private static void NarrowColumns<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(7);
        int[] depths = [1, 2, 3, 5, GemmUnpacked.NarrowMaxDepth, GemmUnpacked.NarrowMaxDepth + 1, 70];
        int[] rowCounts = [1, 2, 3, 4, 5, 7, 9, 17, 130];
        for (int n = 1; n < Math.Max(Vector<T>.Count, 4); n++)
        {
            foreach (int k in depths)
            {
                foreach (int m in rowCounts)
                {
                    for (int op = 0; op < 4; op++)
                    {
                        bool dense = random.Next(3) != 0;
                        double beta = random.Next(3) == 0 ? 0.5 : 0;
                        double alpha = random.Next(3) switch { 0 => 1, 1 => -1.5, _ => 0.75 };
                        var c = new Case(m, n, k, (op & 1) != 0, (op & 2) != 0, random.Next(2), random.Next(2), dense ? 0 : 1 + random.Next(2), alpha, beta, random.Next(), GemmPath.Unpacked);
                        Assert.True(Run<T>(c, nanInC: beta == 0, guard: Vector<T>.Count));
                    }
                }
            }
        }
    }

    private static bool Run<T>(Case c, bool nanInC, int guard = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int aRows, int aCols) = c.TransposeA ? (c.K, c.M) : (c.M, c.K);
        (int bRows, int bCols) = c.TransposeB ? (c.N, c.K) : (c.K, c.N);
        int lda = aCols + c.PadA, ldb = bCols + c.PadB, ldc = c.N + c.PadC;
        T[] a = Gens.Random<T>(Math.Max(1, aRows * lda), c.Seed, 1);
        T[] b = Gens.Random<T>(Math.Max(1, bRows * ldb), c.Seed + 1, 1);
        T[] cm = Gens.Random<T>(Math.Max(1, c.M * ldc) + guard, c.Seed + 2, 1);
        if (nanInC)
        {
            Array.Fill(cm, T.NaN);
        }

        T[] before = (T[])cm.Clone();
        T alpha = T.CreateTruncating(c.Alpha), beta = T.CreateTruncating(c.Beta);
        (double[] expected, double[] scale) = GemmReference.Multiply(c.TransposeA, a, lda, c.TransposeB, b, ldb, cm, ldc, c.M, c.N, c.K, alpha, beta);

        Gemm.Multiply(
            c.TransposeA ? MatrixOperation.Transpose : MatrixOperation.None,
            new ReadOnlyMatrixSpan<T>(a, aRows, aCols, lda),
            c.TransposeB ? MatrixOperation.Transpose : MatrixOperation.None,
            new ReadOnlyMatrixSpan<T>(b, bRows, bCols, ldb),
            new MatrixSpan<T>(cm, c.M, c.N, ldc),
            alpha,
            beta,
            c.Path);

        for (int index = cm.Length - guard; index < cm.Length; index++)
        {
            if (!cm[index].Equals(before[index]))
            {
                throw new InvalidOperationException($"{c}: element {index} after C was written.");
            }
        }

        CheckAgainstReference(c.ToString(), cm, before, expected, scale, c.M, c.N, c.K, ldc);
        return true;
    }

    /// <summary>
    /// C (row stride <paramref name="ldc"/>) against the reference: every element within
    /// 4·(k+2)·ε of its term magnitude <paramref name="scale"/>, and the padding between rows untouched.
    /// </summary>
    internal static void CheckAgainstReference<T>(string what, T[] cm, T[] before, double[] expected, double[] scale, int m, int n, int k, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double tolerance = 4 * (k + 2) * KernelAccuracy.Epsilon<T>();
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                int index = (i * ldc) + j;
                if (j >= n)
                {
                    // Padding between rows is never written.
                    if (!cm[index].Equals(before[index]))
                    {
                        throw new InvalidOperationException($"{typeof(T).Name} {what}: padding at ({i}, {j}) was written.");
                    }

                    continue;
                }

                double actual = double.CreateTruncating(cm[index]);
                double want = expected[(i * n) + j];
                double bound = (tolerance * scale[(i * n) + j]) + double.Epsilon;
                if (!(Math.Abs(actual - want) <= bound))
                {
                    throw new InvalidOperationException($"{typeof(T).Name} {what}: C[{i}, {j}] = {actual:R}, reference {want:R}, allowed error {bound}.");
                }
            }
        }
    }
}
