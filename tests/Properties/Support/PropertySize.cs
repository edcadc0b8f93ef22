using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Backprop.Properties.Support;

/// <summary>How much of the input space a run explores.</summary>
public enum PropertySizeLevel
{
    /// <summary>While editing one kernel: a fifth of the cases (at least 3), small FsCheck sizes, the smallest shape limits.</summary>
    Quick,

    /// <summary>Every run and CI: the counts written in the attributes.</summary>
    Ci,

    /// <summary>Before a release: ten times the cases, twice the FsCheck sizes, the largest shape limits.</summary>
    Soak,
}

/// <summary>
/// The one setting that sizes every property: <c>BACKPROP_PROPERTY_SIZE=quick|ci|soak</c> (default
/// <c>ci</c>) scales each property's case count (<see cref="Cases"/>), FsCheck's size range and the
/// shape limits of the generators that ask (<see cref="Shapes"/>). <c>BACKPROP_PROPERTY_REPLAY</c>
/// replays one failing case: the <c>seed,gamma,size</c> a failure prints (<see cref="ReplayCommand"/>).
/// </summary>
public static partial class PropertySize
{
    /// <summary>The environment variable that chooses the size.</summary>
    public const string SizeVariable = "BACKPROP_PROPERTY_SIZE";

    /// <summary>The environment variable that replays a case: <c>seed,gamma,size</c> as printed by a failure.</summary>
    public const string ReplayVariable = "BACKPROP_PROPERTY_REPLAY";

    /// <summary>The level in force; an unknown value is <see cref="PropertySizeLevel.Ci"/> here and fails <see cref="Error"/>'s test.</summary>
    public static PropertySizeLevel Level { get; } = Parse(Environment.GetEnvironmentVariable(SizeVariable), out _);

    /// <summary>What is wrong with the setting, or null.</summary>
    public static string? Error { get; } = ParseError();

    /// <summary>The replay in force (<c>seed,gamma</c> or <c>seed,gamma,size</c>), or null.</summary>
    public static string? Replay { get; } = NullIfEmpty(Environment.GetEnvironmentVariable(ReplayVariable));

    /// <summary>Whether the replay names a size, so that one case (the failing one) is run.</summary>
    public static bool ReplaysOneCase => Replay is not null && Replay.Trim('(', ')').Split(',').Length == 3;

    /// <summary>FsCheck's first size.</summary>
    public static int StartSize => 0;

    /// <summary>FsCheck's last size (its default is 100).</summary>
    public static int EndSize => Level switch { PropertySizeLevel.Quick => 30, PropertySizeLevel.Soak => 200, _ => 100 };

    /// <summary>The case count for a property written with <paramref name="ciCases"/> cases.</summary>
    public static int Cases(int ciCases) => ReplaysOneCase ? 1 : Level switch
    {
        PropertySizeLevel.Quick => Math.Max(3, (ciCases + 4) / 5),
        PropertySizeLevel.Soak => ciCases * 10,
        _ => ciCases,
    };

    /// <summary>
    /// A shape limit for generators that scale: <paramref name="quick"/>, <paramref name="ci"/> or
    /// <paramref name="soak"/> by the level (e.g. how many GEMM blocks past an edge, how many vectors past one).
    /// </summary>
    public static int Shapes(int quick, int ci, int soak) => Level switch
    {
        PropertySizeLevel.Quick => quick,
        PropertySizeLevel.Soak => soak,
        _ => ci,
    };

    internal static PropertySizeLevel Parse(string? value, out string? error)
    {
        error = null;
        switch (value?.Trim().ToUpperInvariant())
        {
            case null or "" or "CI":
                return PropertySizeLevel.Ci;
            case "QUICK":
                return PropertySizeLevel.Quick;
            case "SOAK":
                return PropertySizeLevel.Soak;
            default:
                error = $"{SizeVariable} is '{value}'; expected quick, ci or soak";
                return PropertySizeLevel.Ci;
        }
    }

    private static string? ParseError()
    {
        Parse(Environment.GetEnvironmentVariable(SizeVariable), out string? error);
        string? replay = NullIfEmpty(Environment.GetEnvironmentVariable(ReplayVariable));
        if (error is null && replay is not null && !ReplayValue().IsMatch(replay))
        {
            error = $"{ReplayVariable} is '{replay}'; expected seed,gamma or seed,gamma,size as a failure prints it";
        }

        return error;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>
    /// The seed, gamma and size of the last (failing) step in an FsCheck failure message, as
    /// <c>seed,gamma,size</c>; null when the message is not a falsified property.
    /// </summary>
    public static string? ReplayOf(string failureMessage)
    {
        ArgumentNullException.ThrowIfNull(failureMessage);
        Match last = LastStep().Match(failureMessage);
        return last.Success ? $"{last.Groups["seed"].Value},{last.Groups["gamma"].Value},{last.Groups["size"].Value}" : null;
    }

    /// <summary>
    /// The one-line command that replays exactly the failing case of <paramref name="testName"/>
    /// (namespace.class.method): the replay variable, every setting of this process that chooses a
    /// code path or a size (<c>BACKPROP_*</c>, <c>DOTNET_Enable*</c>, <c>DOTNET_MaxVectorTBitWidth</c>),
    /// and <c>dotnet test</c> filtered to that one test.
    /// </summary>
    public static string ReplayCommand(string replay, string testName)
    {
        var command = new StringBuilder();
        command.Append(CultureInfo.InvariantCulture, $"{ReplayVariable}=\"{replay}\"");
        foreach ((string name, string value) in PathSettings())
        {
            command.Append(CultureInfo.InvariantCulture, $" {name}={value}");
        }

        command.Append(CultureInfo.InvariantCulture, $" dotnet test tests/Properties/Properties.csproj -c Release --filter \"FullyQualifiedName={testName}\"");
        return command.ToString();
    }

    /// <summary>The line a failing property adds to its message: seed, size, level and the replay command.</summary>
    public static string? ReplayLine(string failureMessage, string testName)
    {
        string? replay = ReplayOf(failureMessage);
        return replay is null ? null :
            $"Property size {Level.ToString().ToLowerInvariant()}; failing case seed,gamma,size = {replay}. Replay: {ReplayCommand(replay, testName)}";
    }

    private static List<(string Name, string Value)> PathSettings()
    {
        var settings = new List<(string Name, string Value)>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            string name = (string)e.Key;
            bool chooses = (name.StartsWith("BACKPROP_", StringComparison.Ordinal) && name != ReplayVariable)
                || name.StartsWith("DOTNET_Enable", StringComparison.Ordinal)
                || name == "DOTNET_MaxVectorTBitWidth";
            if (chooses)
            {
                settings.Add((name, (string?)e.Value ?? ""));
            }
        }

        settings.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return settings;
    }

    // FsCheck 3: "Last step was invoked with size of 7 and seed of (123,456):"
    [GeneratedRegex(@"Last step was invoked with size of (?<size>\d+) and seed of \(\(?(?<seed>\d+),\s*(?<gamma>\d+)\)?\)")]
    private static partial Regex LastStep();

    [GeneratedRegex(@"^\(?\d+,\d+(,\d+)?\)?$")]
    private static partial Regex ReplayValue();
}
