using System.Numerics;
using Backprop.Kernels;
using Backprop.Properties.Support;

namespace Backprop.Properties.Kernels;

/// <summary>Element-wise kernels split across threads: bit-identical to one thread for every kind, length and degree.</summary>
public class ElementwiseParallelProperties
{
    public static TheoryData<int> Lengths() => [ElementwiseParallel.MinimumElements - 1, ElementwiseParallel.MinimumElements, 40_000, 100_003, 262_144 + 5];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SplitKernelsAreBitIdentical(int length)
    {
        using var two = new KernelThreads(2);
        using var three = new KernelThreads(3);
        Check<float>(length, two, three);
        Check<double>(length, two, three);
        if (length >= ElementwiseParallel.MinimumElements && GemmParallel.Supported)
        {
            Assert.True(two.SplitCalls > 0 && three.SplitCalls > 0);
        }
    }

    private static void Check<T>(int length, params KernelThreads[] groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = Gens.Random<T>(length, length, 6);
        T[] y = Gens.Random<T>(length, length + 1, 1);
        foreach (ElementwiseKind kind in Enum.GetValues<ElementwiseKind>())
        {
            T[] serial = (T[])x.Clone();
            ElementwiseParallel.Run<T>(null, kind, serial, y, serial);
            foreach (KernelThreads group in groups)
            {
                T[] split = (T[])x.Clone();
                ElementwiseParallel.Run<T>(group, kind, split, y, split);
                Assert.True(serial.AsSpan().SequenceEqual(split), $"{typeof(T).Name} {kind} length {length} DOP {group.DegreeOfParallelism}");
            }
        }
    }
}
