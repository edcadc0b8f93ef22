using System.Globalization;
using System.Numerics;

namespace Backprop.Training.Data;

/// <summary>
/// Loads labelled CSV files: a header, numeric feature columns, and a label column whose values may
/// be any text (class names are kept). Parses spans of a pooled buffer, with a fast path for integer
/// cells, so a 60 000 × 784 file loads in about a second.
/// </summary>
/// <remarks>
/// Every problem is a <see cref="DataFormatException"/> that names the file, the 1-based line and the
/// column: a row with the wrong number of cells, an empty, non-numeric, NaN or infinite feature, a
/// label outside <see cref="CsvOptions.ClassLabels"/>, an unknown column name, two header columns of
/// the same name, a header name or label longer than a model file can store
/// (<see cref="Persistence.TrainedModel.MaxStringBytes"/> UTF-8 bytes), a line over
/// <see cref="MaxLineBytes"/> or a row over <see cref="MaxColumns"/> cells, or a file with no rows or
/// fewer than two classes. Messages quote at most 40 characters of a cell or name.
/// </remarks>
public static class CsvLoader
{
    /// <summary>The most cells a CSV row (the header included) may hold: 1,048,576. Past it, reading stops before more is allocated (a 10 MB header of commas costs about 30 MiB, not 700).</summary>
    public const int MaxColumns = 1 << 20;

    /// <summary>The most bytes a CSV line may hold, its line break excluded: 16 MiB. A longer line is an error before a larger buffer is allocated.</summary>
    public const int MaxLineBytes = 16 << 20;

    private const int Ignored = -2;
    private const int LabelRole = -1;

    /// <summary>Loads a labelled CSV file.</summary>
    /// <typeparam name="T">The feature type, float or double.</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="options">How to read it; null for the defaults (header, last column is the label).</param>
    /// <returns>The data.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The content is wrong (the message says where and what).</exception>
    public static LabeledData<T> Load<T>(string path, CsvOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(path);
        using FileStream stream = OpenRead(path);
        return Read<T>(stream, options, path);
    }

    /// <summary>Reads a labelled CSV stream (UTF-8) to its end.</summary>
    /// <typeparam name="T">The feature type, float or double.</typeparam>
    /// <param name="stream">The stream; left open.</param>
    /// <param name="options">How to read it; null for the defaults.</param>
    /// <param name="sourceName">Name used in messages.</param>
    /// <returns>The data.</returns>
    /// <exception cref="DataFormatException">The content is wrong.</exception>
    public static LabeledData<T> Read<T>(Stream stream, CsvOptions? options = null, string sourceName = "input")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new CsvOptions();
        ElementType.RequireSupported<T>();
        using var reader = new CsvRowReader(stream, sourceName, options.Delimiter, leaveOpen: true);
        if (!reader.ReadRow())
        {
            throw new DataFormatException("the file is empty.", sourceName, 0, null);
        }

        int columns = reader.CellCount;
        string[] names = new string[columns];
        for (int c = 0; c < columns; c++)
        {
            names[c] = options.HasHeader ? reader.CellString(c) : c.ToString(CultureInfo.InvariantCulture);
        }

        reader.ColumnNames = names;
        if (options.HasHeader)
        {
            reader.RequireDistinct(names);
            for (int c = 0; c < columns; c++)
            {
                if (System.Text.Encoding.UTF8.GetByteCount(names[c]) > Persistence.TrainedModel.MaxStringBytes)
                {
                    throw reader.Error($"the column name is longer than {Persistence.TrainedModel.MaxStringBytes:N0} UTF-8 bytes, the most a model file stores.", c);
                }
            }
        }

        int[] role = AssignRoles(names, options, sourceName, out int labelColumn, out string[] featureNames);
        int featureCount = featureNames.Length;

        var classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var classLabels = new List<string>();
        bool fixedClasses = options.ClassLabels is not null;
        if (fixedClasses)
        {
            foreach (string label in options.ClassLabels!)
            {
                if (!classIndex.TryAdd(label, classLabels.Count))
                {
                    throw new ArgumentException($"Class label '{label}' is listed twice.", nameof(options));
                }

                classLabels.Add(label);
            }
        }

        Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup = classIndex.GetAlternateLookup<ReadOnlySpan<char>>();
        T[] features = [];
        int[] labels = [];
        long[] lines = [];
        int rows = 0;
        bool pending = !options.HasHeader;
        while (rows < options.MaxRows && (pending || reader.ReadRow()))
        {
            pending = false;
            if (reader.CellCount != columns)
            {
                throw reader.RowError(string.Create(CultureInfo.InvariantCulture, $"the row has {reader.CellCount} cells; the {(options.HasHeader ? "header" : "first row")} has {columns}."));
            }

            if (rows == labels.Length)
            {
                long wanted = rows == 0 ? EstimateRows(stream, reader.LineBytes) : rows * 2L;
                int grown = (int)Math.Min(wanted, Array.MaxLength / featureCount);
                if (grown <= rows)
                {
                    throw reader.RowError("too many rows for one array.");
                }

                Array.Resize(ref labels, grown);
                Array.Resize(ref lines, grown);
                Array.Resize(ref features, grown * featureCount);
            }

            Span<T> row = features.AsSpan(rows * featureCount, featureCount);
            for (int c = 0; c < columns; c++)
            {
                int r = role[c];
                if (r >= 0)
                {
                    row[r] = reader.ParseNumber<T>(c);
                }
            }

            ReadOnlySpan<char> label = reader.CellChars(labelColumn);
            if (label.IsEmpty)
            {
                throw reader.Error("the label is empty.", labelColumn);
            }

            if (!lookup.TryGetValue(label, out int cls))
            {
                if (fixedClasses)
                {
                    throw reader.Error($"label '{Shorten(label)}' is not one of the classes ({Columns(classLabels)}).", labelColumn);
                }

                if (System.Text.Encoding.UTF8.GetByteCount(label) > Persistence.TrainedModel.MaxStringBytes)
                {
                    throw reader.Error($"the label '{Shorten(label)}' is longer than {Persistence.TrainedModel.MaxStringBytes:N0} UTF-8 bytes, the most a model file stores.", labelColumn);
                }

                cls = classLabels.Count;
                string text = label.ToString();
                classIndex.Add(text, cls);
                classLabels.Add(text);
            }

            lines[rows] = reader.LineNumber;
            labels[rows++] = cls;
        }

        if (rows == 0)
        {
            throw new DataFormatException("the file has no data rows.", sourceName, 0, null);
        }

        if (classLabels.Count < 2)
        {
            throw new DataFormatException($"every row has the same label ('{Shorten(classLabels[0])}'); a classifier needs at least two classes.", sourceName, 0, string.Create(CultureInfo.InvariantCulture, $"{labelColumn + 1} ('{Shorten(names[labelColumn])}')"));
        }

        string[] orderedLabels = [.. classLabels];
        if (!fixedClasses)
        {
            orderedLabels = SortClasses(classLabels);
            int[] remap = new int[classLabels.Count];
            for (int i = 0; i < orderedLabels.Length; i++)
            {
                remap[classIndex[orderedLabels[i]]] = i;
            }

            for (int i = 0; i < rows; i++)
            {
                labels[i] = remap[labels[i]];
            }
        }

        return new LabeledData<T>(features.AsMemory(0, rows * featureCount), labels.AsMemory(0, rows), featureNames, orderedLabels, options.ClassNames, sourceName, lines.AsMemory(0, rows));
    }

    /// <summary>Opens a file for reading, with one clear message when it is missing.</summary>
    internal static FileStream OpenRead(string path)
    {
        if (Directory.Exists(path))
        {
            throw new FileNotFoundException($"{path} is a directory, not a file.", path);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"File not found: {path}", path);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
    }

    /// <summary>Finds a column by header name, else by 0-based index (negative from the end).</summary>
    internal static int ResolveColumn(string reference, IReadOnlyList<string> names, string sourceName, string what)
    {
        for (int c = 0; c < names.Count; c++)
        {
            if (string.Equals(names[c], reference, StringComparison.Ordinal))
            {
                return c;
            }
        }

        if (int.TryParse(reference, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index))
        {
            int resolved = index < 0 ? names.Count + index : index;
            if ((uint)resolved < (uint)names.Count)
            {
                return resolved;
            }

            throw new DataFormatException($"the {what} column index {index} is out of range: the file has {names.Count} columns (0 to {names.Count - 1}, or −1 for the last).", sourceName, 0, null);
        }

        throw new DataFormatException($"there is no {what} column '{Shorten(reference)}'; the columns are {Columns(names)}.", sourceName, 0, null);
    }

    private static int[] AssignRoles(string[] names, CsvOptions options, string sourceName, out int labelColumn, out string[] featureNames)
    {
        int columns = names.Length;
        labelColumn = options.LabelColumn is null ? columns - 1 : ResolveColumn(options.LabelColumn, names, sourceName, "label");
        int[] role = new int[columns];
        if (options.FeatureColumns is { } wanted)
        {
            role.AsSpan().Fill(Ignored);
            for (int f = 0; f < wanted.Count; f++)
            {
                int c = Array.IndexOf(names, wanted[f]);
                if (c < 0)
                {
                    throw new DataFormatException($"the header has no column '{Shorten(wanted[f])}' (feature {f + 1} of {wanted.Count} expected).", sourceName, 0, null);
                }

                if (c == labelColumn)
                {
                    throw new DataFormatException($"column '{Shorten(wanted[f])}' cannot be both a feature and the label.", sourceName, 0, null);
                }

                role[c] = f;
            }

            role[labelColumn] = LabelRole;
            featureNames = [.. wanted];
            return role;
        }

        foreach (string ignore in options.IgnoreColumns)
        {
            role[ResolveColumn(ignore, names, sourceName, "ignored")] = Ignored;
        }

        if (role[labelColumn] == Ignored)
        {
            throw new DataFormatException($"column '{Shorten(names[labelColumn])}' cannot be both the label and ignored.", sourceName, 0, null);
        }

        role[labelColumn] = LabelRole;
        var features = new List<string>();
        for (int c = 0; c < columns; c++)
        {
            if (role[c] == 0)
            {
                role[c] = features.Count;
                features.Add(names[c]);
            }
        }

        if (features.Count == 0)
        {
            throw new DataFormatException($"no feature columns are left besides the label '{Shorten(names[labelColumn])}'.", sourceName, 0, null);
        }

        featureNames = [.. features];
        return role;
    }

    private static string[] SortClasses(List<string> labels)
    {
        bool integers = labels.TrueForAll(l => long.TryParse(l, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _));
        return integers
            ? [.. labels.OrderBy(l => long.Parse(l, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture))]
            : [.. labels.Order(StringComparer.Ordinal)];
    }

    /// <summary>Rows the stream probably holds, from its length and the first data row's length (with a margin), or a small start when the length is unknown.</summary>
    private static long EstimateRows(Stream stream, int lineBytes)
    {
        try
        {
            if (stream.CanSeek && lineBytes > 0)
            {
                return Math.Max(16, ((stream.Length - stream.Position) / lineBytes * 5 / 4) + 16);
            }
        }
        catch (NotSupportedException)
        {
            // A stream that claims to seek but has no length: grow as we go.
        }

        return 1024;
    }

    private static string Shorten(ReadOnlySpan<char> text) => CsvRowReader.Excerpt(text);

    /// <summary>Up to ten names, each cut to an excerpt, for messages.</summary>
    internal static string Columns(IReadOnlyList<string> names) =>
        names.Count <= 10 ? string.Join(", ", names.Select(n => Shorten(n))) : string.Join(", ", names.Take(8).Select(n => Shorten(n))) + $", … ({names.Count} in all)";
}
