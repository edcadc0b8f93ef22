namespace Backprop.Training;

/// <summary>The activation of every hidden layer. The output layer is always softmax with cross-entropy.</summary>
public enum HiddenActivation
{
    /// <summary>Logistic sigmoid <c>1 / (1 + e^(−z))</c>, as in the textbook derivation.</summary>
    Sigmoid = 0,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh = 1,

    /// <summary>Rectified linear unit <c>max(z, 0)</c>; its derivative at 0 is taken as 0.</summary>
    Relu = 2,
}
