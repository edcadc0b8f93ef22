namespace Backprop.Properties.Support;

/// <summary>The allocation measurement itself: it must see a leak, however the leak is spread.</summary>
public class AllocationsTests
{
    private static object? s_sink;

    [Fact]
    public void AnAllocationPerCallOrEveryFewCallsFails()
    {
        Assert.True(Allocations.MeasureSteady(() => s_sink = new object(), 100, 3, out _) >= 100 * 24);
        int calls = 0;
        Assert.True(Allocations.MeasureSteady(() => s_sink = ++calls % 10 == 0 ? new byte[8] : null, 100, 0, out string where) > 0, where);
        Assert.Throws<Xunit.Sdk.TrueException>(() => Allocations.AssertNone(() => s_sink = new object()));
    }

    [Fact]
    public void ASingleOneOffIsMeasuredAgainAndSaid()
    {
        int calls = 0;
        long bytes = Allocations.MeasureSteady(() => s_sink = ++calls == 50 ? new byte[4000] : null, 100, 0, out string where);
        Assert.Equal(0, bytes);
        Assert.Contains("one repetition allocated", where, StringComparison.Ordinal);
        Assert.Contains("#49", where, StringComparison.Ordinal);
    }
}
