using FsCheck.Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Backprop.Properties.Support;

/// <summary>
/// FsCheck's <see cref="PropertyAttribute"/>, sized by <see cref="PropertySize"/>: <see cref="MaxTest"/>
/// is the count for CI, scaled by <c>BACKPROP_PROPERTY_SIZE</c>; <c>BACKPROP_PROPERTY_REPLAY</c>
/// replays a printed case; and a failure's message ends with its seed, size and the one-line command
/// that replays it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
[XunitTestCaseDiscoverer("Backprop.Properties.Support.SizedPropertyDiscoverer", "Backprop.Properties")]
public sealed class SizedPropertyAttribute : PropertyAttribute
{
    private int _ciCases = 100;

    /// <summary>Sizes the property for the level in force, with FsCheck's default of 100 cases at CI size.</summary>
    public SizedPropertyAttribute()
    {
        base.MaxTest = PropertySize.Cases(_ciCases);
        StartSize = PropertySize.StartSize;
        EndSize = PropertySize.EndSize;
        if (PropertySize.Replay is not null)
        {
            Replay = PropertySize.Replay;
        }
    }

    /// <summary>The number of cases at CI size; the level scales it.</summary>
    public new int MaxTest
    {
        get => _ciCases;
        set
        {
            _ciCases = value;
            base.MaxTest = PropertySize.Cases(value);
        }
    }
}

/// <summary>Makes a <see cref="ReplayingPropertyTestCase"/> of each <see cref="SizedPropertyAttribute"/> method.</summary>
public sealed class SizedPropertyDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    /// <inheritdoc/>
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        ArgumentNullException.ThrowIfNull(discoveryOptions);
        yield return new ReplayingPropertyTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
    }
}

/// <summary>FsCheck's test case, whose failure message gains <see cref="PropertySize.ReplayLine"/>.</summary>
public sealed class ReplayingPropertyTestCase : PropertyTestCase
{
    /// <summary>For deserialisation by the runner.</summary>
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public ReplayingPropertyTestCase()
        : base(null, TestMethodDisplay.ClassAndMethod, TestMethodDisplayOptions.None, null, null)
    {
    }

    /// <summary>A test case of <paramref name="testMethod"/>.</summary>
    public ReplayingPropertyTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod)
        : base(diagnosticMessageSink, display, options, testMethod, null)
    {
    }

    /// <inheritdoc/>
    public override Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    {
        string name = $"{TestMethod.TestClass.Class.Name}.{TestMethod.Method.Name}";
        return base.RunAsync(diagnosticMessageSink, new ReplayBus(messageBus, name), constructorArguments, aggregator, cancellationTokenSource);
    }

    /// <summary>Passes every message on; a failed test's first message gains the replay line.</summary>
    private sealed class ReplayBus(IMessageBus inner, string testName) : IMessageBus
    {
        public bool QueueMessage(IMessageSinkMessage message)
        {
            if (message is ITestFailed failed && failed.Messages.Length > 0 && PropertySize.ReplayLine(failed.Messages[0], testName) is string line)
            {
                string[] messages = (string[])failed.Messages.Clone();
                messages[0] = messages[0] + Environment.NewLine + line;
                message = new TestFailed(failed.Test, failed.ExecutionTime, failed.Output, failed.ExceptionTypes, messages, failed.StackTraces, failed.ExceptionParentIndices);
            }

            return inner.QueueMessage(message);
        }

        public void Dispose() => inner.Dispose();
    }
}
