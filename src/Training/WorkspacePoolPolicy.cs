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
    private readonly Action<Workspace<T>>? _prepare;

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

    /// <summary>
    /// Creates the policy with a step that <see cref="Create"/> runs on each new workspace: the
    /// prediction path allocates the GEMM buffer there (by running its first packed product on one
    /// row), so a workspace created ahead of its first call (by <see cref="WorkspacePool{T}.Prepare"/>,
    /// or a warm-up that rents several at once) does not allocate in that call.
    /// </summary>
    internal WorkspacePoolPolicy(NetworkShape shape, int maxBatchSize, Action<Workspace<T>>? prepare)
        : this(shape, maxBatchSize) => _prepare = prepare;

    /// <summary>The architecture of the pooled workspaces.</summary>
    public NetworkShape Shape { get; }

    /// <summary>The batch size of the pooled workspaces.</summary>
    public int MaxBatchSize { get; }

    /// <inheritdoc/>
    public override Workspace<T> Create()
    {
        var workspace = new Workspace<T>(Shape, MaxBatchSize, forTraining: false);
        _prepare?.Invoke(workspace);
        return workspace;
    }

    /// <inheritdoc/>
    public override bool Return(Workspace<T> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.MaxBatchSize == MaxBatchSize && obj.Shape.Equals(Shape);
    }
}
