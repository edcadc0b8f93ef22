namespace Backprop.Cli;

/// <summary>The process entry point: wires the real console and Ctrl+C to <see cref="CliApp"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C stops training after the current step (train saves the last completed epoch if --output was named); a second one kills the process.
            if (!cancel.IsCancellationRequested)
            {
                e.Cancel = true;
                cancel.Cancel();
            }
        };

        var console = new CliConsole(
            Console.Out,
            Console.Error,
            Console.OpenStandardInput,
            IsTerminal: !Console.IsOutputRedirected,
            InputIsTerminal: !Console.IsInputRedirected,
            cancel.Token);
        return CliApp.Run(args, console);
    }
}
