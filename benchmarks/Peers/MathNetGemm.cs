using System.Numerics;
using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace Backprop.Benchmarks.Peers;

/// <summary>
/// MathNet.Numerics' managed matrix multiply: what a .NET user reaches for first. MathNet stores
/// column-major, so the row-major arrays are bound without copying as their transposes
/// (row-major X is column-major Xᵀ) and C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ.
/// One thread (<see cref="Control.MaxDegreeOfParallelism"/> = 1), like every other row of the table.
/// </summary>
internal sealed class MathNetGemm<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Matrix<T> _a, _b, _c;
    private readonly bool _transposeA, _transposeB;

    /// <summary>Binds the arrays: A is (ta ? k×m : m×k), B is (tb ? n×k : k×n), C is m×n, all row-major.</summary>
    public MathNetGemm(bool transposeA, bool transposeB, int m, int n, int k, T[] a, T[] b, T[] c)
    {
        Control.UseManaged();
        Control.MaxDegreeOfParallelism = 1;
        _transposeA = transposeA;
        _transposeB = transposeB;
        MatrixBuilder<T> build = Matrix<T>.Build;
        _a = transposeA ? build.Dense(m, k, a) : build.Dense(k, m, a);
        _b = transposeB ? build.Dense(k, n, b) : build.Dense(n, k, b);
        _c = build.Dense(n, m, c);
        if (transposeA && transposeB)
        {
            throw new NotSupportedException("MathNet has no product of two transposes; the benchmark shapes do not need one.");
        }
    }

    /// <summary>C = op(A)·op(B) into the bound C array.</summary>
    public void Multiply()
    {
        // The views: _a is op(A) when A is transposed, else Aᵀ; _b is op(B) when B is transposed, else Bᵀ.
        if (_transposeA)
        {
            _b.TransposeAndMultiply(_a, _c); // Cᵀ = Bᵀ · op(A)ᵀ
        }
        else if (_transposeB)
        {
            _b.TransposeThisAndMultiply(_a, _c); // Cᵀ = op(B)ᵀ · Aᵀ
        }
        else
        {
            _b.Multiply(_a, _c); // Cᵀ = Bᵀ · Aᵀ
        }
    }
}
