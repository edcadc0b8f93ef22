using System.Globalization;
using Backprop.Kernels;
using FsCheck;
using FsCheck.Fluent;
using static Backprop.Properties.Kernels.KernelAccuracy;

namespace Backprop.Properties.Kernels;

/// <summary>
/// The matrix views against a plain model of a row-major matrix with a stride: which shapes a span can
/// hold, where each element lives, every slice, fill, and every out-of-range index refused by name.
/// </summary>
public class MatrixSpanProperties
{
    private static Arbitrary<(int Rows, int Columns, int Pad, int Spare)> Shapes =>
        (from rows in Gen.Choose(0, 7)
         from columns in Gen.Choose(0, 7)
         from pad in Gen.Choose(0, 3)
         from spare in Gen.Choose(-2, 2)
         select (rows, columns, pad, spare)).ToArbitrary();

    /// <summary>The elements a rows×columns view with this stride reaches: none when it is empty, else up to the last row's last column.</summary>
    private static long ModelLength(int rows, int columns, int stride) => rows == 0 || columns == 0 ? 0 : ((long)(rows - 1) * stride) + columns;

    [Support.SizedProperty(MaxTest = 300)]
    public Property ASpanHoldsAShapeExactlyWhenItReachesTheLastElement() =>
        Prop.ForAll(Shapes, t =>
        {
            int stride = t.Columns + t.Pad;
            long needed = ModelLength(t.Rows, t.Columns, stride);
            int length = (int)Math.Max(0, needed + t.Spare);
            double[] data = new double[length];
            if (length >= needed)
            {
                var view = new MatrixSpan<double>(data, t.Rows, t.Columns, stride);
                var readOnly = new ReadOnlyMatrixSpan<double>(data, t.Rows, t.Columns, stride);
                Require(view.Rows == t.Rows && view.Columns == t.Columns && view.Stride == stride, "shape kept");
                Require(readOnly.Rows == t.Rows && readOnly.Columns == t.Columns && readOnly.Stride == stride, "shape kept (read-only)");
                Require(view.IsEmpty == (t.Rows == 0 || t.Columns == 0) && readOnly.IsEmpty == view.IsEmpty, "IsEmpty");
                Require(view.Span.Length == length && readOnly.Span.Length == length, "the view keeps the whole span");
                ReadOnlyMatrixSpan<double> converted = view;
                ReadOnlyMatrixSpan<double> asReadOnly = view.AsReadOnly();
                Require(converted.Rows == t.Rows && converted.Columns == t.Columns && converted.Stride == stride && converted.Span.Length == length, "implicit conversion keeps the shape");
                Require(asReadOnly.Rows == t.Rows && asReadOnly.Columns == t.Columns && asReadOnly.Stride == stride && asReadOnly.Span.Length == length, "AsReadOnly keeps the shape");
            }
            else
            {
                string needs = $"{t.Rows}×{t.Columns} matrix with stride {stride} needs {needed} elements, but the span holds {length}";
                ArgumentException e = Assert.Throws<ArgumentException>(() => new MatrixSpan<double>(new double[length], t.Rows, t.Columns, stride));
                Assert.Equal("data", e.ParamName);
                Assert.Contains(needs, e.Message, StringComparison.Ordinal);
                e = Assert.Throws<ArgumentException>(() => new ReadOnlyMatrixSpan<double>(new double[length], t.Rows, t.Columns, stride));
                Assert.Equal("data", e.ParamName);
                Assert.Contains(needs, e.Message, StringComparison.Ordinal);
            }

            if (t.Columns > 0)
            {
                // A stride below the column count is refused whatever the span holds.
                int narrow = t.Columns - 1 - Math.Min(t.Pad, t.Columns - 1);
                var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ReadOnlyMatrixSpan<double>(new double[100], t.Rows, t.Columns, narrow));
                Assert.Equal("stride", e.ParamName);
                Assert.Contains($"at least the column count ({t.Columns})", e.Message, StringComparison.Ordinal);
                Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => new MatrixSpan<double>(new double[100], t.Rows, t.Columns, narrow)).ParamName);
            }

            return true;
        });

    [Support.SizedProperty(MaxTest = 200)]
    public Property EveryElementRowAndSliceIsWhereTheModelPutsItAndNothingOutsideIsReachable() =>
        Prop.ForAll(Shapes, t =>
        {
            int stride = t.Columns + t.Pad;
            double[] data = new double[ModelLength(t.Rows, t.Columns, stride) + Math.Abs(t.Spare)];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = i;
            }

            var view = new MatrixSpan<double>(data, t.Rows, t.Columns, stride);
            var readOnly = new ReadOnlyMatrixSpan<double>(data, t.Rows, t.Columns, stride);
            for (int i = 0; i < t.Rows; i++)
            {
                Require(view.Row(i).Length == t.Columns && readOnly.Row(i).Length == t.Columns, $"row {i} length");
                for (int j = 0; j < t.Columns; j++)
                {
                    double expected = (i * stride) + j;
                    Require(view[i, j] == expected && readOnly[i, j] == expected && view.Row(i)[j] == expected && readOnly.Row(i)[j] == expected, $"[{i}, {j}]");
                }
            }

            foreach (int bad in new[] { -1, t.Rows, t.Rows + 1, int.MinValue })
            {
                Assert.Equal("row", Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MatrixSpan<double>(data, t.Rows, t.Columns, stride)[bad, 0]).ParamName);
                Assert.Equal("row", Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ReadOnlyMatrixSpan<double>(data, t.Rows, t.Columns, stride)[bad, 0]).ParamName);
                Assert.Equal("row", Assert.Throws<ArgumentOutOfRangeException>(() => new MatrixSpan<double>(data, t.Rows, t.Columns, stride).Row(bad)).ParamName);
                Assert.Equal("row", Assert.Throws<ArgumentOutOfRangeException>(() => new ReadOnlyMatrixSpan<double>(data, t.Rows, t.Columns, stride).Row(bad)).ParamName);
            }

            if (t.Rows > 0)
            {
                foreach (int bad in new[] { -1, t.Columns, t.Columns + 1, int.MinValue })
                {
                    Assert.Equal("column", Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MatrixSpan<double>(data, t.Rows, t.Columns, stride)[t.Rows - 1, bad]).ParamName);
                    Assert.Equal("column", Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ReadOnlyMatrixSpan<double>(data, t.Rows, t.Columns, stride)[t.Rows - 1, bad]).ParamName);
                }
            }

            for (int start = -1; start <= t.Rows + 1; start++)
            {
                for (int count = -1; count <= t.Rows + 1; count++)
                {
                    bool valid = start >= 0 && count >= 0 && start + count <= t.Rows;
                    int s = start, c = count;
                    if (!valid)
                    {
                        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => new MatrixSpan<double>(data, t.Rows, t.Columns, stride).SliceRows(s, c)).ParamName);
                        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => new ReadOnlyMatrixSpan<double>(data, t.Rows, t.Columns, stride).SliceRows(s, c)).ParamName);
                        continue;
                    }

                    MatrixSpan<double> rows = view.SliceRows(s, c);
                    ReadOnlyMatrixSpan<double> readOnlyRows = readOnly.SliceRows(s, c);
                    Require(rows.Rows == c && rows.Columns == t.Columns && rows.Stride == stride, $"SliceRows({s}, {c}) shape");
                    Require(readOnlyRows.Rows == c && readOnlyRows.Columns == t.Columns && readOnlyRows.Stride == stride, $"SliceRows({s}, {c}) shape (read-only)");
                    Require(rows.Span.Length == ModelLength(c, t.Columns, stride) && readOnlyRows.Span.Length == rows.Span.Length, $"SliceRows({s}, {c}) reaches only its own elements");
                    for (int i = 0; i < c; i++)
                    {
                        for (int j = 0; j < t.Columns; j++)
                        {
                            Require(rows[i, j] == view[s + i, j] && readOnlyRows[i, j] == view[s + i, j], $"SliceRows({s}, {c})[{i}, {j}]");
                        }
                    }
                }
            }

            for (int start = -1; start <= t.Columns + 1; start++)
            {
                for (int count = -1; count <= t.Columns + 1; count++)
                {
                    bool valid = start >= 0 && count >= 0 && start + count <= t.Columns;
                    int s = start, c = count;
                    if (!valid)
                    {
                        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => new ReadOnlyMatrixSpan<double>(data, t.Rows, t.Columns, stride).SliceColumns(s, c)).ParamName);
                        continue;
                    }

                    ReadOnlyMatrixSpan<double> columns = readOnly.SliceColumns(s, c);
                    Require(columns.Rows == t.Rows && columns.Columns == c && columns.Stride == stride, $"SliceColumns({s}, {c}) shape");
                    Require(columns.Span.Length == ModelLength(t.Rows, c, stride), $"SliceColumns({s}, {c}) reaches only its own elements");
                    for (int i = 0; i < t.Rows; i++)
                    {
                        for (int j = 0; j < c; j++)
                        {
                            Require(columns[i, j] == view[i, s + j], $"SliceColumns({s}, {c})[{i}, {j}]");
                        }
                    }
                }
            }

            return true;
        });

    [Support.SizedProperty(MaxTest = 200)]
    public Property FillWritesEveryElementAndNothingElse() =>
        Prop.ForAll(Shapes, t =>
        {
            int stride = t.Columns + t.Pad;
            double[] data = new double[ModelLength(t.Rows, t.Columns, stride) + Math.Abs(t.Spare)];
            data.AsSpan().Fill(double.NaN);
            new MatrixSpan<double>(data, t.Rows, t.Columns, stride).Fill(7.5);
            for (int k = 0; k < data.Length; k++)
            {
                bool inside = t.Columns > 0 && k / stride < t.Rows && k % stride < t.Columns;
                Require(inside ? data[k] == 7.5 : double.IsNaN(data[k]), string.Create(CultureInfo.InvariantCulture, $"element {k} of {t.Rows}×{t.Columns} stride {stride}: {data[k]}"));
            }

            return true;
        });

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
