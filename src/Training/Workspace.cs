using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// Every buffer one forward (and, for training, backward) pass needs for up to
/// <see cref="MaxBatchSize"/> rows, allocated once in the constructor as one array carved into
/// named views. Smaller batches use the leading rows of each view. Not thread-safe: one pass at a
/// time; share a network across threads by giving each thread its own workspace (see
/// <see cref="Predictor{T}"/>, which pools them).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// Layout of the one buffer: the batch input rows (a gather target when batches are shuffled), then
/// the activation matrix of each layer (hidden layers hold A = f(Z), written in place over Z; the
/// last holds the logits Z), then, for training, two delta matrices that the backward pass uses in
/// turn (dZ of one layer, dA = dZ of the layer below after the fused activation backward).
/// Beside it, the workspace owns the GEMM packing buffer its passes use (<see cref="Gemm"/>, about
/// 1.2 MiB, allocated by the first product large enough to pack; small networks never allocate it),
/// so a pooled workspace carries its own and nothing is pinned to the threads that run it.
/// </remarks>
public sealed class Workspace<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _buffer;
    private readonly int[] _activationOffsets;
    private readonly int _deltaOffset;
    private readonly int _deltaLength;
    private readonly int[] _labels;
    private readonly int[] _classes;

    /// <summary>Allocates a workspace for <paramref name="shape"/> and batches of up to <paramref name="maxBatchSize"/> rows.</summary>
    /// <param name="shape">The network architecture.</param>
    /// <param name="maxBatchSize">The largest batch, ≥ 1.</param>
    /// <param name="forTraining">Whether to allocate the delta buffers the backward pass needs; prediction-only workspaces are smaller.</param>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatchSize"/> is below 1 or the buffers would not fit in an array.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public Workspace(NetworkShape shape, int maxBatchSize, bool forTraining = true)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ElementType.RequireSupported<T>();
        Shape = shape;
        MaxBatchSize = maxBatchSize;
        CanTrain = forTraining;

        long length = (long)maxBatchSize * shape.Inputs;
        _activationOffsets = new int[shape.LayerCount];
        for (int l = 0; l < shape.LayerCount; l++)
        {
            _activationOffsets[l] = CheckedLength(length, maxBatchSize);
            length += (long)maxBatchSize * shape.FanOut(l);
        }

        _deltaOffset = CheckedLength(length, maxBatchSize);
        _deltaLength = forTraining ? CheckedLength((long)maxBatchSize * shape.MaxLayerWidth, maxBatchSize) : 0;
        length += 2L * _deltaLength;
        _buffer = new T[CheckedLength(length, maxBatchSize)];
        _labels = new int[maxBatchSize];
        _classes = new int[maxBatchSize];
        Gemm = new GemmWorkspace<T>();
    }

    /// <summary>The architecture this workspace was sized for.</summary>
    public NetworkShape Shape { get; }

    /// <summary>The largest batch a pass can use.</summary>
    public int MaxBatchSize { get; }

    /// <summary>Whether the backward pass's delta buffers exist.</summary>
    public bool CanTrain { get; }

    /// <summary>
    /// The GEMM packing buffer of this workspace's passes: empty until the first product that packs,
    /// then <see cref="GemmWorkspace{T}.SizeInBytes"/> (about 1.2 MiB) for the workspace's life.
    /// </summary>
    public GemmWorkspace<T> Gemm { get; }

    /// <summary>Total bytes of the managed activation, delta and label buffers (for capacity planning); <see cref="Gemm"/>'s buffer comes on top once allocated.</summary>
    public long SizeInBytes => ((long)_buffer.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()) + (2L * MaxBatchSize * sizeof(int));

    /// <summary>The gather target for <paramref name="rows"/> input rows (dense, stride = inputs).</summary>
    internal MatrixSpan<T> Inputs(int rows) => new(_buffer.AsSpan(0, rows * Shape.Inputs), rows, Shape.Inputs);

    /// <summary>Layer <paramref name="layer"/>'s output for <paramref name="rows"/> rows: A of a hidden layer, the logits of the last.</summary>
    internal MatrixSpan<T> Activations(int layer, int rows)
    {
        int width = Shape.FanOut(layer);
        return new(_buffer.AsSpan(_activationOffsets[layer], rows * width), rows, width);
    }

    /// <summary>Delta buffer 0 or 1 viewed as <paramref name="rows"/> × <paramref name="width"/>.</summary>
    internal MatrixSpan<T> Delta(int which, int rows, int width)
    {
        if (!CanTrain)
        {
            throw new InvalidOperationException("This workspace was created for prediction only (forTraining: false).");
        }

        return new(_buffer.AsSpan(_deltaOffset + (which * _deltaLength), rows * width), rows, width);
    }

    /// <summary>The gather target for batch labels.</summary>
    internal Span<int> Labels(int rows) => _labels.AsSpan(0, rows);

    /// <summary>Scratch for predicted classes.</summary>
    internal Span<int> Classes(int rows) => _classes.AsSpan(0, rows);

    private static int CheckedLength(long length, int maxBatchSize)
    {
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize, $"A workspace for {maxBatchSize} rows needs {length} elements, more than an array can hold.");
        }

        return (int)length;
    }
}
