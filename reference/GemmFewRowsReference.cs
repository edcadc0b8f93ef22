namespace Backprop.Reference;

/// <summary>The plain reference for <c>Backprop.Kernels.GemmFewRows</c>: <c>Y = X·W + b</c> in double, with the magnitude <c>|b| + Σ|x·w|</c> that bounds its rounding.</summary>
public static class GemmFewRowsReference
{
    /// <summary>Row-major X (rows × n), W (n × m), b (m): the exact-in-double product and the magnitude of its terms.</summary>
    public static (double[] Y, double[] Magnitude) Multiply(double[] x, int rows, int n, double[] w, int m, double[] b)
    {
        double[] y = new double[rows * m];
        double[] magnitude = new double[rows * m];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < m; j++)
            {
                double sum = b[j];
                double size = Math.Abs(b[j]);
                for (int i = 0; i < n; i++)
                {
                    double t = x[(r * n) + i] * w[(i * m) + j];
                    sum += t;
                    size += Math.Abs(t);
                }

                y[(r * m) + j] = sum;
                magnitude[(r * m) + j] = size;
            }
        }

        return (y, magnitude);
    }
}
