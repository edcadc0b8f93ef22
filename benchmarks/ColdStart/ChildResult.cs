using System.Diagnostics;
using System.Globalization;
using System.Numerics;

namespace Backprop.Benchmarks.ColdStart;

/// <summary>
/// One child's timings, as the single stdout line <c>COLDSTART key=value ...</c> the parent parses.
/// Times in µs.
/// </summary>
internal sealed record ChildResult(
    int VectorBits,
    double? ConstructUs,
    double ConstructJitUs,
    long ConstructJitMethods,
    double[] CallsUs,
    double SteadyUs,
    double Call1JitUs,
    long Call1JitMethods,
    long LaterJitMethods,
    string Check)
{
    public const string Marker = "COLDSTART";

    /// <summary>Extra time of calls 1..N over N steady calls, in µs: what cold start costs in total.</summary>
    public double ExcessUs => CallsUs.Sum(t => t - SteadyUs);

    /// <summary>The slowest of calls 2–10 (or as many as were timed) ÷ steady: the "steady from the second call" measure (bar: 1.5).</summary>
    public double WorstEarlyRatio => CallsUs.Length < 2 ? double.NaN : CallsUs[1..Math.Min(10, CallsUs.Length)].Max() / SteadyUs;

    public static ChildResult From(long[] calls, long[] steady, JitProbe jit, (long Ticks, JitProbe Jit)? construct, string check)
    {
        double[] sorted = [.. steady.Select(ToUs).Order()];
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        return new ChildResult(
            Vector<byte>.Count * 8,
            construct is { } c ? ToUs(c.Ticks) : null,
            construct?.Jit.Microseconds ?? 0,
            construct?.Jit.Methods ?? 0,
            [.. calls.Select(ToUs)],
            median,
            jit.Microseconds,
            jit.Methods,
            jit.LaterMethods,
            check);
    }

    public string Format() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Marker} vector={VectorBits} construct={(ConstructUs is { } c ? c.ToString("R", CultureInfo.InvariantCulture) : "-")} constructJit={ConstructJitUs:R} constructMethods={ConstructJitMethods} jit1={Call1JitUs:R} methods1={Call1JitMethods} methodsLater={LaterJitMethods} steady={SteadyUs:R} check={Check} calls={string.Join(';', CallsUs.Select(t => t.ToString("R", CultureInfo.InvariantCulture)))}");

    /// <exception cref="FormatException">No well-formed result line in <paramref name="stdout"/>.</exception>
    public static ChildResult Parse(string stdout)
    {
        string line = stdout.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(Marker + " ", StringComparison.Ordinal))
            ?? throw new FormatException($"no '{Marker}' line in the child's output:\n{stdout}");
        Dictionary<string, string> fields = line[(Marker.Length + 1)..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv.Length == 2 ? kv[1] : throw new FormatException($"bad field '{kv[0]}' in: {line}"));
        static double D(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        static long L(string s) => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);
        return new ChildResult(
            (int)L(fields["vector"]),
            fields["construct"] == "-" ? null : D(fields["construct"]),
            D(fields["constructJit"]),
            L(fields["constructMethods"]),
            [.. fields["calls"].Split(';').Select(D)],
            D(fields["steady"]),
            D(fields["jit1"]),
            L(fields["methods1"]),
            L(fields["methodsLater"]),
            fields["check"]);
    }

    private static double ToUs(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
}
