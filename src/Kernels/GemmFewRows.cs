using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// A dense layer's weights and bias packed once for <see cref="GemmFewRows"/>: column panels one
/// vector wide (at the width the kernels run at, <see cref="KernelSimd.VectorBits"/>), each panel
/// holding its columns for every input in turn, so a pass reads the panel front to back exactly
/// once; the last panel and the bias are padded with zeros.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class FewRowsWeights<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _panels;
    private readonly T[] _bias;

    /// <summary>Packs <paramref name="weights"/> (fan_in × fan_out, any stride) and <paramref name="bias"/> (fan_out). Nothing refers back to the sources.</summary>
    /// <param name="weights">W, so that a layer computes <c>x·W + b</c>.</param>
    /// <param name="bias">b, one per column of W.</param>
    /// <exception cref="ArgumentException">Empty weights, or a bias of another length.</exception>
    public FewRowsWeights(ReadOnlyMatrixSpan<T> weights, ReadOnlySpan<T> bias)
    {
        if (weights.Rows < 1 || weights.Columns < 1)
        {
            throw new ArgumentException($"Expected at least a 1×1 weight matrix, got {weights.Rows}×{weights.Columns}.", nameof(weights));
        }

        if (bias.Length != weights.Columns)
        {
            throw new ArgumentException($"Expected one bias per column ({weights.Columns}), got {bias.Length}.", nameof(bias));
        }

        Lanes = SimdWidth.Lanes<T>();
        FanIn = weights.Rows;
        FanOut = weights.Columns;
        Panels = (FanOut + Lanes - 1) / Lanes;
        _panels = new T[checked((long)Panels * Lanes * FanIn) <= Array.MaxLength ? Panels * Lanes * FanIn : throw new ArgumentException("The packed weights would not fit in an array.", nameof(weights))];
        _bias = new T[Panels * Lanes];
        bias.CopyTo(_bias);
        for (int p = 0; p < Panels; p++)
        {
            int first = p * Lanes;
            int width = Math.Min(Lanes, FanOut - first);
            Span<T> panel = _panels.AsSpan(p * Lanes * FanIn, Lanes * FanIn);
            for (int i = 0; i < FanIn; i++)
            {
                weights.Row(i).Slice(first, width).CopyTo(panel.Slice(i * Lanes, width));
            }
        }
    }

    /// <summary>Inputs of the layer (rows of W).</summary>
    public int FanIn { get; }

    /// <summary>Outputs of the layer (columns of W).</summary>
    public int FanOut { get; }

    /// <summary>Columns per panel: the lanes of one vector at the width chosen when packing (1 for scalar code).</summary>
    public int Lanes { get; }

    /// <summary>Number of column panels.</summary>
    public int Panels { get; }

    /// <summary>Bytes held (panels and padded bias).</summary>
    public long SizeInBytes => ((long)_panels.Length + _bias.Length) * Unsafe.SizeOf<T>();

    internal T[] PanelData => _panels;

    internal T[] BiasData => _bias;
}

/// <summary>
/// <c>Y = X·W + b</c> for a few rows (the latency path of prediction): a matrix-vector product
/// generalised to up to <see cref="MaxRows"/> rows that reads every packed weight once per call, with
/// the bias as the accumulators' starting value.
/// </summary>
/// <remarks>
/// <para>
/// Each output is one chain of multiply-adds in input order, <c>((b + x₀w₀) + x₁w₁) + …</c> (fused
/// where FMA is an instruction), whatever the number of rows and however the panels are grouped, so a
/// row's result does not depend on the other rows of the call. Against the packed GEMM of the batch
/// path (bias added after the sum, sums blocked differently) the difference is within the usual
/// bound <c>γₙ·(|b| + Σᵢ |xᵢ·wᵢ|)</c>, <c>γₙ = (n + 1)·u</c> each.
/// </para>
/// <para>
/// Registers: one row runs four panels at a time (four independent chains), two rows two panels,
/// four or eight rows one panel, so at most eight accumulators are live at any width. Calls of more
/// than <see cref="MaxRows"/> rows run in groups of eight (each group reads the weights once).
/// </para>
/// </remarks>
public static class GemmFewRows
{
    /// <summary>Rows that share one read of the weights.</summary>
    public const int MaxRows = 8;

    /// <summary>Writes <c>Y = X·W + b</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="x">Rows of <see cref="FewRowsWeights{T}.FanIn"/> inputs, any stride.</param>
    /// <param name="weights">The packed layer.</param>
    /// <param name="y">Rows × <see cref="FewRowsWeights{T}.FanOut"/>, any stride; must not overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
    /// <exception cref="ArgumentException">Shapes that do not match, overlapping X and Y, or weights packed at another vector width.</exception>
    public static void Multiply<T>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (x.Columns != weights.FanIn)
        {
            throw new ArgumentException($"Expected {weights.FanIn} columns (the layer's inputs), got {x.Columns}.", nameof(x));
        }

        if (y.Rows != x.Rows || y.Columns != weights.FanOut)
        {
            throw new ArgumentException($"Expected a {x.Rows}×{weights.FanOut} destination, got {y.Rows}×{y.Columns}.", nameof(y));
        }

        if (weights.Lanes != SimdWidth.Lanes<T>())
        {
            throw new ArgumentException($"The weights were packed for {weights.Lanes} lanes; the kernels now run with {SimdWidth.Lanes<T>()}.", nameof(weights));
        }

        if (!x.IsEmpty && !y.IsEmpty && x.Span.Overlaps(y.Span))
        {
            throw new ArgumentException("The destination overlaps the input.", nameof(y));
        }

        for (int start = 0; start < x.Rows; start += MaxRows)
        {
            int rows = Math.Min(MaxRows, x.Rows - start);
            Group(x.SliceRows(start, rows), weights, y.SliceRows(start, rows));
        }
    }

    private static void Group<T>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (weights.Lanes > 1)
        {
            if (Vector512.IsHardwareAccelerated && SimdWidth.Use512 && weights.Lanes == Vector512<T>.Count)
            {
                Vectors<T, Vector512<T>, Simd512<T>>(x, weights, y);
                return;
            }

            if (Vector256.IsHardwareAccelerated && SimdWidth.Use256 && weights.Lanes == Vector256<T>.Count)
            {
                Vectors<T, Vector256<T>, Simd256<T>>(x, weights, y);
                return;
            }

            Vectors<T, Vector128<T>, Simd128<T>>(x, weights, y);
            return;
        }

        Scalar(x, weights, y);
    }

    private static void Scalar<T>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Panels one column wide: column j's weights are contiguous.
        int n = weights.FanIn;
        ReadOnlySpan<T> panels = weights.PanelData;
        for (int j = 0; j < weights.FanOut; j++)
        {
            ReadOnlySpan<T> w = panels.Slice(j * n, n);
            for (int r = 0; r < x.Rows; r++)
            {
                ReadOnlySpan<T> row = x.Row(r);
                T acc = weights.BiasData[j];
                for (int i = 0; i < n; i++)
                {
                    acc = SimdWidth.Fused ? T.FusedMultiplyAdd(row[i], w[i], acc) : (row[i] * w[i]) + acc;
                }

                y[r, j] = acc;
            }
        }
    }

    private static void Vectors<T, TV, TW>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        int rows = x.Rows;
        int panels = weights.Panels;
        int p = 0;
        if (rows == 1)
        {
            for (; p + 4 <= panels; p += 4)
            {
                OneRowFourPanels<T, TV, TW>(x, weights, y, p);
            }
        }
        else if (rows == 2)
        {
            for (; p + 2 <= panels; p += 2)
            {
                TwoRowsTwoPanels<T, TV, TW>(x, weights, y, p);
            }
        }

        for (; p < panels; p++)
        {
            if (rows <= 4)
            {
                RowsOnePanel<T, TV, TW>(x, weights, y, p, 4);
            }
            else
            {
                RowsOnePanel<T, TV, TW>(x, weights, y, p, 8);
            }
        }
    }

    /// <summary>One row, panels p … p + 3: four independent chains.</summary>
    private static void OneRowFourPanels<T, TV, TW>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint lanes = (nuint)TW.Count;
        nuint n = (nuint)weights.FanIn;
        nuint panel = lanes * n;
        ref T b = ref MemoryMarshal.GetArrayDataReference(weights.BiasData);
        ref T w0 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(weights.PanelData), (nint)((nuint)p * panel));
        ref T w1 = ref Unsafe.Add(ref w0, (nint)panel);
        ref T w2 = ref Unsafe.Add(ref w1, (nint)panel);
        ref T w3 = ref Unsafe.Add(ref w2, (nint)panel);
        ref T xr = ref MemoryMarshal.GetReference(x.Row(0));
        nuint column = (nuint)p * lanes;
        TV a0 = TW.Load(ref b, column);
        TV a1 = TW.Load(ref b, column + lanes);
        TV a2 = TW.Load(ref b, column + (2 * lanes));
        TV a3 = TW.Load(ref b, column + (3 * lanes));
        for (nuint i = 0, k = 0; i < n; i++, k += lanes)
        {
            TV v = TW.Create(Unsafe.Add(ref xr, i));
            a0 = TW.MultiplyAdd(v, TW.Load(ref w0, k), a0);
            a1 = TW.MultiplyAdd(v, TW.Load(ref w1, k), a1);
            a2 = TW.MultiplyAdd(v, TW.Load(ref w2, k), a2);
            a3 = TW.MultiplyAdd(v, TW.Load(ref w3, k), a3);
        }

        Span<T> row = y.Row(0);
        StorePanel<T, TV, TW>(a0, row, p);
        StorePanel<T, TV, TW>(a1, row, p + 1);
        StorePanel<T, TV, TW>(a2, row, p + 2);
        StorePanel<T, TV, TW>(a3, row, p + 3);
    }

    /// <summary>Two rows, panels p and p + 1.</summary>
    private static void TwoRowsTwoPanels<T, TV, TW>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint lanes = (nuint)TW.Count;
        nuint n = (nuint)weights.FanIn;
        nuint panel = lanes * n;
        ref T b = ref MemoryMarshal.GetArrayDataReference(weights.BiasData);
        ref T w0 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(weights.PanelData), (nint)((nuint)p * panel));
        ref T w1 = ref Unsafe.Add(ref w0, (nint)panel);
        ref T x0 = ref MemoryMarshal.GetReference(x.Row(0));
        ref T x1 = ref MemoryMarshal.GetReference(x.Row(1));
        nuint column = (nuint)p * lanes;
        TV a00 = TW.Load(ref b, column), a01 = TW.Load(ref b, column + lanes);
        TV a10 = a00, a11 = a01;
        for (nuint i = 0, k = 0; i < n; i++, k += lanes)
        {
            TV v0 = TW.Create(Unsafe.Add(ref x0, i));
            TV v1 = TW.Create(Unsafe.Add(ref x1, i));
            TV u0 = TW.Load(ref w0, k);
            TV u1 = TW.Load(ref w1, k);
            a00 = TW.MultiplyAdd(v0, u0, a00);
            a01 = TW.MultiplyAdd(v0, u1, a01);
            a10 = TW.MultiplyAdd(v1, u0, a10);
            a11 = TW.MultiplyAdd(v1, u1, a11);
        }

        StorePanel<T, TV, TW>(a00, y.Row(0), p);
        StorePanel<T, TV, TW>(a01, y.Row(0), p + 1);
        StorePanel<T, TV, TW>(a10, y.Row(1), p);
        StorePanel<T, TV, TW>(a11, y.Row(1), p + 1);
    }

    /// <summary>Up to <paramref name="capacity"/> (4 or 8) rows, one panel: a missing row repeats the last one and is not stored.</summary>
    private static void RowsOnePanel<T, TV, TW>(ReadOnlyMatrixSpan<T> x, FewRowsWeights<T> weights, MatrixSpan<T> y, int p, int capacity)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        nuint lanes = (nuint)TW.Count;
        nuint n = (nuint)weights.FanIn;
        int rows = x.Rows;
        ref T w = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(weights.PanelData), (nint)((nuint)p * lanes * n));
        TV bias = TW.Load(ref MemoryMarshal.GetArrayDataReference(weights.BiasData), (nuint)p * lanes);
        ref T x0 = ref MemoryMarshal.GetReference(x.Row(0));
        ref T x1 = ref MemoryMarshal.GetReference(x.Row(Math.Min(1, rows - 1)));
        ref T x2 = ref MemoryMarshal.GetReference(x.Row(Math.Min(2, rows - 1)));
        ref T x3 = ref MemoryMarshal.GetReference(x.Row(Math.Min(3, rows - 1)));
        TV a0 = bias, a1 = bias, a2 = bias, a3 = bias;
        if (capacity == 4)
        {
            for (nuint i = 0, k = 0; i < n; i++, k += lanes)
            {
                TV u = TW.Load(ref w, k);
                a0 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x0, i)), u, a0);
                a1 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x1, i)), u, a1);
                a2 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x2, i)), u, a2);
                a3 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x3, i)), u, a3);
            }

            StoreRows<T, TV, TW>(y, p, 0, rows, a0, a1, a2, a3);
            return;
        }

        ref T x4 = ref MemoryMarshal.GetReference(x.Row(Math.Min(4, rows - 1)));
        ref T x5 = ref MemoryMarshal.GetReference(x.Row(Math.Min(5, rows - 1)));
        ref T x6 = ref MemoryMarshal.GetReference(x.Row(Math.Min(6, rows - 1)));
        ref T x7 = ref MemoryMarshal.GetReference(x.Row(Math.Min(7, rows - 1)));
        TV a4 = bias, a5 = bias, a6 = bias, a7 = bias;
        for (nuint i = 0, k = 0; i < n; i++, k += lanes)
        {
            TV u = TW.Load(ref w, k);
            a0 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x0, i)), u, a0);
            a1 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x1, i)), u, a1);
            a2 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x2, i)), u, a2);
            a3 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x3, i)), u, a3);
            a4 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x4, i)), u, a4);
            a5 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x5, i)), u, a5);
            a6 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x6, i)), u, a6);
            a7 = TW.MultiplyAdd(TW.Create(Unsafe.Add(ref x7, i)), u, a7);
        }

        StoreRows<T, TV, TW>(y, p, 0, rows, a0, a1, a2, a3);
        StoreRows<T, TV, TW>(y, p, 4, rows, a4, a5, a6, a7);
    }

    private static void StoreRows<T, TV, TW>(MatrixSpan<T> y, int p, int first, int rows, TV a0, TV a1, TV a2, TV a3)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        if (first < rows)
        {
            StorePanel<T, TV, TW>(a0, y.Row(first), p);
        }

        if (first + 1 < rows)
        {
            StorePanel<T, TV, TW>(a1, y.Row(first + 1), p);
        }

        if (first + 2 < rows)
        {
            StorePanel<T, TV, TW>(a2, y.Row(first + 2), p);
        }

        if (first + 3 < rows)
        {
            StorePanel<T, TV, TW>(a3, y.Row(first + 3), p);
        }
    }

    /// <summary>Stores panel <paramref name="p"/>'s columns of one row: a whole vector, or the leading columns of the last, partial panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePanel<T, TV, TW>(TV value, Span<T> row, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TW : struct, ISimdWidth<T, TV>
    {
        int lanes = TW.Count;
        int column = p * lanes;
        int width = row.Length - column;
        if (width >= lanes)
        {
            TW.Store(value, ref MemoryMarshal.GetReference(row), (nuint)column);
            return;
        }

        Span<T> tail = stackalloc T[lanes];
        TW.Store(value, ref MemoryMarshal.GetReference(tail), 0);
        tail[..width].CopyTo(row[column..]);
    }
}
