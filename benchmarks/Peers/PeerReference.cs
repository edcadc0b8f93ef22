using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Backprop.Kernels;
using Backprop.Training;
using Backprop.Benchmarks.Reporting;
using Backprop.Benchmarks.Training;

namespace Backprop.Benchmarks.Peers;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks -- peer-reference --out DIR [--case 784-256-10x128 ...]</c>:
/// for each training-step case (default: every case of <see cref="TrainingStepBenchmarks{T}"/>) writes
/// <c>DIR/&lt;case&gt;.f32ref</c> with this project's float32 step, set up exactly as the benchmark
/// (network seed 1, inputs and labels from <c>new Random(2)</c>, learning rate 1e-3, one thread), so the
/// Python peers in <c>benchmarks/Peers/python/</c> can check their own step against it before timing.
/// Also writes <c>DIR/results-folder.txt</c>: this machine's results folder, so the peers' CSV lands
/// beside the benchmark CSVs without a second copy of <see cref="ResultsFolder.CpuSlug"/>.
/// </summary>
/// <remarks>
/// File format: one line of JSON (UTF-8, ends with <c>\n</c>) naming the case, layer sizes, rows,
/// learning rate, the loss the step returned and the arrays that follow, in order, as raw
/// little-endian values: <c>parameters</c> (float32, layer by layer: bias then row-major
/// fan_in × fan_out weights, <see cref="Network{T}.Parameters"/>'s layout), <c>inputs</c> (float32,
/// rows × features, row-major), <c>labels</c> (int32), <c>gradients</c> (float32, the step's
/// <see cref="Network{T}.Gradients"/>) and <c>parameters_after</c> (float32, after the SGD update).
/// </remarks>
public static class PeerReference
{
    /// <summary>The network seed, data seed and learning rate of <see cref="TrainingStepBenchmarks{T}"/>.</summary>
    private const ulong NetworkSeed = 1;
    private const int DataSeed = 2;
    private const double LearningRate = 1e-3;

    private static readonly string[] DefaultCases = ["2-3-2x500", "4-2-2x500", "64-128-10x64", "784-256-10x128", "784-1024-1024-10x256"];

    /// <returns>0 on success, 2 on a bad command line.</returns>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? output = null;
        var cases = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--out" && i + 1 < args.Length)
            {
                output = args[++i];
            }
            else if (args[i] == "--case" && i + 1 < args.Length)
            {
                cases.Add(args[++i]);
            }
            else
            {
                return Usage($"unknown or incomplete argument '{args[i]}'");
            }
        }

        if (output is null)
        {
            return Usage("--out DIR is required");
        }

        if (cases.Count == 0)
        {
            cases.AddRange(DefaultCases);
        }

        foreach (string c in cases)
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(c, @"^\d+(-\d+)+x\d+$"))
            {
                return Usage($"--case '{c}' is not layer sizes and batch rows like 784-256-10x128");
            }
        }

        Directory.CreateDirectory(output);
        foreach (string c in cases)
        {
            string path = Path.Combine(output, c + ".f32ref");
            float loss = Write(c, path);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {path} (loss {loss:G9})"));
        }

        File.WriteAllText(Path.Combine(output, "results-folder.txt"), Path.Combine(ResultsFolder.ResultsRoot(), ResultsFolder.CpuSlug()) + "\n");
        return 0;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"peer-reference: {problem}.");
        Console.Error.WriteLine("usage: dotnet run -c Release --project benchmarks -- peer-reference --out DIR [--case 784-256-10x128 ...]");
        return 2;
    }

    /// <summary>One step of <see cref="Trainer{T}"/> (float) on the benchmark's setup; returns its loss.</summary>
    private static float Write(string caseText, string path)
    {
        (int[] sizes, int rows) = TrainingStepBenchmarks<float>.Parse(caseText);
        var shape = new NetworkShape(sizes, HiddenActivation.Sigmoid);
        var network = new Network<float>(shape, NetworkSeed);
        using var trainer = new Trainer<float>(network, new SgdOptimizer<float>(shape.ParameterCount),
            new TrainerOptions { BatchSize = rows, DegreeOfParallelism = 1, LearningRate = LearningRateSchedule.Constant(LearningRate) });
        var random = new Random(DataSeed);
        float[] inputs = [.. Enumerable.Range(0, rows * sizes[0]).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        int[] labels = [.. Enumerable.Range(0, rows).Select(_ => random.Next(sizes[^1]))];
        float[] before = network.Parameters.ToArray();
        float loss = trainer.Step(new ReadOnlyMatrixSpan<float>(inputs, rows, sizes[0]), labels);

        var header = new StringBuilder();
        header.Append(CultureInfo.InvariantCulture, $"{{\"format\": \"backprop-step-reference-1\", \"case\": \"{caseText}\", ");
        header.Append("\"layers\": [").AppendJoin(", ", sizes.Select(s => s.ToString(CultureInfo.InvariantCulture))).Append("], ");
        header.Append(CultureInfo.InvariantCulture, $"\"rows\": {rows}, \"hidden\": \"sigmoid\", \"learning_rate\": {LearningRate:R}, \"loss\": {loss:R}, ");
        header.Append(CultureInfo.InvariantCulture, $"\"network_seed\": {NetworkSeed}, \"data_seed\": {DataSeed}, ");
        header.Append(CultureInfo.InvariantCulture, $"\"arrays\": [[\"parameters\", \"float32\", {before.Length}], [\"inputs\", \"float32\", {inputs.Length}], ");
        header.Append(CultureInfo.InvariantCulture, $"[\"labels\", \"int32\", {labels.Length}], [\"gradients\", \"float32\", {before.Length}], [\"parameters_after\", \"float32\", {before.Length}]]}}\n");

        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.Write(Encoding.UTF8.GetBytes(header.ToString()));
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The reference file is little-endian; this machine is not.");
        }

        file.Write(MemoryMarshal.AsBytes(before.AsSpan()));
        file.Write(MemoryMarshal.AsBytes(inputs.AsSpan()));
        file.Write(MemoryMarshal.AsBytes(labels.AsSpan()));
        file.Write(MemoryMarshal.AsBytes(network.Gradients));
        file.Write(MemoryMarshal.AsBytes(network.Parameters));
        return loss;
    }
}
