using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// One weight layer's block of a parameter (or gradient) buffer: bias <c>b</c> (fan_out) followed by
/// weights <c>W</c> (fan_in × fan_out, row-major, so <c>Z = X · W + b</c>). Views only; nothing is copied.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly ref struct LayerView<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Span<T> _block;

    internal LayerView(Span<T> block, int fanIn, int fanOut)
    {
        _block = block;
        FanIn = fanIn;
        FanOut = fanOut;
    }

    /// <summary>Number of inputs of the layer (rows of <see cref="Weights"/>).</summary>
    public int FanIn { get; }

    /// <summary>Number of outputs of the layer (columns of <see cref="Weights"/>, length of <see cref="Bias"/>).</summary>
    public int FanOut { get; }

    /// <summary>The bias vector, length <see cref="FanOut"/>.</summary>
    public Span<T> Bias => _block[..FanOut];

    /// <summary>The weights, <see cref="FanIn"/> × <see cref="FanOut"/>, row-major.</summary>
    public MatrixSpan<T> Weights => new(_block[FanOut..], FanIn, FanOut);

    /// <summary>
    /// The textbook's augmented matrix <c>[b; W]</c>, (<see cref="FanIn"/> + 1) × <see cref="FanOut"/>,
    /// whose first row is the bias: a view of the same memory, so writes go to the network.
    /// </summary>
    public MatrixSpan<T> Augmented => new(_block, FanIn + 1, FanOut);

    /// <summary>Copies the layer into <paramref name="destination"/> in augmented form (first row = bias).</summary>
    /// <param name="destination">A (<see cref="FanIn"/> + 1) × <see cref="FanOut"/> matrix, any stride.</param>
    /// <exception cref="ArgumentException">The destination has another shape.</exception>
    public void ExportAugmented(MatrixSpan<T> destination)
    {
        CheckShape(destination.Rows, destination.Columns, nameof(destination));
        MatrixSpan<T> source = Augmented;
        for (int i = 0; i < source.Rows; i++)
        {
            source.Row(i).CopyTo(destination.Row(i));
        }
    }

    /// <summary>Sets the layer from <paramref name="source"/> in augmented form (first row = bias).</summary>
    /// <param name="source">A (<see cref="FanIn"/> + 1) × <see cref="FanOut"/> matrix, any stride.</param>
    /// <exception cref="ArgumentException">The source has another shape.</exception>
    public void ImportAugmented(ReadOnlyMatrixSpan<T> source)
    {
        CheckShape(source.Rows, source.Columns, nameof(source));
        MatrixSpan<T> destination = Augmented;
        for (int i = 0; i < source.Rows; i++)
        {
            source.Row(i).CopyTo(destination.Row(i));
        }
    }

    private void CheckShape(int rows, int columns, string name)
    {
        if (rows != FanIn + 1 || columns != FanOut)
        {
            throw new ArgumentException($"Expected the augmented {FanIn + 1}×{FanOut} matrix (bias row first), got {rows}×{columns}.", name);
        }
    }
}
