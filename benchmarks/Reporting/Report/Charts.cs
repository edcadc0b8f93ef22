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

    /// <summary>Which charts the data supports, in a fixed order: one chart per question, each titled with its answer.</summary>
    public static IReadOnlyList<ChartSpec> Plan(ResultsModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var charts = new List<ChartSpec>();
        List<ResultRow> gemm = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.Gemm).SelectMany(s => s.Rows)];
        foreach (string type in Types(gemm))
        {
            List<ResultRow> rows = [.. gemm.Where(r => r.Type == type && IsSquareNn(r))];
            if (rows.Count > 0)
            {
                string answer = MarkdownReport.GemmAnswer(gemm.Where(r => r.Type == type).ToList()) is { } a ? $"GEMM {type}: {a}" : $"GEMM {type}: GFLOP/s by square size";
                charts.Add(new ChartSpec($"gemm-{type}.png", answer, "gemm", p => GemmChart(p, model, answer, type, rows)));
            }
        }

        List<ResultRow> training = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.TrainingStep).SelectMany(s => s.Rows)];
        if (training.Count > 0)
        {
            List<ResultRow> peers = [.. model.PeerRows.Where(r => Math.Max(1, Threads(r)) == 1 && r.Type == "float")];
            int peerWidth = peers.Count > 0 ? peers.Max(r => r.Width) : 0;
            peers = [.. peers.Where(r => r.Width == peerWidth)];
            string answer = MarkdownReport.TrainingAnswer(model) ?? "Training step: time per step";
            charts.Add(new ChartSpec("training-step.png", answer, "training", p => TrainingChart(p, model.Slug, answer, training, peers)));
        }

        foreach (SuiteResults suite in model.Suites.Where(s => KindOf(s.Name) == SuiteKind.Parallel && s.Rows.Select(Threads).Distinct().Count() > 1))
        {
            string what = suite.Name.Contains("Gemm", StringComparison.Ordinal) ? "gemm" : suite.Name.StartsWith("Epoch", StringComparison.Ordinal) ? "epoch" : "step";
            string answer = MarkdownReport.ParallelAnswer(suite) ?? "Parallel speed-up";
            charts.Add(new ChartSpec($"parallel-{what}.png", answer, "parallel", p => ParallelChart(p, model.Slug, answer, suite)));
        }

        List<ResultRow> endToEnd = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.EndToEnd).SelectMany(s => s.Rows)];
        if (endToEnd.Any(r => MarkdownReport.MeasureOf(r) == "epoch"))
        {
            string answer = MarkdownReport.EndToEndAnswer(endToEnd) ?? "End to end: time per epoch";
            charts.Add(new ChartSpec("end-to-end.png", answer, "end-to-end", p => EndToEndChart(p, model.Slug, answer, endToEnd)));
        }

        List<ResultRow> inference = [.. model.Suites.Where(s => KindOf(s.Name) == SuiteKind.Inference).SelectMany(s => s.Rows)];
        if (inference.Count > 0 && MarkdownReport.PreferredJob(inference) is { } job)
        {
            string answer = MarkdownReport.InferenceAnswer(inference) ?? "Prediction latency";
            charts.Add(new ChartSpec("inference.png", answer, "inference", p => InferenceChart(p, model.Slug, answer, [.. inference.Where(r => r.Job == job)])));
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
        GemmPeer.Backprop when job.StartsWith("NoAVX512", StringComparison.Ordinal) => $"Backprop, AVX2 only ({width}-bit)",
        GemmPeer.Backprop when job.StartsWith("Default", StringComparison.Ordinal) => $"Backprop, default ({width}-bit)",
        GemmPeer.Backprop => $"Backprop {width}-bit",
        GemmPeer.OpenBlas when job.Contains("SkylakeX", StringComparison.Ordinal) => "OpenBLAS SkylakeX (AVX-512)",
        GemmPeer.OpenBlas when job.Contains("Haswell", StringComparison.Ordinal) => "OpenBLAS Haswell (AVX2)",
        GemmPeer.OpenBlas => $"OpenBLAS {width}-bit",
        GemmPeer.MathNet => $"MathNet {width}-bit",
        _ => $"Naive i-k-j {width}-bit",
    };

    private static void GemmChart(Plot plot, ResultsModel model, string title, string type, List<ResultRow> rows)
    {
        List<long> sizes = [.. rows.Select(r => ParseShape(r.Parameter("Shape"))!.Value.M).Distinct().Order()];
        double maxY = 0, minY = double.MaxValue; // GFLOP/s, plotted on a log axis: the peers span 0.5 to 160
        foreach (GemmPeer peer in new[] { GemmPeer.Backprop, GemmPeer.OpenBlas, GemmPeer.MathNet, GemmPeer.Naive })
        {
            foreach (string job in rows.Where(r => PeerOf(r.Method) == peer).Select(r => r.Job).Distinct())
            {
                List<ResultRow> series = [.. rows.Where(r => PeerOf(r.Method) == peer && r.Job == job)
                    .DistinctBy(r => r.Parameter("Shape"))
                    .OrderBy(r => ParseShape(r.Parameter("Shape"))!.Value.M)];
                if (series.Count == 0)
                {
                    continue;
                }

                int width = series[0].Width;
                double[] xs = [.. series.Select(r => Math.Log2(ParseShape(r.Parameter("Shape"))!.Value.M))];
                double[] gflops = [.. series.Select(r => Gflops(r) is double g && g > 0 ? g : double.NaN)];
                maxY = Math.Max(maxY, gflops.Where(double.IsFinite).DefaultIfEmpty(0).Max());
                minY = Math.Min(minY, gflops.Where(double.IsFinite).DefaultIfEmpty(double.MaxValue).Min());
                double[] ys = [.. gflops.Select(Math.Log10)];
                var line = plot.Add.Scatter(xs, ys);
                line.LegendText = SeriesName(peer, width, job);
                line.Color = PeerColors[(int)peer];
                line.LineWidth = 2;
                line.MarkerSize = 7;
                line.LinePattern = width >= 512 ? LinePattern.Solid : LinePattern.Dashed;
                line.MarkerShape = width >= 512 ? MarkerShape.FilledCircle : MarkerShape.OpenCircle;
                ErrorBars(plot, xs, ys, [.. series.Select(LogError)], line.Color);
            }
        }

        // The measured FMA peak of one core at each width the rows ran at: the ceiling every series is under.
        foreach (int width in Widths(rows))
        {
            if (model.Peak(type, width) is not double peak || peak <= 0)
            {
                continue;
            }

            maxY = Math.Max(maxY, peak);
            var ceiling = plot.Add.HorizontalLine(Math.Log10(peak));
            ceiling.Color = Colors.Black.WithAlpha(0.6);
            ceiling.LineWidth = 1;
            ceiling.LinePattern = width >= 512 ? LinePattern.Solid : LinePattern.Dashed;
            ceiling.LegendText = string.Create(Inv, $"measured FMA peak, {width}-bit: {peak:F0}");
        }

        plot.Axes.Bottom.SetTicks([.. sizes.Select(s => Math.Log2(s))], [.. sizes.Select(s => s.ToString(Inv))]);
        plot.Axes.SetLimitsX(Math.Log2(sizes[0]) - 0.25, Math.Log2(sizes[^1]) + 0.25);
        minY = minY == double.MaxValue ? 1 : minY;
        maxY = Math.Max(maxY, minY * 2);
        double[] ticks = [.. new[] { 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000 }.Where(t => t >= minY / 1.5 && t <= maxY * 1.5)];
        plot.Axes.Left.SetTicks([.. ticks.Select(Math.Log10)], [.. ticks.Select(t => t.ToString(Inv))]);
        plot.Axes.SetLimitsY(Math.Log10(minY / 1.3), Math.Log10(maxY * 1.3));
        plot.Title(FitTitle(title));
        plot.XLabel($"square A·B, n×n×n, {type}, one thread — {model.Slug}");
        plot.YLabel("GFLOP/s, log scale (higher is better)");
        plot.ShowLegend(Edge.Bottom);
    }

    /// <summary>One standard deviation of a row's time, as a distance on a log10 axis of its time or rate (σ ÷ (mean · ln 10)).</summary>
    private static double LogError(ResultRow r) =>
        double.IsFinite(r.StdDevNs) && r.MeanNs > 0 ? r.StdDevNs / (r.MeanNs * Math.Log(10)) : 0;

    private static void ErrorBars(Plot plot, double[] xs, double[] ys, double[] errors, Color color)
    {
        if (errors.All(e => e <= 0))
        {
            return;
        }

        var bars = plot.Add.ErrorBar(xs, ys, errors);
        bars.Color = color;
        bars.LineWidth = 1.5f;
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
    private static void TrainingChart(Plot plot, string slug, string title, List<ResultRow> rows, List<ResultRow> peers)
    {
        List<(string Type, int Width)> combos = [.. Types(rows).SelectMany(t => Widths(rows.Where(r => r.Type == t)).Select(w => (t, w)))];
        List<string> cases = OrderKeys(rows.Select(r => r.Parameters));
        List<string> peerMethods = [.. PeerMethods(peers)];
        var series = new List<(string Label, Color Color, Func<string, ResultRow?> Row)>();
        for (int k = 0; k < combos.Count; k++)
        {
            (string type, int width) = combos[k];
            series.Add(($"Backprop {type} {width}-bit", ComboColors[k % ComboColors.Length],
                c => Find(rows, x => x.Parameters == c && x.Type == type && x.Width == width)));
        }

        for (int k = 0; k < peerMethods.Count; k++)
        {
            string method = peerMethods[k];
            string job = peers.First(r => r.Method == method).Job;
            series.Add(($"{PeerDisplay(method)} float ({job})", PeerBarColors[k % PeerBarColors.Length],
                c => peers.FirstOrDefault(x => x.Method == method && "Case=" + x.Parameter("Case") == c)));
        }

        double group = series.Count + 1;
        double barWidth = 0.9;
        double lo = double.MaxValue, hi = double.MinValue;
        var bars = new List<Bar>();
        for (int c = 0; c < cases.Count; c++)
        {
            for (int k = 0; k < series.Count; k++)
            {
                if (series[k].Row(cases[c]) is not { } row || MarkdownReport.Median(row) <= 0)
                {
                    continue;
                }

                double us = MarkdownReport.Median(row) / 1e3;
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
                    LineWidth = 1,
                    Label = Format.TimeUs(us).Replace(" µs", "", StringComparison.Ordinal),
                    Error = LogError(row),
                    LineColor = Colors.Black.WithAlpha(0.7),
                });
            }
        }

        if (bars.Count == 0)
        {
            return;
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = series.Count > 6 || bars.Any(b => b.Label.Length > 5) ? 8 : 10;

        int bottom = (int)Math.Floor(Math.Min(0, lo));
        int top = (int)Math.Ceiling(hi + 0.35) + (peerMethods.Count > 0 ? 1 : 0); // room for the longer legend
        List<double> ticks = [.. Enumerable.Range(bottom, top - bottom + 1).Select(i => (double)i)];
        plot.Axes.Left.SetTicks([.. ticks], [.. ticks.Select(t => DecadeLabel((int)t))]);
        plot.Axes.SetLimitsY(bottom, top);
        LiftLabels(bars, bottom, top);
        StaggerLabels(bars, (cases.Count * group) + 1, bottom, top, barPlot.ValueLabelStyle.FontSize);
        plot.Axes.Bottom.SetTicks([.. cases.Select((_, c) => (c * group) + ((series.Count - 1) / 2.0))], [.. cases.Select(KeyDisplay)]);
        plot.Axes.SetLimitsX(-1, cases.Count * group);
        foreach ((string label, Color color, _) in series)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = peerMethods.Count > 0 ? label : label["Backprop ".Length..], FillColor = color });
        }

        plot.Title(FitTitle(title));
        plot.XLabel($"network × batch; bars: median, whiskers: ±1 s.d. — {slug}");
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

    /// <summary>
    /// Speed-up of the most threads over the fewest, per case of one thread-count suite, for each
    /// (type, width) the suite measured at every case (a series measured for some cases only is left
    /// out rather than drawn with gaps). Labels sit inside the bars' tops; case labels are horizontal.
    /// </summary>
    private static void ParallelChart(Plot plot, string slug, string title, SuiteResults suite)
    {
        List<string> keys = OrderKeys(suite.Rows.Select(ParallelKey));
        List<(string Type, int Width)> combos = [.. Types(suite.Rows).SelectMany(t => Widths(suite.Rows.Where(r => r.Type == t)).Select(w => (t, w)))
            .Where(c => keys.All(k => ParallelSpeedUp([.. suite.Rows.Where(r => ParallelKey(r) == k && r.Type == c.t && r.Width == c.w)]) is not null))];
        double group = combos.Count + 1;
        var bars = new List<Bar>();
        double hi = 2;
        for (int c = 0; c < keys.Count; c++)
        {
            for (int k = 0; k < combos.Count; k++)
            {
                List<ResultRow> cell = [.. suite.Rows.Where(r => ParallelKey(r) == keys[c] && r.Type == combos[k].Type && r.Width == combos[k].Width)];
                if (ParallelSpeedUp(cell) is not double v)
                {
                    continue;
                }

                hi = Math.Max(hi, v);
                ResultRow fewest = cell.MinBy(Threads)!, most = cell.MaxBy(Threads)!;
                double relative = Math.Sqrt(Square(LogError(fewest)) + Square(LogError(most))) * Math.Log(10); // σ of a ratio, relative
                bars.Add(new Bar
                {
                    Position = (c * group) + k,
                    Value = v,
                    Size = 0.9,
                    FillColor = ComboColors[k % ComboColors.Length],
                    LineWidth = 1,
                    Label = v.ToString("F2", Inv),
                    Error = v * relative,
                    LineColor = Colors.Black.WithAlpha(0.7),
                });
            }
        }

        if (bars.Count > 0)
        {
            var barPlot = plot.Add.Bars(bars);
            barPlot.ValueLabelStyle.FontSize = keys.Count * combos.Count > 16 ? 8 : 11;
        }

        var one = plot.Add.HorizontalLine(1);
        one.Color = Colors.Black;
        one.LineWidth = 1;
        one.LinePattern = LinePattern.Dashed;
        var two = plot.Add.HorizontalLine(2);
        two.Color = Colors.Gray;
        two.LineWidth = 1;
        two.LinePattern = LinePattern.Dotted;

        bool wide = keys.Any(k => KeyDisplay(k).Length > 14);
        plot.Axes.Bottom.SetTicks(
            [.. keys.Select((_, c) => (c * group) + ((combos.Count - 1) / 2.0))],
            [.. keys.Select(k => Wrap(KeyDisplay(k)))]);
        plot.Axes.Bottom.TickLabelStyle.FontSize = wide ? 10 : 12;
        plot.Axes.Bottom.MinimumSize = wide ? 70 : 40;
        plot.Axes.SetLimitsX(-1, (keys.Count * group) - 1);
        plot.Axes.SetLimitsY(0, hi * 1.25);
        LiftLabels(bars, 0, hi * 1.25);
        for (int k = 0; k < combos.Count; k++)
        {
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = $"{combos[k].Type} {combos[k].Width}-bit",
                FillColor = ComboColors[k % ComboColors.Length],
            });
        }

        plot.Title(FitTitle(title));
        plot.XLabel($"dashed: no gain · dotted: perfect on 2 cores — {slug}");
        plot.YLabel("speed-up (1-thread time ÷ 2-thread time)");
        plot.ShowLegend(Alignment.UpperLeft);
    }

    private static double Square(double x) => x * x;

    /// <summary>Data area height in pixels, about: the image less the title, axis labels and ticks.</summary>
    private const double PlotAreaPixels = Height - 110;

    /// <summary>Moves each bar's value label above its whisker, so the two never overlap.</summary>
    private static void LiftLabels(List<Bar> bars, double bottom, double top)
    {
        double pixelsPerUnit = PlotAreaPixels / (top - bottom);
        foreach (Bar b in bars)
        {
            b.LabelOffset = (float)(3 + (Math.Max(0, b.Error) * pixelsPerUnit));
        }
    }

    /// <summary>
    /// Where a value label is wider than the distance to the next bar (crowded groups: e.g. seven bars per case) and the two
    /// labels sit less than a line apart, the right one is lifted to a line above the left, so neighbouring labels never overlap.
    /// <paramref name="units"/> is the x axis's span in bar positions; <paramref name="fontSize"/> the labels' size in pixels.
    /// </summary>
    private static void StaggerLabels(List<Bar> bars, double units, double bottom, double top, float fontSize)
    {
        double pixelsPerPosition = PlotAreaWidthPixels / units;
        double pixelsPerUnit = PlotAreaPixels / (top - bottom);
        double Height(Bar b) => ((b.Value - bottom) * pixelsPerUnit) + b.LabelOffset; // the label's baseline above the axis, in pixels
        List<Bar> ordered = [.. bars.OrderBy(b => b.Position)];
        for (int i = 1; i < ordered.Count; i++)
        {
            Bar left = ordered[i - 1], right = ordered[i];
            double room = (right.Position - left.Position) * pixelsPerPosition;
            double needed = 0.62 * fontSize * ((left.Label.Length + right.Label.Length) / 2.0);
            double gap = Height(right) - Height(left);
            if (needed > room && Math.Abs(gap) < fontSize + 2)
            {
                right.LabelOffset += (float)(fontSize + 2 - gap);
            }
        }
    }

    /// <summary>The plot area's width in pixels (the image less the axes' labels and margins).</summary>
    private const double PlotAreaWidthPixels = Width - 110;

    /// <summary>A title on two lines, broken at the comma or space nearest its middle, when it would not fit the chart's width on one.</summary>
    internal static string FitTitle(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        const int fits = 80; // characters of the default title font across a 900-pixel chart
        if (title.Length <= fits)
        {
            return title;
        }

        // The comma (then the space) nearest the middle.
        int middle = title.Length / 2;
        int Nearest(Func<int, bool> at) => Enumerable.Range(1, title.Length - 2).Where(at).OrderBy(i => Math.Abs(i - middle)).DefaultIfEmpty(-1).First();
        int best = Nearest(i => title[i] == ' ' && title[i - 1] == ',');
        if (best < 0 || Math.Abs(best - middle) > title.Length / 4)
        {
            best = Nearest(i => title[i] == ' ');
        }

        return best < 0 ? title : title[..best] + "\n" + title[(best + 1)..];
    }

    /// <summary>Long case names on two lines ("784-256-10x128 60000 rows" → "784-256-10x128\n60000 rows").</summary>
    private static string Wrap(string label)
    {
        if (label.Length <= 14)
        {
            return label;
        }

        int space = label.IndexOf(' ', label.Length / 3);
        return space < 0 ? label : label[..space] + "\n" + label[(space + 1)..];
    }

    /// <summary>Time per epoch, end to end, for this project and each peer at each thread count (bars, log scale).</summary>
    private static void EndToEndChart(Plot plot, string slug, string title, List<ResultRow> rows)
    {
        List<ResultRow> epochs = [.. rows.Where(r => MarkdownReport.MeasureOf(r) == "epoch")];
        List<string> methods = ["Backprop", .. MarkdownReport.EndToEndPeers(epochs).Select(PeerDisplay)];
        methods = [.. methods.Where(m => epochs.Any(r => MarkdownReport.EndToEndName(r) == m))];
        List<int> threads = [.. epochs.Select(r => Math.Max(1, Threads(r))).Distinct().Order()];
        double group = threads.Count + 1;
        var bars = new List<Bar>();
        double hi = 0;
        for (int m = 0; m < methods.Count; m++)
        {
            for (int t = 0; t < threads.Count; t++)
            {
                if (epochs.FirstOrDefault(r => MarkdownReport.EndToEndName(r) == methods[m] && Math.Max(1, Threads(r)) == threads[t]) is not { } row)
                {
                    continue;
                }

                double seconds = MarkdownReport.Median(row) / 1e9;
                hi = Math.Max(hi, seconds + (double.IsFinite(row.StdDevNs) ? row.StdDevNs / 1e9 : 0)); // the whisker and its label stay inside
                bars.Add(new Bar
                {
                    Position = (m * group) + t,
                    Value = seconds,
                    Size = 0.9,
                    FillColor = ComboColors[(2 * t + 1) % ComboColors.Length],
                    LineWidth = 1,
                    Label = seconds.ToString(seconds < 10 ? "F2" : "F1", Inv) + " s",
                    Error = double.IsFinite(row.StdDevNs) ? row.StdDevNs / 1e9 : 0,
                    LineColor = Colors.Black.WithAlpha(0.7),
                });
            }
        }

        if (bars.Count == 0)
        {
            return;
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.SetTicks([.. methods.Select((_, m) => (m * group) + ((threads.Count - 1) / 2.0))], [.. methods]);
        plot.Axes.SetLimitsX(-1, (methods.Count * group) - 1);
        plot.Axes.SetLimitsY(0, hi * 1.3);
        LiftLabels(bars, 0, hi * 1.3);
        for (int t = 0; t < threads.Count; t++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = threads[t] == 1 ? "1 thread" : $"{threads[t]} threads", FillColor = ComboColors[(2 * t + 1) % ComboColors.Length] });
        }

        plot.Title(FitTitle(title));
        plot.XLabel($"Fashion-MNIST, 784-256-10; bars: median epoch, whiskers: ±1 s.d. — {slug}");
        plot.YLabel("seconds per epoch (lower is better)");
        plot.ShowLegend(Alignment.UpperLeft);
    }

    /// <summary>Prediction latency per case: this project, ONNX Runtime, TensorPrimitives and the weight-read floor (bars, log scale).</summary>
    private static void InferenceChart(Plot plot, string slug, string title, List<ResultRow> rows)
    {
        List<string> cases = OrderKeys(rows.Select(r => r.Parameters));
        string[] methods = [.. MarkdownReport.InferenceMethods.Where(m => rows.Any(r => r.Method == m))];
        double group = methods.Length + 1;
        var bars = new List<Bar>();
        double lo = double.MaxValue, hi = double.MinValue;
        for (int c = 0; c < cases.Count; c++)
        {
            for (int m = 0; m < methods.Length; m++)
            {
                if (rows.FirstOrDefault(r => r.Parameters == cases[c] && r.Method == methods[m]) is not { } row || MarkdownReport.Median(row) <= 0)
                {
                    continue;
                }

                double us = MarkdownReport.Median(row) / 1e3;
                double y = Math.Log10(us);
                lo = Math.Min(lo, y);
                hi = Math.Max(hi, y);
                bars.Add(new Bar
                {
                    Position = (c * group) + m,
                    Value = y,
                    ValueBase = Math.Floor(Math.Min(0, lo)) - 2,
                    Size = 0.9,
                    FillColor = PeerColors[m % PeerColors.Length],
                    LineWidth = 1,
                    Label = Format.TimeUs(us).Replace(" µs", "", StringComparison.Ordinal),
                    Error = LogError(row),
                    LineColor = Colors.Black.WithAlpha(0.7),
                });
            }
        }

        if (bars.Count == 0)
        {
            return;
        }

        int bottom = (int)Math.Floor(lo);
        foreach (Bar b in bars)
        {
            b.ValueBase = bottom;
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 9;
        int top = (int)Math.Ceiling(hi + 0.35) + 1;
        List<double> ticks = [.. Enumerable.Range(bottom, top - bottom + 1).Select(i => (double)i)];
        plot.Axes.Left.SetTicks([.. ticks], [.. ticks.Select(t => DecadeLabel((int)t))]);
        plot.Axes.SetLimitsY(bottom, top);
        LiftLabels(bars, bottom, top);
        StaggerLabels(bars, cases.Count * group, bottom, top, barPlot.ValueLabelStyle.FontSize);
        plot.Axes.Bottom.SetTicks([.. cases.Select((_, c) => (c * group) + ((methods.Length - 1) / 2.0))], [.. cases.Select(c => KeyDisplay(c).Replace(" × ", "\n× ", StringComparison.Ordinal) + " rows")]);
        plot.Axes.Bottom.TickLabelStyle.FontSize = cases.Count > 7 ? 10 : 12; // "784-256-10" fits a group's width
        plot.Axes.Bottom.MinimumSize = 60;
        plot.Axes.SetLimitsX(-1, (cases.Count * group) - 1);
        for (int m = 0; m < methods.Length; m++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = MarkdownReport.InferenceDisplay(methods[m]), FillColor = PeerColors[m % PeerColors.Length] });
        }

        plot.Title(FitTitle(title));
        plot.XLabel($"network × rows per call; float, one thread, job {rows[0].Job} ({rows[0].Width}-bit) — {slug}");
        plot.YLabel("µs per call, log scale (lower is better)");
        plot.ShowLegend(Alignment.UpperLeft);
    }
}
