namespace Backprop.Kernels;

/// <summary>How a matrix operand enters a product: as stored, or transposed.</summary>
public enum MatrixOperation
{
    /// <summary>Use the matrix as stored: <c>op(A) = A</c>.</summary>
    None = 0,

    /// <summary>Use the transpose: <c>op(A) = Aᵀ</c>.</summary>
    Transpose = 1,
}
