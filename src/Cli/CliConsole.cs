namespace Backprop.Cli;

/// <summary>Where a command reads and writes: the real console in <see cref="Program"/>, string writers in tests.</summary>
/// <param name="Out">Standard output: results.</param>
/// <param name="Error">Standard error: errors and warnings, one line each.</param>
/// <param name="OpenInput">Opens standard input as bytes (predict reads CSV from it).</param>
/// <param name="IsTerminal">Whether <paramref name="Out"/> is a terminal (live progress line) rather than a file or pipe (plain lines).</param>
/// <param name="InputIsTerminal">Whether standard input is a terminal (predict then answers row by row).</param>
/// <param name="Cancellation">Signalled by Ctrl+C.</param>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, Func<Stream> OpenInput, bool IsTerminal, bool InputIsTerminal, CancellationToken Cancellation)
{
    /// <summary>A console over the given writers, not a terminal, with empty standard input unless given.</summary>
    public static CliConsole Redirected(TextWriter output, TextWriter error, Stream? input = null) =>
        new(output, error, () => input ?? new MemoryStream(), IsTerminal: false, InputIsTerminal: false, CancellationToken.None);
}
