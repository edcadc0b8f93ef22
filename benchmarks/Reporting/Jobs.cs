using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace Backprop.Benchmarks.Reporting;

/// <summary>
/// The jobs every suite runs: the default 256-bit <c>Vector&lt;T&gt;</c> and 512-bit
/// (<c>DOTNET_MaxVectorTBitWidth=512</c>) in the same run, so the widths compare directly; or, with
/// <c>--quick</c>, one dry invocation of each case (CI's smoke run, so the benchmarks never rot).
/// </summary>
public static class Jobs
{
    /// <summary>Set by <c>--quick</c> on the command line, before any configuration is built.</summary>
    public static bool Quick { get; set; }

    /// <summary>Adds the width jobs (or the quick job) to <paramref name="config"/>.</summary>
    /// <param name="config">The suite's configuration.</param>
    /// <param name="baselineJob">Make the 256-bit job the baseline (suites without a baseline method).</param>
    /// <param name="openBlas">Also pin OpenBLAS's kernel set to the width (AVX2 = Haswell, AVX-512 = SkylakeX) and its threads to 1.</param>
    public static void AddWidthJobs(ManualConfig config, bool baselineJob, bool openBlas)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (Quick)
        {
            config.AddJob(Job.Dry.WithId("Quick"));
            return;
        }

        Job baseJob = Job.Default.WithWarmupCount(3).WithIterationCount(7);
        Job v256 = baseJob.WithId(openBlas ? "V256-OpenBLAS-Haswell" : "V256");
        Job v512 = baseJob.WithId(openBlas ? "V512-OpenBLAS-SkylakeX" : "V512");
        if (openBlas)
        {
            v256 = v256.WithEnvironmentVariables(
                new EnvironmentVariable("OPENBLAS_CORETYPE", "Haswell"),
                new EnvironmentVariable("OPENBLAS_NUM_THREADS", "1"));
            v512 = v512.WithEnvironmentVariables(
                new EnvironmentVariable("DOTNET_MaxVectorTBitWidth", "512"),
                new EnvironmentVariable("OPENBLAS_CORETYPE", "SkylakeX"),
                new EnvironmentVariable("OPENBLAS_NUM_THREADS", "1"));
        }
        else
        {
            v512 = v512.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_MaxVectorTBitWidth", "512"));
        }

        config.AddJob(baselineJob ? v256.AsBaseline() : v256);
        config.AddJob(v512);
    }
}

/// <summary>
/// The GEMM suite's jobs: a default process (no environment variable: the kernels pick the widest
/// accelerated width) against OpenBLAS's AVX-512 (SkylakeX) kernels, and an AVX2-only process
/// (DOTNET_EnableAVX512=0: 256-bit kernels with 16 vector registers) against OpenBLAS's AVX2
/// (Haswell) kernels; one thread each.
/// </summary>
public static class GemmJobs
{
    /// <summary>Adds the two jobs (or the quick job) to <paramref name="config"/>.</summary>
    /// <param name="config">The suite's configuration.</param>
    public static void Add(ManualConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (Jobs.Quick)
        {
            config.AddJob(Job.Dry.WithId("Quick"));
            return;
        }

        Job baseJob = Job.Default.WithWarmupCount(3).WithIterationCount(7);
        config.AddJob(baseJob.WithId("Default-OpenBLAS-SkylakeX").WithEnvironmentVariables(
            new EnvironmentVariable("OPENBLAS_CORETYPE", "SkylakeX"),
            new EnvironmentVariable("OPENBLAS_NUM_THREADS", "1")));
        config.AddJob(baseJob.WithId("NoAVX512-OpenBLAS-Haswell").WithEnvironmentVariables(
            new EnvironmentVariable("DOTNET_EnableAVX512", "0"),
            new EnvironmentVariable("OPENBLAS_CORETYPE", "Haswell"),
            new EnvironmentVariable("OPENBLAS_NUM_THREADS", "1")));
    }
}

/// <summary>Both widths in one run; the suite's baseline is a method (the naive loop or a peer).</summary>
public sealed class WidthConfig : ManualConfig
{
    public WidthConfig() => Jobs.AddWidthJobs(this, baselineJob: false, openBlas: false);
}
