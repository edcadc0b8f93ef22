using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Backprop.Training.Data;

namespace Backprop.Training.Persistence;

/// <summary>
/// The model file: a small binary format (specified in docs/MODEL-FORMAT.md) holding a
/// <see cref="TrainedModel"/> — magic, format version, element type, layer sizes, activation,
/// feature scaling, class and feature names, the parameters, and a CRC-32C over everything.
/// </summary>
/// <remarks>
/// <para>Saving is atomic: the bytes go to a temporary file in the target's directory, are flushed to
/// the disk, and the temporary file is then renamed over the target, so a crash or an error midway
/// leaves the old file (or none) in place, never a half-written one.</para>
/// <para>Loading trusts nothing: the length, magic, version and checksum are checked before the
/// content is parsed; every count is checked against the bytes that remain before anything is
/// allocated for it; names must be valid UTF-8 and parameters finite. Every problem is an
/// <see cref="InvalidDataException"/> whose message says what is wrong.</para>
/// </remarks>
public static class ModelFile
{
    /// <summary>The format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The largest model file accepted, in bytes.</summary>
    public const long MaxFileLength = int.MaxValue - 64;

    /// <summary>The largest number of layer sizes accepted (inputs, hidden layers and outputs).</summary>
    public const int MaxLayerSizes = 1024;

    /// <summary>Bytes before the layer sizes.</summary>
    internal const int HeaderLength = 28;

    private const int ChecksumLength = 4;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The eight bytes every model file starts with: <c>89 42 50 4D 4F 44 0D 0A</c> ("\x89BPMOD\r\n").</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'B', (byte)'P', (byte)'M', (byte)'O', (byte)'D', 0x0D, 0x0A];

    /// <summary>Saves a model atomically with <see cref="AtomicFile"/> (temporary file, flush to disk, rename over <paramref name="path"/>).</summary>
    /// <param name="model">The model; its parameters must be finite.</param>
    /// <param name="path">The file to create or replace (a regular file that is not read-only, or a new name).</param>
    /// <exception cref="ArgumentException">A parameter is NaN or infinite, or the path is empty or too long.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    /// <exception cref="IOException">The path is a directory, device, FIFO or read-only file, or writing failed; the old file, if any, is unchanged.</exception>
    public static void Save(TrainedModel model, string path) => Save(model, path, wrap: null);

    /// <summary><see cref="Save(TrainedModel, string)"/> with a hook that wraps the temporary file's stream (tests use it to fail midway).</summary>
    internal static void Save(TrainedModel model, string path, Func<Stream, Stream>? wrap)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = Serialize(model);
        AtomicFile.Write(path, file =>
        {
            Stream stream = wrap is null ? file : wrap(file);
            stream.Write(bytes);
            stream.Flush();
        });
    }

    /// <summary>The bytes of a model file for <paramref name="model"/>.</summary>
    /// <param name="model">The model; its parameters must be finite.</param>
    /// <returns>The file's content.</returns>
    /// <exception cref="ArgumentException">A parameter is NaN or infinite.</exception>
    public static byte[] Serialize(TrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model switch
        {
            TrainedModel<float> f => Serialize(f, f.Network.Parameters),
            TrainedModel<double> d => Serialize(d, d.Network.Parameters),
            _ => throw new NotSupportedException($"Element type {model.ElementType.Name} is not supported."),
        };
    }

    /// <summary>Loads a model file of either element type.</summary>
    /// <param name="path">The file.</param>
    /// <returns>A <see cref="TrainedModel{T}"/> of float or double.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid model (the message says why).</exception>
    public static TrainedModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new FileNotFoundException($"{path} is a directory, not a model file.", path);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file not found: {path}", path);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        long length = stream.Length;
        if (length > MaxFileLength)
        {
            throw new InvalidDataException($"{path}: {length:N0} bytes is larger than any model file this build accepts ({MaxFileLength:N0} bytes).");
        }

        byte[] bytes = new byte[length];
        stream.ReadExactly(bytes);
        if (stream.ReadByte() >= 0)
        {
            throw new InvalidDataException($"{path}: the file grew while it was being read.");
        }

        return Deserialize(bytes, path);
    }

    /// <summary>Loads a model file and requires element type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="path">The file.</param>
    /// <returns>The model.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid model, or holds the other element type.</exception>
    public static TrainedModel<T> Load<T>(string path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TrainedModel model = Load(path);
        return model as TrainedModel<T> ?? throw new InvalidDataException($"{path}: the model's element type is {model.ElementType.Name}, not {typeof(T).Name}.");
    }

    /// <summary>Parses and validates the bytes of a model file.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">Name used in messages.</param>
    /// <returns>A <see cref="TrainedModel{T}"/> of float or double.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid model (the message says why).</exception>
    public static TrainedModel Deserialize(ReadOnlySpan<byte> bytes, string sourceName = "model")
    {
        var reader = new Reader(bytes, sourceName);
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw reader.Fail(bytes.Length < Magic.Length && Magic.StartsWith(bytes)
                ? $"truncated: {bytes.Length} bytes, too short for a model file."
                : "not a Backprop model file (the first 8 bytes are not the model magic number).");
        }

        if (bytes.Length < 10)
        {
            throw reader.Fail($"truncated: {bytes.Length} bytes end inside the header.");
        }

        int version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        if (version != FormatVersion)
        {
            throw reader.Fail($"unsupported format version {version}; this build reads version {FormatVersion}.");
        }

        if (bytes.Length < HeaderLength)
        {
            throw reader.Fail($"truncated: {bytes.Length} bytes end inside the {HeaderLength}-byte header.");
        }

        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(bytes[12..]);
        if (declared != (ulong)bytes.Length)
        {
            throw reader.Fail(declared > (ulong)bytes.Length
                ? $"truncated: the header says the file has {declared:N0} bytes, only {bytes.Length:N0} are there."
                : $"{bytes.Length - (long)declared:N0} unexpected bytes after the end the header gives ({declared:N0} bytes).");
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[^ChecksumLength..]);
        uint computed = Crc32C.Compute(bytes[..^ChecksumLength]);
        if (stored != computed)
        {
            throw reader.Fail($"checksum mismatch (stored 0x{stored:X8}, computed 0x{computed:X8}): the file is corrupt.");
        }

        reader.Position = 10;
        int flags = reader.UInt16("flags");
        if (flags != 0)
        {
            throw reader.Fail($"unknown flags 0x{flags:X4}; this build knows none.");
        }

        reader.Position = 20;
        int elementSize = reader.Byte("element type");
        if (elementSize is not (4 or 8))
        {
            throw reader.Fail($"unknown element type {elementSize} (expected 4 for float or 8 for double).");
        }

        int activation = reader.Byte("activation");
        if (!Enum.IsDefined((HiddenActivation)activation))
        {
            throw reader.Fail($"unknown hidden activation {activation} (expected 0 sigmoid, 1 tanh or 2 ReLU).");
        }

        int output = reader.Byte("output layer");
        if (output != 0)
        {
            throw reader.Fail($"unknown output layer {output} (expected 0, softmax with cross-entropy).");
        }

        int scalingKind = reader.Byte("scaling");
        if (!Enum.IsDefined((ScalingKind)scalingKind))
        {
            throw reader.Fail($"unknown scaling {scalingKind} (expected 0 none, 1 standardize or 2 min-max).");
        }

        uint sizeCount = reader.UInt32("layer count");
        if (sizeCount is < 2 or > MaxLayerSizes)
        {
            throw reader.Fail($"{sizeCount} layer sizes; expected 2 to {MaxLayerSizes}.");
        }

        reader.Need(4L * sizeCount, "the layer sizes");
        int[] sizes = new int[sizeCount];
        for (int i = 0; i < sizes.Length; i++)
        {
            uint size = reader.UInt32("a layer size");
            if (size is 0 or > int.MaxValue)
            {
                throw reader.Fail($"layer size {i} is {size}; expected 1 to {int.MaxValue}.");
            }

            sizes[i] = (int)size;
        }

        if (sizes[^1] < 2)
        {
            throw reader.Fail($"the output layer has {sizes[^1]} unit; a classifier needs at least two.");
        }

        long parameters = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            parameters += ((long)sizes[l] + 1) * sizes[l + 1];
            if (parameters * elementSize > reader.Remaining)
            {
                throw reader.Fail($"the layer sizes {string.Join('-', sizes)} need more parameters than the {reader.Remaining:N0} bytes left in the file hold.");
            }
        }

        string description = reader.String("the description");
        int inputs = sizes[0];
        int outputs = sizes[^1];
        reader.Need(4L * outputs, "the class names");
        string[] classLabels = new string[outputs];
        string[] classNames = new string[outputs];
        for (int c = 0; c < outputs; c++)
        {
            classLabels[c] = reader.String("a class label");
            classNames[c] = reader.String("a class name");
        }

        if (classLabels.Distinct(StringComparer.Ordinal).Count() != outputs)
        {
            throw reader.Fail("two classes have the same label.");
        }

        uint featureNameCount = reader.UInt32("the feature-name count");
        if (featureNameCount != 0 && featureNameCount != inputs)
        {
            throw reader.Fail($"{featureNameCount} feature names for {inputs} inputs (expected 0 or {inputs}).");
        }

        reader.Need(2L * featureNameCount, "the feature names");
        string[] featureNames = new string[featureNameCount];
        for (int f = 0; f < featureNames.Length; f++)
        {
            featureNames[f] = reader.String("a feature name");
        }

        FeatureScaling? scaling = null;
        if (scalingKind != 0)
        {
            reader.Need(16L * inputs, "the scaling");
            double[] offsets = new double[inputs];
            double[] scales = new double[inputs];
            for (int i = 0; i < inputs; i++)
            {
                offsets[i] = reader.Double("a scaling offset");
            }

            for (int i = 0; i < inputs; i++)
            {
                scales[i] = reader.Double("a scaling factor");
            }

            for (int i = 0; i < inputs; i++)
            {
                if (!double.IsFinite(offsets[i]) || !double.IsFinite(scales[i]) || scales[i] == 0)
                {
                    throw reader.Fail(string.Create(CultureInfo.InvariantCulture, $"feature {i}'s scaling is offset {offsets[i]}, factor {scales[i]}; both must be finite and the factor non-zero."));
                }
            }

            scaling = new FeatureScaling((ScalingKind)scalingKind, offsets, scales);
        }

        int padding = Padding(reader.Position);
        reader.Need(padding, "the padding");
        for (int i = 0; i < padding; i++)
        {
            if (reader.Byte("padding") != 0)
            {
                throw reader.Fail("a padding byte before the parameters is not zero.");
            }
        }

        if (reader.Remaining != parameters * elementSize)
        {
            throw reader.Fail($"{reader.Remaining:N0} bytes of parameters where the layer sizes {string.Join('-', sizes)} need {parameters * elementSize:N0}.");
        }

        var shape = new NetworkShape(sizes, (HiddenActivation)activation);
        ReadOnlySpan<byte> raw = bytes.Slice(reader.Position, (int)(parameters * elementSize));
        return elementSize == 4
            ? Build<float>(shape, raw, scaling, classLabels, classNames, featureNames, description, reader)
            : Build<double>(shape, raw, scaling, classLabels, classNames, featureNames, description, reader);
    }

    private static TrainedModel<T> Build<T>(NetworkShape shape, ReadOnlySpan<byte> raw, FeatureScaling? scaling, string[] classLabels, string[] classNames, string[] featureNames, string description, Reader reader)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var network = new Network<T>(shape);
        Span<T> parameters = network.Parameters;
        Span<byte> destination = MemoryMarshal.AsBytes(parameters);
        raw.CopyTo(destination);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEach<T>(destination);
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            if (!T.IsFinite(parameters[i]))
            {
                throw reader.Fail($"parameter {i} ({Locate(shape, i)}) is {parameters[i]}; parameters must be finite.");
            }
        }

        return new TrainedModel<T>(network, scaling, classLabels, classNames, featureNames, description);
    }

    private static byte[] Serialize<T>(TrainedModel<T> model, ReadOnlySpan<T> parameters)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkShape shape = model.Shape;
        for (int i = 0; i < parameters.Length; i++)
        {
            if (!T.IsFinite(parameters[i]))
            {
                throw new ArgumentException($"Parameter {i} ({Locate(shape, i)}) is {parameters[i]}; a model with non-finite parameters cannot be saved.", nameof(model));
            }
        }

        int elementSize = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var head = new MemoryStream();
        using (var writer = new BinaryWriter(head, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write((ushort)FormatVersion);
            writer.Write((ushort)0);
            writer.Write(0UL); // length, patched below
            writer.Write((byte)elementSize);
            writer.Write((byte)shape.HiddenActivation);
            writer.Write((byte)0);
            writer.Write((byte)(model.Scaling?.Kind ?? ScalingKind.None));
            writer.Write((uint)shape.LayerSizes.Length);
            foreach (int size in shape.LayerSizes)
            {
                writer.Write((uint)size);
            }

            WriteString(writer, model.Description);
            for (int c = 0; c < shape.Outputs; c++)
            {
                WriteString(writer, model.ClassLabels[c]);
                WriteString(writer, model.ClassNames[c]);
            }

            writer.Write((uint)model.FeatureNames.Count);
            foreach (string name in model.FeatureNames)
            {
                WriteString(writer, name);
            }

            if (model.Scaling is { } scaling)
            {
                foreach (double offset in scaling.Offsets)
                {
                    writer.Write(offset);
                }

                foreach (double scale in scaling.Scales)
                {
                    writer.Write(scale);
                }
            }

            for (int i = Padding((int)head.Length); i > 0; i--)
            {
                writer.Write((byte)0);
            }
        }

        long total = head.Length + ((long)parameters.Length * elementSize) + ChecksumLength;
        if (total > MaxFileLength)
        {
            throw new ArgumentException($"The model needs {total:N0} bytes, more than a model file may hold ({MaxFileLength:N0}).", nameof(model));
        }

        byte[] bytes = new byte[total];
        head.GetBuffer().AsSpan(0, (int)head.Length).CopyTo(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), (ulong)total);
        Span<byte> body = bytes.AsSpan((int)head.Length, parameters.Length * elementSize);
        MemoryMarshal.AsBytes(parameters).CopyTo(body);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEach<T>(body);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - ChecksumLength), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - ChecksumLength)));
        return bytes;
    }

    private static void WriteString(BinaryWriter writer, string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        writer.Write((ushort)utf8.Length);
        writer.Write(utf8);
    }

    /// <summary>Zero bytes that bring <paramref name="position"/> to a multiple of 8, so the parameters are aligned for their type.</summary>
    private static int Padding(int position) => (8 - (position % 8)) % 8;

    private static void ReverseEach<T>(Span<byte> bytes)
        where T : unmanaged
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        for (int i = 0; i < bytes.Length; i += size)
        {
            bytes.Slice(i, size).Reverse();
        }
    }

    private static string Locate(NetworkShape shape, int index)
    {
        for (int l = 0; l < shape.LayerCount; l++)
        {
            int start = shape.ParameterOffset(l);
            if (index < shape.ParameterOffset(l + 1))
            {
                return index - start < shape.FanOut(l) ? $"layer {l + 1} bias" : $"layer {l + 1} weights";
            }
        }

        return "past the end";
    }

    /// <summary>A bounds-checked little-endian cursor over the file's bytes.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes, string sourceName)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; set; }

        /// <summary>Bytes left before the checksum.</summary>
        public readonly long Remaining => _bytes.Length - ChecksumLength - Position;

        public readonly InvalidDataException Fail(string problem) => new($"{sourceName}: {problem}");

        public readonly void Need(long count, string what)
        {
            if (count > Remaining)
            {
                throw Fail($"the file ends inside {what} (needs {count:N0} more bytes, {Math.Max(0, Remaining):N0} are left).");
            }
        }

        public int Byte(string what)
        {
            Need(1, what);
            return _bytes[Position++];
        }

        public int UInt16(string what)
        {
            Need(2, what);
            int value = BinaryPrimitives.ReadUInt16LittleEndian(_bytes[Position..]);
            Position += 2;
            return value;
        }

        public uint UInt32(string what)
        {
            Need(4, what);
            uint value = BinaryPrimitives.ReadUInt32LittleEndian(_bytes[Position..]);
            Position += 4;
            return value;
        }

        public double Double(string what)
        {
            Need(8, what);
            double value = BinaryPrimitives.ReadDoubleLittleEndian(_bytes[Position..]);
            Position += 8;
            return value;
        }

        public string String(string what)
        {
            int length = UInt16(what);
            Need(length, what);
            ReadOnlySpan<byte> utf8 = _bytes.Slice(Position, length);
            Position += length;
            try
            {
                return length == 0 ? string.Empty : StrictUtf8.GetString(utf8);
            }
            catch (DecoderFallbackException)
            {
                throw Fail($"{what} is not valid UTF-8.");
            }
        }
    }
}
