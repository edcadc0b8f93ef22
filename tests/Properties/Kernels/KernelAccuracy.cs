using System.Numerics;

namespace Backprop.Properties.Kernels;

/// <summary>
/// The accuracy model the kernel properties compare against, and the lengths they sweep.
/// Tolerances are in units of ε, the machine epsilon (float 2⁻²³, double 2⁻⁵²), relative to a
/// magnitude stated at each use.
/// </summary>
internal static class KernelAccuracy
{
    /// <summary>Machine epsilon of <typeparamref name="T"/>.</summary>
    public static double Epsilon<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? MathF.BitIncrement(1f) - 1f : Math.BitIncrement(1.0) - 1.0;

    /// <summary>Smallest positive normal value of <typeparamref name="T"/> (below it relative accuracy is not available).</summary>
    public static double MinNormal<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? 1.1754943508222875e-38 : 2.2250738585072014e-308;

    /// <summary>Lanes of the widest vector any setting can select (512 bits), whatever this process runs at.</summary>
    public static int WidestLanes<T>()
        where T : unmanaged => 64 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>
    /// Every length from 0 to 3·(512-bit lanes) + 1 + 2: at every width CI can force, all-scalar inputs,
    /// lengths just below, at and above one vector, every tail size, and the unrolled main loops
    /// (at 128 bits that is up to 12 float vectors and a tail).
    /// </summary>
    public static IEnumerable<int> Lengths<T>(int from = 0)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Enumerable.Range(from, (3 * WidestLanes<T>()) + 4 - from);

    /// <summary>Throws (so FsCheck reports the case) unless |actual − expected| ≤ ulps·ε·scale + MinNormal.</summary>
    public static void Close<T>(T actual, T expected, double ulps, double scale, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double a = double.CreateTruncating(actual);
        double e = double.CreateTruncating(expected);
        double allowed = (ulps * Epsilon<T>() * scale) + MinNormal<T>();
        if (!(Math.Abs(a - e) <= allowed))
        {
            throw new InvalidOperationException($"{what}: got {a:R}, expected {e:R}, difference {Math.Abs(a - e):R} > allowed {allowed:R}.");
        }
    }

    /// <summary>Throws unless <paramref name="actual"/> is <paramref name="expected"/> bit for bit (−0 and +0 differ; any NaN equals any NaN).</summary>
    public static void Same<T>(T actual, T expected, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool same = T.IsNaN(actual) ? T.IsNaN(expected) : actual == expected && T.IsNegative(actual) == T.IsNegative(expected);
        if (!same)
        {
            throw new InvalidOperationException($"{what}: got {actual:R}, expected {expected:R} exactly.");
        }
    }

    /// <summary>Throws unless the spans are equal element for element, bit for bit.</summary>
    public static void Same<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Require(actual.Length == expected.Length, $"{what}: length {actual.Length} vs {expected.Length}");
        for (int i = 0; i < actual.Length; i++)
        {
            Same(actual[i], expected[i], $"{what}[{i}] of {actual.Length}");
        }
    }

    /// <summary>Throws with <paramref name="message"/> when <paramref name="condition"/> is false.</summary>
    public static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    /// <summary>A copy of <paramref name="source"/> placed at <paramref name="offset"/> in a NaN-filled buffer with <paramref name="after"/> NaNs behind it.</summary>
    public static T[] Embed<T>(ReadOnlySpan<T> source, int offset, int after = 3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] buffer = new T[offset + source.Length + after];
        buffer.AsSpan().Fill(T.NaN);
        source.CopyTo(buffer.AsSpan(offset));
        return buffer;
    }

    /// <summary>
    /// Lays a dense rows × columns array out with <paramref name="stride"/>: NaN in the padding and in
    /// three elements after the end, so a kernel that reads or writes outside the view shows.
    /// </summary>
    public static T[] Strided<T>(ReadOnlySpan<T> dense, int rows, int columns, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = rows == 0 || columns == 0 ? 0 : ((rows - 1) * stride) + columns;
        T[] buffer = new T[length + 3];
        buffer.AsSpan().Fill(T.NaN);
        for (int i = 0; i < rows && columns > 0; i++)
        {
            dense.Slice(i * columns, columns).CopyTo(buffer.AsSpan(i * stride));
        }

        return buffer;
    }

    /// <summary>Throws unless every element of <paramref name="buffer"/> outside the view (rows, columns, stride) is NaN.</summary>
    public static void RequirePaddingUntouched<T>(T[] buffer, int rows, int columns, int stride, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = 0; k < buffer.Length; k++)
        {
            bool inside = stride > 0 && k / stride < rows && k % stride < columns;
            Require(inside || T.IsNaN(buffer[k]), $"{what}: element {k} outside the {rows}×{columns} view (stride {stride}) was written");
        }
    }
}
