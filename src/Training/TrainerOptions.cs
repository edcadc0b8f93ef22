namespace Backprop.Training;

/// <summary>How a <see cref="Trainer{T}"/> runs: batch size, epochs, stopping, shuffling and step size. Immutable; derive variants with <c>with</c>.</summary>
public sealed record TrainerOptions
{
    /// <summary>Rows per minibatch, ≥ 1; also the size of the workspace allocated by the trainer. The last batch of an epoch may be smaller. Use the data set's row count for full-batch gradient descent.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The most epochs <see cref="Trainer{T}.Fit"/> runs, ≥ 1.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>When set, <see cref="Trainer{T}.Fit"/> stops after the first epoch whose training loss is at or below it.</summary>
    public double? TargetLoss { get; init; }

    /// <summary>Whether each epoch visits the rows in a fresh random order (seeded by <see cref="Seed"/>); otherwise in data-set order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seed of the shuffling generator: equal seeds (and equal initial parameters) give bit-identical training.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The most threads a step's large products run on, ≥ 1: the calling thread plus up to this
    /// many − 1 workers owned by the trainer. Default: the processor count; 1 runs everything on the
    /// calling thread. Results are bit-identical for every value.
    /// </summary>
    public int DegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The divergence rule, &gt; 1: training stops as diverged (<see cref="TrainingDivergedException"/>,
    /// with the parameters of the last good epoch restored, as for a NaN loss) when an epoch's mean
    /// training loss is more than this factor times the starting loss — the mean loss of the trainer's
    /// first step, or ln(classes) (a uniform guess) if that is larger. Default 100;
    /// <see cref="double.PositiveInfinity"/> turns the rule off (NaN and infinite losses still stop training).
    /// </summary>
    public double DivergenceFactor { get; init; } = 100;

    /// <summary>The step size η per step; <see cref="LearningRateSchedule.Constant"/> 0.01 unless set.</summary>
    public LearningRateSchedule LearningRate { get; init; } = LearningRateSchedule.Constant(0.01);

    /// <summary>
    /// Label smoothing ε in [0, 1): training minimises the cross-entropy against
    /// <c>(1 − ε) · onehot + ε / classes</c> instead of the one-hot target (the reported training loss
    /// is that smoothed loss; evaluation and validation use the plain one). Default 0.
    /// </summary>
    public double LabelSmoothing { get; init; }

    /// <summary>
    /// Inverted dropout on every hidden layer's activations during training, in [0, 1): each activation
    /// is dropped with this probability and the kept ones scaled by <c>1 / (1 − rate)</c>; the mask is
    /// a hash of (<see cref="Seed"/>, step, layer, element), so training stays deterministic and
    /// bit-identical for every degree of parallelism. Prediction and evaluation never drop. Default 0.
    /// </summary>
    public double DropoutRate { get; init; }

    /// <summary>
    /// Early stopping, ≥ 1 when set: <see cref="Trainer{T}.Fit"/> (which then needs a validation set)
    /// keeps a copy of the parameters of the epoch with the best validation accuracy (ties: the lower
    /// validation loss), stops after this many epochs without a better one, and ends with the best
    /// epoch's parameters in the network (<see cref="TrainingResult.BestEpoch"/>). Null (the default): off.
    /// </summary>
    public int? EarlyStoppingPatience { get; init; }
}
