namespace Backprop.Training;

/// <summary>Why <see cref="Trainer{T}.Fit"/> stopped.</summary>
public enum StopReason
{
    /// <summary>It ran <see cref="TrainerOptions.Epochs"/> epochs.</summary>
    EpochLimit = 0,

    /// <summary>An epoch's training loss reached <see cref="TrainerOptions.TargetLoss"/>.</summary>
    TargetLossReached = 1,

    /// <summary><see cref="TrainerOptions.EarlyStoppingPatience"/> epochs passed without a better validation accuracy; the best epoch's parameters were restored.</summary>
    EarlyStopped = 2,
}

/// <summary>The outcome of <see cref="Trainer{T}.Fit"/>.</summary>
/// <param name="Epochs">Epochs run by this call.</param>
/// <param name="StopReason">Why it stopped.</param>
/// <param name="Last">The last epoch's metrics.</param>
public readonly record struct TrainingResult(int Epochs, StopReason StopReason, EpochMetrics Last)
{
    /// <summary>
    /// The epoch (1-based, counted over the trainer's life as <see cref="EpochMetrics.Epoch"/>) whose
    /// parameters the network holds after the call: with <see cref="TrainerOptions.EarlyStoppingPatience"/>
    /// the best validation epoch (restored when it was not the last), otherwise the last epoch.
    /// </summary>
    public int BestEpoch { get; init; }

    /// <summary>The metrics of <see cref="BestEpoch"/> (equal to <see cref="Last"/> without early stopping).</summary>
    public EpochMetrics Best { get; init; }
}
