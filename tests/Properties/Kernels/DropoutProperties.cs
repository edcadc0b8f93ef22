using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Reference;
using FsCheck;
using FsCheck.Fluent;
using static Backprop.Properties.Kernels.KernelAccuracy;

namespace Backprop.Properties.Kernels;

/// <summary>Inverted dropout with the hashed mask: against the plain loop (exactly), and the mask's statistics.</summary>
public class DropoutProperties
{
    private static Arbitrary<int> Seeds => Gens.Seed.ToArbitrary();

    /// <summary>Forward and backward equal the plain loops bit for bit at every length around the vector widths and any offset (one multiply per kept element, so no rounding differs).</summary>
    [SizedProperty(MaxTest = 20)]
    public Property MatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed => Matches<float>(seed) && Matches<double>(seed));

    /// <summary>
    /// Over 2²⁰ elements the kept fraction is within 5 standard deviations of 1 − rate
    /// (√(rate(1 − rate)/n) ≤ 0.0005), for several keys: a biased or constant hash fails.
    /// </summary>
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void KeptFractionIsOneMinusRate(double rate)
    {
        const int n = 1 << 20;
        float[] values = new float[n];
        foreach (ulong key in new ulong[] { 0, 1, 0xDEADBEEFCAFEBABE, ulong.MaxValue })
        {
            values.AsSpan().Fill(1f);
            Dropout.Forward<float>(values, key, 0, rate);
            int kept = values.Count(v => v != 0);
            double sd = Math.Sqrt(rate * (1 - rate) / n);
            Assert.True(Math.Abs(((double)kept / n) - (1 - rate)) <= 5 * sd, $"key {key:X}, rate {rate}: kept {kept} of {n}");
            Assert.All(values, v => Assert.True(v == 0 || v == 1f / (1f - (float)rate)));
        }
    }

    /// <summary>Different keys give different masks (they agree on about rate² + (1 − rate)² of the elements, not all).</summary>
    [Fact]
    public void KeysGiveIndependentMasks()
    {
        const int n = 1 << 16;
        int agree = 0;
        for (int i = 0; i < n; i++)
        {
            agree += Dropout.IsKept(1, i, 0.5) == Dropout.IsKept(2, i, 0.5) ? 1 : 0;
        }

        Assert.InRange(agree, (n / 2) - 1000, (n / 2) + 1000);
    }

    /// <summary>Backward drops exactly the elements forward dropped, and undoes forward's scaling of the kept activations up to one rounding each way.</summary>
    [Fact]
    public void BackwardMasksWhatForwardDropped()
    {
        const int n = 1000;
        double[] a = Gens.Random<double>(n, 4, 1).Select(v => Math.Abs(v) + 0.1).ToArray();
        double[] original = [.. a];
        double[] delta = [.. Enumerable.Repeat(1.0, n)];
        Dropout.Forward<double>(a, 77, 12, 0.3);
        Dropout.Backward<double>(delta, a, 77, 12, 0.3);
        for (int i = 0; i < n; i++)
        {
            bool dropped = original[i] != 0 && a[i] == 0;
            Assert.Equal(dropped, delta[i] == 0);
            if (!dropped)
            {
                Assert.Equal(1 / 0.7, delta[i], 1e-15);
                Assert.Equal(original[i], a[i], 1e-15);
            }
        }

    }

    [Fact]
    public void RateZeroChangesNothing()
    {
        float[] values = Gens.Random<float>(37, 1, 3);
        float[] copy = [.. values];
        Dropout.Forward<float>(values, 5, 0, 0);
        Assert.Equal(copy, values);
    }

    /// <summary>Only float and double: another IEEE type is refused by name, not run through the scalar loop.</summary>
    [Fact]
    public void OtherElementTypesAreRefused()
    {
        foreach (Action call in new Action[]
        {
            () => Dropout.Forward<Half>(new Half[3], 1, 0, 0.5),
            () => Dropout.Backward<Half>(new Half[3], new Half[3], 1, 0, 0.5),
        })
        {
            NotSupportedException e = Assert.Throws<NotSupportedException>(call);
            Assert.Contains("Half", e.Message, StringComparison.Ordinal);
            Assert.Contains("float or double", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// An element is kept when its hash is at least the threshold, so one whose hash equals the threshold
    /// exactly (the rate chosen as hash / 2³²) is kept, and dropped one step of 2⁻³² above: at every lane
    /// of every vector width and in the scalar tail (a chance of 2⁻³² per element otherwise).
    /// </summary>
    [SizedProperty(MaxTest = 100)]
    public Property AnElementWhoseHashEqualsTheThresholdIsKept() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            ulong key = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 33);
            long index = random.Next(2) == 0 ? random.Next(1000) : uint.MaxValue - random.Next(40);
            uint hash = DropoutReference.Hash(key, unchecked((uint)index));
            if (hash is 0 or uint.MaxValue)
            {
                return true;
            }

            double rate = hash / 4294967296.0;
            Require(Dropout.Threshold(rate) == hash, "the rate gives the hash as threshold");
            Require(Dropout.IsKept(key, index, rate), "IsKept at hash == threshold");
            Require(!Dropout.IsKept(key, index, (hash + 1.0) / 4294967296.0), "IsKept at hash == threshold - 1");
            int position = random.Next(0, 20); // the element's place in the span: every lane of a 256-bit float vector, or the tail
            int length = position + 1 + random.Next(0, 20);
            float[] values = new float[length];
            values.AsSpan().Fill(1f);
            Dropout.Forward<float>(values, key, index - position, rate);
            Require(values[position] != 0, $"element at {position} of {length} dropped");
            double[] delta = new double[length], activations = new double[length];
            delta.AsSpan().Fill(1);
            activations.AsSpan().Fill(1);
            Dropout.Backward<double>(delta, activations, key, index - position, rate);
            Require(delta[position] != 0, $"delta at {position} of {length} dropped");

            // One step of 2⁻³² above, the same element is dropped: a hash that differs only in its low bits is caught.
            double above = (hash + 1.0) / 4294967296.0;
            values.AsSpan().Fill(1f);
            Dropout.Forward<float>(values, key, index - position, above);
            Require(values[position] == 0, $"element at {position} of {length} kept above its hash");
            delta.AsSpan().Fill(1);
            Dropout.Backward<double>(delta, activations, key, index - position, above);
            Require(delta[position] == 0, $"delta at {position} of {length} kept above its hash");
            return true;
        });

    [Fact]
    public void BadArgumentsThrowNamingTheParameter()
    {
        foreach (double rate in new[] { -0.1, 1, double.NaN })
        {
            ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward<float>(new float[3], 1, 0, rate));
            Assert.Equal("rate", e.ParamName);
            Assert.Contains("dropout rate in [0, 1)", e.Message, StringComparison.Ordinal);
            Assert.Equal("rate", Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Backward<float>(new float[3], new float[3], 1, 0, rate)).ParamName);
        }

        Assert.Equal("activations", Assert.Throws<ArgumentException>(() => Dropout.Backward<float>(new float[3], new float[2], 1, 0, 0.5)).ParamName);
        float[] shared = new float[4];
        Assert.Equal("activations", Assert.Throws<ArgumentException>(() => Dropout.Backward<float>(shared.AsSpan(0, 3), shared.AsSpan(1, 3), 1, 0, 0.5)).ParamName);
    }

    [Fact]
    public void KernelsDoNotAllocate()
    {
        float[] a = new float[1000];
        float[] d = new float[1000];
        Allocations.AssertNone(() => Dropout.Forward<float>(a, 9, 3, 0.2));
        Allocations.AssertNone(() => Dropout.Backward<float>(d, a, 9, 3, 0.2));
    }

    private static bool Matches<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>(from: 0))
        {
            ulong key = (ulong)random.NextInt64();
            long first = random.Next(2) == 0 ? random.Next(1000) : uint.MaxValue - random.Next(20); // wraps at 2³²
            double rate = random.Next(4) switch { 0 => 0.5, 1 => 1e-9, 2 => 0.999999, _ => random.NextDouble() };
            T[] values = Gens.Random<T>(n, random.Next(), 5);
            T[] delta = Gens.Random<T>(n, random.Next(), 5);
            T[] expected = [.. values];
            T[] expectedDelta = [.. delta];
            Dropout.Forward<T>(values, key, first, rate);
            DropoutReference.Forward<T>(expected, key, first, rate);
            Require(values.AsSpan().SequenceEqual(expected), $"{typeof(T).Name} forward, length {n}, key {key:X}, first {first}, rate {rate}");
            Dropout.Backward<T>(delta, values, key, first, rate);
            DropoutReference.Backward<T>(expectedDelta, expected, key, first, rate);
            Require(delta.AsSpan().SequenceEqual(expectedDelta), $"{typeof(T).Name} backward delta, length {n}");
            Require(values.AsSpan().SequenceEqual(expected), $"{typeof(T).Name} backward activations, length {n}");
            for (int i = 0; i < n; i++)
            {
                Require(Dropout.IsKept(key, first + i, rate) == DropoutReference.IsKept(key, first + i, rate), $"IsKept {i}");
            }
        }

        return true;
    }
}
