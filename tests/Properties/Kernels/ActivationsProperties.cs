using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using static Backprop.Properties.Kernels.KernelAccuracy;
using static Backprop.Properties.Support.Refusals;

namespace Backprop.Properties.Kernels;

/// <summary>
/// The activation kernels against <see cref="ActivationsReference"/> at every length up to
/// 3·(512-bit lanes) + 3 (every tail at every width), unaligned, out of place and exactly in place.
/// </summary>
/// <remarks>
/// Tolerances, in ε relative to |expected|:
/// <list type="bullet">
/// <item>Sigmoid, 8: the vector exponential is within 2 ulp of e^x, the reference's within 1
/// (SimdWidthProperties measures both); 1/(1 + e) scales the relative error of e by e/(1 + e) &lt; 1
/// and adds two roundings on each side.</item>
/// <item>Tanh, 16: the vector form is within 10 ulp of the true tanh (SimdWidthProperties), the
/// reference within 1.</item>
/// <item>Backward passes and ReLU, exact: scalar and vector forms perform the same IEEE operations in
/// the same order (no fused multiply-add), so any difference is a bug.</item>
/// </list>
/// </remarks>
public class ActivationsProperties
{
    private const double SigmoidUlps = 8;
    private const double TanhUlps = 16;

    private delegate void Unary<T>(ReadOnlySpan<T> x, Span<T> d);

    private delegate void Binary<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d);

    private static Arbitrary<int> Seeds => Gens.Seed.ToArbitrary();

    [SizedProperty(MaxTest = 25)]
    public Property SigmoidMatchesReferenceFloat() =>
        Prop.ForAll(Seeds, seed => UnaryMatches<float>(seed, 40, Activations.Sigmoid, ActivationsReference.Sigmoid, SigmoidUlps));

    [SizedProperty(MaxTest = 25)]
    public Property SigmoidMatchesReferenceDouble() =>
        Prop.ForAll(Seeds, seed => UnaryMatches<double>(seed, 300, Activations.Sigmoid, ActivationsReference.Sigmoid, SigmoidUlps));

    [SizedProperty(MaxTest = 25)]
    public Property TanhMatchesReferenceFloat() =>
        Prop.ForAll(Seeds, seed => UnaryMatches<float>(seed, 4, Activations.Tanh, ActivationsReference.Tanh, TanhUlps));

    [SizedProperty(MaxTest = 25)]
    public Property TanhMatchesReferenceDouble() =>
        Prop.ForAll(Seeds, seed => UnaryMatches<double>(seed, 4, Activations.Tanh, ActivationsReference.Tanh, TanhUlps));

    [SizedProperty(MaxTest = 25)]
    public Property ReluMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed =>
            UnaryMatches<float>(seed, 10, Activations.Relu, ActivationsReference.Relu, 0)
            && UnaryMatches<double>(seed, 10, Activations.Relu, ActivationsReference.Relu, 0));

    [SizedProperty(MaxTest = 25)]
    public Property SigmoidBackwardMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed =>
            BinaryMatches<float>(seed, Activations.SigmoidBackward, ActivationsReference.SigmoidBackward, 0)
            && BinaryMatches<double>(seed, Activations.SigmoidBackward, ActivationsReference.SigmoidBackward, 0));

    [SizedProperty(MaxTest = 25)]
    public Property TanhBackwardMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed =>
            BinaryMatches<float>(seed, Activations.TanhBackward, ActivationsReference.TanhBackward, 0)
            && BinaryMatches<double>(seed, Activations.TanhBackward, ActivationsReference.TanhBackward, 0));

    [SizedProperty(MaxTest = 25)]
    public Property ReluBackwardMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed =>
            BinaryMatches<float>(seed, Activations.ReluBackward, ActivationsReference.ReluBackward, 0)
            && BinaryMatches<double>(seed, Activations.ReluBackward, ActivationsReference.ReluBackward, 0));

    /// <summary>dA ⊙ A ⊙ (1 − A) in one pass equals the three separate passes 1 − A, A ⊙ (1 − A), dA ⊙ that.</summary>
    /// <remarks>
    /// The two forms associate the product differently: (dA·A)·(1−A) against dA·(A·(1−A)), two
    /// roundings each, so they may differ by 2ε relative. A is a real sigmoid output.
    /// </remarks>
    [SizedProperty(MaxTest = 25)]
    public Property FusedSigmoidBackwardEqualsComposition() =>
        Prop.ForAll(Seeds, seed => FusedEqualsComposition<float>(seed) && FusedEqualsComposition<double>(seed));

    /// <summary>Saturation: huge logits give exactly 0 or 1 (sigmoid) and exactly ±1 (tanh), never NaN.</summary>
    [SizedProperty(MaxTest = 25)]
    public Property ActivationsSaturateWithoutNaN() =>
        Prop.ForAll(Seeds, seed => Saturates<float>(seed, 1e4) && Saturates<double>(seed, 1e300));

    /// <summary>The matrix overloads honour strides: every element as the reference, padding untouched, in or out of place.</summary>
    [SizedProperty(MaxTest = 25)]
    public Property MatrixOverloadsMatchReference() =>
        Prop.ForAll(Seeds, seed => MatrixMatches<float>(seed) && MatrixMatches<double>(seed));

    [Fact]
    public void BadArgumentsThrowNamingTheParameter()
    {
        float[] buffer = new float[16];
        AssertParam("destination", () => Activations.Sigmoid<float>(new float[5], new float[4]));
        AssertParam("destination", () => Activations.Tanh<float>(buffer.AsSpan(0, 5), buffer.AsSpan(1, 5)));
        AssertParam("destination", () => Activations.Relu<float>(buffer.AsSpan(2, 5), buffer.AsSpan(0, 5)));
        AssertParam("output", () => Activations.SigmoidBackward<float>(new float[5], new float[4], new float[5]));
        AssertParam("destination", () => Activations.TanhBackward<float>(new float[5], new float[5], new float[6]));
        AssertParam("destination", () => Activations.ReluBackward<float>(buffer.AsSpan(0, 5), new float[5], buffer.AsSpan(1, 5)));
        AssertParam("destination", () => Activations.SigmoidBackward<float>(new float[5], buffer.AsSpan(0, 5), buffer.AsSpan(4, 5)));
        AssertParam("destination", () => Activations.Sigmoid(new ReadOnlyMatrixSpan<float>(buffer, 2, 3), new MatrixSpan<float>(new float[6], 3, 2)));
        AssertParam("destination", () => Activations.Tanh(new ReadOnlyMatrixSpan<float>(buffer, 2, 3, 4), new MatrixSpan<float>(buffer, 2, 3)));
        AssertParam("output", () => Activations.ReluBackward(new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), new ReadOnlyMatrixSpan<float>(new float[6], 3, 2), new MatrixSpan<float>(new float[6], 2, 3)));
        Assert.Throws<NotSupportedException>(() => Activations.Sigmoid<Half>(new Half[3], new Half[3]));
    }

    [Fact]
    public void KernelsDoNotAllocate()
    {
        float[] z = Gens.Random<float>(1000, 1, 5);
        float[] a = new float[1000];
        double[] zd = Gens.Random<double>(1000, 2, 5);
        double[] ad = new double[1000];
        var strided = new ReadOnlyMatrixSpan<float>(z, 10, 90, 100);
        Allocations.AssertNone(() => Activations.Sigmoid<float>(z, a));
        Allocations.AssertNone(() => Activations.SigmoidBackward<float>(z, z, a));
        Allocations.AssertNone(() => Activations.Tanh<double>(zd, ad));
        Allocations.AssertNone(() => Activations.TanhBackward<double>(zd, zd, ad));
        Allocations.AssertNone(() => Activations.Relu<float>(a, a));
        Allocations.AssertNone(() => Activations.ReluBackward<double>(zd, zd, ad));
        Allocations.AssertNone(() => Activations.Sigmoid(new ReadOnlyMatrixSpan<float>(z, 10, 90, 100), new MatrixSpan<float>(a, 10, 90, 100)));
        Allocations.AssertNone(() => Activations.TanhBackward(new ReadOnlyMatrixSpan<float>(z, 10, 100), new ReadOnlyMatrixSpan<float>(z, 10, 100), new MatrixSpan<float>(a, 10, 100)));
        Assert.Equal(10, strided.Rows);
    }

    private static bool UnaryMatches<T>(int seed, double range, Unary<T> kernel, Unary<T> reference, double ulps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>())
        {
            T[] x = Gens.RandomWithEdges<T>(n, random.Next(), range);
            T[] expected = new T[n];
            reference(x, expected);

            // Out of place, at unaligned offsets in NaN-guarded buffers.
            int xo = random.Next(4), dOffset = random.Next(4);
            T[] xb = Embed<T>(x, xo);
            T[] db = Embed<T>(new T[n], dOffset);
            kernel(xb.AsSpan(xo, n), db.AsSpan(dOffset, n));
            Compare<T>(db.AsSpan(dOffset, n), expected, ulps, $"{typeof(T).Name} n={n}");
            Same<T>(xb.AsSpan(xo, n), x, "input left unchanged");
            RequireGuards(db, dOffset, n);

            // Exactly in place.
            kernel(xb.AsSpan(xo, n), xb.AsSpan(xo, n));
            Compare<T>(xb.AsSpan(xo, n), expected, ulps, $"{typeof(T).Name} in place n={n}");
            RequireGuards(xb, xo, n);
        }

        return true;
    }

    private static bool BinaryMatches<T>(int seed, Binary<T> kernel, Binary<T> reference, double ulps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>())
        {
            T[] da = Gens.RandomWithEdges<T>(n, random.Next(), 10);
            T[] a = Gens.RandomWithEdges<T>(n, random.Next(), 1);
            T[] expected = new T[n];
            reference(da, a, expected);

            T[] db = Embed<T>(new T[n], 1);
            kernel(da, a, db.AsSpan(1, n));
            Compare<T>(db.AsSpan(1, n), expected, ulps, $"{typeof(T).Name} n={n}");
            RequireGuards(db, 1, n);

            T[] inPlace = (T[])da.Clone();
            kernel(inPlace, a, inPlace);
            Compare<T>(inPlace, expected, ulps, $"{typeof(T).Name} in place on dA, n={n}");

            inPlace = (T[])a.Clone();
            kernel(da, inPlace, inPlace);
            Compare<T>(inPlace, expected, ulps, $"{typeof(T).Name} in place on A, n={n}");
        }

        return true;
    }

    private static bool FusedEqualsComposition<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>())
        {
            T[] a = new T[n];
            Activations.Sigmoid<T>(Gens.Random<T>(n, random.Next(), 12), a);
            T[] da = Gens.RandomWithEdges<T>(n, random.Next(), 3);
            T[] fused = new T[n];
            Activations.SigmoidBackward<T>(da, a, fused);

            T[] composed = new T[n];
            for (int i = 0; i < n; i++)
            {
                composed[i] = T.One - a[i];
            }

            for (int i = 0; i < n; i++)
            {
                composed[i] = a[i] * composed[i];
            }

            for (int i = 0; i < n; i++)
            {
                composed[i] = da[i] * composed[i];
            }

            for (int i = 0; i < n; i++)
            {
                Close(fused[i], composed[i], 2, double.Abs(double.CreateTruncating(composed[i])), $"{typeof(T).Name} [{i}] of {n}");
            }
        }

        return true;
    }

    private static bool Saturates<T>(int seed, double range)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>())
        {
            T[] z = Gens.RandomWithEdges<T>(n, random.Next(), range);
            T[] s = new T[n];
            T[] t = new T[n];
            Activations.Sigmoid<T>(z, s);
            Activations.Tanh<T>(z, t);
            for (int i = 0; i < n; i++)
            {
                double zi = double.CreateTruncating(z[i]);
                double si = double.CreateTruncating(s[i]);
                double ti = double.CreateTruncating(t[i]);
                Require(si is >= 0 and <= 1, $"sigmoid({zi}) = {si}");
                Require(ti is >= -1 and <= 1, $"tanh({zi}) = {ti}");
                Require(zi < 800 || si == 1, $"sigmoid({zi}) = {si}, expected exactly 1");
                Require(zi > -800 || si == 0, $"sigmoid({zi}) = {si}, expected exactly 0");
                Require(Math.Abs(zi) < 20 || ti == Math.Sign(zi), $"tanh({zi}) = {ti}, expected exactly ±1");
            }
        }

        return true;
    }

    private static bool MatrixMatches<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        for (int shape = 0; shape < 8; shape++)
        {
            int rows = random.Next(4);
            int columns = random.Next((2 * WidestLanes<T>()) + 4);
            int stride = columns + (random.Next(2) * random.Next(1, 3));
            T[] zDense = Gens.RandomWithEdges<T>(rows * columns, random.Next(), 3);
            T[] aDense = Gens.RandomWithEdges<T>(rows * columns, random.Next(), 1);
            T[] z = Strided<T>(zDense, rows, columns, stride);
            T[] a = Strided<T>(aDense, rows, columns, stride);
            var zView = new ReadOnlyMatrixSpan<T>(z, rows, columns, stride);
            var aView = new ReadOnlyMatrixSpan<T>(a, rows, columns, stride);

            T[] sigmoid = Strided<T>(new T[rows * columns], rows, columns, stride);
            T[] tanh = (T[])z.Clone();
            T[] backward = (T[])a.Clone();
            T[] relu = Strided<T>(new T[rows * columns], rows, columns, stride);
            Activations.Sigmoid(zView, new MatrixSpan<T>(sigmoid, rows, columns, stride));
            Activations.Tanh(new ReadOnlyMatrixSpan<T>(tanh, rows, columns, stride), new MatrixSpan<T>(tanh, rows, columns, stride));
            Activations.SigmoidBackward(zView, new ReadOnlyMatrixSpan<T>(backward, rows, columns, stride), new MatrixSpan<T>(backward, rows, columns, stride));
            Activations.Relu(zView, new MatrixSpan<T>(relu, rows, columns, stride));

            string where = $"{typeof(T).Name} {rows}×{columns} stride {stride}";
            T[] expected = new T[columns];
            for (int i = 0; i < rows && columns > 0; i++)
            {
                ReadOnlySpan<T> zi = zDense.AsSpan(i * columns, columns);
                ActivationsReference.Sigmoid(zi, expected);
                Compare<T>(sigmoid.AsSpan(i * stride, columns), expected, SigmoidUlps, $"{where}: sigmoid row {i}");
                ActivationsReference.Tanh(zi, expected);
                Compare<T>(tanh.AsSpan(i * stride, columns), expected, TanhUlps, $"{where}: tanh in place, row {i}");
                ActivationsReference.SigmoidBackward(zi, aDense.AsSpan(i * columns, columns), expected);
                Same<T>(backward.AsSpan(i * stride, columns), expected, $"{where}: sigmoid backward in place, row {i}");
                ActivationsReference.Relu(zi, expected);
                Same<T>(relu.AsSpan(i * stride, columns), expected, $"{where}: relu row {i}");
            }

            RequirePaddingUntouched(sigmoid, rows, columns, stride, where);
            RequirePaddingUntouched(tanh, rows, columns, stride, where);
            RequirePaddingUntouched(backward, rows, columns, stride, where);
            RequirePaddingUntouched(relu, rows, columns, stride, where);
        }

        return true;
    }

    private static void Compare<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected, double ulps, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (ulps == 0)
        {
            Same(actual, expected, what);
            return;
        }

        for (int i = 0; i < expected.Length; i++)
        {
            Close(actual[i], expected[i], ulps, double.Abs(double.CreateTruncating(expected[i])), $"{what} [{i}]");
        }
    }

    private static void RequireGuards<T>(T[] buffer, int offset, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            Require(i >= offset && i < offset + n ? true : T.IsNaN(buffer[i]), $"element {i} outside [{offset}, {offset + n}) was written");
        }
    }
}
