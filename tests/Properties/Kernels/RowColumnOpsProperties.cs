using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using static Backprop.Properties.Kernels.KernelAccuracy;
using static Backprop.Properties.Support.Refusals;

namespace Backprop.Properties.Kernels;

/// <summary>
/// Bias add, column sums and row arg-max against <see cref="RowColumnOpsReference"/>, at every column count
/// up to 3·(512-bit lanes) + 3 (every tail at every width), with strides. All exact: the kernels add each column's elements in
/// row order, as the reference does, with the same IEEE operations.
/// </summary>
public class RowColumnOpsProperties
{
    private static Arbitrary<int> Seeds => Gens.Seed.ToArbitrary();

    [SizedProperty(MaxTest = 25)]
    public Property AddRowVectorMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed => AddRowVectorMatches<float>(seed) && AddRowVectorMatches<double>(seed));

    [SizedProperty(MaxTest = 25)]
    public Property SumColumnsMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed => SumColumnsMatches<float>(seed) && SumColumnsMatches<double>(seed));

    [SizedProperty(MaxTest = 25)]
    public Property NarrowRowsMatchReferenceExactly() =>
        Prop.ForAll(Seeds, seed => NarrowMatches<float>(seed) && NarrowMatches<double>(seed));

    /// <summary>Arg-max with many ties (values from a small set), both zeros, and NaN sprinkled in.</summary>
    [SizedProperty(MaxTest = 25)]
    public Property ArgMaxRowsMatchesReference() =>
        Prop.ForAll(Seeds, seed => ArgMaxMatches<float>(seed) && ArgMaxMatches<double>(seed));

    [Fact]
    public void SumColumnsWithZeroBetaIgnoresNaNInTheDestination()
    {
        int n = (2 * WidestLanes<float>()) + 3;
        float[] destination = new float[n];
        destination.AsSpan().Fill(float.NaN);
        RowColumnOps.SumColumns(new ReadOnlyMatrixSpan<float>(new float[2 * n], 2, n), destination, 1f, 0f);
        Assert.All(destination, v => Assert.Equal(0f, v));
    }

    /// <summary>Only float and double: another IEEE type is refused by name, not run through the scalar loops.</summary>
    [Fact]
    public void OtherElementTypesAreRefused()
    {
        foreach (Action call in new Action[]
        {
            () => RowColumnOps.AddRowVector(new MatrixSpan<Half>(new Half[6], 2, 3), new Half[3]),
            () => RowColumnOps.SumColumns(new ReadOnlyMatrixSpan<Half>(new Half[6], 2, 3), new Half[3], Half.One, Half.Zero),
            () => RowColumnOps.ArgMaxRows(new ReadOnlyMatrixSpan<Half>(new Half[6], 2, 3), new int[2]),
        })
        {
            NotSupportedException e = Assert.Throws<NotSupportedException>(call);
            Assert.Contains("Half", e.Message, StringComparison.Ordinal);
            Assert.Contains("float or double", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BadArgumentsThrowNamingTheParameter()
    {
        float[] buffer = new float[20];
        AssertParam("row", () => RowColumnOps.AddRowVector(new MatrixSpan<float>(new float[6], 2, 3), new float[4]));
        AssertParam("row", () => RowColumnOps.AddRowVector(new MatrixSpan<float>(buffer, 2, 3), buffer.AsSpan(4, 3)));
        AssertParam("destination", () => RowColumnOps.SumColumns(new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), new float[2], 1f, 0f));
        AssertParam("destination", () => RowColumnOps.SumColumns(new ReadOnlyMatrixSpan<float>(buffer, 2, 3), buffer.AsSpan(5, 3), 1f, 0f));
        AssertParam("destination", () => RowColumnOps.ArgMaxRows(new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), new int[3]));
        Assert.Contains("Arg-max needs at least one column", AssertParam("matrix", () => RowColumnOps.ArgMaxRows(new ReadOnlyMatrixSpan<float>(new float[6], 2, 0), new int[2])).Message, StringComparison.Ordinal);
        RowColumnOps.ArgMaxRows(new ReadOnlyMatrixSpan<float>([], 0, 0), []); // no rows: nothing to refuse
    }

    [Fact]
    public void KernelsDoNotAllocate()
    {
        float[] m = Gens.Random<float>(1000, 1, 5);
        float[] bias = Gens.Random<float>(100, 2, 5);
        double[] md = Gens.Random<double>(1000, 3, 5);
        double[] sums = new double[90];
        int[] indices = new int[10];
        Allocations.AssertNone(() => RowColumnOps.AddRowVector(new MatrixSpan<float>(m, 10, 100), bias));
        Allocations.AssertNone(() => RowColumnOps.SumColumns(new ReadOnlyMatrixSpan<double>(md, 10, 90, 100), sums, 1.0, 0.5));
        Allocations.AssertNone(() => RowColumnOps.ArgMaxRows(new ReadOnlyMatrixSpan<float>(m, 10, 100), indices));
    }

    private static bool AddRowVectorMatches<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>())
        {
            AddRowVectorCase<T>(random, n, random.Next(4));
        }

        return true;
    }

    /// <summary>Rows shorter than a vector take the narrow forms (flat periodic bias add, one vector add per row for the column sums): every narrow width, at row counts that end anywhere in a vector.</summary>
    private static bool NarrowMatches<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        for (int n = 1; n < WidestLanes<T>(); n++)
        {
            foreach (int rows in new[] { 0, 1, 2, 3, WidestLanes<T>() - 1, WidestLanes<T>(), WidestLanes<T>() + 1, 37, 130 })
            {
                AddRowVectorCase<T>(random, n, rows);
                SumColumnsCase<T>(random, n, rows);
            }
        }

        return true;
    }

    private static void AddRowVectorCase<T>(Random random, int n, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        {
            int stride = n + random.Next(3);
            T[] dense = Gens.RandomWithEdges<T>(rows * n, random.Next(), 100);
            T[] row = Gens.RandomWithEdges<T>(n, random.Next(), 100);
            T[] m = Strided<T>(dense, rows, n, stride);
            RowColumnOps.AddRowVector(new MatrixSpan<T>(m, rows, n, stride), row);
            RowColumnOpsReference.AddRowVector<T>(dense, rows, n, row);
            for (int i = 0; i < rows && n > 0; i++)
            {
                Same<T>(m.AsSpan(i * stride, n), dense.AsSpan(i * n, n), $"{typeof(T).Name} {rows}×{n} stride {stride}, row {i}");
            }

            RequirePaddingUntouched(m, rows, n, stride, $"{typeof(T).Name} {rows}×{n}");
        }
    }

    private static bool SumColumnsMatches<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>())
        {
            SumColumnsCase<T>(random, n, random.Next(5));
        }

        // Blocks of four vectors of columns (and what follows them) start past Lengths' longest at 512 bits.
        int lanes = WidestLanes<T>();
        foreach (int n in new[] { 4 * lanes, (4 * lanes) + 1, (5 * lanes) + 3, (8 * lanes) + lanes - 1, (9 * lanes) + 2 })
        {
            SumColumnsCase<T>(random, n, random.Next(1, 5));
        }

        return true;
    }

    private static void SumColumnsCase<T>(Random random, int n, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        {
            int stride = n + random.Next(3);
            T alpha = T.CreateTruncating(random.Next(3) == 0 ? 1.0 : random.NextDouble());
            T beta = T.CreateTruncating(random.Next(3) switch { 0 => 0.0, 1 => 1.0, _ => random.NextDouble() });
            T[] dense = Gens.RandomWithEdges<T>(rows * n, random.Next(), 100);
            T[] before = Gens.Random<T>(n, random.Next(), 10);
            if (beta == T.Zero && random.Next(2) == 0)
            {
                before.AsSpan().Fill(T.NaN); // β = 0 overwrites: NaN must not survive
            }

            T[] expected = (T[])before.Clone();
            RowColumnOpsReference.SumColumns<T>(dense, rows, n, expected, alpha, beta);
            T[] destination = Embed<T>(before, 1);

            // Half the cases on a span that ends at the last element: the last rows' vector loads would
            // leave it, so several of them (up to a vector's worth when the stride is 1) take the padded copy.
            T[] strided = Strided<T>(dense, rows, n, stride);
            bool tight = random.Next(2) == 0;
            ReadOnlySpan<T> span = tight ? strided.AsSpan(0, strided.Length - 3) : strided;
            RowColumnOps.SumColumns(new ReadOnlyMatrixSpan<T>(span, rows, n, stride), destination.AsSpan(1, n), alpha, beta);
            Same<T>(destination.AsSpan(1, n), expected, $"{typeof(T).Name} {rows}×{n} stride {stride}{(tight ? " (tight span)" : "")}, α={alpha}, β={beta}");
            Require(T.IsNaN(destination[0]) && T.IsNaN(destination[n + 1]), "destination guards were written");
        }
    }

    private static bool ArgMaxMatches<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>(from: 1))
        {
            int rows = random.Next(1, 4);
            int stride = n + random.Next(3);
            T[] dense = new T[rows * n];
            for (int k = 0; k < dense.Length; k++)
            {
                dense[k] = random.Next(10) switch
                {
                    0 => T.NaN,
                    1 => T.NegativeZero,
                    2 => T.Zero,
                    _ => T.CreateTruncating(random.Next(-3, 4)),
                };
            }

            if (random.Next(4) == 0)
            {
                dense.AsSpan(0, n).Fill(T.NaN); // a row with no number at all
            }

            int[] indices = new int[rows];
            RowColumnOps.ArgMaxRows(new ReadOnlyMatrixSpan<T>(Strided<T>(dense, rows, n, stride), rows, n, stride), indices);
            for (int i = 0; i < rows; i++)
            {
                int expected = RowColumnOpsReference.ArgMax<T>(dense.AsSpan(i * n, n));
                Require(indices[i] == expected, $"{typeof(T).Name} row [{string.Join(", ", dense.AsSpan(i * n, n).ToArray())}]: got {indices[i]}, expected {expected}");
            }
        }

        return true;
    }
}
