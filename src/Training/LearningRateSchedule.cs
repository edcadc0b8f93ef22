using System.Globalization;

namespace Backprop.Training;

/// <summary>
/// The step size η as a function of training progress. The trainer asks for it before every
/// optimiser step; implementations must not allocate. Use the factories for the common schedules
/// or derive your own.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>η for a step.</summary>
    /// <param name="epoch">0-based index of the epoch the step belongs to.</param>
    /// <param name="globalStep">0-based number of the step over the whole run (the optimiser's steps so far).</param>
    /// <returns>A finite η ≥ 0.</returns>
    public abstract double Rate(int epoch, long globalStep);

    /// <summary>The same η for every step (the derivation's "step size").</summary>
    /// <param name="rate">η ≥ 0, finite.</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule Constant(double rate) => new ConstantSchedule(CheckRate(rate, nameof(rate)));

    /// <summary>Step decay: <c>η = initial · factor^⌊epoch / everyEpochs⌋</c>.</summary>
    /// <param name="initial">η of the first epochs.</param>
    /// <param name="factor">Multiplier in (0, 1] applied every <paramref name="everyEpochs"/> epochs.</param>
    /// <param name="everyEpochs">Epochs between decays, ≥ 1.</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule StepDecay(double initial, double factor, int everyEpochs)
    {
        CheckRate(initial, nameof(initial));
        if (!(factor > 0 && factor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "Expected a factor in (0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(everyEpochs, 1);
        return new StepDecaySchedule(initial, factor, everyEpochs);
    }

    /// <summary>Exponential decay per epoch: <c>η = initial · decay^epoch</c>.</summary>
    /// <param name="initial">η of the first epoch.</param>
    /// <param name="decay">Multiplier per epoch in (0, 1].</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule Exponential(double initial, double decay)
    {
        CheckRate(initial, nameof(initial));
        if (!(decay > 0 && decay <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "Expected a decay in (0, 1].");
        }

        return new ExponentialSchedule(initial, decay);
    }

    /// <summary>Cosine annealing from <paramref name="initial"/> to <paramref name="final"/> over <paramref name="epochs"/> epochs, then <paramref name="final"/>.</summary>
    /// <param name="initial">η of the first epoch.</param>
    /// <param name="final">η at and after epoch <paramref name="epochs"/>.</param>
    /// <param name="epochs">Length of the annealing, ≥ 1.</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule Cosine(double initial, double final, int epochs)
    {
        CheckRate(initial, nameof(initial));
        CheckRate(final, nameof(final));
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        return new CosineSchedule(initial, final, epochs);
    }

    /// <summary>
    /// Linear warm-up then cosine annealing, per step: η rises linearly over the first
    /// <paramref name="warmupSteps"/> steps, <c>η = peak · (s + 1) / warmupSteps</c> for step s (0-based),
    /// then follows a cosine from <paramref name="peak"/> to <paramref name="final"/> until step
    /// <paramref name="totalSteps"/>, <c>η = final + ½ (peak − final)(1 + cos(π (s − warmupSteps) / (totalSteps − warmupSteps)))</c>,
    /// and stays at <paramref name="final"/> after it. The epoch is ignored: with S steps per epoch,
    /// pass <c>totalSteps = epochs · S</c>.
    /// </summary>
    /// <param name="peak">η at the end of the warm-up, finite and ≥ 0.</param>
    /// <param name="final">η at and after step <paramref name="totalSteps"/>, finite and ≥ 0.</param>
    /// <param name="warmupSteps">Steps of linear warm-up, ≥ 0 (0: the cosine starts at the first step).</param>
    /// <param name="totalSteps">Steps of warm-up and annealing together, &gt; <paramref name="warmupSteps"/>.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A rate is negative or not finite, <paramref name="warmupSteps"/> is negative, or <paramref name="totalSteps"/> is not greater than it.</exception>
    public static LearningRateSchedule WarmupCosine(double peak, double final, long warmupSteps, long totalSteps)
    {
        CheckRate(peak, nameof(peak));
        CheckRate(final, nameof(final));
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (totalSteps <= warmupSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, string.Create(CultureInfo.InvariantCulture, $"Expected more steps in all than the {warmupSteps} warm-up steps."));
        }

        return new WarmupCosineSchedule(peak, final, warmupSteps, totalSteps);
    }

    private static double CheckRate(double rate, string name)
    {
        if (!(rate >= 0) || double.IsInfinity(rate))
        {
            throw new ArgumentOutOfRangeException(name, rate, "A learning rate must be finite and ≥ 0.");
        }

        return rate;
    }

    private sealed class ConstantSchedule(double rate) : LearningRateSchedule
    {
        public override double Rate(int epoch, long globalStep) => rate;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"constant {rate}");
    }

    private sealed class StepDecaySchedule(double initial, double factor, int everyEpochs) : LearningRateSchedule
    {
        public override double Rate(int epoch, long globalStep) => initial * Math.Pow(factor, epoch / everyEpochs);

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{initial} × {factor} every {everyEpochs} epochs");
    }

    private sealed class ExponentialSchedule(double initial, double decay) : LearningRateSchedule
    {
        public override double Rate(int epoch, long globalStep) => initial * Math.Pow(decay, epoch);

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{initial} × {decay}^epoch");
    }

    private sealed class CosineSchedule(double initial, double final, int epochs) : LearningRateSchedule
    {
        public override double Rate(int epoch, long globalStep) =>
            epoch >= epochs ? final : final + (0.5 * (initial - final) * (1 + Math.Cos(Math.PI * epoch / epochs)));

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"cosine {initial} → {final} over {epochs} epochs");
    }

    private sealed class WarmupCosineSchedule(double peak, double final, long warmupSteps, long totalSteps) : LearningRateSchedule
    {
        public override double Rate(int epoch, long globalStep)
        {
            if (globalStep < warmupSteps)
            {
                return peak * (globalStep + 1) / warmupSteps;
            }

            if (globalStep >= totalSteps)
            {
                return final;
            }

            double progress = (double)(globalStep - warmupSteps) / (totalSteps - warmupSteps);
            return final + (0.5 * (peak - final) * (1 + Math.Cos(Math.PI * progress)));
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"warm-up {warmupSteps} steps, then cosine {peak} → {final} until step {totalSteps}");
    }
}
