using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Training;
using Backprop.Training.Persistence;

namespace Backprop.Cli;

/// <summary>
/// <c>gradcheck</c>: the gradient property test made visible. Builds a random (or loaded) network and
/// random rows, computes every gradient with backpropagation, and compares each with a central
/// finite difference (Richardson-extrapolated) of the plain-loop loss the tests judge by
/// (<see cref="MlpReference"/>), independent of the library's forward pass. Prints the largest relative difference per parameter tensor and exits 1
/// above the threshold.
/// </summary>
internal static class GradCheckCommand
{
    private static readonly string[] Activations = ["sigmoid", "tanh", "relu"];
    private static readonly string[] ElementTypes = ["float", "double"];

    /// <summary>The most random rows <c>--rows</c> accepts.</summary>
    public const int MaxRows = 10_000;

    public static Command Create(CliConsole console)
    {
        var model = new Option<string?>("--model", "-m") { Description = "Check this saved model's network instead of a random one.", HelpName = "FILE" };
        var layers = new Option<string>("--layers") { Description = "Layer sizes of the random network, input to output.", DefaultValueFactory = _ => "4-8-6-3", HelpName = "SIZES" };
        var activation = new Option<string>("--activation") { Description = "Hidden activation of the random network.", DefaultValueFactory = _ => "tanh" };
        activation.AcceptOnlyFromAmong(Activations);
        var rows = new Option<int>("--rows") { Description = "Random input rows (features uniform in ±2, random labels).", DefaultValueFactory = _ => 8, HelpName = "N" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random network and rows.", DefaultValueFactory = _ => 1 };
        var elementType = new Option<string>("--element-type") { Description = "Element type of the backpropagation under test (finite differences are always in double).", DefaultValueFactory = _ => "double" };
        elementType.AcceptOnlyFromAmong(ElementTypes);
        var step = new Option<double>("--step") { Description = "Finite-difference step h.", DefaultValueFactory = _ => 1e-3, HelpName = "H" };
        var threshold = new Option<double?>("--threshold") { Description = "Largest relative difference accepted (default 1e-6 for double, 1e-2 for float).", HelpName = "X" };
        var floor = new Option<double?>("--floor") { Description = "Relative differences are taken against max(|backprop|, |numeric|, floor) (default 2e-5 for double, 1e-2 for float).", HelpName = "X" };
        var maxChecks = new Option<int>("--max-checks") { Description = "Check at most this many parameters per tensor (a seeded sample of larger tensors).", DefaultValueFactory = _ => 400, HelpName = "N" };
        var command = new Command("gradcheck", "Compare backpropagation with central finite differences, per parameter tensor; exit 1 when the largest relative difference is above the threshold.")
        {
            model, layers, activation, rows, seed, elementType, step, threshold, floor, maxChecks,
        };
        command.SetAction(result =>
        {
            bool isDouble = result.GetValue(elementType) == "double";
            var plan = new Plan(
                result.GetValue(model),
                result.GetValue(layers)!,
                Enum.Parse<HiddenActivation>(result.GetValue(activation)!, ignoreCase: true),
                result.GetValue(rows),
                result.GetValue(seed),
                result.GetValue(step),
                result.GetValue(threshold) ?? (isDouble ? 1e-6 : 1e-2),
                result.GetValue(floor) ?? (isDouble ? 2e-5 : 1e-2),
                result.GetValue(maxChecks));
            if (plan.Rows < 1 || !(plan.Step > 0) || !(plan.Threshold > 0) || !(plan.Floor > 0) || plan.MaxChecks < 1)
            {
                throw new UsageException("--rows and --max-checks must be at least 1; --step, --threshold and --floor must be positive.");
            }

            if (plan.Rows > MaxRows)
            {
                throw new UsageException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--rows {plan.Rows}: expected at most {MaxRows} (a gradient check needs a few rows, not a data set)."));
            }

            return isDouble ? Run<double>(plan, console) : Run<float>(plan, console);
        });
        return command;
    }

    private static int Run<T>(Plan plan, CliConsole console)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(plan.Seed);
        NetworkShape shape;
        double[] weights;
        string origin;
        if (plan.Model is not null)
        {
            TrainedModel loaded = ModelFile.Load(plan.Model);
            shape = loaded.Shape;
            weights = loaded switch
            {
                TrainedModel<float> f => [.. f.Network.Parameters.ToArray().Select(v => (double)v)],
                TrainedModel<double> d => d.Network.Parameters.ToArray(),
                _ => throw new InvalidDataException("unsupported element type"),
            };
            origin = plan.Model;
        }
        else
        {
            try
            {
                shape = new NetworkShape(CliApp.ParseSizes(plan.Layers, "--layers"), plan.Activation);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--layers {plan.Layers}: {e.Message}");
            }

            weights = new double[shape.ParameterCount];
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = (random.NextDouble() * 2) - 1;
            }

            origin = "random weights in ±1";
        }

        // The network under test holds the weights rounded to T; the reference uses exactly those values.
        var network = new Network<T>(shape);
        for (int i = 0; i < weights.Length; i++)
        {
            network.Parameters[i] = T.CreateTruncating(weights[i]);
            weights[i] = double.CreateTruncating(network.Parameters[i]);
        }

        int n = plan.Rows;
        int inputs = shape.Inputs;
        var xT = new T[n * inputs];
        double[] x = new double[n * inputs];
        for (int i = 0; i < x.Length; i++)
        {
            xT[i] = T.CreateTruncating((random.NextDouble() * 4) - 2);
            x[i] = double.CreateTruncating(xT[i]);
        }

        int[] y = [.. Enumerable.Range(0, n).Select(_ => random.Next(shape.Outputs))];
        using var trainer = new Trainer<T>(network, new SgdOptimizer<T>(shape.ParameterCount), new TrainerOptions { BatchSize = n });
        trainer.ComputeGradients(new ReadOnlyMatrixSpan<T>(xT, n, inputs), y);
        double[] analytic = [.. network.Gradients.ToArray().Select(g => double.CreateTruncating(g))];

        var reference = new ReferenceLoss(shape, x, y);
        TextWriter o = console.Out;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Gradient check: {shape}, {(typeof(T) == typeof(float) ? "float" : "double")} backprop, {shape.ParameterCount:N0} parameters ({origin}), {n} random rows, seed {plan.Seed}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Judge: central differences of a plain-loop double loss, h = {Sci(plan.Step)} with Richardson extrapolation; relative difference |backprop − numeric| / max(|backprop|, |numeric|, {Sci(plan.Floor)})"));
        o.WriteLine();
        o.WriteLine("  tensor               size   checked   skipped   max rel diff   at");
        double worst = 0;
        string worstWhere = string.Empty;
        int totalSkipped = 0;
        for (int l = 0; l < shape.LayerCount; l++)
        {
            int offset = shape.ParameterOffset(l);
            int fanOut = shape.FanOut(l);
            int size = (shape.FanIn(l) + 1) * fanOut;
            for (int part = 0; part < 2; part++)
            {
                int start = part == 0 ? offset : offset + fanOut;
                int count = part == 0 ? fanOut : size - fanOut;
                int[] indices = Sample(start, count, plan.MaxChecks, random);
                double max = 0;
                int maxAt = -1;
                int skipped = 0;
                foreach (int i in indices)
                {
                    double numeric = reference.Derivative(weights, i, plan.Step, out bool kink);
                    if (kink)
                    {
                        skipped++;
                        continue;
                    }

                    double a = analytic[i];
                    double error = Math.Abs(a - numeric) / Math.Max(Math.Max(Math.Abs(a), Math.Abs(numeric)), plan.Floor);
                    if (double.IsNaN(error))
                    {
                        error = double.PositiveInfinity;
                    }

                    if (error > max || maxAt < 0)
                    {
                        max = error;
                        maxAt = i;
                    }
                }

                totalSkipped += skipped;
                string tensor = $"layer {l + 1} {(part == 0 ? "bias" : "weights")}";
                string at = maxAt < 0 ? "-" : part == 0
                    ? $"[{maxAt - start}]"
                    : $"[{(maxAt - start) / fanOut}, {(maxAt - start) % fanOut}]";
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {tensor,-18} {count,6}   {indices.Length - skipped,7}   {skipped,7}   {(maxAt < 0 ? "-" : max.ToString("0.00e+00", CultureInfo.InvariantCulture)),12}   {at}"));
                if (maxAt >= 0 && (max > worst || worstWhere.Length == 0))
                {
                    worst = max;
                    worstWhere = $"{tensor} {at}";
                }
            }
        }

        o.WriteLine();
        if (totalSkipped > 0)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{totalSkipped} parameters skipped: their step crossed a ReLU kink, where a finite difference measures nothing."));
        }

        if (worst <= plan.Threshold)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"OK: largest relative difference {worst:0.00e+00} ({worstWhere}) ≤ threshold {Sci(plan.Threshold)}."));
            return ExitCodes.Success;
        }

        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FAILED: largest relative difference {worst:0.00e+00} ({worstWhere}) > threshold {Sci(plan.Threshold)}."));
        console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"error: backpropagation disagrees with finite differences: {worst:0.00e+00} at {worstWhere} (threshold {Sci(plan.Threshold)})."));
        return ExitCodes.GradientMismatch;
    }

    private static string Sci(double value) => value.ToString("0.##e-00", CultureInfo.InvariantCulture);

    /// <summary>All indices of a tensor, or a seeded sample of <paramref name="max"/> of them, ascending.</summary>
    private static int[] Sample(int start, int count, int max, Random random)
    {
        if (count <= max)
        {
            return [.. Enumerable.Range(start, count)];
        }

        int[] all = [.. Enumerable.Range(start, count)];
        random.Shuffle(all);
        return [.. all.Take(max).Order()];
    }

    private sealed record Plan(string? Model, string Layers, HiddenActivation Activation, int Rows, int Seed, double Step, double Threshold, double Floor, int MaxChecks);

    /// <summary>
    /// The judge: the tests' plain-loop MLP (<see cref="MlpReference"/>, reference/MlpReference.cs) in
    /// double, differentiated numerically, with the signs of the hidden pre-activations (to detect ReLU kinks).
    /// </summary>
    private sealed class ReferenceLoss(NetworkShape shape, double[] x, int[] y)
    {
        private readonly int[] _layerSizes = shape.LayerSizes.ToArray();
        private readonly double[,] _x = MlpReference.To2D(x, shape.Inputs);
        private readonly MlpActivation _activation = Enum.Parse<MlpActivation>(shape.HiddenActivation.ToString());
        private bool[]? _signs;

        /// <summary>Richardson-extrapolated central difference <c>(4·D(h/2) − D(h)) / 3</c> for parameter <paramref name="index"/>.</summary>
        public double Derivative(double[] weights, int index, double h, out bool kink)
        {
            bool[] baseSigns = Signs(weights);
            double original = weights[index];
            bool crossed = false;
            double Difference(double step)
            {
                weights[index] = original + step;
                double plus = Loss(weights, out bool[] sp);
                weights[index] = original - step;
                double minus = Loss(weights, out bool[] sm);
                weights[index] = original;
                if (shape.HiddenActivation == HiddenActivation.Relu)
                {
                    crossed |= !sp.AsSpan().SequenceEqual(baseSigns) || !sm.AsSpan().SequenceEqual(baseSigns);
                }

                return (plus - minus) / (2 * step);
            }

            double result = ((4 * Difference(h / 2)) - Difference(h)) / 3;
            kink = crossed;
            return result;
        }

        private bool[] Signs(double[] weights)
        {
            if (_signs is null)
            {
                Loss(weights, out bool[] signs);
                _signs = signs;
            }

            return _signs;
        }

        private double Loss(double[] parameters, out bool[] signs)
        {
            double[][,] layers = MlpReference.Unflatten(_layerSizes, parameters);
            signs = shape.HiddenActivation == HiddenActivation.Relu ? MlpReference.HiddenSigns(layers, _activation, _x) : [];
            return MlpReference.Loss(layers, _activation, _x, y);
        }
    }
}
