using System.Globalization;
using System.Text;
using Backprop.Kernels;
using Backprop.Training;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Training;

/// <summary>
/// The backward pass against two independent judges: central finite differences of a plain-loop
/// reference loss (any depth, every activation), and the textbook's closed-form gradients for one
/// hidden sigmoid layer. Neither judge calls the code under test.
/// </summary>
public class BackpropagationProperties
{
    /// <summary>
    /// Relative error is <c>|analytic − numeric| / max(|analytic|, |numeric|, Floor)</c>. The floor is
    /// the honest resolution of a finite difference in double: the reference loss carries rounding
    /// of ~1e−15 (logits up to ~10), which a step of 1e−3 turns into up to ~4e−12 of gradient (the
    /// worst seen over 450 random networks), so gradients below 2e−5 are judged to an absolute
    /// 2e−11 instead of relatively. Any real backward bug errs by about the gradient itself.
    /// </summary>
    private const double Floor = 2e-5;
    private const double Tolerance = 1e-6;
    private const double H = 1e-3;

    public sealed record NetworkCase(int Seed, int Hidden, int Batch, HiddenActivation Activation)
    {
        public override string ToString() => $"seed {Seed}, {Hidden} hidden, batch {Batch}, {Activation}";
    }

    private static Arbitrary<NetworkCase> Cases(int minHidden, int maxHidden, params HiddenActivation[] activations) =>
        (from seed in Support.Gens.Seed
         from hidden in Gen.Choose(minHidden, maxHidden)
         from batch in Gen.Choose(1, 20)
         from activation in Gen.Elements(activations)
         select new NetworkCase(seed, hidden, batch, activation)).ToArbitrary();

    /// <summary>A random network (widths 1–12, 2–6 classes, weights in ±1), inputs in ±2 and labels, all from the case's seed.</summary>
    internal static (Network<double> Network, double[,] X, int[] Y) Build(NetworkCase c)
    {
        var random = new Random(c.Seed);
        int[] sizes = new int[c.Hidden + 2];
        sizes[0] = random.Next(1, 9);
        for (int l = 1; l <= c.Hidden; l++)
        {
            sizes[l] = random.Next(1, 13);
        }

        sizes[^1] = random.Next(2, 7);
        var network = new Network<double>(new NetworkShape(sizes, c.Activation));
        foreach (ref double p in network.Parameters)
        {
            p = (random.NextDouble() * 2) - 1;
        }

        var x = new double[c.Batch, sizes[0]];
        for (int r = 0; r < c.Batch; r++)
        {
            for (int i = 0; i < sizes[0]; i++)
            {
                x[r, i] = (random.NextDouble() * 4) - 2;
            }
        }

        int[] y = [.. Enumerable.Range(0, c.Batch).Select(_ => random.Next(sizes[^1]))];
        return (network, x, y);
    }

    internal static double ComputeGradients(Network<double> network, double[,] x, int[] y)
    {
        var trainer = new Trainer<double>(network, new SgdOptimizer<double>(network.Shape.ParameterCount), new TrainerOptions { BatchSize = x.GetLength(0) });

        // Garbage in the gradient buffer: the backward pass must overwrite, never accumulate.
        network.Gradients.Fill(double.NaN);
        return trainer.ComputeGradients(Reference.View(Reference.Flatten(x), x.GetLength(0), x.GetLength(1)), y);
    }

    [Support.SizedProperty(MaxTest = 150)]
    public Property EveryGradientMatchesCentralFiniteDifferences() =>
        Prop.ForAll(Cases(1, 3, HiddenActivation.Sigmoid, HiddenActivation.Tanh, HiddenActivation.Relu), c =>
        {
            (Network<double> network, double[,] x, int[] y) = Build(c);
            ComputeGradients(network, x, y);
            string? failure = CompareWithFiniteDifferences(network, x, y, out int skipped);
            if (failure is not null)
            {
                throw new InvalidOperationException($"{c}, shape {network.Shape}:\n{failure}");
            }

            // Kinks are rare; a test that skipped most parameters would prove nothing.
            Assert.True(skipped <= network.Shape.ParameterCount / 2, $"{c}: {skipped} of {network.Shape.ParameterCount} parameters sat on ReLU kinks.");
        });

    [Fact]
    public void NetworksWithoutHiddenLayersHaveExactGradientsToo()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var c = new NetworkCase(seed, 0, 1 + (seed % 20), HiddenActivation.Sigmoid);
            (Network<double> network, double[,] x, int[] y) = Build(c);
            ComputeGradients(network, x, y);
            Assert.Null(CompareWithFiniteDifferences(network, x, y, out _));
        }
    }

    /// <summary>
    /// Compares every analytic gradient with a Richardson-extrapolated central difference
    /// <c>(4·D(h/2) − D(h)) / 3</c> of the reference loss. For ReLU, a parameter whose perturbation
    /// flips the sign of any hidden pre-activation (a kink inside the step) is skipped and counted:
    /// a finite difference across a kink measures nothing.
    /// </summary>
    /// <returns>Null when every tensor is within tolerance; otherwise the per-tensor report.</returns>
    internal static string? CompareWithFiniteDifferences(Network<double> network, double[,] x, int[] y, out int skipped)
    {
        HiddenActivation f = network.Shape.HiddenActivation;
        double[][,] w = Reference.Weights(network);
        bool[] baseSigns = Reference.HiddenSigns(w, f, x);
        bool relu = f == HiddenActivation.Relu && network.Shape.LayerCount > 1;
        var report = new StringBuilder();
        bool failed = false;
        skipped = 0;
        for (int l = 0; l < w.Length; l++)
        {
            MatrixSpan<double> analytic = network.GradientLayer(l).Augmented;
            var worst = new (double Error, int Row, int Column, double Analytic, double Numeric)[2]; // [0] bias row, [1] weights
            for (int i = 0; i < w[l].GetLength(0); i++)
            {
                for (int j = 0; j < w[l].GetLength(1); j++)
                {
                    double original = w[l][i, j];
                    bool kink = false;
                    double Difference(double h)
                    {
                        w[l][i, j] = original + h;
                        double plus = Reference.Loss(w, f, x, y);
                        kink |= relu && !Reference.HiddenSigns(w, f, x).AsSpan().SequenceEqual(baseSigns);
                        w[l][i, j] = original - h;
                        double minus = Reference.Loss(w, f, x, y);
                        kink |= relu && !Reference.HiddenSigns(w, f, x).AsSpan().SequenceEqual(baseSigns);
                        w[l][i, j] = original;
                        return (plus - minus) / (2 * h);
                    }

                    double numeric = ((4 * Difference(H / 2)) - Difference(H)) / 3;
                    if (kink)
                    {
                        skipped++;
                        continue;
                    }

                    double a = analytic[i, j];
                    double error = Math.Abs(a - numeric) / Math.Max(Math.Max(Math.Abs(a), Math.Abs(numeric)), Floor);
                    if (double.IsNaN(error))
                    {
                        error = double.PositiveInfinity;
                    }

                    int k = i == 0 ? 0 : 1;
                    if (error >= worst[k].Error)
                    {
                        worst[k] = (error, i == 0 ? 0 : i - 1, j, a, numeric);
                    }
                }
            }

            for (int k = 0; k < 2; k++)
            {
                (double error, int row, int column, double a, double n) = worst[k];
                failed |= error > Tolerance;
                string where = k == 0 ? $"b{l + 1}[{column}]" : $"W{l + 1}[{row},{column}]";
                report.Append(CultureInfo.InvariantCulture, $"  layer {l + 1} {(k == 0 ? "bias   " : "weights")}: max relative error {error:E2} at {where} (analytic {a:R}, numeric {n:R}){(error > Tolerance ? "  <-- FAIL" : string.Empty)}\n");
            }
        }

        report.Append(CultureInfo.InvariantCulture, $"  ({skipped} parameters skipped at ReLU kinks)");
        return failed ? report.ToString() : null;
    }

    [Support.SizedProperty(MaxTest = 100)]
    public Property AugmentedGradientsEqualTheDerivationsFormulas() =>
        Prop.ForAll(Cases(1, 1, HiddenActivation.Sigmoid), c =>
        {
            (Network<double> network, double[,] x, int[] y) = Build(c);
            ComputeGradients(network, x, y);
            double[][,] w = Reference.Weights(network);
            (double[,] dW1, double[,] dW2) = TextbookGradients(w[0], w[1], x, y);

            // Read the gradient through the export path, into strided destinations.
            for (int l = 0; l < 2; l++)
            {
                double[,] expected = l == 0 ? dW1 : dW2;
                int rows = expected.GetLength(0), columns = expected.GetLength(1), stride = columns + 3;
                double[] exported = new double[((rows - 1) * stride) + columns];
                network.GradientLayer(l).ExportAugmented(new MatrixSpan<double>(exported, rows, columns, stride));
                for (int i = 0; i < rows; i++)
                {
                    for (int j = 0; j < columns; j++)
                    {
                        double actual = exported[(i * stride) + j];
                        if (!(Math.Abs(actual - expected[i, j]) <= 1e-13 * Math.Max(1, Math.Abs(expected[i, j]))))
                        {
                            throw new InvalidOperationException($"{c}: dW{l + 1}[{i},{j}] (row 0 = bias) is {actual:R}, the formula gives {expected[i, j]:R}.");
                        }
                    }
                }
            }
        });

    /// <summary>
    /// The derivation with plain loops: X1 = [1, X], A1 = σ(X1·W1), X2 = [1, A1], Ŷ = softmax(X2·W2),
    /// dW2 = X2ᵀ(Ŷ − Y)/N, dW1 = X1ᵀ[((Ŷ − Y)·W2[1:]ᵀ) ⊙ A1 ⊙ (1 − A1)]/N.
    /// </summary>
    internal static (double[,] DW1, double[,] DW2) TextbookGradients(double[,] w1, double[,] w2, double[,] x, int[] y)
    {
        int n = x.GetLength(0), inputs = x.GetLength(1), hidden = w1.GetLength(1), classes = w2.GetLength(1);
        var x1 = new double[n, inputs + 1];
        var a1 = new double[n, hidden];
        var x2 = new double[n, hidden + 1];
        var z2 = new double[n, classes];
        for (int r = 0; r < n; r++)
        {
            x1[r, 0] = 1;
            for (int i = 0; i < inputs; i++)
            {
                x1[r, i + 1] = x[r, i];
            }

            x2[r, 0] = 1;
            for (int j = 0; j < hidden; j++)
            {
                double z = 0;
                for (int i = 0; i <= inputs; i++)
                {
                    z += x1[r, i] * w1[i, j];
                }

                a1[r, j] = 1 / (1 + Math.Exp(-z));
                x2[r, j + 1] = a1[r, j];
            }

            for (int k = 0; k < classes; k++)
            {
                double z = 0;
                for (int j = 0; j <= hidden; j++)
                {
                    z += x2[r, j] * w2[j, k];
                }

                z2[r, k] = z;
            }
        }

        double[,] yHat = Reference.Softmax(z2);
        var e = new double[n, classes]; // Ŷ − Y
        for (int r = 0; r < n; r++)
        {
            for (int k = 0; k < classes; k++)
            {
                e[r, k] = yHat[r, k] - (y[r] == k ? 1 : 0);
            }
        }

        var dW2 = new double[hidden + 1, classes];
        for (int j = 0; j <= hidden; j++)
        {
            for (int k = 0; k < classes; k++)
            {
                double s = 0;
                for (int r = 0; r < n; r++)
                {
                    s += x2[r, j] * e[r, k];
                }

                dW2[j, k] = s / n;
            }
        }

        var d1 = new double[n, hidden]; // ((Ŷ − Y)·W2[1:]ᵀ) ⊙ A1 ⊙ (1 − A1)
        for (int r = 0; r < n; r++)
        {
            for (int j = 0; j < hidden; j++)
            {
                double s = 0;
                for (int k = 0; k < classes; k++)
                {
                    s += e[r, k] * w2[j + 1, k];
                }

                d1[r, j] = s * a1[r, j] * (1 - a1[r, j]);
            }
        }

        var dW1 = new double[inputs + 1, hidden];
        for (int i = 0; i <= inputs; i++)
        {
            for (int j = 0; j < hidden; j++)
            {
                double s = 0;
                for (int r = 0; r < n; r++)
                {
                    s += x1[r, i] * d1[r, j];
                }

                dW1[i, j] = s / n;
            }
        }

        return (dW1, dW2);
    }

    [Support.SizedProperty(MaxTest = 100)]
    public Property ASmallStepAgainstTheGradientLowersTheLoss() =>
        Prop.ForAll(Cases(0, 3, HiddenActivation.Sigmoid, HiddenActivation.Tanh, HiddenActivation.Relu), c =>
        {
            (Network<double> network, double[,] x, int[] y) = Build(c);
            double before = Reference.Loss(Reference.Weights(network), c.Activation, x, y);
            ComputeGradients(network, x, y);
            double norm = Math.Sqrt(network.Gradients.ToArray().Sum(g => g * g));
            if (norm < 1e-6)
            {
                return true.Classify(true, "flat (skipped)");
            }

            // A step of length 1e-3 (shorter for small gradients): the first-order decrease 1e-3·|g| dominates.
            double rate = 1e-3 / Math.Max(norm, 1);
            var trainer = new Trainer<double>(network, new SgdOptimizer<double>(network.Shape.ParameterCount), new TrainerOptions { BatchSize = c.Batch, LearningRate = LearningRateSchedule.Constant(rate) });
            trainer.Step(Reference.View(Reference.Flatten(x), c.Batch, x.GetLength(1)), y);
            double after = Reference.Loss(Reference.Weights(network), c.Activation, x, y);
            return (after < before).Label($"{c}: loss {before:R} -> {after:R} with |g| = {norm:R}, η = {rate:R}").Classify(false, "stepped");
        });
}
