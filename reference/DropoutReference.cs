using System.Numerics;

namespace Backprop.Reference;

/// <summary>Plain loops for inverted dropout with the hashed mask documented on <c>Backprop.Kernels.Dropout</c>.</summary>
public static class DropoutReference
{
    /// <summary>The documented hash: <c>x = i · 0x9E3779B9 + low(key); x ^= high(key)</c>, then lowbias32.</summary>
    public static uint Hash(ulong key, uint index)
    {
        uint x = unchecked((index * 0x9E3779B9u) + (uint)key);
        x ^= (uint)(key >> 32);
        x ^= x >> 16;
        x = unchecked(x * 0x7FEB352Du);
        x ^= x >> 15;
        x = unchecked(x * 0x846CA68Bu);
        x ^= x >> 16;
        return x;
    }

    /// <summary>Whether element <paramref name="index"/> is kept: its hash is at least round(rate · 2³²).</summary>
    public static bool IsKept(ulong key, long index, double rate) =>
        Hash(key, unchecked((uint)index)) >= (uint)Math.Min(Math.Round(rate * 4294967296.0), uint.MaxValue);

    /// <summary><c>values[i] = kept ? values[i] · (1 / (1 − rate)) : 0</c>.</summary>
    public static void Forward<T>(Span<T> values, ulong key, long firstIndex, double rate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.One / (T.One - T.CreateTruncating(rate));
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = IsKept(key, firstIndex + i, rate) ? values[i] * scale : T.Zero;
        }
    }

    /// <summary><c>delta[i] = kept ? delta[i] · (1 / (1 − rate)) : 0</c>; kept activations times (1 − rate).</summary>
    public static void Backward<T>(Span<T> delta, Span<T> activations, ulong key, long firstIndex, double rate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T keep = T.One - T.CreateTruncating(rate);
        T scale = T.One / keep;
        for (int i = 0; i < delta.Length; i++)
        {
            if (IsKept(key, firstIndex + i, rate))
            {
                delta[i] *= scale;
                activations[i] *= keep;
            }
            else
            {
                delta[i] = T.Zero;
            }
        }
    }
}
