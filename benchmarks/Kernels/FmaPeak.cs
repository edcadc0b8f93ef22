using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Backprop.Benchmarks.Reporting;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace Backprop.Benchmarks.Kernels;

/// <summary>
/// Fused multiply-add throughput of one core: <see cref="Chains"/> independent chains of
/// <c>acc = acc · m + a</c> held in registers, enough to cover the latency of every FMA pipe, so
/// the loop runs at the issue rate. The "peak" the GEMM tables' "% of peak" refers to.
/// </summary>
public static class FmaPeak
{
    /// <summary>Independent accumulators: 12 covers latency 4 × 2 pipes with room (and fits 16 registers with the two constants).</summary>
    public const int Chains = 12;

    /// <summary>Floating-point operations of <see cref="Run{T}"/> with <paramref name="iterations"/> at <paramref name="bits"/>.</summary>
    public static double Flops<T>(int bits, int iterations)
        where T : unmanaged => 2.0 * Chains * iterations * (bits / 8 / Unsafe.SizeOf<T>());

    /// <summary>Runs <paramref name="iterations"/> rounds of the chains at <paramref name="bits"/> (128, 256 or 512); returns a sum so nothing is optimised away.</summary>
    public static T Run<T>(int bits, int iterations)
        where T : unmanaged, IFloatingPointIeee754<T> => bits switch
        {
            512 when Vector512.IsHardwareAccelerated => Run512<T>(iterations),
            256 when Vector256.IsHardwareAccelerated => Run256<T>(iterations),
            128 when Vector128.IsHardwareAccelerated => Run128<T>(iterations),
            _ => throw new NotSupportedException($"{bits}-bit vectors are not accelerated in this process."),
        };

    /// <summary>The accelerated widths of this process as benchmark parameters.</summary>
    public static IEnumerable<FmaWork> Works<T>()
        where T : unmanaged
    {
        for (int bits = 128; bits <= 512; bits *= 2)
        {
            if (bits switch { 512 => Vector512.IsHardwareAccelerated, 256 => Vector256.IsHardwareAccelerated, _ => Vector128.IsHardwareAccelerated })
            {
                yield return new FmaWork(bits, Flops<T>(bits, FmaWork.Iterations));
            }
        }
    }

    /// <summary>GFLOP/s of the best of <paramref name="repeats"/> timed runs at the widest accelerated width (the GEMM tables' peak, measured in the reporting process).</summary>
    public static double MeasureGflops<T>(int repeats = 7)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        MeasureGflopsAt<T>(Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128, repeats);

    /// <summary>GFLOP/s of the best of <paramref name="repeats"/> timed runs at <paramref name="bits"/>.</summary>
    public static double MeasureGflopsAt<T>(int bits, int repeats = 7)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int Iterations = 2_000_000;
        _ = Run<T>(bits, Iterations / 10); // compile and warm up
        double best = 0;
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            _ = Run<T>(bits, Iterations);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Max(best, Flops<T>(bits, Iterations) / seconds / 1e9);
        }

        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static T Run512<T>(int iterations)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> m = Vector512.Create(T.CreateTruncating(0.999999)), a = Vector512.Create(T.CreateTruncating(1e-7));
        Vector512<T> x0 = m, x1 = m, x2 = m, x3 = m, x4 = m, x5 = m, x6 = m, x7 = m, x8 = m, x9 = m, x10 = m, x11 = m;
        for (int i = 0; i < iterations; i++)
        {
            x0 = F(x0, m, a); x1 = F(x1, m, a); x2 = F(x2, m, a); x3 = F(x3, m, a);
            x4 = F(x4, m, a); x5 = F(x5, m, a); x6 = F(x6, m, a); x7 = F(x7, m, a);
            x8 = F(x8, m, a); x9 = F(x9, m, a); x10 = F(x10, m, a); x11 = F(x11, m, a);
        }

        return Vector512.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<T> F(Vector512<T> x, Vector512<T> y, Vector512<T> z) => typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static T Run256<T>(int iterations)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> m = Vector256.Create(T.CreateTruncating(0.999999)), a = Vector256.Create(T.CreateTruncating(1e-7));
        Vector256<T> x0 = m, x1 = m, x2 = m, x3 = m, x4 = m, x5 = m, x6 = m, x7 = m, x8 = m, x9 = m, x10 = m, x11 = m;
        for (int i = 0; i < iterations; i++)
        {
            x0 = F(x0, m, a); x1 = F(x1, m, a); x2 = F(x2, m, a); x3 = F(x3, m, a);
            x4 = F(x4, m, a); x5 = F(x5, m, a); x6 = F(x6, m, a); x7 = F(x7, m, a);
            x8 = F(x8, m, a); x9 = F(x9, m, a); x10 = F(x10, m, a); x11 = F(x11, m, a);
        }

        return Vector256.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<T> F(Vector256<T> x, Vector256<T> y, Vector256<T> z) => typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static T Run128<T>(int iterations)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector128<T> m = Vector128.Create(T.CreateTruncating(0.999999)), a = Vector128.Create(T.CreateTruncating(1e-7));
        Vector128<T> x0 = m, x1 = m, x2 = m, x3 = m, x4 = m, x5 = m, x6 = m, x7 = m, x8 = m, x9 = m, x10 = m, x11 = m;
        for (int i = 0; i < iterations; i++)
        {
            x0 = F(x0, m, a); x1 = F(x1, m, a); x2 = F(x2, m, a); x3 = F(x3, m, a);
            x4 = F(x4, m, a); x5 = F(x5, m, a); x6 = F(x6, m, a); x7 = F(x7, m, a);
            x8 = F(x8, m, a); x9 = F(x9, m, a); x10 = F(x10, m, a); x11 = F(x11, m, a);
        }

        return Vector128.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector128<T> F(Vector128<T> x, Vector128<T> y, Vector128<T> z) => typeof(T) == typeof(float)
            ? Vector128.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector128.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }
}

/// <summary>
/// The measured FMA peak of one core, float and double, at 128, 256 and 512 bits (the widths this
/// process accelerates), so every results folder states the peak the GEMM tables are measured against.
/// <c>dotnet run -c Release --project benchmarks -- --filter '*FmaPeak*'</c>.
/// </summary>
[Config(typeof(FmaPeakConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class FmaPeakBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [ParamsSource(nameof(Widths))]
    public FmaWork Work { get; set; } = new(128, 1);

#pragma warning disable CA1000 // BenchmarkDotNet's ParamsSource needs a member of the benchmark class.
    public static IEnumerable<FmaWork> Widths() => FmaPeak.Works<T>();
#pragma warning restore CA1000

    [Benchmark(Description = "FMA chains")]
    public T Chains() => FmaPeak.Run<T>(Work.Bits, FmaWork.Iterations);
}

/// <summary>An FMA-peak parameter: the width and the floating-point operations of one invocation.</summary>
public sealed record FmaWork(int Bits, double Flops) : IHasFlops
{
    /// <summary>Rounds of the chains per invocation.</summary>
    public const int Iterations = 1_000_000;

    public override string ToString() => $"{Bits}-bit";
}

/// <summary>One job, default process (the widths are parameters), with the GFLOP/s column.</summary>
public sealed class FmaPeakConfig : ManualConfig
{
    public FmaPeakConfig()
    {
        AddJob(Jobs.Quick ? Job.Dry.WithId("Quick") : Job.Default.WithWarmupCount(3).WithIterationCount(7).WithId("OneCore"));
        BuildTimeout = TimeSpan.FromMinutes(10); // the machine is shared: generated projects took over 2 min to build
        AddColumn(new GflopsColumn());
    }
}
