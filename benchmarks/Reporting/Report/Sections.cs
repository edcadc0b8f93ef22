using System.Text;
using static Backprop.Benchmarks.Reporting.Report.ResultsModel;

namespace Backprop.Benchmarks.Reporting.Report;

/// <summary>The inference, end-to-end and NativeAOT tables, each with a "peer ÷ ours" column per peer.</summary>
internal static partial class MarkdownReport
{
    private static readonly string[] InferencePeers = ["OnnxRuntime", "TensorPrimitivesForward"];

    private static void InferenceSection(StringBuilder md, SuiteResults suite, IReadOnlyList<ChartSpec> charts)
    {
        md.Append("## ").Append(SuiteTitle(suite.Name, "Prediction latency against ONNX Runtime")).Append("\n\n");
        md.Append("`TrainedModel<float>.PredictProbabilities` per call against ONNX Runtime (the same model exported with `backprop export --onnx`, one ")
          .Append("intra-op thread, bound inputs and outputs), a forward pass of `TensorPrimitives` calls, and a read of every weight (the floor of one row); ")
          .Append("median time per call, `X ÷ ours` = X's time ÷ Backprop's (above 1.00×: Backprop faster), `ours ÷ floor` = Backprop's time ÷ the weight read.\n\n");
        foreach (string job in suite.Rows.Select(r => r.Job).Distinct())
        {
            List<ResultRow> rows = [.. suite.Rows.Where(r => r.Job == job)];
            md.Append("### Job `").Append(job).Append("` (").Append(DescribeJob(job, rows[0].Width)).Append(")\n\n");
            InferenceTable(md, rows, allocated: true);
        }

        ChartLinks(md, charts, "inference");
    }

    private static void InferenceTable(StringBuilder md, List<ResultRow> rows, bool allocated)
    {
        List<string> cases = OrderKeys(rows.Select(r => r.Parameters));
        ResultRow? Cell(string c, string m) => rows.FirstOrDefault(r => r.Parameters == c && r.Method == m);
        var header = new List<string> { "network × rows" };
        var columns = new List<Func<string, string>>();
        header.Add("Backprop");
        columns.Add(c => Format.TimeNs(Cell(c, "Library") is { } r ? Median(r) : null));
        foreach (string m in InferencePeers.Where(m => rows.Any(r => r.Method == m)))
        {
            header.Add(InferenceDisplay(m));
            columns.Add(c => Format.TimeNs(Cell(c, m) is { } r ? Median(r) : null));
            header.Add(InferenceDisplay(m) + " ÷ ours");
            columns.Add(c => Format.Speed(Cell(c, m) is { } p && Cell(c, "Library") is { } o && Median(o) > 0 ? Median(p) / Median(o) : null));
        }

        if (rows.Any(r => r.Method == "WeightReadFloor"))
        {
            header.Add("weight read");
            columns.Add(c => Format.TimeNs(Cell(c, "WeightReadFloor") is { } r ? Median(r) : null));
            header.Add("ours ÷ floor");
            columns.Add(c => Format.Speed(Cell(c, "WeightReadFloor") is { } f && Cell(c, "Library") is { } o && Median(f) > 0 ? Median(o) / Median(f) : null));
        }

        if (allocated)
        {
            header.Add("allocated");
            columns.Add(c => Format.Bytes(Cell(c, "Library")?.AllocatedBytes));
        }

        Format.Table(md, header, [false, .. Enumerable.Repeat(true, header.Count - 1)],
            cases.Select(c => (IReadOnlyList<string>)[KeyDisplay(c), .. columns.Select(f => f(c))]));
    }

    private static void RootInference(StringBuilder md, SuiteResults suite)
    {
        if (PreferredJob(suite.Rows) is not { } job)
        {
            return;
        }

        List<ResultRow> rows = [.. suite.Rows.Where(r => r.Job == job)];
        md.Append("**Prediction**, float, one thread, job `").Append(job).Append("` (").Append(DescribeJob(job, rows[0].Width)).Append(')')
          .Append(InferenceAnswer(suite.Rows) is { } a ? ": " + a : string.Empty)
          .Append(". Median time per call; `X ÷ ours` above 1.00×: Backprop faster:\n\n");
        InferenceTable(md, rows, allocated: false);
    }

    private static void EndToEndSection(StringBuilder md, ResultsModel model, IReadOnlyList<ChartSpec> charts)
    {
        List<SuiteResults> suites = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.EndToEnd)];
        md.Append("## End to end on Fashion-MNIST (").AppendJoin(", ", suites.Select(s => "`" + s.FileName + "`")).Append(")\n\n");
        md.Append("Training a 784-256-10 network on the real data set: `epoch` is the median training time of one epoch, `to …` the training time until ")
          .Append("the test accuracy first reached the target (evaluation not counted), `peak memory` the process's peak working set. This project's rows ")
          .Append("come from `TimeToAccuracy.csv` (`benchmarks -- time-to-accuracy`: the CLI's default Fashion-MNIST recipe) or any other `EndToEnd*.csv` with a ")
          .Append("`Backprop…` method; the peers' from the scripts in `benchmarks/Peers/python/` (see its README), which train as close to that recipe as each ")
          .Append("library allows (PyTorch and NumPy replay this project's first steps before they are timed). `final test accuracy` is after the last epoch; `X ÷ ours` = X's time (or peak memory) ÷ Backprop's (above 1.00×: Backprop faster, or smaller).\n\n");
        EndToEndTable(md, model);
        ChartLinks(md, charts, "end-to-end");
    }

    private static void EndToEndTable(StringBuilder md, ResultsModel model)
    {
        List<ResultRow> rows = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.EndToEnd).SelectMany(s => s.Rows)];
        List<string> peers = EndToEndPeers(rows);
        string[] measureOrder = ["epoch", "to 0.89 test accuracy", "to 0.90 test accuracy", "final test accuracy", "peak memory"];
        List<(int Threads, string? Measure)> keys = [.. rows.Select(r => (Math.Max(1, Threads(r)), MeasureOf(r))).Distinct()
            .OrderBy(k => Array.IndexOf(measureOrder, k.Item2) is int i && i >= 0 ? i : measureOrder.Length).ThenBy(k => k.Item2, StringComparer.Ordinal).ThenBy(k => k.Item1)];
        var header = new List<string> { "measure", "threads", "Backprop" };
        foreach (string p in peers)
        {
            header.Add(PeerDisplay(p));
            header.Add(PeerDisplay(p) + " ÷ ours");
        }

        var table = new List<IReadOnlyList<string>>();
        foreach ((int t, string? measure) in keys)
        {
            bool Match(ResultRow r) => Math.Max(1, Threads(r)) == t && MeasureOf(r) == measure;
            ResultRow? ours = rows.FirstOrDefault(r => IsOurs(r) && Match(r));
            var line = new List<string> { measure ?? "", Format.Int(t), Value(ours) };
            foreach (string p in peers)
            {
                ResultRow? peer = rows.FirstOrDefault(r => r.Method == p && Match(r));
                line.Add(Value(peer));
                line.Add(Format.Speed(EndToEndRatio(ours, peer)));
            }

            table.Add(line);
        }

        Format.Table(md, header, [false, true, .. Enumerable.Repeat(true, header.Count - 2)], table);

        static string Value(ResultRow? r)
        {
            if (r is null)
            {
                return "";
            }

            string? m = r.Parameter("Measure");
            string paren = m is not null && m.Contains(" (", StringComparison.Ordinal) ? m[(m.IndexOf(" (", StringComparison.Ordinal) + 2)..].TrimEnd(')') : string.Empty;
            return MeasureOf(r) switch
            {
                "peak memory" => Format.MiB(r.AllocatedBytes),
                "final test accuracy" => r.Parameter("Accuracy") ?? "",
                _ when paren.StartsWith("not reached", StringComparison.Ordinal) => paren,
                _ => (Median(r) >= 1e9 ? Format.Sig3(Median(r) / 1e9) + " s" : Format.TimeNs(Median(r))) + (paren.Length > 0 ? " (" + paren + ")" : string.Empty),
            };
        }
    }

    private static void AotTableMd(StringBuilder md, IReadOnlyList<AotRow> rows)
    {
        md.Append("`samples/AotStep/compare.sh` (run by the `aot` step of `").Append(SuiteCommand.Command).Append("`): the same 784-256-10 × 128 float ")
          .Append("training step published with NativeAOT at each instruction set, beside the JIT; `vs JIT` = its time ÷ the JIT's at the same thread count.\n\n");
        Format.Table(md, ["build", "threads", "kernels", "per step", "vs JIT"], [false, true, false, true, true],
            rows.Select(r => (IReadOnlyList<string>)[r.Configuration, Format.Int(r.Threads), r.Kernels, Format.TimeUs(r.MedianUs), r.VsJit is double v ? Format.Speed(v) : string.Empty]));
    }
}
