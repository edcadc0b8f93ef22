namespace Backprop.Training.Data;

/// <summary>How <see cref="CsvLoader"/> reads a labelled CSV file. Immutable; derive variants with <c>with</c>.</summary>
public sealed record CsvOptions
{
    /// <summary>
    /// The label column: a header name, or a 0-based index (negative counts from the end, −1 = last).
    /// A header name takes precedence over an index. Null (the default) means the last column.
    /// </summary>
    public string? LabelColumn { get; init; }

    /// <summary>Columns that are neither features nor the label (e.g. an id), by header name or 0-based index.</summary>
    public IReadOnlyList<string> IgnoreColumns { get; init; } = [];

    /// <summary>
    /// When set, exactly these header names, in this order, are the features, and every other column
    /// except the label is ignored (how a saved model picks its inputs from a file with more columns).
    /// </summary>
    public IReadOnlyList<string>? FeatureColumns { get; init; }

    /// <summary>
    /// When set, the classes are fixed: the label cell values, in class order. A row with any other
    /// label is an error. When null, the classes are the distinct labels found, sorted numerically
    /// when every label is an integer and ordinally otherwise.
    /// </summary>
    public IReadOnlyList<string>? ClassLabels { get; init; }

    /// <summary>Display names aligned with <see cref="ClassLabels"/> (e.g. <c>"stairs"</c> for label <c>"1"</c>); null to use the labels.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Whether the first non-blank line names the columns (default true). Without a header, columns are named by 0-based index.</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>The cell delimiter, an ASCII character (default comma).</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>Read at most this many data rows (default: all).</summary>
    public int MaxRows { get; init; } = int.MaxValue;
}
