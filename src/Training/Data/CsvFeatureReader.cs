using System.Globalization;
using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training.Data;

/// <summary>Whether a CSV stream starts with a header row.</summary>
public enum HeaderMode
{
    /// <summary>A header if any cell of the first row is not a number.</summary>
    Auto = 0,

    /// <summary>The first row is a header.</summary>
    Present = 1,

    /// <summary>Every row is data.</summary>
    Absent = 2,
}

/// <summary>
/// Reads unlabelled feature rows from a CSV stream in batches, for prediction: with a header, the
/// features are picked by name (so extra columns such as an id or a label are skipped); without one,
/// every row must hold exactly the features (plus the id column, if named by index). Rows are read
/// as they arrive, so it works on a pipe or a terminal.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class CsvFeatureReader<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly CsvRowReader _reader;
    private readonly int _featureCount;
    private readonly IReadOnlyList<string> _featureNames;
    private readonly HeaderMode _headerMode;
    private readonly string? _idColumn;
    private int[]? _featureColumns;
    private long[] _batchLines = [];
    private int _idIndex = -1;
    private int _columns;
    private bool _pending;
    private int _batchRows;
    private bool _started;

    /// <summary>Creates a reader.</summary>
    /// <param name="stream">UTF-8 CSV.</param>
    /// <param name="featureCount">Features per row.</param>
    /// <param name="featureNames">The features' names (used to pick columns when there is a header), or null/empty.</param>
    /// <param name="sourceName">Name used in messages.</param>
    /// <param name="header">Whether the stream starts with a header.</param>
    /// <param name="idColumn">A column to pass through with each row (by header name or 0-based index), or null.</param>
    /// <param name="delimiter">The cell delimiter.</param>
    /// <param name="leaveOpen">Whether to leave <paramref name="stream"/> open on dispose.</param>
    public CsvFeatureReader(Stream stream, int featureCount, IReadOnlyList<string>? featureNames = null, string sourceName = "input", HeaderMode header = HeaderMode.Auto, string? idColumn = null, char delimiter = ',', bool leaveOpen = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ElementType.RequireSupported<T>();
        _reader = new CsvRowReader(stream, sourceName, delimiter, leaveOpen);
        _featureCount = featureCount;
        _featureNames = featureNames ?? [];
        _headerMode = header;
        _idColumn = idColumn;
    }

    /// <summary>Whether the stream turned out to have a header (known after the first <see cref="ReadBatch"/>).</summary>
    public bool HasHeader { get; private set; }

    /// <summary>1-based line number of the last row read.</summary>
    public long LineNumber => _reader.LineNumber;

    /// <summary>The 1-based line of each row the last <see cref="ReadBatch"/> returned (for <see cref="FeatureScaling.Apply{T}(MatrixSpan{T}, string?, ReadOnlySpan{long}, IReadOnlyList{string}?)"/>'s messages).</summary>
    public ReadOnlySpan<long> BatchLines => _batchLines.AsSpan(0, _batchRows);

    /// <summary>The file name (or "standard input") used in messages.</summary>
    public string SourceName => _reader.SourceName;

    /// <summary>Reads up to <c>destination.Rows</c> rows of raw (unscaled) features.</summary>
    /// <param name="destination">Where the rows go; its column count must be the feature count.</param>
    /// <param name="ids">If not null, receives the id column's text of each row read (cleared first).</param>
    /// <returns>Rows read; 0 at the end of the stream.</returns>
    /// <exception cref="DataFormatException">A row of the wrong length, a bad number, or a header without the model's features.</exception>
    public int ReadBatch(MatrixSpan<T> destination, IList<string>? ids = null)
    {
        if (destination.Columns != _featureCount)
        {
            throw new ArgumentException($"Expected {_featureCount} columns, got {destination.Columns}.", nameof(destination));
        }

        ids?.Clear();
        _batchRows = 0;
        if (_batchLines.Length < destination.Rows)
        {
            _batchLines = new long[destination.Rows];
        }

        if (!_started)
        {
            _started = true;
            if (!_reader.ReadRow())
            {
                return 0;
            }

            Start();
        }

        int rows = 0;
        while (rows < destination.Rows && (_pending || _reader.ReadRow()))
        {
            _pending = false;
            if (_reader.CellCount != _columns)
            {
                throw _reader.RowError(string.Create(CultureInfo.InvariantCulture, $"the row has {_reader.CellCount} cells; {(HasHeader ? $"the header has {_columns}" : $"expected {_columns} ({Expectation()})")}."));
            }

            Span<T> row = destination.Row(rows);
            int[] columns = _featureColumns!;
            for (int f = 0; f < columns.Length; f++)
            {
                row[f] = _reader.ParseNumber<T>(columns[f]);
            }

            ids?.Add(_idIndex >= 0 ? _reader.CellString(_idIndex) : string.Empty);
            _batchLines[rows] = _reader.LineNumber;
            rows++;
            _batchRows = rows;
        }

        return rows;
    }

    /// <inheritdoc/>
    public void Dispose() => _reader.Dispose();

    private string Expectation() => _idIndex >= 0 ? $"{_featureCount} features and the id" : $"{_featureCount} features";

    private void Start()
    {
        int cells = _reader.CellCount;
        HasHeader = _headerMode switch
        {
            HeaderMode.Present => true,
            HeaderMode.Absent => false,
            _ => Enumerable.Range(0, cells).Any(c => !CsvRowReader.TryParseInteger(_reader.Cell(c), out _) && !double.TryParse(_reader.Cell(c), NumberStyles.Float, CultureInfo.InvariantCulture, out _)),
        };
        _columns = cells;
        string[] names = new string[cells];
        for (int c = 0; c < cells; c++)
        {
            names[c] = HasHeader ? _reader.CellString(c) : c.ToString(CultureInfo.InvariantCulture);
        }

        if (_idColumn is not null)
        {
            _idIndex = CsvLoader.ResolveColumn(_idColumn, names, _reader.SourceName, "id");
        }

        if (HasHeader)
        {
            _reader.ColumnNames = names;
            _reader.RequireDistinct(names);
            if (_featureNames.Count == _featureCount && _featureNames.All(n => Array.IndexOf(names, n) >= 0))
            {
                _featureColumns = [.. _featureNames.Select(n => Array.IndexOf(names, n))];
                return;
            }

            int[] rest = [.. Enumerable.Range(0, cells).Where(c => c != _idIndex)];
            if (rest.Length == _featureCount)
            {
                _featureColumns = rest;
                return;
            }

            string missing = string.Join(", ", _featureNames.Where(n => Array.IndexOf(names, n) < 0).Take(5).Select(n => CsvRowReader.Excerpt(n)));
            throw new DataFormatException(
                _featureNames.Count == _featureCount
                    ? $"the header lacks the model's feature column(s) {missing}{(_featureNames.Count(n => Array.IndexOf(names, n) < 0) > 5 ? ", …" : string.Empty)}, and its other {rest.Length} columns are not the {_featureCount} features either."
                    : $"the header has {rest.Length} columns besides the id; the model takes {_featureCount} features.",
                _reader.SourceName,
                _reader.LineNumber,
                null);
        }

        _featureColumns = [.. Enumerable.Range(0, cells).Where(c => c != _idIndex)];
        if (_featureColumns.Length != _featureCount)
        {
            throw _reader.RowError($"the row has {cells} cells; expected {_featureCount + (_idIndex >= 0 ? 1 : 0)} ({Expectation()}). A header row naming the columns lets extra columns be skipped.");
        }

        _pending = true;
    }
}
