using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Backprop.Kernels;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Training.Persistence;

/// <summary>
/// The model file: bit-identical round trips; corrupted, truncated, re-sealed (checksum and length
/// fixed up, so the structural checks are reached) and random inputs end either in a model that
/// serialises back to the same bytes or in an <see cref="InvalidDataException"/>, never another
/// exception, and never allocate more than a small multiple of the input's length; atomic saves.
/// </summary>
public class ModelFileProperties
{
    private static readonly string[] Words = ["cat", "dog", "a,b", "say \"hi\"", "Ünïcødé ✓", "", "x y", "0", "1", "T-shirt/top"];

    /// <summary>A random model: shape, activation, parameters (with awkward values), scaling, names.</summary>
    internal static TrainedModel<T> RandomModel<T>(int seed, int maxWidth = 10)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        int[] sizes = [random.Next(1, 9), .. Enumerable.Range(0, random.Next(0, 3)).Select(_ => random.Next(1, maxWidth + 1)), random.Next(2, 7)];
        var shape = new NetworkShape(sizes, (HiddenActivation)random.Next(3));
        var network = new Network<T>(shape);
        Span<T> p = network.Parameters;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = random.Next(12) switch
            {
                0 => T.NegativeZero,
                1 => T.Epsilon, // subnormal
                2 => T.CreateTruncating(random.Next(2) == 0 ? 1e30 : -1e-30),
                _ => T.CreateTruncating((random.NextDouble() * 4) - 2),
            };
        }

        FeatureScaling? scaling = random.Next(3) switch
        {
            0 => null,
            1 => new FeatureScaling(ScalingKind.Standardize, [.. Enumerable.Range(0, sizes[0]).Select(_ => random.NextDouble() * 255)], [.. Enumerable.Range(0, sizes[0]).Select(_ => 1 / (0.5 + random.NextDouble()))]),
            _ => new FeatureScaling(ScalingKind.MinMax, [.. Enumerable.Range(0, sizes[0]).Select(_ => -random.NextDouble())], [.. Enumerable.Range(0, sizes[0]).Select(_ => random.NextDouble() + 1e-3)]),
        };
        string[] labels = [.. Enumerable.Range(0, sizes[^1]).Select(i => Words[random.Next(Words.Length)] + i)];
        string[]? names = random.Next(2) == 0 ? null : [.. Enumerable.Range(0, sizes[^1]).Select(_ => Words[random.Next(Words.Length)])];
        string[]? features = random.Next(3) == 0 ? null : [.. Enumerable.Range(0, sizes[0]).Select(i => "f" + i)];
        return new TrainedModel<T>(network, scaling, labels, names, features, random.Next(2) == 0 ? null : "trained on " + Words[random.Next(Words.Length)]);
    }

    [Support.SizedProperty(MaxTest = 100)]
    public Property DoubleModelsRoundTripBitIdentically() => Prop.ForAll(Support.Gens.Seed.ToArbitrary(), seed => CheckRoundTrip(RandomModel<double>(seed), seed));

    [Support.SizedProperty(MaxTest = 100)]
    public Property FloatModelsRoundTripBitIdentically() => Prop.ForAll(Support.Gens.Seed.ToArbitrary(), seed => CheckRoundTrip(RandomModel<float>(seed), seed));

    private static void CheckRoundTrip<T>(TrainedModel<T> model, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        byte[] bytes = ModelFile.Serialize(model);
        var loaded = Assert.IsType<TrainedModel<T>>(ModelFile.Deserialize(bytes));
        Assert.Equal(model.Shape, loaded.Shape);
        Assert.True(MemoryMarshal.AsBytes(model.Network.Parameters).SequenceEqual(MemoryMarshal.AsBytes(loaded.Network.Parameters)), "parameters differ in some bit");
        Assert.Equal(model.ClassLabels, loaded.ClassLabels);
        Assert.Equal(model.ClassNames, loaded.ClassNames);
        Assert.Equal(model.FeatureNames, loaded.FeatureNames);
        Assert.Equal(model.Description, loaded.Description);
        Assert.Equal(model.Scaling?.Kind, loaded.Scaling?.Kind);
        if (model.Scaling is { } s)
        {
            Assert.True(MemoryMarshal.AsBytes(s.Offsets).SequenceEqual(MemoryMarshal.AsBytes(loaded.Scaling!.Offsets)));
            Assert.True(MemoryMarshal.AsBytes(s.Scales).SequenceEqual(MemoryMarshal.AsBytes(loaded.Scaling!.Scales)));
        }

        Assert.Equal(bytes, ModelFile.Serialize(loaded));

        // Predictions, scaling included, are the same bits.
        int rows = 5;
        var random = new Random(seed);
        T[] x = [.. Enumerable.Range(0, rows * model.Shape.Inputs).Select(_ => T.CreateTruncating((random.NextDouble() * 10) - 5))];
        T[] a = Predict(model, (T[])x.Clone(), rows);
        T[] b = Predict(loaded, (T[])x.Clone(), rows);
        Assert.True(MemoryMarshal.AsBytes(a.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.AsSpan())), "predictions differ");
    }

    private static T[] Predict<T>(TrainedModel<T> model, T[] x, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var inputs = new MatrixSpan<T>(x, rows, model.Shape.Inputs);
        model.ScaleInputs(inputs);
        var p = new T[rows * model.Shape.Outputs];
        model.Network.PredictProbabilities(inputs, new MatrixSpan<T>(p, rows, model.Shape.Outputs), new Workspace<T>(model.Shape, rows, forTraining: false));
        return p;
    }

    // ---- Corruption ---------------------------------------------------------------------------

    public sealed record Damage(int Seed, int Kind)
    {
        public override string ToString() => $"seed {Seed}, kind {Kind}";
    }

    /// <summary>
    /// Kinds: 0 flip bytes; 1 truncate; 2 flip bytes and re-seal; 3 truncate and re-seal; 4 random
    /// bytes; 5 random bytes behind a valid magic and version, sealed; 6 overwrite a header field
    /// with an extreme value and re-seal; 7 append bytes.
    /// </summary>
    internal static byte[] Damaged(Damage d)
    {
        var random = new Random(d.Seed);
        byte[] valid = random.Next(2) == 0 ? ModelFile.Serialize(RandomModel<float>(d.Seed, 6)) : ModelFile.Serialize(RandomModel<double>(d.Seed, 6));
        byte[] bytes = (byte[])valid.Clone();
        switch (d.Kind)
        {
            case 0:
            case 2:
                for (int i = random.Next(1, 4); i > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                }

                return d.Kind == 2 ? Reseal(bytes) : bytes;
            case 1:
                return bytes[..random.Next(bytes.Length)];
            case 3:
                return Reseal(bytes[..Math.Max(Field(valid, "layer size").Offset, random.Next(bytes.Length))]);
            case 4:
                {
                    byte[] noise = new byte[random.Next(0, 300)];
                    random.NextBytes(noise);
                    return noise;
                }

            case 5:
                {
                    byte[] noise = new byte[random.Next(Field(valid, "layer size").Offset + 4, 300)];
                    random.NextBytes(noise);
                    ModelFile.Magic.CopyTo(noise);
                    BinaryPrimitives.WriteUInt16LittleEndian(noise.AsSpan(Field(valid, "format version").Offset), ModelFile.FormatVersion);
                    return Reseal(noise);
                }

            case 6:
                {
                    string[] fields = ["flags", "element type", "hidden activation", "output layer", "feature scaling", "layer count", "layer size", "description", "feature-name count"];
                    int at = Field(valid, fields[random.Next(fields.Length)]).Offset;
                    uint[] extremes = [0, 1, 2, 3, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1025];
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), extremes[random.Next(extremes.Length)]);
                    return Reseal(bytes);
                }

            default:
                return [.. bytes, .. Enumerable.Range(0, random.Next(1, 20)).Select(i => (byte)i)];
        }
    }

    /// <summary>
    /// Where a field of a valid model file starts and how long it is (its first occurrence), found by
    /// walking the file's own field list; the tests use it to aim damage, and the format document is
    /// checked against the same list (<see cref="ModelCodecProperties"/>), so no offset is typed twice.
    /// </summary>
    internal static (int Offset, int Size) Field(byte[] valid, string name)
    {
        TrainedModel model = ModelFile.Deserialize(valid);
        var fields = new List<(string Field, long Offset, long Size)>();
        var sizer = new ModelCodec.Sizer(fields);
        ModelCodec.Walk(ref sizer, ModelLayout.From(model));
        (string _, long offset, long size) = fields.Find(f => f.Field == name);
        return size == 0 && offset == 0 ? throw new ArgumentException($"no field {name}") : ((int)offset, (int)size);
    }

    /// <summary>The length field's place: the same in every file (it precedes every variable field).</summary>
    private static readonly int LengthField = Field(ModelFile.Serialize(RandomModel<float>(1)), "file length").Offset;

    /// <summary>Makes the length field and the checksum agree with the bytes, so only the structural checks can catch the damage.</summary>
    internal static byte[] Reseal(byte[] bytes)
    {
        if (bytes.Length >= LengthField + 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(LengthField), (ulong)bytes.Length);
        }

        if (bytes.Length >= 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        }

        return bytes;
    }

    private static Arbitrary<Damage> Damages =>
        (from seed in Support.Gens.Seed from kind in Gen.Choose(0, 7) select new Damage(seed, kind)).ToArbitrary();

    [Support.SizedProperty(MaxTest = 2000)]
    public Property DamagedInputsGiveAValidModelOrInvalidDataException() =>
        Prop.ForAll(Damages, d =>
        {
            byte[] bytes = Damaged(d);
            var clock = Stopwatch.StartNew();
            long before = GC.GetAllocatedBytesForCurrentThread();
            TrainedModel? model = null;
            try
            {
                model = ModelFile.Deserialize(bytes, "damaged.bpm");
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("damaged.bpm: ", e.Message, StringComparison.Ordinal);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
            long bound = (16L * bytes.Length) + (64 << 10);
            Assert.True(allocated <= bound, $"allocated {allocated:N0} bytes for a {bytes.Length}-byte input (bound {bound:N0})");
            if (model is not null)
            {
                // Accepted: then it is a complete, canonical model.
                Assert.Equal(bytes, ModelFile.Serialize(model));
            }
        });

    [Fact]
    public void EachKindOfDamageSaysWhatIsWrong()
    {
        TrainedModel<double> model = RandomModel<double>(3);
        byte[] valid = ModelFile.Serialize(model);
        int parameters = valid.Length - 4 - (model.Shape.ParameterCount * 8);

        string Fail(byte[] bytes) => Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(bytes, "m.bpm")).Message;

        Assert.Contains("not a Backprop model file", Fail([.. "PK\u0003\u0004 not a model"u8]), StringComparison.Ordinal);
        Assert.Contains("truncated", Fail(valid[..5]), StringComparison.Ordinal);
        Assert.Contains("truncated: the header says the file has", Fail(valid[..^7]), StringComparison.Ordinal);

        byte[] version = (byte[])valid.Clone();
        version[Field(valid, "format version").Offset] = 2;
        Assert.Contains("unsupported format version 2; this build reads version 1", Fail(Reseal(version)), StringComparison.Ordinal);

        byte[] flipped = (byte[])valid.Clone();
        flipped[parameters + 3] ^= 0x10;
        Assert.Contains("checksum mismatch", Fail(flipped), StringComparison.Ordinal);

        byte[] nan = (byte[])valid.Clone();
        int index = model.Shape.FanOut(0); // the first weight of layer 1
        BinaryPrimitives.WriteDoubleLittleEndian(nan.AsSpan(parameters + (8 * index)), double.NaN);
        Assert.Contains($"parameter {index} (layer 1 weights) is NaN", Fail(Reseal(nan)), StringComparison.Ordinal);

        byte[] count = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(count.AsSpan(Field(valid, "layer count").Offset), 1_000_000_000);
        Assert.Contains("1000000000 layer sizes; expected 2 to 1024", Fail(Reseal(count)), StringComparison.Ordinal);

        byte[] element = (byte[])valid.Clone();
        element[Field(valid, "element type").Offset] = 2;
        Assert.Contains("unknown element type 2", Fail(Reseal(element)), StringComparison.Ordinal);
    }

    /// <summary>Layer sizes of 2³¹ − 1 units in a file of a few hundred bytes: refused before anything is allocated for them.</summary>
    [Fact]
    public void AbsurdLayerSizesAreRefusedBeforeAllocating()
    {
        byte[] bytes = ModelFile.Serialize(RandomModel<float>(4));
        int sizes = Field(bytes, "layer size").Offset;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(sizes), int.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(sizes + 4), int.MaxValue);
        Reseal(bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(bytes));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("parameters (the most one array holds)", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 16 << 10, $"allocated {allocated:N0} bytes");
    }

    // ---- Files ----------------------------------------------------------------------------------

    [Fact]
    public void SaveAndLoadThroughTheFileSystem()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "m.bpm");
        TrainedModel<float> model = RandomModel<float>(11);
        ModelFile.Save(model, path);
        TrainedModel<float> loaded = ModelFile.Load<float>(path);
        Assert.Equal(ModelFile.Serialize(model), File.ReadAllBytes(path));
        Assert.Equal(model.Shape, loaded.Shape);
        Assert.Contains("not Double", Assert.Throws<InvalidDataException>(() => ModelFile.Load<double>(path)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => ModelFile.Load(Path.Combine(dir.Path, "none.bpm")));
        Assert.Throws<DirectoryNotFoundException>(() => ModelFile.Save(model, Path.Combine(dir.Path, "no", "such", "m.bpm")));
        Assert.Equal(["m.bpm"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    /// <summary>A save that dies midway (the stream throws after some bytes) leaves the old file byte for byte, and no temporary file.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(200)]
    public void AFailedSaveLeavesTheOldFileIntact(int failAfter)
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "model.bpm");
        ModelFile.Save(RandomModel<double>(1), path);
        byte[] old = File.ReadAllBytes(path);
        TrainedModel<double> replacement = RandomModel<double>(2);
        Assert.True(ModelFile.Serialize(replacement).Length > failAfter);
        var e = Assert.Throws<IOException>(() => ModelFile.Save(replacement, path, s => new FailingStream(s, failAfter)));
        Assert.Equal("simulated failure", e.Message);
        Assert.Equal(old, File.ReadAllBytes(path));
        Assert.Equal(["model.bpm"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));

        // And a save that succeeds replaces it whole.
        ModelFile.Save(replacement, path);
        Assert.Equal(ModelFile.Serialize(replacement), File.ReadAllBytes(path));
    }

    [Fact]
    public void NonFiniteParametersAreNeverSaved()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "model.bpm");
        TrainedModel<float> model = RandomModel<float>(5);
        ModelFile.Save(model, path);
        byte[] old = File.ReadAllBytes(path);
        model.Network.Parameters[0] = float.PositiveInfinity;
        Assert.Contains("parameter 0 (layer 1 bias)", Assert.Throws<ArgumentException>(() => ModelFile.Save(model, path)).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(old, File.ReadAllBytes(path));
    }

    /// <summary>Writes <c>failAfter</c> bytes through, then throws, like a full disk or a crash.</summary>
    private sealed class FailingStream(Stream inner, int failAfter) : Stream
    {
        private int _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int n = Math.Min(buffer.Length, failAfter - _written);
            inner.Write(buffer[..n]);
            _written += n;
            if (n < buffer.Length)
            {
                inner.Flush();
                throw new IOException("simulated failure");
            }
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("backprop-test-").FullName;

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
