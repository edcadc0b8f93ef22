using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Backprop.Training.Data;

namespace Backprop.Training.Persistence;

/// <summary>
/// One field of the model file, as a reader, a writer and a sizer see it. The layout is written once,
/// in <see cref="ModelCodec.Header{TFields}"/> and <see cref="ModelCodec.Body{TFields}"/>; each
/// implementation of this interface either fills the fields from bytes (<see cref="ModelCodec.Reader"/>),
/// writes them (<see cref="ModelCodec.Writer"/>) or only counts their bytes (<see cref="ModelCodec.Sizer"/>).
/// </summary>
internal interface IModelFields
{
    /// <summary>True when the fields are filled from bytes (a value passed by reference is then an output).</summary>
    bool IsReading { get; }

    /// <summary>Bytes from the start of the file to the next field.</summary>
    long Position { get; }

    /// <summary>When reading, the bytes left before the checksum; otherwise <see cref="long.MaxValue"/>.</summary>
    long Remaining { get; }

    /// <summary>Fixed bytes (the magic number).</summary>
    void Constant(ReadOnlySpan<byte> value, string field);

    /// <summary>An unsigned byte.</summary>
    void U8(ref int value, string field);

    /// <summary>A little-endian <c>u16</c>.</summary>
    void U16(ref int value, string field);

    /// <summary>A little-endian <c>u32</c>.</summary>
    void U32(ref uint value, string field);

    /// <summary>A little-endian <c>u64</c>.</summary>
    void U64(ref ulong value, string field);

    /// <summary>A little-endian IEEE-754 binary64.</summary>
    void F64(ref double value, string field);

    /// <summary>A string: <c>u16</c> byte count, then strict UTF-8.</summary>
    void Text(ref string value, string field);

    /// <summary><paramref name="count"/> zero bytes.</summary>
    void Zeros(int count, string field);

    /// <summary>The parameters: <paramref name="count"/> little-endian elements of <see cref="ModelLayout.ElementSize"/> bytes (the reader creates the network).</summary>
    void Parameters(ModelLayout layout, int count, string field);

    /// <summary>The CRC-32C of every byte before it.</summary>
    void Checksum(string field);

    /// <summary>The reader's guard before allocating: at least <paramref name="bytes"/> must remain before the checksum.</summary>
    void Need(long bytes, string what);

    /// <summary>The exception for a rule broken: <see cref="InvalidDataException"/> when reading, <see cref="ArgumentException"/> when writing.</summary>
    Exception Fail(string problem);
}

/// <summary>The model file's fields, as plain values: what the codec walks.</summary>
internal sealed class ModelLayout
{
    public int Version = ModelFile.FormatVersion;
    public int Flags;
    public ulong FileLength;
    public int ElementSize;
    public int Activation;
    public int Output;
    public int Scaling;
    public int[] Sizes = [];
    public string Description = string.Empty;
    public string[] ClassLabels = [];
    public string[] ClassNames = [];
    public string[] FeatureNames = [];
    public double[] Offsets = [];
    public double[] Scales = [];

    /// <summary>When writing, the model whose parameters are written (null to size a layout without parameters); when reading, the model built.</summary>
    public TrainedModel? Model;

    /// <summary>When reading, the network created for the parameters (before the model is built).</summary>
    public object? Network;

    public static ModelLayout From(TrainedModel model) => new()
    {
        ElementSize = model.ElementType == typeof(float) ? 4 : model.ElementType == typeof(double) ? 8 : throw new NotSupportedException($"Element type {model.ElementType.Name} is not supported."),
        Activation = (int)model.Shape.HiddenActivation,
        Scaling = (int)(model.Scaling?.Kind ?? ScalingKind.None),
        Sizes = model.Shape.LayerSizes.ToArray(),
        Description = model.Description,
        ClassLabels = [.. model.ClassLabels],
        ClassNames = [.. model.ClassNames],
        FeatureNames = [.. model.FeatureNames],
        Offsets = model.Scaling?.Offsets.ToArray() ?? [],
        Scales = model.Scaling?.Scales.ToArray() ?? [],
        Model = model,
    };
}

/// <summary>
/// The model file format (docs/MODEL-FORMAT.md), described once: <see cref="Header{TFields}"/> and
/// <see cref="Body{TFields}"/> walk the fields in file order with every rule a field must obey, and the
/// reader, the writer and the sizer are three ways of walking them. A limit is therefore one line,
/// enforced when saving (as an <see cref="ArgumentException"/>) and when loading (as an
/// <see cref="InvalidDataException"/>) alike. No byte offset is written anywhere: positions follow
/// from the fields.
/// </summary>
internal static class ModelCodec
{
    /// <summary>Bytes of the fixed header (magic, version, flags, file length): what a reader checks before reading the rest.</summary>
    internal const int PreludeLength = 20;

    private const int ChecksumLength = 4;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Magic number, version, flags and file length.</summary>
    public static void Header<TFields>(ref TFields io, ModelLayout m)
        where TFields : IModelFields, allows ref struct
    {
        io.Constant(ModelFile.Magic, "magic");
        io.U16(ref m.Version, "format version");
        if (m.Version != ModelFile.FormatVersion)
        {
            throw io.Fail($"unsupported format version {m.Version}; this build reads version {ModelFile.FormatVersion}.");
        }

        io.U16(ref m.Flags, "flags");
        if (m.Flags != 0)
        {
            throw io.Fail($"unknown flags 0x{m.Flags:X4}; this build knows none.");
        }

        io.U64(ref m.FileLength, "file length");
        if (io.IsReading && m.FileLength is < PreludeLength + ChecksumLength or > ModelFile.MaxFileLength)
        {
            throw io.Fail($"the header gives a file length of {m.FileLength:N0} bytes; a model file has {PreludeLength + ChecksumLength} to {ModelFile.MaxFileLength:N0}.");
        }
    }

    /// <summary>Everything after the header, in file order, with the rule each field obeys.</summary>
    public static void Body<TFields>(ref TFields io, ModelLayout m)
        where TFields : IModelFields, allows ref struct
    {
        io.U8(ref m.ElementSize, "element type");
        if (m.ElementSize is not (4 or 8))
        {
            throw io.Fail($"unknown element type {m.ElementSize} (expected 4 for float or 8 for double).");
        }

        io.U8(ref m.Activation, "hidden activation");
        if (!Enum.IsDefined((HiddenActivation)m.Activation))
        {
            throw io.Fail($"unknown hidden activation {m.Activation} (expected 0 sigmoid, 1 tanh or 2 ReLU).");
        }

        io.U8(ref m.Output, "output layer");
        if (m.Output != 0)
        {
            throw io.Fail($"unknown output layer {m.Output} (expected 0, softmax with cross-entropy).");
        }

        io.U8(ref m.Scaling, "feature scaling");
        if (!Enum.IsDefined((ScalingKind)m.Scaling))
        {
            throw io.Fail($"unknown scaling {m.Scaling} (expected 0 none, 1 standardize or 2 min-max).");
        }

        uint sizeCount = (uint)m.Sizes.Length;
        io.U32(ref sizeCount, "layer count");
        if (sizeCount is < 2 or > ModelFile.MaxLayerSizes)
        {
            throw io.Fail($"{sizeCount} layer sizes; expected 2 to {ModelFile.MaxLayerSizes}.");
        }

        if (io.IsReading)
        {
            io.Need(4L * sizeCount, "the layer sizes");
            m.Sizes = new int[sizeCount];
        }

        for (int i = 0; i < m.Sizes.Length; i++)
        {
            uint size = (uint)m.Sizes[i];
            io.U32(ref size, "layer size");
            if (size is 0 or > int.MaxValue)
            {
                throw io.Fail($"layer size {i} is {size}; expected 1 to {int.MaxValue}.");
            }

            m.Sizes[i] = (int)size;
        }

        int inputs = m.Sizes[0];
        int outputs = m.Sizes[^1];
        if (outputs < 2)
        {
            throw io.Fail($"the output layer has {outputs} unit; a classifier needs at least two.");
        }

        // Checked per layer: each product is below 2⁶², and the total stays below Array.MaxLength, so nothing overflows.
        long parameters = 0;
        for (int l = 0; l + 1 < m.Sizes.Length; l++)
        {
            long layer = ((long)m.Sizes[l] + 1) * m.Sizes[l + 1];
            if (layer > Array.MaxLength - parameters)
            {
                throw io.Fail($"the layer sizes {Shape(m.Sizes)} need more than {Array.MaxLength:N0} parameters (the most one array holds).");
            }

            parameters += layer;
            if (io.IsReading && parameters * m.ElementSize > io.Remaining)
            {
                throw io.Fail($"the layer sizes {Shape(m.Sizes)} need more parameters than the {Math.Max(0, io.Remaining):N0} bytes left in the file hold.");
            }
        }

        Text(ref io, ref m.Description, "description");
        if (io.IsReading)
        {
            io.Need(4L * outputs, "the class names");
            m.ClassLabels = new string[outputs];
            m.ClassNames = new string[outputs];
        }
        else if (m.ClassLabels.Length != outputs || m.ClassNames.Length != outputs)
        {
            throw io.Fail($"{m.ClassLabels.Length} class labels and {m.ClassNames.Length} class names for {outputs} outputs.");
        }

        for (int c = 0; c < outputs; c++)
        {
            Text(ref io, ref m.ClassLabels[c], "class label");
            Text(ref io, ref m.ClassNames[c], "class name");
        }

        if (m.ClassLabels.Distinct(StringComparer.Ordinal).Count() != outputs)
        {
            throw io.Fail("two classes have the same label.");
        }

        uint featureCount = (uint)m.FeatureNames.Length;
        io.U32(ref featureCount, "feature-name count");
        if (featureCount != 0 && featureCount != inputs)
        {
            throw io.Fail($"{featureCount} feature names for {inputs} inputs (expected 0 or {inputs}).");
        }

        if (io.IsReading)
        {
            io.Need(2L * featureCount, "the feature names");
            m.FeatureNames = new string[featureCount];
        }

        for (int f = 0; f < m.FeatureNames.Length; f++)
        {
            Text(ref io, ref m.FeatureNames[f], "feature name");
        }

        if (m.Scaling != 0)
        {
            if (io.IsReading)
            {
                io.Need(16L * inputs, "the scaling");
                m.Offsets = new double[inputs];
                m.Scales = new double[inputs];
            }

            for (int i = 0; i < inputs; i++)
            {
                io.F64(ref m.Offsets[i], "scaling offset");
            }

            for (int i = 0; i < inputs; i++)
            {
                io.F64(ref m.Scales[i], "scaling factor");
            }

            for (int i = 0; i < inputs; i++)
            {
                if (!double.IsFinite(m.Offsets[i]) || !double.IsFinite(m.Scales[i]) || m.Scales[i] == 0)
                {
                    throw io.Fail(string.Create(CultureInfo.InvariantCulture, $"feature {i}'s scaling is offset {m.Offsets[i]}, factor {m.Scales[i]}; both must be finite and the factor non-zero."));
                }
            }
        }

        io.Zeros(Padding(io.Position), "padding");
        if (io.IsReading && io.Remaining != parameters * m.ElementSize)
        {
            throw io.Fail($"{io.Remaining:N0} bytes of parameters where the layer sizes {Shape(m.Sizes)} need {parameters * m.ElementSize:N0}.");
        }

        io.Parameters(m, (int)parameters, "parameters");
        string? nonFinite = m.ElementSize == 4 ? FirstNonFinite<float>(m) : FirstNonFinite<double>(m);
        if (nonFinite is not null)
        {
            throw io.Fail(nonFinite);
        }

        io.Checksum("checksum");
    }

    /// <summary>The whole file, in order.</summary>
    public static void Walk<TFields>(ref TFields io, ModelLayout m)
        where TFields : IModelFields, allows ref struct
    {
        Header(ref io, m);
        Body(ref io, m);
    }

    /// <summary>Zero bytes that bring <paramref name="position"/> to a multiple of 8, so the parameters are aligned for their type.</summary>
    internal static int Padding(long position) => (int)((8 - (position % 8)) % 8);

    /// <summary>The bytes of <paramref name="layout"/> (which must hold a model).</summary>
    public static byte[] Encode(ModelLayout layout)
    {
        var sizer = new Sizer();
        Walk(ref sizer, layout);
        if (sizer.Position > ModelFile.MaxFileLength)
        {
            throw sizer.Fail($"the model needs {sizer.Position:N0} bytes, more than a model file may hold ({ModelFile.MaxFileLength:N0}).");
        }

        layout.FileLength = (ulong)sizer.Position;
        var writer = new Writer(new byte[sizer.Position]);
        Walk(ref writer, layout);
        return writer.Bytes;
    }

    /// <summary>Parses and validates a whole file (length field, checksum, then every field).</summary>
    public static TrainedModel Decode(ReadOnlySpan<byte> bytes, string sourceName)
    {
        var layout = new ModelLayout();
        var reader = new Reader(bytes, sourceName);
        Header(ref reader, layout);
        if (layout.FileLength != (ulong)bytes.Length)
        {
            throw reader.Fail(layout.FileLength > (ulong)bytes.Length
                ? $"truncated: the header says the file has {layout.FileLength:N0} bytes, only {bytes.Length:N0} are there."
                : $"{bytes.Length - (long)layout.FileLength:N0} unexpected bytes after the end the header gives ({layout.FileLength:N0} bytes).");
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[^ChecksumLength..]);
        uint computed = Crc32C.Compute(bytes[..^ChecksumLength]);
        if (stored != computed)
        {
            throw reader.Fail($"checksum mismatch (stored 0x{stored:X8}, computed 0x{computed:X8}): the file is corrupt.");
        }

        reader.EnterBody();
        Body(ref reader, layout);
        try
        {
            Reader.Build(layout);
        }
        catch (ArgumentException e)
        {
            // Every rule the model's constructors check is checked above; this is a second net, not a path.
            throw reader.Fail(e.Message);
        }

        return layout.Model ?? throw reader.Fail("no parameters were read.");
    }

    /// <summary>The first <see cref="PreludeLength"/> bytes checked on their own, before the rest is read: returns the file length they give.</summary>
    public static long CheckPrelude(ReadOnlySpan<byte> prelude, string sourceName)
    {
        var layout = new ModelLayout();
        var reader = new Reader(prelude, sourceName);
        Header(ref reader, layout);
        return (long)layout.FileLength;
    }

    private static string Shape(int[] sizes) => sizes.Length <= 8 ? string.Join('-', sizes) : string.Join('-', sizes.Take(6)) + $"-…({sizes.Length} sizes)";

    /// <summary>A string field, after the writer's check that it fits the <c>u16</c> length.</summary>
    private static void Text<TFields>(ref TFields io, ref string value, string field)
        where TFields : IModelFields, allows ref struct
    {
        if (!io.IsReading)
        {
            int bytes;
            try
            {
                bytes = StrictUtf8.GetByteCount(value);
            }
            catch (EncoderFallbackException)
            {
                throw io.Fail($"the {field} '{Excerpt(value)}' is not valid Unicode (a lone surrogate).");
            }

            if (bytes > TrainedModel.MaxStringBytes)
            {
                throw io.Fail($"the {field} '{Excerpt(value)}' is {bytes:N0} UTF-8 bytes; a model file holds at most {TrainedModel.MaxStringBytes:N0}.");
            }
        }

        io.Text(ref value, field);
    }

    /// <summary>What the writer and the sizer throw: the model cannot be saved (the rule is the reader's).</summary>
    private static ArgumentException Refuse(string problem) => new($"Cannot save the model: {problem}");

    private static string Excerpt(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");

    private static string? FirstNonFinite<T>(ModelLayout m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Network<T>? network = (m.Model as TrainedModel<T>)?.Network ?? m.Network as Network<T>;
        if (network is null)
        {
            return null;
        }

        ReadOnlySpan<T> p = network.Parameters;
        for (int i = 0; i < p.Length; i++)
        {
            if (!T.IsFinite(p[i]))
            {
                return $"parameter {i} ({Locate(network.Shape, i)}) is {p[i]}; parameters must be finite.";
            }
        }

        return null;
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

    private static void ReverseEach(Span<byte> bytes, int size)
    {
        for (int i = 0; i < bytes.Length; i += size)
        {
            bytes.Slice(i, size).Reverse();
        }
    }

    /// <summary>Fills the layout from bytes, checking each count against the bytes that remain before allocating for it.</summary>
    internal ref struct Reader : IModelFields
    {
        private readonly ReadOnlySpan<byte> _bytes;
        private readonly string _sourceName;
        private int _position;
        private int _end;

        public Reader(ReadOnlySpan<byte> bytes, string sourceName)
        {
            _bytes = bytes;
            _sourceName = sourceName;
            _end = bytes.Length;
        }

        public readonly bool IsReading => true;

        public readonly long Position => _position;

        /// <summary>Bytes left before the checksum (or, in the header, before the end of what was read).</summary>
        public readonly long Remaining => _end - _position;

        /// <summary>After the header and the checksum are checked: the fields end where the checksum starts.</summary>
        public void EnterBody() => _end = _bytes.Length - ChecksumLength;

        public readonly Exception Fail(string problem) => new InvalidDataException($"{_sourceName}: {problem}");

        public readonly void Need(long bytes, string what)
        {
            if (bytes > Remaining)
            {
                throw _end == _bytes.Length
                    ? Fail($"truncated: {_bytes.Length} bytes end inside the {what} (the header is {PreludeLength} bytes).")
                    : Fail($"the file ends inside {what} (needs {bytes:N0} more bytes, {Math.Max(0, Remaining):N0} are left).");
            }
        }

        public void Constant(ReadOnlySpan<byte> value, string field)
        {
            ReadOnlySpan<byte> available = _bytes.Slice(_position, (int)Math.Min(value.Length, Remaining));
            if (!value.StartsWith(available))
            {
                throw Fail($"not a Backprop model file (the first {value.Length} bytes are not the model magic number).");
            }

            if (available.Length < value.Length)
            {
                throw Fail($"truncated: {_bytes.Length} bytes, too short for a model file.");
            }

            _position += value.Length;
        }

        public void U8(ref int value, string field)
        {
            Need(1, field);
            value = _bytes[_position++];
        }

        public void U16(ref int value, string field)
        {
            Need(2, field);
            value = BinaryPrimitives.ReadUInt16LittleEndian(_bytes[_position..]);
            _position += 2;
        }

        public void U32(ref uint value, string field)
        {
            Need(4, field);
            value = BinaryPrimitives.ReadUInt32LittleEndian(_bytes[_position..]);
            _position += 4;
        }

        public void U64(ref ulong value, string field)
        {
            Need(8, field);
            value = BinaryPrimitives.ReadUInt64LittleEndian(_bytes[_position..]);
            _position += 8;
        }

        public void F64(ref double value, string field)
        {
            Need(8, field);
            value = BinaryPrimitives.ReadDoubleLittleEndian(_bytes[_position..]);
            _position += 8;
        }

        public void Text(ref string value, string field)
        {
            int length = 0;
            U16(ref length, field);
            Need(length, "a " + field);
            ReadOnlySpan<byte> utf8 = _bytes.Slice(_position, length);
            _position += length;
            try
            {
                value = length == 0 ? string.Empty : StrictUtf8.GetString(utf8);
            }
            catch (DecoderFallbackException)
            {
                throw Fail($"a {field} is not valid UTF-8.");
            }
        }

        public void Zeros(int count, string field)
        {
            Need(count, "the " + field);
            if (_bytes.Slice(_position, count).IndexOfAnyExcept((byte)0) >= 0)
            {
                throw Fail($"a {field} byte before the parameters is not zero.");
            }

            _position += count;
        }

        public void Parameters(ModelLayout layout, int count, string field)
        {
            int bytes = count * layout.ElementSize;
            Need(bytes, "the " + field);
            var shape = new NetworkShape(layout.Sizes, (HiddenActivation)layout.Activation);
            Span<byte> destination;
            if (layout.ElementSize == 4)
            {
                var network = new Network<float>(shape);
                layout.Network = network;
                destination = MemoryMarshal.AsBytes(network.Parameters);
            }
            else
            {
                var network = new Network<double>(shape);
                layout.Network = network;
                destination = MemoryMarshal.AsBytes(network.Parameters);
            }

            _bytes.Slice(_position, bytes).CopyTo(destination);
            if (!BitConverter.IsLittleEndian)
            {
                ReverseEach(destination, layout.ElementSize);
            }

            _position += bytes;
        }

        public void Checksum(string field)
        {
            // Verified over the whole file before the body was parsed; here only the end is checked.
            if (_position != _end)
            {
                throw Fail($"{_end - _position:N0} bytes left over before the {field}.");
            }

            _position += ChecksumLength;
        }

        /// <summary>Builds the model once every field is read.</summary>
        public static void Build(ModelLayout m)
        {
            FeatureScaling? scaling = m.Scaling == 0 ? null : new FeatureScaling((ScalingKind)m.Scaling, m.Offsets, m.Scales);
            m.Model = m.Network switch
            {
                Network<float> f => new TrainedModel<float>(f, scaling, m.ClassLabels, m.ClassNames, m.FeatureNames, m.Description),
                Network<double> d => new TrainedModel<double>(d, scaling, m.ClassLabels, m.ClassNames, m.FeatureNames, m.Description),
                _ => null,
            };
        }
    }

    /// <summary>Writes the fields into an array of exactly the size the <see cref="Sizer"/> found.</summary>
    internal struct Writer(byte[] bytes) : IModelFields
    {
        private int _position;

        public readonly byte[] Bytes => bytes;

        public readonly bool IsReading => false;

        public readonly long Position => _position;

        public readonly long Remaining => long.MaxValue;

        public readonly Exception Fail(string problem) => Refuse(problem);

        public readonly void Need(long bytes, string what)
        {
        }

        public void Constant(ReadOnlySpan<byte> value, string field)
        {
            value.CopyTo(bytes.AsSpan(_position));
            _position += value.Length;
        }

        public void U8(ref int value, string field) => bytes[_position++] = (byte)value;

        public void U16(ref int value, string field)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(_position), (ushort)value);
            _position += 2;
        }

        public void U32(ref uint value, string field)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(_position), value);
            _position += 4;
        }

        public void U64(ref ulong value, string field)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(_position), value);
            _position += 8;
        }

        public void F64(ref double value, string field)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(_position), value);
            _position += 8;
        }

        public void Text(ref string value, string field)
        {
            int length = StrictUtf8.GetBytes(value, bytes.AsSpan(_position + 2));
            int prefix = length;
            U16(ref prefix, field);
            _position += length;
        }

        public void Zeros(int count, string field)
        {
            bytes.AsSpan(_position, count).Clear();
            _position += count;
        }

        public void Parameters(ModelLayout layout, int count, string field)
        {
            ReadOnlySpan<byte> source = layout.Model switch
            {
                TrainedModel<float> f => MemoryMarshal.AsBytes<float>(f.Network.Parameters),
                TrainedModel<double> d => MemoryMarshal.AsBytes<double>(d.Network.Parameters),
                _ => throw new InvalidOperationException("No parameters to write."),
            };
            Span<byte> destination = bytes.AsSpan(_position, source.Length);
            source.CopyTo(destination);
            if (!BitConverter.IsLittleEndian)
            {
                ReverseEach(destination, layout.ElementSize);
            }

            _position += source.Length;
        }

        public void Checksum(string field)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(_position), Crc32C.Compute(bytes.AsSpan(0, _position)));
            _position += ChecksumLength;
        }
    }

    /// <summary>Counts the bytes (and so checks every rule a writer must obey) without writing; optionally records each field's place (docs/MODEL-FORMAT.md is checked against it).</summary>
    internal struct Sizer(List<(string Field, long Offset, long Size)>? fields = null) : IModelFields
    {
        private long _position;

        public readonly bool IsReading => false;

        public readonly long Position => _position;

        public readonly long Remaining => long.MaxValue;

        public readonly Exception Fail(string problem) => Refuse(problem);

        public readonly void Need(long bytes, string what)
        {
        }

        public void Constant(ReadOnlySpan<byte> value, string field) => Add(field, value.Length);

        public void U8(ref int value, string field) => Add(field, 1);

        public void U16(ref int value, string field) => Add(field, 2);

        public void U32(ref uint value, string field) => Add(field, 4);

        public void U64(ref ulong value, string field) => Add(field, 8);

        public void F64(ref double value, string field) => Add(field, 8);

        public void Text(ref string value, string field) => Add(field, 2 + StrictUtf8.GetByteCount(value));

        public void Zeros(int count, string field) => Add(field, count);

        public void Parameters(ModelLayout layout, int count, string field) => Add(field, (long)count * layout.ElementSize);

        public void Checksum(string field) => Add(field, ChecksumLength);

        private void Add(string field, long size)
        {
            fields?.Add((field, _position, size));
            _position += size;
        }
    }
}
