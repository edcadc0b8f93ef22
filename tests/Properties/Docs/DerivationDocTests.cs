using System.Globalization;
using System.Text.RegularExpressions;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Training;
using Backprop.Training;

namespace Backprop.Properties.Docs;

/// <summary>
/// docs/DERIVATION.md is checked, not trusted: every relative link must name an existing file, and a
/// link whose text is <c>Type</c> or <c>Type.Member</c> must name a type declared in that file and a
/// member declared in it; every formula row links a kernel, a reference and a property; and the
/// worked example's numbers are recomputed with the library and with the plain-loop formulas.
/// </summary>
public partial class DerivationDocTests
{
    private static readonly string Root = StairsData.RepositoryRoot();
    private static readonly string DocPath = Path.Combine(Root, "docs", "DERIVATION.md");

    [Fact]
    public void EveryLinkedFileTypeAndMemberExists()
    {
        string doc = File.ReadAllText(DocPath);
        var problems = new List<string>();
        int checkedLinks = CheckLinks(doc, Path.GetDirectoryName(DocPath)!, problems);
        Assert.True(problems.Count == 0, "docs/DERIVATION.md:\n" + string.Join('\n', problems));
        Assert.True(checkedLinks >= 50, $"only {checkedLinks} symbol links found: did the link format change?");
    }

    [Fact]
    public void EveryFormulaRowLinksAKernelAReferenceAndAProperty()
    {
        string[] rows = File.ReadAllLines(DocPath).Where(l => FormulaRow().IsMatch(l)).ToArray();
        Assert.True(rows.Length >= 18, $"{rows.Length} formula rows");
        foreach (string row in rows)
        {
            string[] cells = row.Split('|', StringSplitOptions.TrimEntries)[1..^1];
            Assert.True(cells.Length == 5, $"not five cells: {row}");
            Assert.True(Link().Matches(cells[2]).Any(m => m.Groups["target"].Value.StartsWith("../src/", StringComparison.Ordinal)), $"no kernel in src/: {row}");
            Assert.True(Link().Matches(cells[3]).Any(m => m.Groups["target"].Value.StartsWith("../reference/", StringComparison.Ordinal) || m.Groups["target"].Value.StartsWith("../tests/", StringComparison.Ordinal)), $"no reference in reference/ or tests/: {row}");
            Assert.True(Link().Matches(cells[4]).Any(m => m.Groups["text"].Value.Contains("Properties.", StringComparison.Ordinal)), $"no property: {row}");
        }
    }

    /// <summary>The checker itself: a missing file, type or member is reported, an existing one is not.</summary>
    [Fact]
    public void TheLinkCheckerFindsWhatIsMissing()
    {
        string docs = Path.Combine(Root, "docs");
        var problems = new List<string>();
        Assert.Equal(1, CheckLinks("[`Softmax.LogForward`](../src/Kernels/Softmax.cs)", docs, problems));
        Assert.Empty(problems);
        CheckLinks("[`Softmax.LogBackward`](../src/Kernels/Softmax.cs)", docs, problems);
        CheckLinks("[`Softmux.Forward`](../src/Kernels/Softmax.cs)", docs, problems);
        CheckLinks("[`Softmax.Forward`](../src/Kernels/Softmix.cs)", docs, problems);
        CheckLinks("[`SoftmaxProperties.ForwardMatchesReferenc`](../tests/Properties/Kernels/SoftmaxProperties.cs)", docs, problems);
        Assert.Equal(4, problems.Count);
    }

    [Fact]
    public void WorkedExampleNumbersAreTheLibrarys()
    {
        (double loss0, double[][] w1, double[][] w2, double loss1) = ParseWorkedExample(File.ReadAllText(DocPath));

        // The library: one epoch of one full batch from the textbook's weights.
        Network<double> network = StairsData.InitialNetwork<double>();
        Dataset<double> train = StairsData.Dataset<double>("train.csv");
        var options = new TrainerOptions { BatchSize = 400, Epochs = 1, Shuffle = false, LearningRate = LearningRateSchedule.Constant(0.1), DegreeOfParallelism = 1 };
        using var trainer = new Trainer<double>(network, new SgdOptimizer<double>(network.Shape.ParameterCount), options);
        double libraryLoss0 = trainer.ComputeLoss(train.Features, train.Labels);
        trainer.Fit(train);
        double[,] libraryW1 = Export(network, 0), libraryW2 = Export(network, 1);
        double libraryLoss1 = trainer.ComputeLoss(train.Features, train.Labels);

        // The formulas with plain loops.
        (double[] features, int[] labels) = StairsData.Load("train.csv");
        double[,] x = TrainerProperties.To2D(features, 4);
        double[,] w1Start = TrainerProperties.To2D(WorkedExample.W1.ToArray(), 2), w2Start = TrainerProperties.To2D(WorkedExample.W2.ToArray(), 2);
        double formulaLoss0 = Properties.Training.Reference.Loss([w1Start, w2Start], HiddenActivation.Sigmoid, x, labels);
        (double[,] dW1, double[,] dW2) = BackpropagationProperties.TextbookGradients(w1Start, w2Start, x, labels);
        double[,] formulaW1 = Step(w1Start, dW1), formulaW2 = Step(w2Start, dW2);
        double formulaLoss1 = Properties.Training.Reference.Loss([formulaW1, formulaW2], HiddenActivation.Sigmoid, x, labels);

        var problems = new List<string>();
        Compare("initial loss", loss0, libraryLoss0, formulaLoss0, problems);
        Compare("loss after step 1", loss1, libraryLoss1, formulaLoss1, problems);
        CompareMatrix("W1", w1, libraryW1, formulaW1, problems);
        CompareMatrix("W2", w2, libraryW2, formulaW2, problems);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>Checks each relative link; returns how many named a symbol.</summary>
    internal static int CheckLinks(string markdown, string baseDirectory, List<string> problems)
    {
        int symbols = 0;
        foreach (Match link in Link().Matches(markdown))
        {
            string target = link.Groups["target"].Value;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith('#'))
            {
                continue;
            }

            string file = Path.GetFullPath(Path.Combine(baseDirectory, target.Split('#')[0]));
            if (!File.Exists(file) && !Directory.Exists(file))
            {
                problems.Add($"{link.Value}: no file {target}");
                continue;
            }

            Match symbol = Symbol().Match(link.Groups["text"].Value);
            if (!symbol.Success || !file.EndsWith(".cs", StringComparison.Ordinal))
            {
                continue;
            }

            symbols++;
            string source = File.ReadAllText(file);
            string type = symbol.Groups["type"].Value;
            if (!Regex.IsMatch(source, $@"\b(class|struct|record|interface|enum)\s+{type}\b"))
            {
                problems.Add($"{link.Value}: {target} declares no type {type}");
                continue;
            }

            string member = symbol.Groups["member"].Value;
            // A declaration: a return type (or modifier) right before the name, then optional type parameters and '('.
            if (member.Length > 0 && !Regex.IsMatch(source, $@"[\w>\])?]\s+{member}\s*(<[^()]*>)?\s*\("))
            {
                problems.Add($"{link.Value}: {target} declares no method {member}");
            }
        }

        return symbols;
    }

    internal static (double Loss0, double[][] W1, double[][] W2, double Loss1) ParseWorkedExample(string doc)
    {
        int start = doc.IndexOf("```text worked-example\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "no worked-example block");
        int end = doc.IndexOf("```", start + 10, StringComparison.Ordinal);
        string[] lines = doc[start..end].Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        double loss0 = double.NaN, loss1 = double.NaN;
        var matrices = new Dictionary<string, List<double[]>>();
        List<double[]>? current = null;
        foreach (string line in lines)
        {
            if (line.StartsWith("initial loss:", StringComparison.Ordinal))
            {
                loss0 = Parse(line.Split(':')[1]);
            }
            else if (line.StartsWith("loss after step 1:", StringComparison.Ordinal))
            {
                loss1 = Parse(line.Split(':')[1]);
            }
            else if (line.EndsWith("after step 1:", StringComparison.Ordinal))
            {
                matrices[line.Split(' ')[0]] = current = [];
            }
            else
            {
                Assert.True(current is not null, $"a matrix row before its name: {line}");
                current.Add(line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToArray());
            }
        }

        return (loss0, [.. matrices["W1"]], [.. matrices["W2"]], loss1);
    }

    private static double Parse(string text) => double.Parse(text.Trim().Replace('−', '-'), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static double[,] Export(Network<double> network, int layer)
    {
        LayerView<double> view = network.Layer(layer);
        double[] flat = new double[(view.FanIn + 1) * view.FanOut];
        network.ExportAugmented(layer, new MatrixSpan<double>(flat, view.FanIn + 1, view.FanOut));
        return TrainerProperties.To2D(flat, view.FanOut);
    }

    private static double[,] Step(double[,] w, double[,] dw)
    {
        var next = new double[w.GetLength(0), w.GetLength(1)];
        for (int i = 0; i < w.GetLength(0); i++)
        {
            for (int j = 0; j < w.GetLength(1); j++)
            {
                next[i, j] = w[i, j] - (0.1 * dw[i, j]);
            }
        }

        return next;
    }

    private static void Compare(string what, double printed, double library, double formula, List<string> problems)
    {
        // The doc prints 10 significant digits: half a unit of the last one is ≤ 5e−10 relative.
        if (!(Math.Abs(printed - library) <= 1e-9 * Math.Abs(library)) || !(Math.Abs(printed - formula) <= 1e-9 * Math.Abs(formula)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{what}: the doc says {printed:R}, the library gives {library:G10}, the formulas {formula:G10}"));
        }
    }

    private static void CompareMatrix(string name, double[][] printed, double[,] library, double[,] formula, List<string> problems)
    {
        if (printed.Length != library.GetLength(0) || printed.Any(r => r.Length != library.GetLength(1)))
        {
            problems.Add($"{name}: the doc's matrix is not {library.GetLength(0)} × {library.GetLength(1)}");
            return;
        }

        for (int i = 0; i < printed.Length; i++)
        {
            for (int j = 0; j < printed[i].Length; j++)
            {
                Compare($"{name}[{i},{j}]", printed[i][j], library[i, j], formula[i, j], problems);
            }
        }
    }

    [GeneratedRegex(@"\[(?<text>[^\]]+)\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^`?(?<type>[A-Z]\w*)(\.(?<member>[A-Z]\w*))?`?$")]
    private static partial Regex Symbol();

    [GeneratedRegex(@"^\| \d+ \|")]
    private static partial Regex FormulaRow();
}
