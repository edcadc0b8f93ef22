using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Backprop.Training;
using Backprop.Training.Persistence;
using Xunit.Abstractions;

namespace Backprop.Properties.Training.Persistence;

/// <summary>
/// The codec: version-1 files written before it still load; the format document agrees with its one
/// description of the layout; a mutation fuzzer (checksums recomputed, so damage reaches the deep
/// checks) finds only consistent models or one-line <see cref="InvalidDataException"/>s in bounded
/// memory; size arithmetic cannot overflow; streams that cannot seek load; saving refuses what
/// loading refuses.
/// </summary>
public class ModelCodecProperties(ITestOutputHelper output)
{
    /// <summary><c>BACKPROP_FUZZ=soak</c> runs the fuzzer for 10⁵ cases instead of CI's quick mode.</summary>
    private static readonly bool Soak = Environment.GetEnvironmentVariable("BACKPROP_FUZZ") == "soak";

    private static string ThisFile([CallerFilePath] string path = "") => path;

    private static string Fixtures => Path.Combine(Path.GetDirectoryName(ThisFile())!, "Fixtures");

    // ---- Version 1 from before the codec -------------------------------------------------------

    [Theory]
    [InlineData("v1-float-seed7.bpm", 7, 4)]
    [InlineData("v1-float-seed8.bpm", 8, 4)]
    [InlineData("v1-double-seed5.bpm", 5, 8)]
    [InlineData("v1-double-seed10.bpm", 10, 8)]
    public void VersionOneFilesFromBeforeTheCodecStillLoad(string file, int seed, int elementSize)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Fixtures, file));
        TrainedModel loaded = ModelFile.Load(Path.Combine(Fixtures, file));
        TrainedModel expected = elementSize == 4 ? ModelFileProperties.RandomModel<float>(seed) : ModelFileProperties.RandomModel<double>(seed);
        Assert.Equal(expected.ElementType, loaded.ElementType);
        Assert.Equal(expected.Shape, loaded.Shape);
        Assert.Equal(expected.ClassLabels, loaded.ClassLabels);
        Assert.Equal(expected.ClassNames, loaded.ClassNames);
        Assert.Equal(expected.FeatureNames, loaded.FeatureNames);
        Assert.Equal(expected.Description, loaded.Description);
        Assert.Equal(expected.Scaling?.Kind, loaded.Scaling?.Kind);
        Assert.True(ParameterBytes(expected).SequenceEqual(ParameterBytes(loaded)), "parameters differ in some bit");

        // The new writer writes the old bytes.
        Assert.Equal(bytes, ModelFile.Serialize(loaded));
        Assert.Equal(bytes, ModelFile.Serialize(expected));
    }

    private static byte[] ParameterBytes(TrainedModel model) => model switch
    {
        TrainedModel<float> f => MemoryMarshal.AsBytes(f.Network.Parameters).ToArray(),
        TrainedModel<double> d => MemoryMarshal.AsBytes(d.Network.Parameters).ToArray(),
        _ => throw new NotSupportedException(),
    };

    // ---- The document --------------------------------------------------------------------------

    /// <summary>docs/MODEL-FORMAT.md's table lists the codec's fields in its order, with the offsets and sizes the codec gives.</summary>
    [Fact]
    public void TheFormatDocumentMatchesTheCodec()
    {
        string doc = File.ReadAllText(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..", "..", "..", "docs", "MODEL-FORMAT.md"));
        string[] rows = [.. doc.Split('\n').Select(l => l.Trim()).SkipWhile(l => !l.StartsWith("| offset | size | field |", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|'))];
        Assert.True(rows.Length > 10, $"the field table has {rows.Length} rows");

        // A model with every optional part: scaling, feature names, a description.
        TrainedModel model = ModelFileProperties.RandomModel<double>(10);
        Assert.NotNull(model.Scaling);
        var fields = new List<(string Field, long Offset, long Size)>();
        var sizer = new ModelCodec.Sizer(fields);
        ModelCodec.Walk(ref sizer, ModelLayout.From(model));
        var first = fields.GroupBy(f => f.Field).Select(g => g.First()).ToList();
        Assert.Equal(first.Select(f => f.Field), rows.Select(r => Cells(r)[2]));
        for (int i = 0; i < rows.Length; i++)
        {
            string[] cells = Cells(rows[i]);
            if (long.TryParse(cells[0], out long offset))
            {
                Assert.True(offset == first[i].Offset, $"{first[i].Field}: the document says offset {offset}, the codec {first[i].Offset}");
            }

            if (long.TryParse(cells[1], out long size))
            {
                Assert.True(size == first[i].Size, $"{first[i].Field}: the document says size {size}, the codec {first[i].Size}");
            }
        }

        Assert.Equal(ModelFile.Serialize(model).Length, sizer.Position);
        Assert.Contains($"2 ≤ n ≤ {ModelFile.MaxLayerSizes}", doc, StringComparison.Ordinal);
    }

    private static string[] Cells(string row) => [.. row.Trim('|').Split('|').Select(c => c.Trim())];

    // ---- Mutation fuzzer -----------------------------------------------------------------------

    /// <summary>
    /// Random valid models (random shapes, names, element types, scalings), mutated — bytes flipped,
    /// inserted, deleted, a tail cut, a slice of another model spliced in, or a count, size or length
    /// field set to an extreme value — and then (mostly) resealed: length field and checksum
    /// recomputed, so the mutation reaches the structural checks. Each mutant either loads into a
    /// model that serialises back to the same bytes, or fails with a one-line
    /// <see cref="InvalidDataException"/> that names the source; never another exception; and the
    /// attempt allocates at most 16 × its length + 64 KiB (2 MiB more through a stream).
    /// Quick mode: 3,000 cases; <c>BACKPROP_FUZZ=soak</c>: 100,000.
    /// </summary>
    [Fact]
    public void MutatedModelsLoadConsistentlyOrFailInOneLine()
    {
        int cases = Soak ? 100_000 : 3_000;
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        int accepted = 0;
        var random = new Random(20261130);
        for (int n = 0; n < cases; n++)
        {
            int seed = random.Next();
            (byte[] bytes, string kind) = Mutant(seed);
            bool viaStream = (seed & 3) == 0;
            long before = GC.GetAllocatedBytesForCurrentThread();
            TrainedModel? model = null;
            string outcome;
            try
            {
                model = viaStream ? ModelFile.Load(new OneWayStream(bytes), "m.bpm") : ModelFile.Deserialize(bytes, "m.bpm");
                outcome = "accepted";
            }
            catch (InvalidDataException e)
            {
                Assert.True(e.Message.StartsWith("m.bpm: ", StringComparison.Ordinal), $"case {n} (seed {seed}, {kind}): {e.Message}");
                Assert.True(!e.Message.Contains('\n', StringComparison.Ordinal) && e.Message.Length <= 300, $"case {n} (seed {seed}, {kind}): not one short line: {e.Message}");
                outcome = Category(e.Message);
            }
            catch (Exception e)
            {
                Assert.Fail($"case {n} (seed {seed}, {kind}): {e.GetType().Name}: {e.Message}");
                throw;
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long bound = (16L * bytes.Length) + (64 << 10) + (viaStream ? 2 << 20 : 0);
            Assert.True(allocated <= bound, $"case {n} (seed {seed}, {kind}): allocated {allocated:N0} bytes for a {bytes.Length}-byte input (bound {bound:N0})");
            if (model is not null)
            {
                accepted++;
                Assert.Equal(bytes, ModelFile.Serialize(model));
            }

            outcomes[kind + " → " + outcome] = outcomes.GetValueOrDefault(kind + " → " + outcome) + 1;
        }

        output.WriteLine($"{cases:N0} mutants ({(Soak ? "soak" : "quick")} mode): {accepted:N0} loaded and re-serialised to the same bytes, {cases - accepted:N0} refused with a one-line InvalidDataException, 0 other outcomes.");
        foreach ((string key, int count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {count,7:N0}  {key}");
        }

        // The mutations must reach the deep checks, not stop at the checksum.
        Assert.True(outcomes.Keys.Count(k => !k.EndsWith("checksum", StringComparison.Ordinal)) > 10, string.Join("; ", outcomes.Keys));
    }

    /// <summary>The message's kind, for the outcome table: its first words after the file name, numbers dropped.</summary>
    private static string Category(string message)
    {
        string text = message["m.bpm: ".Length..];
        if (text.StartsWith("checksum", StringComparison.Ordinal))
        {
            return "checksum";
        }

        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.Any(char.IsDigit)).Take(4);
        return string.Join(' ', words);
    }

    private static readonly string[] CountFields = ["file length", "layer count", "layer size", "description", "class label", "class name", "feature-name count", "feature name", "element type", "feature scaling", "hidden activation", "flags"];

    private static readonly ulong[] Extremes = [0, 1, 2, 3, 7, 8, 255, 256, 1023, 1024, 1025, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, long.MaxValue, ulong.MaxValue];

    /// <summary>One mutant of a random valid model, and the name of the mutation.</summary>
    internal static (byte[] Bytes, string Kind) Mutant(int seed)
    {
        var random = new Random(seed);
        byte[] valid = random.Next(2) == 0
            ? ModelFile.Serialize(ModelFileProperties.RandomModel<float>(random.Next(), random.Next(1, 12)))
            : ModelFile.Serialize(ModelFileProperties.RandomModel<double>(random.Next(), random.Next(1, 12)));
        var bytes = new List<byte>(valid);
        string kind;
        switch (random.Next(8))
        {
            case 0:
                kind = "flip";
                for (int i = random.Next(1, 5); i > 0; i--)
                {
                    bytes[random.Next(bytes.Count)] ^= (byte)random.Next(1, 256);
                }

                break;
            case 1:
                kind = "insert";
                bytes.InsertRange(random.Next(bytes.Count + 1), RandomBytes(random, random.Next(1, 17)));
                break;
            case 2:
                kind = "delete";
                {
                    int at = random.Next(bytes.Count);
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 17)));
                }

                break;
            case 3:
                kind = "truncate";
                {
                    int keep = random.Next(bytes.Count);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                }

                break;
            case 4:
                kind = "splice";
                {
                    byte[] other = ModelFile.Serialize(ModelFileProperties.RandomModel<double>(random.Next(), 6));
                    int from = random.Next(other.Length);
                    int length = random.Next(1, other.Length - from + 1);
                    int at = random.Next(bytes.Count);
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(0, 64)));
                    bytes.InsertRange(at, other.AsSpan(from, length).ToArray());
                }

                break;
            case 5:
            case 6:
                {
                    string field = CountFields[random.Next(CountFields.Length)];
                    if (field is "feature name" && ModelFile.Deserialize(valid).FeatureNames.Count == 0)
                    {
                        field = "feature-name count";
                    }

                    kind = "extreme " + field;
                    (int offset, int size) = ModelFileProperties.Field(valid, field);
                    int width = field is "description" or "class label" or "class name" or "feature name" ? 2 : Math.Min(size, 8);
                    ulong value = Extremes[random.Next(Extremes.Length)];
                    for (int b = 0; b < width; b++)
                    {
                        bytes[offset + b] = (byte)(value >> (8 * b));
                    }

                    break;
                }

            default:
                kind = "random tail";
                {
                    int keep = random.Next(bytes.Count);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    bytes.AddRange(RandomBytes(random, random.Next(0, 200)));
                }

                break;
        }

        byte[] result = [.. bytes];
        if (kind == "extreme file length" && result.Length >= 4)
        {
            // Keep the extreme length; only the checksum is made to agree.
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(result.Length - 4), Crc32C.Compute(result.AsSpan(0, result.Length - 4)));
        }
        else if (random.Next(8) != 0)
        {
            ModelFileProperties.Reseal(result);
        }
        else
        {
            kind += " (unsealed)";
        }

        return (result, kind);
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        byte[] b = new byte[count];
        random.NextBytes(b);
        return b;
    }

    // ---- Size arithmetic -----------------------------------------------------------------------

    /// <summary>
    /// Files of exactly 84 bytes with a valid header and checksum whose layer sizes are drawn from
    /// extreme values (up to 2³¹ − 1, many layers): the parameter count would overflow a 64-bit
    /// product sum; every one is an <see cref="InvalidDataException"/> in one line.
    /// </summary>
    [Fact]
    public void ExtremeLayerSizesInASmallFileAreInvalidData()
    {
        var random = new Random(84);
        uint[] sizes = [1, 2, 3, 0xFFFF, 0x10000, 0x40000000, 0x7FFFFFFE, 0x7FFFFFFF];
        byte[] template = ModelFile.Serialize(ModelFileProperties.RandomModel<double>(5));
        int count = ModelFileProperties.Field(template, "layer count").Offset;
        for (int n = 0; n < 2000; n++)
        {
            byte[] bytes = new byte[84];
            template.AsSpan(0, count).CopyTo(bytes);
            int layers = random.Next(2, ((84 - 4 - count - 4) / 4) + 1);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(count), (uint)layers);
            for (int l = 0; l < layers; l++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(count + 4 + (4 * l)), sizes[random.Next(sizes.Length)]);
            }

            ModelFileProperties.Reseal(bytes);
            var e = Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(bytes, "small.bpm"));
            Assert.StartsWith("small.bpm: ", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    // ---- Streams -------------------------------------------------------------------------------

    [Fact]
    public void ModelsLoadFromStreamsThatCannotSeek()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            TrainedModel model = seed % 2 == 0 ? ModelFileProperties.RandomModel<float>(seed) : ModelFileProperties.RandomModel<double>(seed);
            byte[] bytes = ModelFile.Serialize(model);
            TrainedModel loaded = ModelFile.Load(new OneWayStream(bytes, maxChunk: 1 + (seed * 7)), "pipe");
            Assert.Equal(bytes, ModelFile.Serialize(loaded));

            Assert.Contains("unexpected bytes after the end", Assert.Throws<InvalidDataException>(() => ModelFile.Load(new OneWayStream([.. bytes, 0]), "pipe")).Message, StringComparison.Ordinal);
            Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ModelFile.Load(new OneWayStream(bytes[..^1]), "pipe")).Message, StringComparison.Ordinal);
        }
    }

    /// <summary>A model read by path from a named pipe (as from <c>/dev/stdin</c> fed by a pipe): loaded, not refused for being unseekable.</summary>
    [Fact]
    public async Task AModelLoadsByPathFromANamedPipe()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // No mkfifo; the stream test above covers the logic.
        }

        using var dir = new TempDirectory();
        string fifo = Path.Combine(dir.Path, "model.pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        byte[] bytes = ModelFile.Serialize(ModelFileProperties.RandomModel<double>(8));
        var writer = Task.Run(() =>
        {
            using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            pipe.Write(bytes);
        });
        TrainedModel loaded = ModelFile.Load(fifo);
        await writer;
        Assert.Equal(bytes, ModelFile.Serialize(loaded));
    }

    /// <summary>A file of 2 GiB (a sparse stream here) that is not a model: refused after its first 20 bytes; one that claims to be one but lies about its length: refused before its body is read.</summary>
    [Fact]
    public void AHugeFileIsJudgedByItsHeaderBeforeItsBodyIsRead()
    {
        var junk = new LazyStream(2L << 30, header: [.. "PK\u0003\u0004 a zip, not a model.."u8]);
        Assert.Contains("not a Backprop model file", Assert.Throws<InvalidDataException>(() => ModelFile.Load(junk, "big")).Message, StringComparison.Ordinal);
        Assert.True(junk.BytesRead <= 20, $"read {junk.BytesRead:N0} bytes");

        byte[] valid = ModelFile.Serialize(ModelFileProperties.RandomModel<float>(3));
        var lying = new LazyStream(2L << 30, header: valid[..20]);
        Assert.Contains("unexpected bytes after the end", Assert.Throws<InvalidDataException>(() => ModelFile.Load(lying, "big")).Message, StringComparison.Ordinal);
        Assert.True(lying.BytesRead <= 20, $"read {lying.BytesRead:N0} bytes");

        // A pipe whose header claims the largest length: the buffer grows with what arrives.
        byte[] header = valid[..20];
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(ModelFileProperties.Field(valid, "file length").Offset), (ulong)ModelFile.MaxFileLength);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ModelFile.Load(new OneWayStream([.. header, .. new byte[1000]]), "pipe")).Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 2 << 20, "allocated more than 2 MiB");
    }

    /// <summary>A read-only stream that cannot seek and returns at most <c>maxChunk</c> bytes per read, like a pipe.</summary>
    private sealed class OneWayStream(byte[] bytes, int maxChunk = 4096) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException("no seeking");

        public override long Position
        {
            get => throw new NotSupportedException("no seeking");
            set => throw new NotSupportedException("no seeking");
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(buffer.Length, maxChunk), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("no seeking");

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A seekable stream of a given length: a header, then zeros made up as they are read (counted).</summary>
    private sealed class LazyStream(long length, byte[] header) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = (int)Math.Min(buffer.Length, length - Position);
            for (int i = 0; i < n; i++)
            {
                long at = Position + i;
                buffer[i] = at < header.Length ? header[at] : (byte)0;
            }

            Position += n;
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    // ---- Saving refuses what loading refuses ----------------------------------------------------

    /// <summary>Layouts near every limit: <see cref="ModelFile.ValidateLayout"/> accepts exactly those that <see cref="ModelFile.Serialize"/> writes and that then load.</summary>
    [Fact]
    public void ValidateLayoutAgreesWithSaveAndLoad()
    {
        var random = new Random(65535);
        int refusedBoth = 0;
        int acceptedBoth = 0;
        for (int n = 0; n < 200; n++)
        {
            int layers = random.Next(4) == 0 ? ModelFile.MaxLayerSizes + random.Next(-1, 2) : random.Next(2, 5);
            int[] sizes = [.. Enumerable.Range(0, layers).Select(_ => random.Next(2, 4))];
            var shape = new NetworkShape(sizes);
            int nameBytes = random.Next(3) == 0 ? TrainedModel.MaxStringBytes + random.Next(-1, 2) : random.Next(0, 10);
            string longName = new('x', Math.Max(0, nameBytes - 2));
            longName += random.Next(2) == 0 ? "é" : "xx"; // two UTF-8 bytes either way
            string[] classNames = [.. Enumerable.Range(0, shape.Outputs).Select(i => i == 0 && random.Next(2) == 0 ? longName : "c" + i)];
            string[] featureNames = [.. Enumerable.Range(0, shape.Inputs).Select(i => i == 0 && random.Next(2) == 0 ? longName : "f" + i)];
            string description = random.Next(4) == 0 ? longName : "d";
            if (random.Next(20) == 0)
            {
                description = "\uD800 lone";
            }

            ArgumentException? validate = Record(() => ModelFile.ValidateLayout(shape, classNames, featureNames, description));
            var network = new Network<double>(shape);
            ArgumentException? save = null;
            byte[]? bytes = null;
            try
            {
                // The model's own constructor refuses over-long strings too; either refusal is "saving refuses".
                bytes = ModelFile.Serialize(new TrainedModel<double>(network, null, null, classNames, featureNames, description));
            }
            catch (ArgumentException e)
            {
                save = e;
            }

            Assert.True((validate is null) == (save is null), $"case {n}: ValidateLayout {(validate is null ? "accepted" : "refused: " + validate.Message)}; saving {(save is null ? "worked" : "refused: " + save.Message)}");
            if (bytes is not null)
            {
                Assert.Equal(bytes, ModelFile.Serialize(ModelFile.Deserialize(bytes)));
                acceptedBoth++;
            }
            else
            {
                Assert.DoesNotContain('\n', validate!.Message);
                refusedBoth++;
            }
        }

        Assert.True(refusedBoth > 20 && acceptedBoth > 20, $"{refusedBoth} refused, {acceptedBoth} accepted");
    }

    [Fact]
    public void ValidateLayoutNamesWhatIsTooLarge()
    {
        string Message(NetworkShape shape, string[]? classes = null, string[]? features = null, string description = "") =>
            Assert.Throws<ArgumentException>(() => ModelFile.ValidateLayout(shape, classes ?? [.. Enumerable.Range(0, shape.Outputs).Select(i => "c" + i)], features ?? [], description)).Message;

        Assert.Contains($"{ModelFile.MaxLayerSizes + 1} layer sizes; expected 2 to {ModelFile.MaxLayerSizes}", Message(new NetworkShape([.. Enumerable.Repeat(2, ModelFile.MaxLayerSizes + 1)])), StringComparison.Ordinal);
        Assert.Contains("class name", Message(new NetworkShape([2, 2]), classes: ["a", new string('é', 40000)]), StringComparison.Ordinal);
        Assert.Contains("feature name", Message(new NetworkShape([2, 2]), features: ["a", new string('b', 70000)]), StringComparison.Ordinal);
        Assert.Contains("description", Message(new NetworkShape([2, 2]), description: new string('b', 65536)), StringComparison.Ordinal);
        Assert.Contains("more than a model file may hold", Message(new NetworkShape([16384, 16384, 2])), StringComparison.Ordinal);
        Assert.Contains("feature names", Message(new NetworkShape([3, 2]), features: ["a"]), StringComparison.Ordinal);
        ModelFile.ValidateLayout(new NetworkShape([.. Enumerable.Repeat(2, ModelFile.MaxLayerSizes)]), ["a", "b"], [], new string('b', 65535));
    }

    private static ArgumentException? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (ArgumentException e)
        {
            return e;
        }
    }

    /// <summary>Strings are stored as strict UTF-8: one with a lone surrogate is refused when saving rather than silently changed.</summary>
    [Fact]
    public void LoneSurrogatesAreRefusedWhenSaving()
    {
        var network = new Network<float>(new NetworkShape([2, 2]));
        var model = new TrainedModel<float>(network, null, ["a", "b"], ["ok", "bad \uDC00"]);
        Assert.Contains("not valid Unicode", Assert.Throws<ArgumentException>(() => ModelFile.Serialize(model)).Message, StringComparison.Ordinal);
    }
}
