using System.Globalization;
using Backprop.Training;

namespace Backprop.Properties.Training;

/// <summary>
/// The worked example's data (data/stairs, read with a minimal CSV parser written here, not the
/// sample's) and its initial weights, exactly as the issue gives them.
/// </summary>
internal static class StairsData
{
    /// <summary>W1 in augmented form, 5×2, first row = bias.</summary>
    public static readonly double[] W1 =
    [
        -0.004689826737158001, 0.007967793699353935,
        -0.0025575220072641966, 0.00889350537210703,
        0.0014570672670379276, 0.0032159558497369296,
        0.008164155799895526, 0.00258228087797761,
        -0.005966361379250884, -0.008764274590648711,
    ];

    /// <summary>W2 in augmented form, 3×2, first row = bias.</summary>
    public static readonly double[] W2 =
    [
        -0.005880508502013981, -0.00231792563572526,
        -0.006468864949420094, 0.0053968283999711285,
        0.0037404569331556566, -4.6015158295631756e-05,
    ];

    public static readonly NetworkShape Shape = new([4, 2, 2], HiddenActivation.Sigmoid);

    /// <summary>Rows of (pixels as double, class) where class 0 = stairs (IsStairs 1) and class 1 = not stairs.</summary>
    public static (double[] Features, int[] Labels) Load(string file)
    {
        string path = Path.Combine(RepositoryRoot(), "data", "stairs", file);
        string[] lines = File.ReadAllLines(path);
        Assert.Equal("ImageId,R1C1,R1C2,R2C1,R2C2,IsStairs", lines[0]);
        var features = new List<double>();
        var labels = new List<int>();
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            string[] cells = line.Split(',');
            Assert.Equal(6, cells.Length);
            for (int c = 1; c <= 4; c++)
            {
                features.Add(double.Parse(cells[c], CultureInfo.InvariantCulture));
            }

            labels.Add(cells[5] == "1" ? 0 : 1);
        }

        return ([.. features], [.. labels]);
    }

    public static Dataset<T> Dataset<T>(string file)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        (double[] features, int[] labels) = Load(file);
        return new Dataset<T>(features.Select(T.CreateTruncating).ToArray(), labels, 4, 2);
    }

    public static Network<T> InitialNetwork<T>()
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var network = new Network<T>(Shape);
        network.ImportAugmented(0, new Backprop.Kernels.ReadOnlyMatrixSpan<T>(W1.Select(T.CreateTruncating).ToArray(), 5, 2));
        network.ImportAugmented(1, new Backprop.Kernels.ReadOnlyMatrixSpan<T>(W2.Select(T.CreateTruncating).ToArray(), 3, 2));
        return network;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kernels.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Kernels.sln not found above " + AppContext.BaseDirectory);
    }
}
