namespace Backprop.Benchmarks.Reporting.Report;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks -- report [--cpu &lt;slug&gt;] [--check]</c>: reads the tidy
/// CSVs of <c>benchmarks/results/&lt;slug&gt;/</c> and writes that folder's <c>README.md</c>, its
/// <c>charts/*.png</c> and the generated section of the repository's <c>README.md</c>. <c>--check</c>
/// writes nothing and exits 1 when either markdown file differs from what the CSVs give (CI runs it).
/// Hidden options for testing: <c>--results &lt;dir&gt;</c> (instead of <c>benchmarks/results</c>) and
/// <c>--readme &lt;file&gt;</c> (instead of the repository's README.md).
/// </summary>
public static class ReportCommand
{
    public const string BeginMarker = "<!-- performance:begin -->";
    public const string EndMarker = "<!-- performance:end -->";

    /// <returns>0 on success (or a current report with --check), 1 when --check finds a stale file, 2 on bad input.</returns>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? cpu = null, resultsRoot = null, readme = null;
        bool check = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--check":
                    check = true;
                    break;
                case "--cpu" when i + 1 < args.Length:
                    cpu = args[++i];
                    break;
                case "--results" when i + 1 < args.Length:
                    resultsRoot = args[++i];
                    break;
                case "--readme" when i + 1 < args.Length:
                    readme = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"error: unknown or incomplete argument '{args[i]}'.");
                    Console.Error.WriteLine("usage: dotnet run -c Release --project benchmarks -- report [--cpu <slug>] [--check]");
                    return 2;
            }
        }

        try
        {
            return Execute(cpu, resultsRoot, readme, check);
        }
        catch (ReportInputException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 2;
        }
    }

    private static int Execute(string? cpu, string? resultsRoot, string? readme, bool check)
    {
        resultsRoot = Path.GetFullPath(resultsRoot ?? ResultsFolder.ResultsRoot());
        readme = Path.GetFullPath(readme ?? Path.Combine(resultsRoot, "..", "..", "README.md"));
        string slug = cpu ?? ChooseSlug(resultsRoot, File.Exists(readme) ? File.ReadAllText(readme) : string.Empty);
        string folder = Path.Combine(resultsRoot, slug);
        if (!Directory.Exists(folder) || Directory.GetFiles(folder, "*.csv").Length == 0)
        {
            throw new ReportInputException($"{folder}: no *.csv results in this folder (run the benchmarks first, or pick another --cpu).");
        }

        // Every folder with results gets its README (and charts); the root section summarises the chosen
        // one and tabulates the headline ratios of all of them.
        List<string> slugs = [.. Directory.GetDirectories(resultsRoot).Where(d => Directory.GetFiles(d, "*.csv").Length > 0)
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
        List<ResultsModel> models = [.. slugs.Select(s => Load(resultsRoot, s))];
        ResultsModel model = models.First(m => m.Slug == slug);

        string prefix = Path.GetRelativePath(Path.GetDirectoryName(readme)!, folder).Replace('\\', '/') + "/";
        string resultsPrefix = Path.GetRelativePath(Path.GetDirectoryName(readme)!, resultsRoot).Replace('\\', '/') + "/";
        string section = MarkdownReport.RootSection(model, Charts.Plan(model), prefix, models, resultsPrefix);
        if (!File.Exists(readme))
        {
            throw new ReportInputException($"{readme}: not found.");
        }

        string readmeText = File.ReadAllText(readme);
        string newReadme = ReplaceSection(readme, readmeText, section);
        var folderReadmes = models.Select(m => (Path: Path.Combine(resultsRoot, m.Slug, "README.md"), Text: MarkdownReport.FolderReadme(m, Charts.Plan(m)), Model: m)).ToList();

        if (check)
        {
            var stale = new List<string>();
            foreach ((string path, string text, _) in folderReadmes)
            {
                if (!File.Exists(path) || File.ReadAllText(path) != text)
                {
                    stale.Add(path);
                }
            }

            if (newReadme != readmeText)
            {
                stale.Add(readme + " (between " + BeginMarker + " and " + EndMarker + ")");
            }

            foreach (string s in stale)
            {
                Console.Error.WriteLine("stale: " + s);
            }

            if (stale.Count > 0)
            {
                Console.Error.WriteLine($"The report does not match the CSVs in {resultsRoot}: run `{MarkdownReport.Command}` and commit the result.");
                return 1;
            }

            Console.WriteLine($"report is current ({models.Count} results folder(s); the README's section is {slug})");
            return 0;
        }

        foreach ((string path, string text, ResultsModel m) in folderReadmes)
        {
            File.WriteAllText(path, text);
            Console.WriteLine($"wrote {path}");
            IReadOnlyList<ChartSpec> charts = Charts.Plan(m);
            string chartFolder = Path.Combine(resultsRoot, m.Slug, "charts");
            Charts.Render(charts, chartFolder);
            foreach (string stalePng in Directory.GetFiles(chartFolder, "*.png").Where(f => !charts.Any(c => c.FileName == Path.GetFileName(f))))
            {
                File.Delete(stalePng); // a chart the data no longer supports (or renamed): the README no longer links it
            }

            foreach (ChartSpec c in charts)
            {
                Console.WriteLine($"wrote {Path.Combine(chartFolder, c.FileName)}");
            }
        }

        if (newReadme != readmeText)
        {
            File.WriteAllText(readme, newReadme);
        }

        Console.WriteLine($"updated {readme} between {BeginMarker} and {EndMarker} (from {slug})");
        return 0;
    }

    private static ResultsModel Load(string resultsRoot, string slug)
    {
        string folder = Path.Combine(resultsRoot, slug);
        string envPath = Path.Combine(folder, "environment.md");
        return new ResultsModel(
            slug,
            File.Exists(envPath) ? File.ReadAllText(envPath) : null,
            ResultTable.LoadSuites(folder),
            ResultTable.LoadColdStart(folder),
            ResultTable.LoadAot(folder));
    }

    /// <summary>
    /// The only folder with CSVs; of several, this machine's when it has results, else the one whose CSVs
    /// were written last.
    /// </summary>
    /// <summary>
    /// The results folder to report: the only one; else the one the README's performance section was
    /// generated from (so a clone on any machine checks the same thing: switch with --cpu); else this
    /// machine's; else the newest.
    /// </summary>
    private static string ChooseSlug(string resultsRoot, string readmeText)
    {
        List<string> candidates = Directory.Exists(resultsRoot)
            ? [.. Directory.GetDirectories(resultsRoot).Where(d => Directory.GetFiles(d, "*.csv").Length > 0).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)]
            : [];
        if (candidates.Count == 0)
        {
            throw new ReportInputException($"{resultsRoot}: no folder with *.csv results yet (run the benchmarks first).");
        }

        if (candidates.Count == 1)
        {
            return candidates[0];
        }

        int begin = readmeText.IndexOf(BeginMarker, StringComparison.Ordinal);
        int end = begin < 0 ? -1 : readmeText.IndexOf(EndMarker, begin, StringComparison.Ordinal);
        if (end > begin)
        {
            string section = readmeText[begin..end];
            string[] named = [.. candidates.Where(c => section.Contains("from `benchmarks/results/" + c + "/`", StringComparison.Ordinal))];
            if (named.Length == 1)
            {
                return named[0];
            }
        }

        string mine = ResultsFolder.CpuSlug();
        if (candidates.Contains(mine))
        {
            return mine;
        }

        return candidates.MaxBy(c => Directory.GetFiles(Path.Combine(resultsRoot, c), "*.csv").Max(File.GetLastWriteTimeUtc))!;
    }

    /// <summary>README text with the lines between the markers replaced by <paramref name="section"/>.</summary>
    internal static string ReplaceSection(string path, string text, string section)
    {
        int begin = text.IndexOf(BeginMarker, StringComparison.Ordinal);
        int end = text.IndexOf(EndMarker, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new ReportInputException($"{path}: the markers '{BeginMarker}' and '{EndMarker}' (in that order) are missing.");
        }

        int from = begin + BeginMarker.Length;
        return string.Concat(text.AsSpan(0, from), "\n", section, text.AsSpan(end));
    }
}
