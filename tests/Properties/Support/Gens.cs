using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Support;

/// <summary>
/// Generators of our own: FsCheck's default float generators produce NaN, ±∞ and huge magnitudes,
/// which no kernel-vs-reference comparison can survive. These give finite values of a chosen range.
/// </summary>
public static class Gens
{
    /// <summary>Finite doubles uniform in [−range, range], with exact zeros and ±range now and then.</summary>
    public static Gen<double> FiniteDouble(double range) =>
        Gen.Frequency(
            (20, Gen.Choose(-1_000_000, 1_000_000).Select(i => i / 1_000_000.0 * range)),
            (1, Gen.Constant(0.0)),
            (1, Gen.Elements(range, -range)));

    /// <summary>Arrays of <paramref name="length"/> finite values.</summary>
    public static Gen<T[]> Array<T>(int length, double range)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        FiniteDouble(range).Select(T.CreateTruncating).ArrayOf(length);

    /// <summary>A seed for <see cref="Random"/>, so large buffers are filled fast yet shrink to one number.</summary>
    public static Gen<int> Seed => Gen.Choose(0, int.MaxValue - 1);

    /// <summary>Fills <paramref name="buffer"/> with uniform values in [−range, range] from <paramref name="seed"/>.</summary>
    public static T[] Fill<T>(T[] buffer, int seed, double range)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = T.CreateTruncating(((random.NextDouble() * 2) - 1) * range);
        }

        return buffer;
    }

    /// <summary>Random uniform values of length <paramref name="length"/> in [−range, range].</summary>
    public static T[] Random<T>(int length, int seed, double range)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Fill(new T[length], seed, range);
}
