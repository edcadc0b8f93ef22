using System.Globalization;
using Backprop.Reference;
using Backprop.Training;

namespace Backprop.Properties.Training;

/// <summary>
/// The worked example's data (data/stairs, read with a minimal CSV parser written here, not the
/// sample's); the initial weights are <see cref="WorkedExample"/>'s.
/// </summary>
internal static class StairsData
{
    public static readonly NetworkShape Shape = new(WorkedExample.LayerSizes.ToArray(), HiddenActivation.Sigmoid);

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
        network.ImportAugmented(0, new Backprop.Kernels.ReadOnlyMatrixSpan<T>(WorkedExample.W1.ToArray().Select(T.CreateTruncating).ToArray(), 5, 2));
        network.ImportAugmented(1, new Backprop.Kernels.ReadOnlyMatrixSpan<T>(WorkedExample.W2.ToArray().Select(T.CreateTruncating).ToArray(), 3, 2));
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
