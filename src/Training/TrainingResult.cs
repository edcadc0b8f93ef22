namespace Backprop.Training;

/// <summary>Why <see cref="Trainer{T}.Fit"/> stopped.</summary>
public enum StopReason
{
    /// <summary>It ran <see cref="TrainerOptions.Epochs"/> epochs.</summary>
    EpochLimit = 0,

    /// <summary>An epoch's training loss reached <see cref="TrainerOptions.TargetLoss"/>.</summary>
    TargetLossReached = 1,
}

/// <summary>The outcome of <see cref="Trainer{T}.Fit"/>.</summary>
/// <param name="Epochs">Epochs run by this call.</param>
/// <param name="StopReason">Why it stopped.</param>
/// <param name="Last">The last epoch's metrics.</param>
public readonly record struct TrainingResult(int Epochs, StopReason StopReason, EpochMetrics Last);
