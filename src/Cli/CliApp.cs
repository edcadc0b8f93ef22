using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using Backprop.Training;
using Backprop.Training.Data;

namespace Backprop.Cli;

/// <summary>
/// The command line: <c>train</c>, <c>evaluate</c>, <c>predict</c>, <c>gradcheck</c>. Every user error
/// (bad option, missing file, malformed data or model) ends as one line on standard error starting
/// with <c>error:</c> and a non-zero exit code from <see cref="ExitCodes"/>; never a stack trace.
/// </summary>
internal static class CliApp
{
    /// <summary>Environment variable that adds the stack trace to internal errors.</summary>
    public const string DebugVariable = "BACKPROP_DEBUG";

    /// <summary>Runs the tool in-process.</summary>
    /// <param name="args">The arguments (without the program name).</param>
    /// <param name="console">Where to read and write.</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        RootCommand root = Build(console);
        ParseResult parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
        var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
        if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
        {
            string command = parsed.CommandResult.Command == root ? string.Empty : " " + parsed.CommandResult.Command.Name;
            // "Unrecognized command or argument 'x'" says more than "Required command was not provided".
            string first = parsed.Errors.Select(e => e.Message).OrderBy(m => m.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1).First();
            WriteError(console, $"{Friendly(first)} (see 'Backprop.Cli{command} --help')");
            return ExitCodes.Usage;
        }

        try
        {
            return parsed.Invoke(configuration);
        }
        catch (Exception e)
        {
            (int code, string message) = Describe(e);
            WriteError(console, message);
            if (code == ExitCodes.InternalError && Environment.GetEnvironmentVariable(DebugVariable) is { Length: > 0 })
            {
                console.Error.WriteLine(e.ToString());
            }

            return code;
        }
    }

    /// <summary>The exit code and one-line message for an exception that ended a command.</summary>
    internal static (int Code, string Message) Describe(Exception e) => e switch
    {
        UsageException => (ExitCodes.Usage, e.Message),
        FileNotFoundException or DirectoryNotFoundException => (ExitCodes.FileProblem, e.Message),
        UnauthorizedAccessException => (ExitCodes.FileProblem, "permission denied: " + e.Message),
        DataFormatException or InvalidDataException => (ExitCodes.InvalidData, e.Message),
        TrainingDivergedException => (ExitCodes.Diverged, e.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "interrupted."),
        InsufficientMemoryException => (ExitCodes.OutOfMemory, "not enough memory: " + e.Message),
        OutOfMemoryException => (ExitCodes.OutOfMemory, "not enough memory for this model or data (" + e.Message + ")."),
        IOException => (ExitCodes.FileProblem, e.Message),
        _ => (ExitCodes.InternalError, $"internal error ({e.GetType().Name}: {e.Message}); this is a bug, please report it (set {DebugVariable}=1 for the stack trace)."),
    };

    /// <summary>Writes <c>error: message</c> as exactly one line.</summary>
    internal static void WriteError(CliConsole console, string message)
    {
        string oneLine = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        console.Out.Flush();
        console.Error.WriteLine("error: " + oneLine);
        console.Error.Flush();
    }

    /// <summary>The parser's messages name .NET types ("System.Nullable`1[System.Int32]"); say what is expected instead.</summary>
    internal static string Friendly(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"as expected type '[^']*'", m => m.Value switch
        {
            var v when v.Contains("UInt64", StringComparison.Ordinal) => "as a whole number ≥ 0",
            var v when v.Contains("Int32", StringComparison.Ordinal) || v.Contains("Int64", StringComparison.Ordinal) => "as a whole number",
            var v when v.Contains("Double", StringComparison.Ordinal) => "as a number",
            _ => "as the expected kind of value",
        });

    /// <summary>Parses a list like <c>256,128</c> or <c>4-2-2</c>.</summary>
    internal static int[] ParseSizes(string text, string option)
    {
        if (text.Trim() is "none" or "")
        {
            return [];
        }

        string[] parts = text.Split([',', '-'], StringSplitOptions.TrimEntries);
        int[] sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
            {
                throw new UsageException($"{option} '{text}': '{parts[i]}' is not a layer size (a whole number ≥ 1).");
            }
        }

        return sizes;
    }

    private static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand("Backprop: train, evaluate and use multilayer perceptrons (softmax classifiers) from the command line.")
        {
            TrainCommand.Create(console),
            EvaluateCommand.Create(console),
            PredictCommand.Create(console),
            GradCheckCommand.Create(console),
            ExportCommand.Create(console),
        };
        return root;
    }
}
