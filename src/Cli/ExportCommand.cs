using System.CommandLine;
using System.Globalization;
using Backprop.Training.Persistence;

namespace Backprop.Cli;

/// <summary><c>export</c>: writes a model file in another format (ONNX), atomically, never over the model itself.</summary>
internal static class ExportCommand
{
    public static Command Create(CliConsole console)
    {
        var modelPath = new Argument<string>("model") { Description = "The model file (from train)." };
        var onnx = new Option<string>("--onnx") { Description = "Write the model as an ONNX graph (opset 17; raw features in, the model's scaling applied, outputs 'probabilities' and 'class') to this file.", HelpName = "FILE", Required = true };
        var command = new Command("export", "Export a model for other runtimes: ONNX Runtime, ML.NET's ApplyOnnxModel, Python, the browser.")
        {
            modelPath,
            onnx,
        };
        command.SetAction(result =>
        {
            string path = result.GetValue(modelPath)!;
            string output = result.GetValue(onnx)!;
            OutputGuard.Check("--onnx", output, [path]);
            TrainedModel model = ModelFile.Load(path);
            ModelFile.ExportOnnx(model, output);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {output}: ONNX opset {ModelFile.OnnxOpset}, {model.ElementType.Name.ToLowerInvariant()}, {model.Shape} ({new FileInfo(output).Length:N0} bytes)."));
            return ExitCodes.Success;
        });
        return command;
    }
}
