using System.Text;
using Backprop.Training.Persistence;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Training.Persistence;

/// <summary>CRC-32C against published check values and a bit-at-a-time reference written here.</summary>
public class Crc32CProperties
{
    public static TheoryData<byte[], uint> Vectors => new()
    {
        { Encoding.ASCII.GetBytes("123456789"), 0xE3069283 }, // the catalogue's check value for CRC-32/ISCSI
        { new byte[32], 0x8A9136AA }, // RFC 3720, B.4: 32 bytes of zeros
        { Enumerable.Repeat((byte)0xFF, 32).ToArray(), 0x62A8AB43 }, // 32 bytes of ones
        { Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), 0x46DD794E }, // incrementing
        { Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray(), 0x113FDB5C }, // decrementing
        { [], 0x00000000 },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void KnownVectors(byte[] data, uint expected) => Assert.Equal(expected, Crc32C.Compute(data));

    [Support.SizedProperty(MaxTest = 300)]
    public Property MatchesTheBitwiseDefinitionAndAppends() =>
        Prop.ForAll(Support.Gens.Seed.ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            byte[] data = new byte[random.Next(0, 100)];
            random.NextBytes(data);
            Assert.Equal(Bitwise(data), Crc32C.Compute(data));
            int cut = random.Next(0, data.Length + 1);
            Assert.Equal(Crc32C.Compute(data), Crc32C.Append(Crc32C.Compute(data.AsSpan(0, cut)), data.AsSpan(cut)));
        });

    /// <summary>The definition: reflected polynomial 0x82F63B78, one bit at a time, init and final XOR all ones.</summary>
    private static uint Bitwise(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
