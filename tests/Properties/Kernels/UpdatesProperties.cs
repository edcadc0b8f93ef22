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
/// The optimiser steps against <see cref="UpdatesReference"/>, at every length up to
/// 3·(512-bit lanes) + 3 (every tail at every width), unaligned, over several consecutive steps. Exact: the kernels use the
/// same IEEE operations in the same order as the formulas (no fused multiply-add), and the masked
/// tail updates each element once.
/// </summary>
public class UpdatesProperties
{
    private static Arbitrary<int> Seeds => Gens.Seed.ToArbitrary();

    [SizedProperty(MaxTest = 25)]
    public Property AxpyMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed => AxpyMatches<float>(seed) && AxpyMatches<double>(seed));

    [SizedProperty(MaxTest = 25)]
    public Property SgdStepMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed => StepsMatch<float>(seed, Optimiser.Sgd) && StepsMatch<double>(seed, Optimiser.Sgd));

    [SizedProperty(MaxTest = 25)]
    public Property MomentumStepMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed =>
            StepsMatch<float>(seed, Optimiser.Momentum) && StepsMatch<double>(seed, Optimiser.Momentum)
            && StepsMatch<float>(seed, Optimiser.Nesterov) && StepsMatch<double>(seed, Optimiser.Nesterov));

    [SizedProperty(MaxTest = 25)]
    public Property AdamStepMatchesReferenceExactly() =>
        Prop.ForAll(Seeds, seed => StepsMatch<float>(seed, Optimiser.Adam) && StepsMatch<double>(seed, Optimiser.Adam));

    [Fact]
    public void BadArgumentsThrowNamingTheParameter()
    {
        float[] buffer = new float[20];
        AssertParam("y", () => Updates.Axpy<float>(1f, new float[3], new float[4]));
        AssertParam("y", () => Updates.Axpy<float>(1f, buffer.AsSpan(0, 5), buffer.AsSpan(1, 5)));
        AssertParam("gradients", () => Updates.SgdStep<float>(new float[3], new float[4], 0.1f, 0f));
        AssertParam("parameters", () => Updates.SgdStep<float>(buffer.AsSpan(0, 5), buffer.AsSpan(3, 5), 0.1f, 0f));
        AssertParam("velocity", () => Updates.MomentumStep<float>(new float[3], new float[3], new float[2], 0.1f, 0.9f, false, 0f));
        AssertParam("velocity", () => Updates.MomentumStep<float>(new float[5], buffer.AsSpan(0, 5), buffer.AsSpan(2, 5), 0.1f, 0.9f, true, 0f));
        AssertParam("firstMoment", () => Updates.AdamStep<float>(new float[3], new float[3], new float[4], new float[3], 1e-3f, 0.9f, 0.999f, 1e-8f, 1, 0f));
        AssertParam("secondMoment", () => Updates.AdamStep<float>(new float[3], new float[3], new float[3], new float[2], 1e-3f, 0.9f, 0.999f, 1e-8f, 1, 0f));
        AssertParam("secondMoment", () => Updates.AdamStep<float>(new float[5], new float[5], buffer.AsSpan(0, 5), buffer.AsSpan(4, 5), 1e-3f, 0.9f, 0.999f, 1e-8f, 1, 0f));
        AssertParam("parameters", () => Updates.AdamStep<float>(buffer.AsSpan(0, 5), new float[5], new float[5], buffer.AsSpan(3, 5), 1e-3f, 0.9f, 0.999f, 1e-8f, 1, 0f));
        AssertParam("gradients", () => Updates.MomentumStep<float>(new float[3], new float[4], new float[3], 0.1f, 0.9f, false, 0f));
        AssertParam("gradients", () => Updates.AdamStep<float>(new float[3], new float[4], new float[3], new float[3], 1e-3f, 0.9f, 0.999f, 1e-8f, 1, 0f));
        AssertParam("step", () => Updates.AdamStep<float>(new float[3], new float[3], new float[3], new float[3], 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 0f));
    }

    /// <summary>
    /// Every pair of buffers a step reads and writes is refused when the two overlap (by one element
    /// or more), naming the buffer the check is about; the other buffers are disjoint, so each case
    /// can only be refused by its own check.
    /// </summary>
    [Fact]
    public void EveryOverlappingPairIsRefusedNamingTheParameter()
    {
        // Momentum: (gradients, parameters), (gradients, velocity), (velocity, parameters).
        foreach ((int first, int second, string name) in new[] { (0, 1, "parameters"), (0, 2, "velocity"), (2, 1, "parameters") })
        {
            foreach (bool nesterov in new[] { false, true })
            {
                AssertParam(name, () =>
                {
                    Memory<float>[] b = Buffers(3, first, second);
                    Updates.MomentumStep<float>(b[1].Span, b[0].Span, b[2].Span, 0.1f, 0.9f, nesterov, 0f);
                });
            }
        }

        // Adam: (gradients, parameters), (gradients, m), (gradients, v), (m, parameters), (v, parameters), (m, v).
        foreach ((int first, int second, string name) in new[]
        {
            (0, 1, "parameters"), (0, 2, "firstMoment"), (0, 3, "secondMoment"), (2, 1, "parameters"), (3, 1, "parameters"), (2, 3, "secondMoment"),
        })
        {
            AssertParam(name, () =>
            {
                Memory<float>[] b = Buffers(4, first, second);
                Updates.AdamStep<float>(b[1].Span, b[0].Span, b[2].Span, b[3].Span, 1e-3f, 0.9f, 0.999f, 1e-8f, 1, 0f);
            });
        }

        AssertParam("parameters", () =>
        {
            Memory<float>[] b = Buffers(2, 1, 0);
            Updates.SgdStep<float>(b[1].Span, b[0].Span, 0.1f, 0f);
        });
    }

    /// <summary>Element types other than float and double are refused by every step with a message naming the type and what is supported.</summary>
    [Fact]
    public void OtherElementTypesAreRefusedSayingWhatIsSupported()
    {
        foreach (Action call in new Action[]
        {
            () => Updates.Axpy<Half>(Half.One, new Half[3], new Half[3]),
            () => Updates.SgdStep<Half>(new Half[3], new Half[3], Half.One, Half.Zero),
            () => Updates.MomentumStep<Half>(new Half[3], new Half[3], new Half[3], Half.One, Half.Zero, false, Half.Zero),
            () => Updates.AdamStep<Half>(new Half[3], new Half[3], new Half[3], new Half[3], Half.One, Half.Zero, Half.Zero, Half.One, 1, Half.Zero),
        })
        {
            NotSupportedException e = Assert.Throws<NotSupportedException>(call);
            Assert.Contains("Half", e.Message, StringComparison.Ordinal);
            Assert.Contains("float or double", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void KernelsDoNotAllocate()
    {
        float[] p = Gens.Random<float>(1003, 1, 1);
        float[] g = Gens.Random<float>(1003, 2, 1);
        float[] m = new float[1003];
        float[] v = new float[1003];
        double[] pd = Gens.Random<double>(1003, 3, 1);
        double[] gd = Gens.Random<double>(1003, 4, 1);
        double[] vd = new double[1003];
        Allocations.AssertNone(() => Updates.Axpy<float>(0.5f, g, p));
        Allocations.AssertNone(() => Updates.SgdStep<double>(pd, gd, 1e-3, 1e-4));
        Allocations.AssertNone(() => Updates.MomentumStep<double>(pd, gd, vd, 1e-3, 0.9, true, 1e-4));
        Allocations.AssertNone(() => Updates.AdamStep<float>(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 3, 1e-2f));
    }

    private enum Optimiser
    {
        Sgd,
        Momentum,
        Nesterov,
        Adam,
    }

    private static bool AxpyMatches<T>(int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>())
        {
            T alpha = T.CreateTruncating((random.NextDouble() * 4) - 2);
            T[] x = Gens.RandomWithEdges<T>(n, random.Next(), 10);
            T[] y = Gens.RandomWithEdges<T>(n, random.Next(), 10);
            T[] expected = (T[])y.Clone();
            UpdatesReference.Axpy<T>(alpha, x, expected);
            int offset = random.Next(4);
            T[] yb = Embed<T>(y, offset);
            Updates.Axpy<T>(alpha, x, yb.AsSpan(offset, n));
            Same<T>(yb.AsSpan(offset, n), expected, $"{typeof(T).Name} n={n}");
            Require(T.IsNaN(yb[offset + n]) && (offset == 0 || T.IsNaN(yb[offset - 1])), "guards were written");

            // Exactly in place: y += α·y.
            T[] self = (T[])y.Clone();
            expected = (T[])y.Clone();
            UpdatesReference.Axpy<T>(alpha, (T[])y.Clone(), expected);
            Updates.Axpy<T>(alpha, self, self);
            Same<T>(self, expected, $"{typeof(T).Name} in place n={n}");
        }

        return true;
    }

    private static bool StepsMatch<T>(int seed, Optimiser optimiser)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        foreach (int n in Lengths<T>())
        {
            T learningRate = T.CreateTruncating(random.NextDouble() * 0.1);
            T weightDecay = T.CreateTruncating(random.Next(2) * random.NextDouble() * 0.01);
            T momentum = T.CreateTruncating(random.NextDouble() * 0.99);
            T beta1 = T.CreateTruncating(0.8 + (random.NextDouble() * 0.19));
            T beta2 = T.CreateTruncating(0.99 + (random.NextDouble() * 0.0099));
            T epsilon = T.CreateTruncating(1e-8);
            int offset = random.Next(4);
            T[] p = Embed<T>(Gens.RandomWithEdges<T>(n, random.Next(), 1), offset);
            T[] s = Embed<T>(new T[n], offset);
            T[] t = Embed<T>(new T[n], offset);
            T[] pRef = p.AsSpan(offset, n).ToArray();
            T[] sRef = new T[n];
            T[] tRef = new T[n];
            for (int step = 1; step <= 3; step++)
            {
                T[] g = Gens.RandomWithEdges<T>(n, random.Next(), 1);
                Span<T> pv = p.AsSpan(offset, n), sv = s.AsSpan(offset, n), tv = t.AsSpan(offset, n);
                switch (optimiser)
                {
                    case Optimiser.Sgd:
                        Updates.SgdStep<T>(pv, g, learningRate, weightDecay);
                        UpdatesReference.Sgd<T>(pRef, g, learningRate, weightDecay);
                        break;
                    case Optimiser.Momentum:
                    case Optimiser.Nesterov:
                        bool nesterov = optimiser == Optimiser.Nesterov;
                        Updates.MomentumStep<T>(pv, g, sv, learningRate, momentum, nesterov, weightDecay);
                        UpdatesReference.Momentum<T>(pRef, g, sRef, learningRate, momentum, nesterov, weightDecay);
                        break;
                    default:
                        Updates.AdamStep<T>(pv, g, sv, tv, learningRate, beta1, beta2, epsilon, step, weightDecay);
                        UpdatesReference.Adam<T>(pRef, g, sRef, tRef, learningRate, beta1, beta2, epsilon, step, weightDecay);
                        break;
                }

                string where = $"{typeof(T).Name} {optimiser} n={n} step {step}";
                Same<T>(p.AsSpan(offset, n), pRef, $"{where}: parameters");
                Same<T>(s.AsSpan(offset, n), sRef, $"{where}: first state");
                Same<T>(t.AsSpan(offset, n), tRef, $"{where}: second state");
            }

            foreach (T[] buffer in new[] { p, s, t })
            {
                Require(T.IsNaN(buffer[offset + n]) && (offset == 0 || T.IsNaN(buffer[offset - 1])), $"{optimiser}: guards were written");
            }
        }

        return true;
    }

    /// <summary>
    /// <paramref name="count"/> buffers of 5 elements, each in its own array except
    /// <paramref name="first"/> and <paramref name="second"/>, which share one and overlap in their
    /// last and first element.
    /// </summary>
    private static Memory<float>[] Buffers(int count, int first, int second)
    {
        var buffers = new Memory<float>[count];
        float[] shared = new float[9];
        for (int i = 0; i < count; i++)
        {
            buffers[i] = i == first ? shared.AsMemory(0, 5) : i == second ? shared.AsMemory(4, 5) : new float[5];
        }

        return buffers;
    }
}
