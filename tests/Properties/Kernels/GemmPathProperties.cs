using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Kernels;

/// <summary>
/// GEMM at every block edge of every width's kernel and on both paths: M, N and K are drawn from the
/// values just below, at and above the micro-tile (MR, NR of this process's kernel), the cache
/// blocks of every kernel (MC 128 and 144, KC 128 and 256, NC 1024), the small-path cut-offs (K = 4,
/// N around <see cref="Vector{T}.Count"/>) and 1, with every transpose combination, padded strides,
/// random α and β and extreme but finite entries (magnitudes from 2⁻²⁰ to 2²⁰ in one product), on the
/// packed path, the unpacked path and the automatic choice. The comparison is relative to each
/// element's Σ|α·a·b| + |β·c|, as in <see cref="GemmProperties"/>.
/// </summary>
public class GemmPathProperties
{
    internal sealed record Case(int M, int N, int K, bool TransposeA, bool TransposeB, int Pad, double Alpha, double Beta, int Seed, GemmPath Path)
    {
        public override string ToString() =>
            $"{M}×{N}×{K} op(A)={(TransposeA ? "T" : "N")} op(B)={(TransposeB ? "T" : "N")} pad={Pad} α={Alpha} β={Beta} seed={Seed} path={Path}";
    }

    private static Gen<int> Around(params int[] edges) =>
        Gen.Elements(edges.SelectMany(e => new[] { e - 1, e, e + 1 }).Where(v => v >= 1).Distinct().ToArray());

    internal static Gen<Case> Cases<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Work per case (M·N·K multiply-adds, done again in double by the reference) is capped by the size.
        long budget = PropertySize.Shapes(quick: 300_000, ci: 1_500_000, soak: 6_000_000);
        int mr = GemmPacked.MR<T>(), nr = GemmPacked.NR<T>(), lanes = Vector<T>.Count;
        return (from m in Around(1, mr, 2 * mr, 128, 144)
                from n in Around(1, nr, 2 * nr, lanes, 1024)
                from k in Around(1, 4, 128, 256, 512)
                from ta in Gen.Elements(false, true)
                from tb in Gen.Elements(false, true)
                from pad in Gen.Choose(0, 3)
                from alpha in Gen.Elements(1.0, -1.0, 0.5, 1.75)
                from beta in Gen.Elements(0.0, 1.0, -0.5)
                from seed in Gens.Seed
                from path in Gen.Elements(GemmPath.Auto, GemmPath.Packed, GemmPath.Unpacked)
                select new Case(m, n, k, ta, tb, pad, alpha, beta, seed, path))
            .Where(c => (long)c.M * c.N * c.K <= budget);
    }

    [SizedProperty(MaxTest = 60)]
    public Property EveryBlockEdgeOnBothPathsEqualsReference() =>
        Prop.ForAll(Cases<float>().ToArbitrary(), Cases<double>().ToArbitrary(), (f, d) => Run<float>(f) && Run<double>(d));

    private static T[] Entries<T>(int length, Random random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            double magnitude = Math.ScaleB(1, random.Next(-20, 21));
            values[i] = T.CreateTruncating(random.Next(8) == 0 ? 0 : ((random.NextDouble() * 2) - 1) * magnitude);
        }

        return values;
    }

    private static bool Run<T>(Case c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(c.Seed);
        (int aRows, int aCols) = c.TransposeA ? (c.K, c.M) : (c.M, c.K);
        (int bRows, int bCols) = c.TransposeB ? (c.N, c.K) : (c.K, c.N);
        int lda = aCols + c.Pad, ldb = bCols + c.Pad, ldc = c.N + c.Pad;
        T[] a = Entries<T>(aRows * lda, random), b = Entries<T>(bRows * ldb, random), cm = Entries<T>(c.M * ldc, random);
        if (c.Beta == 0)
        {
            Array.Fill(cm, T.NaN); // β = 0 overwrites: nothing of the old C may survive
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

        GemmProperties.CheckAgainstReference(c.ToString(), cm, before, expected, scale, c.M, c.N, c.K, ldc);
        return true;
    }
}
