using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>Argument checks shared by the kernels; every failure names the parameter and what was expected.</summary>
internal static class Check
{
    /// <summary>Throws unless <typeparamref name="T"/> is <see cref="float"/> or <see cref="double"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ElementType<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            ThrowElementType(typeof(T));
        }
    }

    /// <summary>Throws when <paramref name="actual"/> differs from <paramref name="expected"/>.</summary>
    public static void Length(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            ThrowLength(actual, expected, name);
        }
    }

    /// <summary>Throws when <paramref name="actual"/> is shorter than <paramref name="required"/>.</summary>
    public static void AtLeast(int actual, int required, string name)
    {
        if (actual < required)
        {
            ThrowTooShort(actual, required, name);
        }
    }

    /// <summary>Throws when two views have different shapes.</summary>
    public static void SameShape(int rows, int columns, int otherRows, int otherColumns, string name)
    {
        if (rows != otherRows || columns != otherColumns)
        {
            throw new ArgumentException($"Expected a {rows}×{columns} matrix, got {otherRows}×{otherColumns}.", name);
        }
    }

    /// <summary>
    /// Throws when <paramref name="output"/> overlaps <paramref name="input"/> other than exactly
    /// (same start and same length), which element-wise kernels allow for in-place use.
    /// </summary>
    public static void NoPartialOverlap<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string name)
    {
        if (input.Overlaps(output, out int offset) && (offset != 0 || input.Length != output.Length))
        {
            throw new ArgumentException("The destination overlaps the input; only exact in-place use (same span) is allowed.", name);
        }
    }

    /// <summary>Throws when the spans overlap at all.</summary>
    public static void NoOverlap<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string name)
    {
        if (input.Overlaps(output))
        {
            throw new ArgumentException("The destination must not overlap the input.", name);
        }
    }

    [DoesNotReturn]
    private static void ThrowElementType(Type type) =>
        throw new NotSupportedException($"Element type {type.Name} is not supported; use float or double.");

    [DoesNotReturn]
    private static void ThrowLength(int actual, int expected, string name) =>
        throw new ArgumentException($"Expected length {expected}, got {actual}.", name);

    [DoesNotReturn]
    private static void ThrowTooShort(int actual, int required, string name) =>
        throw new ArgumentException($"Expected at least {required} elements, got {actual}.", name);
}
