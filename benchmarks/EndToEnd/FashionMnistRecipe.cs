using System.Globalization;
using System.Numerics;
using Backprop.Training;

namespace Backprop.Benchmarks.EndToEnd;

/// <summary>
/// The CLI's Fashion-MNIST default recipe (<c>backprop train --data fashion-mnist</c>; src/Cli/TrainCommand.cs,
/// <c>Defaults</c>), written out for the time-to-accuracy command: keep the two in step.
/// </summary>
public static class FashionMnistRecipe
{
    /// <summary>Hidden layer sizes (ReLU, He initialisation).</summary>
    public static readonly int[] Hidden = [256];

    /// <summary>Peak η of Adam.</summary>
    public const double LearningRate = 0.002;

    /// <summary>Epochs of linear warm-up before the cosine (to 1 % of η).</summary>
    public const double WarmupEpochs = 1;

    /// <summary>Label smoothing ε.</summary>
    public const double LabelSmoothing = 0.1;

    /// <summary>Decoupled weight decay on the weights.</summary>
    public const double WeightDecay = 0;

    /// <summary>Dropout on the hidden activations.</summary>
    public const double Dropout = 0;

    /// <summary>Rows per step.</summary>
    public const int BatchSize = 128;

    /// <summary>Epochs.</summary>
    public const int Epochs = 15;

    /// <summary>The CLI's default seed (initialisation and shuffling).</summary>
    public const ulong Seed = 1;

    /// <summary>Adam with bias-skipping decay, as the CLI builds it.</summary>
    public static Optimizer<T> Optimizer<T>(NetworkShape shape)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new AdamOptimizer<T>(shape, weightDecay: WeightDecay);

    /// <summary>The trainer options the CLI uses for <paramref name="rows"/> training rows.</summary>
    public static TrainerOptions Options(int rows, int epochs, int threads)
    {
        int batch = Math.Min(BatchSize, rows);
        long stepsPerEpoch = ((rows - 1) / batch) + 1;
        long warmup = (long)Math.Round(WarmupEpochs * stepsPerEpoch);
        return new TrainerOptions
        {
            BatchSize = batch,
            Epochs = epochs,
            Seed = Seed,
            DegreeOfParallelism = threads,
            LabelSmoothing = LabelSmoothing,
            DropoutRate = Dropout,
            LearningRate = warmup > 0 && warmup < epochs * stepsPerEpoch
                ? LearningRateSchedule.WarmupCosine(LearningRate, LearningRate / 100, warmup, epochs * stepsPerEpoch)
                : LearningRateSchedule.Cosine(LearningRate, LearningRate / 100, epochs),
        };
    }

    /// <summary>One line for tables.</summary>
    public static string Describe(int epochs) => string.Create(
        CultureInfo.InvariantCulture,
        $"784-{string.Join('-', Hidden)}-10 ReLU, Adam η = {LearningRate} ({WarmupEpochs} epoch warm-up, cosine), label smoothing {LabelSmoothing}, weight decay {WeightDecay}, dropout {Dropout}, batch {BatchSize}, {epochs} epochs, standardised, float, seed {Seed}");
}
