using System.Globalization;
using System.Text.RegularExpressions;

namespace Backprop.Benchmarks.Reporting.Report;

/// <summary>What kind of table a suite gets.</summary>
internal enum SuiteKind
{
    Gemm,
    TrainingStep,
    Parallel,

    /// <summary>Prediction latency against ONNX Runtime and TensorPrimitives (<c>InferenceBenchmarks.csv</c>).</summary>
    Inference,

    /// <summary>The measured FMA peak (<c>FmaPeakBenchmarks.csv</c>): the GEMM tables' "% of peak" and the charts' peak line.</summary>
    Peak,

    /// <summary>End to end on a real data set, this project and its peers (<c>EndToEnd*.csv</c>, e.g. <c>EndToEndPeers.csv</c>).</summary>
    EndToEnd,

    /// <summary>Peers measured outside BenchmarkDotNet (<c>TrainingStepPeers.csv</c> from <c>benchmarks/Peers/python</c>): shown beside the suite they compare with.</summary>
    Peers,
    Generic,
}

/// <summary>The methods of the GEMM suite that have their own columns.</summary>
internal enum GemmPeer
{
    Backprop,
    OpenBlas,
    MathNet,
    Naive,
    Other,
}

/// <summary>One results folder, read: the input of the markdown and the charts.</summary>
internal sealed partial class ResultsModel(string slug, string? environment, IReadOnlyList<SuiteResults> suites, IReadOnlyList<ColdStartRow>? coldStart, IReadOnlyList<AotRow>? aot = null)
{
    /// <summary>The NativeAOT-vs-JIT rows (<c>aot-step.csv</c>, written by the suite command from <c>samples/AotStep/compare.sh</c>), or null.</summary>
    public IReadOnlyList<AotRow>? Aot { get; } = aot;

    /// <summary>Every row of every suite, the peer suites included.</summary>
    public IReadOnlyList<SuiteResults> AllSuites { get; } = suites;

    /// <summary>The measured FMA peak (GFLOP/s, one core) for <paramref name="type"/> at <paramref name="width"/> bits, or null when not measured.</summary>
    public double? Peak(string type, int width) =>
        AllSuites.Where(s => KindOf(s.Name) == SuiteKind.Peak).SelectMany(s => s.Rows)
            .FirstOrDefault(r => r.Type == type && r.Parameter("Work") == width.ToString(CultureInfo.InvariantCulture) + "-bit")?.GflopsPerSec;

    public string Slug { get; } = slug;

    /// <summary>The text of <c>environment.md</c>, or null when the folder has none.</summary>
    public string? Environment { get; } = environment;

    /// <summary>Suites in report order: GEMM, training step, parallel suites, then the rest by name (peer suites excluded: see <see cref="PeerRows"/>).</summary>
    public IReadOnlyList<SuiteResults> Suites { get; } = [.. suites.Where(s => !IsTrainingStepPeers(s.Name)).OrderBy(s => SuiteOrder(s.Name)).ThenBy(s => s.Name, StringComparer.Ordinal)];

    /// <summary>The rows of the training-step peer suite (<c>TrainingStepPeers.csv</c>), in file order; empty when the folder has none. Other peer suites (the end-to-end one) stay in <see cref="Suites"/> and get a plain table.</summary>
    public IReadOnlyList<ResultRow> PeerRows { get; } = [.. suites.Where(s => IsTrainingStepPeers(s.Name)).SelectMany(s => s.Rows)];

    private static bool IsTrainingStepPeers(string suite) => KindOf(suite) == SuiteKind.Peers && suite.StartsWith("TrainingStep", StringComparison.Ordinal);

    /// <summary>
    /// This project's row a training-step peer row compares with: same type, case and kernel width; one
    /// thread from the training-step suite, more from a parallel training-step suite. Null when not measured.
    /// </summary>
    public ResultRow? OursFor(ResultRow peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        string? c = peer.Parameter("Case");
        int threads = Math.Max(1, Threads(peer));
        IEnumerable<ResultRow> candidates = threads == 1
            ? Suites.Where(s => KindOf(s.Name) == SuiteKind.TrainingStep).SelectMany(s => s.Rows)
                .Concat(Suites.Where(s => KindOf(s.Name) == SuiteKind.Parallel && s.Name.Contains("TrainingStep", StringComparison.Ordinal)).SelectMany(s => s.Rows))
            : Suites.Where(s => KindOf(s.Name) == SuiteKind.Parallel && s.Name.Contains("TrainingStep", StringComparison.Ordinal)).SelectMany(s => s.Rows);
        return candidates.FirstOrDefault(r => r.Type == peer.Type && r.Width == peer.Width && r.Parameter("Case") == c && Math.Max(1, Threads(r)) == threads);
    }

    /// <summary>Peer methods in a fixed order (NumPy, PyTorch autograd, PyTorch hand-written), then any other by name.</summary>
    public static IEnumerable<string> PeerMethods(IEnumerable<ResultRow> rows) =>
        rows.Select(r => r.Method).Distinct().OrderBy(m => Array.IndexOf(KnownPeers, m) is int i && i >= 0 ? i : KnownPeers.Length).ThenBy(m => m, StringComparer.Ordinal);

    /// <summary>A peer method's name for tables and legends.</summary>
    public static string PeerDisplay(string method) => method switch
    {
        "PyTorch-autograd" => "PyTorch autograd",
        "PyTorch-manual" => "PyTorch hand-written",
        _ => method,
    };

    private static readonly string[] KnownPeers = ["NumPy", "PyTorch-autograd", "PyTorch-manual"];

    public IReadOnlyList<ColdStartRow>? ColdStart { get; } = coldStart;

    /// <summary>Suites with a <c>Threads</c> parameter (the parallel ones and the end-to-end epochs) share the thread-count layout.</summary>
    public static SuiteKind KindOf(string suite) =>
        suite.StartsWith("EndToEnd", StringComparison.Ordinal) || suite == "TimeToAccuracy" ? SuiteKind.EndToEnd
        : suite.EndsWith("Peers", StringComparison.Ordinal) ? SuiteKind.Peers
        : suite.StartsWith("Inference", StringComparison.Ordinal) ? SuiteKind.Inference
        : suite.StartsWith("FmaPeak", StringComparison.Ordinal) ? SuiteKind.Peak
        : suite.StartsWith("Parallel", StringComparison.Ordinal) || suite.StartsWith("Epoch", StringComparison.Ordinal) ? SuiteKind.Parallel
        : suite.Contains("Gemm", StringComparison.Ordinal) ? SuiteKind.Gemm
        : suite.Contains("TrainingStep", StringComparison.Ordinal) ? SuiteKind.TrainingStep
        : SuiteKind.Generic;

    private static int SuiteOrder(string suite) => KindOf(suite) switch
    {
        SuiteKind.Gemm => 0,
        SuiteKind.TrainingStep => 1,
        SuiteKind.Peak => 0,
        SuiteKind.Parallel => suite.Contains("Gemm", StringComparison.Ordinal) ? 2 : suite.StartsWith("Epoch", StringComparison.Ordinal) ? 4 : 3,
        SuiteKind.EndToEnd => 5,
        SuiteKind.Inference => 6,
        _ => 7,
    };

    /// <summary>What a thread-count suite measures, for titles: GEMM, an epoch, or a training step.</summary>
    public static string ParallelWhat(string suite) =>
        suite.Contains("Gemm", StringComparison.Ordinal) ? "GEMM (square A·B)"
        : suite.StartsWith("Epoch", StringComparison.Ordinal) ? "epoch, end to end (shuffle, steps, evaluation)"
        : "training step";

    /// <summary>float, double, then any other type by name.</summary>
    public static IEnumerable<string> Types(IEnumerable<ResultRow> rows) =>
        rows.Select(r => r.Type).Distinct().OrderBy(t => t switch { "float" => 0, "double" => 1, _ => 2 }).ThenBy(t => t, StringComparer.Ordinal);

    public static IEnumerable<int> Widths(IEnumerable<ResultRow> rows) => rows.Select(r => r.Width).Distinct().Order();

    public static GemmPeer PeerOf(string method) =>
        method.StartsWith("Naive", StringComparison.OrdinalIgnoreCase) ? GemmPeer.Naive
        : method.StartsWith("Backprop", StringComparison.OrdinalIgnoreCase) ? GemmPeer.Backprop
        : method.StartsWith("OpenBLAS", StringComparison.OrdinalIgnoreCase) ? GemmPeer.OpenBlas
        : method.StartsWith("MathNet", StringComparison.OrdinalIgnoreCase) ? GemmPeer.MathNet
        : GemmPeer.Other;

    [GeneratedRegex(@"^(\d+)x(\d+)x(\d+)(?:\s+([A-Za-z]+))?$")]
    private static partial Regex ShapePattern();

    [GeneratedRegex(@"^(\d+(?:-\d+)+)x(\d+)$")]
    private static partial Regex CasePattern();

    /// <summary>A GEMM shape <c>MxNxK OP</c>.</summary>
    internal readonly record struct GemmShape(string Text, long M, long N, long K, string Op)
    {
        public bool IsSquare => M == N && N == K;

        public double Flops => 2.0 * M * N * K;

        /// <summary>1024³ NN, 128×256×784 NN.</summary>
        public string Display => IsSquare
            ? string.Create(CultureInfo.InvariantCulture, $"{M}³ {Op}").TrimEnd()
            : string.Create(CultureInfo.InvariantCulture, $"{M}×{N}×{K} {Op}").TrimEnd();

        private int OpOrder => Op switch { "NN" => 0, "TN" => 1, "NT" => 2, _ => 3 };

        /// <summary>Squares first (NN, TN, NT, each by size), then the other shapes by operation and size.</summary>
        public (int, int, double) SortKey => (IsSquare ? 0 : 1, OpOrder, Flops);
    }

    public static GemmShape? ParseShape(string? text)
    {
        if (text is null)
        {
            return null;
        }

        Match m = ShapePattern().Match(text.Trim());
        return m.Success
            ? new GemmShape(text, long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), m.Groups[4].Value)
            : null;
    }

    /// <summary>GFLOP/s of a GEMM row: the CSV's, or 2·m·n·k / mean from the shape.</summary>
    public static double? Gflops(ResultRow row)
    {
        if (row.GflopsPerSec is double g)
        {
            return g;
        }

        return ParseShape(row.Parameter("Shape")) is GemmShape s && row.MeanNs > 0 ? s.Flops / row.MeanNs : null;
    }

    /// <summary>"784-256-10x128" → "784-256-10 × 128"; anything else unchanged.</summary>
    public static string CaseDisplay(string text)
    {
        Match m = CasePattern().Match(text);
        return m.Success ? m.Groups[1].Value + " × " + m.Groups[2].Value : text;
    }

    /// <summary>
    /// Distinct keys in first-appearance order, then sorted by size when every key has one: a number
    /// (Size=512), a network × batch (multiply-adds per step) or a GEMM shape.
    /// </summary>
    public static List<string> OrderKeys(IEnumerable<string> keys)
    {
        List<string> distinct = [.. keys.Distinct()];
        var sizes = distinct.Select(Magnitude).ToList();
        if (sizes.Any(s => s is null))
        {
            return distinct;
        }

        return [.. distinct.Select((k, i) => (k, s: sizes[i]!.Value, i)).OrderBy(t => t.s).ThenBy(t => t.i).Select(t => t.k)];
    }

    private static double? Magnitude(string key)
    {
        string value = key;
        if (key.Contains('=', StringComparison.Ordinal))
        {
            string[] parts = key.Split("; ");
            if (parts.Length != 1)
            {
                return null;
            }

            value = parts[0][(parts[0].IndexOf('=', StringComparison.Ordinal) + 1)..];
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            return d;
        }

        if (ParseShape(value) is GemmShape s)
        {
            return s.Flops;
        }

        Match m = CasePattern().Match(value);
        if (m.Success)
        {
            long[] layers = [.. m.Groups[1].Value.Split('-').Select(x => long.Parse(x, CultureInfo.InvariantCulture))];
            double work = 0;
            for (int i = 0; i + 1 < layers.Length; i++)
            {
                work += (double)layers[i] * layers[i + 1];
            }

            return work * long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        return null;
    }

    /// <summary>The first row matching, in file order (the pivot's cell).</summary>
    public static ResultRow? Find(IEnumerable<ResultRow> rows, Func<ResultRow, bool> match) => rows.FirstOrDefault(match);

    /// <summary>The key a parallel row is pivoted by: its parameters without Threads.</summary>
    public static string ParallelKey(ResultRow row) => row.ParametersWithout("Threads");

    /// <summary>Thread count of a parallel row (0 when absent).</summary>
    public static int Threads(ResultRow row) =>
        int.TryParse(row.Parameter("Threads"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int t) ? t : 0;

    /// <summary>"Size=512" → "512"; "Case=784-256-10x128" → "784-256-10 × 128"; several pairs unchanged.</summary>
    public static string KeyDisplay(string key)
    {
        if (key.Contains("; ", StringComparison.Ordinal) || !key.Contains('=', StringComparison.Ordinal))
        {
            return key;
        }

        return CaseDisplay(key[(key.IndexOf('=', StringComparison.Ordinal) + 1)..]);
    }

    /// <summary>The name of the key's parameter ("Size"), or "Parameters".</summary>
    public static string KeyName(IEnumerable<string> keys)
    {
        string[] names = [.. keys.Select(k => k.Contains("; ", StringComparison.Ordinal) || !k.Contains('=', StringComparison.Ordinal) ? "" : k[..k.IndexOf('=', StringComparison.Ordinal)]).Distinct()];
        return names.Length == 1 && names[0].Length > 0 ? names[0] : "Parameters";
    }

    /// <summary>The speed-up of the most threads over the fewest, by time.</summary>
    public static double? ParallelSpeedUp(IReadOnlyList<ResultRow> cell)
    {
        if (cell.Count < 2)
        {
            return null;
        }

        ResultRow fewest = cell.MinBy(Threads)!;
        ResultRow most = cell.MaxBy(Threads)!;
        return Threads(fewest) == Threads(most) || most.MeanNs <= 0 ? null : fewest.MeanNs / most.MeanNs;
    }
}
