using System.Diagnostics;

namespace Backprop.Benchmarks.Commands;

/// <summary>
/// Runs this benchmark executable again as a child process (the commands that need a fresh process per
/// measurement: <c>cold-start</c>, <c>time-to-accuracy</c>) and returns what it printed.
/// </summary>
internal static class ChildProcess
{
    /// <summary>
    /// A start for this executable with <paramref name="arguments"/>, output redirected: the apphost
    /// when that is what runs, else <c>dotnet</c> (the running host, or the one on the path, as under a
    /// test runner) with the benchmark assembly.
    /// </summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        string assembly = typeof(ChildProcess).Assembly.Location;
        string? processPath = Environment.ProcessPath;
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath) == Path.GetFileNameWithoutExtension(assembly))
        {
            info.FileName = processPath;
        }
        else
        {
            info.FileName = processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : "dotnet";
            info.ArgumentList.Add(assembly);
        }

        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>Starts <paramref name="info"/>, waits up to <paramref name="timeout"/> and returns its standard output.</summary>
    /// <param name="info">From <see cref="StartInfo"/>, environment adjusted by the caller.</param>
    /// <param name="timeout">How long the child may run; it is killed after that.</param>
    /// <param name="what">The child, for messages (e.g. "the child for 2 threads").</param>
    /// <exception cref="ChildProcessException">The child could not start, ran out of time or exited with a non-zero code (its standard error and output in the message).</exception>
    public static string Run(ProcessStartInfo info, TimeSpan timeout, string what)
    {
        using Process process = Process.Start(info) ?? throw new ChildProcessException($"could not start {info.FileName} for {what}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new ChildProcessException($"{what} did not finish within {timeout.TotalSeconds:F0} s.");
        }

        process.WaitForExit();
        string output = stdout.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            throw new ChildProcessException($"{what} exited with code {process.ExitCode}:\n{stderr.GetAwaiter().GetResult()}{output}");
        }

        return output;
    }
}

/// <summary>A child process failed, ran out of time or printed no result.</summary>
internal sealed class ChildProcessException(string message) : Exception(message);
