using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace Backprop.Benchmarks.ColdStart;

/// <summary>One case under one variant: every launch's result.</summary>
internal sealed record ColdStartRow(ColdStartCase Case, ColdStartVariant Variant, IReadOnlyList<ChildResult> Launches)
{
    /// <summary>The calls reported, in order, with the child's 0-based index (or a selector).</summary>
    public static IReadOnlyList<(string Call, Func<ChildResult, double?> Value)> Calls { get; } =
    [
        ("construct", r => r.ConstructUs),
        ("1", r => At(r, 1)),
        ("2", r => At(r, 2)),
        ("3", r => At(r, 3)),
        ("10", r => At(r, 10)),
        ("100", r => At(r, 100)),
        ("steady", r => r.SteadyUs),
    ];

    /// <summary>Median, min and max over launches of one value, or null when no launch has it.</summary>
    public (double Median, double Min, double Max)? Stat(Func<ChildResult, double?> value)
    {
        double[] v = [.. Launches.Select(value).OfType<double>().Order()];
        if (v.Length == 0)
        {
            return null;
        }

        double median = v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
        return (median, v[0], v[^1]);
    }

    public double? Median(Func<ChildResult, double?> value) => Stat(value)?.Median;

    public double? Median(string call) => Median(Calls.First(c => c.Call == call).Value);

    private static double? At(ChildResult r, int call) => call <= r.CallsUs.Length ? r.CallsUs[call - 1] : null;
}

/// <summary>Writes <c>cold-start.csv</c> and <c>cold-start.md</c> from the children's results.</summary>
internal sealed class ColdStartReport(
    IReadOnlyList<ColdStartRow> rows,
    int launches,
    ChildSettings settings,
    bool quick,
    string commandLine,
    IReadOnlyList<string> notes)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Inconsistencies between launches (vector width, result check value).</summary>
    public IReadOnlyList<string> Warnings { get; } = FindWarnings(rows);

    public string Csv()
    {
        var sb = new StringBuilder();
        sb.Append("Case,Variant,Call,MedianUs,MinUs,MaxUs,Launches\n");
        foreach (ColdStartRow row in rows)
        {
            foreach ((string call, Func<ChildResult, double?> value) in ColdStartRow.Calls)
            {
                if (row.Stat(value) is { } s)
                {
                    int n = row.Launches.Count(r => value(r) is not null);
                    sb.Append(Inv, $"{Field(row.Case.Name)},{Field(row.Variant.Name)},{call},{s.Median:F2},{s.Min:F2},{s.Max:F2},{n}\n");
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>The main table (medians over launches, µs), as printed on the console.</summary>
    public string Table()
    {
        var sb = new StringBuilder();
        sb.Append("| Case | Variant | construct | call 1 | call 2 | call 3 | call 10 | call 100 | steady | call 1 ÷ steady | slowest of calls 2–10 ÷ steady |\n");
        sb.Append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        foreach (ColdStartRow row in rows)
        {
            sb.Append(Inv, $"| {row.Case.Name} | {row.Variant.Name} |");
            foreach ((string call, _) in ColdStartRow.Calls)
            {
                sb.Append(Inv, $" {Us(row.Median(call))} |");
            }

            sb.Append(Inv, $" {Ratio(row.Median("1"), row.Median("steady"))} | {row.Median(r => r.WorstEarlyRatio):F2}× |\n");
        }

        return sb.ToString();
    }

    public string Markdown()
    {
        ChildResult first = rows[0].Launches[0];
        var sb = new StringBuilder();
        sb.Append("# Cold start: first-call time in a fresh process\n\n");
        sb.Append(Inv, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n");
        sb.Append(Inv, $"- Machine: {CpuModel()}, {Environment.ProcessorCount} logical cores\n");
        sb.Append(Inv, $"- OS: {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})\n");
        sb.Append(Inv, $"- .NET: {RuntimeInformation.FrameworkDescription}\n");
        sb.Append(Inv, $"- Vector<T> in the children: {first.VectorBits}-bit (parent: {Vector<byte>.Count * 8}-bit; set DOTNET_MaxVectorTBitWidth=512 on the command to change it)\n");
        sb.Append(Inv, $"- Command: `{commandLine}`\n");
        sb.Append(Inv, $"- Launches per case and variant: {launches}{(quick ? " (--quick: smoke run, steady sample taken early and possibly before tier 1)" : string.Empty)}; launches round-robin over all cases and variants\n");
        sb.Append(Inv, $"- Each child times calls 1–{settings.Calls} one by one, then the median of {settings.SteadyCount} calls starting at call {settings.SteadyFrom} or later, at least {settings.SteadyWarmupMs} ms after call 1 (\"steady\"). One thread; OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE=Haswell (256-bit) or SkylakeX (512-bit).\n");
        sb.Append("- Values: median over launches, µs (min and max per value in cold-start.csv). \"construct\" = NetworkShape + Network (Glorot init) + SgdOptimizer + Trainer.\n\n");
        sb.Append(Table());
        sb.Append('\n');

        sb.Append("## Where call 1 goes\n\n");
        sb.Append("JIT time and methods compiled on the calling thread during call 1 (`System.Runtime.JitInfo`), and the cold-start cost in total: the time calls 1–")
          .Append(settings.Calls.ToString(Inv))
          .Append(" took beyond the same number of steady calls.\n\n");
        sb.Append("| Case | Variant | JIT in construct | JIT in call 1 | methods JIT'd in call 1 | in calls 2–")
          .Append(settings.Calls.ToString(Inv)).Append(" | call 1 minus its JIT | calls 1–")
          .Append(settings.Calls.ToString(Inv)).Append(" beyond steady |\n");
        sb.Append("|---|---|--:|--:|--:|--:|--:|--:|\n");
        foreach (ColdStartRow row in rows)
        {
            double? constructJit = row.Case.Kind == ColdStartKind.TrainingStep ? row.Median(r => r.ConstructJitUs) : null;
            sb.Append(Inv, $"| {row.Case.Name} | {row.Variant.Name} | {Us(constructJit)} | {Us(row.Median(r => r.Call1JitUs))} | {row.Median(r => r.Call1JitMethods):F0} | {row.Median(r => r.LaterJitMethods):F0} | {Us(row.Median(r => r.CallsUs[0] - r.Call1JitUs))} | {Ms(row.Median(r => r.ExcessUs))} |\n");
        }

        sb.Append("\n## What this means\n\n");
        foreach (string line in Findings())
        {
            sb.Append("- ").Append(line).Append('\n');
        }

        sb.Append("\n## What the library does about cold start\n\n");
        sb.Append("- GEMM's hot methods (packed and small-product paths, packing, transpose) are marked `[MethodImpl(MethodImplOptions.AggressiveOptimization)]`: they skip tier 0 and are compiled fully optimised on first call, so only call 1 pays (JIT plus the per-thread packing buffer, allocated once). Compare a GEMM row's call 2 with its steady value, and its `default` row with its `TieredCompilation=0` row above.\n");
        sb.Append("- The trainer's constructor runs one invisible `Step` (zero inputs; the gradients restored; the update on a scratch twin of a built-in optimiser and scratch parameters), so every method a step calls is compiled before the first real step and a step's call 1 compiles next to nothing (the method counts above). That matters beyond call 1: JIT work evicts the step's code and data from the caches, and a small step pays for it on the next call (the tiny path's call 2 was 4× steady while call 1 still compiled the update's methods).\n");
        sb.Append("- The row kernels (activations, softmax cross-entropy, optimiser updates) are deliberately not AggressiveOptimization: it kept `exp` from being inlined, and AggressiveOptimization code never gets tier-1 PGO. They run at tier 0 until promoted, which is what a training step's calls 2–100 show.\n");
        sb.Append("- The shipped libraries are not ReadyToRun-compiled, and R2R would not help the kernels (tried on an app referencing them, see benchmarks/ColdStart/README.md): a normal R2R publish precompiles only the libraries' non-generic methods, because the kernels are generic and their float/double instantiations are made outside the libraries' version bubble; a self-contained composite R2R publish precompiles the generic glue too, but AggressiveOptimization methods are never precompiled (all of GEMM's hot code) and methods that depend on the Vector<T> size or on AVX2/AVX-512 checks are rejected and JIT-compiled anyway (all the row kernels). So call 1 stays JIT-bound either way. The `ReadyToRun=0` rows show what the framework's own R2R code already saves.\n");
        sb.Append("- An embedding application that cares about the first call can set `DOTNET_TieredCompilation=0` (or `<TieredCompilation>false</TieredCompilation>` in its project) at the price of slower start-up elsewhere and no PGO, or `DOTNET_TC_QuickJitForLoops=0`, or simply make one warm-up call at start-up.\n");
        sb.Append("\n## Variants\n\n");
        sb.Append("- `default`: tiered compilation as shipped (tier 0, then tier 1 after 30 calls and a ~100 ms delay; OSR for long-running loops).\n");
        sb.Append("- `TieredCompilation=0`: every method fully optimised at first JIT.\n");
        sb.Append("- `TC_QuickJitForLoops=0`: methods with loops (every kernel) fully optimised at first JIT; loop-free methods still tiered.\n");
        sb.Append("- `ReadyToRun=0`: the framework's precompiled code is ignored, so every BCL method the call uses is JIT-compiled too. It can make a training step's early calls faster, not slower: at tier 0 the row kernels call the framework's `Vector256.Exp` (which widens to `Vector512<double>`) out of line, and the precompiled version of it appears to be much slower on an AVX-512 machine than one JIT-compiled for the CPU; tier 1 inlines it, so steady state is unaffected. (A hypothesis from the method lists of `DOTNET_JitDisasmSummary=1`, not yet proven.)\n");
        sb.Append("- `TieredPGO=0` was measured too and dropped: within noise of `default` for every case, first calls and steady state alike.\n");
        sb.Append("- OpenBLAS and the double GEMM run under `default` only: OpenBLAS's GEMM is native (no JIT; its setup happens when the library loads, before call 1 here), and the double GEMM is a second generic instantiation of the same code.\n");
        foreach (string note in notes.Concat(Warnings.Select(w => "warning: " + w)))
        {
            sb.Append("- ").Append(note).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Sentences generated from the medians; every number quoted here comes from this run.</summary>
    private IEnumerable<string> Findings()
    {
        foreach (ColdStartCase c in rows.Select(r => r.Case).Distinct())
        {
            ColdStartRow? def = Row(c, "default");
            if (def is null)
            {
                continue;
            }

            double c1 = def.Median("1")!.Value, c2 = def.Median("2")!.Value, steady = def.Median("steady")!.Value;
            double jit = def.Median(r => r.Call1JitUs)!.Value;
            double excess = def.Median(r => r.ExcessUs)!.Value;
            string text = string.Create(Inv, $"**{c.Name}**: call 1 takes {Us(c1)} µs, {c1 / steady:F1}× the steady {Us(steady)} µs; {Us(jit)} µs of it is JIT compilation ({def.Median(r => r.Call1JitMethods):F0} methods). Call 2 is {c2 / steady:F2}× steady, the slowest of calls 2–10 {def.Median(r => r.WorstEarlyRatio):F2}× (median over launches), and call {settings.Calls} {def.Median(settings.Calls.ToString(Inv))!.Value / steady:F2}×; calls 1–{settings.Calls} cost {Ms(excess)} ms more than steady calls would.");
            if (def.Median("construct") is { } construct)
            {
                text += string.Create(Inv, $" Constructing the network and trainer takes {Us(construct)} µs ({Us(def.Median(r => r.ConstructJitUs))} µs JIT).");
            }

            foreach (string variant in new[] { "TieredCompilation=0", "TC_QuickJitForLoops=0", "ReadyToRun=0" })
            {
                if (Row(c, variant) is { } v)
                {
                    double v1 = v.Median("1")!.Value, vs = v.Median("steady")!.Value, ve = v.Median(r => r.ExcessUs)!.Value;
                    text += string.Create(Inv, $" {variant}: call 1 {Us(v1)} µs ({v1 / c1:F2}× default), calls 1–{settings.Calls} beyond steady {Ms(ve)} ms, steady {Us(vs)} µs ({vs / steady:F2}× default).");
                }
            }

            yield return text;
        }

        ColdStartRow? gemm = rows.FirstOrDefault(r => r.Case.Kind == ColdStartKind.BackpropGemm && r.Variant.Name == "default" && !r.Case.IsDouble);
        ColdStartRow? blas = rows.FirstOrDefault(r => r.Case.Kind == ColdStartKind.OpenBlasGemm && r.Variant.Name == "default");
        if (gemm is not null && blas is not null && gemm.Case.Dims.SequenceEqual(blas.Case.Dims))
        {
            yield return string.Create(Inv, $"Against OpenBLAS on the same product: Backprop's call 1 is {Us(gemm.Median("1"))} µs vs OpenBLAS's {Us(blas.Median("1"))} µs; steady {Us(gemm.Median("steady"))} vs {Us(blas.Median("steady"))} µs. OpenBLAS's own set-up (thread pool, buffers) runs when the library is loaded, which here happens before call 1.");
        }

        ColdStartRow? stepDefault = rows.FirstOrDefault(r => r.Case.Kind == ColdStartKind.TrainingStep && r.Variant.Name == "default");
        if (gemm is not null && stepDefault is not null)
        {
            double g2 = gemm.Median("2")!.Value / gemm.Median("steady")!.Value;
            double s2 = stepDefault.Median("2")!.Value / stepDefault.Median("steady")!.Value;
            yield return string.Create(Inv, $"AggressiveOptimization at work: GEMM's call 2 is already {g2:F2}× steady, while the training step ({stepDefault.Case.Name}), whose row kernels are tiered, is at {s2:F2}× steady on call 2 until tier 1 arrives.");
        }
    }

    private ColdStartRow? Row(ColdStartCase c, string variant) => rows.FirstOrDefault(r => r.Case == c && r.Variant.Name == variant);

    private static List<string> FindWarnings(IReadOnlyList<ColdStartRow> rows)
    {
        var warnings = new List<string>();
        int[] widths = [.. rows.SelectMany(r => r.Launches).Select(r => r.VectorBits).Distinct()];
        if (widths.Length > 1)
        {
            warnings.Add($"children ran with different Vector<T> widths: {string.Join(", ", widths)} bits.");
        }

        foreach (IGrouping<ColdStartCase, ColdStartRow> group in rows.GroupBy(r => r.Case))
        {
            string[] checks = [.. group.SelectMany(r => r.Launches).Select(r => r.Check).Distinct()];
            if (checks.Length > 1)
            {
                warnings.Add($"{group.Key.Name}: the result check value differs between launches or variants ({string.Join(", ", checks)}); results should be deterministic.");
            }
        }

        return warnings;
    }

    private static string CpuModel()
    {
        if (File.Exists("/proc/cpuinfo"))
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                string[] kv = line.Split(':', 2, StringSplitOptions.TrimEntries);
                if (kv.Length == 2 && kv[0] == "model name")
                {
                    return kv[1];
                }
            }
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string Field(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal) ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    private static string Us(double? us) => us switch
    {
        null => "–",
        >= 100 => us.Value.ToString("F0", Inv),
        >= 10 => us.Value.ToString("F1", Inv),
        _ => us.Value.ToString("F2", Inv),
    };

    private static string Ms(double? us) => us is null ? "–" : (us.Value / 1000).ToString("F2", Inv);

    private static string Ratio(double? a, double? b) => a is null || b is null || b == 0 ? "–" : (a.Value / b.Value).ToString("F1", Inv) + "×";
}
