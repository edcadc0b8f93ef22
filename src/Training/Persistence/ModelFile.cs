using System.Globalization;
using System.Numerics;

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
/// <para>The layout is described once, in <see cref="ModelCodec"/>, and walked by its reader, writer
/// and sizer alike; this class is the facade (and the atomic save).</para>
/// <para>Loading trusts nothing: the 20-byte header (magic, version, flags, length) is checked
/// before the rest is read, then the length and checksum before the content is parsed; every count
/// is checked against the bytes that remain before anything is allocated for it, with size
/// arithmetic that cannot overflow; names must be valid UTF-8 and parameters finite. Every problem
/// is an <see cref="InvalidDataException"/> with a one-line message that says what is wrong. Saving
/// refuses (with an <see cref="ArgumentException"/>) exactly what loading would refuse.</para>
/// </remarks>
public static partial class ModelFile
{
    /// <summary>The format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The largest model file accepted, in bytes.</summary>
    public const long MaxFileLength = int.MaxValue - 64;

    /// <summary>The largest number of layer sizes accepted (inputs, hidden layers and outputs).</summary>
    public const int MaxLayerSizes = 1024;

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
        return ModelCodec.Encode(ModelLayout.From(model));
    }

    /// <summary>
    /// Checks, before any training, that a model of this shape and these names can be saved — that is,
    /// that <see cref="Load(string)"/> would accept it: at most <see cref="MaxLayerSizes"/> layer sizes,
    /// at most <see cref="Array.MaxLength"/> parameters, every string at most
    /// <see cref="TrainedModel.MaxStringBytes"/> UTF-8 bytes (and valid Unicode), and a file of at most
    /// <see cref="MaxFileLength"/> bytes with double parameters (the larger element type, so a check that
    /// passes holds for float too). The rules are the file format's own, the ones <see cref="Serialize"/>
    /// and the reader enforce.
    /// </summary>
    /// <param name="shape">The network's shape.</param>
    /// <param name="classNames">One display name per output (class labels are checked when saving).</param>
    /// <param name="featureNames">No names, or one per input.</param>
    /// <param name="description">Free text.</param>
    /// <exception cref="ArgumentException">Something would not fit in a model file; the message names it.</exception>
    public static void ValidateLayout(NetworkShape shape, IReadOnlyList<string> classNames, IReadOnlyList<string> featureNames, string description)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(description);
        if (featureNames.Count != 0 && featureNames.Count != shape.Inputs)
        {
            throw new ArgumentException($"Expected no feature names or {shape.Inputs} (one per input), got {featureNames.Count}.", nameof(featureNames));
        }

        var layout = new ModelLayout
        {
            ElementSize = sizeof(double),
            Activation = (int)shape.HiddenActivation,
            Sizes = shape.LayerSizes.ToArray(),
            Description = description,
            ClassLabels = [.. Enumerable.Range(0, shape.Outputs).Select(i => i.ToString(CultureInfo.InvariantCulture))],
            ClassNames = [.. classNames],
            FeatureNames = [.. featureNames],
        };
        var sizer = new ModelCodec.Sizer();
        ModelCodec.Walk(ref sizer, layout);
        if (sizer.Position > MaxFileLength)
        {
            throw new ArgumentException($"A model of shape {shape} needs {sizer.Position:N0} bytes with double parameters, more than a model file may hold ({MaxFileLength:N0}).", nameof(shape));
        }
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
        return Load(stream, path);
    }

    /// <summary>
    /// Reads a model from a stream, seekable or not (a pipe, standard input): the 20-byte header is
    /// read and checked first (magic, version, flags, and a file length within
    /// <see cref="MaxFileLength"/>); then exactly that many bytes are read, into a buffer that grows
    /// with what arrives (so a lying length cannot force a large allocation), and the stream must end
    /// there.
    /// </summary>
    /// <param name="stream">The stream, positioned at the model's first byte; left open.</param>
    /// <param name="sourceName">Name used in messages.</param>
    /// <returns>A <see cref="TrainedModel{T}"/> of float or double.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid model (the message says why).</exception>
    public static TrainedModel Load(Stream stream, string sourceName = "model")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        byte[] prelude = new byte[ModelCodec.PreludeLength];
        int got = stream.ReadAtLeast(prelude, prelude.Length, throwOnEndOfStream: false);
        long declared = ModelCodec.CheckPrelude(prelude.AsSpan(0, got), sourceName);
        if (stream.CanSeek)
        {
            long actual = stream.Length - stream.Position + got;
            if (actual != declared)
            {
                throw new InvalidDataException(actual < declared
                    ? $"{sourceName}: truncated: the header says the file has {declared:N0} bytes, only {actual:N0} are there."
                    : $"{sourceName}: {actual - declared:N0} unexpected bytes after the end the header gives ({declared:N0} bytes).");
            }
        }

        byte[] bytes = new byte[Math.Min(declared, 1 << 20)];
        prelude.AsSpan(0, got).CopyTo(bytes);
        int length = got;
        while (length < declared)
        {
            if (length == bytes.Length)
            {
                Array.Resize(ref bytes, (int)Math.Min(declared, bytes.Length * 2L));
            }

            int n = stream.Read(bytes, length, bytes.Length - length);
            if (n == 0)
            {
                throw new InvalidDataException($"{sourceName}: truncated: the header says the file has {declared:N0} bytes, only {length:N0} are there.");
            }

            length += n;
        }

        if (stream.ReadByte() >= 0)
        {
            throw new InvalidDataException(stream.CanSeek
                ? $"{sourceName}: the file grew while it was being read."
                : $"{sourceName}: unexpected bytes after the end the header gives ({declared:N0} bytes).");
        }

        return Deserialize(bytes, sourceName);
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
        ArgumentNullException.ThrowIfNull(sourceName);
        return ModelCodec.Decode(bytes, sourceName);
    }
}
