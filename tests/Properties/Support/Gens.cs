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

    /// <summary>
    /// Like <see cref="Random{T}"/>, but about one element in eight is an edge value: +0, −0, ±range
    /// or ±range/1000 (so comparisons with 0 and both signs of zero are exercised).
    /// </summary>
    public static T[] RandomWithEdges<T>(int length, int seed, double range)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T[] buffer = Random<T>(length, seed, range);
        var random = new Random(~seed);
        for (int i = 0; i < buffer.Length; i++)
        {
            if (random.Next(8) == 0)
            {
                buffer[i] = T.CreateTruncating(random.Next(6) switch
                {
                    0 => 0.0,
                    1 => -0.0,
                    2 => range,
                    3 => -range,
                    4 => range / 1000,
                    _ => -range / 1000,
                });
            }
        }

        return buffer;
    }

    /// <summary>
    /// A (rows × columns, stride) buffer of probability rows: non-negative, each row summing to 1
    /// (up to rounding), some rows one-hot and some entries exactly 0. Padding holds NaN, which no
    /// kernel may read.
    /// </summary>
    public static T[] ProbabilityRows<T>(int rows, int columns, int stride, int seed)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        T[] buffer = new T[Math.Max(0, ((rows - 1) * stride) + columns)];
        buffer.AsSpan().Fill(T.NaN);
        for (int i = 0; i < rows; i++)
        {
            Span<T> row = buffer.AsSpan(i * stride, columns);
            if (random.Next(3) == 0)
            {
                row.Clear();
                row[random.Next(columns)] = T.One;
                continue;
            }

            double total = 0;
            double[] weights = new double[columns];
            for (int j = 0; j < columns; j++)
            {
                weights[j] = random.Next(4) == 0 ? 0 : random.NextDouble();
                total += weights[j];
            }

            if (total == 0)
            {
                weights[0] = total = 1;
            }

            for (int j = 0; j < columns; j++)
            {
                row[j] = T.CreateTruncating(weights[j] / total);
            }
        }

        return buffer;
    }
}
