using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// op(B) of a product packed once, for the packed GEMM's micro-kernel chosen for this process: the
/// same KC × NR slivers, depth-major, that <see cref="Gemm.MultiplyBiasActivation{T}(MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixOperation, ReadOnlyMatrixSpan{T}, ReadOnlySpan{T}, ActivationFunction, MatrixSpan{T}, KernelThreads, GemmWorkspace{T})"/>
/// packs on every call, for every depth block at once, so a product over it
/// (<see cref="Gemm.MultiplyBiasActivation{T}(MatrixOperation, ReadOnlyMatrixSpan{T}, PackedWeights{T}, ReadOnlySpan{T}, ActivationFunction, MatrixSpan{T}, GemmWorkspace{T})"/>)
/// never packs the weights again. A dense layer's weights packed at model load.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// Layout: depth block <c>d</c> (depth <c>d·KC</c> to <c>min((d + 1)·KC, K)</c>, <c>kc</c> deep) holds
/// the slivers of all columns in order, sliver <c>s</c> at <c>d·KC·N′ + s·NR·kc</c>, element
/// <c>(p, j)</c> of the sliver at <c>p·NR + j</c>, with <c>N′</c> the columns rounded up to NR and the
/// padding columns zero; the first element sits on a 64-byte boundary. Nothing refers back to the
/// source matrix. The bytes held are about those of op(B) (<see cref="SizeInBytes"/>).
/// </remarks>
public sealed class PackedWeights<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _buffer;
    private readonly int _offset;

    /// <summary>Packs op(<paramref name="b"/>) (K × N after <paramref name="operation"/>, any stride) for the kernel this process runs.</summary>
    /// <param name="operation">Whether B enters the product transposed.</param>
    /// <param name="b">B, shape (K, N), or (N, K) when transposed; at least 1 × 1.</param>
    /// <exception cref="ArgumentException">B is empty, or the packed copy would not fit in an array.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operation"/> is not a <see cref="MatrixOperation"/> value.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public PackedWeights(MatrixOperation operation, ReadOnlyMatrixSpan<T> b)
    {
        KernelArguments.ElementType<T>();
        if (operation is not (MatrixOperation.None or MatrixOperation.Transpose))
        {
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "Expected MatrixOperation.None or MatrixOperation.Transpose.");
        }

        bool transpose = operation == MatrixOperation.Transpose;
        Depth = transpose ? b.Columns : b.Rows;
        Columns = transpose ? b.Rows : b.Columns;
        if (Depth < 1 || Columns < 1)
        {
            throw new ArgumentException($"Expected op(B) of at least 1×1, got {Depth}×{Columns}.", nameof(b));
        }

        Bits = KernelSimd.VectorBits;
        (TileRows, NR, KC) = GemmPrepacked.Blocking<T>();
        PaddedColumns = (Columns + NR - 1) / NR * NR;
        long length = (long)PaddedColumns * Depth;
        int slack = 64 / Unsafe.SizeOf<T>();
        if (length > Array.MaxLength - slack)
        {
            throw new ArgumentException($"The packed {Depth}×{Columns} matrix would not fit in an array.", nameof(b));
        }

        _buffer = GC.AllocateUninitializedArray<T>((int)length + slack, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(_buffer, 0);
        _offset = (int)((64 - (address & 63)) & 63) / Unsafe.SizeOf<T>();
        GemmPrepacked.Pack(b, transpose, this);
    }

    /// <summary>K: the depth of the product, rows of op(B).</summary>
    public int Depth { get; }

    /// <summary>N: columns of op(B) and of C.</summary>
    public int Columns { get; }

    /// <summary>
    /// Rows of the micro-kernel's tile (MR) for this process: a product whose row count is a multiple of
    /// it runs whole tiles only; the rows of a last, partial tile cost about as much as a whole one.
    /// </summary>
    public int TileRows { get; }

    /// <summary>Columns of the micro-kernel's tile (NR) for this process: the packed columns are rounded up to a multiple of it.</summary>
    public int TileColumns => NR;

    /// <summary>Bytes held, alignment slack included.</summary>
    public long SizeInBytes => (long)_buffer.Length * Unsafe.SizeOf<T>();

    /// <summary>The vector width of the kernel the data were packed for (<see cref="KernelSimd.VectorBits"/> then).</summary>
    internal int Bits { get; }

    /// <summary>The kernel's sliver width when packed.</summary>
    internal int NR { get; }

    /// <summary>The kernel's depth block when packed.</summary>
    internal int KC { get; }

    /// <summary>Columns rounded up to a whole number of slivers.</summary>
    internal int PaddedColumns { get; }

    /// <summary>The packed elements (<see cref="Depth"/> × <see cref="PaddedColumns"/>), starting on a 64-byte boundary.</summary>
    internal Span<T> Data => _buffer.AsSpan(_offset, PaddedColumns * Depth);
}

/// <summary>
/// The packed GEMM over op(B) packed once (<see cref="PackedWeights{T}"/>): the loops of
/// <see cref="GemmPacked"/> around the same micro-kernel, with each depth block's B panel read from
/// the packed copy instead of packed; only A is packed per call. Every element goes through the same
/// operations in the same order (the same depth blocks, tile kernel, edge merges and epilogue), so
/// the result is bit-identical to the packed path of
/// <see cref="Gemm.MultiplyBiasActivation{T}(MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixOperation, ReadOnlyMatrixSpan{T}, ReadOnlySpan{T}, ActivationFunction, MatrixSpan{T}, KernelThreads, GemmWorkspace{T})"/>
/// on the same operands. The blocking is read through the kernel interface, never copied.
/// </summary>
internal static class GemmPrepacked
{
    /// <summary>MR, NR and KC of the kernel this process runs.</summary>
    public static (int MR, int NR, int KC) Blocking<T>()
        where T : unmanaged, IFloatingPointIeee754<T> => KernelSimd.VectorBits switch
        {
            512 => (Kernel512<T>.MR, Kernel512<T>.NR, Kernel512<T>.KC),
            256 => (Kernel6x2<T, Vector256<T>, Simd256<T>>.MR, Kernel6x2<T, Vector256<T>, Simd256<T>>.NR, Kernel6x2<T, Vector256<T>, Simd256<T>>.KC),
            128 => GemmMath.Fused ? (Kernel6x2<T, Vector128<T>, Simd128<T>>.MR, Kernel6x2<T, Vector128<T>, Simd128<T>>.NR, Kernel6x2<T, Vector128<T>, Simd128<T>>.KC) : (Kernel128Split<T>.MR, Kernel128Split<T>.NR, Kernel128Split<T>.KC),
            _ => (KernelScalar<T>.MR, KernelScalar<T>.NR, KernelScalar<T>.KC),
        };

    /// <summary>Packs op(B) into <paramref name="packed"/>'s data for the kernel this process runs.</summary>
    public static void Pack<T>(ReadOnlyMatrixSpan<T> b, bool transpose, PackedWeights<T> packed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (packed.Bits)
        {
            case 512:
                Pack<T, Kernel512<T>>(b, transpose, packed);
                break;
            case 256:
                Pack<T, Kernel6x2<T, Vector256<T>, Simd256<T>>>(b, transpose, packed);
                break;
            case 128 when GemmMath.Fused:
                Pack<T, Kernel6x2<T, Vector128<T>, Simd128<T>>>(b, transpose, packed);
                break;
            case 128:
                Pack<T, Kernel128Split<T>>(b, transpose, packed);
                break;
            default:
                Pack<T, KernelScalar<T>>(b, transpose, packed);
                break;
        }
    }

    /// <summary>Runs <c>C = epilogue(op(A)·op(B))</c> with the kernel the weights were packed for.</summary>
    public static void Run<T, TEpilogue>(in GemmOperands<T> o, PackedWeights<T> packed, MatrixSpan<T> c, in GemmEpilogueData<T> epilogue, GemmWorkspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        switch (packed.Bits)
        {
            case 512:
                Run<T, Kernel512<T>, TEpilogue>(o, packed, c, epilogue, workspace);
                break;
            case 256:
                Run<T, Kernel6x2<T, Vector256<T>, Simd256<T>>, TEpilogue>(o, packed, c, epilogue, workspace);
                break;
            case 128 when GemmMath.Fused:
                Run<T, Kernel6x2<T, Vector128<T>, Simd128<T>>, TEpilogue>(o, packed, c, epilogue, workspace);
                break;
            case 128:
                Run<T, Kernel128Split<T>, TEpilogue>(o, packed, c, epilogue, workspace);
                break;
            default:
                Run<T, KernelScalar<T>, TEpilogue>(o, packed, c, epilogue, workspace);
                break;
        }
    }

    private static void Pack<T, TKernel>(ReadOnlyMatrixSpan<T> b, bool transpose, PackedWeights<T> packed)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        Span<T> data = packed.Data;
        ref T b0 = ref MemoryMarshal.GetReference(b.Span);
        nint ldb = b.Stride;
        int k = packed.Depth, n = packed.Columns, paddedN = packed.PaddedColumns;
        for (int pc = 0; pc < k; pc += TKernel.KC)
        {
            int kc = Math.Min(TKernel.KC, k - pc);

            // op(B)[p, j] is B[p, j] (columns contiguous) or, transposed, B[j, p] (depth contiguous), as GemmPacked.PackB reads it.
            ref T origin = ref transpose ? ref Unsafe.Add(ref b0, pc) : ref Unsafe.Add(ref b0, pc * ldb);
            GemmPacked.PackSlivers<T, TKernel>(ref origin, ldb, depthContiguous: transpose, n, kc, TKernel.NR, data.Slice(pc * paddedN, paddedN * kc));
        }
    }

    /// <summary>Elements of the workspace a prepacked product uses: an A block and one edge tile (no B panel).</summary>
    private static int WorkspaceLength<TKernel, T>()
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T> =>
        (TKernel.MC * TKernel.KC) + (TKernel.MR * TKernel.NR);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<T, TKernel, TEpilogue>(in GemmOperands<T> o, PackedWeights<T> packed, MatrixSpan<T> c, in GemmEpilogueData<T> epilogue, GemmWorkspace<T> owner)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        Debug.Assert(packed.NR == TKernel.NR && packed.KC == TKernel.KC, "Packed for this kernel.");
        Span<T> workspace = owner.Acquire(WorkspaceLength<TKernel, T>());
        try
        {
            Loops<T, TKernel, TEpilogue>(o, packed, c, epilogue, workspace);
        }
        finally
        {
            owner.Release();
        }
    }

    /// <summary>GemmPacked's loops with α = 1, β = 0, B's panels taken from the packed copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Loops<T, TKernel, TEpilogue>(in GemmOperands<T> o, PackedWeights<T> packed, MatrixSpan<T> c, in GemmEpilogueData<T> epilogue, Span<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        GemmPacked.Calls<TKernel>.Count++;
        int mrFull = TKernel.MR, nr = TKernel.NR, kcMax = TKernel.KC, ncMax = TKernel.NC, mcMax = TKernel.MC;
        Span<T> aPack = workspace[..(mcMax * kcMax)];
        Span<T> tile = workspace.Slice(mcMax * kcMax, mrFull * nr);
        ref T b0 = ref MemoryMarshal.GetReference(packed.Data);
        int paddedN = packed.PaddedColumns;

        for (int jc = 0; jc < o.N; jc += ncMax)
        {
            int nc = Math.Min(ncMax, o.N - jc);
            for (int pc = 0; pc < o.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, o.K - pc);
                T blockBeta = pc == 0 ? T.Zero : T.One;
                bool finish = TEpilogue.Active && pc + kc >= o.K;

                // The (jc, pc) panel GemmPacked.PackB would build: depth block pc's slivers from column jc on.
                ref T bPanel = ref Unsafe.Add(ref b0, (pc * paddedN) + (jc * kc));
                for (int ic = 0; ic < o.M; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, o.M - ic);
                    GemmPacked.PackA<T, TKernel>(o, ic, mc, pc, kc, aPack);
                    GemmPacked.Block<T, TKernel, TEpilogue>(aPack, ref bPanel, kc, ic, mc, jc, nc, c, T.One, blockBeta, finish, epilogue, tile);
                }
            }
        }
    }
}

/// <content>The products over weights packed once (<see cref="PackedWeights{T}"/>).</content>
public static partial class Gemm
{
    /// <summary>
    /// <c>C = f(op(A) · op(B) + b)</c> with op(B) packed once (<see cref="PackedWeights{T}"/>): a dense
    /// layer's forward pass at inference, with no per-call packing of the weights; only A is packed.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="operationA">Whether A enters transposed.</param>
    /// <param name="a">A (the layer's inputs), shape (m, K), or (K, m) when transposed, any stride.</param>
    /// <param name="b">op(B) packed for the kernel this process runs, K × N.</param>
    /// <param name="bias">b, one per column of C (length N); must not overlap C.</param>
    /// <param name="activation">f (<see cref="ActivationFunction.Identity"/>: the product plus the bias).</param>
    /// <param name="c">C, shape (m, N), any stride, overwritten; must not overlap A.</param>
    /// <param name="workspace">The calling thread's packing buffer, or null for the thread's fallback; one product at a time.</param>
    /// <remarks>
    /// Always runs the packed path (the micro-kernel the weights were packed for), whatever the
    /// shape: bit-identical to that path of
    /// <see cref="MultiplyBiasActivation{T}(MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixOperation, ReadOnlyMatrixSpan{T}, ReadOnlySpan{T}, ActivationFunction, MatrixSpan{T}, KernelThreads, GemmWorkspace{T})"/>
    /// on the unpacked B (the same kernel on the same packed data), which that method takes wherever
    /// packing pays. A row's result does not depend on the other rows. Allocates nothing once the
    /// workspace has served one product (it needs an A block and a tile, not a B panel).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="b"/> is null.</exception>
    /// <exception cref="ArgumentException">The shapes do not agree, the bias's length is not N, C overlaps A or the bias, or the weights were packed for another kernel.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operationA"/> or <paramref name="activation"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="workspace"/> is in use by another product.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public static void MultiplyBiasActivation<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, PackedWeights<T> b, ReadOnlySpan<T> bias, ActivationFunction activation, MatrixSpan<T> c, GemmWorkspace<T>? workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(b);
        bool ta = IsTransposed(operationA, nameof(operationA));
        int m = ta ? a.Columns : a.Rows;
        int k = ta ? a.Rows : a.Columns;
        if (k != b.Depth)
        {
            throw new ArgumentException($"op(A) is {m}×{k} but the packed op(B) is {b.Depth}×{b.Columns}: the inner dimensions differ.", nameof(a));
        }

        if (c.Rows != m || c.Columns != b.Columns)
        {
            throw new ArgumentException($"Expected C to be {m}×{b.Columns} (rows of op(A) × columns of op(B)), got {c.Rows}×{c.Columns}.", nameof(c));
        }

        if (b.Bits != KernelSimd.VectorBits)
        {
            throw new ArgumentException($"The weights were packed for the {b.Bits}-bit kernel; this process runs the {KernelSimd.VectorBits}-bit one.", nameof(b));
        }

        KernelArguments.Length(bias.Length, b.Columns, nameof(bias));
        KernelArguments.NoOverlap(a.Span, c.Span, nameof(c));
        KernelArguments.NoOverlap(bias, c.Span, nameof(bias));
        CheckActivation(activation);
        if (m == 0)
        {
            return;
        }

        var o = new GemmOperands<T>(a, ta, default, false, m, b.Columns, k);
        var data = new GemmEpilogueData<T>(bias, default, default);
        GemmWorkspace<T> owner = workspace ?? GemmWorkspace<T>.ForCurrentThread();
        switch (activation)
        {
            case ActivationFunction.Sigmoid:
                GemmPrepacked.Run<T, BiasActivationEpilogue<T, Activations.SigmoidOperator<T>>>(o, b, c, data, owner);
                break;
            case ActivationFunction.Tanh:
                GemmPrepacked.Run<T, BiasActivationEpilogue<T, Activations.TanhOperator<T>>>(o, b, c, data, owner);
                break;
            case ActivationFunction.Relu:
                GemmPrepacked.Run<T, BiasActivationEpilogue<T, Activations.ReluOperator<T>>>(o, b, c, data, owner);
                break;
            default:
                GemmPrepacked.Run<T, BiasActivationEpilogue<T, IdentityOperator<T>>>(o, b, c, data, owner);
                break;
        }
    }
}
