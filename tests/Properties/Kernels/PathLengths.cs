using System.Numerics;
using Backprop.Properties.Support;

namespace Backprop.Properties.Kernels;

/// <summary>
/// Lengths that reach every code path of the row and element-wise kernels at every width CI can
/// force, whatever width this process runs at: below, at and above one and two vectors of 128, 256
/// and 512 bits, and lengths shorter than the narrowest vector (the scalar fallback), plus more
/// multiples of a vector as <see cref="PropertySize"/> grows.
/// </summary>
internal static class PathLengths
{
    public static int[] Around<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var lengths = new SortedSet<int> { 1, 2, 3 };
        int multiples = PropertySize.Shapes(quick: 2, ci: 3, soak: 5);
        foreach (int bits in new[] { 128, 256, 512 })
        {
            int lanes = bits / 8 / size;
            for (int v = 1; v <= multiples; v++)
            {
                lengths.Add((v * lanes) - 1);
                lengths.Add(v * lanes);
                lengths.Add((v * lanes) + 1);
            }
        }

        lengths.Remove(0);
        return [.. lengths];
    }

    /// <summary>
    /// Extreme but finite values: ±0, the smallest subnormal, the smallest normal, ±1, ±max/4 and ±max
    /// (when <paramref name="max"/> allows), mixed with uniform values in ±<paramref name="range"/>.
    /// </summary>
    public static T[] Extreme<T>(Random random, int length, double range, double max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            double sign = random.Next(2) == 0 ? 1 : -1;
            values[i] = random.Next(10) switch
            {
                0 => T.Zero,
                1 => T.NegativeZero,
                2 => T.CreateTruncating(sign) * T.Epsilon,
                3 => T.CreateTruncating(sign * KernelAccuracy.MinNormal<T>()),
                4 => T.CreateTruncating(sign),
                5 => T.CreateTruncating(sign * max / 4),
                6 => T.CreateTruncating(sign * max),
                _ => T.CreateTruncating(((random.NextDouble() * 2) - 1) * range),
            };
        }

        return values;
    }
}
