using System.Numerics;
using System.Runtime.Intrinsics.X86;
using Xunit.Abstractions;

namespace Backprop.Properties.Kernels;

/// <summary>
/// CI reruns the kernel properties under DOTNET_MaxVectorTBitWidth=512 (512-bit Vector&lt;T&gt;),
/// DOTNET_EnableAVX512=0 (256-bit without EVEX: 16 vector registers), DOTNET_EnableAVX2=0
/// (128-bit Vector&lt;T&gt;) and DOTNET_EnableHWIntrinsic=0 (no SIMD). This checks that the setting
/// really reached the test process, so a green rerun cannot silently be the default path again.
/// (.NET 10 ignores the older DOTNET_EnableAVX512F knob; DOTNET_EnableAVX512 replaces it.)
/// </summary>
public class HardwarePathTests(ITestOutputHelper output)
{
    [Fact]
    public void TheRequestedCodePathIsTheOneRunning()
    {
        string? hw = Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic");
        string? avx512 = Environment.GetEnvironmentVariable("DOTNET_EnableAVX512");
        string? avx2 = Environment.GetEnvironmentVariable("DOTNET_EnableAVX2");
        string? width = Environment.GetEnvironmentVariable("DOTNET_MaxVectorTBitWidth");
        output.WriteLine($"Vector<float>.Count = {Vector<float>.Count}, accelerated = {Vector.IsHardwareAccelerated}, AVX-512F = {Avx512F.IsSupported}");
        if (hw == "0")
        {
            Assert.False(Vector.IsHardwareAccelerated);
        }

        if (avx512 == "0")
        {
            Assert.False(Avx512F.IsSupported);
        }

        if (avx2 == "0")
        {
            Assert.False(Avx2.IsSupported);
            Assert.True(Vector<float>.Count <= 4);
        }

        if (width == "512" && hw != "0" && avx512 != "0" && Avx512F.IsSupported)
        {
            Assert.Equal(16, Vector<float>.Count);
        }

        if (width is null && avx2 is null && hw is null && Avx2.IsSupported)
        {
            Assert.Equal(8, Vector<float>.Count);
        }
    }
}
