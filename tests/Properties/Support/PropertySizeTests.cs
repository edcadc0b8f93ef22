using System.Globalization;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace Backprop.Properties.Support;

/// <summary>The size setting and the replay line: a printed replay reproduces the same counterexample.</summary>
public partial class PropertySizeTests
{
    [Fact]
    public void TheSettingsInForceAreValid() => Assert.True(PropertySize.Error is null, PropertySize.Error);

    [Theory]
    [InlineData(null, PropertySizeLevel.Ci)]
    [InlineData("", PropertySizeLevel.Ci)]
    [InlineData("quick", PropertySizeLevel.Quick)]
    [InlineData("CI", PropertySizeLevel.Ci)]
    [InlineData(" Soak ", PropertySizeLevel.Soak)]
    public void TheLevelIsParsed(string? value, PropertySizeLevel expected)
    {
        Assert.Equal(expected, PropertySize.Parse(value, out string? error));
        Assert.Null(error);
    }

    [Fact]
    public void AnUnknownLevelIsAnErrorNamingTheVariable()
    {
        PropertySize.Parse("huge", out string? error);
        Assert.Contains(PropertySize.SizeVariable, error, StringComparison.Ordinal);
        Assert.Contains("quick, ci or soak", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// A deliberately failing property (arrays of 0…1000 whose sum stays below 1500) runs through
    /// FsCheck's API from a random seed; the replay line printed for it is parsed back exactly as a
    /// person would paste it, and the property is run again with only that case: the same
    /// counterexample, originally and after shrinking, comes out, on the first test.
    /// </summary>
    [Fact]
    public void APrintedReplayReproducesTheSameCounterexample()
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            string first = Failure(Config.QuickThrowOnFailure.WithMaxTest(1000));
            string? line = PropertySize.ReplayLine(first, "Backprop.Properties.Support.PropertySizeTests.Failing");
            Assert.NotNull(line);
            Assert.Contains("dotnet test tests/Properties/Properties.csproj -c Release --filter \"FullyQualifiedName=Backprop.Properties.Support.PropertySizeTests.Failing\"", line, StringComparison.Ordinal);

            // What a person pastes: BACKPROP_PROPERTY_REPLAY="seed,gamma,size"; SizedPropertyAttribute
            // passes the string to FsCheck's Replay and runs one case.
            Match pasted = Regex.Match(line, PropertySize.ReplayVariable + "=\"(?<s>\\d+),(?<g>\\d+),(?<n>\\d+)\"");
            Assert.True(pasted.Success, line);
            var replay = new Replay(
                new Rnd(ulong.Parse(pasted.Groups["s"].Value, CultureInfo.InvariantCulture), ulong.Parse(pasted.Groups["g"].Value, CultureInfo.InvariantCulture)),
                FSharpOption<int>.Some(int.Parse(pasted.Groups["n"].Value, CultureInfo.InvariantCulture)));
            string again = Failure(Config.QuickThrowOnFailure.WithReplay(FSharpOption<Replay>.Some(replay)).WithMaxTest(1));

            Assert.Contains("after 1 test ", again, StringComparison.Ordinal);
            Assert.Equal(Counterexamples(first), Counterexamples(again));
            Assert.Equal(PropertySize.ReplayOf(first), PropertySize.ReplayOf(again));
        }
    }

    [Fact]
    public void TheReplayLineNamesSeedSizeAndLevel()
    {
        const string message = "Falsifiable, after 2 tests (0 shrinks) (1,2). \nLast step was invoked with size of 3 and seed of (45,67).\n";
        Assert.Equal("45,67,3", PropertySize.ReplayOf(message));
        string line = PropertySize.ReplayLine(message, "N.C.M")!;
        Assert.StartsWith($"Property size {PropertySize.Level.ToString().ToLowerInvariant()}; failing case seed,gamma,size = 45,67,3. Replay: BACKPROP_PROPERTY_REPLAY=\"45,67,3\"", line, StringComparison.Ordinal);
        Assert.Null(PropertySize.ReplayOf("Assert.Equal() Failure"));
    }

    [Fact]
    public void CasesScaleWithTheLevel()
    {
        int cases = PropertySize.Cases(25);
        int expected = PropertySize.ReplaysOneCase ? 1 : PropertySize.Level switch { PropertySizeLevel.Quick => 5, PropertySizeLevel.Soak => 250, _ => 25 };
        Assert.Equal(expected, cases);
        var attribute = new SizedPropertyAttribute { MaxTest = 25 };
        Assert.Equal(25, attribute.MaxTest);
        Assert.Equal(cases, ((FsCheck.Xunit.PropertyAttribute)attribute).MaxTest);
        Assert.Equal(PropertySize.EndSize, attribute.EndSize);
    }

    private static string Failure(Config config)
    {
        Property property = Prop.ForAll(Gen.Choose(0, 1000).ArrayOf().ToArbitrary(), xs => xs.Sum() < 1500);
        Exception e = Assert.ThrowsAny<Exception>(() => Check.One(config, property));
        return e.Message;
    }

    private static string Counterexamples(string message)
    {
        int start = message.IndexOf("Original:", StringComparison.Ordinal);
        Assert.True(start >= 0, message);
        int end = message.IndexOf("with exception", start, StringComparison.Ordinal);
        return message[start..(end < 0 ? message.Length : end)];
    }
}
