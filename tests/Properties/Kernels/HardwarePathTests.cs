using System.Numerics;
using System.Runtime.Intrinsics.X86;
using Xunit.Abstractions;

namespace Backprop.Properties.Kernels;

/// <summary>
/// CI reruns the kernel properties under DOTNET_MaxVectorTBitWidth=512, DOTNET_EnableAVX512F=0 and
/// DOTNET_EnableHWIntrinsic=0. This checks that the setting really reached the test process, so a
/// green rerun cannot silently be the default path again.
/// </summary>
public class HardwarePathTests(ITestOutputHelper output)
{
    [Fact]
    public void TheRequestedCodePathIsTheOneRunning()
    {
        string? hw = Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic");
        string? avx512 = Environment.GetEnvironmentVariable("DOTNET_EnableAVX512F");
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

        if (width == "512" && hw != "0" && avx512 != "0" && Avx512F.IsSupported)
        {
            Assert.Equal(16, Vector<float>.Count);
        }

        if (width is null && Vector.IsHardwareAccelerated && Avx2.IsSupported)
        {
            Assert.Equal(8, Vector<float>.Count);
        }
    }
}
