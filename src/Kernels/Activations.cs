using System.Numerics;

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
        ElementwiseDriver.Map(input, destination, default(SigmoidOperator<T>));
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
        ElementwiseDriver.Map(outputGradient, output, destination, default(SigmoidBackwardOperator<T>));
    }

    /// <summary>Hyperbolic tangent: <c>A = tanh(Z)</c>, within 7 ulp; saturates to exactly ±1, never NaN for finite input.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>.</param>
    public static void Tanh<T>(ReadOnlySpan<T> input, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseDriver.Map(input, destination, default(TanhOperator<T>));
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
        ElementwiseDriver.Map(outputGradient, output, destination, default(TanhBackwardOperator<T>));
    }

    /// <summary>Rectified linear unit: <c>A = max(Z, 0)</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>.</param>
    public static void Relu<T>(ReadOnlySpan<T> input, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        ElementwiseDriver.Map(input, destination, default(ReluOperator<T>));
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
        ElementwiseDriver.Map(outputGradient, output, destination, default(ReluBackwardOperator<T>));
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
        Check.ElementType<T>();
        Check.Length(destination.Length, input.Length, nameof(destination));
        Check.NoPartialOverlap(input, destination, nameof(destination));
    }

    private static void Validate<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> output, Span<T> destination)
    {
        Check.ElementType<T>();
        Check.Length(output.Length, outputGradient.Length, nameof(output));
        Check.Length(destination.Length, outputGradient.Length, nameof(destination));
        Check.NoPartialOverlap(outputGradient, destination, nameof(destination));
        Check.NoPartialOverlap(output, destination, nameof(destination));
    }

    private static void Validate<T>(ReadOnlyMatrixSpan<T> input, MatrixSpan<T> destination)
    {
        Check.ElementType<T>();
        Check.SameShape(input.Rows, input.Columns, destination.Rows, destination.Columns, nameof(destination));
        Check.SameOrDisjoint(input, destination, nameof(destination));
    }

    private static void Validate<T>(ReadOnlyMatrixSpan<T> outputGradient, ReadOnlyMatrixSpan<T> output, MatrixSpan<T> destination)
    {
        Check.ElementType<T>();
        Check.SameShape(outputGradient.Rows, outputGradient.Columns, output.Rows, output.Columns, nameof(output));
        Check.SameShape(outputGradient.Rows, outputGradient.Columns, destination.Rows, destination.Columns, nameof(destination));
        Check.SameOrDisjoint(outputGradient, destination, nameof(destination));
        Check.SameOrDisjoint(output, destination, nameof(destination));
    }

    private readonly struct SigmoidOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x) => T.One / (T.One + T.Exp(-x));

        public Vector<T> Invoke(Vector<T> x) => VectorMath.Sigmoid(x);
    }

    private readonly struct SigmoidBackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T da, T a) => da * a * (T.One - a);

        public Vector<T> Invoke(Vector<T> da, Vector<T> a) => da * a * (Vector<T>.One - a);
    }

    private readonly struct TanhOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x) => T.Tanh(x);

        public Vector<T> Invoke(Vector<T> x) => VectorMath.Tanh(x);
    }

    private readonly struct TanhBackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T da, T a) => da * (T.One - (a * a));

        public Vector<T> Invoke(Vector<T> da, Vector<T> a) => da * (Vector<T>.One - (a * a));
    }

    // max(z, 0) written as a comparison, so −0 and NaN map to +0 exactly as the scalar form does.
    private readonly struct ReluOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x) => x > T.Zero ? x : T.Zero;

        public Vector<T> Invoke(Vector<T> x) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, Vector<T>.Zero);
    }

    private readonly struct ReluBackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T da, T a) => a > T.Zero ? da : T.Zero;

        public Vector<T> Invoke(Vector<T> da, Vector<T> a) => Vector.ConditionalSelect(Vector.GreaterThan(a, Vector<T>.Zero), da, Vector<T>.Zero);
    }
}
