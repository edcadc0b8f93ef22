using System.Numerics;

namespace Backprop.Kernels;

/// <summary>The fused forms: a product with its bias and activation, with an activation's backward, or with the column sums of B.</summary>
public static partial class Gemm
{
    /// <summary>
    /// <c>C = f(op(A) · op(B) + 1·bᵀ)</c>, a dense layer's forward pass in one call: the bias added and
    /// the activation applied to each C tile while it is still in registers, in the last depth block
    /// of the packed path, instead of two more passes over C.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="operationA">Whether A enters transposed.</param>
    /// <param name="a">A (the layer's inputs), shape (m, k), or (k, m) when transposed.</param>
    /// <param name="operationB">Whether B enters transposed.</param>
    /// <param name="b">B (the weights), shape (k, n), or (n, k) when transposed.</param>
    /// <param name="bias">b, one element per column of C (length n); must not overlap C.</param>
    /// <param name="activation">f.</param>
    /// <param name="c">C, shape (m, n), overwritten; must not overlap A, B or the bias.</param>
    /// <param name="threads">The threads to split the product across, or null for the calling thread only (see <see cref="Multiply{T}(MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixSpan{T}, T, T, KernelThreads?)"/>); bit-identical for every degree of parallelism.</param>
    /// <param name="workspace">The calling thread's packing buffer, or null for the thread's fallback; one product at a time.</param>
    /// <remarks>
    /// Each element is <c>f(z + b)</c> with z the product's element, computed with the same operations as
    /// the product followed by <see cref="RowColumnOps.AddRowVector{T}"/> and the activation kernel (the
    /// result equals theirs wherever those run at the GEMM's vector width). Products the packed path does
    /// not take (small or skinny, or no SIMD) run as exactly those three calls. Allocates nothing once
    /// the workspaces have served one packed product.
    /// </remarks>
    /// <exception cref="ArgumentException">The shapes do not agree, the bias length is not n, or C overlaps an input.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An operation or <paramref name="activation"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="workspace"/> is in use by another product.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public static void MultiplyBiasActivation<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, ReadOnlySpan<T> bias, ActivationFunction activation, MatrixSpan<T> c, KernelThreads? threads, GemmWorkspace<T>? workspace)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        MultiplyBiasActivation(operationA, a, operationB, b, bias, activation, c, GemmPath.Auto, threads, GemmParallel.MinimumWork, workspace);

    /// <summary>
    /// <c>C = (op(A) · op(B)) ⊙ f′</c>, with f′ written in terms of the activation's output
    /// <paramref name="output"/> at the same position: a dense layer's <c>dZ_prev = (dZ · Wᵀ) ⊙ f′(A_prev)</c>
    /// in one call, the derivative applied to each C tile while it is still in registers.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="operationA">Whether A enters transposed.</param>
    /// <param name="a">A (the layer's output gradient dZ), shape (m, k), or (k, m) when transposed.</param>
    /// <param name="operationB">Whether B enters transposed.</param>
    /// <param name="b">B (the weights, usually transposed), shape (k, n), or (n, k) when transposed.</param>
    /// <param name="output">The activation's output A, shape (m, n); must not overlap C.</param>
    /// <param name="activation">f (<see cref="ActivationFunction.Identity"/>: the plain product).</param>
    /// <param name="c">C, shape (m, n), overwritten; must not overlap A, B or <paramref name="output"/>.</param>
    /// <param name="threads">The threads to split the product across, or null for the calling thread only; bit-identical for every degree of parallelism.</param>
    /// <param name="workspace">The calling thread's packing buffer, or null for the thread's fallback; one product at a time.</param>
    /// <remarks>
    /// Each element is the activation kernels' fused backward (e.g. <see cref="Activations.SigmoidBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>)
    /// of the product's element and A's, the same operations as the product followed by that kernel.
    /// Products the packed path does not take run as exactly those two calls. Allocates nothing once
    /// the workspaces have served one packed product.
    /// </remarks>
    /// <exception cref="ArgumentException">The shapes do not agree, <paramref name="output"/> is not m × n, or C overlaps an input.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An operation or <paramref name="activation"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="workspace"/> is in use by another product.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public static void MultiplyActivationBackward<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, ReadOnlyMatrixSpan<T> output, ActivationFunction activation, MatrixSpan<T> c, KernelThreads? threads, GemmWorkspace<T>? workspace)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        MultiplyActivationBackward(operationA, a, operationB, b, output, activation, c, GemmPath.Auto, threads, GemmParallel.MinimumWork, workspace);

    /// <summary>
    /// <c>C = op(A) · B</c> and <c>columnSums[j] = Σᵢ B[i, j]</c>: a dense layer's <c>dW = Xᵀ · dZ</c> and
    /// <c>db = Σ_rows dZ</c> in one call, B's columns summed while B is packed for the product instead
    /// of in a second pass over it.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="operationA">Whether A enters transposed.</param>
    /// <param name="a">A (the layer's inputs, usually transposed), shape (m, k), or (k, m) when transposed.</param>
    /// <param name="b">B (the layer's output gradient dZ), shape (k, n).</param>
    /// <param name="c">C, shape (m, n), overwritten; must not overlap A, B or the sums.</param>
    /// <param name="columnSums">The column sums of B, length n, overwritten; must not overlap A, B or C.</param>
    /// <param name="threads">The threads to split the product across, or null for the calling thread only; bit-identical for every degree of parallelism.</param>
    /// <param name="workspace">The calling thread's packing buffer, or null for the thread's fallback; one product at a time.</param>
    /// <remarks>
    /// Each column is summed from B's first row to its last, one add chain per column, so the sums are
    /// bit-identical to <see cref="RowColumnOps.SumColumns{T}"/> with α = 1, β = 0 (which products the
    /// packed path does not take call). Allocates nothing once the workspaces have served one packed product.
    /// </remarks>
    /// <exception cref="ArgumentException">The shapes do not agree, the sums' length is not n, or an output overlaps an input or the other output.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operationA"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="workspace"/> is in use by another product.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public static void MultiplySumColumns<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c, Span<T> columnSums, KernelThreads? threads, GemmWorkspace<T>? workspace)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        MultiplySumColumns(operationA, a, b, c, columnSums, GemmPath.Auto, threads, GemmParallel.MinimumWork, workspace);

    /// <summary>As the public overload, with the path forced and the parallel threshold settable (tests).</summary>
    internal static void MultiplyBiasActivation<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, ReadOnlySpan<T> bias, ActivationFunction activation, MatrixSpan<T> c, GemmPath path, KernelThreads? threads, long minimumParallelWork, GemmWorkspace<T>? workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmOperands<T> o = Validate(operationA, a, operationB, b, c);
        KernelArguments.Length(bias.Length, o.N, nameof(bias));
        KernelArguments.NoOverlap(bias, c.Span, nameof(bias));
        CheckActivation(activation);
        if (Packs(o, path))
        {
            var data = new GemmEpilogueData<T>(bias, default, default);
            switch (activation)
            {
                case ActivationFunction.Sigmoid:
                    RunPacked<T, BiasActivationEpilogue<T, Activations.SigmoidOperator<T>>>(o, c, data, threads, minimumParallelWork, workspace);
                    break;
                case ActivationFunction.Tanh:
                    RunPacked<T, BiasActivationEpilogue<T, Activations.TanhOperator<T>>>(o, c, data, threads, minimumParallelWork, workspace);
                    break;
                case ActivationFunction.Relu:
                    RunPacked<T, BiasActivationEpilogue<T, Activations.ReluOperator<T>>>(o, c, data, threads, minimumParallelWork, workspace);
                    break;
                default:
                    RunPacked<T, BiasActivationEpilogue<T, IdentityOperator<T>>>(o, c, data, threads, minimumParallelWork, workspace);
                    break;
            }

            return;
        }

        // The unfused composition: the product, the bias pass, the activation pass.
        Multiply(operationA, a, operationB, b, c, T.One, T.Zero, path, threads, minimumParallelWork, workspace);
        if (c.IsEmpty)
        {
            return;
        }

        RowColumnOps.AddRowVector(c, bias);
        bool dense = c.Stride == c.Columns || c.Rows == 1;
        Span<T> flat = dense ? c.Span[..(c.Rows * c.Columns)] : default;
        switch (activation)
        {
            case ActivationFunction.Sigmoid when dense:
                Activations.Sigmoid(flat, flat, threads);
                break;
            case ActivationFunction.Sigmoid:
                Activations.Sigmoid(c, c);
                break;
            case ActivationFunction.Tanh when dense:
                Activations.Tanh(flat, flat, threads);
                break;
            case ActivationFunction.Tanh:
                Activations.Tanh(c, c);
                break;
            case ActivationFunction.Relu when dense:
                Activations.Relu(flat, flat, threads);
                break;
            case ActivationFunction.Relu:
                Activations.Relu(c, c);
                break;
            default:
                break;
        }
    }

    /// <summary>As the public overload, with the path forced and the parallel threshold settable (tests).</summary>
    internal static void MultiplyActivationBackward<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, MatrixOperation operationB, ReadOnlyMatrixSpan<T> b, ReadOnlyMatrixSpan<T> output, ActivationFunction activation, MatrixSpan<T> c, GemmPath path, KernelThreads? threads, long minimumParallelWork, GemmWorkspace<T>? workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmOperands<T> o = Validate(operationA, a, operationB, b, c);
        KernelArguments.SameShape(o.M, o.N, output.Rows, output.Columns, nameof(output));
        KernelArguments.NoOverlap(output, c, nameof(output));
        CheckActivation(activation);
        if (activation != ActivationFunction.Identity && Packs(o, path))
        {
            var data = new GemmEpilogueData<T>(default, output, default);
            switch (activation)
            {
                case ActivationFunction.Sigmoid:
                    RunPacked<T, ActivationGradientEpilogue<T, Activations.SigmoidBackwardOperator<T>>>(o, c, data, threads, minimumParallelWork, workspace);
                    break;
                case ActivationFunction.Tanh:
                    RunPacked<T, ActivationGradientEpilogue<T, Activations.TanhBackwardOperator<T>>>(o, c, data, threads, minimumParallelWork, workspace);
                    break;
                default:
                    RunPacked<T, ActivationGradientEpilogue<T, Activations.ReluBackwardOperator<T>>>(o, c, data, threads, minimumParallelWork, workspace);
                    break;
            }

            return;
        }

        // The unfused composition: the product, then the activation's backward pass over it.
        Multiply(operationA, a, operationB, b, c, T.One, T.Zero, path, threads, minimumParallelWork, workspace);
        if (c.IsEmpty)
        {
            return;
        }

        bool dense = (c.Stride == c.Columns && output.Stride == output.Columns) || c.Rows == 1;
        int count = c.Rows * c.Columns;
        Span<T> flat = dense ? c.Span[..count] : default;
        ReadOnlySpan<T> flatOutput = dense ? output.Span[..count] : default;
        switch (activation)
        {
            case ActivationFunction.Sigmoid when dense:
                Activations.SigmoidBackward(flat, flatOutput, flat, threads);
                break;
            case ActivationFunction.Sigmoid:
                Activations.SigmoidBackward(c, output, c);
                break;
            case ActivationFunction.Tanh when dense:
                Activations.TanhBackward(flat, flatOutput, flat, threads);
                break;
            case ActivationFunction.Tanh:
                Activations.TanhBackward(c, output, c);
                break;
            case ActivationFunction.Relu when dense:
                Activations.ReluBackward(flat, flatOutput, flat, threads);
                break;
            case ActivationFunction.Relu:
                Activations.ReluBackward(c, output, c);
                break;
            default:
                break;
        }
    }

    /// <summary>As the public overload, with the path forced and the parallel threshold settable (tests).</summary>
    internal static void MultiplySumColumns<T>(MatrixOperation operationA, ReadOnlyMatrixSpan<T> a, ReadOnlyMatrixSpan<T> b, MatrixSpan<T> c, Span<T> columnSums, GemmPath path, KernelThreads? threads, long minimumParallelWork, GemmWorkspace<T>? workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmOperands<T> o = Validate(operationA, a, MatrixOperation.None, b, c);
        KernelArguments.Length(columnSums.Length, o.N, nameof(columnSums));
        KernelArguments.NoOverlap(a.Span, columnSums, nameof(columnSums));
        KernelArguments.NoOverlap(b.Span, columnSums, nameof(columnSums));
        KernelArguments.NoOverlap(c.Span, columnSums, nameof(columnSums));
        if (Packs(o, path))
        {
            RunPacked<T, NoEpilogue<T>>(o, c, new GemmEpilogueData<T>(default, default, columnSums), threads, minimumParallelWork, workspace);
            return;
        }

        Multiply(operationA, a, MatrixOperation.None, b, c, T.One, T.Zero, path, threads, minimumParallelWork, workspace);
        RowColumnOps.SumColumns(b, columnSums, T.One, T.Zero);
    }

    /// <summary>Whether a validated product takes the packed path (where the epilogues run).</summary>
    private static bool Packs<T>(in GemmOperands<T> o, GemmPath path)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        o.M > 0 && o.N > 0 && o.K > 0
        && (path == GemmPath.Packed || (path == GemmPath.Auto && GemmPacked.Pays<T>(o.M, o.N, o.K, o.TransposeA, o.TransposeB)));

    /// <summary>The packed product with an epilogue, C = epilogue(op(A)·op(B)), split across the threads when they take it.</summary>
    private static void RunPacked<T, TEpilogue>(in GemmOperands<T> o, MatrixSpan<T> c, in GemmEpilogueData<T> data, KernelThreads? threads, long minimumParallelWork, GemmWorkspace<T>? workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TEpilogue : struct, IGemmEpilogue<T>
    {
        if (threads is null || !GemmParallel.TryRun<T, TEpilogue>(threads, o, c, T.One, T.Zero, data, minimumParallelWork, workspace))
        {
            GemmPacked.Run<T, TEpilogue>(o, c, T.One, T.Zero, data, workspace ?? GemmWorkspace<T>.ForCurrentThread());
        }
    }

    private static void CheckActivation(ActivationFunction activation)
    {
        if (activation is not (ActivationFunction.Identity or ActivationFunction.Sigmoid or ActivationFunction.Tanh or ActivationFunction.Relu))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Expected Identity, Sigmoid, Tanh or Relu.");
        }
    }
}
