using Backprop.Benchmarks.ColdStart;

namespace Backprop.Properties.Benchmarks;

/// <summary>
/// The cold-start command's child (<c>benchmarks -- cold-start --child</c>), run as a fresh process
/// with the default runtime settings: what it counts (methods JIT-compiled on the calling thread) is
/// exact, so it is asserted; its times are not (performance is measured, never asserted).
/// </summary>
public sealed class ColdStartTests
{
    private static readonly ChildSettings Short = new(Calls: 10, SteadyWarmupMs: 1, SteadyFrom: 11, SteadyCount: 5);

    /// <summary>
    /// The trainer's constructor runs a whole step, so the first ten steps of a tiny network compile
    /// nothing: a method left for them to compile makes the next step pay for the JIT's cache
    /// pollution (the 2-3-2 × 500 step's call 2 was 4× steady while call 1 compiled the update's
    /// methods). The name holds "TinyNetworkStep" so CI's width legs (their filter) run it at every
    /// kernel width: the warm-up must take the width-specific instantiation the steps take.
    /// </summary>
    [Theory]
    [InlineData("step232")]
    [InlineData("step422")]
    public void TheTinyNetworkStepsFirstCallsCompileNothing(string id)
    {
        ColdStartCase c = ColdStartCase.Find(id);
        ChildResult result = ColdStartCommand.Launch(c, ColdStartVariant.All[0], Short);
        Assert.Equal(Short.Calls, result.CallsUs.Length);
        Assert.All(result.CallsUs, t => Assert.True(t > 0));
        Assert.Equal(0, result.Call1JitMethods);
        Assert.Equal(0, result.LaterJitMethods);
    }

    /// <summary>The child's line round-trips through its parser, the new count included.</summary>
    [Fact]
    public void TheChildLineRoundTrips()
    {
        var line = new ChildResult(256, 12.5, 3.25, 7, [30.5, 3.5, 3.25], 3.0, 1.5, 2, 1, "0.69");
        ChildResult parsed = ChildResult.Parse("noise\n" + line.Format() + "\n");
        Assert.Equal(line.Format(), parsed.Format());
        Assert.Equal(1, parsed.LaterJitMethods);
        Assert.Equal(3.5 / 3.0, parsed.WorstEarlyRatio, 1e-12);
    }
}
