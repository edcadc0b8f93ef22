using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Backprop.Training.Persistence;

/// <summary>
/// The few protocol-buffer encodings an ONNX file needs, written by hand (no dependency): varints,
/// length-delimited fields (strings, bytes, nested messages) and packed fields. A nested message is
/// built in its own writer and then written as one length-delimited field.
/// </summary>
internal sealed class OnnxProtobuf
{
    private const int Varint = 0;
    private const int LengthDelimited = 2;
    private readonly ArrayBufferWriter<byte> _bytes = new();

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _bytes.WrittenSpan;

    /// <summary>An integer field (int32, int64 or enum), varint-encoded (negative values as ten bytes, as protobuf does).</summary>
    public OnnxProtobuf Int(int field, long value)
    {
        Tag(field, Varint);
        WriteVarint((ulong)value);
        return this;
    }

    /// <summary>A UTF-8 string field.</summary>
    public OnnxProtobuf String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public OnnxProtobuf Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    /// <summary>A nested message field.</summary>
    public OnnxProtobuf Message(int field, OnnxProtobuf message) => Bytes(field, message.Written);

    /// <summary>A float field (fixed32).</summary>
    public OnnxProtobuf Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _bytes.Write(bytes);
        return this;
    }

    private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.Write([(byte)(value | 0x80)]);
            value >>= 7;
        }

        _bytes.Write([(byte)value]);
    }
}
