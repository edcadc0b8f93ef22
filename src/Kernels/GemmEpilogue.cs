using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// What the packed GEMM does to a C vector in the last depth block, after <c>α·acc + β·C</c> and
/// before the store, while the tile is still in registers. Each implementation is a stateless struct,
/// so the JIT compiles the five loops and the micro-kernel once per epilogue with the epilogue
/// inlined (and, for <see cref="NoEpilogue{T}"/>, removed).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IGemmEpilogue<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>False for the plain product: the loops then skip every epilogue branch.</summary>
    static abstract bool Active { get; }

    /// <summary>Whether <c>Apply</c> reads the bias row (else the bias reference is never dereferenced).</summary>
    static abstract bool ReadsBias { get; }

    /// <summary>Whether <c>Apply</c> reads the matrix of C's shape (else the aux reference is never dereferenced).</summary>
    static abstract bool ReadsAux { get; }

    /// <summary>The epilogue of one element: <paramref name="bias"/> is the bias at its column, <paramref name="aux"/> the aux matrix's element at its position.</summary>
    static abstract T Apply(T value, ref T bias, ref T aux);

    /// <summary>The epilogue of one vector of a C row (the bias and aux references point at its first lane).</summary>
    static abstract Vector128<T> Apply(Vector128<T> value, ref T bias, ref T aux);

    /// <inheritdoc cref="Apply(Vector128{T}, ref T, ref T)"/>
    static abstract Vector256<T> Apply(Vector256<T> value, ref T bias, ref T aux);

    /// <inheritdoc cref="Apply(Vector128{T}, ref T, ref T)"/>
    static abstract Vector512<T> Apply(Vector512<T> value, ref T bias, ref T aux);
}

/// <summary>The plain product: nothing after <c>α·acc + β·C</c>.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct NoEpilogue<T> : IGemmEpilogue<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static bool Active => false;

    public static bool ReadsBias => false;

    public static bool ReadsAux => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Apply(T value, ref T bias, ref T aux) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Apply(Vector128<T> value, ref T bias, ref T aux) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Apply(Vector256<T> value, ref T bias, ref T aux) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Apply(Vector512<T> value, ref T bias, ref T aux) => value;
}

/// <summary>
/// Forward: <c>A = f(Z + b)</c> with f one of the activation kernels' operators (or the identity):
/// the same two operations, in the same order, as <see cref="RowColumnOps.AddRowVector{T}"/> then the
/// activation kernel, so the fused result equals the separate passes' wherever those run at the same
/// vector width.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TOp">The activation's operator.</typeparam>
internal readonly struct BiasActivationEpilogue<T, TOp> : IGemmEpilogue<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOp : struct, IUnaryOperator<T>
{
    public static bool Active => true;

    public static bool ReadsBias => true;

    public static bool ReadsAux => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Apply(T value, ref T bias, ref T aux) => default(TOp).Invoke(value + bias);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Apply(Vector128<T> value, ref T bias, ref T aux) => default(TOp).Invoke(value + Vector128.LoadUnsafe(ref bias));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Apply(Vector256<T> value, ref T bias, ref T aux) => default(TOp).Invoke(value + Vector256.LoadUnsafe(ref bias));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Apply(Vector512<T> value, ref T bias, ref T aux) => default(TOp).Invoke(value + Vector512.LoadUnsafe(ref bias));
}

/// <summary>
/// Backward: <c>dZ = dA ⊙ f′(A)</c> with dA the product and A (the aux matrix) the activation's
/// output at the same position, through the activation kernels' fused backward operator.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TOp">The activation's backward operator, <c>(dA, A) ↦ dZ</c>.</typeparam>
internal readonly struct ActivationGradientEpilogue<T, TOp> : IGemmEpilogue<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOp : struct, IBinaryOperator<T>
{
    public static bool Active => true;

    public static bool ReadsBias => false;

    public static bool ReadsAux => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Apply(T value, ref T bias, ref T aux) => default(TOp).Invoke(value, aux);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Apply(Vector128<T> value, ref T bias, ref T aux) => default(TOp).Invoke(value, Vector128.LoadUnsafe(ref aux));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Apply(Vector256<T> value, ref T bias, ref T aux) => default(TOp).Invoke(value, Vector256.LoadUnsafe(ref aux));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Apply(Vector512<T> value, ref T bias, ref T aux) => default(TOp).Invoke(value, Vector512.LoadUnsafe(ref aux));
}

/// <summary>The identity, as an activation operator (a layer with a bias and no activation, e.g. logits).</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct IdentityOperator<T> : IUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => x;

    public Vector128<T> Invoke(Vector128<T> x) => x;

    public Vector256<T> Invoke(Vector256<T> x) => x;

    public Vector512<T> Invoke(Vector512<T> x) => x;
}

/// <summary>The epilogue's operands for one product (empty where the epilogue does not read them).</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly ref struct GemmEpilogueData<T>(ReadOnlySpan<T> bias, ReadOnlyMatrixSpan<T> aux, Span<T> columnSums)
{
    /// <summary>The bias row, one element per column of C.</summary>
    public readonly ReadOnlySpan<T> Bias = bias;

    /// <summary>A matrix of C's shape read at each element's position (the activation output of a backward epilogue).</summary>
    public readonly ReadOnlyMatrixSpan<T> Aux = aux;

    /// <summary>Where the column sums of op(B) go while B is packed (empty: not summed).</summary>
    public readonly Span<T> ColumnSums = columnSums;
}
