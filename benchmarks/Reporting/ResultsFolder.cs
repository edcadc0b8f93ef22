using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Backprop.Benchmarks.Reporting;

/// <summary>
/// Where results go: <c>benchmarks/results/&lt;cpu&gt;/</c>, one folder per machine kind, so results from
/// different CPUs never overwrite each other. The folder name is the CPU model, clock, core count and
/// widest vector instruction set, e.g. <c>intel-xeon-2.30ghz-2c-avx512</c>.
/// </summary>
public static class ResultsFolder
{
    /// <summary>The folder name for this machine.</summary>
    public static string CpuSlug()
    {
        string model = "unknown-cpu";
        double mhz = 0;
        if (File.Exists("/proc/cpuinfo"))
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                string[] kv = line.Split(':', 2, StringSplitOptions.TrimEntries);
                if (kv.Length != 2)
                {
                    continue;
                }

                if (kv[0] == "model name" && model == "unknown-cpu")
                {
                    model = kv[1];
                }
                else if (kv[0] == "cpu MHz" && mhz == 0)
                {
                    _ = double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out mhz);
                }
            }
        }
        else
        {
            model = RuntimeInformation.ProcessArchitecture.ToString();
        }

        // Drop the marketing noise and any clock in the name (the measured clock is appended).
        foreach (string noise in new[] { "(R)", "(TM)", "(tm)", " CPU", " Processor", " processor" })
        {
            model = model.Replace(noise, string.Empty, StringComparison.Ordinal);
        }

        int at = model.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            model = model[..at];
        }

        var slug = new StringBuilder();
        foreach (char c in model.Trim().ToLowerInvariant())
        {
            bool keep = char.IsAsciiLetterOrDigit(c);
            if (keep)
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        string name = slug.ToString().Trim('-');
        if (mhz > 0)
        {
            name += string.Create(CultureInfo.InvariantCulture, $"-{mhz / 1000:F2}ghz");
        }

        string isa = Avx512F.IsSupported ? "avx512" : Avx2.IsSupported ? "avx2" : RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        return string.Create(CultureInfo.InvariantCulture, $"{name}-{Environment.ProcessorCount}c-{isa}");
    }

    /// <summary>
    /// <c>benchmarks/results</c> of the source tree: found by walking up from the working directory
    /// (and from the executable) to the folder that holds <c>Kernels.sln</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No enclosing folder holds <c>Kernels.sln</c>.</exception>
    public static string ResultsRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "Kernels.sln")))
                {
                    return Path.Combine(d.FullName, "benchmarks", "results");
                }
            }
        }

        throw new DirectoryNotFoundException("Kernels.sln not found above the working directory or the executable; run from the repository.");
    }

    /// <summary><c>benchmarks/results/&lt;cpu&gt;</c> for this machine, created if missing.</summary>
    public static string ForThisMachine() => Directory.CreateDirectory(Path.Combine(ResultsRoot(), CpuSlug())).FullName;
}
