using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// Row-wise softmax and log-softmax, numerically stable: each row's maximum (seeded from the row
/// itself) is subtracted before exponentiating, so no finite logit overflows.
/// </summary>
public static class Softmax
{
    /// <summary><c>P[i, j] = e^(Z[i, j] − mᵢ) / Σₖ e^(Z[i, k] − mᵢ)</c> with <c>mᵢ = maxₖ Z[i, k]</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Z. Shape (rows, classes).</param>
    /// <param name="destination">P, same shape; may be the same memory as <paramref name="logits"/>.</param>
    public static void Forward<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(logits, destination);
        if (IsNarrow<T>(logits.Columns))
        {
            NarrowForward(logits, destination, log: false);
            return;
        }

        for (int i = 0; i < logits.Rows; i++)
        {
            Span<T> p = destination.Row(i);
            T sum = ExpShifted(logits.Row(i), p);
            ElementwiseDriver.Map(p, p, new ScaleOperator<T>(T.One / sum));
        }
    }

    /// <summary><c>L[i, j] = (Z[i, j] − mᵢ) − log Σₖ e^(Z[i, k] − mᵢ)</c>; finite for every finite input.</summary>
    /// <remarks>
    /// The two terms are subtracted in this order (never <c>Z − (m + log Σ)</c>, where the sum with a
    /// large m rounds the logarithm away): both are exact or nearly so and have opposite signs, so the
    /// error is a few ulp of the result whatever the size of the logits (a row of n equal logits
    /// gives −ln n even at 1e300).
    /// </remarks>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Z. Shape (rows, classes).</param>
    /// <param name="destination">log P, same shape; may be the same memory as <paramref name="logits"/>.</param>
    public static void LogForward<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(logits, destination);
        if (IsNarrow<T>(logits.Columns))
        {
            NarrowForward(logits, destination, log: true);
            return;
        }

        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<T> z = logits.Row(i);
            T max = Max(z);
            T logSum = T.Log(SumExpShifted(z, max));
            ElementwiseDriver.Map(z, destination.Row(i), new ShiftLogOperator<T>(max, logSum));
        }
    }

    /// <summary>The largest element of a non-empty row (NaN or not when the row holds a NaN; then the row's results are NaN anyway).</summary>
    internal static T Max<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T r = ref MemoryMarshal.GetReference(row);
        nuint n = (nuint)row.Length;
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && n >= (nuint)Vector512<T>.Count)
        {
            return Max<T, Vector512<T>, Simd512<T>>(ref r, n);
        }

        if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && n >= (nuint)Vector256<T>.Count)
        {
            return Max<T, Vector256<T>, Simd256<T>>(ref r, n);
        }

        if (Vector128.IsHardwareAccelerated && SimdWidth.Use128 && n >= (nuint)Vector128<T>.Count)
        {
            return Max<T, Vector128<T>, Simd128<T>>(ref r, n);
        }

        T max = r;
        for (nuint j = 1; j < n; j++)
        {
            max = T.Max(max, Unsafe.Add(ref r, j));
        }

        return max;
    }

    private static T Max<T, TV, TW>(ref T r, nuint n)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        // Max is idempotent, so the final vector may simply overlap the previous one. MaxNative is
        // one instruction (Max's NaN/−0 handling takes three, on a dependency chain); a NaN it may
        // skip still turns the row's exponential sum, and so every result, into NaN.
        nuint width = (nuint)TW.Count;
        TV acc0 = TW.Load(ref r, 0);
        TV acc1 = TW.Load(ref r, n - width);
        TV acc2 = acc0;
        TV acc3 = acc1;
        nuint i = width;
        for (; i + (4 * width) <= n; i += 4 * width)
        {
            acc0 = TW.MaxNative(acc0, TW.Load(ref r, i));
            acc1 = TW.MaxNative(acc1, TW.Load(ref r, i + width));
            acc2 = TW.MaxNative(acc2, TW.Load(ref r, i + (2 * width)));
            acc3 = TW.MaxNative(acc3, TW.Load(ref r, i + (3 * width)));
        }

        for (; i + width <= n; i += width)
        {
            acc0 = TW.MaxNative(acc0, TW.Load(ref r, i));
        }

        return TW.HorizontalMax(TW.Max(TW.Max(acc0, acc1), TW.Max(acc2, acc3)));
    }

    /// <summary><c>Σⱼ e^(row[j] − max)</c>.</summary>
    internal static T SumExpShifted<T>(ReadOnlySpan<T> row, T max)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ElementwiseDriver.Sum(row, new ExpShiftedOperator<T>(max));

    /// <summary>
    /// Writes <c>destination[j] = e^(row[j] − max(row))</c> and returns their sum (≥ 1 for finite rows);
    /// <paramref name="destination"/> may be exactly <paramref name="row"/>.
    /// </summary>
    internal static T ExpShifted<T>(ReadOnlySpan<T> row, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ElementwiseDriver.MapSum(row, destination, new ExpShiftedOperator<T>(Max(row)));

    // ---- Narrow rows ---------------------------------------------------------------------------
    //
    // A row shorter than a vector would run entirely scalar: one scalar exponential per element and
    // one logarithm or division per row (measured: 500×2 float softmax cross-entropy 10.6 µs, most of
    // a tiny network's training step). The narrow forms take a chunk of rows at a time instead: each
    // row's maximum and z − max go into a dense scratch chunk (scalar), then ONE vectorised
    // exponential over the whole chunk, the row sums (scalar, in column order), and ONE vectorised
    // pass of logarithms and reciprocals over the chunk's row sums. The operation order depends only
    // on the shape and the vector width, so results stay deterministic.

    /// <summary>Rows per chunk of the narrow forms (a multiple of every vector width).</summary>
    internal const int ChunkRows = 128;

    /// <summary>Elements of a narrow chunk's scratch (rows × columns).</summary>
    internal const int ChunkElements = 512;

    /// <summary>Whether rows of <paramref name="columns"/> elements take the narrow (chunked) forms: shorter than one vector of the chosen width.</summary>
    internal static bool IsNarrow<T>(int columns)
        where T : unmanaged => columns < SimdWidth.Lanes<T>();

    /// <summary>Rows of <paramref name="columns"/> elements per narrow chunk.</summary>
    internal static int RowsPerChunk(int columns) => Math.Min(ChunkRows, ChunkElements / Math.Max(1, columns));

    /// <summary>
    /// For rows [<paramref name="first"/>, first + <paramref name="count"/>) of <paramref name="z"/>:
    /// <c>max[i] = mᵢ</c>, or <c>Z[first + i, tᵢ] − mᵢ</c> when <paramref name="targets"/> (the
    /// whole matrix's, already checked) is not empty, <c>e[i·n + j] = e^(Z[first + i, j] − mᵢ)</c>
    /// (dense) and <c>sums[i] = Σⱼ e[i·n + j]</c>, summed from the first column to the last.
    /// </summary>
    /// <remarks>
    /// Optimised on its first call (the trainer's warm-up): at tier 0 its loops were replaced on the
    /// stack (OSR) in the middle of a later step, which made call 4 of a 784-256-10 × 128 step 8.7× steady.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ExpShiftedChunk<T>(ReadOnlyMatrixSpan<T> z, int first, int count, Span<T> e, Span<T> max, Span<T> sums, ReadOnlySpan<int> targets = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool shiftTarget = !targets.IsEmpty;
        ref int tr = ref MemoryMarshal.GetReference(targets);
        int n = z.Columns;
        int length = count * n;
        Span<T> chunk = e[..length];
        Span<T> rowMax = max[..count];
        Span<T> rowSums = sums[..count];
        ref T zr = ref MemoryMarshal.GetReference(z.Span[(first * z.Stride)..]);
        ref T er = ref MemoryMarshal.GetReference(chunk);
        nint stride = z.Stride;
        for (int i = 0; i < rowMax.Length; i++)
        {
            ref T row = ref Unsafe.Add(ref zr, i * stride);
            // A plain comparison, as MaxNative in Max: a NaN it skips still makes the row's sum NaN.
            T m = row;
            for (int j = 1; j < n; j++)
            {
                T v = Unsafe.Add(ref row, j);
                m = T.MaxNative(m, v);
            }

            rowMax[i] = shiftTarget ? Unsafe.Add(ref row, Unsafe.Add(ref tr, first + i)) - m : m;
            ref T shifted = ref Unsafe.Add(ref er, i * n);
            for (int j = 0; j < n; j++)
            {
                Unsafe.Add(ref shifted, j) = Unsafe.Add(ref row, j) - m;
            }
        }

        ElementwiseDriver.Map(chunk, chunk, default(ExpOperator<T>));
        for (int i = 0; i < rowSums.Length; i++)
        {
            ref T ei = ref Unsafe.Add(ref er, i * n);
            T sum = T.Zero;
            for (int j = 0; j < n; j++)
            {
                sum += Unsafe.Add(ref ei, j);
            }

            rowSums[i] = sum;
        }
    }

    private static void NarrowForward<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> destination, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && SimdWidth.Use512)
        {
            NarrowForward<T, Vector512<T>, Simd512<T>>(logits, destination, log);
        }
        else if (Vector256.IsHardwareAccelerated && SimdWidth.Use256)
        {
            NarrowForward<T, Vector256<T>, Simd256<T>>(logits, destination, log);
        }
        else
        {
            NarrowForward<T, Vector128<T>, Simd128<T>>(logits, destination, log);
        }
    }

    private static void NarrowForward<T, TV, TW>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> destination, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        int n = logits.Columns;
        int rowsPerChunk = RowsPerChunk(n);
        int width = TW.Count;
        Span<T> e = stackalloc T[ChunkElements];
        Span<T> max = stackalloc T[ChunkRows];
        Span<T> sums = stackalloc T[ChunkRows];
        ref T sr = ref MemoryMarshal.GetReference(sums);
        for (int first = 0; first < logits.Rows; first += rowsPerChunk)
        {
            int count = Math.Min(rowsPerChunk, logits.Rows - first);
            ExpShiftedChunk(logits, first, count, e, max, sums);

            // Per row: the scale 1 / sum (softmax), or log sum (log-softmax), into sums. The last
            // vector may reach past count (never past ChunkRows, a multiple of every width): those
            // lanes hold stale sums and are never read.
            for (int k = 0; k < count; k += width)
            {
                TV sum = TW.Load(ref sr, (nuint)k);
                TW.Store(log ? TW.Log(sum) : TW.Divide(TW.One, sum), ref sr, (nuint)k);
            }

            for (int i = 0; i < count; i++)
            {
                Span<T> d = destination.Row(first + i);
                T s = sums[i];
                if (log)
                {
                    ReadOnlySpan<T> z = logits.Row(first + i);
                    T m = max[i];
                    for (int j = 0; j < d.Length; j++)
                    {
                        d[j] = (z[j] - m) - s;
                    }
                }
                else
                {
                    ReadOnlySpan<T> ei = e.Slice(i * n, n);
                    for (int j = 0; j < d.Length; j++)
                    {
                        d[j] = ei[j] * s;
                    }
                }
            }
        }
    }

    private static void Validate<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> destination)
    {
        KernelArguments.ElementType<T>();
        KernelArguments.SameShape(logits.Rows, logits.Columns, destination.Rows, destination.Columns, nameof(destination));
        if (logits.Rows > 0 && logits.Columns == 0)
        {
            throw new ArgumentException("Softmax needs at least one column.", nameof(logits));
        }

        KernelArguments.SameOrDisjoint(logits, destination, nameof(destination));
    }

    /// <summary><c>e^(x − shift)</c>.</summary>
    internal readonly struct ExpShiftedOperator<T>(T shift) : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _shift = shift;

        public T Invoke(T x) => T.Exp(x - _shift);

        public Vector128<T> Invoke(Vector128<T> x) => Simd128<T>.Exp(x - Vector128.Create(_shift));

        public Vector256<T> Invoke(Vector256<T> x) => Simd256<T>.Exp(x - Vector256.Create(_shift));

        public Vector512<T> Invoke(Vector512<T> x) => Simd512<T>.Exp(x - Vector512.Create(_shift));
    }

    /// <summary><c>e^x</c>.</summary>
    internal readonly struct ExpOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x) => T.Exp(x);

        public Vector128<T> Invoke(Vector128<T> x) => Simd128<T>.Exp(x);

        public Vector256<T> Invoke(Vector256<T> x) => Simd256<T>.Exp(x);

        public Vector512<T> Invoke(Vector512<T> x) => Simd512<T>.Exp(x);
    }

    /// <summary><c>x · scale</c>.</summary>
    internal readonly struct ScaleOperator<T>(T scale) : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _scale = scale;

        public T Invoke(T x) => x * _scale;

        public Vector128<T> Invoke(Vector128<T> x) => x * _scale;

        public Vector256<T> Invoke(Vector256<T> x) => x * _scale;

        public Vector512<T> Invoke(Vector512<T> x) => x * _scale;
    }

    /// <summary><c>(x − max) − logSum</c>, in that order.</summary>
    private readonly struct ShiftLogOperator<T>(T max, T logSum) : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _max = max;
        private readonly T _logSum = logSum;

        public T Invoke(T x) => (x - _max) - _logSum;

        public Vector128<T> Invoke(Vector128<T> x) => (x - Vector128.Create(_max)) - Vector128.Create(_logSum);

        public Vector256<T> Invoke(Vector256<T> x) => (x - Vector256.Create(_max)) - Vector256.Create(_logSum);

        public Vector512<T> Invoke(Vector512<T> x) => (x - Vector512.Create(_max)) - Vector512.Create(_logSum);
    }
}
