using System.Numerics;
using Backprop.Kernels;
using Backprop.Training;

namespace Backprop.Properties.Training;

/// <summary>Random data sets and networks for the training tests, all from explicit seeds.</summary>
internal static class TestData
{
    /// <summary>Features in ±2 and labels that depend on them (so there is something to learn), plus 10 % label noise.</summary>
    public static (T[] Features, int[] Labels) Random<T>(int rows, int features, int classes, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var x = new T[rows * features];
        int[] y = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            double score = 0;
            for (int i = 0; i < features; i++)
            {
                double v = (random.NextDouble() * 4) - 2;
                x[(r * features) + i] = T.CreateTruncating(v);
                score += v * (i % 2 == 0 ? 1 : -0.5);
            }

            int label = (int)Math.Clamp(Math.Floor((score + 2) / 4 * classes), 0, classes - 1);
            y[r] = random.NextDouble() < 0.1 ? random.Next(classes) : label;
        }

        return (x, y);
    }

    public static Dataset<T> Dataset<T>(int rows, int features, int classes, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (T[] x, int[] y) = Random<T>(rows, features, classes, seed);
        return new Dataset<T>(x, y, features, classes);
    }

    public static Optimizer<T> Optimizer<T>(string name, int parameterCount)
        where T : unmanaged, IFloatingPointIeee754<T> => name switch
        {
            "sgd" => new SgdOptimizer<T>(parameterCount),
            "sgd+decay" => new SgdOptimizer<T>(parameterCount, weightDecay: 1e-4),
            "momentum" => new MomentumOptimizer<T>(parameterCount, 0.9),
            "nesterov" => new MomentumOptimizer<T>(parameterCount, 0.9, nesterov: true, weightDecay: 1e-4),
            "adam" => new AdamOptimizer<T>(parameterCount),
            "adamw" => new AdamOptimizer<T>(parameterCount, weightDecay: 1e-2),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown optimiser"),
        };

    /// <summary>The bits of every parameter, for bit-exact comparisons (NaN-safe).</summary>
    public static byte[] Bits<T>(ReadOnlySpan<T> values)
        where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray();

    public static ReadOnlyMatrixSpan<T> View<T>(T[] data, int columns) => new(data, data.Length / columns, columns);
}
