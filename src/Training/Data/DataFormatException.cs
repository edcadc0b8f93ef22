using System.Globalization;
using System.Text;

namespace Backprop.Training.Data;

/// <summary>
/// A data file's content is wrong: a non-numeric or non-finite cell, a row of the wrong length, a
/// label outside the known classes, a truncated or inconsistent binary header. The message names
/// the file, the 1-based line (for text files) and the column, and says what is wrong.
/// </summary>
public sealed class DataFormatException : FormatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public DataFormatException()
        : base("The data are malformed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public DataFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DataFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a problem at a place in a file.</summary>
    /// <param name="problem">What is wrong, as a sentence.</param>
    /// <param name="sourceName">The file (or "standard input"); null when unknown.</param>
    /// <param name="line">The 1-based line, or 0 when the problem has no line (binary files, whole-file problems).</param>
    /// <param name="column">The column name or number, or null.</param>
    public DataFormatException(string problem, string? sourceName, long line, string? column)
        : base(Compose(problem, sourceName, line, column))
    {
        Problem = problem;
        SourceName = sourceName;
        Line = line;
        Column = column;
    }

    /// <summary>What is wrong, without the place.</summary>
    public string? Problem { get; }

    /// <summary>The file (or "standard input") the data came from, when known.</summary>
    public string? SourceName { get; }

    /// <summary>The 1-based line of a text file, or 0.</summary>
    public long Line { get; }

    /// <summary>The column, by name when the file has a header, otherwise by 1-based number; null when not about one column.</summary>
    public string? Column { get; }

    private static string Compose(string problem, string? sourceName, long line, string? column)
    {
        var text = new StringBuilder();
        if (sourceName is not null)
        {
            text.Append(sourceName);
        }

        if (line > 0)
        {
            text.Append(text.Length > 0 ? ", " : string.Empty).Append("line ").Append(line.ToString(CultureInfo.InvariantCulture));
        }

        if (column is not null)
        {
            text.Append(text.Length > 0 ? ", " : string.Empty).Append("column ").Append(column);
        }

        return text.Length > 0 ? text.Append(": ").Append(problem).ToString() : problem;
    }
}
