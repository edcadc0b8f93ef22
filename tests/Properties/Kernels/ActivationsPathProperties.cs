using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using static Backprop.Properties.Kernels.KernelAccuracy;

namespace Backprop.Properties.Kernels;

/// <summary>
/// Every activation, forward and backward, at lengths around one and two vectors of every width and
/// below the narrowest (<see cref="PathLengths.Around"/>), with extreme but finite values: a wrong
/// branch in any width's code, the scalar fallback included, shows at every width CI runs.
/// </summary>
/// <remarks>
/// Backward inputs are what the forward passes produce (A of a ReLU is ≥ 0 with many exact zeros and
/// some −0 from the caller; of a sigmoid in [0, 1]; of tanh in [−1, 1]) and what they do not (any
/// finite A), so that the decision at A = 0 is exercised. Tolerances as in <see cref="ActivationsProperties"/>:
/// forward 8 ε (sigmoid) and 16 ε (tanh) relative to |expected|, backward and ReLU exact.
/// </remarks>
public class ActivationsPathProperties
{
    private static Arbitrary<int> Seeds => Gens.Seed.ToArbitrary();

    [SizedProperty(MaxTest = 20)]
    public Property EveryActivationMatchesAroundEveryVectorWidth() =>
        Prop.ForAll(Seeds, seed => Forward<float>(seed, float.MaxValue) && Forward<double>(seed, double.MaxValue));

    [SizedProperty(MaxTest = 20)]
    public Property BackwardKernelsMatchAroundEveryVectorWidth() =>
        Prop.ForAll(Seeds, seed => Backward<float>(seed, float.MaxValue) && Backward<double>(seed, double.MaxValue));

    /// <summary>
    /// Every matrix overload, forward and backward, on strided views equals the span kernel row by row
    /// and leaves the padding alone (a mutation run found the backward matrix overloads of tanh and
    /// ReLU unchecked: removing their work survived).
    /// </summary>
    [Fact]
    public void EveryMatrixOverloadMatchesTheSpanKernel()
    {
        MatrixMatches<float>(5, 19, 23);
        MatrixMatches<double>(4, 9, 12);
    }

    /// <summary>The matrix overloads refuse a destination of another shape or partly overlapping an input, naming it.</summary>
    [Fact]
    public void MatrixOverloadsRefuseBadDestinations()
    {
        float[] buffer = new float[40], wrong = new float[8], other = new float[6];
        foreach (bool shifted in new[] { false, true })
        {
            MatrixSpan<float> Bad() => shifted ? new MatrixSpan<float>(buffer.AsSpan(1), 2, 3) : new MatrixSpan<float>(wrong, 2, 4);
            ReadOnlyMatrixSpan<float> X() => new(buffer, 2, 3);
            ReadOnlyMatrixSpan<float> Other() => new(other, 2, 3);
            AssertDestination(() => Activations.Sigmoid(X(), Bad()));
            AssertDestination(() => Activations.Tanh(X(), Bad()));
            AssertDestination(() => Activations.Relu(X(), Bad()));
            AssertDestination(() => Activations.SigmoidBackward(X(), Other(), Bad()));
            AssertDestination(() => Activations.TanhBackward(X(), Other(), Bad()));
            AssertDestination(() => Activations.ReluBackward(X(), Other(), Bad()));
            AssertDestination(() => Activations.SigmoidBackward(Other(), X(), Bad()));
            AssertDestination(() => Activations.TanhBackward(Other(), X(), Bad()));
            AssertDestination(() => Activations.ReluBackward(Other(), X(), Bad()));
        }
    }

    /// <summary>
    /// An element type other than float or double is refused by every entry point, with a message
    /// naming the type and what is supported (without the check the vector API still throws
    /// NotSupportedException, but saying neither).
    /// </summary>
    [Fact]
    public void OtherElementTypesAreRefused()
    {
        Half[] h = new Half[4], d = new Half[4];
        foreach (Action call in new Action[]
        {
            () => Activations.Sigmoid<Half>(h, d),
            () => Activations.ReluBackward<Half>(h, h, d),
            () => Activations.Tanh(new ReadOnlyMatrixSpan<Half>(h, 2, 2), new MatrixSpan<Half>(d, 2, 2)),
            () => Activations.TanhBackward(new ReadOnlyMatrixSpan<Half>(h, 2, 2), new ReadOnlyMatrixSpan<Half>(h, 2, 2), new MatrixSpan<Half>(d, 2, 2)),
        })
        {
            NotSupportedException e = Assert.Throws<NotSupportedException>(call);
            Assert.Contains("Half", e.Message, StringComparison.Ordinal);
            Assert.Contains("float or double", e.Message, StringComparison.Ordinal);
        }
    }

    private static void AssertDestination(Action action) =>
        Assert.Equal("destination", Assert.ThrowsAny<ArgumentException>(action).ParamName);

    private delegate void MatrixUnary<T>(ReadOnlyMatrixSpan<T> x, MatrixSpan<T> d);

    private delegate void MatrixBinary<T>(ReadOnlyMatrixSpan<T> x, ReadOnlyMatrixSpan<T> y, MatrixSpan<T> d);

    private static void MatrixMatches<T>(int rows, int columns, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(rows * columns);
        T[] dense = PathLengths.Extreme<T>(random, rows * columns, 10, 1e6);
        T[] dense2 = PathLengths.Extreme<T>(random, rows * columns, 2, 1);
        T[] x = Strided<T>(dense, rows, columns, stride), y = Strided<T>(dense2, rows, columns, stride);
        var xm = new ReadOnlyMatrixSpan<T>(x, rows, columns, stride);
        var ym = new ReadOnlyMatrixSpan<T>(y, rows, columns, stride);
        (string Name, MatrixUnary<T> Matrix, UnaryKernel<T> Span)[] unary =
        [
            ("sigmoid", Activations.Sigmoid, Activations.Sigmoid),
            ("tanh", Activations.Tanh, Activations.Tanh),
            ("relu", Activations.Relu, Activations.Relu),
        ];
        foreach ((string name, MatrixUnary<T> matrix, UnaryKernel<T> span) in unary)
        {
            T[] d = Strided<T>(new T[rows * columns], rows, columns, stride);
            d.AsSpan().Fill(T.NaN);
            matrix(xm, new MatrixSpan<T>(d, rows, columns, stride));
            RequirePaddingUntouched(d, rows, columns, stride, $"{typeof(T).Name} {name}");
            for (int i = 0; i < rows; i++)
            {
                T[] expected = new T[columns];
                span(xm.Row(i), expected);
                Same<T>(d.AsSpan(i * stride, columns), expected, $"{typeof(T).Name} {name} row {i}");
            }
        }

        (string Name, MatrixBinary<T> Matrix, BinaryKernel<T> Span)[] binary =
        [
            ("sigmoid backward", Activations.SigmoidBackward, Activations.SigmoidBackward),
            ("tanh backward", Activations.TanhBackward, Activations.TanhBackward),
            ("relu backward", Activations.ReluBackward, Activations.ReluBackward),
        ];
        foreach ((string name, MatrixBinary<T> matrix, BinaryKernel<T> span) in binary)
        {
            T[] d = Strided<T>(new T[rows * columns], rows, columns, stride);
            d.AsSpan().Fill(T.NaN);
            matrix(xm, ym, new MatrixSpan<T>(d, rows, columns, stride));
            RequirePaddingUntouched(d, rows, columns, stride, $"{typeof(T).Name} {name}");
            for (int i = 0; i < rows; i++)
            {
                T[] expected = new T[columns];
                span(xm.Row(i), ym.Row(i), expected);
                Same<T>(d.AsSpan(i * stride, columns), expected, $"{typeof(T).Name} {name} row {i}");
            }
        }
    }

    private static bool Forward<T>(int seed, double max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in PathLengths.Around<T>())
        {
            T[] z = PathLengths.Extreme<T>(random, n, 40, max);
            Unary(z, Activations.Sigmoid, ActivationsReference.Sigmoid, 8, $"sigmoid, n = {n}");
            Unary(z, Activations.Tanh, ActivationsReference.Tanh, 16, $"tanh, n = {n}");
            Unary(z, Activations.Relu, ActivationsReference.Relu, 0, $"relu, n = {n}");
        }

        return true;
    }

    private static bool Backward<T>(int seed, double max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in PathLengths.Around<T>())
        {
            // dA up to max/4: every product below stays finite.
            T[] da = PathLengths.Extreme<T>(random, n, 10, max / 4);
            T[] z = PathLengths.Extreme<T>(random, n, 10, max);
            T[] relu = new T[n], sigmoid = new T[n], tanh = new T[n];
            ActivationsReference.Relu<T>(z, relu);
            ActivationsReference.Sigmoid<T>(z, sigmoid);
            ActivationsReference.Tanh<T>(z, tanh);
            for (int i = 0; i < n; i++)
            {
                if (random.Next(6) == 0)
                {
                    relu[i] = T.NegativeZero;
                }
            }

            T[] any = PathLengths.Extreme<T>(random, n, 2, 1);
            Binary(da, relu, Activations.ReluBackward, ActivationsReference.ReluBackward, $"relu backward (A from a ReLU), n = {n}");
            Binary(da, any, Activations.ReluBackward, ActivationsReference.ReluBackward, $"relu backward (any A), n = {n}");
            Binary(da, sigmoid, Activations.SigmoidBackward, ActivationsReference.SigmoidBackward, $"sigmoid backward, n = {n}");
            Binary(da, tanh, Activations.TanhBackward, ActivationsReference.TanhBackward, $"tanh backward, n = {n}");
        }

        return true;
    }

    private delegate void UnaryKernel<T>(ReadOnlySpan<T> x, Span<T> d);

    private delegate void BinaryKernel<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d);

    private static void Unary<T>(T[] x, UnaryKernel<T> kernel, UnaryKernel<T> reference, double ulps, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] expected = new T[x.Length], actual = new T[x.Length];
        reference(x, expected);
        kernel(x, actual);
        for (int i = 0; i < x.Length; i++)
        {
            if (ulps == 0)
            {
                Same(actual[i], expected[i], $"{typeof(T).Name} {what}, z[{i}] = {x[i]:R}");
            }
            else
            {
                Close(actual[i], expected[i], ulps, Math.Abs(double.CreateTruncating(expected[i])), $"{typeof(T).Name} {what}, z[{i}] = {x[i]:R}");
            }
        }
    }

    private static void Binary<T>(T[] x, T[] y, BinaryKernel<T> kernel, BinaryKernel<T> reference, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] expected = new T[x.Length], actual = new T[x.Length];
        reference(x, y, expected);
        kernel(x, y, actual);
        for (int i = 0; i < x.Length; i++)
        {
            Same(actual[i], expected[i], $"{typeof(T).Name} {what}, dA[{i}] = {x[i]:R}, A[{i}] = {y[i]:R}");
        }
    }
}
