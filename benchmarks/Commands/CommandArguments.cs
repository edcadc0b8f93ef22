using System.Globalization;
using Backprop.Benchmarks.Reporting;

namespace Backprop.Benchmarks.Commands;

/// <summary>The small pieces of argument handling the stand-alone commands (<c>cold-start</c>, <c>time-to-accuracy</c>) share.</summary>
internal static class CommandArguments
{
    /// <summary>The value after option <paramref name="args"/>[<paramref name="i"/>] (advancing <paramref name="i"/> past it).</summary>
    /// <exception cref="ArgumentException">The option is the last argument.</exception>
    public static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");

    /// <summary>A whole number ≥ 1 given to <paramref name="option"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not one.</exception>
    public static int Positive(string option, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new ArgumentException($"{option} needs a positive integer, not '{value}'.");

    /// <summary>The folder results go to: <c>--out DIR</c> (created if missing), else this machine's results folder.</summary>
    public static string OutputFolder(string? outDir) =>
        outDir is null ? ResultsFolder.ForThisMachine() : Directory.CreateDirectory(outDir).FullName;

    /// <summary>
    /// Runs a command's parent or child side (<c>--child</c> first selects the child), turning a bad
    /// command line into exit code 2 with <paramref name="usage"/>, and a failure the command expects
    /// (a child that failed, missing data) into exit code 1 with its message.
    /// </summary>
    public static int Run(string command, string usage, string[] args, Func<string[], int> parent, Func<string[], int> child)
    {
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            return args.Length > 0 && args[0] == "--child" ? child(args[1..]) : parent(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"{command}: {e.Message}");
            Console.Error.WriteLine($"usage: {command} {usage}");
            return 2;
        }
        catch (Exception e) when (e is ChildProcessException or InvalidOperationException or FileNotFoundException)
        {
            Console.Error.WriteLine($"{command}: {e.Message}");
            return 1;
        }
    }
}
