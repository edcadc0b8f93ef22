using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit.Abstractions;

namespace Backprop.Properties.Kernels;

/// <summary>
/// Measures the vector math the kernels build on, in ulp of the correctly rounded result (float
/// results are compared with the double-precision function rounded to float). These bounds are what
/// the kernel properties' tolerances are derived from.
/// </summary>
public class VectorMathProperties(ITestOutputHelper output)
{
    [Fact]
    public void ExpIsWithinTwoUlp()
    {
        double worstFloat = Sweep<float>(x => VectorMath.Exp(x), Math.Exp, -87, 88);
        double worstDouble = Sweep<double>(x => VectorMath.Exp(x), Math.Exp, -708, 709);
        output.WriteLine($"exp: worst {worstFloat} ulp (float), {worstDouble} ulp (double)");
        Assert.InRange(worstFloat, 0, 2);
        Assert.InRange(worstDouble, 0, 2);
    }

    [Fact]
    public void TanhIsWithinTenUlp()
    {
        double worstFloat = Math.Max(Sweep<float>(VectorMath.Tanh, Math.Tanh, -12, 12), Sweep<float>(VectorMath.Tanh, Math.Tanh, -0.5, 0.5));
        double worstDouble = Math.Max(Sweep<double>(VectorMath.Tanh, Math.Tanh, -22, 22), Sweep<double>(VectorMath.Tanh, Math.Tanh, -0.5, 0.5));
        output.WriteLine($"tanh: worst {worstFloat} ulp (float), {worstDouble} ulp (double)");
        Assert.InRange(worstFloat, 0, 10);
        Assert.InRange(worstDouble, 0, 10);
    }

    [Property(MaxTest = 200)]
    public Property TanhIsOddAndBoundedForAnyFiniteInput() =>
        Prop.ForAll(Gens.FiniteDouble(1e300).ToArbitrary(), x =>
        {
            double t = VectorMath.Tanh(new Vector<double>(x))[0];
            float f = VectorMath.Tanh(new Vector<float>((float)x))[0];
            return t == -VectorMath.Tanh(new Vector<double>(-x))[0] && Math.Abs(t) <= 1 && Math.Abs(f) <= 1;
        });

    [Fact]
    public void TailMaskSelectsTheLastLanes()
    {
        for (int remaining = 1; remaining <= Vector<float>.Count; remaining++)
        {
            Vector<float> mask = VectorMath.TailMask<float>((nuint)remaining);
            for (int lane = 0; lane < Vector<float>.Count; lane++)
            {
                Assert.Equal(lane >= Vector<float>.Count - remaining, mask[lane] != 0 || float.IsNaN(mask[lane]));
            }
        }
    }

    /// <summary>Worst error in ulp over 20 000 points evenly spread over [from, to], plus the endpoints' neighbourhoods.</summary>
    private static double Sweep<T>(Func<Vector<T>, Vector<T>> f, Func<double, double> exact, double from, double to)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int points = 20_000;
        var x = new T[Vector<T>.Count];
        double worst = 0;
        for (int k = 0; k <= points; k += x.Length)
        {
            for (int lane = 0; lane < x.Length; lane++)
            {
                x[lane] = T.CreateTruncating(from + ((to - from) * (k + lane) / points));
            }

            Vector<T> y = f(new Vector<T>(x));
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
