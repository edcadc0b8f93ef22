using System.Runtime.InteropServices;

namespace Backprop.Reference;

/// <summary>The hidden activations <see cref="MlpReference"/> knows (the library's <c>HiddenActivation</c>, by name).</summary>
public enum MlpActivation
{
    /// <summary>1 / (1 + e⁻ᶻ).</summary>
    Sigmoid,

    /// <summary>tanh z.</summary>
    Tanh,

    /// <summary>max(z, 0).</summary>
    Relu,
}

/// <summary>
/// An independent, plain-loop MLP in double, written straight from the textbook's augmented form:
/// <c>Xₗ₊₁ = [1, f(Xₗ · Wₗ)]</c>, softmax output, mean cross-entropy. Each layer is a
/// <c>double[fan_in + 1, fan_out]</c> with the bias in row 0. Row by row with the kernels' plain
/// references (<see cref="ActivationsReference"/>, <see cref="SoftmaxReference"/>,
/// <see cref="CrossEntropyReference"/>); nothing here calls the library, so it can judge it.
/// </summary>
public static class MlpReference
{
    /// <summary>
    /// The layers of a flat parameter buffer in the library's layout (per layer: fan_out biases, then
    /// the fan_in × fan_out weights row-major), for <paramref name="layerSizes"/> = inputs, hidden…, outputs.
    /// </summary>
    public static double[][,] Unflatten(ReadOnlySpan<int> layerSizes, ReadOnlySpan<double> parameters)
    {
        var weights = new double[layerSizes.Length - 1][,];
        int offset = 0;
        for (int l = 0; l < weights.Length; l++)
        {
            int fanIn = layerSizes[l], fanOut = layerSizes[l + 1];
            var w = new double[fanIn + 1, fanOut];
            for (int i = 0; i <= fanIn; i++)
            {
                for (int j = 0; j < fanOut; j++)
                {
                    w[i, j] = parameters[offset + (i * fanOut) + j];
                }
            }

            offset += (fanIn + 1) * fanOut;
            weights[l] = w;
        }

        return weights;
    }

    /// <summary>Every layer's pre-activations Z (the last one: logits), row by row.</summary>
    public static double[][,] PreActivations(double[][,] weights, MlpActivation f, double[,] x)
    {
        int rows = x.GetLength(0);
        var zs = new double[weights.Length][,];
        double[,] input = x;
        for (int l = 0; l < weights.Length; l++)
        {
            double[,] w = weights[l];
            int fanIn = w.GetLength(0) - 1;
            int fanOut = w.GetLength(1);
            var z = new double[rows, fanOut];
            var a = new double[rows, fanOut];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < fanOut; j++)
                {
                    double sum = w[0, j]; // the 1 of [1, X] times the bias row
                    for (int i = 0; i < fanIn; i++)
                    {
                        sum += input[r, i] * w[i + 1, j];
                    }

                    z[r, j] = sum;
                }

                Activate(f, Row(z, r), Row(a, r));
            }

            zs[l] = z;
            input = a;
        }

        return zs;
    }

    /// <summary>Row-wise softmax of the logits.</summary>
    public static double[,] Softmax(double[,] z)
    {
        var p = new double[z.GetLength(0), z.GetLength(1)];
        for (int r = 0; r < z.GetLength(0); r++)
        {
            SoftmaxReference.Forward<double>(Row(z, r), Row(p, r));
        }

        return p;
    }

    /// <summary>Mean cross-entropy <c>−(1/N) Σ log ŷ[r, y_r]</c> of the network on (x, y).</summary>
    public static double Loss(double[][,] weights, MlpActivation f, double[,] x, ReadOnlySpan<int> y) =>
        MeanCrossEntropy(PreActivations(weights, f, x)[^1], y);

    /// <summary>Mean cross-entropy of the logits against class indices.</summary>
    public static double MeanCrossEntropy(double[,] z, ReadOnlySpan<int> y) => CrossEntropyReference.MeanLoss(z, y);

    /// <summary>Signs of every hidden pre-activation, to tell whether a perturbation crossed a ReLU kink.</summary>
    public static bool[] HiddenSigns(double[][,] weights, MlpActivation f, double[,] x)
    {
        double[][,] zs = PreActivations(weights, f, x);
        var signs = new List<bool>();
        for (int l = 0; l < zs.Length - 1; l++)
        {
            foreach (double z in zs[l])
            {
                signs.Add(z > 0);
            }
        }

        return [.. signs];
    }

    /// <summary>A row-major <c>double[rows, columns]</c> from a dense flat array.</summary>
    public static double[,] To2D(ReadOnlySpan<double> flat, int columns)
    {
        var m = new double[flat.Length / columns, columns];
        flat.CopyTo(MemoryMarshal.CreateSpan(ref m[0, 0], m.Length));
        return m;
    }

    private static void Activate(MlpActivation f, ReadOnlySpan<double> z, Span<double> a)
    {
        switch (f)
        {
            case MlpActivation.Sigmoid: ActivationsReference.Sigmoid(z, a); break;
            case MlpActivation.Tanh: ActivationsReference.Tanh(z, a); break;
            default: ActivationsReference.Relu(z, a); break;
        }
    }

    private static Span<double> Row(double[,] m, int r) => MemoryMarshal.CreateSpan(ref m[r, 0], m.GetLength(1));
}
