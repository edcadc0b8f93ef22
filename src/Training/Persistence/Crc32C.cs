using System.Buffers.Binary;
using System.Numerics;

namespace Backprop.Training.Persistence;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF), as
/// in iSCSI and ext4: the check value of "123456789" is 0xE3069283. Uses the processor's CRC32
/// instruction through <see cref="BitOperations.Crc32C(uint, ulong)"/> where there is one.
/// </summary>
internal static class Crc32C
{
    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a CRC: <c>Append(Compute(a), b) == Compute(a ++ b)</c>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        while (data.Length >= 8)
        {
            c = BitOperations.Crc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            c = BitOperations.Crc32C(c, b);
        }

        return ~c;
    }
}
