using System.Numerics;

namespace Backprop.Reference;

/// <summary>The activations the fused GEMM forms take (the same four, in the same order, as <c>Backprop.Kernels.ActivationFunction</c>).</summary>
public enum ReferenceActivation
{
    /// <summary>f(z) = z.</summary>
    Identity,

    /// <summary>1 / (1 + e^(−z)).</summary>
    Sigmoid,

    /// <summary>tanh z.</summary>
    Tanh,

    /// <summary>max(z, 0).</summary>
    Relu,
}

/// <summary>
/// Plain references for the fused GEMM forms (<c>Gemm.MultiplyBiasActivation</c>,
/// <c>Gemm.MultiplyActivationBackward</c>, <c>Gemm.MultiplySumColumns</c>): the unfused
/// composition — <see cref="GemmReference"/>'s product, then the bias, the activation, its
/// derivative or the column sums as plain loops — in double.
/// </summary>
public static class GemmFusedReference
{
    /// <summary>
    /// <c>C = f(op(A)·op(B) + b)</c> (m × n, dense), in double; also the pre-activation Z and, per
    /// element, the scale Σₚ|a·b| + |b| that bounds Z's rounding error.
    /// </summary>
    public static (double[] C, double[] Z, double[] Scale) MultiplyBiasActivation<T>(bool ta, T[] a, int lda, bool tb, T[] b, int ldb, ReadOnlySpan<T> bias, ReferenceActivation activation, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (double[] z, double[] scale) = GemmReference.Multiply(ta, a, lda, tb, b, ldb, [], 0, m, n, k, T.One, T.Zero);
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                int e = (i * n) + j;
                double bj = double.CreateTruncating(bias[j]);
                z[e] += bj;
                scale[e] += Math.Abs(bj);
                c[e] = Activate(activation, z[e]);
            }
        }

        return (c, z, scale);
    }

    /// <summary>
    /// <c>C = (op(A)·op(B)) ⊙ f′(output)</c> (m × n, dense), f′ written in terms of the activation's
    /// output (row stride <paramref name="ldo"/>), in double; also the product dA, f′ and the product's scale Σₚ|a·b|.
    /// </summary>
    public static (double[] C, double[] Product, double[] Derivative, double[] Scale) MultiplyActivationBackward<T>(bool ta, T[] a, int lda, bool tb, T[] b, int ldb, T[] output, int ldo, ReferenceActivation activation, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (double[] product, double[] scale) = GemmReference.Multiply(ta, a, lda, tb, b, ldb, [], 0, m, n, k, T.One, T.Zero);
        var c = new double[m * n];
        var derivative = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                int e = (i * n) + j;
                derivative[e] = Derivative(activation, double.CreateTruncating(output[(i * ldo) + j]));
                c[e] = product[e] * derivative[e];
            }
        }

        return (c, product, derivative, scale);
    }

    /// <summary>The column sums Σᵢ B[i, j] of a k × n matrix (row stride <paramref name="ldb"/>) in double, and Σᵢ |B[i, j]|.</summary>
    public static (double[] Sums, double[] Scale) SumColumns<T>(T[] b, int ldb, int k, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sums = new double[n];
        var scale = new double[n];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double x = double.CreateTruncating(b[(i * ldb) + j]);
                sums[j] += x;
                scale[j] += Math.Abs(x);
            }
        }

        return (sums, scale);
    }

    /// <summary>f(z).</summary>
    public static double Activate(ReferenceActivation activation, double z) => activation switch
    {
        ReferenceActivation.Sigmoid => 1 / (1 + Math.Exp(-z)),
        ReferenceActivation.Tanh => Math.Tanh(z),
        ReferenceActivation.Relu => z > 0 ? z : 0,
        _ => z,
    };

    /// <summary>f′ in terms of the output a = f(z).</summary>
    public static double Derivative(ReferenceActivation activation, double a) => activation switch
    {
        ReferenceActivation.Sigmoid => a * (1 - a),
        ReferenceActivation.Tanh => 1 - (a * a),
        ReferenceActivation.Relu => a > 0 ? 1 : 0,
        _ => 1,
    };
}
