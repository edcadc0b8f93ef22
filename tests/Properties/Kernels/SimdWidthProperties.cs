using System.Numerics;
using System.Runtime.Intrinsics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Backprop.Properties.Kernels;

/// <summary>
/// Measures the vector math the kernels build on, in ulp of the correctly rounded result (float
/// results are compared with the double-precision function rounded to float), at every vector width
/// this process accelerates (not only the chosen one: the kernels fall back to narrower widths for
/// short inputs). These bounds are what the kernel properties' tolerances are derived from.
/// </summary>
public class SimdWidthProperties(ITestOutputHelper output)
{
    private static readonly int[] AllBits = [128, 256, 512];

    public static TheoryData<int> Widths() => [128, 256, 512];

    [Theory]
    [MemberData(nameof(Widths))]
    public void ExpIsWithinTwoUlp(int bits)
    {
        if (!Accelerated(bits))
        {
            output.WriteLine($"{bits}-bit vectors are not accelerated here: nothing at this width runs.");
            return;
        }

        double worstFloat = Sweep<float>(bits, Fn.Exp, Math.Exp, -87, 88);
        double worstDouble = Sweep<double>(bits, Fn.Exp, Math.Exp, -708, 709);
        output.WriteLine($"{bits}-bit exp: worst {worstFloat} ulp (float), {worstDouble} ulp (double)");
        Assert.InRange(worstFloat, 0, 2);
        Assert.InRange(worstDouble, 0, 2);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void TanhIsWithinTenUlp(int bits)
    {
        if (!Accelerated(bits))
        {
            output.WriteLine($"{bits}-bit vectors are not accelerated here: nothing at this width runs.");
            return;
        }

        double worstFloat = Math.Max(Sweep<float>(bits, Fn.Tanh, Math.Tanh, -12, 12), Sweep<float>(bits, Fn.Tanh, Math.Tanh, -0.5, 0.5));
        double worstDouble = Math.Max(Sweep<double>(bits, Fn.Tanh, Math.Tanh, -22, 22), Sweep<double>(bits, Fn.Tanh, Math.Tanh, -0.5, 0.5));
        output.WriteLine($"{bits}-bit tanh (FMA {KernelSimd.FusedMultiplyAdd}): worst {worstFloat} ulp (float), {worstDouble} ulp (double)");
        Assert.InRange(worstFloat, 0, 10);
        Assert.InRange(worstDouble, 0, 10);
    }

    [SizedProperty(MaxTest = 200)]
    public Property TanhIsOddAndBoundedForAnyFiniteInput() =>
        Prop.ForAll(Gens.FiniteDouble(1e300).ToArbitrary(), x =>
        {
            foreach (int bits in AllBits)
            {
                if (!Accelerated(bits))
                {
                    continue;
                }

                double t = Apply(bits, Fn.Tanh, [x])[0];
                double minus = Apply(bits, Fn.Tanh, [-x])[0];
                float f = Apply(bits, Fn.Tanh, [(float)x])[0];
                if (t != -minus || Math.Abs(t) > 1 || Math.Abs(f) > 1)
                {
                    return false;
                }
            }

            return true;
        });

    [Theory]
    [MemberData(nameof(Widths))]
    public void TailMaskSelectsTheLastLanes(int bits)
    {
        if (!Accelerated(bits))
        {
            output.WriteLine($"{bits}-bit vectors are not accelerated here.");
            return;
        }

        int lanes = bits / 32;
        for (int remaining = 1; remaining <= lanes; remaining++)
        {
            float[] mask = bits switch
            {
                128 => Lanes(Simd128<float>.TailMask((nuint)remaining)),
                256 => Lanes(Simd256<float>.TailMask((nuint)remaining)),
                _ => Lanes(Simd512<float>.TailMask((nuint)remaining)),
            };
            for (int lane = 0; lane < lanes; lane++)
            {
                Assert.Equal(lane >= lanes - remaining, BitConverter.SingleToInt32Bits(mask[lane]) != 0);
            }
        }
    }

    /// <summary>The width the kernels run at is the one <see cref="KernelSimd"/> chose (and the one CI forced).</summary>
    [Fact]
    public void TheKernelsRunAtTheChosenWidth()
    {
        int lanes = SimdWidth.Lanes<float>();
        output.WriteLine($"{KernelSimd.Describe()}: {lanes} float lanes");
        Assert.Equal(KernelSimd.VectorBits == 0 ? 1 : KernelSimd.VectorBits / 32, lanes);
        Assert.Equal(KernelSimd.Lanes<double>(), SimdWidth.Lanes<double>());
        string? pinned = Environment.GetEnvironmentVariable(KernelSimd.EnvironmentVariable);
        if (pinned is not null)
        {
            Assert.Equal(Math.Min(int.Parse(pinned, System.Globalization.CultureInfo.InvariantCulture), KernelSimd.HardwareBits), KernelSimd.VectorBits);
        }
    }

    internal static bool Accelerated(int bits) => bits switch
    {
        128 => Vector128.IsHardwareAccelerated,
        256 => Vector256.IsHardwareAccelerated,
        _ => Vector512.IsHardwareAccelerated,
    };

    internal enum Fn
    {
        Exp,
        Tanh,
    }

    /// <summary>Applies <paramref name="fn"/> to one vector of <paramref name="bits"/> bits holding <paramref name="x"/> (zero-padded).</summary>
    internal static T[] Apply<T>(int bits, Fn fn, T[] x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = bits / 8 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var padded = new T[lanes];
        x.AsSpan(0, Math.Min(x.Length, lanes)).CopyTo(padded);
        return bits switch
        {
            128 => Lanes(fn == Fn.Exp ? Simd128<T>.Exp(Vector128.Create(padded)) : ActivationMath.Tanh<T, Vector128<T>, Simd128<T>>(Vector128.Create(padded))),
            256 => Lanes(fn == Fn.Exp ? Simd256<T>.Exp(Vector256.Create(padded)) : ActivationMath.Tanh<T, Vector256<T>, Simd256<T>>(Vector256.Create(padded))),
            _ => Lanes(fn == Fn.Exp ? Simd512<T>.Exp(Vector512.Create(padded)) : ActivationMath.Tanh<T, Vector512<T>, Simd512<T>>(Vector512.Create(padded))),
        };
    }

    private static T[] Lanes<T>(Vector128<T> v)
    {
        var lanes = new T[Vector128<T>.Count];
        v.CopyTo(lanes);
        return lanes;
    }

    private static T[] Lanes<T>(Vector256<T> v)
    {
        var lanes = new T[Vector256<T>.Count];
        v.CopyTo(lanes);
        return lanes;
    }

    private static T[] Lanes<T>(Vector512<T> v)
    {
        var lanes = new T[Vector512<T>.Count];
        v.CopyTo(lanes);
        return lanes;
    }

    /// <summary>Worst error in ulp over 20 000 points evenly spread over [from, to].</summary>
    private static double Sweep<T>(int bits, Fn fn, Func<double, double> exact, double from, double to)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int points = 20_000;
        int lanes = bits / 8 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var x = new T[lanes];
        double worst = 0;
        for (int k = 0; k <= points; k += x.Length)
        {
            for (int lane = 0; lane < x.Length; lane++)
            {
                x[lane] = T.CreateTruncating(from + ((to - from) * (k + lane) / points));
            }

            T[] y = Apply(bits, fn, x);
            for (int lane = 0; lane < x.Length; lane++)
            {
                T expected = T.CreateTruncating(exact(double.CreateTruncating(x[lane])));
                double ulp = double.CreateTruncating(T.BitIncrement(T.Abs(expected)) - T.Abs(expected));
                worst = Math.Max(worst, Math.Abs(double.CreateTruncating(y[lane]) - double.CreateTruncating(expected)) / ulp);
            }
        }

        return worst;
    }
}
