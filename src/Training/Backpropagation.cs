using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// The passes of the matrix-form derivation, generalised to any depth. Each layer kind has its
/// forward and backward side by side; <see cref="Forward"/> and <see cref="Backward"/> chain them.
/// Everything runs on the kernels, in buffers of a <see cref="Workspace{T}"/>, with no allocation.
/// </summary>
/// <remarks>
/// Textbook ↔ code: <c>X1 = [1, X]</c>, <c>Z1 = X1·W1</c> is <c>Z = X·W + b</c> with <c>[b; W]</c>
/// the augmented W1; <c>A1 = σ(Z1)</c> is written over Z; the last layer keeps the logits Z2;
/// <c>Ŷ = softmax(Z2)</c> and the mean cross-entropy come from the fused kernel, which also writes
/// <c>dZ2 = (Ŷ − Y)/N</c>. Then per layer, top-down: <c>dW = Aᵀ_prev·dZ</c>, <c>db = Σ_rows dZ</c>,
/// <c>dA_prev = dZ·Wᵀ</c> and <c>dZ_prev = dA_prev ⊙ f′(A_prev)</c> (for sigmoid <c>A ⊙ (1 − A)</c>),
/// which is exactly <c>dW1 = X1ᵀ[((Ŷ − Y)·W2[1:]ᵀ) ⊙ A1 ⊙ (1 − A1)]/N</c> for one hidden layer.
/// </remarks>
internal static class Backpropagation
{
    // ---- Dense layer ------------------------------------------------------------------------

    /// <summary>
    /// <c>Z = X·W + b</c>, then <c>A = f(Z)</c> written over it: one fused GEMM (bias and activation
    /// applied while each C tile is in registers), packed in <paramref name="gemm"/> (null: the thread's fallback).
    /// </summary>
    public static void DenseForward<T>(ReadOnlyMatrixSpan<T> x, LayerView<T> layer, ActivationFunction activation, MatrixSpan<T> z, KernelThreads? threads = null, GemmWorkspace<T>? gemm = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Gemm.MultiplyBiasActivation(MatrixOperation.None, x, MatrixOperation.None, layer.Weights, layer.Bias, activation, z, threads, gemm);

    /// <summary>
    /// <c>dW = Xᵀ·dZ</c> with <c>db = Σ_rows dZ</c> summed while dZ is packed (both overwrite), and unless
    /// <paramref name="dx"/> is empty <c>dX = (dZ·Wᵀ) ⊙ f′(X)</c> with f′ written in terms of X, the
    /// previous layer's activation output (<paramref name="activation"/> is that layer's f; identity
    /// gives the plain <c>dZ·Wᵀ</c>), applied while each tile is in registers. Products packed in
    /// <paramref name="gemm"/> (null: the thread's fallback).
    /// </summary>
    public static void DenseBackward<T>(ReadOnlyMatrixSpan<T> x, LayerView<T> layer, ReadOnlyMatrixSpan<T> dz, LayerView<T> gradient, MatrixSpan<T> dx, ActivationFunction activation, KernelThreads? threads = null, GemmWorkspace<T>? gemm = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.MultiplySumColumns(MatrixOperation.Transpose, x, dz, gradient.Weights, gradient.Bias, threads, gemm);
        if (!dx.IsEmpty)
        {
            Gemm.MultiplyActivationBackward(MatrixOperation.None, dz, MatrixOperation.Transpose, layer.Weights, x, activation, dx, threads, gemm);
        }
    }

    /// <summary>The kernels' name of a hidden activation.</summary>
    public static ActivationFunction Function(HiddenActivation activation) => activation switch
    {
        HiddenActivation.Sigmoid => ActivationFunction.Sigmoid,
        HiddenActivation.Tanh => ActivationFunction.Tanh,
        _ => ActivationFunction.Relu,
    };

    // ---- Hidden activation (in place) ---------------------------------------------------------

    /// <summary><c>A = f(Z)</c>, written over Z (split across <paramref name="threads"/> when large).</summary>
    public static void ActivationForward<T>(HiddenActivation activation, Span<T> z, KernelThreads? threads = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case HiddenActivation.Sigmoid:
                Activations.Sigmoid(z, z, threads);
                break;
            case HiddenActivation.Tanh:
                Activations.Tanh(z, z, threads);
                break;
            default:
                Activations.Relu(z, z, threads);
                break;
        }
    }

    /// <summary><c>dZ = dA ⊙ f′</c> with f′ written in terms of the output A (fused kernel), over dA (split across <paramref name="threads"/> when large).</summary>
    public static void ActivationBackward<T>(HiddenActivation activation, ReadOnlySpan<T> a, Span<T> da, KernelThreads? threads = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case HiddenActivation.Sigmoid:
                Activations.SigmoidBackward(da, a, da, threads);
                break;
            case HiddenActivation.Tanh:
                Activations.TanhBackward(da, a, da, threads);
                break;
            default:
                Activations.ReluBackward(da, a, da, threads);
                break;
        }
    }

    // ---- Output: softmax + mean cross-entropy -------------------------------------------------

    /// <summary>Probabilities <c>Ŷ = softmax(Z)</c> row by row (prediction).</summary>
    public static void OutputForward<T>(ReadOnlyMatrixSpan<T> logits, MatrixSpan<T> probabilities)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Softmax.Forward(logits, probabilities);

    /// <summary>Mean cross-entropy, and <c>dZ = (Ŷ − Y)/N</c> in the same fused pass.</summary>
    public static T OutputBackward<T>(ReadOnlyMatrixSpan<T> logits, ReadOnlySpan<int> labels, MatrixSpan<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CrossEntropy.SoftmaxCrossEntropy(logits, labels, dz);

    // ---- Whole network ------------------------------------------------------------------------

    /// <summary>Runs every layer forward on <paramref name="inputs"/>; returns the logits (a view into the workspace).</summary>
    /// <remarks>Reads the network's parameters only, so concurrent calls with distinct workspaces are safe.</remarks>
    public static MatrixSpan<T> Forward<T>(Network<T> network, Workspace<T> workspace, ReadOnlyMatrixSpan<T> inputs, KernelThreads? threads = null, Regularization<T>? regularization = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkShape shape = network.Shape;
        int rows = inputs.Rows;
        ActivationFunction hidden = Function(shape.HiddenActivation);
        ReadOnlyMatrixSpan<T> x = inputs;
        MatrixSpan<T> z = default;
        for (int l = 0; l < shape.LayerCount; l++)
        {
            z = workspace.Activations(l, rows);

            // Hidden layers: A = f(X·W + b) in one fused product; the last layer keeps the logits X·W + b.
            DenseForward(x, network.Layer(l), l < shape.LayerCount - 1 ? hidden : ActivationFunction.Identity, z, threads, workspace.Gemm);
            if (l < shape.LayerCount - 1)
            {
                regularization?.ForwardHidden(l, z);
            }

            x = z;
        }

        return z;
    }

    /// <summary>
    /// After <see cref="Forward"/> on the same <paramref name="inputs"/>: the mean loss, and the
    /// gradient of every parameter written (overwritten, never accumulated) into the network's
    /// gradient buffer.
    /// </summary>
    public static T Backward<T>(Network<T> network, Workspace<T> workspace, ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels, KernelThreads? threads = null, Regularization<T>? regularization = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkShape shape = network.Shape;
        int rows = inputs.Rows;
        int top = shape.LayerCount - 1;
        int which = 0;
        ActivationFunction hidden = Function(shape.HiddenActivation);
        MatrixSpan<T> dz = workspace.Delta(which, rows, shape.Outputs);
        T loss = regularization is null ? OutputBackward(workspace.Activations(top, rows), labels, dz) : CrossEntropy.SoftmaxCrossEntropy(workspace.Activations(top, rows), labels, dz, regularization.LabelSmoothing);
        for (int l = top; l >= 0; l--)
        {
            if (l == 0)
            {
                // dX of the inputs is never needed.
                DenseBackward(inputs, network.Layer(0), dz, network.GradientLayer(0), default, ActivationFunction.Identity, threads, workspace.Gemm);
                break;
            }

            // dW, db, and dZ of layer l − 1 = (dZ·Wᵀ) ⊙ f′(A) in the other delta buffer, all fused.
            MatrixSpan<T> a = workspace.Activations(l - 1, rows);
            MatrixSpan<T> da = workspace.Delta(1 - which, rows, a.Columns);
            if (regularization is { DropoutRate: > 0 })
            {
                // Dropout: the mask multiplies dA and f′ must see A as the activation produced it,
                // so the product stays plain and the mask and the activation's backward follow it.
                DenseBackward(a, network.Layer(l), dz, network.GradientLayer(l), da, ActivationFunction.Identity, threads, workspace.Gemm);
                regularization.BackwardHidden(l - 1, a, da);
                ActivationBackward(shape.HiddenActivation, a.Span, da.Span, threads);
            }
            else
            {
                DenseBackward(a, network.Layer(l), dz, network.GradientLayer(l), da, hidden, threads, workspace.Gemm);
            }

            dz = da;
            which = 1 - which;
        }

        return loss;
    }
}
