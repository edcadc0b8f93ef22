namespace Backprop.Benchmarks.ColdStart;

/// <summary>What a cold-start case times in its child process.</summary>
internal enum ColdStartKind
{
    /// <summary><c>Gemm.Multiply</c> NN.</summary>
    BackpropGemm,

    /// <summary>OpenBLAS <c>cblas_?gemm</c> NN on one thread.</summary>
    OpenBlasGemm,

    /// <summary>Network + trainer construction, then <c>Trainer.Step</c>.</summary>
    TrainingStep,
}

/// <summary>One case: a name for the report, an id for the child's command line, the shape.</summary>
/// <param name="Id">Short id passed to the child (<c>--child &lt;id&gt;</c>).</param>
/// <param name="Name">The report's name for it.</param>
/// <param name="Kind">What is timed.</param>
/// <param name="IsDouble">Double instead of float.</param>
/// <param name="Dims">GEMM: m, n, k. Training step: layer sizes, then the batch rows.</param>
/// <param name="AllVariants">
/// Runs under every runtime variant; otherwise under <c>default</c> only (OpenBLAS has no JIT in its
/// GEMM, the double GEMM repeats the float story with a second generic instantiation, and the 4-2-2
/// step the 2-3-2 one's: the tiny-network path, whose bar is the default process).
/// </param>
internal sealed record ColdStartCase(string Id, string Name, ColdStartKind Kind, bool IsDouble, int[] Dims, bool AllVariants)
{
    public static IReadOnlyList<ColdStartCase> All { get; } =
    [
        new("gemm256", "GEMM 256³ (Backprop)", ColdStartKind.BackpropGemm, false, [256, 256, 256], true),
        new("gemm256-openblas", "GEMM 256³ (OpenBLAS)", ColdStartKind.OpenBlasGemm, false, [256, 256, 256], false),
        new("gemm-forward", "GEMM 128×256×784 (Backprop)", ColdStartKind.BackpropGemm, false, [128, 256, 784], true),
        new("step784", "Training step 784-256-10×128 (Backprop)", ColdStartKind.TrainingStep, false, [784, 256, 10, 128], true),
        new("step232", "Training step 2-3-2×500 (Backprop)", ColdStartKind.TrainingStep, false, [2, 3, 2, 500], true),
        new("step422", "Training step 4-2-2×500 (Backprop)", ColdStartKind.TrainingStep, false, [4, 2, 2, 500], false),
        new("gemm256-double", "GEMM 256³ double (Backprop)", ColdStartKind.BackpropGemm, true, [256, 256, 256], false),
    ];

    public static ColdStartCase Find(string id) =>
        All.FirstOrDefault(c => c.Id == id) ?? throw new ArgumentException($"unknown cold-start case '{id}'; known: {string.Join(", ", All.Select(c => c.Id))}.", nameof(id));
}

/// <summary>
/// A runtime configuration of the child process, set through environment variables. Each says
/// something different about where first-call time goes:
/// <list type="bullet">
/// <item><c>default</c>: tiered compilation as shipped (tier 0 first, tier 1 after 30 calls and a ~100 ms delay, OSR for loops).</item>
/// <item><c>TieredCompilation=0</c>: every method fully optimised at its first JIT; what an embedding application can set for latency.</item>
/// <item><c>TC_QuickJitForLoops=0</c>: only methods with loops (all the kernels) fully optimised at first JIT; cheaper than the above.</item>
/// <item><c>ReadyToRun=0</c>: the framework's own precompiled code ignored, so every BCL method the call touches is JIT-compiled too: the share of call 1 that R2R already saves.</item>
/// </list>
/// <c>TieredPGO=0</c> (no instrumented tier) was measured too and dropped: it was within noise of
/// <c>default</c> for every case, first calls, the first 100 calls and steady state alike.
/// </summary>
/// <param name="Name">The report's name.</param>
/// <param name="Environment">Variables set on the child (every other knob listed in <see cref="ControlledKnobs"/> is removed).</param>
internal sealed record ColdStartVariant(string Name, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>The runtime knobs the variants set; cleared from the inherited environment so the parent's shell cannot skew a variant.</summary>
    public static IReadOnlyList<string> ControlledKnobs { get; } = ["TieredCompilation", "TieredPGO", "ReadyToRun", "TC_QuickJitForLoops", "TC_QuickJit", "OSR_HitLimit", "TC_CallCountThreshold", "TC_BackgroundWorkerTimeoutMs", "TC_CallCountingDelayMs"];

    public static IReadOnlyList<ColdStartVariant> All { get; } =
    [
        new("default", new Dictionary<string, string>()),
        new("TieredCompilation=0", new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "0" }),
        new("TC_QuickJitForLoops=0", new Dictionary<string, string> { ["DOTNET_TC_QuickJitForLoops"] = "0" }),
        new("ReadyToRun=0", new Dictionary<string, string> { ["DOTNET_ReadyToRun"] = "0" }),
    ];

    /// <summary>The variants of a <c>--quick</c> run: the shipped default and the one a user would set.</summary>
    public static IReadOnlyList<ColdStartVariant> Quick { get; } = [All[0], All[1]];
}
