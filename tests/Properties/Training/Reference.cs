using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Training;

namespace Backprop.Properties.Training;

/// <summary>
/// The tests' door to <see cref="MlpReference"/> (reference/MlpReference.cs, the one plain-loop MLP
/// the tests and the CLI's gradient check share): reads a network's weights by plain indexing and
/// names activations by the library's enum.
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

    public static MlpActivation Of(HiddenActivation f) => Enum.Parse<MlpActivation>(f.ToString());

    public static double[][,] PreActivations(double[][,] weights, HiddenActivation f, double[,] x) => MlpReference.PreActivations(weights, Of(f), x);

    public static double[,] Softmax(double[,] z) => MlpReference.Softmax(z);

    public static double Loss(double[][,] weights, HiddenActivation f, double[,] x, int[] y) => MlpReference.Loss(weights, Of(f), x, y);

    public static double MeanCrossEntropy(double[,] z, int[] y) => MlpReference.MeanCrossEntropy(z, y);

    public static bool[] HiddenSigns(double[][,] weights, HiddenActivation f, double[,] x) => MlpReference.HiddenSigns(weights, Of(f), x);

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
