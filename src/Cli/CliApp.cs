using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text.RegularExpressions;
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

    /// <summary>The command people type (the .NET tool's command name), shown in usage lines and hints.</summary>
    public const string ToolName = "backprop";

    /// <summary>Runs the tool in-process.</summary>
    /// <param name="args">The arguments (without the program name).</param>
    /// <param name="console">Where to read and write.</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        Command root = Build(console);
        ParseResult parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
        var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
        if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
        {
            string command = parsed.CommandResult.Command == root ? string.Empty : " " + parsed.CommandResult.Command.Name;
            // "Unrecognized command or argument 'x'" says more than "Required command was not provided".
            string first = parsed.Errors.Select(e => e.Message).OrderBy(m => m.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1).First();
            string hint = Suggestion(first, parsed.CommandResult.Command) is string near ? $"; did you mean '{near}'?" : ".";
            WriteError(console, $"{Friendly(first).TrimEnd('.')}{hint} (see '{ToolName}{command} --help')");
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
        Regex.Replace(message, @"as expected type '[^']*'", m => m.Value switch
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

    /// <summary>
    /// The closest name to a mistyped command or option among what <paramref name="command"/> accepts
    /// (its subcommands, options and their aliases): within an edit distance of a third of the
    /// length (at least 1, at most 3), or a unique name the typed text is a prefix of; null if none.
    /// </summary>
    internal static string? Suggestion(string message, Command command)
    {
        Match m = Regex.Match(message, "^Unrecognized command or argument '(?<token>.+)'");
        if (!m.Success)
        {
            return null;
        }

        string typed = m.Groups["token"].Value;
        var names = new List<string>();
        foreach (Command sub in command.Subcommands)
        {
            names.Add(sub.Name);
        }

        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            foreach (Option option in c.Options)
            {
                if (c == command || option.Recursive)
                {
                    names.Add(option.Name);
                    names.AddRange(option.Aliases);
                }
            }
        }

        names.RemoveAll(n => n is "-?" or "/?" or "/h");
        string[] prefixed = [.. names.Where(n => typed.Length >= 3 && n.StartsWith(typed, StringComparison.Ordinal)).Distinct()];
        if (prefixed.Length == 1)
        {
            return prefixed[0];
        }

        int limit = Math.Clamp(typed.Length / 3, 1, 3);
        return names
            .Select(n => (Name: n, Distance: Distance(typed, n)))
            .Where(p => p.Distance <= limit)
            .OrderBy(p => p.Distance)
            .ThenBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name)
            .FirstOrDefault();
    }

    /// <summary>Edit distance with transpositions (optimal string alignment): "trian" is one edit from "train".</summary>
    internal static int Distance(string a, string b)
    {
        int[,] d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>
    /// The root is a plain command named <see cref="ToolName"/> rather than a <see cref="RootCommand"/>,
    /// whose name is the executable's file name (<c>Backprop.Cli</c>, or the test host's): usage lines
    /// then say <c>backprop</c> however the tool is started.
    /// </summary>
    private static Command Build(CliConsole console)
    {
        var root = new Command(ToolName, "Backprop: train, evaluate and use multilayer perceptrons (softmax classifiers) from the command line.")
        {
            new HelpOption(),
            new VersionOption(),
            TrainCommand.Create(console),
            EvaluateCommand.Create(console),
            PredictCommand.Create(console),
            GradCheckCommand.Create(console),
            PlotCommand.Create(console),
            ExportCommand.Create(console),
        };
        return root;
    }
}
