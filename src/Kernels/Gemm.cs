using System.Numerics;

namespace Backprop.Kernels;

/// <summary>
/// General matrix multiply, <c>C = α · op(A) · op(B) + β · C</c>, for row-major views of float or
/// double, with op ∈ {none, transpose} chosen independently for A and B (backpropagation needs
/// A·B, Aᵀ·B and A·Bᵀ).
/// </summary>
/// <remarks>
/// <para>
/// Large products go through a Goto/BLIS-style blocked path: loops over NC columns, KC depth and MC
/// rows, B packed into KC × NR slivers and A into MR × KC slivers, and a register-blocked
/// micro-kernel that keeps its MR × NR accumulators in registers for the whole KC loop. The kernel is
/// chosen once per process at <see cref="KernelSimd.VectorBits"/>: 8 × 2 vectors at 512 bits (32
/// registers), 6 × 2 vectors at 256 and 128 bits (16 registers), a scalar 4 × 4 at width 0, each with
/// its own blocking. Where the CPU fuses multiply-add (<see cref="KernelSimd.FusedMultiplyAdd"/>) the
/// kernels use it; elsewhere they multiply and add separately (the sums may then differ in the last
/// bits), never a lane-by-lane software fusion. Edge tiles go through a small temporary tile and are
/// merged with the same operations as full tiles. Small or skinny products, where packing costs more
/// than it saves, take an unpacked path.
/// </para>
/// <para>
/// The packed path packs into a <see cref="GemmWorkspace{T}"/> (about 1.2 MiB, allocated by its
/// first packed product, reused after): the caller's, when it passes one; each worker's own, for the
/// parts a <see cref="KernelThreads"/> group runs; otherwise a per-thread fallback that the calling
/// thread keeps for its life. A call allocates nothing once its workspaces have served one packed
/// product. Nothing is shared between threads.
/// </para>
/// <para>
/// Results are deterministic for a given shape, vector width and operand values: the order of
/// every floating-point operation depends only on those (and on whether the CPU fuses
/// multiply-add), never on the thread count.
/// </para>
/// </remarks>
public static partial class Gemm
{
    /// <summary><c>C = A · B</c> (overwrites C).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="a">A, shape (m, k).</param>
    /// <param name="b">B, shape (k, n).</param>
    /// <param name="c">C, shape (m, n); must not overlap A or B.</param>
    public static void Multiply<T>(ReadOnlyMatrixSpan<T> a, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Multiply(MatrixOperation.None, a, MatrixOperation.None, b, c, T.One, T.Zero);

    /// <summary><c>C = α · op(A) · op(B) + β · C</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="operationA">Whether A enters transposed.</param>
    /// <param name="a">A, shape (m, k), or (k, m) when transposed.</param>
    /// <param name="operationB">Whether B enters transposed.</param>
    /// <param name="b">B, shape (k, n), or (n, k) when transposed.</param>
    /// <param name="c">C, shape (m, n); must not overlap A or B.</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β; 0 overwrites C (whatever it held, NaN included).</param>
    /// <exception cref="ArgumentException">The shapes do not agree, or C overlaps A or B.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An operation is not a <see cref="MatrixOperation"/> value.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public static void Multiply<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Multiply(operationA, a, operationB, b, c, alpha, beta, GemmPath.Auto);

    /// <summary><c>C = α · op(A) · op(B) + β · C</c>, split across <paramref name="threads"/> when the product is large enough.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="operationA">Whether A enters transposed.</param>
    /// <param name="a">A, shape (m, k), or (k, m) when transposed.</param>
    /// <param name="operationB">Whether B enters transposed.</param>
    /// <param name="b">B, shape (k, n), or (n, k) when transposed.</param>
    /// <param name="c">C, shape (m, n); must not overlap A or B.</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β; 0 overwrites C (whatever it held, NaN included).</param>
    /// <param name="threads">
    /// The threads to use, or null for the calling thread only. Products under 96³
    /// multiply-adds, products the unpacked path handles, and calls that find the group busy with
    /// another call run on the calling thread. The result is bit-identical to the single-thread
    /// overload's for every degree of parallelism.
    /// </param>
    /// <exception cref="ArgumentException">The shapes do not agree, or C overlaps A or B.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An operation is not a <see cref="MatrixOperation"/> value.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public static void Multiply<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c, T alpha, T beta, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Multiply(operationA, a, operationB, b, c, alpha, beta, GemmPath.Auto, threads);

    /// <summary>
    /// <c>C = α · op(A) · op(B) + β · C</c>, split across <paramref name="threads"/> when the product is
    /// large enough, packing the caller's share into <paramref name="workspace"/> (the workers pack into
    /// their own). The thread-static fallback is never touched.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="operationA">Whether A enters transposed.</param>
    /// <param name="a">A, shape (m, k), or (k, m) when transposed.</param>
    /// <param name="operationB">Whether B enters transposed.</param>
    /// <param name="b">B, shape (k, n), or (n, k) when transposed.</param>
    /// <param name="c">C, shape (m, n); must not overlap A or B.</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β; 0 overwrites C (whatever it held, NaN included).</param>
    /// <param name="threads">The threads to use, or null for the calling thread only (see the overload without a workspace).</param>
    /// <param name="workspace">The calling thread's packing buffer; one product at a time.</param>
    /// <exception cref="ArgumentException">The shapes do not agree, or C overlaps A or B.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="workspace"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An operation is not a <see cref="MatrixOperation"/> value.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="workspace"/> is in use by another product.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public static void Multiply<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c, T alpha, T beta, KernelThreads? threads, GemmWorkspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(workspace);
        Multiply(operationA, a, operationB, b, c, alpha, beta, GemmPath.Auto, threads, workspace: workspace);
    }

    /// <summary>As the public overloads, with the path forced (tests and benchmarks cover both paths on every shape) and the parallel threshold settable (tests split tiny products).</summary>
    internal static void Multiply<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c, T alpha, T beta, GemmPath path, KernelThreads? threads = null, long minimumParallelWork = GemmParallel.MinimumWork, GemmWorkspace<T>? workspace = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmOperands<T> operands = Validate(operationA, a, operationB, b, c);
        if (operands.M == 0 || operands.N == 0)
        {
            return;
        }

        if (operands.K == 0 || alpha == T.Zero)
        {
            GemmUnpacked.ScaleC(c, beta);
            return;
        }

        if (path == GemmPath.Packed || (path == GemmPath.Auto && GemmPacked.Pays<T>(operands.M, operands.N, operands.K, operands.TransposeA, operands.TransposeB)))
        {
            if (threads is null || !GemmParallel.TryRun(threads, operands, c, alpha, beta, minimumParallelWork, workspace))
            {
                GemmPacked.Run(operands, c, alpha, beta, workspace ?? GemmWorkspace<T>.ForCurrentThread());
            }
        }
        else
        {
            GemmUnpacked.Run(operands, c, alpha, beta);
        }
    }

    /// <summary>Checks the element type, the operations, the shapes and that C overlaps neither operand; the product's operands.</summary>
    private static GemmOperands<T> Validate<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArguments.ElementType<T>();
        bool ta = IsTransposed(operationA, nameof(operationA));
        bool tb = IsTransposed(operationB, nameof(operationB));
        int m = ta ? a.Columns : a.Rows;
        int k = ta ? a.Rows : a.Columns;
        int kb = tb ? b.Columns : b.Rows;
        int n = tb ? b.Rows : b.Columns;
        if (kb != k)
        {
            throw new ArgumentException($"op(A) is {m}×{k} but op(B) is {kb}×{n}: the inner dimensions differ.", nameof(b));
        }

        if (c.Rows != m || c.Columns != n)
        {
            throw new ArgumentException($"Expected C to be {m}×{n} (rows of op(A) × columns of op(B)), got {c.Rows}×{c.Columns}.", nameof(c));
        }

        KernelArguments.NoOverlap(a.Span, c.Span, nameof(c));
        KernelArguments.NoOverlap(b.Span, c.Span, nameof(c));
        return new GemmOperands<T>(a, ta, b, tb, m, n, k);
    }

    private static bool IsTransposed(MatrixOperation operation, string name) => operation switch
    {
        MatrixOperation.None => false,
        MatrixOperation.Transpose => true,
        _ => throw new ArgumentOutOfRangeException(name, operation, "Expected MatrixOperation.None or MatrixOperation.Transpose."),
    };
}

/// <summary>Which GEMM implementation runs.</summary>
internal enum GemmPath
{
    /// <summary>Chosen by shape (<see cref="GemmPacked.Pays{T}(int, int, int, bool, bool)"/>).</summary>
    Auto,

    /// <summary>The blocked, packed path.</summary>
    Packed,

    /// <summary>The unpacked path (<see cref="GemmUnpacked"/>).</summary>
    Unpacked,
}

/// <summary>Validated operands of one product: the views, whether each is transposed, and m, n, k of op(A)·op(B).</summary>
internal readonly ref struct GemmOperands<T>(ReadOnlyMatrixSpan<T> a, bool transposeA, ReadOnlyMatrixSpan<T> b, bool transposeB, int m, int n, int k)
{
    public readonly ReadOnlyMatrixSpan<T> A = a;
    public readonly ReadOnlyMatrixSpan<T> B = b;
    public readonly bool TransposeA = transposeA;
    public readonly bool TransposeB = transposeB;
    public readonly int M = m;
    public readonly int N = n;
    public readonly int K = k;
}
