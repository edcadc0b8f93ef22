using System.Numerics;
using Backprop.Training.Inference;

namespace Backprop.Properties.Training.Inference;

/// <summary>
/// The per-call offset subtraction of <see cref="InferenceNetwork{T}"/> (offsets too large next to a
/// feature's spread to fold): vectorised where the hardware allows, it must give the bits of the
/// scalar formula <c>T((double(x) − o) · s)</c> at every length (every vector tail) and report a result
/// beyond the range of T wherever it occurs, in a vector or in the tail.
/// </summary>
public class InferenceNetworkProperties
{
    [Fact]
    public void ShiftEqualsTheScalarFormulaBitForBit()
    {
        Check<float>();
        Check<double>();
    }

    [Fact]
    public void ShiftReportsAResultBeyondTheRangeAtEveryPosition()
    {
        for (int length = 1; length <= 21; length++)
        {
            for (int at = 0; at < length; at++)
            {
                float[] x = new float[length];
                double[] offsets = new double[length];
                Array.Fill(offsets, 5.0);
                x[at] = -3e38f;
                offsets[at] = 1e38; // −3e38 − 1e38 is finite in double, not in float
                Assert.False(InferenceNetwork<float>.ShiftRow(x, new float[length], offsets, null), $"length {length}, at {at}");
                Assert.True(InferenceNetwork<float>.ShiftRow(new float[length], new float[length], offsets, null));

                double[] xd = new double[length];
                double[] scales = new double[length];
                Array.Fill(scales, 1.0);
                xd[at] = 1e300;
                scales[at] = 1e10;
                Assert.False(InferenceNetwork<double>.ShiftRow(xd, new double[length], offsets, scales), $"double, length {length}, at {at}");
            }
        }
    }

    private static void Check<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(7);
        for (int length = 1; length <= 41; length++)
        {
            T[] x = new T[length];
            double[] offsets = new double[length];
            double[] scales = new double[length];
            for (int i = 0; i < length; i++)
            {
                x[i] = T.CreateTruncating(2000 + ((random.NextDouble() - 0.5) * 40));
                offsets[i] = i % 3 == 0 ? 0 : 1999.7 + random.NextDouble();
                scales[i] = 0.01 + random.NextDouble();
            }

            foreach (double[]? s in new[] { null, scales })
            {
                T[] actual = new T[length];
                Assert.True(InferenceNetwork<T>.ShiftRow(x, actual, offsets, s));
                for (int i = 0; i < length; i++)
                {
                    double d = double.CreateTruncating(x[i]) - offsets[i];
                    T expected = T.CreateTruncating(s is null ? d : d * s[i]);
                    Assert.True(expected.Equals(actual[i]), $"{typeof(T).Name} length {length} [{i}]: {actual[i]}, scalar formula {expected}");
                }
            }
        }
    }
}
