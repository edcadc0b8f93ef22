using System.Buffers.Binary;
using System.IO.Compression;
using Backprop.Training.Data;

namespace Backprop.Properties.Training.Data;

/// <summary>
/// IDX label files of every element type with integer, fractional, negative, huge and non-finite
/// values: an integer element type is read only when each value is exactly an integer it can hold
/// (never truncated); Fashion-MNIST refuses labels outside 0–9 and, from a gzip file's first bytes,
/// headers larger than the data set, without inflating the rest; random mutations of valid files
/// end in the right data or a <see cref="DataFormatException"/>.
/// </summary>
public class IdxHostileInputProperties
{
    private static readonly double[] Values = [0, 1, 9, 2.5, -0.5, -1, -3, 1e10, -1e10, 2147483647, 2147483648, -2147483648, -2147483649, 255, 256, 1e-30, 3.999999, 1e300];

    [Fact]
    public void IntegerReadsTakeOnlyExactIntegersTheTypeHolds()
    {
        var random = new Random(3);
        for (int n = 0; n < 2000; n++)
        {
            byte type = (byte)(random.Next(2) == 0 ? 0x0D : 0x0E);
            double[] values = [.. Enumerable.Range(0, random.Next(1, 6)).Select(_ => Values[random.Next(Values.Length)])];
            byte[] payload = new byte[values.Length * (type == 0x0D ? 4 : 8)];
            for (int i = 0; i < values.Length; i++)
            {
                if (type == 0x0D)
                {
                    BinaryPrimitives.WriteSingleBigEndian(payload.AsSpan(4 * i), (float)values[i]);
                    values[i] = (float)values[i]; // what the file holds
                }
                else
                {
                    BinaryPrimitives.WriteDoubleBigEndian(payload.AsSpan(8 * i), values[i]);
                }
            }

            byte[] file = IdxFileProperties.Build(type, [values.Length], payload);
            int firstBadInt = Array.FindIndex(values, v => v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue);
            if (firstBadInt < 0)
            {
                Assert.Equal(values.Select(v => (int)v), IdxFile.Read<int>(new MemoryStream(file), "l.idx").Values);
            }
            else
            {
                var e = Assert.Throws<DataFormatException>(() => IdxFile.Read<int>(new MemoryStream(file), "l.idx"));
                Assert.Contains($"element {firstBadInt} is ", e.Message, StringComparison.Ordinal);
                Assert.Contains(double.IsFinite(values[firstBadInt]) ? "expected an integer" : "the data must be finite numbers", e.Message, StringComparison.Ordinal);
            }

            int firstBadByte = Array.FindIndex(values, v => v != Math.Floor(v) || v < 0 || v > 255);
            if (firstBadByte < 0)
            {
                Assert.Equal(values.Select(v => (byte)v), IdxFile.Read<byte>(new MemoryStream(file), "l.idx").Values);
            }
            else
            {
                Assert.Contains($"element {firstBadByte} is ", Assert.Throws<DataFormatException>(() => IdxFile.Read<byte>(new MemoryStream(file), "l.idx")).Message, StringComparison.Ordinal);
            }

            // Into float: any finite value, rounded; nothing beyond float's range becomes ∞.
            int firstBadFloat = Array.FindIndex(values, v => !float.IsFinite((float)v));
            if (firstBadFloat < 0)
            {
                Assert.Equal(values.Select(v => (float)v), IdxFile.Read<float>(new MemoryStream(file), "l.idx").Values);
            }
            else
            {
                Assert.Contains($"element {firstBadFloat} is ", Assert.Throws<DataFormatException>(() => IdxFile.Read<float>(new MemoryStream(file), "l.idx")).Message, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>Signed 32-bit elements read as bytes: those outside 0–255 are refused, not wrapped.</summary>
    [Fact]
    public void NarrowingIntegerReadsRefuseWhatDoesNotFit()
    {
        var random = new Random(4);
        for (int n = 0; n < 500; n++)
        {
            int[] values = [.. Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(4) == 0 ? random.Next(-1000, 1000) : random.Next(256))];
            byte[] payload = new byte[4 * values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4 * i), values[i]);
            }

            byte[] file = IdxFileProperties.Build(0x0C, [values.Length], payload);
            int bad = Array.FindIndex(values, v => v is < 0 or > 255);
            if (bad < 0)
            {
                Assert.Equal(values.Select(v => (byte)v), IdxFile.Read<byte>(new MemoryStream(file)).Values);
            }
            else
            {
                Assert.Contains($"element {bad} is {values[bad]}; expected an integer from 0 to 255", Assert.Throws<DataFormatException>(() => IdxFile.Read<byte>(new MemoryStream(file))).Message, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>Fashion-MNIST label files (float element type) with fractional or negative labels are refused, naming the file and the element.</summary>
    [Theory]
    [InlineData(2.5, "element 1 is 2.5; expected an integer")]
    [InlineData(-1.0, "label 1 is -1; expected 0 to 9")]
    [InlineData(10.0, "label 1 is 10; expected 0 to 9")]
    [InlineData(0.999, "element 1 is 0.999")]
    public void FashionMnistRefusesLabelsThatAreNotClasses(double label, string message)
    {
        using var dir = new Persistence.TempDirectory();
        File.WriteAllBytes(Path.Combine(dir.Path, "t10k-images-idx3-ubyte.gz"), IdxFileProperties.Gzip(IdxFileProperties.Build(0x08, [2, 28, 28], new byte[2 * 784])));
        byte[] labels = new byte[16];
        BinaryPrimitives.WriteDoubleBigEndian(labels, 3);
        BinaryPrimitives.WriteDoubleBigEndian(labels.AsSpan(8), label);
        string labelPath = Path.Combine(dir.Path, "t10k-labels-idx1-ubyte");
        File.WriteAllBytes(labelPath, IdxFileProperties.Build(0x0E, [2], labels));
        var e = Assert.Throws<DataFormatException>(() => FashionMnist.Load<float>(train: false, dir.Path));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith(labelPath, e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A small gzip file whose header claims more images than the data set holds, or whose data go on
    /// past what the header says (a "bomb" of zeros): refused after inflating the header only, or
    /// exactly the header's length plus one byte; never the whole body.
    /// </summary>
    [Fact]
    public void FashionMnistChecksTheGzipHeaderBeforeInflatingTheBody()
    {
        using var dir = new Persistence.TempDirectory();
        string images = Path.Combine(dir.Path, "train-images-idx3-ubyte.gz");
        string labels = Path.Combine(dir.Path, "train-labels-idx1-ubyte.gz");
        File.WriteAllBytes(labels, IdxFileProperties.Gzip(IdxFileProperties.Build(0x08, [1], [3])));

        // 1.3 million images claimed, 64 MiB of zeros behind the header: about 64 KiB compressed.
        byte[] bomb = Bomb(IdxFileProperties.Build(0x08, [1_300_000, 28, 28], []), 64 << 20);
        File.WriteAllBytes(images, bomb);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => FashionMnist.Load<float>(train: true, dir.Path));
        Assert.Contains("1300000", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated a MiB or more");

        // A valid header (one image) with 64 MiB more behind it: refused after reading one byte past the image.
        File.WriteAllBytes(images, Bomb(IdxFileProperties.Build(0x08, [1, 28, 28], new byte[784]), 64 << 20));
        var counting = new CountingStream(File.OpenRead(images));
        var gz = Assert.Throws<DataFormatException>(() => IdxFile.Read<float>(counting, images, 70_000L * 784, dims => dims is [<= 70_000, 28, 28] ? null : "bad shape"));
        counting.Dispose();
        Assert.Contains("unexpected bytes after the data", gz.Message, StringComparison.Ordinal);
        Assert.True(counting.BytesRead < 64 << 10, $"read {counting.BytesRead:N0} compressed bytes of {new FileInfo(images).Length:N0}");
        Assert.Contains("unexpected bytes after the data", Assert.Throws<DataFormatException>(() => FashionMnist.Load<float>(train: true, dir.Path)).Message, StringComparison.Ordinal);
    }

    private static byte[] Bomb(byte[] head, int zeros)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gz.Write(head);
            byte[] block = new byte[1 << 20];
            for (int i = 0; i < zeros; i += block.Length)
            {
                gz.Write(block);
            }
        }

        return output.ToArray();
    }

    /// <summary>Random byte mutations of valid IDX files (plain and gzipped): the right array or a <see cref="DataFormatException"/>, never another exception.</summary>
    [Fact]
    public void MutatedIdxFilesGiveDataOrDataFormatException()
    {
        var random = new Random(11);
        int refused = 0;
        for (int n = 0; n < 3000; n++)
        {
            int[] dims = [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(1, 5))];
            int count = dims.Aggregate(1, (a, b) => a * b);
            byte[] payload = new byte[count];
            random.NextBytes(payload);
            byte[] file = IdxFileProperties.Build(0x08, dims, payload);
            if (random.Next(3) == 0)
            {
                file = IdxFileProperties.Gzip(file);
            }

            var bytes = new List<byte>(file);
            for (int i = random.Next(1, 4); i > 0; i--)
            {
                int at = random.Next(bytes.Count);
                switch (random.Next(3))
                {
                    case 0:
                        bytes[at] ^= (byte)random.Next(1, 256);
                        break;
                    case 1:
                        bytes.Insert(at, (byte)random.Next(256));
                        break;
                    default:
                        bytes.RemoveAt(at);
                        break;
                }
            }

            try
            {
                IdxArray<int> read = IdxFile.Read<int>(new MemoryStream([.. bytes]), "m.idx");
                Assert.Equal(read.Values.Length, read.Dimensions.Aggregate(1L, (a, b) => a * b));
            }
            catch (DataFormatException e)
            {
                Assert.StartsWith("m.idx: ", e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain('\n', e.Message);
                refused++;
            }
        }

        Assert.True(refused > 1000, $"{refused} refused");
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

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
            int n = inner.Read(buffer);
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
