using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// The vector width and instruction choices every kernel uses, decided once per process from what
/// the CPU accelerates (not from <c>Vector&lt;T&gt;</c>, whose width the runtime fixes at 256 bits by
/// default even on AVX-512 hardware).
/// </summary>
/// <remarks>
/// <para>
/// By default the kernels run at the widest width the runtime reports as accelerated:
/// 512 bits when <see cref="Vector512.IsHardwareAccelerated"/> (the runtime already reports false on
/// parts where 512-bit code lowers the clock), else 256, else 128, else scalar code.
/// </para>
/// <para>
/// To pin a width (tests, comparisons, or a user who measured otherwise), set the environment
/// variable <c>BACKPROP_VECTOR_BITS</c> to <c>512</c>, <c>256</c>, <c>128</c> or <c>0</c> (scalar)
/// before the process starts, or the runtime configuration option <c>Backprop.Kernels.VectorBits</c>
/// (an MSBuild <c>RuntimeHostConfigurationOption</c>); the environment variable wins. A width the CPU
/// does not accelerate is lowered to the widest one it does; anything else is an error at start-up
/// (<see cref="TypeInitializationException"/> wrapping an <see cref="InvalidOperationException"/>)
/// rather than a silent default.
/// </para>
/// <para>
/// Results are bit-identical for every thread count at one width; different widths may differ in the
/// last bits (sums are formed in a different order).
/// </para>
/// </remarks>
public static class KernelSimd
{
    /// <summary>The environment variable that pins the width: 512, 256, 128 or 0.</summary>
    public const string EnvironmentVariable = "BACKPROP_VECTOR_BITS";

    /// <summary>The runtime configuration option (runtimeconfig.json) that pins the width when the environment variable is not set.</summary>
    public const string ConfigurationOption = "Backprop.Kernels.VectorBits";

    /// <summary>The widest width this CPU and runtime accelerate: 512, 256, 128, or 0 when no SIMD is accelerated.</summary>
    public static int HardwareBits { get; } = DetectHardwareBits();

    /// <summary>The width the kernels use: 512, 256, 128, or 0 for scalar code.</summary>
    public static int VectorBits => Choice.Bits;

    /// <summary>Where <see cref="VectorBits"/> came from: "hardware", the environment variable or the configuration option.</summary>
    public static string Source => Choice.Source;

    private static readonly (int Bits, string Source) Choice = Choose(
        HardwareBits, Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.GetData(ConfigurationOption) as string);

    /// <summary>Whether fused multiply-add is accelerated (FMA3 on x64, always on Arm64 AdvSIMD); where it is not, kernels multiply and add separately.</summary>
    public static bool FusedMultiplyAdd { get; } = Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    /// <summary>Elements of <typeparamref name="T"/> in one vector at <see cref="VectorBits"/> (1 for scalar code).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <returns>The lane count.</returns>
    public static int Lanes<T>()
        where T : unmanaged => VectorBits == 0 ? 1 : VectorBits / 8 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>A one-line description for logs and benchmark reports, e.g. "512-bit (hardware; hardware 512), FMA" or "256-bit (BACKPROP_VECTOR_BITS; hardware 512), FMA".</summary>
    public static string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{(VectorBits == 0 ? "scalar" : $"{VectorBits}-bit")} ({Source}; hardware {HardwareBits}), {(FusedMultiplyAdd ? "FMA" : "no FMA")}");

    private static int DetectHardwareBits()
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return 512;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return 256;
        }

        return Vector128.IsHardwareAccelerated ? 128 : 0;
    }

    /// <summary>
    /// The width from the setting's text (the environment variable's, else the configuration
    /// option's), lowered to <paramref name="hardware"/>; the hardware's width when neither is set.
    /// </summary>
    internal static (int Bits, string Source) Choose(int hardware, string? environment, string? configuration)
    {
        string? text = environment;
        string source = EnvironmentVariable;
        if (string.IsNullOrWhiteSpace(text))
        {
            text = configuration;
            source = ConfigurationOption;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return (hardware, "hardware");
        }

        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int bits) || bits is not (0 or 128 or 256 or 512))
        {
            throw new InvalidOperationException($"{source} is '{text}'; expected 512, 256, 128 or 0 (scalar).");
        }

        return (Math.Min(bits, hardware), source);
    }
}
