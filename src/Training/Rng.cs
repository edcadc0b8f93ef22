using System.Runtime.CompilerServices;

namespace Backprop.Training;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64. A mutable struct with no
/// allocation and a fixed, documented algorithm, so a seed gives the same stream on every .NET
/// version and machine (unlike <see cref="Random"/>, whose algorithm is not a contract).
/// </summary>
internal struct Rng
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Seeds the four state words with consecutive SplitMix64 outputs of <paramref name="seed"/>.</summary>
    /// <param name="seed">Any value, zero included.</param>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Sets the state words directly (for checking against the reference implementation's test vectors).</summary>
    internal Rng(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>One SplitMix64 step: advances <paramref name="state"/> and returns the mixed output.</summary>
    /// <param name="state">The generator state.</param>
    /// <returns>The next output.</returns>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    /// <returns>A uniformly distributed 64-bit value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    /// <returns>A value k · 2⁻⁵³ for a uniform integer k in [0, 2⁵³).</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's method).</summary>
    /// <param name="bound">The exclusive upper bound, ≥ 1.</param>
    /// <returns>A value in [0, bound).</returns>
    public uint NextBounded(uint bound)
    {
        ulong m = (NextUInt64() >> 32) * bound;
        uint low = (uint)m;
        if (low < bound)
        {
            uint threshold = (0u - bound) % bound;
            while (low < threshold)
            {
                m = (NextUInt64() >> 32) * bound;
                low = (uint)m;
            }
        }

        return (uint)(m >> 32);
    }

    /// <summary>Fills <paramref name="order"/> with 0, 1, …, n − 1 and shuffles it in place (Fisher–Yates).</summary>
    /// <param name="order">The permutation to fill.</param>
    public void ShuffleIdentity(Span<int> order)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)NextBounded((uint)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
