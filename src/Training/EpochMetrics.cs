namespace Backprop.Training;

/// <summary>What one epoch did. Training figures are means over the epoch's minibatches, each measured on the parameters before its update (as most frameworks report them); validation figures are measured after the epoch's last update.</summary>
/// <param name="Epoch">1-based number of the epoch over the trainer's life.</param>
/// <param name="Steps">Optimiser steps (minibatches) in the epoch.</param>
/// <param name="LearningRate">η of the epoch's first step.</param>
/// <param name="TrainingLoss">Mean cross-entropy over the training rows, weighted by batch size (the label-smoothed loss the steps minimise when <see cref="TrainerOptions.LabelSmoothing"/> is above 0).</param>
/// <param name="TrainingAccuracy">Fraction of training rows classified correctly.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation set, or NaN without one.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set, or NaN without one.</param>
public readonly record struct EpochMetrics(int Epoch, int Steps, double LearningRate, double TrainingLoss, double TrainingAccuracy, double ValidationLoss, double ValidationAccuracy)
{
    /// <summary>Whether a validation set was evaluated.</summary>
    public bool HasValidation => !double.IsNaN(ValidationLoss);
}
