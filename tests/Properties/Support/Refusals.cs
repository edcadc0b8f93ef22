namespace Backprop.Properties.Support;

/// <summary>
/// Checks of a refused argument, shared by the kernel properties: the exception names the parameter,
/// and is returned so a property can also check that its message says what was expected.
/// </summary>
public static class Refusals
{
    /// <summary>Asserts that <paramref name="action"/> throws an <see cref="ArgumentException"/> naming <paramref name="name"/>.</summary>
    public static ArgumentException AssertParam(string name, Action action) => AssertParam<ArgumentException>(name, action);

    /// <summary>Asserts that <paramref name="action"/> throws a <typeparamref name="TException"/> naming <paramref name="name"/>.</summary>
    public static TException AssertParam<TException>(string name, Action action)
        where TException : ArgumentException
    {
        TException e = Assert.ThrowsAny<TException>(action);
        Assert.Equal(name, e.ParamName);
        return e;
    }
}
