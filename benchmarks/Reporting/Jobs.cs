using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Backprop.Kernels;

namespace Backprop.Benchmarks.Reporting;

/// <summary>
/// The jobs every suite runs, each naming the kernel width it measures: <c>Bits256</c>
/// (<c>BACKPROP_VECTOR_BITS=256</c>) and, where the CPU accelerates 512-bit vectors, <c>Bits512</c>
/// (<c>BACKPROP_VECTOR_BITS=512</c>), in the same run so the widths compare directly; plus
/// <c>Default</c> (no setting: what an application gets) only where a default process picks neither
/// width (<see cref="KernelSimd.HardwareBits"/>). With <c>--quick</c>, one dry invocation of each case
/// instead (CI's smoke run, so the benchmarks never rot).
/// </summary>
/// <remarks>
/// Before the kernels chose their width at run time the jobs were <c>V256</c> (a default process, then
/// 256-bit <c>Vector&lt;T&gt;</c>) and <c>V512</c> (<c>DOTNET_MaxVectorTBitWidth=512</c>); older CSVs keep
/// those names, and the report describes them from their <c>Width</c> column.
/// </remarks>
public static class Jobs
{
    /// <summary>Set by <c>--quick</c> on the command line, before any configuration is built.</summary>
    public static bool Quick { get; set; }

    /// <summary>
    /// Set by <c>--widths 512</c> (comma-separated) on the command line: the width jobs are limited to these
    /// (the suite's inference step runs only the widest, the width a default process picks). Null: every width.
    /// </summary>
    public static IReadOnlyList<int>? OnlyWidths { get; set; }

    /// <summary>
    /// How long BenchmarkDotNet may take to build its generated project (its default, 2 min, is too short
    /// when other builds share the machine: a quick suite run timed out at 2 min on the shared 2-core machine).
    /// </summary>
    public static TimeSpan BuildTimeout { get; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Every measured job: 2 warm-up and 7 measured iterations of 250 ms each (BenchmarkDotNet's
    /// default is 500 ms and up to 100 iterations). The committed CSVs' standard deviation is about 1 % of
    /// the mean (median over every case; 90th percentile 2–5 %), so 7 iterations put the median within
    /// about half a percent, well inside the differences the report states; it keeps the suite's
    /// cases at about 6 s each.
    /// </summary>
    public static Job Measured => Job.Default.WithWarmupCount(2).WithIterationCount(7).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250));

    /// <summary>The job id of a process pinned to <paramref name="bits"/>.</summary>
    /// <param name="bits">256 or 512.</param>
    public static string PinnedId(int bits) => bits == 512 ? "Bits512" : bits == 256 ? "Bits256" : "Bits" + bits.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static readonly int[] PinnedWidths = [256, 512];

    /// <summary>The id of the job without a width setting.</summary>
    public const string DefaultId = "Default";

    /// <summary>
    /// The widths the suites pin on this machine (256, and 512 where accelerated) and whether a default
    /// process needs its own job (it picks neither, e.g. 128 bits or scalar).
    /// </summary>
    public static (int[] Pinned, bool Default) Plan()
    {
        int hardware = KernelSimd.HardwareBits;
        int[] pinned = [.. PinnedWidths.Where(b => b <= hardware)];
        return (pinned, !pinned.Contains(hardware));
    }

    /// <summary>Adds the width jobs (or the quick job) to <paramref name="config"/>.</summary>
    /// <param name="config">The suite's configuration.</param>
    /// <param name="baselineJob">Make the 256-bit job the baseline (suites without a baseline method).</param>
    /// <param name="openBlas">Also pin OpenBLAS's kernel set to the width (AVX2 = Haswell, AVX-512 = SkylakeX) and its threads to 1.</param>
    public static void AddWidthJobs(ManualConfig config, bool baselineJob, bool openBlas)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.BuildTimeout = BuildTimeout;
        if (Quick)
        {
            config.AddJob(Job.Dry.WithId("Quick"));
            return;
        }

        Job baseJob = Measured;
        (int[] pinned, bool withDefault) = Plan();
        if (OnlyWidths is { } only)
        {
            pinned = [.. pinned.Where(only.Contains)];
            withDefault &= only.Contains(KernelSimd.HardwareBits);
        }

        bool baselineTaken = false;
        foreach (int bits in pinned)
        {
            var env = new List<EnvironmentVariable> { new(KernelSimd.EnvironmentVariable, bits.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            if (openBlas)
            {
                env.Add(new("OPENBLAS_CORETYPE", bits >= 512 ? "SkylakeX" : "Haswell"));
                env.Add(new("OPENBLAS_NUM_THREADS", "1"));
            }

            Job job = baseJob.WithId(PinnedId(bits) + (openBlas ? bits >= 512 ? "-OpenBLAS-SkylakeX" : "-OpenBLAS-Haswell" : string.Empty)).WithEnvironmentVariables([.. env]);
            config.AddJob(baselineJob && !baselineTaken ? job.AsBaseline() : job);
            baselineTaken = true;
        }

        if (withDefault)
        {
            Job job = baseJob.WithId(DefaultId);
            if (openBlas)
            {
                job = job.WithEnvironmentVariables(new EnvironmentVariable("OPENBLAS_NUM_THREADS", "1"));
            }

            config.AddJob(baselineJob && !baselineTaken ? job.AsBaseline() : job);
        }
    }
}

/// <summary>
/// The GEMM suite's jobs: a default process (no environment variable: the kernels pick the widest
/// accelerated width) against OpenBLAS's best kernel set for the CPU (SkylakeX on AVX-512 machines,
/// else Haswell), and on AVX-512 machines an AVX2-only process (<c>DOTNET_EnableAVX512=0</c>: 256-bit
/// kernels with 16 vector registers) against OpenBLAS's AVX2 (Haswell) kernels; one thread each.
/// </summary>
public static class GemmJobs
{
    /// <summary>Adds the jobs (or the quick job) to <paramref name="config"/>.</summary>
    /// <param name="config">The suite's configuration.</param>
    public static void Add(ManualConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.BuildTimeout = Jobs.BuildTimeout;
        if (Jobs.Quick)
        {
            config.AddJob(Job.Dry.WithId("Quick"));
            return;
        }

        Job baseJob = Jobs.Measured;
        bool avx512 = KernelSimd.HardwareBits >= 512 && System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        config.AddJob(baseJob.WithId(avx512 ? "Default-OpenBLAS-SkylakeX" : "Default-OpenBLAS-Haswell").WithEnvironmentVariables(
            new EnvironmentVariable("OPENBLAS_CORETYPE", avx512 ? "SkylakeX" : "Haswell"),
            new EnvironmentVariable("OPENBLAS_NUM_THREADS", "1")));
        if (avx512)
        {
            config.AddJob(baseJob.WithId("NoAVX512-OpenBLAS-Haswell").WithEnvironmentVariables(
                new EnvironmentVariable("DOTNET_EnableAVX512", "0"),
                new EnvironmentVariable("OPENBLAS_CORETYPE", "Haswell"),
                new EnvironmentVariable("OPENBLAS_NUM_THREADS", "1")));
        }
    }
}

/// <summary>Both widths in one run; the suite's baseline is a method (the naive loop or a peer).</summary>
public sealed class WidthConfig : ManualConfig
{
    public WidthConfig() => Jobs.AddWidthJobs(this, baselineJob: false, openBlas: false);
}
