using Backprop.Cli;
using Backprop.Kernels;
using Backprop.Properties.Training;
using Backprop.Properties.Training.Persistence;
using Backprop.Training.Persistence;

namespace Backprop.Properties.Cli;

/// <summary><c>backprop export model.bpm --onnx out.onnx</c>: the file ONNX Runtime serves, and the refusals every output option has.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly CliHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void ExportWritesAnOnnxFileThatOnnxRuntimeServesWithTheModelsProbabilities()
    {
        string onnx = _h.PathOf("model.onnx");
        CliResult r = CliHarness.Run(null, "export", _h.Model, "--onnx", onnx);
        Assert.True(r.Code == 0, r.Error);
        Assert.StartsWith($"wrote {onnx}: ONNX opset 17", r.Out, StringComparison.Ordinal);

        TrainedModel<float> model = ModelFile.Load<float>(_h.Model);
        // The harness trains on every column but the label: ImageId and the four pixels.
        int n = model.Shape.Inputs;
        Assert.Equal(5, n);
        float[] x = [.. File.ReadAllLines(_h.TestCsv).Skip(1).Where(l => l.Length > 0).SelectMany(l => l.Split(',').Take(n).Select(c => float.Parse(c, System.Globalization.CultureInfo.InvariantCulture)))];
        int rows = x.Length / n;
        float[] expected = new float[rows * 2];
        model.PredictProbabilities(TestData.View(x, n), new MatrixSpan<float>(expected, rows, 2));
        (float[] actual, _, _) = OnnxExportProperties.RunOnnx(File.ReadAllBytes(onnx), x, rows, n);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5, $"probability {i}: {actual[i]} vs {expected[i]}");
        }

        _h.AssertInputsUnchanged("export");
        _h.AssertNoTemporaryFiles("export");
    }

    [Fact]
    public void ExportRefusesToOverwriteItsInputOrWriteNowhere()
    {
        CliResult same = CliHarness.Run(null, "export", _h.Model, "--onnx", _h.Model);
        CliHarness.AssertError(same, ExitCodes.Usage, "--onnx = the model");
        Assert.Contains("refusing to overwrite an input", same.Error, StringComparison.Ordinal);
        CliHarness.AssertError(CliHarness.Run(null, "export", _h.Model), ExitCodes.Usage, "no --onnx");
        CliHarness.AssertError(CliHarness.Run(null, "export", _h.Model, "--onnx", _h.Folder), ExitCodes.Usage, "--onnx a directory");
        CliHarness.AssertError(CliHarness.Run(null, "export", _h.PathOf("missing.bpm"), "--onnx", _h.PathOf("m.onnx")), ExitCodes.FileProblem, "missing model");
        CliHarness.AssertError(CliHarness.Run(null, "export", _h.TrainCsv, "--onnx", _h.PathOf("m.onnx")), ExitCodes.InvalidData, "not a model");
        CliHarness.AssertError(CliHarness.Run(null, "export", _h.Model, "--onnx", _h.PathOf("no/dir/m.onnx")), ExitCodes.FileProblem, "missing folder");
        Assert.False(File.Exists(_h.PathOf("m.onnx")));
        _h.AssertInputsUnchanged("export refusals");
        _h.AssertNoTemporaryFiles("export refusals");
    }
}
