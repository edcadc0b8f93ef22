using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// Kernels along a matrix's rows and columns: a row vector added to every row (bias add), the sum of
/// every column (bias gradient), the arg-max of every row (predicted classes).
/// </summary>
/// <remarks>Called <c>RowColumnOps</c> until 0.1.0: the old name hid the column sums.</remarks>
public static class RowColumnOps
{
    /// <summary>Adds <paramref name="row"/> to every row of <paramref name="matrix"/> (bias add): <c>M[i, j] += row[j]</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="matrix">The matrix, updated in place. Shape (rows, n).</param>
    /// <param name="row">The row vector. Length n; must not overlap the matrix.</param>
    public static void AddRowVector<T>(MatrixSpan<T> matrix, ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        KernelArguments.Length(row.Length, matrix.Columns, nameof(row));
        KernelArguments.NoOverlap(new ReadOnlyMatrixSpan<T>(row, 1, row.Length), matrix, nameof(row));
        int lanes = SimdWidth.Lanes<T>();
        if (row.Length < lanes && (matrix.Stride == matrix.Columns || matrix.Rows == 1) && matrix.Rows * matrix.Columns >= lanes)
        {
            Span<T> flat = matrix.Span[..(matrix.Rows * matrix.Columns)];
            if (Vector512.IsHardwareAccelerated && SimdWidth.Use512)
            {
                AddRowVectorNarrow<T, Vector512<T>, Simd512<T>>(flat, row);
            }
            else if (Vector256.IsHardwareAccelerated && SimdWidth.Use256)
            {
                AddRowVectorNarrow<T, Vector256<T>, Simd256<T>>(flat, row);
            }
            else
            {
                AddRowVectorNarrow<T, Vector128<T>, Simd128<T>>(flat, row);
            }

            return;
        }

        for (int i = 0; i < matrix.Rows; i++)
        {
            ElementwiseDriver.Update(matrix.Row(i), row, default(AddOperator<T>));
        }
    }

    /// <summary>Writes the sum of each column (bias gradient): <c>destination[j] = α · Σᵢ M[i, j] + β · destination[j]</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="matrix">The matrix. Shape (rows, n).</param>
    /// <param name="destination">The column sums. Length n.</param>
    /// <param name="alpha">Scale of the sums.</param>
    /// <param name="beta">Scale of the previous contents; 0 overwrites (NaN in the destination does not survive).</param>
    /// <remarks>Each column is summed from the first row to the last, as a plain loop would.</remarks>
    public static void SumColumns<T>(ReadOnlyMatrixSpan<T> matrix, Span<T> destination, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        KernelArguments.Length(destination.Length, matrix.Columns, nameof(destination));
        KernelArguments.NoOverlap(matrix, new ReadOnlyMatrixSpan<T>(destination, 1, destination.Length), nameof(destination));
        nuint n = (nuint)matrix.Columns;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= (nuint)Vector512<T>.Count)
        {
            SumColumns<T, Vector512<T>, Simd512<T>>(matrix, destination, alpha, beta);
        }
        else if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            SumColumns<T, Vector256<T>, Simd256<T>>(matrix, destination, alpha, beta);
        }
        else if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            SumColumns<T, Vector128<T>, Simd128<T>>(matrix, destination, alpha, beta);
        }
        else if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n > 0)
        {
            SumColumnsNarrow<T, Vector128<T>, Simd128<T>>(matrix, destination, alpha, beta);
        }
        else
        {
            for (int j = 0; j < destination.Length; j++)
            {
                T sum = T.Zero;
                for (int i = 0; i < matrix.Rows; i++)
                {
                    sum += matrix[i, j];
                }

                destination[j] = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * destination[j]);
            }
        }
    }

    private static void SumColumns<T, TV, TW>(ReadOnlyMatrixSpan<T> matrix, Span<T> destination, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        int rows = matrix.Rows;
        nuint n = (nuint)matrix.Columns;
        nuint width = (nuint)TW.Count;
        ref T m = ref MemoryMarshal.GetReference(matrix.Span);
        ref T d = ref MemoryMarshal.GetReference(destination);
        nuint stride = (nuint)matrix.Stride;
        var scale = new SumScale<T, TV, TW>(alpha, beta);

        // The final vector overlaps the previous one; its old destination values are read before
        // anything is written, and it is stored last, so overlapping columns get identical values.
        nuint last = n - width;
        TV oldTail = TW.Load(ref d, last);

        // Blocks of four vectors of columns, accumulated in registers down all the rows.
        nuint j0 = 0;
        for (; j0 + (4 * width) <= n; j0 += 4 * width)
        {
            TV s0 = TW.Zero, s1 = TW.Zero, s2 = TW.Zero, s3 = TW.Zero;
            ref T column = ref Unsafe.Add(ref m, j0);
            for (int i = 0; i < rows; i++)
            {
                ref T r = ref Unsafe.Add(ref column, (nuint)i * stride);
                s0 = TW.Add(s0, TW.Load(ref r, 0));
                s1 = TW.Add(s1, TW.Load(ref r, width));
                s2 = TW.Add(s2, TW.Load(ref r, 2 * width));
                s3 = TW.Add(s3, TW.Load(ref r, 3 * width));
            }

            TW.Store(scale.Apply(s0, TW.Load(ref d, j0)), ref d, j0);
            TW.Store(scale.Apply(s1, TW.Load(ref d, j0 + width)), ref d, j0 + width);
            TW.Store(scale.Apply(s2, TW.Load(ref d, j0 + (2 * width))), ref d, j0 + (2 * width));
            TW.Store(scale.Apply(s3, TW.Load(ref d, j0 + (3 * width))), ref d, j0 + (3 * width));
        }

        for (; j0 + width <= n; j0 += width)
        {
            TW.Store(scale.Apply(SumColumnVector<T, TV, TW>(ref Unsafe.Add(ref m, j0), rows, stride), TW.Load(ref d, j0)), ref d, j0);
        }

        if (j0 < n)
        {
            TW.Store(scale.Apply(SumColumnVector<T, TV, TW>(ref Unsafe.Add(ref m, last), rows, stride), oldTail), ref d, last);
        }
    }

    // A dense matrix with rows shorter than a vector, as one flat buffer: the bias repeats with period
    // n, so the vector at flat offset q adds pattern[q mod n ..], where pattern[x] = row[x mod n].
    // Each element gets exactly M[i, j] + row[j], as row by row; the final vector overlaps the previous
    // one and keeps the lanes already updated (measured 500×3 float: 1.1 µs → well under 0.1 µs).
    private static void AddRowVectorNarrow<T, TV, TW>(Span<T> flat, ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        int n = row.Length;
        nuint width = (nuint)TW.Count;
        Span<T> pattern = stackalloc T[2 * TW.Count];
        for (int x = 0; x < pattern.Length; x++)
        {
            pattern[x] = row[x % n];
        }

        ref T m = ref MemoryMarshal.GetReference(flat);
        ref T p = ref MemoryMarshal.GetReference(pattern);
        nuint total = (nuint)flat.Length;
        nuint step = width % (nuint)n;
        nuint phase = 0;
        nuint q = 0;
        for (; q + width <= total; q += width)
        {
            TW.Store(TW.Add(TW.Load(ref m, q), TW.Load(ref p, phase)), ref m, q);
            phase += step;
            if (phase >= (nuint)n)
            {
                phase -= (nuint)n;
            }
        }

        if (q < total)
        {
            nuint last = total - width;
            TV old = TW.Load(ref m, last);
            TV sum = TW.Add(old, TW.Load(ref p, last % (nuint)n));
            TW.Store(TW.Select(TW.TailMask(total - q), sum, old), ref m, last);
        }
    }

    // Rows shorter than a vector: one vector add per row, so every column's running sum advances in
    // the same instruction, still from the first row to the last (the column loop ran one add chain
    // per column). Lanes ≥ n pick up whatever follows the row and are never stored; rows whose vector
    // would leave the span (fewer than a vector's worth: stride ≥ 1) are read from a zero-padded copy.
    private static void SumColumnsNarrow<T, TV, TW>(ReadOnlyMatrixSpan<T> matrix, Span<T> destination, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        int width = TW.Count;
        int rows = matrix.Rows;
        ReadOnlySpan<T> span = matrix.Span;
        nint stride = matrix.Stride;
        int direct = span.Length >= width ? Math.Min(rows, (int)((span.Length - width) / stride) + 1) : 0;

        // The last rows (fewer than a vector's worth), zero-padded, copied before the loop: a call
        // inside it would keep the running sum out of a register.
        Span<T> tail = stackalloc T[TW.Count * TW.Count];
        for (int r = direct; r < rows; r++)
        {
            matrix.Row(r).CopyTo(tail[((r - direct) * width)..]);
        }

        ref T m = ref MemoryMarshal.GetReference(span);
        ref T t = ref MemoryMarshal.GetReference(tail);
        TV sum = TW.Zero;
        int i = 0;
        for (; i < direct; i++)
        {
            sum = TW.Add(sum, TW.Load(ref Unsafe.Add(ref m, i * stride), 0));
        }

        for (; i < rows; i++)
        {
            sum = TW.Add(sum, TW.Load(ref t, (nuint)((i - direct) * width)));
        }

        Span<T> padded = tail[..width];
        // Through memory rather than lane reads, which would keep the running sum out of a register.
        TW.Store(sum, ref t, 0);
        for (int j = 0; j < destination.Length; j++)
        {
            destination[j] = beta == T.Zero ? alpha * padded[j] : (alpha * padded[j]) + (beta * destination[j]);
        }
    }

    /// <summary>Writes the column index of the largest element of each row (the first on ties; NaN is never chosen over a number).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="matrix">The matrix. Shape (rows, n), n ≥ 1.</param>
    /// <param name="destination">One index per row. Length rows.</param>
    public static void ArgMaxRows<T>(ReadOnlyMatrixSpan<T> matrix, Span<int> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        KernelArguments.Length(destination.Length, matrix.Rows, nameof(destination));
        if (matrix.Rows > 0 && matrix.Columns == 0)
        {
            throw new ArgumentException("Arg-max needs at least one column.", nameof(matrix));
        }

        for (int i = 0; i < matrix.Rows; i++)
        {
            destination[i] = ArgMax(matrix.Row(i));
        }
    }

    private static int ArgMax<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T r = ref MemoryMarshal.GetReference(row);
        nuint n = (nuint)row.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= (nuint)Vector512<T>.Count)
        {
            return ArgMax<T, Vector512<T>, Simd512<T>>(ref r, n);
        }

        if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            return ArgMax<T, Vector256<T>, Simd256<T>>(ref r, n);
        }

        if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            return ArgMax<T, Vector128<T>, Simd128<T>>(ref r, n);
        }

        nuint best = 0;
        for (nuint j = 1; j < n; j++)
        {
            T v = Unsafe.Add(ref r, j);
            T b = Unsafe.Add(ref r, best);
            if (v > b || (T.IsNaN(b) && !T.IsNaN(v)))
            {
                best = j;
            }
        }

        return (int)best;
    }

    private static int ArgMax<T, TV, TW>(ref T r, nuint n)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint width = (nuint)TW.Count;

        // The largest number (MaxNumber ignores NaN; the overlapping last vector is harmless) ...
        TV acc = TW.Load(ref r, n - width);
        for (nuint j = 0; j < n - width; j += width)
        {
            acc = TW.MaxNumber(acc, TW.Load(ref r, j));
        }

        T max = TW.HorizontalMaxNumber(acc);
        if (T.IsNaN(max))
        {
            return 0; // every element is NaN
        }

        // ... then the first position holding it (−0 and +0 compare equal, as in the scalar form).
        TV target = TW.Create(max);
        nuint start = 0;
        for (; start + width <= n; start += width)
        {
            if (TW.EqualsAny(TW.Load(ref r, start), target))
            {
                break;
            }
        }

        for (nuint j = start; j < n; j++)
        {
            if (Unsafe.Add(ref r, j) == max)
            {
                return (int)j;
            }
        }

        return 0; // unreachable: max is an element of the row
    }

    private static TV SumColumnVector<T, TV, TW>(ref T column, int rows, nuint stride)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        TV s = TW.Zero;
        for (int i = 0; i < rows; i++)
        {
            s = TW.Add(s, TW.Load(ref column, (nuint)i * stride));
        }

        return s;
    }

    /// <summary><c>α · sum</c>, or <c>α · sum + β · old</c> when β ≠ 0 (so NaN in old does not survive β = 0).</summary>
    private readonly struct SumScale<T, TV, TW>(T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        private readonly TV _alpha = TW.Create(alpha);
        private readonly TV _beta = TW.Create(beta);
        private readonly bool _overwrite = beta == T.Zero;

        public TV Apply(TV sum, TV old) =>
            _overwrite ? TW.Multiply(sum, _alpha) : TW.Add(TW.Multiply(sum, _alpha), TW.Multiply(old, _beta));
    }

    private readonly struct AddOperator<T> : IUpdateOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T p, T g) => p + g;

        public Vector128<T> Invoke(Vector128<T> p, Vector128<T> g) => p + g;

        public Vector256<T> Invoke(Vector256<T> p, Vector256<T> g) => p + g;

        public Vector512<T> Invoke(Vector512<T> p, Vector512<T> g) => p + g;
    }
}
