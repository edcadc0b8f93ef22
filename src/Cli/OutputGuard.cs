using Backprop.Training.Data;
using Backprop.Training.Persistence;

namespace Backprop.Cli;

/// <summary>
/// Checks an output path before any work is done, so that nothing is lost: the output must not be
/// any input (same path, another spelling of it, a symbolic or hard link to it), must not be a
/// directory, device, FIFO, socket or read-only file, must have a name, and its directory must exist
/// and be writable. The refusals about the path chosen are usage errors (exit 2); a missing or
/// unwritable directory is a file problem (exit 3).
/// </summary>
internal static class OutputGuard
{
    /// <summary>Throws unless <paramref name="output"/> can be written without destroying anything.</summary>
    /// <param name="option">The option that named the output, for messages (<c>--output</c>).</param>
    /// <param name="output">The output path; null means none (nothing to check).</param>
    /// <param name="inputs">Every file the command reads (null and <c>-</c> entries are skipped).</param>
    public static void Check(string option, string? output, IEnumerable<string?> inputs)
    {
        if (output is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(output))
        {
            throw new UsageException($"{option} '{output}': expected a file name.");
        }

        foreach (string? input in inputs)
        {
            if (input is null or "-" || input.Length == 0)
            {
                continue;
            }

            if (AtomicFile.RefersToSameFile(output, input))
            {
                throw new UsageException($"{option} {output}: it is the same file as the input {input}; refusing to overwrite an input.");
            }
        }

        try
        {
            AtomicFile.CheckTarget(output);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{option}: {Strip(e)}", e);
        }
        catch (DirectoryNotFoundException)
        {
            throw;
        }
        catch (IOException e)
        {
            throw new UsageException($"{option}: {e.Message}", e);
        }
    }

    /// <summary>The files behind a data request: the CSV files, the stairs files, or the Fashion-MNIST folder's files.</summary>
    public static IEnumerable<string?> InputsOf(DataRequest request)
    {
        switch (request.Data)
        {
            case DataSources.Stairs:
                {
                    string? dir = null;
                    try
                    {
                        dir = DataSources.StairsDirectory();
                    }
                    catch (FileNotFoundException)
                    {
                        // Reported when the data are loaded.
                    }

                    return dir is null ? [] : [Path.Combine(dir, "train.csv"), Path.Combine(dir, "test.csv")];
                }

            case DataSources.FashionMnistName:
                return FilesIn(FashionMnist.ResolveDirectory(request.DataDirectory));
            default:
                return [request.Data, request.Test];
        }
    }

    private static string[] FilesIn(string directory)
    {
        try
        {
            return Directory.Exists(directory) ? [.. Directory.EnumerateFiles(directory).Take(1000)] : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string Strip(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);
}
