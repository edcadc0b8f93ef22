using System.Globalization;
using ScottPlot;
using static Backprop.Benchmarks.Reporting.Report.ResultsModel;

namespace Backprop.Benchmarks.Reporting.Report;

/// <summary>A chart the report renders: file name under <c>charts/</c>, caption, and the section that shows it.</summary>
internal sealed record ChartSpec(string FileName, string Caption, string Section, Action<Plot> Draw);

/// <summary>The PNG charts (ScottPlot), planned from the model so the markdown can link them without rendering.</summary>
internal static class Charts
{
    public const int Width = 900;
    public const int Height = 540;

    /// <summary>The font every chart uses; registered from the file when it exists, so text never depends on fontconfig.</summary>
    private const string FontName = "DejaVu Sans";

    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    ];

    private static readonly string[] FontBoldFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    ];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Which charts the data supports, in a fixed order.</summary>
    public static IReadOnlyList<ChartSpec> Plan(ResultsModel model)
    {
        var charts = new List<ChartSpec>();
        List<ResultRow> gemm = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.Gemm).SelectMany(s => s.Rows)];
        foreach (string type in Types(gemm))
        {
            List<ResultRow> rows = [.. gemm.Where(r => r.Type == type && IsSquareNn(r))];
            if (rows.Count > 0)
            {
                charts.Add(new ChartSpec($"gemm-{type}.png", $"GEMM {type}: GFLOP/s by square size", "gemm", p => GemmChart(p, model.Slug, type, rows)));
            }
        }

        List<ResultRow> training = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.TrainingStep).SelectMany(s => s.Rows)];
        if (training.Count > 0)
        {
            List<ResultRow> peers = [.. model.PeerRows.Where(r => Math.Max(1, Threads(r)) == 1 && r.Type == "float")];
            int peerWidth = peers.Count > 0 ? peers.Min(r => r.Width) : 0;
            peers = [.. peers.Where(r => r.Width == peerWidth)];
            charts.Add(new ChartSpec("training-step.png", peers.Count > 0 ? "Training step: time per step, against NumPy and PyTorch" : "Training step: time per step", "training", p => TrainingChart(p, model.Slug, training, peers)));
        }

        List<SuiteResults> parallel = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.Parallel)];
        if (parallel.Any(s => s.Rows.Select(Threads).Distinct().Count() > 1))
        {
            charts.Add(new ChartSpec("parallel.png", "Parallel speed-up", "parallel", p => ParallelChart(p, model.Slug, parallel)));
        }

        return charts;
    }

    /// <summary>Renders <paramref name="charts"/> into <paramref name="folder"/>.</summary>
    public static void Render(IReadOnlyList<ChartSpec> charts, string folder)
    {
        SetUpFont();
        Directory.CreateDirectory(folder);
        foreach (ChartSpec spec in charts)
        {
            var plot = new Plot();
            spec.Draw(plot);
            plot.Font.Set(FontName);
            plot.SavePng(Path.Combine(folder, spec.FileName), Width, Height);
        }
    }

    private static bool fontReady;

    private static void SetUpFont()
    {
        if (fontReady)
        {
            return;
        }

        string? regular = FontFiles.FirstOrDefault(File.Exists);
        string? bold = FontBoldFiles.FirstOrDefault(File.Exists);
        if (regular is not null)
        {
            Fonts.AddFontFile(FontName, regular, bold: false, italic: false);
        }

        if (bold is not null)
        {
            Fonts.AddFontFile(FontName, bold, bold: true, italic: false);
        }

        if (regular is null)
        {
            Console.Error.WriteLine($"warning: {FontFiles[0]} not found (Debian: apt-get install fonts-dejavu-core); chart text uses the system's default font.");
        }

        Fonts.Default = FontName;
        fontReady = true;
    }

    private static bool IsSquareNn(ResultRow r) =>
        ParseShape(r.Parameter("Shape")) is GemmShape s && s.IsSquare && s.Op == "NN" && PeerOf(r.Method) != GemmPeer.Other;

    private static readonly Color[] PeerColors =
    [
        Color.FromHex("#1f77b4"), // Backprop
        Color.FromHex("#d62728"), // OpenBLAS
        Color.FromHex("#2ca02c"), // MathNet
        Color.FromHex("#7f7f7f"), // Naive
    ];

    private static string SeriesName(GemmPeer peer, int width, string job) => peer switch
    {
        GemmPeer.Backprop => $"Backprop {width}-bit",
        GemmPeer.OpenBlas when job.Contains("SkylakeX", StringComparison.Ordinal) => "OpenBLAS SkylakeX (AVX-512)",
        GemmPeer.OpenBlas when job.Contains("Haswell", StringComparison.Ordinal) => "OpenBLAS Haswell (AVX2)",
        GemmPeer.OpenBlas => $"OpenBLAS {width}-bit",
        GemmPeer.MathNet => $"MathNet {width}-bit",
        _ => $"Naive i-k-j {width}-bit",
    };

    private static void GemmChart(Plot plot, string slug, string type, List<ResultRow> rows)
    {
        List<long> sizes = [.. rows.Select(r => ParseShape(r.Parameter("Shape"))!.Value.M).Distinct().Order()];
        double maxY = 0, minY = double.MaxValue; // GFLOP/s, plotted on a log axis: the peers span 0.5 to 160
        foreach (GemmPeer peer in new[] { GemmPeer.Backprop, GemmPeer.OpenBlas, GemmPeer.MathNet, GemmPeer.Naive })
        {
            foreach (int width in Widths(rows))
            {
                List<ResultRow> series = [.. rows.Where(r => PeerOf(r.Method) == peer && r.Width == width)
                    .DistinctBy(r => r.Parameter("Shape"))
                    .OrderBy(r => ParseShape(r.Parameter("Shape"))!.Value.M)];
                if (series.Count == 0)
                {
                    continue;
                }

                double[] xs = [.. series.Select(r => Math.Log2(ParseShape(r.Parameter("Shape"))!.Value.M))];
                double[] gflops = [.. series.Select(r => Gflops(r) is double g && g > 0 ? g : double.NaN)];
                maxY = Math.Max(maxY, gflops.Where(double.IsFinite).DefaultIfEmpty(0).Max());
                minY = Math.Min(minY, gflops.Where(double.IsFinite).DefaultIfEmpty(double.MaxValue).Min());
                double[] ys = [.. gflops.Select(Math.Log10)];
                var line = plot.Add.Scatter(xs, ys);
                line.LegendText = SeriesName(peer, width, series[0].Job);
                line.Color = PeerColors[(int)peer];
                line.LineWidth = 2;
                line.MarkerSize = 7;
                line.LinePattern = width >= 512 ? LinePattern.Solid : LinePattern.Dashed;
                line.MarkerShape = width >= 512 ? MarkerShape.FilledCircle : MarkerShape.OpenCircle;
            }
        }

        plot.Axes.Bottom.SetTicks([.. sizes.Select(s => Math.Log2(s))], [.. sizes.Select(s => s.ToString(Inv))]);
        plot.Axes.SetLimitsX(Math.Log2(sizes[0]) - 0.25, Math.Log2(sizes[^1]) + 0.25);
        minY = minY == double.MaxValue ? 1 : minY;
        maxY = Math.Max(maxY, minY * 2);
        double[] ticks = [.. new[] { 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000 }.Where(t => t >= minY / 1.5 && t <= maxY * 1.5)];
        plot.Axes.Left.SetTicks([.. ticks.Select(Math.Log10)], [.. ticks.Select(t => t.ToString(Inv))]);
        plot.Axes.SetLimitsY(Math.Log10(minY / 1.3), Math.Log10(maxY * 1.3));
        plot.Title($"GEMM {type}, square A·B (n×n×n NN), one thread — {slug}");
        plot.XLabel("matrix size n");
        plot.YLabel("GFLOP/s, log scale (higher is better)");
        plot.ShowLegend(Edge.Right);
    }

    private static readonly Color[] ComboColors =
    [
        Color.FromHex("#9ecae1"), Color.FromHex("#1f77b4"), Color.FromHex("#fdae6b"), Color.FromHex("#e6550d"),
        Color.FromHex("#a1d99b"), Color.FromHex("#31a354"), Color.FromHex("#bcbddc"), Color.FromHex("#756bb1"),
    ];

    private static readonly Color[] PeerBarColors = [Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"), Color.FromHex("#bcbd22")];

    /// <summary>
    /// Bars per case: each (type, width) of this project's step, then each peer (float, one thread, its
    /// narrowest kernel set; <paramref name="peers"/> may be empty). This project's bars show the mean,
    /// the peers' the median, as their tables do.
    /// </summary>
    private static void TrainingChart(Plot plot, string slug, List<ResultRow> rows, List<ResultRow> peers)
    {
        List<(string Type, int Width)> combos = [.. Types(rows).SelectMany(t => Widths(rows.Where(r => r.Type == t)).Select(w => (t, w)))];
        List<string> cases = OrderKeys(rows.Select(r => r.Parameters));
        List<string> peerMethods = [.. PeerMethods(peers)];
        var series = new List<(string Label, Color Color, Func<string, double?> Ns)>();
        for (int k = 0; k < combos.Count; k++)
        {
            (string type, int width) = combos[k];
            series.Add(($"Backprop {type} {width}-bit", ComboColors[k % ComboColors.Length],
                c => Find(rows, x => x.Parameters == c && x.Type == type && x.Width == width)?.MeanNs));
        }

        for (int k = 0; k < peerMethods.Count; k++)
        {
            string method = peerMethods[k];
            string job = peers.First(r => r.Method == method).Job;
            series.Add(($"{PeerDisplay(method)} float ({job})", PeerBarColors[k % PeerBarColors.Length],
                c => peers.FirstOrDefault(x => x.Method == method && "Case=" + x.Parameter("Case") == c) is { } p ? MarkdownReport.Median(p) : null));
        }

        double group = series.Count + 1;
        double barWidth = 0.9;
        double lo = double.MaxValue, hi = double.MinValue;
        var bars = new List<Bar>();
        for (int c = 0; c < cases.Count; c++)
        {
            for (int k = 0; k < series.Count; k++)
            {
                if (series[k].Ns(cases[c]) is not double ns || ns <= 0)
                {
                    continue;
                }

                double us = ns / 1e3;
                double y = Math.Log10(us);
                lo = Math.Min(lo, y);
                hi = Math.Max(hi, y);
                bars.Add(new Bar
                {
                    Position = (c * group) + k,
                    Value = y,
                    ValueBase = 0,
                    Size = barWidth,
                    FillColor = series[k].Color,
                    LineWidth = 0,
                    Label = Format.TimeUs(us).Replace(" µs", "", StringComparison.Ordinal),
                });
            }
        }

        if (bars.Count == 0)
        {
            return;
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 9;

        int bottom = (int)Math.Floor(Math.Min(0, lo));
        int top = (int)Math.Ceiling(hi + 0.35) + (peerMethods.Count > 0 ? 1 : 0); // room for the longer legend
        List<double> ticks = [.. Enumerable.Range(bottom, top - bottom + 1).Select(i => (double)i)];
        plot.Axes.Left.SetTicks([.. ticks], [.. ticks.Select(t => DecadeLabel((int)t))]);
        plot.Axes.SetLimitsY(bottom, top);
        plot.Axes.Bottom.SetTicks([.. cases.Select((_, c) => (c * group) + ((series.Count - 1) / 2.0))], [.. cases.Select(KeyDisplay)]);
        plot.Axes.SetLimitsX(-1, (cases.Count * group) - 1);
        foreach ((string label, Color color, _) in series)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = peerMethods.Count > 0 ? label : label["Backprop ".Length..], FillColor = color });
        }

        plot.Title(peerMethods.Count > 0
            ? $"Training step, time per step, one thread, log scale — {slug}"
            : $"Training step (Trainer<T>.Step), time per step, log scale — {slug}");
        plot.XLabel("network × batch");
        plot.YLabel("time per step (lower is better; labels: µs unless marked)");
        plot.ShowLegend(Alignment.UpperLeft);
    }

    /// <summary>10^d µs as "1 µs", "100 µs", "10 ms", "1 s".</summary>
    private static string DecadeLabel(int d)
    {
        string[] units = ["µs", "ms", "s"];
        int unit = Math.Clamp(d >= 0 ? d / 3 : -1, 0, units.Length - 1);
        double value = Math.Pow(10, d - (3 * unit));
        return value.ToString("0.###", Inv) + " " + units[unit];
    }

    private static void ParallelChart(Plot plot, string slug, List<SuiteResults> suites)
    {
        List<ResultRow> all = [.. suites.SelectMany(s => s.Rows)];
        List<(string Type, int Width)> combos = [.. Types(all).SelectMany(t => Widths(all.Where(r => r.Type == t)).Select(w => (t, w)))];
        var categories = new List<(SuiteResults Suite, string Key)>();
        foreach (SuiteResults s in suites)
        {
            categories.AddRange(OrderKeys(s.Rows.Select(ParallelKey)).Select(k => (s, k)));
        }

        double group = combos.Count + 1;
        var bars = new List<Bar>();
        double hi = 2;
        for (int c = 0; c < categories.Count; c++)
        {
            for (int k = 0; k < combos.Count; k++)
            {
                double? speedUp = ParallelSpeedUp([.. categories[c].Suite.Rows.Where(r =>
                    ParallelKey(r) == categories[c].Key && r.Type == combos[k].Type && r.Width == combos[k].Width)]);
                if (speedUp is not double v)
                {
                    continue;
                }

                hi = Math.Max(hi, v);
                bars.Add(new Bar
                {
                    Position = (c * group) + k,
                    Value = v,
                    Size = 0.9,
                    FillColor = ComboColors[k % ComboColors.Length],
                    LineWidth = 0,
                    Label = v.ToString("F2", Inv),
                });
            }
        }

        if (bars.Count > 0)
        {
            var barPlot = plot.Add.Bars(bars);
            barPlot.ValueLabelStyle.FontSize = 10;
        }

        var one = plot.Add.HorizontalLine(1);
        one.Color = Colors.Black;
        one.LineWidth = 1;
        one.LinePattern = LinePattern.Dashed;
        var two = plot.Add.HorizontalLine(2);
        two.Color = Colors.Gray;
        two.LineWidth = 1;
        two.LinePattern = LinePattern.Dotted;

        plot.Axes.Bottom.SetTicks(
            [.. categories.Select((_, c) => (c * group) + ((combos.Count - 1) / 2.0))],
            [.. categories.Select(x => (x.Suite.Name.Contains("Gemm", StringComparison.Ordinal) ? "GEMM " : "step ") + KeyDisplay(x.Key).Replace(" × ", "×", StringComparison.Ordinal))]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.Axes.SetLimitsX(-1, (categories.Count * group) - 1);
        plot.Axes.SetLimitsY(0, hi * 1.15);
        for (int k = 0; k < combos.Count; k++)
        {
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = $"{combos[k].Type} {combos[k].Width}-bit",
                FillColor = ComboColors[k % ComboColors.Length],
            });
        }

        plot.Title($"Speed-up of 2 threads over 1 (2.00 = perfect) — {slug}");
        plot.YLabel("speed-up (1-thread time ÷ 2-thread time)");
        plot.ShowLegend(Alignment.UpperLeft);
    }
}
