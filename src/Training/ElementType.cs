namespace Backprop.Training;

/// <summary>The element types the library supports.</summary>
internal static class ElementType
{
    /// <summary>Throws <see cref="NotSupportedException"/> unless <typeparamref name="T"/> is float or double.</summary>
    public static void RequireSupported<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"Element type {typeof(T).Name} is not supported; use float or double.");
        }
    }
}
