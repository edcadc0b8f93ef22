using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// The training-only parts of a step that the passes apply when a trainer gives them one: label
/// smoothing of the cross-entropy's targets, and inverted dropout on the hidden activations with a
/// mask recomputed from (seed, step, layer, element) — nothing stored, nothing allocated, the same
/// for every thread count. Prediction and evaluation never get one, so they never drop.
/// </summary>
internal sealed class Regularization<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ulong _seed;

    public Regularization(double labelSmoothing, double dropoutRate, ulong seed)
    {
        LabelSmoothing = T.CreateTruncating(labelSmoothing);
        DropoutRate = dropoutRate;
        _seed = seed;
    }

    /// <summary>ε of the smoothed targets (0: plain one-hot).</summary>
    public T LabelSmoothing { get; }

    /// <summary>The probability a hidden activation is dropped (0: none).</summary>
    public double DropoutRate { get; }

    /// <summary>The trainer's step the next passes belong to (sets the dropout mask).</summary>
    public long Step { get; set; }

    /// <summary>Whether the trainer needs one at all.</summary>
    public static bool IsNeeded(double labelSmoothing, double dropoutRate) => labelSmoothing > 0 || dropoutRate > 0;

    /// <summary>Drops hidden layer <paramref name="layer"/>'s activations A (after the activation), in place.</summary>
    public void ForwardHidden(int layer, MatrixSpan<T> a)
    {
        if (DropoutRate > 0)
        {
            ulong key = Key(layer);
            for (int r = 0; r < a.Rows; r++)
            {
                Dropout.Forward(a.Row(r), key, (long)r * a.Columns, DropoutRate);
            }
        }
    }

    /// <summary>Masks dA of hidden layer <paramref name="layer"/> (after <c>dW = Aᵀ·dZ</c> of the layer above, before the activation's backward) and restores A's kept values.</summary>
    public void BackwardHidden(int layer, MatrixSpan<T> a, MatrixSpan<T> da)
    {
        if (DropoutRate > 0)
        {
            ulong key = Key(layer);
            for (int r = 0; r < a.Rows; r++)
            {
                Dropout.Backward(da.Row(r), a.Row(r), key, (long)r * a.Columns, DropoutRate);
            }
        }
    }

    private ulong Key(int layer)
    {
        ulong state = _seed ^ 0xD1B54A32D192ED03UL;
        ulong key = Rng.SplitMix64(ref state);
        state = key ^ (ulong)Step;
        key = Rng.SplitMix64(ref state);
        state = key ^ (ulong)layer;
        return Rng.SplitMix64(ref state);
    }
}
