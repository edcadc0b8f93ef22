using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using Backprop.Training.Data;

namespace Backprop.Training.Persistence;

/// <summary>ONNX export (see <see cref="ExportOnnx(TrainedModel, Stream)"/>).</summary>
public static partial class ModelFile
{
    /// <summary>The ONNX operator set the exported graphs use (default domain).</summary>
    public const int OnnxOpset = 17;

    /// <summary>The ONNX IR version written (the one that goes with <see cref="OnnxOpset"/>).</summary>
    public const int OnnxIrVersion = 8;

    /// <summary>
    /// Writes the model as an ONNX graph (<see cref="OnnxOpset"/>, IR <see cref="OnnxIrVersion"/>) that any
    /// ONNX runtime can serve: raw features in, the model's own scaling applied, probabilities and class out.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The graph, in the model's element type (float models export float, double models double):
    /// input <c>input</c> [N, inputs]; the scaling, if any, as <c>Sub</c> (offsets) and <c>Mul</c>
    /// (factors) computed in double like <see cref="FeatureScaling.Apply{T}(Kernels.MatrixSpan{T})"/>
    /// (a float model casts to double and back around them, so large offsets lose nothing); then per
    /// layer <c>Gemm</c> (weights fan_in × fan_out, bias) and the hidden activation (<c>Sigmoid</c>,
    /// <c>Tanh</c> or <c>Relu</c>); then outputs <c>probabilities</c> = <c>Softmax</c>(axis −1) of the
    /// logits [N, outputs] and <c>class</c> = <c>ArgMax</c>(axis 1) of the logits, int64 [N] (the first
    /// on ties, like <see cref="TrainedModel{T}.PredictClasses"/>).
    /// </para>
    /// <para>The class names, labels, feature names and description go into the model's metadata
    /// (<c>class_name.0</c>, <c>class_label.0</c>, …, <c>feature_name.0</c>, …, <c>description</c>).</para>
    /// </remarks>
    /// <param name="model">The model; its parameters must be finite.</param>
    /// <param name="destination">The stream to write to; left open.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A parameter is NaN or infinite.</exception>
    public static void ExportOnnx(TrainedModel model, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(OnnxBytes(model));
    }

    /// <summary>Writes the model as ONNX (<see cref="ExportOnnx(TrainedModel, Stream)"/>) to a file, atomically with <see cref="AtomicFile"/>.</summary>
    /// <param name="model">The model; its parameters must be finite.</param>
    /// <param name="path">The file to create or replace (a regular file that is not read-only, or a new name).</param>
    /// <exception cref="ArgumentException">A parameter is NaN or infinite, or the path is empty.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    /// <exception cref="IOException">The path is a directory, device, FIFO or read-only file, or writing failed; the old file, if any, is unchanged.</exception>
    public static void ExportOnnx(TrainedModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = OnnxBytes(model);
        AtomicFile.Write(path, bytes);
    }

    /// <summary>The bytes of the ONNX file <see cref="ExportOnnx(TrainedModel, Stream)"/> writes.</summary>
    /// <param name="model">The model; its parameters must be finite.</param>
    /// <returns>The file's content.</returns>
    /// <exception cref="ArgumentException">A parameter is NaN or infinite.</exception>
    public static byte[] OnnxBytes(TrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model switch
        {
            TrainedModel<float> f => OnnxGraph.Build(f),
            TrainedModel<double> d => OnnxGraph.Build(d),
            _ => throw new ArgumentException($"Unsupported element type {model.ElementType.Name}.", nameof(model)),
        };
    }
}

/// <summary>Builds the ONNX ModelProto of a trained model (field numbers from onnx.proto).</summary>
internal static class OnnxGraph
{
    private const int Float = 1;
    private const int Int64 = 7;
    private const int Double = 11;
    private const int AttributeInt = 2;

    public static byte[] Build<T>(TrainedModel<T> model)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Network<T> network = model.Network;
        NetworkShape shape = network.Shape;
        if (Training.DataArguments.FirstNonFinite<T>(network.Parameters) is int bad and >= 0)
        {
            throw new ArgumentException($"Parameter {bad} is {network.Parameters[bad]}; an exported model must be finite.", nameof(model));
        }

        int type = typeof(T) == typeof(float) ? Float : Double;
        var graph = new OnnxProtobuf();
        graph.String(2, "backprop_mlp");
        string x = "input";
        if (model.Scaling is FeatureScaling scaling)
        {
            string centred = "scaling_centred", scaled = "scaling_scaled";
            if (type == Float)
            {
                graph.Message(1, Node("Cast", "scaling_cast_in", [x], ["input_double"], Attribute("to", Double)));
                x = "input_double";
            }

            graph.Message(5, Tensor("scaling_offset", Double, [shape.Inputs], MemoryMarshal.AsBytes(scaling.Offsets)));
            graph.Message(5, Tensor("scaling_factor", Double, [shape.Inputs], MemoryMarshal.AsBytes(scaling.Scales)));
            graph.Message(1, Node("Sub", "scaling_sub", [x, "scaling_offset"], [centred]));
            graph.Message(1, Node("Mul", "scaling_mul", [centred, "scaling_factor"], [scaled]));
            x = scaled;
            if (type == Float)
            {
                graph.Message(1, Node("Cast", "scaling_cast_out", [x], ["scaled_input"], Attribute("to", Float)));
                x = "scaled_input";
            }
        }

        for (int l = 0; l < shape.LayerCount; l++)
        {
            LayerView<T> layer = network.Layer(l);
            string w = Name("weight", l), b = Name("bias", l), z = Name("logits", l);
            T[] weights = layer.Weights.Span.ToArray();
            graph.Message(5, Tensor(w, type, [layer.FanIn, layer.FanOut], MemoryMarshal.AsBytes<T>(weights)));
            graph.Message(5, Tensor(b, type, [layer.FanOut], MemoryMarshal.AsBytes<T>(layer.Bias)));
            graph.Message(1, Node("Gemm", Name("gemm", l), [x, w, b], [z]));
            x = z;
            if (l < shape.LayerCount - 1)
            {
                string a = Name("activation", l);
                string op = shape.HiddenActivation switch
                {
                    HiddenActivation.Sigmoid => "Sigmoid",
                    HiddenActivation.Tanh => "Tanh",
                    HiddenActivation.Relu => "Relu",
                    _ => throw new ArgumentException($"Unknown activation {shape.HiddenActivation}.", nameof(model)),
                };
                graph.Message(1, Node(op, Name(op.ToLowerInvariant(), l), [x], [a]));
                x = a;
            }
        }

        graph.Message(1, Node("Softmax", "softmax", [x], ["probabilities"], Attribute("axis", -1)));
        graph.Message(1, Node("ArgMax", "argmax", [x], ["class"], Attribute("axis", 1), Attribute("keepdims", 0)));
        graph.Message(11, Value("input", type, ["N", shape.Inputs]));
        graph.Message(12, Value("probabilities", type, ["N", shape.Outputs]));
        graph.Message(12, Value("class", Int64, ["N"]));

        var root = new OnnxProtobuf()
            .Int(1, ModelFile.OnnxIrVersion)
            .String(2, "Backprop")
            .String(3, typeof(ModelFile).Assembly.GetName().Version?.ToString() ?? "0")
            .Message(7, graph)
            .Message(8, new OnnxProtobuf().String(1, string.Empty).Int(2, ModelFile.OnnxOpset));
        if (model.Description.Length > 0)
        {
            root.String(6, model.Description);
            root.Message(14, Entry("description", model.Description));
        }

        for (int k = 0; k < shape.Outputs; k++)
        {
            root.Message(14, Entry(Name("class_name", k), model.ClassNames[k]));
            root.Message(14, Entry(Name("class_label", k), model.ClassLabels[k]));
        }

        for (int i = 0; i < model.FeatureNames.Count; i++)
        {
            root.Message(14, Entry(Name("feature_name", i), model.FeatureNames[i]));
        }

        return root.Written.ToArray();
    }

    private static string Name(string prefix, int index) => string.Create(CultureInfo.InvariantCulture, $"{prefix}.{index}");

    private static OnnxProtobuf Entry(string key, string value) => new OnnxProtobuf().String(1, key).String(2, value);

    private static OnnxProtobuf Attribute(string name, long value) => new OnnxProtobuf().String(1, name).Int(3, value).Int(20, AttributeInt);

    private static OnnxProtobuf Node(string op, string name, string[] inputs, string[] outputs, params OnnxProtobuf[] attributes)
    {
        var node = new OnnxProtobuf();
        foreach (string input in inputs)
        {
            node.String(1, input);
        }

        foreach (string output in outputs)
        {
            node.String(2, output);
        }

        node.String(3, name).String(4, op);
        foreach (OnnxProtobuf attribute in attributes)
        {
            node.Message(5, attribute);
        }

        return node;
    }

    private static OnnxProtobuf Tensor(string name, int type, long[] dims, ReadOnlySpan<byte> littleEndian)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX export writes raw little-endian tensors; this machine is big-endian.");
        }

        var tensor = new OnnxProtobuf();
        foreach (long d in dims)
        {
            tensor.Int(1, d);
        }

        return tensor.Int(2, type).String(8, name).Bytes(9, littleEndian);
    }

    private static OnnxProtobuf Value(string name, int type, object[] dims)
    {
        var shape = new OnnxProtobuf();
        foreach (object d in dims)
        {
            shape.Message(1, d is string param ? new OnnxProtobuf().String(2, param) : new OnnxProtobuf().Int(1, (int)d));
        }

        var tensor = new OnnxProtobuf().Int(1, type).Message(2, shape);
        return new OnnxProtobuf().String(1, name).Message(2, new OnnxProtobuf().Message(1, tensor));
    }
}
