using Backprop.Training;

namespace Backprop.Properties.Training;

public class RngProperties
{
    [Fact]
    public void MatchesTheReferenceXoshiro256StarStarAndSplitMix64()
    {
        // Outputs of the authors' C code for state {1, 2, 3, 4}, and SplitMix64 from 0.
        var rng = new Rng(1, 2, 3, 4);
        Assert.Equal([11520UL, 0UL, 1509978240UL, 1215971899390074240UL], [rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64()]);
        ulong state = 0;
        Assert.Equal(
            [0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL, 0xF88BB8A8724C81ECUL],
            [Rng.SplitMix64(ref state), Rng.SplitMix64(ref state), Rng.SplitMix64(ref state), Rng.SplitMix64(ref state)]);
        var seeded = new Rng(0);
        Assert.Equal(new Rng(0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL, 0xF88BB8A8724C81ECUL).NextUInt64(), seeded.NextUInt64());
    }

    [Fact]
    public void DoublesAreInTheUnitInterval()
    {
        var rng = new Rng(7);
        double sum = 0;
        for (int i = 0; i < 100_000; i++)
        {
            double d = rng.NextDouble();
            Assert.InRange(d, 0, Math.BitDecrement(1.0));
            sum += d;
        }

        Assert.InRange(sum / 100_000, 0.49, 0.51);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(3u)]
    [InlineData(7u)]
    [InlineData(1000u)]
    public void BoundedDrawsAreUniform(uint bound)
    {
        var rng = new Rng(bound);
        int n = (int)Math.Max(70_000, 50 * bound);
        int[] counts = new int[bound];
        for (int i = 0; i < n; i++)
        {
            counts[rng.NextBounded(bound)]++;
        }

        // χ² with bound − 1 degrees of freedom; the limit is far in the tail (≈ 6 standard deviations).
        double expected = (double)n / bound;
        double chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi2 <= bound - 1 + (6 * Math.Sqrt(2.0 * Math.Max(1, bound - 1))), $"χ² = {chi2} for bound {bound}");
    }

    [Fact]
    public void ShufflesAreUniformPermutations()
    {
        var rng = new Rng(3);
        int[] order = new int[5];
        var counts = new Dictionary<string, int>();
        const int Shuffles = 120 * 500;
        for (int i = 0; i < Shuffles; i++)
        {
            order.AsSpan().Fill(-1);
            rng.ShuffleIdentity(order);
            Assert.Equal([0, 1, 2, 3, 4], order.Order().ToArray());
            string key = string.Join(',', order);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        Assert.Equal(120, counts.Count);
        double chi2 = counts.Values.Sum(c => (c - 500.0) * (c - 500.0) / 500.0);
        Assert.True(chi2 <= 119 + (6 * Math.Sqrt(238)), $"χ² = {chi2}");
    }
}
