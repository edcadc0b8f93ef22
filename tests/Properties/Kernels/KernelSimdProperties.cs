using System.Globalization;
using Backprop.Kernels;
using Backprop.Properties.Support;
using FsCheck;
using FsCheck.Fluent;

namespace Backprop.Properties.Kernels;

/// <summary>
/// How <see cref="KernelSimd"/> reads its setting, in this process (the child processes of
/// <c>HardwarePathTests</c> check that a setting reaches a real start-up): the environment variable
/// wins over the configuration option, blank means "not set", a width the hardware lacks is lowered to
/// the hardware's, and any other text is refused naming the setting and what it accepts.
/// </summary>
public class KernelSimdProperties
{
    private static readonly int[] Widths = [0, 128, 256, 512];

    private static Gen<string?> Blank => Gen.Elements<string?>(null, string.Empty, " ", "\t", " \n ");

    private static Gen<int> Width => Gen.Elements(Widths);

    /// <summary>A width written as a user might: padded with spaces, with leading zeros.</summary>
    private static Gen<string> Written(int bits) =>
        Gen.Elements(string.Empty, " ", "  ").SelectMany(pad => Gen.Elements(string.Empty, "0", "00").Select(zeros =>
            pad + zeros + bits.ToString(CultureInfo.InvariantCulture) + pad));

    [SizedProperty(MaxTest = 100)]
    public Property AValidWidthIsLoweredToTheHardwareAndNamesItsSource() =>
        Prop.ForAll(
            (from hardware in Width
             from bits in Width
             from text in Written(bits)
             from fromEnvironment in Gen.Elements(true, false)
             from other in Gen.OneOf(Blank, Width.SelectMany(w => Written(w)).Select(t => (string?)t))
             select (hardware, bits, text, fromEnvironment, other)).ToArbitrary(),
            c =>
            {
                // The environment variable wins whatever the option says; the option counts only when the variable is blank.
                (int Bits, string Source) chosen = c.fromEnvironment
                    ? KernelSimd.Choose(c.hardware, c.text, c.other)
                    : KernelSimd.Choose(c.hardware, BlankOf(c.other), c.text);
                Assert.Equal(Math.Min(c.bits, c.hardware), chosen.Bits);
                Assert.Equal(c.fromEnvironment ? KernelSimd.EnvironmentVariable : KernelSimd.ConfigurationOption, chosen.Source);
            });

    [SizedProperty(MaxTest = 50)]
    public Property NoSettingMeansTheHardwareWidth() =>
        Prop.ForAll(
            (from hardware in Width from environment in Blank from configuration in Blank select (hardware, environment, configuration)).ToArbitrary(),
            c => Assert.Equal((c.hardware, "hardware"), KernelSimd.Choose(c.hardware, c.environment, c.configuration)));

    [SizedProperty(MaxTest = 200)]
    public Property AnyOtherTextIsRefusedNamingTheSettingAndTheAcceptedWidths() =>
        Prop.ForAll(
            (from text in Gen.OneOf(
                 Gen.Choose(-1000, 5000).Where(n => Array.IndexOf(Widths, n) < 0).Select(n => n.ToString(CultureInfo.InvariantCulture)),
                 Gen.Elements("+256", "-0", "256bits", "5 12", "0x200", "512.0", "1e3", "avx512", "２５６", "99999999999999999999"),
                 ArbMap.Default.GeneratorFor<string>().Where(s => !string.IsNullOrWhiteSpace(s) && !IsWidth(s)))
             from hardware in Width
             from fromEnvironment in Gen.Elements(true, false)
             select (text, hardware, fromEnvironment)).ToArbitrary(),
            c =>
            {
                var e = Assert.Throws<InvalidOperationException>(() => c.fromEnvironment
                    ? KernelSimd.Choose(c.hardware, c.text, "256")
                    : KernelSimd.Choose(c.hardware, null, c.text));
                string setting = c.fromEnvironment ? KernelSimd.EnvironmentVariable : KernelSimd.ConfigurationOption;
                Assert.StartsWith($"{setting} is '{c.text}'", e.Message, StringComparison.Ordinal);
                Assert.Contains("512, 256, 128 or 0", e.Message, StringComparison.Ordinal);
            });

    /// <summary>The description names this process's width (or "scalar"), where it came from, the hardware's width and whether FMA is used.</summary>
    [Fact]
    public void TheDescriptionSaysWhatThisProcessRuns()
    {
        string width = KernelSimd.VectorBits == 0 ? "scalar" : $"{KernelSimd.VectorBits}-bit";
        string fma = KernelSimd.FusedMultiplyAdd ? "FMA" : "no FMA";
        Assert.Equal($"{width} ({KernelSimd.Source}; hardware {KernelSimd.HardwareBits}), {fma}", KernelSimd.Describe());
        Assert.Equal(KernelSimd.VectorBits == 0 ? 1 : KernelSimd.VectorBits / 32, KernelSimd.Lanes<float>());
        Assert.Equal(KernelSimd.VectorBits == 0 ? 1 : KernelSimd.VectorBits / 64, KernelSimd.Lanes<double>());
    }

    private static bool IsWidth(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && Array.IndexOf(Widths, n) >= 0;

    private static string? BlankOf(string? text) => string.IsNullOrWhiteSpace(text) ? text : null;
}
