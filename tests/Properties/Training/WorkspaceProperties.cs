using Backprop.Kernels;
using Backprop.Training;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Training;

public class WorkspaceProperties
{
    /// <summary>Every view a pass writes (inputs, each layer's activations, both deltas at their widest) is disjoint from every other.</summary>
    [Support.SizedProperty]
    public Property ViewsNeverOverlap() =>
        Prop.ForAll(
            (from sizes in Gen.Choose(1, 9).ArrayOf().Where(a => a.Length is >= 1 and <= 4) from batch in Gen.Choose(1, 12) select ((int[])[.. sizes, 2], batch)).ToArbitrary(),
            t =>
            {
                var shape = new NetworkShape(t.Item1);
                var workspace = new Workspace<float>(shape, t.batch);
                int rows = t.batch;
                var views = new List<(string Name, int Start, int Length)>();
                void Add(string name, MatrixSpan<float> view) =>
                    views.Add((name, (int)System.Runtime.CompilerServices.Unsafe.ByteOffset(ref workspace.Inputs(1).Span[0], ref view.Span[0]) / sizeof(float), view.Span.Length));
                Add("inputs", workspace.Inputs(rows));
                for (int l = 0; l < shape.LayerCount; l++)
                {
                    Add($"A{l}", workspace.Activations(l, rows));
                }

                int widest = shape.LayerSizes[1..].ToArray().Max();
                Add("delta0", workspace.Delta(0, rows, widest));
                Add("delta1", workspace.Delta(1, rows, widest));
                foreach ((string a, int sa, int la) in views)
                {
                    foreach ((string b, int sb, int lb) in views)
                    {
                        if (a != b && sa < sb + lb && sb < sa + la)
                        {
                            return false.Label($"{a} overlaps {b}");
                        }
                    }
                }

                return true.Label("disjoint");
            });

    [Fact]
    public void PredictionWorkspacesHaveNoDeltasAndAreSmaller()
    {
        var shape = new NetworkShape([10, 20, 3]);
        var training = new Workspace<double>(shape, 8);
        var prediction = new Workspace<double>(shape, 8, forTraining: false);
        Assert.True(training.CanTrain);
        Assert.False(prediction.CanTrain);
        Assert.True(prediction.SizeInBytes < training.SizeInBytes);
        Assert.Throws<InvalidOperationException>(() => prediction.Delta(0, 1, 1));
        Assert.Equal("maxBatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new Workspace<float>(shape, 0)).ParamName);
        Assert.Equal("maxBatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new Workspace<float>(new NetworkShape([100_000, 2]), 100_000)).ParamName);
    }
}
