using System.Numerics;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// Element-wise activations with their fused backward passes. Forward and backward of each
/// activation sit side by side. Every kernel allows exact in-place use (destination is the same
/// span as an input) and rejects partial overlap.
/// </summary>
/// <remarks>
/// The backward kernels take the activation's <em>output</em> (A), not its input (Z): all three
/// derivatives can be written in terms of A, so Z need not be kept.
/// </remarks>
public static class Activations
{
    /// <summary>Logistic sigmoid: <c>A = 1 / (1 + e^(−Z))</c>. Saturates to exactly 0 or 1, never NaN for finite input.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>.</param>
    public static void Sigmoid<T>(ReadOnlySpan<T> input, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseParallel.Map(null, input, destination, default(SigmoidOperator<T>));
    }

    /// <summary>Fused sigmoid backward: <c>dZ = dA ⊙ A ⊙ (1 − A)</c> in one pass.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="outputGradient">dA, the gradient with respect to the activation.</param>
    /// <param name="output">A, the sigmoid's output.</param>
    /// <param name="destination">dZ; may be the same span as <paramref name="outputGradient"/> or <paramref name="output"/>.</param>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> output, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(outputGradient, output, destination);
        ElementwiseParallel.Map(null, outputGradient, output, destination, default(SigmoidBackwardOperator<T>));
    }

    /// <summary>Hyperbolic tangent: <c>A = tanh(Z)</c>, within 7 ulp; saturates to exactly ±1, never NaN for finite input.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>.</param>
    public static void Tanh<T>(ReadOnlySpan<T> input, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseParallel.Map(null, input, destination, default(TanhOperator<T>));
    }

    /// <summary>Fused tanh backward: <c>dZ = dA ⊙ (1 − A²)</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="outputGradient">dA.</param>
    /// <param name="output">A, the tanh output.</param>
    /// <param name="destination">dZ; may be the same span as an input.</param>
    public static void TanhBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> output, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(outputGradient, output, destination);
        ElementwiseParallel.Map(null, outputGradient, output, destination, default(TanhBackwardOperator<T>));
    }

    /// <summary>Rectified linear unit: <c>A = max(Z, 0)</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>.</param>
    public static void Relu<T>(ReadOnlySpan<T> input, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseParallel.Map(null, input, destination, default(ReluOperator<T>));
    }

    /// <summary>Fused ReLU backward: <c>dZ = dA ⊙ [A &gt; 0]</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="outputGradient">dA.</param>
    /// <param name="output">A, the ReLU output.</param>
    /// <param name="destination">dZ; may be the same span as an input.</param>
    public static void ReluBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> output, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(outputGradient, output, destination);
        ElementwiseParallel.Map(null, outputGradient, output, destination, default(ReluBackwardOperator<T>));
    }

    /// <summary>
    /// Logistic sigmoid split across <paramref name="threads"/>: see <see cref="Sigmoid{T}(ReadOnlySpan{T}, Span{T})"/>. Large buffers are cut
    /// into ranges of whole vectors run by the group's threads; results are bit-identical to the
    /// single-threaded call for every degree of parallelism. Small buffers, a null or one-thread
    /// group, or a group busy with another call run on the calling thread. Allocates nothing once
    /// the group's workers have started.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>; may be the same span.</param>
    /// <param name="threads">The threads to split across, or null for the calling thread only.</param>
    public static void Sigmoid<T>(ReadOnlySpan<T> input, Span<T> destination, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseParallel.Map(threads, input, destination, default(SigmoidOperator<T>));
    }

    /// <summary>
    /// Fused sigmoid backward split across <paramref name="threads"/>: see <see cref="SigmoidBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>. Large buffers are cut
    /// into ranges of whole vectors run by the group's threads; results are bit-identical to the
    /// single-threaded call for every degree of parallelism. Small buffers, a null or one-thread
    /// group, or a group busy with another call run on the calling thread. Allocates nothing once
    /// the group's workers have started.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="outputGradient">dA.</param>
    /// <param name="output">A, the activation's output.</param>
    /// <param name="destination">dZ; may be the same span as an input.</param>
    /// <param name="threads">The threads to split across, or null for the calling thread only.</param>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> output, Span<T> destination, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(outputGradient, output, destination);
        ElementwiseParallel.Map(threads, outputGradient, output, destination, default(SigmoidBackwardOperator<T>));
    }

    /// <summary>
    /// Hyperbolic tangent split across <paramref name="threads"/>: see <see cref="Tanh{T}(ReadOnlySpan{T}, Span{T})"/>. Large buffers are cut
    /// into ranges of whole vectors run by the group's threads; results are bit-identical to the
    /// single-threaded call for every degree of parallelism. Small buffers, a null or one-thread
    /// group, or a group busy with another call run on the calling thread. Allocates nothing once
    /// the group's workers have started.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>; may be the same span.</param>
    /// <param name="threads">The threads to split across, or null for the calling thread only.</param>
    public static void Tanh<T>(ReadOnlySpan<T> input, Span<T> destination, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseParallel.Map(threads, input, destination, default(TanhOperator<T>));
    }

    /// <summary>
    /// Fused tanh backward split across <paramref name="threads"/>: see <see cref="TanhBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>. Large buffers are cut
    /// into ranges of whole vectors run by the group's threads; results are bit-identical to the
    /// single-threaded call for every degree of parallelism. Small buffers, a null or one-thread
    /// group, or a group busy with another call run on the calling thread. Allocates nothing once
    /// the group's workers have started.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="outputGradient">dA.</param>
    /// <param name="output">A, the activation's output.</param>
    /// <param name="destination">dZ; may be the same span as an input.</param>
    /// <param name="threads">The threads to split across, or null for the calling thread only.</param>
    public static void TanhBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> output, Span<T> destination, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(outputGradient, output, destination);
        ElementwiseParallel.Map(threads, outputGradient, output, destination, default(TanhBackwardOperator<T>));
    }

    /// <summary>
    /// ReLU split across <paramref name="threads"/>: see <see cref="Relu{T}(ReadOnlySpan{T}, Span{T})"/>. Large buffers are cut
    /// into ranges of whole vectors run by the group's threads; results are bit-identical to the
    /// single-threaded call for every degree of parallelism. Small buffers, a null or one-thread
    /// group, or a group busy with another call run on the calling thread. Allocates nothing once
    /// the group's workers have started.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>; may be the same span.</param>
    /// <param name="threads">The threads to split across, or null for the calling thread only.</param>
    public static void Relu<T>(ReadOnlySpan<T> input, Span<T> destination, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseParallel.Map(threads, input, destination, default(ReluOperator<T>));
    }

    /// <summary>
    /// Fused ReLU backward split across <paramref name="threads"/>: see <see cref="ReluBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>. Large buffers are cut
    /// into ranges of whole vectors run by the group's threads; results are bit-identical to the
    /// single-threaded call for every degree of parallelism. Small buffers, a null or one-thread
    /// group, or a group busy with another call run on the calling thread. Allocates nothing once
    /// the group's workers have started.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="outputGradient">dA.</param>
    /// <param name="output">A, the activation's output.</param>
    /// <param name="destination">dZ; may be the same span as an input.</param>
    /// <param name="threads">The threads to split across, or null for the calling thread only.</param>
    public static void ReluBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> output, Span<T> destination, KernelThreads? threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(outputGradient, output, destination);
        ElementwiseParallel.Map(threads, outputGradient, output, destination, default(ReluBackwardOperator<T>));
    }

    /// <summary>Sigmoid over a matrix view; see <see cref="Sigmoid{T}(ReadOnlySpan{T}, Span{T})"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A, same shape; either the same view as <paramref name="input"/> or disjoint from it.</param>
    public static void Sigmoid<T>(ReadOnlyMatrixSpan<T> input, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseDriver.Map(input, destination, default(SigmoidOperator<T>));
    }

    /// <summary>Fused sigmoid backward over matrix views; see <see cref="SigmoidBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="outputGradient">dA.</param>
    /// <param name="output">A, same shape.</param>
    /// <param name="destination">dZ, same shape; each input is either this same view or disjoint from it.</param>
    public static void SigmoidBackward<T>(ReadOnlyMatrixSpan<T> outputGradient, ReadOnlyMatrixSpan<T> output, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(outputGradient, output, destination);
        ElementwiseDriver.Map(outputGradient, output, destination, default(SigmoidBackwardOperator<T>));
    }

    /// <summary>Tanh over a matrix view; see <see cref="Tanh{T}(ReadOnlySpan{T}, Span{T})"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A, same shape; either the same view as <paramref name="input"/> or disjoint from it.</param>
    public static void Tanh<T>(ReadOnlyMatrixSpan<T> input, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseDriver.Map(input, destination, default(TanhOperator<T>));
    }

    /// <summary>Fused tanh backward over matrix views; see <see cref="TanhBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="outputGradient">dA.</param>
    /// <param name="output">A, same shape.</param>
    /// <param name="destination">dZ, same shape; each input is either this same view or disjoint from it.</param>
    public static void TanhBackward<T>(ReadOnlyMatrixSpan<T> outputGradient, ReadOnlyMatrixSpan<T> output, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(outputGradient, output, destination);
        ElementwiseDriver.Map(outputGradient, output, destination, default(TanhBackwardOperator<T>));
    }

    /// <summary>ReLU over a matrix view; see <see cref="Relu{T}(ReadOnlySpan{T}, Span{T})"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A, same shape; either the same view as <paramref name="input"/> or disjoint from it.</param>
    public static void Relu<T>(ReadOnlyMatrixSpan<T> input, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseDriver.Map(input, destination, default(ReluOperator<T>));
    }

    /// <summary>Fused ReLU backward over matrix views; see <see cref="ReluBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="outputGradient">dA.</param>
    /// <param name="output">A, same shape.</param>
    /// <param name="destination">dZ, same shape; each input is either this same view or disjoint from it.</param>
    public static void ReluBackward<T>(ReadOnlyMatrixSpan<T> outputGradient, ReadOnlyMatrixSpan<T> output, MatrixSpan<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(outputGradient, output, destination);
        ElementwiseDriver.Map(outputGradient, output, destination, default(ReluBackwardOperator<T>));
    }

    private static void Validate<T>(ReadOnlySpan<T> input, Span<T> destination)
    {
        KernelArguments.ElementType<T>();
        KernelArguments.Length(destination.Length, input.Length, nameof(destination));
        KernelArguments.NoPartialOverlap(input, destination, nameof(destination));
    }

    private static void Validate<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> output, Span<T> destination)
    {
        KernelArguments.ElementType<T>();
        KernelArguments.Length(output.Length, outputGradient.Length, nameof(output));
        KernelArguments.Length(destination.Length, outputGradient.Length, nameof(destination));
        KernelArguments.NoPartialOverlap(outputGradient, destination, nameof(destination));
        KernelArguments.NoPartialOverlap(output, destination, nameof(destination));
    }

    private static void Validate<T>(ReadOnlyMatrixSpan<T> input, MatrixSpan<T> destination)
    {
        KernelArguments.ElementType<T>();
        KernelArguments.SameShape(input.Rows, input.Columns, destination.Rows, destination.Columns, nameof(destination));
        KernelArguments.SameOrDisjoint(input, destination, nameof(destination));
    }

    private static void Validate<T>(ReadOnlyMatrixSpan<T> outputGradient, ReadOnlyMatrixSpan<T> output, MatrixSpan<T> destination)
    {
        KernelArguments.ElementType<T>();
        KernelArguments.SameShape(outputGradient.Rows, outputGradient.Columns, output.Rows, output.Columns, nameof(output));
        KernelArguments.SameShape(outputGradient.Rows, outputGradient.Columns, destination.Rows, destination.Columns, nameof(destination));
        KernelArguments.SameOrDisjoint(outputGradient, destination, nameof(destination));
        KernelArguments.SameOrDisjoint(output, destination, nameof(destination));
    }

    internal readonly struct SigmoidOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x) => T.One / (T.One + T.Exp(-x));

        public Vector128<T> Invoke(Vector128<T> x) => ActivationMath.Sigmoid<T, Vector128<T>, Simd128<T>>(x);

        public Vector256<T> Invoke(Vector256<T> x) => ActivationMath.Sigmoid<T, Vector256<T>, Simd256<T>>(x);

        public Vector512<T> Invoke(Vector512<T> x) => ActivationMath.Sigmoid<T, Vector512<T>, Simd512<T>>(x);
    }

    internal readonly struct SigmoidBackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T da, T a) => da * a * (T.One - a);

        public Vector128<T> Invoke(Vector128<T> da, Vector128<T> a) => da * a * (Vector128<T>.One - a);

        public Vector256<T> Invoke(Vector256<T> da, Vector256<T> a) => da * a * (Vector256<T>.One - a);

        public Vector512<T> Invoke(Vector512<T> da, Vector512<T> a) => da * a * (Vector512<T>.One - a);
    }

    internal readonly struct TanhOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x) => T.Tanh(x);

        public Vector128<T> Invoke(Vector128<T> x) => ActivationMath.Tanh<T, Vector128<T>, Simd128<T>>(x);

        public Vector256<T> Invoke(Vector256<T> x) => ActivationMath.Tanh<T, Vector256<T>, Simd256<T>>(x);

        public Vector512<T> Invoke(Vector512<T> x) => ActivationMath.Tanh<T, Vector512<T>, Simd512<T>>(x);
    }

    internal readonly struct TanhBackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T da, T a) => da * (T.One - (a * a));

        public Vector128<T> Invoke(Vector128<T> da, Vector128<T> a) => da * (Vector128<T>.One - (a * a));

        public Vector256<T> Invoke(Vector256<T> da, Vector256<T> a) => da * (Vector256<T>.One - (a * a));

        public Vector512<T> Invoke(Vector512<T> da, Vector512<T> a) => da * (Vector512<T>.One - (a * a));
    }

    // max(z, 0) written as a comparison, so −0 and NaN map to +0 exactly as the scalar form does.
    internal readonly struct ReluOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x) => x > T.Zero ? x : T.Zero;

        public Vector128<T> Invoke(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), x, Vector128<T>.Zero);

        public Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, Vector256<T>.Zero);

        public Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), x, Vector512<T>.Zero);
    }

    internal readonly struct ReluBackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T da, T a) => a > T.Zero ? da : T.Zero;

        public Vector128<T> Invoke(Vector128<T> da, Vector128<T> a) => Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128<T>.Zero), da, Vector128<T>.Zero);

        public Vector256<T> Invoke(Vector256<T> da, Vector256<T> a) => Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256<T>.Zero), da, Vector256<T>.Zero);

        public Vector512<T> Invoke(Vector512<T> da, Vector512<T> a) => Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512<T>.Zero), da, Vector512<T>.Zero);
    }
}
