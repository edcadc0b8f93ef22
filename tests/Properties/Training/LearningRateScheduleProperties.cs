using Backprop.Training;

namespace Backprop.Properties.Training;

public class LearningRateScheduleProperties
{
    [Fact]
    public void SchedulesFollowTheirFormulas()
    {
        Assert.Equal(0.1, LearningRateSchedule.Constant(0.1).Rate(99, 12345));
        LearningRateSchedule step = LearningRateSchedule.StepDecay(1, 0.5, 3);
        Assert.Equal([1, 1, 1, 0.5, 0.5, 0.5, 0.25], Enumerable.Range(0, 7).Select(e => step.Rate(e, 0)).ToArray());
        LearningRateSchedule exp = LearningRateSchedule.Exponential(2, 0.9);
        Assert.Equal(2 * 0.9 * 0.9 * 0.9, exp.Rate(3, 0), 1e-15);
        LearningRateSchedule cosine = LearningRateSchedule.Cosine(1, 0.1, 10);
        Assert.Equal(1, cosine.Rate(0, 0), 1e-15);
        Assert.Equal(0.55, cosine.Rate(5, 0), 1e-15);
        Assert.Equal(0.1, cosine.Rate(10, 0), 1e-15);
        Assert.Equal(0.1, cosine.Rate(50, 0), 1e-15);
        Assert.True(cosine.Rate(3, 0) > cosine.Rate(4, 0));
    }

    /// <summary>Warm-up then cosine, per step: the values at the documented points, rising through the warm-up and falling after it, whatever the epoch.</summary>
    [Fact]
    public void WarmupCosineFollowsItsFormulaPerStep()
    {
        LearningRateSchedule s = LearningRateSchedule.WarmupCosine(1, 0.1, 4, 14);
        Assert.Equal([0.25, 0.5, 0.75, 1], Enumerable.Range(0, 4).Select(t => s.Rate(0, t)).ToArray());
        Assert.Equal(1, s.Rate(0, 4), 1e-15);
        Assert.Equal(0.55, s.Rate(7, 9), 1e-15); // halfway through the cosine
        Assert.Equal(0.1 + (0.45 * (1 + Math.Cos(Math.PI * 0.3))), s.Rate(0, 7), 1e-15);
        Assert.Equal(0.1, s.Rate(0, 14));
        Assert.Equal(0.1, s.Rate(99, 1000));
        for (int t = 4; t < 14; t++)
        {
            Assert.True(s.Rate(0, t) > s.Rate(0, t + 1), $"step {t}");
        }

        Assert.Equal(s.Rate(0, 6), s.Rate(3, 6));
        LearningRateSchedule noWarmup = LearningRateSchedule.WarmupCosine(2, 0, 0, 10);
        Assert.Equal(2, noWarmup.Rate(0, 0));
        Assert.Equal(1, noWarmup.Rate(0, 5), 1e-15);
    }

    [Fact]
    public void BadArgumentsThrowNamingThem()
    {
        Assert.Equal("peak", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.WarmupCosine(-1, 0, 1, 5)).ParamName);
        Assert.Equal("final", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.WarmupCosine(1, double.PositiveInfinity, 1, 5)).ParamName);
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.WarmupCosine(1, 0, -1, 5)).ParamName);
        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.WarmupCosine(1, 0, 5, 5)).ParamName);
        Assert.Equal("rate", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(-1)).ParamName);
        Assert.Equal("rate", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(double.PositiveInfinity)).ParamName);
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(1, 0, 2)).ParamName);
        Assert.Equal("everyEpochs", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(1, 0.5, 0)).ParamName);
        Assert.Equal("decay", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Exponential(1, 1.5)).ParamName);
        Assert.Equal("final", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(1, double.NaN, 5)).ParamName);
    }
}
