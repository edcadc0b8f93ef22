using System.Numerics;
using Microsoft.Extensions.ObjectPool;

namespace Backprop.Training;

/// <summary>
/// Pool policy for prediction workspaces of one shape and batch size: <see cref="Create"/> allocates
/// a prediction-only <see cref="Workspace{T}"/>; <see cref="Return"/> keeps any workspace of that
/// shape and size (a workspace needs no reset: every pass overwrites what it reads).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class WorkspacePoolPolicy<T> : PooledObjectPolicy<Workspace<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the policy.</summary>
    /// <param name="shape">The network architecture.</param>
    /// <param name="maxBatchSize">Rows per pass, ≥ 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatchSize"/> is below 1.</exception>
    public WorkspacePoolPolicy(NetworkShape shape, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        Shape = shape;
        MaxBatchSize = maxBatchSize;
    }

    /// <summary>The architecture of the pooled workspaces.</summary>
    public NetworkShape Shape { get; }

    /// <summary>The batch size of the pooled workspaces.</summary>
    public int MaxBatchSize { get; }

    /// <inheritdoc/>
    public override Workspace<T> Create() => new(Shape, MaxBatchSize, forTraining: false);

    /// <inheritdoc/>
    public override bool Return(Workspace<T> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.MaxBatchSize == MaxBatchSize && obj.Shape.Equals(Shape);
    }
}
