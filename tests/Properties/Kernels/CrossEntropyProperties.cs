using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using static Backprop.Properties.Kernels.KernelAccuracy;
using static Backprop.Properties.Support.Refusals;

namespace Backprop.Properties.Kernels;

/// <summary>Fused softmax cross-entropy, for class-index and probability-row targets.</summary>
/// <remarks>
/// Tolerances for N rows of n classes, as in <see cref="SoftmaxProperties"/>: the row sums Σ e^(z − m)
/// agree to (n + 4)·ε relative, so log Σ agrees to (n + 4)·ε absolute; the loss is compared to
/// (n + N + 8)·ε relative to 1 + |loss| + max|z| (the reference forms m + log Σ − z, which rounds at
/// the scale of |z|). A gradient entry softmax/N − y/N is compared to (n + 8)·ε relative to p/N + y/N,
/// the size of the two terms that cancel.
/// </remarks>
public class CrossEntropyProperties
{
    private static readonly int[] PlainWidths = [2, 3, 10, 17, 64, 130];

    private static Arbitrary<int> Seeds => Gens.Seed.ToArbitrary();

    [SizedProperty(MaxTest = 25)]
    public Property IndexTargetsMatchReference() =>
        Prop.ForAll(Seeds, seed => Matches<float>(seed, 30, probabilities: false) && Matches<double>(seed, 300, probabilities: false));

    [SizedProperty(MaxTest = 25)]
    public Property ProbabilityTargetsMatchReference() =>
        Prop.ForAll(Seeds, seed => Matches<float>(seed, 30, probabilities: true) && Matches<double>(seed, 300, probabilities: true));

    /// <summary>Label smoothing: the fused kernel against the plain loop over the smoothed rows (1 − ε)·onehot + ε/n, at every width, narrow chunks included.</summary>
    [SizedProperty(MaxTest = 15)]
    public Property SmoothedTargetsMatchReference() =>
        Prop.ForAll(Seeds, seed =>
        {
            double smoothing = new Random(seed).Next(3) switch { 0 => 0.1, 1 => 0.5, _ => 0.999 };
            return Matches<float>(seed, 30, probabilities: false, smoothing) && Matches<double>(seed, 300, probabilities: false, smoothing)
                && NarrowMatches<float>(seed, probabilities: false, smoothing) && NarrowMatches<double>(seed, probabilities: false, smoothing);
        });

    /// <summary>ε = 0 is the unsmoothed kernel bit for bit (loss and gradient), wide rows and narrow ones.</summary>
    [SizedProperty(MaxTest = 10)]
    public Property ZeroSmoothingIsThePlainKernel() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            foreach (int n in PlainWidths)
            {
                int rows = random.Next(1, 300);
                float[] z = Gens.RandomWithEdges<float>(rows * n, random.Next(), 30);
                int[] targets = [.. Enumerable.Range(0, rows).Select(_ => random.Next(n))];
                float[] plain = new float[rows * n];
                float[] smoothed = new float[rows * n];
                float a = CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, rows, n), targets, new MatrixSpan<float>(plain, rows, n));
                float b = CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, rows, n), targets, new MatrixSpan<float>(smoothed, rows, n), 0f);
                Require(BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b), $"{rows}×{n}: loss {a:R} vs {b:R}");
                Require(plain.AsSpan().SequenceEqual(smoothed), $"{rows}×{n}: gradients differ");
            }

            return true;
        });

    /// <summary>
    /// The smoothed gradient <c>(Ŷ − Y_smooth)/N</c> equals central finite differences of the smoothed loss
    /// (the plain reference loop over the smoothed rows; double), wide and narrow rows; tolerance as in
    /// <see cref="GradientEqualsFiniteDifferences"/>.
    /// </summary>
    [SizedProperty(MaxTest = 25)]
    public Property SmoothedGradientEqualsFiniteDifferences() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            int rows = random.Next(1, 4);
            int n = random.Next(0, 2) == 0 ? random.Next(1, 8) : random.Next(8, 20);
            double smoothing = random.NextDouble();
            double[] z = Gens.Random<double>(rows * n, random.Next(), 3);
            int[] targets = [.. Enumerable.Range(0, rows).Select(_ => random.Next(n))];
            double[] g = new double[rows * n];
            double[] scratch = new double[rows * n];
            CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<double>(z, rows, n), targets, new MatrixSpan<double>(g, rows, n), smoothing);
            const double h = 1e-5;
            for (int k = 0; k < z.Length; k++)
            {
                double original = z[k];
                z[k] = original + h;
                double up = CrossEntropyReference.Loss<double>(z, rows, n, targets, smoothing, scratch);
                z[k] = original - h;
                double down = CrossEntropyReference.Loss<double>(z, rows, n, targets, smoothing, scratch);
                z[k] = original;
                double fd = (up - down) / (2 * h);
                Require(Math.Abs(g[k] - fd) <= 1e-8, $"ε {smoothing:R}, {rows}×{n}, element {k}: gradient {g[k]:R}, finite difference {fd:R}");
            }

            return true;
        });

    [SizedProperty(MaxTest = 10)]
    public Property NarrowRowsMatchReferenceAcrossChunks() =>
        Prop.ForAll(Seeds, seed => NarrowMatches<float>(seed, probabilities: false) && NarrowMatches<double>(seed, probabilities: false) && NarrowMatches<float>(seed, probabilities: true));

    /// <summary>For moderate logits the loss is −mean log softmax[target] (softmax from the kernel), and never negative.</summary>
    [SizedProperty(MaxTest = 25)]
    public Property LossIsMinusLogSoftmaxOfTarget() =>
        Prop.ForAll(Seeds, seed => MinusLogSoftmax<float>(seed) && MinusLogSoftmax<double>(seed));

    /// <summary>Logits up to ±1e4 (float) and ±1e300 (double): finite loss ≥ 0, gradient entries in [−1/N, 1/N], each gradient row summing to 0.</summary>
    [SizedProperty(MaxTest = 25)]
    public Property ExtremeLogitsStayFinite() =>
        Prop.ForAll(Seeds, seed => Finite<float>(seed, 1e4) && Finite<double>(seed, 1e300));

    /// <summary>The fused gradient equals central finite differences of the loss (double), for both target kinds.</summary>
    /// <remarks>
    /// With h = 10⁻⁵ and logits in [−3, 3] the central difference is off by about h²·|L'''| ≈ 10⁻¹⁰ plus
    /// rounding ε·|L|/h ≈ 10⁻¹⁰; 10⁻⁸ absolute leaves room yet catches any wrong term (a missing 1/N or
    /// a wrong sign is off by more than 10⁻²).
    /// </remarks>
    [SizedProperty(MaxTest = 25)]
    public Property GradientEqualsFiniteDifferences() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            int rows = random.Next(1, 4);
            int n = random.Next(1, 8);
            double[] z = Gens.Random<double>(rows * n, random.Next(), 3);
            int[] targets = [.. Enumerable.Range(0, rows).Select(_ => random.Next(n))];
            double[] y = Gens.ProbabilityRows<double>(rows, n, n, random.Next());
            double[] gIndex = new double[rows * n];
            double[] gProb = new double[rows * n];
            CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<double>(z, rows, n), targets, new MatrixSpan<double>(gIndex, rows, n));
            CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<double>(z, rows, n), new ReadOnlyMatrixSpan<double>(y, rows, n), new MatrixSpan<double>(gProb, rows, n));
            const double h = 1e-5;
            for (int k = 0; k < z.Length; k++)
            {
                double original = z[k];
                z[k] = original + h;
                double indexUp = CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<double>(z, rows, n), targets);
                double probUp = CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<double>(z, rows, n), new ReadOnlyMatrixSpan<double>(y, rows, n));
                z[k] = original - h;
                double indexDown = CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<double>(z, rows, n), targets);
                double probDown = CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<double>(z, rows, n), new ReadOnlyMatrixSpan<double>(y, rows, n));
                z[k] = original;
                double fdIndex = (indexUp - indexDown) / (2 * h);
                double fdProb = (probUp - probDown) / (2 * h);
                Require(Math.Abs(gIndex[k] - fdIndex) <= 1e-8, $"index targets {rows}×{n}, element {k}: gradient {gIndex[k]:R}, finite difference {fdIndex:R}");
                Require(Math.Abs(gProb[k] - fdProb) <= 1e-8, $"probability targets {rows}×{n}, element {k}: gradient {gProb[k]:R}, finite difference {fdProb:R}");
            }

            return true;
        });

    [Fact]
    public void BadArgumentsThrowNamingTheParameter()
    {
        float[] z = new float[6];
        var logits = new ReadOnlyMatrixSpan<float>(z, 2, 3);
        float[] buffer = new float[20];
        AssertParam("targets", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), [0], new MatrixSpan<float>(new float[6], 2, 3)));
        AssertParam<ArgumentOutOfRangeException>("targets", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), [0, 3], new MatrixSpan<float>(new float[6], 2, 3)));
        AssertParam<ArgumentOutOfRangeException>("targets", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), [-1, 0], new MatrixSpan<float>(new float[6], 2, 3)));
        AssertParam<ArgumentOutOfRangeException>("targets", () => CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<float>(z, 2, 3), [0, 7]));
        AssertParam("logits", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 0, 3), [], new MatrixSpan<float>(new float[6], 0, 3)));
        AssertParam("logits", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 0), new ReadOnlyMatrixSpan<float>(z, 2, 0), new MatrixSpan<float>(new float[6], 2, 0)));
        AssertParam("logits", () => CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<float>(z, 0, 3), new ReadOnlyMatrixSpan<float>(z, 0, 3)));
        AssertParam("gradient", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), [0, 1], new MatrixSpan<float>(new float[6], 3, 2)));
        AssertParam("gradient", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(buffer, 2, 3), [0, 1], new MatrixSpan<float>(buffer.AsSpan(2), 2, 3)));
        AssertParam("targets", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), new ReadOnlyMatrixSpan<float>(z, 3, 2), new MatrixSpan<float>(new float[6], 2, 3)));
        AssertParam("targets", () => CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<float>(z, 2, 3), new ReadOnlyMatrixSpan<float>(z, 2, 2)));
        AssertParam("gradient", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), new ReadOnlyMatrixSpan<float>(buffer, 2, 3), new MatrixSpan<float>(buffer.AsSpan(4), 2, 3)));
        foreach (float epsilon in new[] { -0.1f, 1f, 2f, float.NaN })
        {
            AssertParam<ArgumentOutOfRangeException>("labelSmoothing", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), [0, 1], new MatrixSpan<float>(new float[6], 2, 3), epsilon));
        }

        AssertParam<ArgumentOutOfRangeException>("targets", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), [0, 3], new MatrixSpan<float>(new float[6], 2, 3), 0.1f));
        AssertParam("gradient", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), [0, 1], new MatrixSpan<float>(new float[6], 3, 2), 0.1f));
        AssertParam("gradient", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(buffer, 2, 3), [0, 1], new MatrixSpan<float>(buffer.AsSpan(2), 2, 3), 0.1f));
        AssertParam("gradient", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), new MatrixSpan<float>(new float[6], 3, 2)));
        AssertParam("gradient", () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(buffer, 2, 3), new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), new MatrixSpan<float>(buffer.AsSpan(2), 2, 3)));
        Assert.Equal(2, logits.Rows);
    }

    /// <summary>
    /// Refusals say what was expected: element types other than float and double (naming the type), an
    /// empty matrix (naming the kernel), a target outside the classes (naming the range), a label
    /// smoothing outside [0, 1).
    /// </summary>
    [Fact]
    public void RefusalsSayWhatWasExpected()
    {
        Half[] h = new Half[6], g = new Half[6];
        foreach (Action call in new Action[]
        {
            () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<Half>(h, 2, 3), [0, 1], new MatrixSpan<Half>(g, 2, 3)),
            () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<Half>(h, 2, 3), [0, 1], new MatrixSpan<Half>(g, 2, 3), Half.Zero),
            () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<Half>(h, 2, 3), new ReadOnlyMatrixSpan<Half>(new Half[6], 2, 3), new MatrixSpan<Half>(g, 2, 3)),
            () => CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<Half>(h, 2, 3), [0, 1]),
            () => CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<Half>(h, 2, 3), new ReadOnlyMatrixSpan<Half>(new Half[6], 2, 3)),
        })
        {
            NotSupportedException e = Assert.Throws<NotSupportedException>(call);
            Assert.Contains("Half", e.Message, StringComparison.Ordinal);
            Assert.Contains("float or double", e.Message, StringComparison.Ordinal);
        }

        float[] z = new float[6];
        foreach (Action call in new Action[]
        {
            () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 0, 3), [], new MatrixSpan<float>(z, 0, 3)),
            () => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 0), new ReadOnlyMatrixSpan<float>(z, 2, 0), new MatrixSpan<float>(new float[6], 2, 0)),
            () => CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<float>(z, 0, 3), new ReadOnlyMatrixSpan<float>(z, 0, 3)),
        })
        {
            ArgumentException empty = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Contains("Cross-entropy needs at least one row and one column", empty.Message, StringComparison.Ordinal);
        }

        ArgumentOutOfRangeException target = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<float>(z, 2, 3), [0, 7]));
        Assert.Contains("[0, 3)", target.Message, StringComparison.Ordinal);
        ArgumentOutOfRangeException smoothing = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 2, 3), [0, 1], new MatrixSpan<float>(new float[6], 2, 3), 1f));
        Assert.Contains("[0, 1)", smoothing.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Target rows need not sum to 1: the loss is (1/N) Σᵢ Σⱼ yᵢⱼ (logsumexp(zᵢ) − zᵢⱼ) for any
    /// non-negative weights (here probability rows scaled by 0.5, 2 or 3), fused and loss-only, against
    /// the reference; tolerance as in <see cref="ProbabilityTargetsMatchReference"/>, times the scale.
    /// </summary>
    [SizedProperty(MaxTest = 10)]
    public Property UnnormalisedTargetRowsWeighTheLoss() =>
        Prop.ForAll(Seeds, seed => Unnormalised<float>(seed) && Unnormalised<double>(seed));

    /// <summary>
    /// A zero target weight contributes nothing even where zⱼ − max overflows to −∞ (0 · −∞ would be
    /// NaN): one-hot probability rows with the other logits at −0.9·max and the target at +0.9·max
    /// give a loss of 0 (to the exponential's few ε: e⁰ may be 1 + ε), fused and loss-only, at every length around every vector width.
    /// </summary>
    [SizedProperty(MaxTest = 5)]
    public Property ZeroTargetWeightsIgnoreLogitsThatOverflow() =>
        Prop.ForAll(Seeds, seed => ZeroWeights<float>(seed) && ZeroWeights<double>(seed));

    /// <summary>Rows longer than a narrow chunk's scratch (<c>Softmax.ChunkElements</c>): only the row-by-row forms can take them; against the reference.</summary>
    [SizedProperty(MaxTest = 3)]
    public Property RowsLongerThanANarrowChunkMatchReference() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            foreach (int n in new[] { Softmax.ChunkElements + 1, Softmax.ChunkElements + 77 })
            {
                MatchesCase<float>(random, n, 2, 30, probabilities: false);
                MatchesCase<double>(random, n, 2, 30, probabilities: false, smoothing: 0.1);
            }

            return true;
        });

    /// <summary>
    /// Narrow rows (chunked forms) in a view whose span ends at its last element, with padding wider
    /// than any slack, at row counts that fill whole chunks: the same loss and gradient, bit for bit, as
    /// the dense layout (the chunks depend only on the shape).
    /// </summary>
    [SizedProperty(MaxTest = 5)]
    public Property NarrowRowsOnATightSpanEqualTheDenseLayout() =>
        Prop.ForAll(Seeds, seed => TightSpan<float>(seed) && TightSpan<double>(seed));

    [Fact]
    public void KernelsDoNotAllocate()
    {
        float[] z = Gens.Random<float>(1000, 1, 5);
        float[] g = new float[1000];
        double[] zd = Gens.Random<double>(1000, 2, 5);
        double[] yd = Gens.ProbabilityRows<double>(10, 100, 100, 3);
        double[] gd = new double[1000];
        int[] targets = [.. Enumerable.Range(0, 10).Select(i => i * 7)];
        Allocations.AssertNone(() => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 10, 100), targets, new MatrixSpan<float>(g, 10, 100)));
        Allocations.AssertNone(() => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<double>(zd, 10, 90, 100), new ReadOnlyMatrixSpan<double>(yd, 10, 90, 100), new MatrixSpan<double>(gd, 10, 90, 100)));
        Allocations.AssertNone(() => CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<float>(z, 10, 100), targets));
        Allocations.AssertNone(() => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 10, 100), targets, new MatrixSpan<float>(g, 10, 100), 0.1f));
        int[] narrowTargets = [.. Enumerable.Range(0, 100).Select(i => i % 10)];
        Allocations.AssertNone(() => CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<float>(z, 100, 10), narrowTargets, new MatrixSpan<float>(g, 100, 10), 0.1f));
        Allocations.AssertNone(() => CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<double>(zd, 10, 100), new ReadOnlyMatrixSpan<double>(yd, 10, 100)));
    }

    private static bool Matches<T>(int seed, double range, bool probabilities, double smoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>(from: 1))
        {
            MatchesCase<T>(random, n, random.Next(1, 4), range, probabilities, smoothing);
        }

        return true;
    }

    /// <summary>
    /// Rows shorter than a vector take the chunked narrow forms: every narrow width, at row counts
    /// that end a chunk early, exactly, or one row into the next (and lone rows), strided or in place.
    /// </summary>
    private static bool NarrowMatches<T>(int seed, bool probabilities, double smoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        for (int n = 1; n < WidestLanes<T>(); n++)
        {
            int chunk = Softmax.RowsPerChunk(n);
            foreach (int rows in new[] { 1, 2, WidestLanes<T>() - 1, WidestLanes<T>() + 1, chunk - 1, chunk, chunk + 1, (2 * chunk) + 3 })
            {
                MatchesCase<T>(random, n, Math.Max(1, rows), 30, probabilities, smoothing);
            }
        }

        return true;
    }

    private static void MatchesCase<T>(Random random, int n, int rows, double range, bool probabilities, double smoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        {
            int stride = n + random.Next(3);
            bool inPlace = random.Next(2) == 0;
            T[] dense = Gens.RandomWithEdges<T>(rows * n, random.Next(), range);
            T[] z = Strided<T>(dense, rows, n, stride);
            T[] g = inPlace ? z : Strided<T>(new T[rows * n], rows, n, stride);
            int[] targets = [.. Enumerable.Range(0, rows).Select(_ => random.Next(n))];
            T[] y = Gens.ProbabilityRows<T>(rows, n, n, random.Next());
            int yStride = n + random.Next(2);
            T[] yStrided = Strided<T>(y, rows, n, yStride);
            var yView = new ReadOnlyMatrixSpan<T>(yStrided, rows, n, yStride);
            T[] expectedGradient = new T[rows * n];
            T expectedLoss;
            T loss;
            T lossOnly;
            if (probabilities)
            {
                expectedLoss = CrossEntropyReference.Loss<T>(dense, rows, n, y, expectedGradient);
                lossOnly = CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<T>(z, rows, n, stride), yView);
                loss = CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(z, rows, n, stride), yView, new MatrixSpan<T>(g, rows, n, stride));
            }
            else if (smoothing > 0)
            {
                T epsilon = T.CreateTruncating(smoothing);
                expectedLoss = CrossEntropyReference.Loss<T>(dense, rows, n, targets, epsilon, expectedGradient);
                lossOnly = expectedLoss; // no loss-only smoothed kernel
                loss = CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(z, rows, n, stride), targets, new MatrixSpan<T>(g, rows, n, stride), epsilon);
                y.AsSpan().Fill(epsilon / T.CreateTruncating(n));
                for (int i = 0; i < rows; i++)
                {
                    y[(i * n) + targets[i]] += T.One - epsilon;
                }
            }
            else
            {
                expectedLoss = CrossEntropyReference.Loss<T>(dense, rows, n, targets, expectedGradient);
                lossOnly = CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<T>(z, rows, n, stride), targets);
                loss = CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(z, rows, n, stride), targets, new MatrixSpan<T>(g, rows, n, stride));
                y.AsSpan().Clear();
                for (int i = 0; i < rows; i++)
                {
                    y[(i * n) + targets[i]] = T.One;
                }
            }

            string where = $"{typeof(T).Name} {rows}×{n} stride {stride}, in place {inPlace}{(smoothing > 0 ? $", ε {smoothing}" : string.Empty)}";
            double maxAbs = dense.Max(v => double.Abs(double.CreateTruncating(v)));
            double lossScale = 1 + double.Abs(double.CreateTruncating(expectedLoss)) + maxAbs;
            Close(loss, expectedLoss, n + rows + 8, lossScale, $"{where}: loss");
            Close(lossOnly, expectedLoss, n + rows + 8, lossScale, $"{where}: loss-only kernel");
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    T expected = expectedGradient[(i * n) + j];
                    double yTerm = double.CreateTruncating(y[(i * n) + j]) / rows;
                    Close(g[(i * stride) + j], expected, n + 8, double.Abs(double.CreateTruncating(expected)) + (2 * yTerm), $"{where}: gradient [{i}, {j}]");
                }
            }

            RequirePaddingUntouched(g, rows, n, stride, where);
        }
    }

    private static bool Unnormalised<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>(from: 1))
        {
            int rows = random.Next(1, 4);
            T[] z = Gens.RandomWithEdges<T>(rows * n, random.Next(), 30);
            T[] y = Gens.ProbabilityRows<T>(rows, n, n, random.Next());
            double weight = random.Next(3) switch { 0 => 0.5, 1 => 2, _ => 3 };
            for (int k = 0; k < y.Length; k++)
            {
                y[k] *= T.CreateTruncating(weight);
            }

            T expected = CrossEntropyReference.Loss<T>(z, rows, n, y, new T[rows * n]);
            T fused = CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(z, rows, n), new ReadOnlyMatrixSpan<T>(y, rows, n), new MatrixSpan<T>(new T[rows * n], rows, n));
            T lossOnly = CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<T>(z, rows, n), new ReadOnlyMatrixSpan<T>(y, rows, n));
            double maxAbs = z.Max(v => double.Abs(double.CreateTruncating(v)));
            double scale = weight * (1 + double.Abs(double.CreateTruncating(expected)) + maxAbs);
            string where = $"{typeof(T).Name} {rows}×{n}, rows summing to {weight}";
            Close(fused, expected, n + rows + 8, scale, $"{where}: loss");
            Close(lossOnly, expected, n + rows + 8, scale, $"{where}: loss-only kernel");
        }

        return true;
    }

    private static bool ZeroWeights<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        T big = T.CreateTruncating(0.9 * (typeof(T) == typeof(float) ? float.MaxValue : double.MaxValue));
        foreach (int n in PathLengths.Around<T>())
        {
            const int Rows = 2;
            T[] z = new T[Rows * n];
            T[] y = new T[Rows * n];
            z.AsSpan().Fill(-big);
            for (int i = 0; i < Rows; i++)
            {
                int t = random.Next(n);
                z[(i * n) + t] = big;
                y[(i * n) + t] = T.One;
            }

            T fused = CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(z, Rows, n), new ReadOnlyMatrixSpan<T>(y, Rows, n), new MatrixSpan<T>(new T[Rows * n], Rows, n));
            T lossOnly = CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<T>(z, Rows, n), new ReadOnlyMatrixSpan<T>(y, Rows, n));
            // Exactly 0; the vector exponential may give e⁰ a few ε above 1 (see SimdWidthProperties), so allow (n + 8)·ε absolute.
            Close(fused, T.Zero, n + 8, 1, $"{typeof(T).Name} {Rows}×{n}: loss");
            Close(lossOnly, T.Zero, n + 8, 1, $"{typeof(T).Name} {Rows}×{n}: loss-only kernel");
        }

        return true;
    }

    private static bool TightSpan<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        for (int n = 1; n < WidestLanes<T>(); n++)
        {
            int rows = Softmax.RowsPerChunk(n) * random.Next(1, 3);
            int stride = n + 7;
            T[] dense = Gens.Random<T>(rows * n, random.Next(), 30);
            T[] tight = Strided<T>(dense, rows, n, stride)[..(((rows - 1) * stride) + n)];
            int[] targets = [.. Enumerable.Range(0, rows).Select(_ => random.Next(n))];
            T[] expected = new T[rows * n];
            T[] actual = new T[tight.Length];
            string where = $"{typeof(T).Name} {rows}×{n} stride {stride}";
            T a = CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(dense, rows, n), targets, new MatrixSpan<T>(expected, rows, n));
            T b = CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(tight, rows, n, stride), targets, new MatrixSpan<T>(actual, rows, n, stride));
            Same(b, a, $"{where}: loss");
            for (int i = 0; i < rows; i++)
            {
                Same<T>(actual.AsSpan(i * stride, n), expected.AsSpan(i * n, n), $"{where}: gradient row {i}");
            }

            Same(
                CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<T>(tight, rows, n, stride), targets),
                CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<T>(dense, rows, n), targets),
                $"{where}: loss-only kernel");
        }

        return true;
    }

    private static bool MinusLogSoftmax<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>(from: 1))
        {
            int rows = random.Next(1, 4);
            T[] z = Gens.RandomWithEdges<T>(rows * n, random.Next(), 10);
            int[] targets = [.. Enumerable.Range(0, rows).Select(_ => random.Next(n))];
            T[] p = new T[rows * n];
            Softmax.Forward(new ReadOnlyMatrixSpan<T>(z, rows, n), new MatrixSpan<T>(p, rows, n));
            double expected = 0;
            for (int i = 0; i < rows; i++)
            {
                expected -= Math.Log(double.CreateTruncating(p[(i * n) + targets[i]])) / rows;
            }

            T loss = CrossEntropy.SoftmaxCrossEntropyLoss(new ReadOnlyMatrixSpan<T>(z, rows, n), targets);
            Require(loss >= T.Zero, $"{typeof(T).Name} {rows}×{n}: loss {loss} < 0");
            Close(loss, T.CreateTruncating(expected), n + rows + 8, 1 + Math.Abs(expected), $"{typeof(T).Name} {rows}×{n}: loss vs −log softmax");
        }

        return true;
    }

    private static bool Finite<T>(int seed, double range)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>(from: 1))
        {
            const int rows = 2;
            T[] z = Gens.RandomWithEdges<T>(rows * n, random.Next(), range);
            int[] targets = [random.Next(n), random.Next(n)];
            T[] y = Gens.ProbabilityRows<T>(rows, n, n, random.Next());
            T[] g = new T[rows * n];
            for (int kind = 0; kind < 2; kind++)
            {
                T loss = kind == 0
                    ? CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(z, rows, n), targets, new MatrixSpan<T>(g, rows, n))
                    : CrossEntropy.SoftmaxCrossEntropy(new ReadOnlyMatrixSpan<T>(z, rows, n), new ReadOnlyMatrixSpan<T>(y, rows, n), new MatrixSpan<T>(g, rows, n));
                string where = $"{typeof(T).Name} {rows}×{n} {(kind == 0 ? "index" : "probability")} targets";
                Require(T.IsFinite(loss) && loss >= T.Zero, $"{where}: loss {loss}");
                for (int i = 0; i < rows; i++)
                {
                    double rowSum = 0;
                    for (int j = 0; j < n; j++)
                    {
                        double gj = double.CreateTruncating(g[(i * n) + j]);
                        Require(double.IsFinite(gj) && Math.Abs(gj) <= (1.0 / rows) + 1e-6, $"{where}: gradient [{i}, {j}] = {gj}");
                        rowSum += gj;
                    }

                    Require(Math.Abs(rowSum) <= (n + 8) * Epsilon<T>() * 2 / rows, $"{where}: gradient row {i} sums to {rowSum}");
                }
            }
        }

        return true;
    }
}
