using BenchmarkDotNet.Running;

namespace Backprop.Benchmarks;

/// <summary>
/// One entry point for every suite: <c>dotnet run -c Release --project benchmarks -- --filter '*Gemm*'</c>.
/// BenchmarkDotNet's own switches apply (<c>--job short</c>, <c>--job dry</c>, <c>--list flat</c>, ...).
/// </summary>
public static class Program
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
