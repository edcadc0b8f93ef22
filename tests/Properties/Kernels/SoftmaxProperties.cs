using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using static Backprop.Properties.Kernels.KernelAccuracy;
using static Backprop.Properties.Support.Refusals;

namespace Backprop.Properties.Kernels;

/// <summary>Row-wise softmax and log-softmax: reference agreement at every row length, strides, in place, and extreme logits.</summary>
/// <remarks>
/// Tolerance for a row of n entries: (n + 8)·ε. Each exponential is within 2 ulp (vector) or 1 ulp
/// (reference) of e^x; the row sums add n positive terms in different orders, each sum within
/// (n − 1)·ε/2 relative of the exact one; the division or logarithm adds one rounding. Softmax entries
/// are compared relative to themselves; log-softmax entries, (z − m) − log Σ, relative to
/// 1 + |expected|: z − m ≤ 0 is rounded once (ε/2 of itself) and log Σ ≥ 0 carries the sum's error
/// as an absolute one, and the two have opposite signs, so nothing cancels and the tolerance does not
/// grow with |z| (see <see cref="LogForwardIsExactAtExtremeLogits"/>).
/// </remarks>
public class SoftmaxProperties
{
    private static Arbitrary<int> Seeds => Gens.Seed.ToArbitrary();

    [SizedProperty(MaxTest = 25)]
    public Property ForwardMatchesReference() =>
        Prop.ForAll(Seeds, seed => Matches<float>(seed, 30, log: false) && Matches<double>(seed, 300, log: false));

    [SizedProperty(MaxTest = 25)]
    public Property LogForwardMatchesReference() =>
        Prop.ForAll(Seeds, seed => Matches<float>(seed, 30, log: true) && Matches<double>(seed, 300, log: true));

    [SizedProperty(MaxTest = 10)]
    public Property NarrowRowsMatchReferenceAcrossChunks() =>
        Prop.ForAll(Seeds, seed => NarrowMatches<float>(seed, log: false) && NarrowMatches<float>(seed, log: true) && NarrowMatches<double>(seed, log: false) && NarrowMatches<double>(seed, log: true));

    /// <summary>Rows sum to 1 with every entry in [0, 1], and log-softmax is finite and ≤ 0, for logits up to ±1e4 (float) and ±1e300 (double).</summary>
    [SizedProperty(MaxTest = 25)]
    public Property ExtremeLogitsStayFiniteAndNormalised() =>
        Prop.ForAll(Seeds, seed => Normalised<float>(seed, 1e4) && Normalised<double>(seed, 1e300));

    /// <summary>
    /// Log-softmax at logits near ±1e4 (float) and ±1e300 (double): rows of n equal logits give −ln n,
    /// and rows of c − kⱼ (kⱼ small, so the differences are exact) give (−kⱼ + k_min) − ln Σ e^(k_min − kₗ),
    /// evaluated in double from the differences alone, within (n + 8)·ε·(1 + |expected|): a bound that
    /// does not depend on c. (<c>z − (m + log Σ)</c> fails this: the sum with m rounds log Σ away.)
    /// </summary>
    [SizedProperty(MaxTest = 25)]
    public Property LogForwardIsExactAtExtremeLogits() =>
        Prop.ForAll(Seeds, seed => ExtremeLog<float>(seed, 1e4) && ExtremeLog<double>(seed, 1e300));

    [Fact]
    public void BadArgumentsThrowNamingTheParameter()
    {
        float[] buffer = new float[20];
        AssertParam("destination", () => Softmax.Forward(new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), new MatrixSpan<float>(new float[6], 3, 2)));
        AssertParam("logits", () => Softmax.LogForward(new ReadOnlyMatrixSpan<float>(new float[6], 2, 0), new MatrixSpan<float>(new float[6], 2, 0)));
        AssertParam("destination", () => Softmax.Forward(new ReadOnlyMatrixSpan<float>(buffer, 2, 3), new MatrixSpan<float>(buffer.AsSpan(1), 2, 3)));
        AssertParam("destination", () => Softmax.LogForward(new ReadOnlyMatrixSpan<float>(buffer, 2, 3, 4), new MatrixSpan<float>(buffer, 2, 3, 3)));
    }

    /// <summary>Element types other than float and double are refused with a message naming the type and what is supported, and a matrix without columns with one saying it needs a column.</summary>
    [Fact]
    public void RefusalsSayWhatWasExpected()
    {
        Half[] h = new Half[6], d = new Half[6];
        foreach (Action call in new Action[]
        {
            () => Softmax.Forward(new ReadOnlyMatrixSpan<Half>(h, 2, 3), new MatrixSpan<Half>(d, 2, 3)),
            () => Softmax.LogForward(new ReadOnlyMatrixSpan<Half>(h, 2, 3), new MatrixSpan<Half>(d, 2, 3)),
        })
        {
            NotSupportedException e = Assert.Throws<NotSupportedException>(call);
            Assert.Contains("Half", e.Message, StringComparison.Ordinal);
            Assert.Contains("float or double", e.Message, StringComparison.Ordinal);
        }

        ArgumentException columns = Assert.ThrowsAny<ArgumentException>(() => Softmax.Forward(new ReadOnlyMatrixSpan<float>(new float[6], 2, 0), new MatrixSpan<float>(new float[6], 2, 0)));
        Assert.Contains("column", columns.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Rows longer than a narrow chunk's scratch (<c>Softmax.ChunkElements</c>) against the reference:
    /// only the row-by-row form can take them (a chunk would hold no row).
    /// </summary>
    [SizedProperty(MaxTest = 3)]
    public Property RowsLongerThanANarrowChunkMatchReference() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            foreach (int n in new[] { Softmax.ChunkElements + 1, Softmax.ChunkElements + 77 })
            {
                MatchesCase<float>(random, n, 2, 30, log: false);
                MatchesCase<double>(random, n, 2, 30, log: true);
            }

            return true;
        });

    /// <summary>
    /// Narrow rows (chunked forms) in a view whose span ends at its last element, with padding wider
    /// than any slack, at row counts that fill whole chunks: the same results, bit for bit, as the
    /// dense layout (the chunks depend only on the shape).
    /// </summary>
    [SizedProperty(MaxTest = 5)]
    public Property NarrowRowsOnATightSpanEqualTheDenseLayout() =>
        Prop.ForAll(Seeds, seed => TightSpan<float>(seed) && TightSpan<double>(seed));

    /// <summary>A matrix without rows is nothing to do, whatever its column count (0 included): no exception, nothing written.</summary>
    /// <remarks>
    /// A 0×0 matrix passes Validate (only rows &gt; 0 with no columns is refused) and
    /// <c>Softmax.RowsPerChunk(0)</c> divided by zero until 1 December (found by the mutant
    /// <c>logits.Rows &gt; 0</c> → <c>logits.Rows &gt;= 0</c> in Validate; docs/MUTATION.md).
    /// </remarks>
    [Fact]
    public void MatricesWithoutRowsAreNoOps()
    {
        foreach (int columns in new[] { 0, 1, 3, 40 })
        {
            Softmax.Forward(new ReadOnlyMatrixSpan<float>([], 0, columns), new MatrixSpan<float>([], 0, columns));
            Softmax.LogForward(new ReadOnlyMatrixSpan<double>([], 0, columns), new MatrixSpan<double>([], 0, columns));
        }
    }

    [Fact]
    public void KernelsDoNotAllocate()
    {
        float[] z = Gens.Random<float>(1000, 1, 5);
        float[] p = new float[1000];
        double[] zd = Gens.Random<double>(1000, 2, 5);
        Allocations.AssertNone(() => Softmax.Forward(new ReadOnlyMatrixSpan<float>(z, 10, 100), new MatrixSpan<float>(p, 10, 100)));
        Allocations.AssertNone(() => Softmax.LogForward(new ReadOnlyMatrixSpan<double>(zd, 10, 90, 100), new MatrixSpan<double>(zd, 10, 90, 100)));
    }

    private static bool Matches<T>(int seed, double range, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>(from: 1))
        {
            MatchesCase<T>(random, n, random.Next(1, 4), range, log);
        }

        return true;
    }

    /// <summary>Rows shorter than a vector take the chunked narrow forms: every narrow width, at row counts that end a chunk early, exactly, or one row into the next.</summary>
    private static bool NarrowMatches<T>(int seed, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        for (int n = 1; n < WidestLanes<T>(); n++)
        {
            int chunk = Softmax.RowsPerChunk(n);
            foreach (int rows in new[] { 1, 2, WidestLanes<T>() + 1, chunk - 1, chunk, chunk + 1, (2 * chunk) + 3 })
            {
                MatchesCase<T>(random, n, rows, 30, log);
            }
        }

        return true;
    }

    private static void MatchesCase<T>(Random random, int n, int rows, double range, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        {
            int stride = n + random.Next(3);
            bool inPlace = random.Next(2) == 0;
            T[] dense = Gens.RandomWithEdges<T>(rows * n, random.Next(), range);
            T[] z = Strided<T>(dense, rows, n, stride);
            T[] d = inPlace ? z : Strided<T>(new T[rows * n], rows, n, stride);
            if (log)
            {
                Softmax.LogForward(new ReadOnlyMatrixSpan<T>(z, rows, n, stride), new MatrixSpan<T>(d, rows, n, stride));
            }
            else
            {
                Softmax.Forward(new ReadOnlyMatrixSpan<T>(z, rows, n, stride), new MatrixSpan<T>(d, rows, n, stride));
            }

            T[] expected = new T[n];
            for (int i = 0; i < rows; i++)
            {
                ReadOnlySpan<T> zi = dense.AsSpan(i * n, n);
                double max = double.CreateTruncating(SoftmaxReference.Max(zi));
                if (log)
                {
                    SoftmaxReference.LogForward(zi, expected);
                }
                else
                {
                    SoftmaxReference.Forward(zi, expected);
                }

                for (int j = 0; j < n; j++)
                {
                    double e = double.Abs(double.CreateTruncating(expected[j]));
                    double scale = log ? 1 + e : e;
                    Close(d[(i * stride) + j], expected[j], n + 8, scale, $"{typeof(T).Name} {rows}×{n} stride {stride} in place {inPlace}, [{i}, {j}]");
                }
            }

            RequirePaddingUntouched(d, rows, n, stride, $"{typeof(T).Name} n={n}");
        }
    }

    private static bool TightSpan<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        for (int n = 1; n < WidestLanes<T>(); n++)
        {
            int rows = Softmax.RowsPerChunk(n) * random.Next(1, 3);
            int stride = n + 7;
            T[] dense = Gens.Random<T>(rows * n, random.Next(), 30);
            T[] tight = Strided<T>(dense, rows, n, stride)[..(((rows - 1) * stride) + n)];
            foreach (bool log in new[] { false, true })
            {
                T[] expected = new T[rows * n];
                T[] actual = new T[tight.Length];
                if (log)
                {
                    Softmax.LogForward(new ReadOnlyMatrixSpan<T>(dense, rows, n), new MatrixSpan<T>(expected, rows, n));
                    Softmax.LogForward(new ReadOnlyMatrixSpan<T>(tight, rows, n, stride), new MatrixSpan<T>(actual, rows, n, stride));
                }
                else
                {
                    Softmax.Forward(new ReadOnlyMatrixSpan<T>(dense, rows, n), new MatrixSpan<T>(expected, rows, n));
                    Softmax.Forward(new ReadOnlyMatrixSpan<T>(tight, rows, n, stride), new MatrixSpan<T>(actual, rows, n, stride));
                }

                for (int i = 0; i < rows; i++)
                {
                    Same<T>(actual.AsSpan(i * stride, n), expected.AsSpan(i * n, n), $"{typeof(T).Name} {rows}×{n} stride {stride}, log {log}, row {i}");
                }
            }
        }

        return true;
    }

    private static bool ExtremeLog<T>(int seed, double magnitude)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>(from: 1))
        {
            const int Rows = 3;
            T[] z = new T[Rows * n];
            double[] offsets = new double[Rows * n];
            for (int i = 0; i < Rows; i++)
            {
                // Row 0: all equal. Rows 1, 2: c minus small multiples of c's own ulp scale, which are
                // exact differences (both operands within a factor of two: Sterbenz).
                double c = magnitude * (0.5 + (0.5 * random.NextDouble())) * (random.Next(2) == 0 ? 1 : -1);
                T ct = T.CreateTruncating(c);
                double unit = double.CreateTruncating(T.BitIncrement(T.Abs(ct)) - T.Abs(ct)) * 64;
                for (int j = 0; j < n; j++)
                {
                    int k = i == 0 ? 0 : random.Next(i == 1 ? 3 : 40);
                    z[(i * n) + j] = ct - T.CreateTruncating(k * unit);
                    offsets[(i * n) + j] = double.CreateTruncating(z[(i * n) + j] - ct);
                }
            }

            T[] l = new T[Rows * n];
            Softmax.LogForward(new ReadOnlyMatrixSpan<T>(z, Rows, n), new MatrixSpan<T>(l, Rows, n));
            for (int i = 0; i < Rows; i++)
            {
                ReadOnlySpan<double> row = offsets.AsSpan(i * n, n);
                double max = row.ToArray().Max();
                double sum = 0;
                foreach (double o in row)
                {
                    sum += Math.Exp(o - max);
                }

                for (int j = 0; j < n; j++)
                {
                    double expected = (row[j] - max) - Math.Log(sum);
                    if (i == 0)
                    {
                        Require(expected == -Math.Log(n), "row of equal logits");
                    }

                    Close(l[(i * n) + j], T.CreateTruncating(expected), n + 8, 1 + double.Abs(expected), $"{typeof(T).Name} n={n} row {i} c≈{double.CreateTruncating(z[i * n]):R}, [{j}]");
                }
            }
        }

        return true;
    }

    private static bool Normalised<T>(int seed, double range)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>(from: 1))
        {
            T[] z = Gens.RandomWithEdges<T>(2 * n, random.Next(), range);
            T[] p = new T[2 * n];
            T[] l = new T[2 * n];
            Softmax.Forward(new ReadOnlyMatrixSpan<T>(z, 2, n), new MatrixSpan<T>(p, 2, n));
            Softmax.LogForward(new ReadOnlyMatrixSpan<T>(z, 2, n), new MatrixSpan<T>(l, 2, n));
            for (int i = 0; i < 2; i++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++)
                {
                    double pj = double.CreateTruncating(p[(i * n) + j]);
                    double lj = double.CreateTruncating(l[(i * n) + j]);
                    Require(pj is >= 0 and <= 1, $"{typeof(T).Name} n={n}: p = {pj}");
                    Require(double.IsFinite(lj) && lj <= 0, $"{typeof(T).Name} n={n}: log p = {lj}");
                    sum += pj;
                }

                Close(T.CreateTruncating(sum), T.One, n + 8, 1, $"{typeof(T).Name} n={n}: row sum");
            }
        }

        return true;
    }
}
