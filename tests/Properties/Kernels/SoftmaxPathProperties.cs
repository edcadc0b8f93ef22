using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using static Backprop.Properties.Kernels.KernelAccuracy;

namespace Backprop.Properties.Kernels;

/// <summary>
/// Softmax, log-softmax and the cross-entropy loss at extreme but finite logits, with tolerances that
/// do not grow with |z|: the exact result depends only on the differences dⱼ = m − zⱼ from the row's
/// maximum m, so the error allowed depends only on them and on the row length.
/// </summary>
/// <remarks>
/// Rows are built so that every difference is exact in the element type: a maximum m of magnitude
/// from 1 to the type's largest finite value, of either sign, and the other elements in [m/2, m]
/// (for m &gt; 0; [2m, m] for m &lt; 0) — Sterbenz's lemma makes m − zⱼ exact. Some are ties with m,
/// some within 30 of it (probabilities that matter), some far below (probabilities that underflow).
/// The exact dⱼ = m − zⱼ is then computed in double (exact too), and the expected values from it
/// alone: log pⱼ = −dⱼ − log S, pⱼ = e^(−dⱼ)/S, loss = dₜ + log S, S = Σ e^(−dₖ). Allowed error:
/// (n + 8)·ε·(1 + |expected|) for the logarithms (the kernels' (z − m) is exact; log S has an
/// error of a few ε plus n roundings of the sum), and (n + 8)·ε·p + the smallest normal for p.
/// A kernel computing z − (m + log S) fails at large m: m + log S rounds log S away.
/// </remarks>
public class SoftmaxPathProperties
{
    private static Arbitrary<int> Seeds => Gens.Seed.ToArbitrary();

    [SizedProperty(MaxTest = 20)]
    public Property ExtremeLogitsHaveAnErrorThatDoesNotGrowWithTheirSize() =>
        Prop.ForAll(Seeds, seed => Extreme<float>(seed, float.MaxValue) && Extreme<double>(seed, double.MaxValue));

    /// <summary>
    /// The row maximum that softmax, log-softmax and cross-entropy shift by (<c>Softmax.Max</c>: four
    /// vector accumulators, a remainder loop and a last vector that overlaps the one before) is the
    /// row's largest element exactly, at every length up to six 512-bit vectors and three more (so the
    /// unrolled loop, the remainder loop and the overlap run at every width this process can take), with
    /// the largest element at every position. The row lies between +∞ sentinels, so a read outside it shows.
    /// </summary>
    /// <remarks>
    /// Softmax is invariant under the shift, so a wrong maximum shows in the results only when it
    /// makes an exponential overflow or underflow; this checks the maximum itself.
    /// </remarks>
    [SizedProperty(MaxTest = 5)]
    public Property RowMaximumIsExactWhereverItLies() =>
        Prop.ForAll(Seeds, seed => MaximumEverywhere<float>(seed) && MaximumEverywhere<double>(seed));

    private static bool MaximumEverywhere<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        int longest = (6 * KernelAccuracy.WidestLanes<T>()) + 3;
        for (int n = 1; n <= longest; n++)
        {
            T[] values = Gens.Random<T>(n, random.Next(), 30);
            T[] buffer = new T[n + 2];
            for (int k = 0; k < n; k++)
            {
                buffer.AsSpan().Fill(T.PositiveInfinity);
                values.CopyTo(buffer, 1);
                T largest = T.CreateTruncating(31 + random.NextDouble());
                buffer[1 + k] = largest;
                T max = Softmax.Max<T>(buffer.AsSpan(1, n));
                Require(max == largest, $"{typeof(T).Name} row of {n}, largest {largest} at {k}: the kernel's maximum is {max}");
            }
        }

        return true;
    }

    private static bool Extreme<T>(int seed, double max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        double eps = KernelAccuracy.Epsilon<T>();
        double minNormal = KernelAccuracy.MinNormal<T>();
        double[] magnitudes = [1, 1e3, 1e7, 1e20, max / 1e10, max / 2]; // |m| ≤ max/2: m − |m|/2 stays finite
        foreach (int n in PathLengths.Around<T>())
        {
            double magnitude = magnitudes[random.Next(magnitudes.Length)];
            T m = T.CreateTruncating((random.Next(2) == 0 ? 1 : -1) * magnitude * (0.5 + (random.NextDouble() / 2)));
            double md = double.CreateTruncating(m);
            T[] z = new T[n];
            int at = random.Next(n);
            for (int j = 0; j < n; j++)
            {
                double d = j == at ? 0 : random.Next(4) switch
                {
                    0 => 0,
                    1 => random.NextDouble() * Math.Min(30, Math.Abs(md) / 2),
                    2 => random.Next(0, 31),
                    _ => random.NextDouble() * Math.Abs(md) / 2,
                };
                z[j] = T.CreateTruncating(md - d);

                // Keep zⱼ within [m/2, m] (or [2m, m]) after rounding, so m − zⱼ stays exact.
                if (!T.IsFinite(z[j]) || z[j] > m || (md > 0 ? double.CreateTruncating(z[j]) < md / 2 : double.CreateTruncating(z[j]) < 2 * md))
                {
                    z[j] = m;
                }
            }

            var diff = new double[n];
            double sum = 0;
            for (int j = 0; j < n; j++)
            {
                diff[j] = md - double.CreateTruncating(z[j]); // exact: Sterbenz in T, and double holds T's differences
                sum += Math.Exp(-diff[j]);
            }

            double logSum = Math.Log(sum);
            double allowed = (n + 8) * eps;
            string row = $"{typeof(T).Name} row of {n}, max {md:R}";

            T[] log = new T[n], p = new T[n];
            Softmax.LogForward(new ReadOnlyMatrixSpan<T>(z, 1, n), new MatrixSpan<T>(log, 1, n));
            Softmax.Forward(new ReadOnlyMatrixSpan<T>(z, 1, n), new MatrixSpan<T>(p, 1, n));
            int target = random.Next(n);
            double loss = double.CreateTruncating(CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<T>(z, 1, n), [target]));
            double expectedLoss = diff[target] + logSum;
            Require(Math.Abs(loss - expectedLoss) <= allowed * (1 + Math.Abs(expectedLoss)), $"{row}: loss for class {target} is {loss:R}, exactly {expectedLoss:R}");
            for (int j = 0; j < n; j++)
            {
                double expectedLog = -diff[j] - logSum;
                double actualLog = double.CreateTruncating(log[j]);
                Require(Math.Abs(actualLog - expectedLog) <= allowed * (1 + Math.Abs(expectedLog)), $"{row}: log-softmax[{j}] (z = {z[j]:R}) is {actualLog:R}, exactly {expectedLog:R}");
                double expectedP = Math.Exp(-diff[j]) / sum;
                double actualP = double.CreateTruncating(p[j]);
                Require(Math.Abs(actualP - expectedP) <= (allowed * expectedP) + minNormal, $"{row}: softmax[{j}] (z = {z[j]:R}) is {actualP:R}, exactly {expectedP:R}");
            }
        }

        return true;
    }
}
