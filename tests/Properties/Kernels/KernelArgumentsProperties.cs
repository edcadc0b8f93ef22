using System.Text.RegularExpressions;
using Backprop.Kernels;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using static Backprop.Properties.Kernels.KernelAccuracy;
using static Backprop.Properties.Support.Refusals;

namespace Backprop.Properties.Kernels;

/// <summary>
/// The shared argument checks (<c>KernelArguments</c>), through the public kernels that use them:
/// every refusal names the parameter and its message says what was expected and what came, with the
/// numbers of this call (random lengths and shapes, so a message that is empty, fixed or names the
/// wrong side fails).
/// </summary>
public partial class KernelArgumentsProperties
{
    private static Arbitrary<int> Seeds => Gens.Seed.ToArbitrary();

    [SizedProperty(MaxTest = 50)]
    public Property LengthRefusalsGiveTheExpectedAndTheActualLength() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            int n = random.Next(1, 200);
            int m = random.Next(0, 399); // any other length, shorter or longer
            m += m >= n ? 1 : 0;
            ArgumentException e = AssertParam("destination", () => Activations.Sigmoid<float>(new float[n], new float[m]));
            Require(e.Message.Contains("length", StringComparison.OrdinalIgnoreCase), e.Message);
            RequireNumbers(e.Message, n, m);
            return true;
        });

    [SizedProperty(MaxTest = 50)]
    public Property ShapeRefusalsGiveBothShapes() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            int rows = random.Next(1, 12), columns = random.Next(1, 12);
            int otherRows = rows, otherColumns = columns;
            switch (random.Next(3))
            {
                case 0: otherRows = rows + random.Next(1, 5); break;
                case 1: otherColumns = columns + random.Next(1, 5); break;
                default: otherRows = rows + 1; otherColumns = Math.Max(1, columns - 1); break;
            }

            double[] input = new double[rows * columns];
            double[] destination = new double[otherRows * otherColumns];
            ArgumentException e = AssertParam("destination", () => Activations.Tanh(
                new ReadOnlyMatrixSpan<double>(input, rows, columns), new MatrixSpan<double>(destination, otherRows, otherColumns)));
            Require(e.Message.Contains($"{rows}×{columns}", StringComparison.Ordinal), $"expected shape {rows}×{columns} not in: {e.Message}");
            Require(e.Message.Contains($"{otherRows}×{otherColumns}", StringComparison.Ordinal), $"actual shape {otherRows}×{otherColumns} not in: {e.Message}");
            return true;
        });

    [SizedProperty(MaxTest = 50)]
    public Property PartialOverlapRefusalsSayOnlyExactInPlaceUseIsAllowed() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            int n = random.Next(2, 100);
            int shift = random.Next(1, n);
            float[] buffer = new float[n + shift];
            bool destinationAfter = random.Next(2) == 0;
            ArgumentException e = AssertParam("destination", () => Activations.Relu<float>(
                buffer.AsSpan(destinationAfter ? 0 : shift, n), buffer.AsSpan(destinationAfter ? shift : 0, n)));
            Require(e.Message.Contains("overlaps", StringComparison.Ordinal) && e.Message.Contains("in-place", StringComparison.Ordinal), e.Message);

            // Exact in-place use is what the message allows: it must then succeed.
            Activations.Relu<float>(buffer.AsSpan(0, n), buffer.AsSpan(0, n));
            return true;
        });

    [SizedProperty(MaxTest = 50)]
    public Property OverlapRefusalsSayTheDestinationMustNotOverlap() =>
        Prop.ForAll(Seeds, seed =>
        {
            var random = new Random(seed);
            int m = random.Next(1, 8), k = random.Next(1, 8), n = random.Next(1, 8);
            float[] b = new float[k * n];
            float[] buffer = new float[(m * k) + (m * n)];
            int start = random.Next(0, m * k); // c starts inside a: at least one shared element
            ArgumentException e = AssertParam("c", () => Gemm.Multiply<float>(
                new ReadOnlyMatrixSpan<float>(buffer.AsSpan(0, m * k), m, k),
                new ReadOnlyMatrixSpan<float>(b, k, n),
                new MatrixSpan<float>(buffer.AsSpan(start, m * n), m, n)));
            Require(e.Message.Contains("must not overlap", StringComparison.Ordinal), e.Message);
            return true;
        });

    private static void RequireNumbers(string message, params int[] numbers)
    {
        HashSet<int> found = [.. Integers().Matches(message).Select(match => int.Parse(match.Value, System.Globalization.CultureInfo.InvariantCulture))];
        foreach (int number in numbers)
        {
            Require(found.Contains(number), $"{number} not in: {message}");
        }
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Integers();
}
