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
        for (int i = 0; i < input.Length; i++)
        {
            destination[i] = T.One / (T.One + T.Exp(-input[i]));
        }
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
        for (int i = 0; i < output.Length; i++)
        {
            T a = output[i];
            destination[i] = outputGradient[i] * a * (T.One - a);
        }
    }

    /// <summary>Hyperbolic tangent: <c>A = tanh(Z)</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>.</param>
    public static void Tanh<T>(ReadOnlySpan<T> input, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        for (int i = 0; i < input.Length; i++)
        {
            destination[i] = T.Tanh(input[i]);
        }
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
        for (int i = 0; i < output.Length; i++)
        {
            T a = output[i];
            destination[i] = outputGradient[i] * (T.One - (a * a));
        }
    }

    /// <summary>Rectified linear unit: <c>A = max(Z, 0)</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Z.</param>
    /// <param name="destination">A; same length as <paramref name="input"/>.</param>
    public static void Relu<T>(ReadOnlySpan<T> input, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(input, destination);
        for (int i = 0; i < input.Length; i++)
        {
            destination[i] = input[i] > T.Zero ? input[i] : T.Zero;
        }
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
        for (int i = 0; i < output.Length; i++)
        {
            destination[i] = output[i] > T.Zero ? outputGradient[i] : T.Zero;
        }
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
}
