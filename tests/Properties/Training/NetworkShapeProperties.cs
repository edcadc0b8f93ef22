using Backprop.Training;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Training;

public class NetworkShapeProperties
{
    [Support.SizedProperty]
    public Property CountsAndOffsetsFollowTheLayerSizes() =>
        Prop.ForAll(
            Gen.Choose(1, 50).ArrayOf().Where(a => a.Length >= 1 && a.Length <= 5).Select(a => (int[])[.. a, 3]).ToArbitrary(),
            sizes =>
            {
                var shape = new NetworkShape(sizes, HiddenActivation.Tanh);
                int offset = 0;
                for (int l = 0; l < sizes.Length - 1; l++)
                {
                    Assert.Equal(offset, shape.ParameterOffset(l));
                    Assert.Equal((sizes[l], sizes[l + 1]), (shape.FanIn(l), shape.FanOut(l)));
                    offset += (sizes[l] + 1) * sizes[l + 1];
                }

                Assert.Equal(offset, shape.ParameterCount);
                Assert.Equal(offset, shape.ParameterOffset(sizes.Length - 1));
                Assert.Equal((sizes[0], 3, sizes.Length - 1), (shape.Inputs, shape.Outputs, shape.LayerCount));
                Assert.Equal(sizes, shape.LayerSizes.ToArray());
            });

    [Fact]
    public void TheWorkedExamplesShapes()
    {
        var a = new NetworkShape([4, 2, 2]);
        Assert.Equal((5 * 2) + (3 * 2), a.ParameterCount);
        Assert.Equal("4-2-2 Sigmoid", a.ToString());
        Assert.Equal((3 * 3) + (4 * 2), new NetworkShape([2, 3, 2]).ParameterCount);
        Assert.Equal(a, new NetworkShape([4, 2, 2], HiddenActivation.Sigmoid));
        Assert.Equal(a.GetHashCode(), new NetworkShape([4, 2, 2]).GetHashCode());
        Assert.NotEqual(a, new NetworkShape([4, 2, 2], HiddenActivation.Relu));
        Assert.NotEqual(a, new NetworkShape([4, 3, 2]));
    }

    [Theory]
    [InlineData(new[] { 4 })]
    [InlineData(new int[0])]
    public void TooFewSizesThrowNamingLayerSizes(int[] sizes) =>
        Assert.Equal("layerSizes", Assert.Throws<ArgumentException>(() => new NetworkShape(sizes)).ParamName);

    [Theory]
    [InlineData(new[] { 0, 2 })]
    [InlineData(new[] { 3, -1, 2 })]
    [InlineData(new[] { 3, 4, 1 })]
    public void NonPositiveSizesAndSingleClassesThrowNamingLayerSizes(int[] sizes) =>
        Assert.Equal("layerSizes", Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkShape(sizes)).ParamName);

    [Fact]
    public void HugeShapesAndUnknownActivationsThrow()
    {
        Assert.Equal("layerSizes", Assert.Throws<ArgumentException>(() => new NetworkShape([100_000, 100_000, 2])).ParamName);
        Assert.Equal("hiddenActivation", Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkShape([2, 2], (HiddenActivation)7)).ParamName);
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkShape([2, 2]).FanIn(1)).ParamName);
    }
}
