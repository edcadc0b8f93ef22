using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using Backprop.Kernels;
using Backprop.Training;

namespace Backprop.Samples.AotStep;

/// <summary>
/// Times one training step of an MLP on seeded synthetic data and prints one line a script can
/// compare across runtimes: the median step time, the kernels' width and the weights' hash.
/// <c>Backprop.Samples.AotStep [--network 784-256-10] [--batch 128] [--steps 200] [--threads 1] [--double]</c>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            var options = Options.Parse(args);
            return options.Double ? Run<double>(options) : Run<float>(options);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine("usage: Backprop.Samples.AotStep [--network 784-256-10] [--batch 128] [--steps 200] [--threads 1] [--double]");
            return 2;
        }
    }

    private static int Run<T>(Options options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new NetworkShape(options.Layers, HiddenActivation.Sigmoid);
        int inputs = options.Layers[0];
        int classes = options.Layers[^1];
        var rng = new Random(7); // the same sequence under the JIT and NativeAOT
        var features = new T[options.Batch * inputs];
        var labels = new int[options.Batch];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = T.CreateTruncating(rng.NextDouble());
        }

        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = rng.Next(classes);
        }

        var network = new Network<T>(shape, seed: 1);
        var trainerOptions = new TrainerOptions
        {
            BatchSize = options.Batch,
            DegreeOfParallelism = options.Threads,
            LearningRate = LearningRateSchedule.Constant(0.05),
        };
        using var trainer = new Trainer<T>(network, new SgdOptimizer<T>(shape.ParameterCount), trainerOptions);
        var x = new ReadOnlyMatrixSpan<T>(features, options.Batch, inputs);

        // Warm-up: at least 30 steps and one second, so the JIT's tiering has finished (its tier-1
        // compile runs in the background and needs time, not only calls); under NativeAOT it only
        // touches memory. The same number of steps everywhere would be needed for equal weights, so
        // the weights are hashed after a fixed count: warm-up steps are counted and repeated below.
        long warmStart = Stopwatch.GetTimestamp();
        int warmUp = 0;
        while (warmUp < 30 || Stopwatch.GetElapsedTime(warmStart).TotalSeconds < 1)
        {
            trainer.Step(x, labels);
            warmUp++;
        }

        var times = new double[options.Steps];
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            trainer.Step(x, labels);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(times);

        // Weights after exactly --steps steps from the seed, whatever the warm-up took: retrain.
        var fresh = new Network<T>(shape, seed: 1);
        using (var again = new Trainer<T>(fresh, new SgdOptimizer<T>(shape.ParameterCount), trainerOptions))
        {
            for (int i = 0; i < options.Steps; i++)
            {
                again.Step(x, labels);
            }
        }

        string runtime = RuntimeFeature.IsDynamicCodeSupported ? "jit" : "nativeaot";
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"aot-step runtime={runtime} network={string.Join('-', options.Layers)} batch={options.Batch} type={typeof(T).Name.ToLowerInvariant()} threads={trainer.DegreeOfParallelism} simd=\"{KernelSimd.Describe()}\" steps={options.Steps} median_us={times[times.Length / 2]:F1} weights={Hash<T>(fresh.Parameters):x16}"));
        return 0;
    }

    /// <summary>FNV-1a over the parameters' bits: equal hashes mean bit-identical weights.</summary>
    private static ulong Hash<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in System.Runtime.InteropServices.MemoryMarshal.AsBytes(values))
        {
            hash = (hash ^ b) * 1099511628211;
        }

        return hash;
    }

    private sealed record Options(int[] Layers, int Batch, int Steps, int Threads, bool Double)
    {
        public static Options Parse(string[] args)
        {
            int[] layers = [784, 256, 10];
            int batch = 128, steps = 200, threads = 1;
            bool useDouble = false;
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.", nameof(args));
                switch (args[i])
                {
                    case "--network":
                        string text = Next();
                        layers = [.. text.Split('-').Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"--network: expected sizes like 784-256-10, got '{text}'.", nameof(args)))];
                        if (layers.Length < 2)
                        {
                            throw new ArgumentException($"--network: expected at least two sizes, got '{text}'.", nameof(args));
                        }

                        break;
                    case "--batch": batch = Positive("--batch", Next()); break;
                    case "--steps": steps = Positive("--steps", Next()); break;
                    case "--threads": threads = Positive("--threads", Next()); break;
                    case "--double": useDouble = true; break;
                    default: throw new ArgumentException($"Unknown option '{args[i]}'.", nameof(args));
                }
            }

            return new Options(layers, batch, steps, threads, useDouble);
        }

        private static int Positive(string name, string text) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 && n <= 1_000_000
                ? n
                : throw new ArgumentException($"{name}: expected a whole number from 1 to 1000000, got '{text}'.", nameof(text));
    }
}
