using System.Globalization;
using static Backprop.Benchmarks.Reporting.Report.ResultsModel;

namespace Backprop.Benchmarks.Reporting.Report;

/// <summary>
/// The one-line answers the charts are titled with and the cross-machine table shows, computed from the
/// rows (all ratios are the peer's time ÷ this project's time in the same run: above 1.00× this
/// project is faster), and the descriptions of the jobs the rows ran in.
/// </summary>
internal static partial class MarkdownReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The inference suite's methods in table order.</summary>
    public static readonly string[] InferenceMethods = ["Library", "OnnxRuntime", "TensorPrimitivesForward", "WeightReadFloor"];

    /// <summary>An inference method's name for tables and legends.</summary>
    public static string InferenceDisplay(string method) => method switch
    {
        "Library" => "Backprop",
        "OnnxRuntime" => "ONNX Runtime",
        "TensorPrimitivesForward" => "TensorPrimitives",
        "WeightReadFloor" => "weight read (floor)",
        _ => method,
    };

    /// <summary>What a job is, from its id and the kernel width its rows ran at.</summary>
    public static string DescribeJob(string job, int width)
    {
        ArgumentNullException.ThrowIfNull(job);
        string w = width.ToString(Inv);
        string openBlas = job.EndsWith("-OpenBLAS-SkylakeX", StringComparison.Ordinal) ? ", against OpenBLAS's SkylakeX (AVX-512) kernels, one thread"
            : job.EndsWith("-OpenBLAS-Haswell", StringComparison.Ordinal) ? ", against OpenBLAS's Haswell (AVX2) kernels, one thread"
            : string.Empty;
        string head = openBlas.Length > 0 ? job[..job.IndexOf("-OpenBLAS-", StringComparison.Ordinal)] : job;
        string what = head switch
        {
            "Default" => $"no setting, what an application gets: the kernels chose {w} bits",
            "NoAVX512" => $"`DOTNET_EnableAVX512=0` (AVX2 only): {w}-bit kernels on 16 vector registers",
            "V256" when width == 256 => "a default process of an older run, when the kernels still followed `Vector<T>` (256 bits)",
            "V256" => $"no setting (the kernels chose {w} bits); the job's name dates from when they followed `Vector<T>`'s 256 bits",
            "V512" => $"`DOTNET_MaxVectorTBitWidth=512` (512-bit `Vector<T>`): kernels at {w} bits",
            "Parallel" => $"the thread-count suites, no width setting: kernels at {w} bits",
            "OneCore" => "one core; every width measured in the same process",
            _ when head.StartsWith("Bits", StringComparison.Ordinal) => $"`{KernelSimdVariable}={head[4..]}`: kernels pinned to {w} bits",
            _ when head.StartsWith("OpenBLAS-", StringComparison.Ordinal) => $"a Python peer on OpenBLAS's {head["OpenBLAS-".Length..]} kernels",
            _ => $"kernels at {w} bits",
        };
        return what + openBlas;
    }

    private const string KernelSimdVariable = "BACKPROP_VECTOR_BITS";

    /// <summary>A short job label for answers: "default, 512-bit", "AVX2 only", "512-bit".</summary>
    public static string ShortJob(string job, int width) =>
        job.StartsWith("Default", StringComparison.Ordinal) ? $"default, {width}-bit"
        : job.StartsWith("NoAVX512", StringComparison.Ordinal) ? $"AVX2 only, {width}-bit"
        : job.StartsWith("Bits", StringComparison.Ordinal) ? $"pinned {width}-bit"
        : $"{width}-bit";

    /// <summary>GEMM shapes the answers use: every shape of at least 128³'s work (64³ is call overhead, not kernels).</summary>
    private static bool Headline(GemmShape s) => s.Flops >= 2.0 * 128 * 128 * 128;

    /// <summary>Per job of one type's GEMM rows: OpenBLAS time ÷ Backprop time for each headline shape.</summary>
    public static List<(string Job, int Width, List<double> Ratios)> GemmRatios(IReadOnlyList<ResultRow> rows)
    {
        var result = new List<(string, int, List<double>)>();
        foreach (string job in rows.Where(r => PeerOf(r.Method) == GemmPeer.Backprop).Select(r => r.Job).Distinct())
        {
            List<double> ratios = [];
            int width = 0;
            foreach (ResultRow ours in rows.Where(r => r.Job == job && PeerOf(r.Method) == GemmPeer.Backprop))
            {
                width = ours.Width;
                if (ParseShape(ours.Parameter("Shape")) is GemmShape s && Headline(s)
                    && rows.FirstOrDefault(r => r.Job == job && PeerOf(r.Method) == GemmPeer.OpenBlas && r.Parameter("Shape") == ours.Parameter("Shape")) is { } peer && ours.MeanNs > 0)
                {
                    ratios.Add(peer.MeanNs / ours.MeanNs);
                }
            }

            if (ratios.Count > 0)
            {
                result.Add((job, width, ratios));
            }
        }

        return [.. result.OrderByDescending(r => r.Item2)];
    }

    /// <summary>"0.97–1.05× OpenBLAS at 512 bits (default), 0.80–0.86× at 256 (AVX2 only)", or null.</summary>
    public static string? GemmAnswer(IReadOnlyList<ResultRow> rows)
    {
        List<(string Job, int Width, List<double> Ratios)> jobs = GemmRatios(rows);
        return jobs.Count == 0 ? null : string.Join(", ", jobs.Select((j, i) => Range(j.Ratios) + (i == 0 ? " OpenBLAS's speed" : string.Empty) + " (" + ShortJob(j.Job, j.Width) + ")"));
    }

    private static string Range(List<double> values)
    {
        double lo = values.Min(), hi = values.Max();
        return Format.Speed(lo) == Format.Speed(hi) ? Format.Speed(lo) : lo.ToString("F2", Inv) + "–" + Format.Speed(hi);
    }

    private static double GeoMean(IEnumerable<double> values)
    {
        double[] v = [.. values];
        return Math.Exp(v.Average(Math.Log));
    }

    /// <summary>For each training-step peer: the peer's time ÷ ours over every case it shares with us (float, one thread, widest kernel set).</summary>
    public static List<(string Method, List<(string Case, double Ratio)> Ratios)> StepPeerRatios(ResultsModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        List<ResultRow> peers = [.. model.PeerRows.Where(r => Math.Max(1, Threads(r)) == 1 && r.Type == "float")];
        if (peers.Count == 0)
        {
            return [];
        }

        int width = peers.Max(r => r.Width);
        var result = new List<(string, List<(string, double)>)>();
        foreach (string method in PeerMethods(peers))
        {
            List<(string, double)> ratios = [];
            foreach (ResultRow p in peers.Where(r => r.Method == method && r.Width == width))
            {
                if (model.OursFor(p) is { } ours && Median(ours) > 0)
                {
                    ratios.Add((p.Parameter("Case") ?? "?", Median(p) / Median(ours)));
                }
            }

            if (ratios.Count > 0)
            {
                result.Add((method, ratios));
            }
        }

        return result;
    }

    /// <summary>"Training step: 0.96–7.4× NumPy's speed, 1.0–8.1× PyTorch autograd's (one thread)", or the width comparison without peers.</summary>
    public static string? TrainingAnswer(ResultsModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var peers = StepPeerRatios(model);
        if (peers.Count > 0)
        {
            return "Training step, one thread: " + string.Join(", ", peers.Select(p => Range([.. p.Ratios.Select(r => r.Ratio)]) + " " + PeerDisplay(p.Method) + "'s speed"));
        }

        List<ResultRow> rows = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.TrainingStep).SelectMany(s => s.Rows).Where(r => r.Type == "float")];
        List<int> widths = [.. Widths(rows)];
        if (widths.Count < 2)
        {
            return null;
        }

        List<double> ratios = [.. rows.Where(r => r.Width == widths[0]).Select(a => (a, b: rows.FirstOrDefault(b => b.Width == widths[^1] && b.Parameters == a.Parameters)))
            .Where(x => x.b is { MeanNs: > 0 }).Select(x => x.a.MeanNs / x.b!.MeanNs)];
        return ratios.Count == 0 ? null : $"Training step, float: {widths[^1]}-bit kernels at {Range(ratios)} the {widths[0]}-bit speed";
    }

    /// <summary>"2 threads: 1.59–1.88× one thread's speed (training step)", or null.</summary>
    public static string? ParallelAnswer(SuiteResults suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        List<double> speedUps = [.. suite.Rows.GroupBy(r => (ParallelKey(r), r.Type, r.Width)).Select(g => ParallelSpeedUp([.. g])).OfType<double>()];
        int most = suite.Rows.Select(Threads).DefaultIfEmpty(0).Max();
        string what = suite.Name.Contains("Gemm", StringComparison.Ordinal) ? "GEMM" : suite.Name.StartsWith("Epoch", StringComparison.Ordinal) ? "epoch" : "training step";
        return speedUps.Count == 0 ? null : $"{what}, {most} threads: {Range(speedUps)} one thread's speed";
    }

    /// <summary>The suite the end-to-end command writes (<c>benchmarks -- time-to-accuracy</c>): this project's Fashion-MNIST recipe.</summary>
    public const string TimeToAccuracySuite = "TimeToAccuracy";

    /// <summary>
    /// What an end-to-end row measures: "epoch", "to 0.89 test accuracy", "peak memory". Peer rows carry it
    /// as their Measure parameter (without its parenthesis); <c>TimeToAccuracy.csv</c> rows as their method
    /// (Epoch, To0.89, To0.90, PeakWorkingSet, FinalAccuracy).
    /// </summary>
    public static string? MeasureOf(ResultRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Suite == TimeToAccuracySuite)
        {
            return row.Method switch
            {
                "Epoch" => "epoch",
                "PeakWorkingSet" => "peak memory",
                "FinalAccuracy" => "final test accuracy",  // its Parameters carry Accuracy=…, as the peers' rows do
                string m when m.StartsWith("To", StringComparison.Ordinal) => "to " + m[2..] + " test accuracy",
                string m => m,
            };
        }

        string? measure = row.Parameter("Measure");
        int paren = measure?.IndexOf(" (", StringComparison.Ordinal) ?? -1;
        return paren > 0 ? measure![..paren] : measure;
    }

    /// <summary>This project's rows: the time-to-accuracy suite's, or a method named Backprop… in another end-to-end CSV.</summary>
    public static bool IsOurs(ResultRow r) => r.Suite == TimeToAccuracySuite || r.Method.StartsWith("Backprop", StringComparison.Ordinal);

    /// <summary>The name of an end-to-end row's tool, for tables and legends.</summary>
    public static string EndToEndName(ResultRow r) => IsOurs(r) ? "Backprop" : PeerDisplay(r.Method);

    /// <summary>This project's end-to-end row a peer row compares with: same type, threads and measure (and case, where ours names one).</summary>
    public static ResultRow? OursEndToEnd(IEnumerable<ResultRow> rows, ResultRow peer) =>
        rows.FirstOrDefault(r => IsOurs(r) && r.Type == peer.Type && Math.Max(1, Threads(r)) == Math.Max(1, Threads(peer)) && MeasureOf(r) == MeasureOf(peer)
            && (r.Parameter("Case") is null || r.Parameter("Case") == peer.Parameter("Case")));

    /// <summary>The end-to-end peers' methods, in the order tables and charts show them (PyTorch, NumPy, scikit-learn, then the rest).</summary>
    public static List<string> EndToEndPeers(IEnumerable<ResultRow> rows)
    {
        string[] order = ["PyTorch", "NumPy", "scikit-learn"];
        return [.. rows.Where(r => !IsOurs(r)).Select(r => r.Method).Distinct()
            .OrderBy(m => Array.FindIndex(order, o => m.StartsWith(o, StringComparison.Ordinal)) is int i && i >= 0 ? i : order.Length).ThenBy(m => m, StringComparer.Ordinal)];
    }

    /// <summary>A peer's end-to-end time (or peak memory) ÷ ours for the same measure, or null when either is missing or not a measurement (a target not reached).</summary>
    public static double? EndToEndRatio(ResultRow? ours, ResultRow? peer)
    {
        if (ours is null || peer is null || MeasureOf(peer) == "final test accuracy")
        {
            return null;
        }

        (double a, double b) = MeasureOf(peer) == "peak memory" ? ((double)(peer.AllocatedBytes ?? 0), (double)(ours.AllocatedBytes ?? 0)) : (Median(peer), Median(ours));
        return a > 0 && b > 0 ? a / b : null;
    }

    /// <summary>"End to end, one thread, per epoch: 1.90× PyTorch's, 2.44× scikit-learn's speed", or null.</summary>
    public static string? EndToEndAnswer(IReadOnlyList<ResultRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        List<string> parts = [];
        bool any = false;
        foreach (string method in EndToEndPeers(rows))
        {
            if (rows.FirstOrDefault(r => r.Method == method && !IsOurs(r) && MeasureOf(r) == "epoch" && Math.Max(1, Threads(r)) == 1) is not { } p)
            {
                continue;
            }

            any = true;
            if (OursEndToEnd(rows, p) is { } ours && Median(ours) > 0)
            {
                parts.Add(Format.Speed(Median(p) / Median(ours)) + " " + PeerDisplay(p.Method) + "'s");
            }
        }

        if (parts.Count > 0)
        {
            return "End to end, one thread, per epoch: " + string.Join(", ", parts) + " speed";
        }

        return any ? "End to end: time per epoch (this project's row is not in this folder yet)" : null;
    }

    /// <summary>The job whose inference rows the root and the chart show: a default process where there is one, else the widest.</summary>
    public static string? PreferredJob(IReadOnlyList<ResultRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int widest = rows.Select(r => r.Width).DefaultIfEmpty(0).Max();
        return rows.Select(r => (r.Job, r.Width)).Distinct()
            .OrderBy(j => j.Job == "Default" ? 0 : j.Job == "V256" && j.Width == widest ? 1 : j.Job == "Bits" + widest.ToString(Inv) ? 2 : 3)
            .Select(j => j.Job).FirstOrDefault();
    }

    /// <summary>ONNX Runtime's time ÷ ours for each case of the preferred job.</summary>
    public static List<(string Case, double Ratio)> OnnxRatios(IReadOnlyList<ResultRow> rows)
    {
        string? job = PreferredJob(rows);
        var result = new List<(string, double)>();
        foreach (ResultRow ours in rows.Where(r => r.Job == job && r.Method == "Library"))
        {
            if (rows.FirstOrDefault(r => r.Job == job && r.Method == "OnnxRuntime" && r.Parameters == ours.Parameters) is { } onnx && Median(ours) > 0)
            {
                result.Add((ours.Parameter("Case") ?? ours.Parameters, Median(onnx) / Median(ours)));
            }
        }

        return result;
    }

    /// <summary>"Prediction: 0.61–8.9× ONNX Runtime's speed; one 784-256-10 row: 0.61×", or null.</summary>
    public static string? InferenceAnswer(IReadOnlyList<ResultRow> rows)
    {
        var ratios = OnnxRatios(rows);
        if (ratios.Count == 0)
        {
            return null;
        }

        string one = ratios.FirstOrDefault(r => r.Case == "784-256-10x1") is { Case: not null } x ? "; one 784-256-10 row: " + Format.Speed(x.Ratio) : string.Empty;
        return "Prediction: " + Range([.. ratios.Select(r => r.Ratio)]) + " ONNX Runtime's speed" + one;
    }

    /// <summary>The run date of a folder (environment.md's "- Run:" line), or "".</summary>
    public static string RunDate(ResultsModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string? line = model.Environment?.Split('\n').FirstOrDefault(l => l.TrimStart('-', ' ').StartsWith("Run:", StringComparison.Ordinal));
        return line is null ? string.Empty : line.TrimStart('-', ' ')["Run:".Length..].Trim();
    }

    /// <summary>The root README's table of headline ratios, one row per results folder.</summary>
    public static void CrossMachine(System.Text.StringBuilder md, IReadOnlyList<ResultsModel> models, string resultsPrefix, string current)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(models);
        md.Append("**Every CPU kind measured** (headline ratios, each from one run on that machine: the peer's time ÷ this project's, above 1.00× this project is faster; ")
          .Append("GEMM: geometric mean over 128³–1024³ and the 784-256-10 × 128 shapes, float, one thread; step: 784-256-10 × 128, float, one thread; ")
          .Append("prediction: one 784-256-10 row, float, one thread; end to end: time per Fashion-MNIST epoch, one thread; — = not measured in that folder):\n\n");
        var table = new List<IReadOnlyList<string>>();
        foreach (ResultsModel m in models)
        {
            List<ResultRow> gemm = [.. m.Suites.Where(s => KindOf(s.Name) == SuiteKind.Gemm).SelectMany(s => s.Rows).Where(r => r.Type == "float")];
            string gemmCell = string.Join("; ", GemmRatios(gemm).Select(j => Format.Speed(GeoMean(j.Ratios)) + " " + ShortJob(j.Job, j.Width)));
            var step = StepPeerRatios(m);
            string StepCell(string method) =>
                step.FirstOrDefault(p => p.Method == method).Ratios?.FirstOrDefault(r => r.Case == "784-256-10x128") is { Case: not null } r ? Format.Speed(r.Ratio) : "—";
            List<ResultRow> inference = [.. m.Suites.Where(s => KindOf(s.Name) == SuiteKind.Inference).SelectMany(s => s.Rows)];
            string onnx = OnnxRatios(inference).FirstOrDefault(r => r.Case == "784-256-10x1") is { Case: not null } o ? Format.Speed(o.Ratio) : "—";
            string peakCell = m.Peak("float", 512) is double p512 ? p512.ToString("F0", Inv) + " (512-bit)" : m.Peak("float", 256) is double p256 ? p256.ToString("F0", Inv) + " (256-bit)" : "—";
            string name = "[`" + m.Slug + "`](" + resultsPrefix + m.Slug + "/README.md)" + (m.Slug == current ? " (above)" : string.Empty);
            List<ResultRow> endToEnd = [.. m.Suites.Where(s => KindOf(s.Name) == SuiteKind.EndToEnd).SelectMany(s => s.Rows)];
            string EpochCell(string peer) =>
                endToEnd.FirstOrDefault(r => !IsOurs(r) && r.Method.StartsWith(peer, StringComparison.Ordinal) && MeasureOf(r) == "epoch" && Math.Max(1, Threads(r)) == 1) is { } p
                && EndToEndRatio(OursEndToEnd(endToEnd, p), p) is double ratio ? Format.Speed(ratio) : "—";
            table.Add([name, RunDate(m), gemmCell.Length > 0 ? gemmCell : "—", peakCell, StepCell("NumPy"), StepCell("PyTorch-autograd"), onnx, EpochCell("PyTorch"), EpochCell("NumPy"), EpochCell("scikit-learn")]);
        }

        Format.Table(md, ["results folder", "run", "GEMM vs OpenBLAS", "FMA peak, GFLOP/s", "step vs NumPy", "step vs PyTorch", "1 row vs ONNX Runtime", "epoch vs PyTorch", "epoch vs NumPy", "epoch vs scikit-learn"],
            [false, false, true, true, true, true, true, true, true, true], table);
    }
}
