using System.Globalization;
using System.Text;

namespace Backprop.Training;

/// <summary>
/// The architecture of a multilayer perceptron: layer sizes <c>[inputs, hidden…, outputs]</c> and the
/// hidden activation. The output layer is softmax with categorical cross-entropy. Immutable.
/// </summary>
/// <remarks>
/// <para>
/// Weight layer <c>l</c> (0-based, <see cref="LayerCount"/> of them) maps <c>FanIn(l) = sizes[l]</c>
/// units to <c>FanOut(l) = sizes[l + 1]</c>: <c>Z = X · W + b</c> with <c>W</c> of shape
/// (fan_in, fan_out), row-major, and <c>b</c> of length fan_out.
/// </para>
/// <para>
/// In the flat parameter buffer each layer is one block at <see cref="ParameterOffset"/>: its bias
/// (fan_out elements) followed by its weights (fan_in × fan_out). The block therefore <em>is</em> the
/// textbook's augmented matrix <c>[b; W]</c> of shape (fan_in + 1) × fan_out, bias in the first row.
/// </para>
/// </remarks>
public sealed class NetworkShape : IEquatable<NetworkShape>
{
    private readonly int[] _sizes;
    private readonly int[] _offsets;

    /// <summary>Creates a shape.</summary>
    /// <param name="layerSizes"><c>[inputs, hidden…, outputs]</c>: at least two sizes, each ≥ 1, and at least two outputs (classes).</param>
    /// <param name="hiddenActivation">The activation of the hidden layers (ignored when there are none).</param>
    /// <exception cref="ArgumentException">Fewer than two sizes, or the parameter count does not fit in an array.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, fewer than two outputs, or an unknown activation.</exception>
    public NetworkShape(ReadOnlySpan<int> layerSizes, HiddenActivation hiddenActivation = HiddenActivation.Sigmoid)
    {
        if (layerSizes.Length < 2)
        {
            throw new ArgumentException($"A network needs at least an input and an output size; got {layerSizes.Length} size(s).", nameof(layerSizes));
        }

        for (int i = 0; i < layerSizes.Length; i++)
        {
            if (layerSizes[i] < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(layerSizes), layerSizes[i], $"Layer size {i} is {layerSizes[i]}; every layer needs at least one unit.");
            }
        }

        if (layerSizes[^1] < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(layerSizes), layerSizes[^1], "A softmax classifier needs at least two outputs (classes).");
        }

        if (!Enum.IsDefined(hiddenActivation))
        {
            throw new ArgumentOutOfRangeException(nameof(hiddenActivation), hiddenActivation, "Unknown activation.");
        }

        _sizes = layerSizes.ToArray();
        _offsets = new int[layerSizes.Length];
        long offset = 0;
        for (int l = 0; l < LayerCount; l++)
        {
            _offsets[l] = (int)offset;
            offset += ((long)_sizes[l] + 1) * _sizes[l + 1];
            if (offset > Array.MaxLength)
            {
                throw new ArgumentException($"The network has more than {Array.MaxLength} parameters.", nameof(layerSizes));
            }
        }

        _offsets[LayerCount] = (int)offset;
        HiddenActivation = hiddenActivation;
    }

    /// <summary>The layer sizes <c>[inputs, hidden…, outputs]</c>.</summary>
    public ReadOnlySpan<int> LayerSizes => _sizes;

    /// <summary>Number of input features.</summary>
    public int Inputs => _sizes[0];

    /// <summary>Number of outputs (classes).</summary>
    public int Outputs => _sizes[^1];

    /// <summary>Number of weight layers (hidden layers + 1).</summary>
    public int LayerCount => _sizes.Length - 1;

    /// <summary>The activation of the hidden layers.</summary>
    public HiddenActivation HiddenActivation { get; }

    /// <summary>Total number of weights and biases: <c>Σ (fan_in + 1) · fan_out</c>.</summary>
    public int ParameterCount => _offsets[LayerCount];

    /// <summary>The widest layer after the input (the row width the workspace's delta buffers need).</summary>
    internal int MaxLayerWidth
    {
        get
        {
            int max = 0;
            for (int i = 1; i < _sizes.Length; i++)
            {
                max = Math.Max(max, _sizes[i]);
            }

            return max;
        }
    }

    /// <summary>Inputs of weight layer <paramref name="layer"/>.</summary>
    /// <param name="layer">0-based weight layer, in [0, <see cref="LayerCount"/>).</param>
    /// <returns><c>sizes[layer]</c>.</returns>
    public int FanIn(int layer)
    {
        CheckLayer(layer);
        return _sizes[layer];
    }

    /// <summary>Outputs of weight layer <paramref name="layer"/>.</summary>
    /// <param name="layer">0-based weight layer, in [0, <see cref="LayerCount"/>).</param>
    /// <returns><c>sizes[layer + 1]</c>.</returns>
    public int FanOut(int layer)
    {
        CheckLayer(layer);
        return _sizes[layer + 1];
    }

    /// <summary>Where weight layer <paramref name="layer"/>'s block (bias, then weights) starts in the parameter buffer.</summary>
    /// <param name="layer">0-based weight layer, in [0, <see cref="LayerCount"/>].</param>
    /// <returns>The element offset; for <c>layer == LayerCount</c>, <see cref="ParameterCount"/>.</returns>
    public int ParameterOffset(int layer)
    {
        if ((uint)layer > (uint)LayerCount)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Expected a layer in [0, {LayerCount}].");
        }

        return _offsets[layer];
    }

    /// <inheritdoc/>
    public bool Equals(NetworkShape? other) =>
        other is not null && HiddenActivation == other.HiddenActivation && _sizes.AsSpan().SequenceEqual(other._sizes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as NetworkShape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(HiddenActivation);
        foreach (int size in _sizes)
        {
            hash.Add(size);
        }

        return hash.ToHashCode();
    }

    /// <summary>The sizes joined by dashes and the activation, e.g. <c>4-2-2 Sigmoid</c>.</summary>
    /// <returns>A short description.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _sizes.Length; i++)
        {
            if (i > 0)
            {
                text.Append('-');
            }

            text.Append(_sizes[i].ToString(CultureInfo.InvariantCulture));
        }

        return text.Append(' ').Append(HiddenActivation.ToString()).ToString();
    }

    private void CheckLayer(int layer)
    {
        if ((uint)layer >= (uint)LayerCount)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Expected a layer in [0, {LayerCount}).");
        }
    }
}
