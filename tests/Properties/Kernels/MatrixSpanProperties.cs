using Backprop.Kernels;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Kernels;

public class MatrixSpanProperties
{
    [Support.SizedProperty]
    public Property IndexingFollowsStride() =>
        Prop.ForAll(
            Gen.Choose(0, 9).Two().SelectMany(rc => Gen.Choose(0, 4).Select(pad => (rc.Item1, rc.Item2, pad))).ToArbitrary(),
            t =>
            {
                (int rows, int columns, int pad) = t;
                int stride = columns + pad;
                double[] data = new double[Math.Max(0, ((rows - 1) * stride) + columns)];
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = i;
                }

                var view = new ReadOnlyMatrixSpan<double>(data, rows, columns, stride);
                for (int i = 0; i < rows; i++)
                {
                    for (int j = 0; j < columns; j++)
                    {
                        if (view[i, j] != (i * stride) + j || view.Row(i)[j] != (i * stride) + j)
                        {
                            return false;
                        }
                    }
                }

                return true;
            });

    [Fact]
    public void TooShortSpanThrowsNamingData()
    {
        var e = Assert.Throws<ArgumentException>(() => new ReadOnlyMatrixSpan<float>(new float[5], 2, 3));
        Assert.Equal("data", e.ParamName);
        Assert.Contains("needs 6 elements", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LastRowNeedNotBePadded()
    {
        var view = new MatrixSpan<float>(new float[8], 2, 3, 5);
        Assert.Equal(2, view.Rows);
    }

    [Theory]
    [InlineData(-1, 2, 2, "rows")]
    [InlineData(2, -1, 2, "columns")]
    [InlineData(2, 3, 2, "stride")]
    public void BadShapeThrowsNamingTheArgument(int rows, int columns, int stride, string name)
    {
        var e = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new MatrixSpan<double>(new double[100], rows, columns, stride));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void SlicesSeeTheSameElements()
    {
        double[] data = new double[4 * 6];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = i;
        }

        var view = new ReadOnlyMatrixSpan<double>(data, 4, 5, 6);
        ReadOnlyMatrixSpan<double> block = view.SliceRows(1, 2).SliceColumns(2, 3);
        Assert.Equal(2, block.Rows);
        Assert.Equal(3, block.Columns);
        Assert.Equal(view[1, 2], block[0, 0]);
        Assert.Equal(view[2, 4], block[1, 2]);
    }
}
