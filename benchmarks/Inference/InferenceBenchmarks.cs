using System.Globalization;
using System.Numerics.Tensors;
using Backprop.Benchmarks.Reporting;
using Backprop.Benchmarks.Training;
using Backprop.Kernels;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using Microsoft.ML.OnnxRuntime;
using Perfolizer.Horology;

namespace Backprop.Benchmarks.Inference;

/// <summary>
/// Prediction latency and throughput from raw rows (the model's standardisation included), float,
/// one thread: this library's <see cref="TrainedModel{T}.PredictProbabilities"/> (the baseline)
/// against ONNX Runtime running the same model exported with <see cref="ModelFile.ExportOnnx(TrainedModel, Stream)"/>
/// (one intra-op thread, its fastest steady-state API: an IOBinding of preallocated OrtValues) and
/// against a forward pass composed of <see cref="TensorPrimitives"/> calls (pre-transposed weights,
/// one dot product per output). <see cref="WeightReadFloor"/> sums every parameter once: the time a
/// one-row prediction cannot beat, since it must read every weight.
/// Setup checks that the three agree (1e-4) on the case's rows, so a wrong answer is never timed.
/// <c>dotnet run -c Release --project benchmarks -- --filter '*InferenceBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InferenceConfig))]
public class InferenceBenchmarks : IDisposable
{
    private TrainedModel<float> _model = null!;
    private float[] _rows = [];
    private float[] _probabilities = [];
    private float[] _check = [];
    private int _count;
    private int _inputs;
    private int _outputs;

    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private OrtIoBinding _binding = null!;
    private OrtValue _input = null!;
    private OrtValue _output = null!;
    private OrtValue _classOutput = null!;
    private long[] _classes = [];

    private float[][] _transposed = [];
    private float[][] _biases = [];
    private float[] _offsets = [];
    private float[] _factors = [];
    private float[] _a = [];
    private float[] _b = [];
    private float[] _parameters = [];

    /// <summary>Layer sizes and rows per call, e.g. <c>784-256-10x8</c>.</summary>
    [Params("784-256-10x1", "784-256-10x2", "784-256-10x4", "784-256-10x8", "784-256-10x16", "784-256-10x64", "784-256-10x256", "20-32-5x1", "20-32-5x8", "20-32-5x256")]
    public string Case { get; set; } = "20-32-5x1";

    [GlobalSetup]
    public void Setup()
    {
        (int[] sizes, int rows) = TrainingStepBenchmarks<float>.Parse(Case);
        _count = rows;
        _inputs = sizes[0];
        _outputs = sizes[^1];
        var shape = new NetworkShape(sizes, HiddenActivation.Relu);
        var network = new Network<float>(shape, 1);
        network.InitializeHeUniform(1);
        var random = new Random(2);
        _rows = [.. Enumerable.Range(0, rows * _inputs).Select(i => (float)((random.NextDouble() * 255) - (i % 7 == 0 ? 0 : 30)))];
        float[] fitRows = [.. Enumerable.Range(0, 64 * _inputs).Select(i => (float)((random.NextDouble() * 255) - (i % 7 == 0 ? 0 : 30)))];
        var scaling = FeatureScaling.Fit(new ReadOnlyMatrixSpan<float>(fitRows, 64, _inputs), ScalingKind.Standardize);
        _model = new TrainedModel<float>(network, scaling);
        _probabilities = new float[rows * _outputs];
        _check = new float[rows * _outputs];
        _parameters = network.Parameters.ToArray();

        var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(ModelFile.OnnxBytes(_model), options);
        _runOptions = new RunOptions();
        _input = OrtValue.CreateTensorValueFromMemory(_rows, [rows, _inputs]);
        _output = OrtValue.CreateTensorValueFromMemory(_check, [rows, _outputs]);
        _classes = new long[rows];
        _classOutput = OrtValue.CreateTensorValueFromMemory(_classes, [rows]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput("input", _input);
        _binding.BindOutput("probabilities", _output);
        _binding.BindOutput("class", _classOutput);

        _offsets = [.. scaling.Offsets.ToArray().Select(o => (float)o)];
        _factors = [.. scaling.Scales.ToArray().Select(s => (float)s)];
        _transposed = new float[shape.LayerCount][];
        _biases = new float[shape.LayerCount][];
        for (int l = 0; l < shape.LayerCount; l++)
        {
            LayerView<float> layer = network.Layer(l);
            _transposed[l] = new float[layer.FanIn * layer.FanOut];
            for (int i = 0; i < layer.FanIn; i++)
            {
                for (int j = 0; j < layer.FanOut; j++)
                {
                    _transposed[l][(j * layer.FanIn) + i] = layer.Weights[i, j];
                }
            }

            _biases[l] = layer.Bias.ToArray();
        }

        _a = new float[Math.Max(shape.MaxLayerWidth, _inputs)]; // the scaled input row lives here too
        _b = new float[shape.MaxLayerWidth];

        Library();
        OnnxRuntime();
        Compare("ONNX Runtime", _check);
        Array.Clear(_check);
        TensorPrimitivesForward();
        Compare("TensorPrimitives", _check);
    }

    private void Compare(string name, float[] other)
    {
        for (int i = 0; i < other.Length; i++)
        {
            if (!(Math.Abs(other[i] - _probabilities[i]) <= 1e-4))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{Case}: {name} gives probability {other[i]} at {i}, this library {_probabilities[i]}."));
            }
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _binding?.Dispose();
        _input?.Dispose();
        _output?.Dispose();
        _classOutput?.Dispose();
        _runOptions?.Dispose();
        _session?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// This library: raw rows in, probabilities out, over weights packed once per model (20-32-5: whole
    /// vectors of rows in one pass from raw features to probabilities, the rest on GemmFewRows;
    /// 784-256-10: GemmFewRows, and the packed GEMM for the whole tiles of rows of 16 rows or more).
    /// </summary>
    [Benchmark(Baseline = true)]
    public float Library()
    {
        _model.PredictProbabilities(new ReadOnlyMatrixSpan<float>(_rows, _count, _inputs), new MatrixSpan<float>(_probabilities, _count, _outputs));
        return _probabilities[0];
    }

    /// <summary>ONNX Runtime, one intra-op thread, preallocated input and outputs bound once.</summary>
    [Benchmark]
    public float OnnxRuntime()
    {
        _session.RunWithBinding(_runOptions, _binding);
        return _check[0];
    }

    /// <summary>The forward pass composed of TensorPrimitives calls, row by row.</summary>
    [Benchmark]
    public float TensorPrimitivesForward()
    {
        int layers = _transposed.Length;
        for (int r = 0; r < _count; r++)
        {
            Span<float> x = _a.AsSpan(0, _inputs);
            TensorPrimitives.Subtract(_rows.AsSpan(r * _inputs, _inputs), _offsets, x);
            TensorPrimitives.Multiply(x, _factors, x);
            for (int l = 0; l < layers; l++)
            {
                float[] w = _transposed[l];
                int fanIn = x.Length;
                int fanOut = _biases[l].Length;
                Span<float> z = (l % 2 == 0 ? _b : _a).AsSpan(0, fanOut);
                for (int j = 0; j < fanOut; j++)
                {
                    z[j] = TensorPrimitives.Dot(x, w.AsSpan(j * fanIn, fanIn));
                }

                TensorPrimitives.Add(z, _biases[l], z);
                if (l < layers - 1)
                {
                    TensorPrimitives.Max(z, 0f, z);
                }

                x = z;
            }

            TensorPrimitives.SoftMax(x, _check.AsSpan(r * _outputs, _outputs));
        }

        return _check[0];
    }

    /// <summary>Reads every parameter once (a vectorised sum): the floor of a one-row prediction.</summary>
    [Benchmark]
    public float WeightReadFloor() => TensorPrimitives.Sum(_parameters);
}

/// <summary>Times in µs, rows per second, bytes per call; the library's method is the baseline of each case.</summary>
public class InferenceConfig : ManualConfig
{
    public InferenceConfig()
    {
        Jobs.AddWidthJobs(this, baselineJob: false, openBlas: false);
        AddColumn(new RowsPerSecondColumn());
        SummaryStyle = SummaryStyle.Default.WithTimeUnit(TimeUnit.Microsecond);

        // The generated project references ONNX Runtime as well; on a loaded machine its build took
        // longer than BenchmarkDotNet's default 2 minutes, and the suite then ran nothing.
        BuildTimeout = TimeSpan.FromMinutes(10);
    }
}
