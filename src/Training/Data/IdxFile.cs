using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Numerics;

namespace Backprop.Training.Data;

/// <summary>The element types of the IDX format (the third byte of its magic number).</summary>
public enum IdxElementType : byte
{
    /// <summary>Unsigned byte (0x08), as in MNIST and Fashion-MNIST.</summary>
    UnsignedByte = 0x08,

    /// <summary>Signed byte (0x09).</summary>
    SignedByte = 0x09,

    /// <summary>Big-endian 16-bit integer (0x0B).</summary>
    SignedInt16 = 0x0B,

    /// <summary>Big-endian 32-bit integer (0x0C).</summary>
    SignedInt32 = 0x0C,

    /// <summary>Big-endian IEEE-754 binary32 (0x0D).</summary>
    Binary32 = 0x0D,

    /// <summary>Big-endian IEEE-754 binary64 (0x0E).</summary>
    Binary64 = 0x0E,
}

/// <summary>An IDX array: its dimensions and its elements, row-major, converted to <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The element type wanted (e.g. float for images, int for labels).</typeparam>
/// <param name="ElementType">The element type stored in the file.</param>
/// <param name="Dimensions">The sizes, outermost first (e.g. 60000, 28, 28).</param>
/// <param name="Values">The elements, row-major.</param>
public sealed record IdxArray<T>(IdxElementType ElementType, int[] Dimensions, T[] Values)
    where T : unmanaged, INumber<T>;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (big-endian magic <c>00 00 type rank</c>, one
/// 32-bit size per dimension, then the elements), plain or gzip-compressed (detected by the gzip
/// magic 1F 8B). Headers are checked before anything is allocated for the data: an unknown type, a
/// rank of 0 or above 16, a zero or negative size, a product beyond <c>maxElements</c>, or (for an
/// uncompressed file) a size that disagrees with the file's length. Compressed data are read into a
/// buffer that grows with what actually arrives, so a lying header cannot force a large allocation.
/// </summary>
public static class IdxFile
{
    /// <summary>The largest rank accepted.</summary>
    public const int MaxRank = 16;

    /// <summary>Loads an IDX file, gzip-compressed or not.</summary>
    /// <typeparam name="T">The element type wanted.</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="maxElements">The most elements accepted (checked on the header, before allocating).</param>
    /// <returns>The array.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">A bad header, truncated data, trailing bytes, corrupt compression, or a NaN/∞ element.</exception>
    public static IdxArray<T> Load<T>(string path, long maxElements = int.MaxValue)
        where T : unmanaged, INumber<T>
        => Load<T>(path, maxElements, checkDimensions: null);

    /// <summary>Loads an IDX file, gzip-compressed or not, letting the caller refuse its dimensions before the data are read.</summary>
    /// <typeparam name="T">The element type wanted.</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="maxElements">The most elements accepted (checked on the header, before allocating).</param>
    /// <param name="checkDimensions">Called with the header's dimensions before any data are read (decompressed); returns null to go on, or what is wrong.</param>
    /// <returns>The array.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">A bad header (or one <paramref name="checkDimensions"/> refuses), truncated data, trailing bytes, corrupt compression, or an element that <typeparamref name="T"/> cannot hold.</exception>
    public static IdxArray<T> Load<T>(string path, long maxElements, Func<int[], string?>? checkDimensions)
        where T : unmanaged, INumber<T>
    {
        using FileStream stream = CsvLoader.OpenRead(path);
        return Read<T>(stream, path, maxElements, checkDimensions);
    }

    /// <summary>Reads an IDX array from a stream to its end, gzip-compressed or not.</summary>
    /// <typeparam name="T">The element type wanted.</typeparam>
    /// <param name="stream">The stream, positioned at the start of the file; left open.</param>
    /// <param name="sourceName">Name used in messages.</param>
    /// <param name="maxElements">The most elements accepted.</param>
    /// <returns>The array.</returns>
    /// <exception cref="DataFormatException">A bad header, truncated data, trailing bytes, corrupt compression, or a NaN/∞ element.</exception>
    public static IdxArray<T> Read<T>(Stream stream, string sourceName = "input", long maxElements = int.MaxValue)
        where T : unmanaged, INumber<T>
        => Read<T>(stream, sourceName, maxElements, checkDimensions: null);

    /// <summary>Reads an IDX array from a stream to its end, letting the caller refuse its dimensions before the data are read.</summary>
    /// <typeparam name="T">The element type wanted.</typeparam>
    /// <param name="stream">The stream, positioned at the start of the file; left open.</param>
    /// <param name="sourceName">Name used in messages.</param>
    /// <param name="maxElements">The most elements accepted.</param>
    /// <param name="checkDimensions">Called with the header's dimensions before any data are read (decompressed); returns null to go on, or what is wrong.</param>
    /// <returns>The array.</returns>
    /// <exception cref="DataFormatException">A bad header (or one <paramref name="checkDimensions"/> refuses), truncated data, trailing bytes, corrupt compression, or an element that <typeparamref name="T"/> cannot hold.</exception>
    public static IdxArray<T> Read<T>(Stream stream, string sourceName, long maxElements, Func<int[], string?>? checkDimensions)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxElements, 1);
        byte[] first = new byte[2];
        int got = ReadFully(stream, first);
        bool gzip = got == 2 && first[0] == 0x1F && first[1] == 0x8B;
        long? remaining = null;
        if (!gzip && stream.CanSeek)
        {
            remaining = stream.Length - stream.Position + got;
        }

        using var prefixed = new PrefixedStream(first.AsMemory(0, got), stream);
        using Stream source = gzip ? new GZipStream(prefixed, CompressionMode.Decompress, leaveOpen: true) : prefixed;
        try
        {
            return ReadPayload<T>(source, sourceName, maxElements, remaining, gzip, checkDimensions);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"the gzip data are corrupt ({e.Message}).", sourceName, 0, null);
        }
    }

    private static IdxArray<T> ReadPayload<T>(Stream source, string sourceName, long maxElements, long? remaining, bool gzip, Func<int[], string?>? checkDimensions)
        where T : unmanaged, INumber<T>
    {
        string kind = gzip ? "decompressed data" : "file";
        byte[] magic = new byte[4];
        int got = ReadFully(source, magic);
        if (got < 4)
        {
            throw Error($"the {kind} is {got} bytes long, too short for an IDX header (at least 8 bytes).", sourceName);
        }

        if (magic[0] != 0 || magic[1] != 0)
        {
            throw Error($"not an IDX file: the magic number {Convert.ToHexString(magic)} does not start with 0000.", sourceName);
        }

        var type = (IdxElementType)magic[2];
        if (!Enum.IsDefined(type))
        {
            throw Error($"unknown IDX element type 0x{magic[2]:X2} (expected 08, 09, 0B, 0C, 0D or 0E).", sourceName);
        }

        int rank = magic[3];
        if (rank is < 1 or > MaxRank)
        {
            throw Error($"the IDX rank is {rank}; expected 1 to {MaxRank}.", sourceName);
        }

        byte[] sizeBytes = new byte[4 * rank];
        got = ReadFully(source, sizeBytes);
        if (got < sizeBytes.Length)
        {
            throw Error($"truncated header: {rank} dimension sizes need {sizeBytes.Length} bytes after the magic number, only {got} are there.", sourceName);
        }

        int[] dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(sizeBytes.AsSpan(4 * d));
            if (size is 0 or > int.MaxValue)
            {
                throw Error($"dimension {d} has size {size}; expected 1 to {int.MaxValue}.", sourceName);
            }

            dims[d] = (int)size;
            count *= size;
            if (count > maxElements || count > Array.MaxLength)
            {
                throw Error($"the header claims {Describe(dims.AsSpan(0, d + 1))}{(d + 1 < rank ? "…" : string.Empty)} elements, more than the {Math.Min(maxElements, Array.MaxLength):N0} allowed.", sourceName);
            }
        }

        if (checkDimensions?.Invoke(dims) is { } refused)
        {
            throw Error(refused, sourceName);
        }

        int elementSize = ElementSize(type);
        long payload = count * elementSize;
        if (payload > Array.MaxLength)
        {
            throw Error($"the header claims {Describe(dims)} × {elementSize} bytes, more than one array can hold.", sourceName);
        }

        if (remaining is long available)
        {
            long expected = 4 + (4L * rank) + payload;
            if (available < expected)
            {
                throw Error($"truncated: the header ({Describe(dims)} × {elementSize} bytes) needs {expected:N0} bytes, the file has {available:N0}.", sourceName);
            }

            if (available > expected)
            {
                throw Error($"{available - expected:N0} unexpected bytes after the data (the header says {Describe(dims)} × {elementSize} bytes, {expected:N0} in all).", sourceName);
            }
        }

        byte[] data = ReadGrowing(source, payload, out long read);
        if (read < payload)
        {
            throw Error($"truncated: the header ({Describe(dims)} × {elementSize} bytes) needs {payload:N0} bytes of data, the {kind} has {read:N0}.", sourceName);
        }

        if (source.ReadByte() >= 0)
        {
            throw Error($"unexpected bytes after the data (the header says {Describe(dims)} × {elementSize} bytes).", sourceName);
        }

        return new IdxArray<T>(type, dims, ConvertElements<T>(data, type, (int)count, sourceName));
    }

    private static T[] ConvertElements<T>(byte[] data, IdxElementType type, int count, string sourceName)
        where T : unmanaged, INumber<T>
    {
        // An integer T (a label type) truncates 0.5 to 0; a floating-point T keeps it.
        bool integral = T.CreateTruncating(0.5) == T.Zero;
        var values = new T[count];
        ReadOnlySpan<byte> bytes = data.AsSpan(0, count * ElementSize(type));
        switch (type)
        {
            case IdxElementType.UnsignedByte when !integral:
                for (int i = 0; i < count; i++)
                {
                    values[i] = T.CreateTruncating(bytes[i]);
                }

                break;
            case IdxElementType.UnsignedByte:
            case IdxElementType.SignedByte:
            case IdxElementType.SignedInt16:
            case IdxElementType.SignedInt32:
                for (int i = 0; i < count; i++)
                {
                    long v = type switch
                    {
                        IdxElementType.UnsignedByte => bytes[i],
                        IdxElementType.SignedByte => (sbyte)bytes[i],
                        IdxElementType.SignedInt16 => BinaryPrimitives.ReadInt16BigEndian(bytes[(2 * i)..]),
                        _ => BinaryPrimitives.ReadInt32BigEndian(bytes[(4 * i)..]),
                    };
                    T t = T.CreateSaturating(v);
                    values[i] = !integral || long.CreateSaturating(t) == v ? t : throw OutOfRange<T>(i, v, sourceName);
                }

                break;
            case IdxElementType.Binary32:
                for (int i = 0; i < count; i++)
                {
                    values[i] = FromFloat<T>(BinaryPrimitives.ReadSingleBigEndian(bytes[(4 * i)..]), integral, i, sourceName);
                }

                break;
            default:
                for (int i = 0; i < count; i++)
                {
                    values[i] = FromFloat<T>(BinaryPrimitives.ReadDoubleBigEndian(bytes[(8 * i)..]), integral, i, sourceName);
                }

                break;
        }

        return values;
    }

    /// <summary>A floating-point element as <typeparamref name="T"/>: finite; for an integer <typeparamref name="T"/>, an integer in its range (never truncated).</summary>
    private static T FromFloat<T>(double v, bool integral, int index, string sourceName)
        where T : unmanaged, INumber<T>
    {
        if (!double.IsFinite(v))
        {
            throw NonFinite(index, v, sourceName);
        }

        T t = T.CreateSaturating(v);
        if (integral ? double.CreateSaturating(t) != v : !double.IsFinite(double.CreateSaturating(t)))
        {
            throw OutOfRange<T>(index, v, sourceName);
        }

        return t;
    }

    private static DataFormatException OutOfRange<T>(int index, double value, string sourceName)
        where T : unmanaged, INumber<T>
    {
        bool integral = T.CreateTruncating(0.5) == T.Zero;
        string range = integral
            ? string.Create(CultureInfo.InvariantCulture, $"an integer from {double.CreateSaturating(T.CreateSaturating(double.MinValue))} to {double.CreateSaturating(T.CreateSaturating(double.MaxValue))}")
            : $"a number within the range of {typeof(T).Name}";
        return Error(string.Create(CultureInfo.InvariantCulture, $"element {index} is {value}; expected {range}."), sourceName);
    }

    private static DataFormatException NonFinite(int index, double value, string sourceName) =>
        Error(string.Create(CultureInfo.InvariantCulture, $"element {index} is {value}; the data must be finite numbers."), sourceName);

    /// <summary>Reads up to <paramref name="length"/> bytes into a buffer that doubles as data arrive (starting at 1 MiB), so the allocation follows the data, not the header.</summary>
    private static byte[] ReadGrowing(Stream source, long length, out long read)
    {
        byte[] buffer = new byte[(int)Math.Min(length, 1 << 20)];
        read = 0;
        while (read < length)
        {
            if (read == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(length, buffer.Length * 2L));
            }

            int n = source.Read(buffer, (int)read, buffer.Length - (int)read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return buffer;
    }

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static int ElementSize(IdxElementType type) => type switch
    {
        IdxElementType.UnsignedByte or IdxElementType.SignedByte => 1,
        IdxElementType.SignedInt16 => 2,
        IdxElementType.SignedInt32 or IdxElementType.Binary32 => 4,
        _ => 8,
    };

    private static string Describe(ReadOnlySpan<int> dims)
    {
        var parts = new string[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            parts[i] = dims[i].ToString(CultureInfo.InvariantCulture);
        }

        return string.Join(" × ", parts);
    }

    private static DataFormatException Error(string problem, string sourceName) => new(problem, sourceName, 0, null);

    /// <summary>A read-only stream that yields a few already-read bytes, then the rest of another stream.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.Length > 0)
            {
                int n = Math.Min(buffer.Length, _prefix.Length);
                _prefix.Span[..n].CopyTo(buffer);
                _prefix = _prefix[n..];
                return n;
            }

            return inner.Read(buffer);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
