namespace Backprop.Training;

/// <summary>
/// Training produced a NaN or infinite loss (or parameters). The network has been restored to the
/// parameters it had at the end of the last epoch that stayed finite (<see cref="RestoredEpoch"/>;
/// 0 = the parameters training started from). The optimiser's state is left as it was: call
/// <see cref="Optimizer{T}.Reset"/> before training on.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public TrainingDivergedException()
        : base("Training diverged: the loss is not finite.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a detected divergence.</summary>
    /// <param name="message">The message, which names the epoch and step.</param>
    /// <param name="epoch">1-based epoch in which it happened.</param>
    /// <param name="step">1-based step within that epoch.</param>
    /// <param name="loss">The offending loss (NaN or ±∞), or NaN when the parameters or the validation loss turned non-finite.</param>
    /// <param name="restoredEpoch">Number of the epoch whose final parameters the network now holds.</param>
    public TrainingDivergedException(string message, int epoch, int step, double loss, int restoredEpoch)
        : base(message)
    {
        Epoch = epoch;
        Step = step;
        Loss = loss;
        RestoredEpoch = restoredEpoch;
    }

    /// <summary>1-based epoch in which the non-finite value appeared.</summary>
    public int Epoch { get; }

    /// <summary>1-based step within <see cref="Epoch"/>.</summary>
    public int Step { get; }

    /// <summary>The non-finite loss.</summary>
    public double Loss { get; } = double.NaN;

    /// <summary>The epoch whose final parameters the network holds again (0 = the initial parameters).</summary>
    public int RestoredEpoch { get; }
}
