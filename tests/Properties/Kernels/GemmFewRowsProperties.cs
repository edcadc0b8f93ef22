using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Kernels;

/// <summary>
/// <see cref="GemmFewRows"/> against <see cref="GemmFewRowsReference"/> at the width this process runs
/// at (CI runs the suite at 512, 256, 128 bits and scalar): every output within
/// <c>(n + 2)·u·(|b| + Σ|x·w|)</c> of the exact value, a row's bits independent of the other rows of
/// the call, strided views, nothing written outside the destination's view.
/// </summary>
public class GemmFewRowsProperties
{
    private static readonly Gen<(int Rows, int N, int M, int Seed)> Shapes =
        from rows in Gen.Choose(1, 20)
        from n in Gen.Choose(1, 70)
        from m in Gen.Choose(1, 70)
        from seed in Gens.Seed
        select (rows, n, m, seed);

    [Fact]
    public void FloatMatchesTheReference() => Prop.ForAll(Shapes.ToArbitrary(), s => Check<float>(s.Rows, s.N, s.M, s.Seed)).QuickCheckThrowOnFailure();

    [Fact]
    public void DoubleMatchesTheReference() => Prop.ForAll(Shapes.ToArbitrary(), s => Check<double>(s.Rows, s.N, s.M, s.Seed)).QuickCheckThrowOnFailure();

    /// <summary>The shapes, where whole panels, four-panel groups and the tails all occur.</summary>
    [Theory]
    [InlineData(1, 784, 256)]
    [InlineData(8, 784, 256)]
    [InlineData(3, 256, 10)]
    [InlineData(7, 20, 32)]
    [InlineData(2, 32, 5)]
    public void LayerShapesMatchTheReference(int rows, int n, int m)
    {
        Check<float>(rows, n, m, 1);
        Check<double>(rows, n, m, 2);
    }

    private static void Check<T>(int rows, int n, int m, int seed)
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
        GemmFewRows.Multiply(new ReadOnlyMatrixSpan<T>(x, rows, n, xStride), packed, new MatrixSpan<T>(y, rows, m, yStride));

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

                double e = expected[(r * m) + j];
                double bound = (n + 2) * u * magnitude[(r * m) + j];
                Assert.True(Math.Abs(double.CreateTruncating(actual) - e) <= bound, $"{typeof(T).Name} {rows}×{n}·{n}×{m} at {KernelSimd.Describe()}: y[{r},{j}] = {actual}, reference {e}, bound {bound:E2}");
            }
        }

        Assert.Equal(T.CreateTruncating(7.5), y[^1]);

        // Each row alone gives the same bits as in the group.
        T[] alone = new T[m];
        for (int r = 0; r < rows; r++)
        {
            GemmFewRows.Multiply(new ReadOnlyMatrixSpan<T>(x.AsSpan(r * xStride, n), 1, n), packed, new MatrixSpan<T>(alone, 1, m));
            Assert.Equal(alone, y.AsSpan(r * yStride, m).ToArray());
        }
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
        });
    }
}
