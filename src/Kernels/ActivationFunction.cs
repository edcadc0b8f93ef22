namespace Backprop.Kernels;

/// <summary>An activation a fused GEMM applies to its result (forward) or whose derivative it applies (backward).</summary>
public enum ActivationFunction
{
    /// <summary>No activation: <c>f(z) = z</c>, <c>f′ = 1</c>.</summary>
    Identity,

    /// <summary>Logistic sigmoid, as <see cref="Activations.Sigmoid{T}(ReadOnlySpan{T}, Span{T})"/>; backward <c>A ⊙ (1 − A)</c>.</summary>
    Sigmoid,

    /// <summary>Hyperbolic tangent, as <see cref="Activations.Tanh{T}(ReadOnlySpan{T}, Span{T})"/>; backward <c>1 − A²</c>.</summary>
    Tanh,

    /// <summary>Rectified linear unit, as <see cref="Activations.Relu{T}(ReadOnlySpan{T}, Span{T})"/>; backward <c>[A &gt; 0]</c>.</summary>
    Relu,
}
