using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Backprop.Kernels;
using Backprop.Training;
using Backprop.Training.Data;

namespace Backprop.Benchmarks.Peers;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks -- e2e-reference --out DIR</c>: writes <c>DIR/fashion-mnist.e2eref</c>, this project's first
/// training steps of the CLI's Fashion-MNIST default recipe (<see cref="FashionMnistRecipe"/>: 784-256-10
/// ReLU, He-uniform initialisation, Adam, warm-up + cosine schedule, label smoothing, standardised
/// pixels), so the end-to-end peers in <c>benchmarks/Peers/python/fashion_mnist.py</c> can check their
/// scaling, loss, gradients, optimiser and schedule against it before they are timed; and, as
/// <see cref="PeerReference"/> does, <c>DIR/results-folder.txt</c>, this machine's results folder.
/// </summary>
/// <remarks>
/// File format: one line of JSON (UTF-8, ends with <c>\n</c>) with the recipe's settings, the losses
/// <see cref="Trainer{T}.Step"/> returned, the learning rate of each step, the schedule's rate at a few
/// probe steps, and the arrays that follow, in order, as raw little-endian values: <c>offsets</c> and
/// <c>scales</c> (float64, the standardisation <see cref="FeatureScaling"/> fitted on the 60,000 training
/// rows, <c>x′ = (x − offset) × scale</c>), <c>parameters</c> (float32, the initial network, layer by layer:
/// bias then row-major fan_in × fan_out weights), <c>inputs</c> (float32, the first
/// <c>steps × batch</c> standardised training rows, unshuffled), <c>labels</c> (int32), then per step
/// <c>k</c> <c>gradients_k</c> and <c>parameters_k</c> (float32, after the update). Step <c>k</c> trains
/// on rows <c>k·batch … (k+1)·batch − 1</c>.
/// </remarks>
public static class EndToEndReference
{
    /// <summary>The reference file's name in the output folder.</summary>
    public const string FileName = "fashion-mnist.e2eref";

    private const int Steps = 3;

    /// <returns>0 on success, 1 when the data are missing, 2 on a bad command line.</returns>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length != 2 || args[0] != "--out")
        {
            Console.Error.WriteLine("e2e-reference: usage: dotnet run -c Release --project benchmarks -- e2e-reference --out DIR");
            return 2;
        }

        if (!FashionMnist.IsInstalled())
        {
            Console.Error.WriteLine($"e2e-reference: Fashion-MNIST is not installed; install it with: {FashionMnist.InstallCommand}");
            return 1;
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The reference file is little-endian; this machine is not.");
        }

        LabeledData<float> train = FashionMnist.Load<float>(train: true);
        FeatureScaling scaling = FeatureScaling.Fit<float>(train.FeatureMatrix, ScalingKind.Standardize);
        train.Scale(scaling);
        int batch = FashionMnistRecipe.BatchSize, features = FashionMnist.Features, rows = Steps * batch;
        var shape = new NetworkShape([features, .. FashionMnistRecipe.Hidden, 10], HiddenActivation.Relu);
        var network = new Network<float>(shape);
        network.InitializeHeUniform(FashionMnistRecipe.Seed);
        TrainerOptions options = FashionMnistRecipe.Options(train.Count, FashionMnistRecipe.Epochs, threads: 1);
        AdamOptimizer<float> optimizer = FashionMnistRecipe.CreateOptimizer<float>(shape);
        using var trainer = new Trainer<float>(network, optimizer, options);

        float[] inputs = train.Features.Span[..(rows * features)].ToArray();
        int[] labels = train.Labels.Span[..rows].ToArray();
        float[] before = network.Parameters.ToArray();
        var losses = new List<float>();
        var rates = new List<double>();
        var trail = new List<float[]>();
        for (int k = 0; k < Steps; k++)
        {
            rates.Add(options.LearningRate.Rate(0, k));
            losses.Add(trainer.Step(new ReadOnlyMatrixSpan<float>(inputs.AsSpan(k * batch * features, batch * features), batch, features), labels.AsSpan(k * batch, batch)));
            trail.Add(network.Gradients.ToArray());
            trail.Add(network.Parameters.ToArray());
        }

        long stepsPerEpoch = ((train.Count - 1) / batch) + 1, total = stepsPerEpoch * FashionMnistRecipe.Epochs;
        long warmup = FashionMnistRecipe.WarmupSteps(FashionMnistRecipe.WarmupEpochs, stepsPerEpoch);
        long[] probes = [0, 1, warmup - 1, warmup, warmup + 1, total / 2, total - 1, total, total + 5];
        string Json(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        string Ints(IEnumerable<long> v) => string.Join(", ", v.Select(x => x.ToString(CultureInfo.InvariantCulture)));

        var header = new StringBuilder();
        header.Append("{\"format\": \"backprop-e2e-reference-1\", \"recipe\": \"").Append(FashionMnistRecipe.Describe(FashionMnistRecipe.Epochs)).Append("\", ");
        header.Append("\"layers\": [").Append(Ints(shape.LayerSizes.ToArray().Select(s => (long)s))).Append("], \"hidden\": \"relu\", \"init\": \"he-uniform\", ");
        header.Append(CultureInfo.InvariantCulture, $"\"batch\": {batch}, \"steps\": {Steps}, \"train_rows\": {train.Count}, \"epochs\": {FashionMnistRecipe.Epochs}, \"steps_per_epoch\": {stepsPerEpoch}, ");
        header.Append(CultureInfo.InvariantCulture, $"\"label_smoothing\": {Json(FashionMnistRecipe.LabelSmoothing)}, \"beta1\": {Json(optimizer.Beta1)}, \"beta2\": {Json(optimizer.Beta2)}, \"epsilon\": {Json(optimizer.Epsilon)}, \"weight_decay\": {Json(optimizer.WeightDecay)}, ");
        header.Append(CultureInfo.InvariantCulture, $"\"peak_rate\": {Json(FashionMnistRecipe.LearningRate)}, \"final_rate\": {Json(FashionMnistRecipe.LearningRate / 100)}, \"warmup_steps\": {warmup}, \"total_steps\": {total}, ");
        header.Append("\"rate_probes\": [").Append(Ints(probes)).Append("], \"rates_at_probes\": [").AppendJoin(", ", probes.Select(p => Json(options.LearningRate.Rate(0, p)))).Append("], ");
        header.Append("\"rates\": [").AppendJoin(", ", rates.Select(Json)).Append("], \"losses\": [").AppendJoin(", ", losses.Select(l => Json(l))).Append("], ");
        header.Append(CultureInfo.InvariantCulture, $"\"arrays\": [[\"offsets\", \"float64\", {features}], [\"scales\", \"float64\", {features}], [\"parameters\", \"float32\", {before.Length}], ");
        header.Append(CultureInfo.InvariantCulture, $"[\"inputs\", \"float32\", {inputs.Length}], [\"labels\", \"int32\", {labels.Length}]");
        for (int k = 0; k < Steps; k++)
        {
            header.Append(CultureInfo.InvariantCulture, $", [\"gradients_{k}\", \"float32\", {before.Length}], [\"parameters_{k}\", \"float32\", {before.Length}]");
        }

        header.Append("]}\n");
        string directory = Directory.CreateDirectory(args[1]).FullName;
        string path = Path.Combine(directory, FileName);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            file.Write(Encoding.UTF8.GetBytes(header.ToString()));
            file.Write(MemoryMarshal.AsBytes(scaling.Offsets));
            file.Write(MemoryMarshal.AsBytes(scaling.Scales));
            file.Write(MemoryMarshal.AsBytes(before.AsSpan()));
            file.Write(MemoryMarshal.AsBytes(inputs.AsSpan()));
            file.Write(MemoryMarshal.AsBytes(labels.AsSpan()));
            foreach (float[] a in trail)
            {
                file.Write(MemoryMarshal.AsBytes(a.AsSpan()));
            }
        }

        File.WriteAllText(Path.Combine(directory, "results-folder.txt"), Path.Combine(Reporting.ResultsFolder.ResultsRoot(), Reporting.ResultsFolder.CpuSlug()) + "\n");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {path} (losses {string.Join(", ", losses.Select(l => l.ToString("G9", CultureInfo.InvariantCulture)))})"));
        return 0;
    }
}
