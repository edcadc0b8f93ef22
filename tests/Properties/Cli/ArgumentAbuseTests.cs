using System.Globalization;
using Backprop.Cli;
using Backprop.Properties.Support;
using Xunit.Abstractions;

namespace Backprop.Properties.Cli;

/// <summary>
/// Generated argument sets: a random command with random valid options, plus at most one generated
/// fault (an out-of-range or malformed value, an unknown option, a missing or garbage file, a
/// learning rate that makes training explode). For each: the exit code documented for that fault
/// (0 for none), one line on standard error, never 70, every input byte-identical and no temporary
/// file left. Seeded (BACKPROP_FUZZ_SEED to replay); BACKPROP_FUZZ=soak runs 1500 instead of 60.
/// </summary>
public sealed class ArgumentAbuseTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void HostileArgumentSetsGiveTheirDocumentedExitCode()
    {
        int seed = HostileFiles.Seed(2026);
        var random = new Random(seed);
        int cases = HostileFiles.Soak ? 1500 : 60;
        var counts = new Dictionary<string, int>();
        File.WriteAllBytes(_h.PathOf("garbage.bpm"), [.. Enumerable.Range(0, 300).Select(i => (byte)random.Next(256))]);
        for (int i = 0; i < cases; i++)
        {
            string command = random.Next(5) switch { 0 or 1 => "train", 2 => "predict", 3 => "gradcheck", _ => "evaluate" };
            string outputPath = _h.PathOf($"out{i}");
            (List<string> args, int code, string fault) = command switch
            {
                "train" => Train(random, outputPath),
                "predict" => Predict(random, outputPath),
                "gradcheck" => GradCheck(random),
                _ => Evaluate(random),
            };
            string context = $"case {i} (seed {seed}): {fault}: {string.Join(' ', args)}";
            CliResult r = CliHarness.Run(null, [.. args]);
            Assert.NotEqual(ExitCodes.InternalError, r.Code);
            CliHarness.AssertError(r, code, context);
            _h.AssertInputsUnchanged(context);
            _h.AssertNoTemporaryFiles(context);
            if (code != 0 && command != "evaluate")
            {
                Assert.False(File.Exists(outputPath), $"{context}: an output was written on error");
            }

            string key = $"{command,-8} {fault} → {code}";
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        foreach ((string key, int n) in counts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{n,5}  {key}");
        }
    }

    private static string Pick(Random random, params string[] values) => values[random.Next(values.Length)];

    private static string Number(Random random, double low, double high) =>
        (low + ((high - low) * random.NextDouble())).ToString("R", CultureInfo.InvariantCulture);

    private (List<string> Args, int Code, string Fault) Train(Random random, string output)
    {
        var args = new List<string> { "train", "--data", _h.TrainCsv, "-q", "-o", output };
        int maxThreads = TrainCommand.MaxThreadsPerProcessor * Environment.ProcessorCount;
        (string[] Fault, int Code, string Name) chosen = random.Next(16) switch
        {
            0 => (["--threads", Pick(random, "0", "-1", (maxThreads + 1).ToString(CultureInfo.InvariantCulture), random.Next(maxThreads + 1, int.MaxValue).ToString(CultureInfo.InvariantCulture), "100000")], ExitCodes.Usage, "threads out of range"),
            1 => (["--threads", Pick(random, "many", "1.5", "", "99999999999999")], ExitCodes.Usage, "threads not a number"),
            2 => (["--epochs", Pick(random, "0", "-3", "x", "1e3")], ExitCodes.Usage, "bad epochs"),
            3 => (["--learning-rate", Pick(random, "0", "-1", "NaN", "Infinity", "-Infinity", "abc")], ExitCodes.Usage, "bad learning rate"),
            4 => (["--learning-rate", Number(random, 1e5, 1e8), "--optimizer", "sgd", "--activation", "relu", "--scaling", "none", "--epochs", "20"], ExitCodes.Diverged, "exploding learning rate"),
            5 => (["--batch-size", Pick(random, "0", "-1", "half", "")], ExitCodes.Usage, "bad batch size"),
            6 => (["--hidden", Pick(random, "0", "x", "3,,2", "-1", "99999999999")], ExitCodes.Usage, "bad hidden sizes"),
            7 => (["--validation-split", Pick(random, "1", "-0.1", "NaN", "2")], ExitCodes.Usage, "bad validation split"),
            8 => (["--divergence-factor", Pick(random, "1", "0.5", "NaN", "-2")], ExitCodes.Usage, "bad divergence factor"),
            9 => (["--momentum", Pick(random, "1", "-0.5", "NaN")], ExitCodes.Usage, "bad momentum"),
            10 => (["--delimiter", Pick(random, "ab", "\"", "é", "")], ExitCodes.Usage, "bad delimiter"),
            11 => (["--" + new string((char)('a' + random.Next(26)), random.Next(3, 12))], ExitCodes.Usage, "unknown option"),
            12 => (["--data", _h.PathOf("missing" + random.Next() + ".csv")], ExitCodes.FileProblem, "missing data"),
            13 => (["--test", _h.PathOf("missing.csv")], ExitCodes.FileProblem, "missing test data"),
            14 => (["--layers", Pick(random, "6-2-2", "5-2-3", "5")], ExitCodes.Usage, "layers not matching the data"),
            _ => ([], ExitCodes.Success, "none"),
        };
        (string[] fault, int code, string name) = chosen;
        if (fault.Contains("--data"))
        {
            args.RemoveRange(1, 2);
        }

        args.AddRange(fault);
        var benign = new List<(string, string)>
        {
            ("--epochs", random.Next(1, 3).ToString(CultureInfo.InvariantCulture)),
            ("--threads", random.Next(1, Math.Min(3, TrainCommand.MaxThreadsPerProcessor * Environment.ProcessorCount) + 1).ToString(CultureInfo.InvariantCulture)),
            ("--seed", random.NextInt64(0, long.MaxValue).ToString(CultureInfo.InvariantCulture)),
            ("--element-type", Pick(random, "float", "double")),
            ("--scaling", Pick(random, "standardize", "minmax")), // unscaled pixels with η = 0.001 may really diverge
            ("--activation", Pick(random, "sigmoid", "tanh", "relu")),
            ("--optimizer", Pick(random, "sgd", "momentum", "nesterov", "adam")),
            ("--hidden", Pick(random, "none", "2", "3,2")),
            ("--batch-size", Pick(random, "1", "7", "full", "1000")),
            ("--validation-split", Pick(random, "0", "0.25")),
            ("--test", _h.TestCsv),
        };
        bool hasEpochs = fault.Contains("--epochs");
        foreach ((string option, string value) in benign.Where(_ => random.Next(2) == 0))
        {
            if (args.Contains(option) || (option == "--hidden" && fault.Contains("--layers")))
            {
                continue; // one value per option; --layers and --hidden conflict
            }

            hasEpochs |= option == "--epochs";
            args.AddRange([option, value]);
        }

        if (!hasEpochs)
        {
            args.AddRange(["--epochs", "1"]);
        }

        return (args, code, name);
    }

    private (List<string> Args, int Code, string Fault) Predict(Random random, string output)
    {
        string model = _h.Model;
        string input = _h.TestCsv;
        var extra = new List<string>();
        if (random.Next(2) == 0)
        {
            extra.AddRange(["--id", "ImageId"]);
        }

        (int code, string name) = (ExitCodes.Success, "none");
        switch (random.Next(7))
        {
            case 0:
                model = _h.PathOf("missing.bpm");
                (code, name) = (ExitCodes.FileProblem, "missing model");
                break;
            case 1:
                model = _h.PathOf("garbage.bpm");
                (code, name) = (ExitCodes.InvalidData, "garbage model");
                break;
            case 2:
                input = _h.PathOf("missing.csv");
                (code, name) = (ExitCodes.FileProblem, "missing input");
                break;
            case 3:
                extra.AddRange(["--header", Pick(random, "maybe", "", "1")]);
                (code, name) = (ExitCodes.Usage, "bad --header");
                break;
            case 4:
                extra.AddRange(["-o", Pick(random, string.Empty, " ")]);
                (code, name) = (ExitCodes.Usage, "blank output");
                break;
            default:
                break;
        }

        return ([.. new[] { "predict", model, input }, .. extra, .. (extra.Contains("-o") ? Array.Empty<string>() : ["-o", output])], code, name);
    }

    private (List<string> Args, int Code, string Fault) GradCheck(Random random) => random.Next(6) switch
    {
        0 => (["gradcheck", "--rows", Pick(random, "0", "-1", "10001", "2000000000", int.MaxValue.ToString(CultureInfo.InvariantCulture))], ExitCodes.Usage, "rows out of range"),
        1 => (["gradcheck", Pick(random, "--step", "--threshold", "--floor"), Pick(random, "0", "-1", "NaN")], ExitCodes.Usage, "non-positive step, threshold or floor"),
        2 => (["gradcheck", "--layers", Pick(random, "3", "100000-100000-3", "4-0-2", "a-b")], ExitCodes.Usage, "bad layers"),
        3 => (["gradcheck", "--model", _h.PathOf("garbage.bpm")], ExitCodes.InvalidData, "garbage model"),
        4 => (["gradcheck", "--model", _h.PathOf("missing.bpm")], ExitCodes.FileProblem, "missing model"),
        _ => (["gradcheck", "--rows", random.Next(1, 6).ToString(CultureInfo.InvariantCulture), "--seed", random.Next().ToString(CultureInfo.InvariantCulture), "--layers", "3-4-2"], ExitCodes.Success, "none"),
    };

    private (List<string> Args, int Code, string Fault) Evaluate(Random random) => random.Next(4) switch
    {
        0 => (["evaluate", _h.Model, "--data", _h.PathOf("missing.csv")], ExitCodes.FileProblem, "missing data"),
        1 => (["evaluate", _h.PathOf("garbage.bpm"), "--data", _h.TestCsv], ExitCodes.InvalidData, "garbage model"),
        2 => (["evaluate", _h.Model], ExitCodes.Usage, "no --data for a CSV-trained model"),
        _ => (["evaluate", _h.Model, "--data", _h.TestCsv], ExitCodes.Success, "none"),
    };
}
