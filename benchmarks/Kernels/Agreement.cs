using System.Numerics;

namespace Backprop.Benchmarks.Kernels;

/// <summary>The check every kernel benchmark makes before it times anything: the kernel agrees with its plain reference.</summary>
internal static class Agreement
{
    /// <summary>
    /// Throws unless |actual − expected| ≤ tolerance · (1 + |expected|) element for element, where the
    /// tolerance is <c>relative</c> for float and 10⁻⁸ of it for double.
    /// </summary>
    public static void Require<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected, double relative, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double tolerance = typeof(T) == typeof(float) ? relative : relative * 1e-8;
        for (int k = 0; k < expected.Length; k++)
        {
            double e = double.CreateTruncating(expected[k]), a = double.CreateTruncating(actual[k]);
            if (!(Math.Abs(a - e) <= tolerance * (1 + Math.Abs(e))))
            {
                throw new InvalidOperationException($"{what}: [{k}] = {a:R}, reference {e:R}.");
            }
        }
    }

    /// <summary>Random values uniform in [low, high), seeded.</summary>
    public static T[] Random<T>(int count, int seed, double low, double high)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => T.CreateTruncating(low + (random.NextDouble() * (high - low))))];
    }
}
