using Backprop.Kernels;
using Backprop.Training;

namespace Backprop.Properties.Training;

/// <summary>
/// An independent, plain-loop MLP in double, written straight from the textbook's augmented form:
/// <c>Xₗ₊₁ = [1, f(Xₗ · Wₗ)]</c>, softmax output, mean cross-entropy. Nothing here calls the kernels
/// or the code under test, so it can judge them.
/// </summary>
internal static class Reference
{
    /// <summary>Copies each layer's augmented matrix (bias row first) out of a network by plain indexing.</summary>
    public static double[][,] Weights(Network<double> network)
    {
        var weights = new double[network.Shape.LayerCount][,];
        for (int l = 0; l < weights.Length; l++)
        {
            LayerView<double> layer = network.Layer(l);
            var w = new double[layer.FanIn + 1, layer.FanOut];
            for (int j = 0; j < layer.FanOut; j++)
            {
                w[0, j] = layer.Bias[j];
                for (int i = 0; i < layer.FanIn; i++)
                {
                    w[i + 1, j] = layer.Weights[i, j];
                }
            }

            weights[l] = w;
        }

        return weights;
    }

    public static double Activate(HiddenActivation f, double z) => f switch
    {
        HiddenActivation.Sigmoid => 1 / (1 + Math.Exp(-z)),
        HiddenActivation.Tanh => Math.Tanh(z),
        _ => z > 0 ? z : 0,
    };

    /// <summary>Every layer's pre-activations Z (the last one: logits), row by row.</summary>
    public static double[][,] PreActivations(double[][,] weights, HiddenActivation f, double[,] x)
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
                    a[r, j] = Activate(f, sum);
                }
            }

            zs[l] = z;
            input = a;
        }

        return zs;
    }

    /// <summary>Row-wise softmax of the logits.</summary>
    public static double[,] Softmax(double[,] z)
    {
        int rows = z.GetLength(0);
        int classes = z.GetLength(1);
        var p = new double[rows, classes];
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++)
            {
                max = Math.Max(max, z[r, j]);
            }

            double sum = 0;
            for (int j = 0; j < classes; j++)
            {
                sum += Math.Exp(z[r, j] - max);
            }

            for (int j = 0; j < classes; j++)
            {
                p[r, j] = Math.Exp(z[r, j] - max) / sum;
            }
        }

        return p;
    }

    /// <summary>Mean cross-entropy <c>−(1/N) Σ log ŷ[r, y_r]</c>, computed as logsumexp − z.</summary>
    public static double Loss(double[][,] weights, HiddenActivation f, double[,] x, int[] y)
    {
        double[,] z = PreActivations(weights, f, x)[^1];
        return MeanCrossEntropy(z, y);
    }

    public static double MeanCrossEntropy(double[,] z, int[] y)
    {
        int rows = z.GetLength(0);
        int classes = z.GetLength(1);
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++)
            {
                max = Math.Max(max, z[r, j]);
            }

            double sum = 0;
            for (int j = 0; j < classes; j++)
            {
                sum += Math.Exp(z[r, j] - max);
            }

            total += max + Math.Log(sum) - z[r, y[r]];
        }

        return total / rows;
    }

    /// <summary>Signs of every hidden pre-activation, to tell whether a perturbation crossed a ReLU kink.</summary>
    public static bool[] HiddenSigns(double[][,] weights, HiddenActivation f, double[,] x)
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

    /// <summary>A row-major copy of a 2-D array, for building matrix views.</summary>
    public static T[] Flatten<T>(T[,] m)
    {
        var flat = new T[m.Length];
        int k = 0;
        foreach (T v in m)
        {
            flat[k++] = v;
        }

        return flat;
    }

    public static ReadOnlyMatrixSpan<double> View(double[] flat, int rows, int columns) => new(flat, rows, columns);
}
