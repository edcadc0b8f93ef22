using System.Buffers.Binary;
using System.IO.Compression;
using Backprop.Training.Data;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Training.Data;

/// <summary>
/// IDX files built byte by byte here (big-endian header, then the elements), plain and gzipped;
/// truncated, padded and absurd headers must be rejected with a <see cref="DataFormatException"/>,
/// and a header that claims more than the file holds must not make the reader allocate for it.
/// </summary>
public class IdxFileProperties
{
    /// <summary>An IDX file: magic 00 00 type rank, sizes, then <paramref name="payload"/> verbatim.</summary>
    internal static byte[] Build(byte type, int[] dims, byte[] payload)
    {
        byte[] file = new byte[4 + (4 * dims.Length) + payload.Length];
        file[2] = type;
        file[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + (4 * d)), dims[d]);
        }

        payload.CopyTo(file, 4 + (4 * dims.Length));
        return file;
    }

    internal static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return output.ToArray();
    }

    [Support.SizedProperty(MaxTest = 100)]
    public Property UnsignedBytesRoundTripPlainAndGzipped() =>
        Prop.ForAll(Support.Gens.Seed.ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            int[] dims = [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(1, 7))];
            byte[] payload = new byte[dims.Aggregate(1, (a, b) => a * b)];
            random.NextBytes(payload);
            byte[] file = Build(0x08, dims, payload);
            foreach (byte[] bytes in new[] { file, Gzip(file) })
            {
                IdxArray<float> read = IdxFile.Read<float>(new MemoryStream(bytes));
                Assert.Equal(IdxElementType.UnsignedByte, read.ElementType);
                Assert.Equal(dims, read.Dimensions);
                Assert.Equal(payload.Select(b => (float)b), read.Values);
                IdxArray<int> ints = IdxFile.Read<int>(new CsvLoaderProperties.TrickleStream(bytes, 1 + (seed % 5)));
                Assert.Equal(payload.Select(b => (int)b), ints.Values);
            }
        });

    [Fact]
    public void EveryElementTypeIsDecodedBigEndian()
    {
        byte[] be16 = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(be16, -2);
        BinaryPrimitives.WriteInt16BigEndian(be16.AsSpan(2), 300);
        byte[] be32 = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(be32, -70000);
        BinaryPrimitives.WriteInt32BigEndian(be32.AsSpan(4), 5);
        byte[] f32 = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(f32, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(f32.AsSpan(4), -0.25f);
        byte[] f64 = new byte[16];
        BinaryPrimitives.WriteDoubleBigEndian(f64, Math.PI);
        BinaryPrimitives.WriteDoubleBigEndian(f64.AsSpan(8), -1e300);
        Assert.Equal([-2.0, 300], IdxFile.Read<double>(new MemoryStream(Build(0x0B, [2], be16))).Values);
        Assert.Equal([-70000.0, 5], IdxFile.Read<double>(new MemoryStream(Build(0x0C, [2], be32))).Values);
        Assert.Equal([1.5, -0.25], IdxFile.Read<double>(new MemoryStream(Build(0x0D, [2], f32))).Values);
        Assert.Equal([Math.PI, -1e300], IdxFile.Read<double>(new MemoryStream(Build(0x0E, [1, 2], f64))).Values);
        Assert.Equal([-1.0, 127, -128], IdxFile.Read<double>(new MemoryStream(Build(0x09, [3], [0xFF, 0x7F, 0x80]))).Values);
    }

    public static TheoryData<byte[], string> BadFiles => new()
    {
        { [], "too short" },
        { [0, 0, 8], "too short" },
        { [1, 2, 8, 1, 0, 0, 0, 1, 0], "not an IDX file" },
        { [0, 0, 0x07, 1, 0, 0, 0, 1, 0], "unknown IDX element type 0x07" },
        { [0, 0, 8, 0], "rank is 0" },
        { Build(0x08, [.. Enumerable.Repeat(1, 17)], [0]), "rank is 17" },
        { [0, 0, 8, 2, 0, 0, 0, 1], "truncated header" },
        { Build(0x08, [2, 0], []), "dimension 1 has size 0" },
        { Build(0x08, [2, -1], []), "dimension 1 has size 4294967295" },
        { Build(0x08, [3], [1, 2]), "truncated" },
        { Build(0x08, [2], [1, 2, 3]), "unexpected bytes after the data" },
        { Build(0x08, [65536, 65536], [1]), "more than the" },
        { Build(0x0D, [2], [0x7F, 0xC0, 0, 0, 0, 0, 0, 0]), "element 0 is NaN" },
        { Build(0x0E, [1], [0x7F, 0xF0, 0, 0, 0, 0, 0, 0]), "must be finite" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void MalformedFilesAreRejectedWithAReason(byte[] file, string words)
    {
        foreach (byte[] bytes in new[] { file, Gzip(file) })
        {
            var e = Assert.Throws<DataFormatException>(() => IdxFile.Read<float>(new MemoryStream(bytes), "bad.idx"));
            Assert.Contains(words, e.Message, StringComparison.Ordinal);
            Assert.StartsWith("bad.idx: ", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CorruptGzipIsADataFormatError()
    {
        byte[] gz = Gzip(Build(0x08, [100], new byte[100]));
        gz[12] ^= 0xFF;
        gz[13] ^= 0xFF;
        Assert.Throws<DataFormatException>(() => IdxFile.Read<float>(new MemoryStream(gz)));
    }

    /// <summary>A header claiming 1.6 GB of pixels in a few bytes: refused before (plain) or while (gzip) reading, with no allocation anywhere near the claim.</summary>
    [Fact]
    public void AHeaderThatClaimsMoreThanTheFileHoldsAllocatesLittle()
    {
        byte[] plain = Build(0x08, [2_000_000, 28, 28], new byte[1000]);
        byte[] gz = Gzip(plain);
        foreach (byte[] bytes in new[] { plain, gz })
        {
            var stream = new MemoryStream(bytes);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<DataFormatException>(() => IdxFile.Read<float>(stream));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
            Assert.True(allocated < 3 << 20, $"allocated {allocated:N0} bytes for a {bytes.Length}-byte file");
        }
    }

    [Fact]
    public void LoadReadsFilesAndReportsMissingOnes()
    {
        string dir = Directory.CreateTempSubdirectory("backprop-idx-").FullName;
        try
        {
            string path = Path.Combine(dir, "x.idx.gz");
            File.WriteAllBytes(path, Gzip(Build(0x08, [2, 2], [1, 2, 3, 4])));
            Assert.Equal([1f, 2, 3, 4], IdxFile.Load<float>(path).Values);
            Assert.Throws<FileNotFoundException>(() => IdxFile.Load<float>(Path.Combine(dir, "missing.idx")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A miniature Fashion-MNIST (3 images) in a folder of its own: the loader's shapes, names and checks.</summary>
    [Fact]
    public void FashionMnistLoaderReadsAFolderOfIdxFiles()
    {
        string dir = Directory.CreateTempSubdirectory("backprop-fmnist-").FullName;
        try
        {
            byte[] pixels = new byte[3 * 784];
            new Random(5).NextBytes(pixels);
            File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Gzip(Build(0x08, [3, 28, 28], pixels)));
            File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), Build(0x08, [3], [9, 0, 4]));
            Assert.False(FashionMnist.IsInstalled(dir)); // no test files yet
            LabeledData<float> train = FashionMnist.Load<float>(train: true, dir);
            Assert.Equal(3, train.Count);
            Assert.Equal(784, train.FeatureCount);
            Assert.Equal("pixel1", train.FeatureNames[0]);
            Assert.Equal("pixel784", train.FeatureNames[^1]);
            Assert.Equal("Ankle boot", train.ClassNames[train.Labels.Span[0]]);
            Assert.Equal("9", train.ClassLabels[train.Labels.Span[0]]);
            Assert.Equal(pixels.Select(p => (float)p), train.Features.ToArray());
            Assert.Equal(2, FashionMnist.Load<float>(train: true, dir, maxRows: 2).Count);

            var missing = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load<float>(train: false, dir));
            Assert.Contains("sudo apt-get install dataset-fashion-mnist", missing.Message, StringComparison.Ordinal);

            File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), Build(0x08, [1, 28, 28], new byte[784]));
            File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), Build(0x08, [1], [10]));
            Assert.True(FashionMnist.IsInstalled(dir));
            var label = Assert.Throws<DataFormatException>(() => FashionMnist.Load<float>(train: false, dir));
            Assert.Contains("label 0 is 10", label.Message, StringComparison.Ordinal);
            File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), Build(0x08, [2], [1, 2]));
            Assert.Contains("expected 1 labels", Assert.Throws<DataFormatException>(() => FashionMnist.Load<float>(train: false, dir)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
