using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>Checks of the data handed to the public entry points (row counts, feature counts, finite values, labels); every failure names the argument and the offending row.</summary>
internal static class DataArguments
{
    /// <summary>Throws unless <paramref name="rows"/> is in [1, <paramref name="maxRows"/>].</summary>
    public static void Rows(int rows, int maxRows, string name)
    {
        if (rows < 1)
        {
            throw new ArgumentException("Expected at least one row.", name);
        }

        if (rows > maxRows)
        {
            throw new ArgumentException($"The batch has {rows} rows but the workspace holds at most {maxRows}.", name);
        }
    }

    /// <summary>Throws unless <paramref name="inputs"/> has <paramref name="features"/> columns.</summary>
    public static void FeatureCount<T>(ReadOnlyMatrixSpan<T> inputs, int features, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (inputs.Columns != features)
        {
            throw new ArgumentException($"Expected {features} features per row (the network's inputs), got {inputs.Columns}.", name);
        }
    }

    /// <summary>Throws unless every row of <paramref name="inputs"/> has <paramref name="features"/> finite values.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Features<T>(ReadOnlyMatrixSpan<T> inputs, int features, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        FeatureCount(inputs, features, name);
        if (inputs.Columns == inputs.Stride || inputs.Rows <= 1)
        {
            int at = FirstNonFinite(inputs.Span[..(inputs.Rows * inputs.Columns)]);
            if (at >= 0)
            {
                ThrowNonFinite(inputs, at / inputs.Columns, at % inputs.Columns, name);
            }

            return;
        }

        for (int i = 0; i < inputs.Rows; i++)
        {
            int at = FirstNonFinite(inputs.Row(i));
            if (at >= 0)
            {
                ThrowNonFinite(inputs, i, at, name);
            }
        }
    }

    /// <summary>Throws unless there are <paramref name="rows"/> labels, each in [0, <paramref name="classes"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Labels(ReadOnlySpan<int> labels, int rows, int classes, string name)
    {
        if (labels.Length != rows)
        {
            throw new ArgumentException($"Expected one label per row ({rows}), got {labels.Length}.", name);
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(name, labels[i], $"Label {i} is {labels[i]}; expected a class in [0, {classes}).");
            }
        }
    }

    /// <summary>The index of the first NaN or ±∞ in <paramref name="values"/>, or −1.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static int FirstNonFinite<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // x − x is 0 for every finite x and NaN for NaN and ±∞; one vectorised pass finds out whether to look closer.
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count)
        {
            Vector<T> sum = Vector<T>.Zero;
            for (; i <= values.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(values[i..]);
                sum += v - v;
            }

            if (!Vector.EqualsAll(sum, Vector<T>.Zero))
            {
                i = 0;
            }
        }

        for (; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Throws the exception of <see cref="Features{T}"/> when <paramref name="values"/>, row
    /// <paramref name="row"/> of the caller's input, holds a NaN or ±∞ (for callers whose own pass
    /// over the rows found a non-finite value: the prediction path's per-call shift).
    /// </summary>
    public static void FiniteRow<T>(ReadOnlySpan<T> values, int row, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int at = FirstNonFinite(values);
        if (at >= 0)
        {
            throw NonFinite(row, at, values[at], name);
        }
    }

    private static void ThrowNonFinite<T>(ReadOnlyMatrixSpan<T> inputs, int row, int column, string name)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        throw NonFinite(row, column, inputs[row, column], name);

    private static ArgumentException NonFinite<T>(int row, int column, T value, string name)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new($"Input row {row}, feature {column} is {value}; every input must be finite.", name);
}
