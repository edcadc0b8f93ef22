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

    [Fact]
    public void BadArgumentsThrowNamingThem()
    {
        Assert.Equal("rate", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(-1)).ParamName);
        Assert.Equal("rate", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(double.PositiveInfinity)).ParamName);
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(1, 0, 2)).ParamName);
        Assert.Equal("everyEpochs", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(1, 0.5, 0)).ParamName);
        Assert.Equal("decay", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Exponential(1, 1.5)).ParamName);
        Assert.Equal("final", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(1, double.NaN, 5)).ParamName);
    }
}
