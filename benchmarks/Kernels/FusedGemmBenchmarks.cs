using System.Numerics;
using Backprop.Benchmarks.Reporting;
using Backprop.Kernels;
using Backprop.Reference;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Backprop.Benchmarks.Kernels;

/// <summary>Which fused GEMM form a case runs.</summary>
public enum FusedForm
{
    /// <summary><c>C = ReLU(X·W + b)</c> against the product, the bias pass and the activation pass.</summary>
    BiasRelu,

    /// <summary><c>C = (dZ·Wᵀ) ⊙ [A &gt; 0]</c> against the product and the activation's backward pass.</summary>
    ReluBackward,

    /// <summary><c>C = Xᵀ·dZ</c> with <c>db = Σ_rows dZ</c> against the product and the column-sum pass.</summary>
    ColumnSums,
}

/// <summary>One fused product of a training step: C is m × n, depth k.</summary>
public sealed record FusedCase(FusedForm Form, int M, int N, int K) : IHasFlops
{
    public double Flops => 2.0 * M * N * K;

    public bool TransposeA => Form == FusedForm.ColumnSums;

    public bool TransposeB => Form == FusedForm.ReluBackward;

    public override string ToString() => $"{Form} {M}x{N}x{K}";
}

/// <summary>Both widths (<see cref="WidthConfig"/>'s jobs), GFLOP/s, and a build timeout for a shared machine.</summary>
public sealed class FusedGemmConfig : ManualConfig
{
    public FusedGemmConfig()
    {
        Jobs.AddWidthJobs(this, baselineJob: false, openBlas: false);
        AddColumn(new GflopsColumn());
        BuildTimeout = TimeSpan.FromMinutes(10); // the generated project took over 2 min to build on a loaded machine
    }
}

/// <summary>
/// The fused GEMM forms (<see cref="Gemm.MultiplyBiasActivation{T}(MatrixOperation, ReadOnlyMatrixSpan{T}, MatrixOperation, ReadOnlyMatrixSpan{T}, ReadOnlySpan{T}, ActivationFunction, MatrixSpan{T}, KernelThreads?, GemmWorkspace{T}?)"/>
/// and its two siblings) against the separate passes they replace (baseline), on the products of a
/// 784-256-10 step at batch 128 and a 784-1024-1024-10 step at batch 256, one thread. Both are
/// checked against <see cref="GemmFusedReference"/> before anything is timed.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FusedGemmConfig))]
[GenericTypeArguments(typeof(float))]
[GenericTypeArguments(typeof(double))]
public class FusedGemmBenchmarks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly GemmWorkspace<T> _workspace = new();
    private T[] _a = [], _b = [], _bias = [], _output = [], _c = [], _sums = [];

    public IEnumerable<FusedCase> Cases =>
    [
        new(FusedForm.BiasRelu, 128, 256, 784),      // 784-256-10 forward, layer 1
        new(FusedForm.ColumnSums, 784, 256, 128),    // its dW1, db1
        new(FusedForm.BiasRelu, 256, 1024, 784),     // 784-1024-1024-10 forward, layer 1
        new(FusedForm.BiasRelu, 256, 1024, 1024),    // layer 2
        new(FusedForm.ReluBackward, 256, 1024, 1024), // dZ1 = (dZ2·W2ᵀ) ⊙ [A1 > 0]
        new(FusedForm.ColumnSums, 1024, 1024, 256),  // dW2, db2
    ];

    [ParamsSource(nameof(Cases))]
    public FusedCase Case { get; set; } = new(FusedForm.BiasRelu, 1, 1, 1);

    private int ARows => Case.TransposeA ? Case.K : Case.M;

    private int ACols => Case.TransposeA ? Case.M : Case.K;

    private int BRows => Case.TransposeB ? Case.N : Case.K;

    private int BCols => Case.TransposeB ? Case.K : Case.N;

    private MatrixOperation OpA => Case.TransposeA ? MatrixOperation.Transpose : MatrixOperation.None;

    private MatrixOperation OpB => Case.TransposeB ? MatrixOperation.Transpose : MatrixOperation.None;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        T Next() => T.CreateTruncating(random.NextDouble() - 0.5);
        _a = [.. Enumerable.Range(0, ARows * ACols).Select(_ => Next())];
        _b = [.. Enumerable.Range(0, BRows * BCols).Select(_ => Next())];
        _bias = [.. Enumerable.Range(0, Case.N).Select(_ => Next())];
        _output = [.. Enumerable.Range(0, Case.M * Case.N).Select(_ => Next())];
        _c = new T[Case.M * Case.N];
        _sums = new T[Case.N];

        double[] expected, expectedSums = [];
        switch (Case.Form)
        {
            case FusedForm.BiasRelu:
                expected = GemmFusedReference.MultiplyBiasActivation(false, _a, ACols, false, _b, BCols, _bias, ReferenceActivation.Relu, Case.M, Case.N, Case.K).C;
                break;
            case FusedForm.ReluBackward:
                expected = GemmFusedReference.MultiplyActivationBackward(false, _a, ACols, true, _b, BCols, _output, Case.N, ReferenceActivation.Relu, Case.M, Case.N, Case.K).C;
                break;
            default:
                expected = GemmReference.Multiply(true, _a, ACols, false, _b, BCols, [], 0, Case.M, Case.N, Case.K, T.One, T.Zero).C;
                expectedSums = GemmFusedReference.SumColumns(_b, BCols, Case.K, Case.N).Sums;
                break;
        }

        foreach ((Action run, string name) in new (Action, string)[] { (Separate, nameof(Separate)), (Fused, nameof(Fused)) })
        {
            _c.AsSpan().Fill(T.NaN);
            _sums.AsSpan().Fill(T.NaN);
            run();
            Validate(_c, expected, name);
            Validate(_sums, expectedSums, name + " sums");
        }
    }

    /// <summary>The passes the fused form replaces: the product, then the bias, activation, activation-backward or column-sum pass.</summary>
    [Benchmark(Baseline = true)]
    public void Separate()
    {
        var a = new ReadOnlyMatrixSpan<T>(_a, ARows, ACols);
        var b = new ReadOnlyMatrixSpan<T>(_b, BRows, BCols);
        var c = new MatrixSpan<T>(_c, Case.M, Case.N);
        Gemm.Multiply(OpA, a, OpB, b, c, T.One, T.Zero, null, _workspace);
        switch (Case.Form)
        {
            case FusedForm.BiasRelu:
                RowColumnOps.AddRowVector(c, _bias);
                Activations.Relu<T>(_c, _c);
                break;
            case FusedForm.ReluBackward:
                Activations.ReluBackward<T>(_c, _output, _c);
                break;
            default:
                RowColumnOps.SumColumns(b, _sums, T.One, T.Zero);
                break;
        }
    }

    [Benchmark]
    public void Fused()
    {
        var a = new ReadOnlyMatrixSpan<T>(_a, ARows, ACols);
        var b = new ReadOnlyMatrixSpan<T>(_b, BRows, BCols);
        var c = new MatrixSpan<T>(_c, Case.M, Case.N);
        switch (Case.Form)
        {
            case FusedForm.BiasRelu:
                Gemm.MultiplyBiasActivation(OpA, a, OpB, b, _bias, ActivationFunction.Relu, c, null, _workspace);
                break;
            case FusedForm.ReluBackward:
                Gemm.MultiplyActivationBackward(OpA, a, OpB, b, new ReadOnlyMatrixSpan<T>(_output, Case.M, Case.N), ActivationFunction.Relu, c, null, _workspace);
                break;
            default:
                Gemm.MultiplySumColumns(OpA, a, b, c, _sums, null, _workspace);
                break;
        }
    }

    private void Validate(T[] actual, double[] expected, string who)
    {
        double tolerance = (typeof(T) == typeof(float) ? 1e-5 : 1e-13) * Case.K;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], x = double.CreateTruncating(actual[i]);
            if (!(Math.Abs(e - x) <= tolerance * (1 + Math.Abs(e))))
            {
                throw new InvalidOperationException($"{who} differs from the reference at {i}: {x} vs {e} ({Case}).");
            }
        }
    }
}
