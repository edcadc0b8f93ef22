namespace Backprop.Cli;

/// <summary>The tool's exit codes (documented in docs/CLI.md).</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>gradcheck: the largest relative difference is above the threshold.</summary>
    public const int GradientMismatch = 1;

    /// <summary>The command line is wrong: unknown option, bad value, missing argument.</summary>
    public const int Usage = 2;

    /// <summary>A file is missing or cannot be read or written.</summary>
    public const int FileProblem = 3;

    /// <summary>A data or model file's content is wrong.</summary>
    public const int InvalidData = 4;

    /// <summary>Training diverged (NaN or infinite loss).</summary>
    public const int Diverged = 5;

    /// <summary>Not enough memory for the model or the data (checked before training, or an allocation failed).</summary>
    public const int OutOfMemory = 6;

    /// <summary>An unexpected internal error (a bug).</summary>
    public const int InternalError = 70;

    /// <summary>Interrupted by Ctrl+C.</summary>
    public const int Interrupted = 130;
}

/// <summary>A mistake on the command line that the parser cannot see (an option value out of range, options that conflict).</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
