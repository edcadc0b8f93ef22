using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Backprop.Training.Data;

/// <summary>
/// Splits a UTF-8 CSV stream into rows and cells without allocating per row: the stream is read in
/// chunks into one pooled buffer, each line is cut at its line feed (a CR before it is dropped), and
/// the cells are kept as offsets into that buffer until the next row is read.
/// </summary>
/// <remarks>
/// Dialect: one delimiter byte (comma by default); a cell may be quoted with <c>"</c>, in which case
/// it may hold the delimiter and doubled quotes; a quoted cell may not span lines. Blank lines are
/// skipped; a UTF-8 byte-order mark is skipped. Lines are numbered from 1 as a text editor would.
/// A line may hold at most <see cref="CsvLoader.MaxLineBytes"/> bytes and <see cref="CsvLoader.MaxColumns"/>
/// cells: past either, reading stops with an error before anything larger is allocated.
/// </remarks>
internal sealed class CsvRowReader : IDisposable
{
    /// <summary>The longest excerpt of a cell or name quoted in a message, in characters (an ellipsis marks a cut).</summary>
    internal const int ExcerptLength = 40;

    private const int InitialBufferSize = 1 << 20;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte _delimiter;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _endOfStream;
    private bool _first = true;
    private int _lineStart;
    private int _lineLength;
    private int[] _cellStart = new int[64];
    private int[] _cellLength = new int[64];
    private bool[] _cellEscaped = new bool[64];
    private char[] _chars = new char[256];

    public CsvRowReader(Stream stream, string sourceName, char delimiter = ',', bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (delimiter is '"' or '\r' or '\n' or > (char)127)
        {
            throw new ArgumentOutOfRangeException(nameof(delimiter), delimiter, "The delimiter must be an ASCII character other than a quote or a line break.");
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
        _delimiter = (byte)delimiter;
        SourceName = sourceName;
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    }

    /// <summary>The file name (or "standard input") used in messages.</summary>
    public string SourceName { get; }

    /// <summary>1-based line number of the current row.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Bytes of the current line including its line break (for estimating how many rows a file holds).</summary>
    public int LineBytes => _lineLength + 1;

    /// <summary>Number of cells in the current row.</summary>
    public int CellCount { get; private set; }

    /// <summary>Names of the columns, once the caller has read a header (used in messages).</summary>
    public IReadOnlyList<string>? ColumnNames { get; set; }

    /// <summary>The raw bytes of cell <paramref name="index"/> (inside the quotes if quoted, doubled quotes not undone).</summary>
    public ReadOnlySpan<byte> Cell(int index) => _buffer.AsSpan(_lineStart + _cellStart[index], _cellLength[index]);

    /// <summary>Reads the next non-blank row.</summary>
    /// <returns>False at the end of the stream.</returns>
    /// <exception cref="DataFormatException">An unterminated quote or text after a closing quote.</exception>
    public bool ReadRow()
    {
        while (true)
        {
            if (!NextLine())
            {
                return false;
            }

            ReadOnlySpan<byte> line = _buffer.AsSpan(_lineStart, _lineLength);
            if (line.Length > 0 && line[^1] == (byte)'\r')
            {
                _lineLength--;
                line = line[..^1];
            }

            if (line.Length == 0 || line.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0)
            {
                continue;
            }

            Tokenize(line);
            return true;
        }
    }

    /// <summary>Cell <paramref name="index"/> as a string: unquoted, doubled quotes undone, surrounding blanks trimmed.</summary>
    /// <exception cref="DataFormatException">The cell is not valid UTF-8.</exception>
    public string CellString(int index)
    {
        ReadOnlySpan<char> chars = CellChars(index);
        return chars.Length == 0 ? string.Empty : new string(chars);
    }

    /// <summary>Cell <paramref name="index"/> decoded into a scratch buffer that the next call overwrites; trimmed and unescaped like <see cref="CellString"/>.</summary>
    /// <exception cref="DataFormatException">The cell is not valid UTF-8.</exception>
    public ReadOnlySpan<char> CellChars(int index)
    {
        ReadOnlySpan<byte> bytes = Cell(index);
        if (_chars.Length < bytes.Length)
        {
            _chars = new char[Math.Max(bytes.Length, _chars.Length * 2)];
        }

        int count;
        try
        {
            count = StrictUtf8.GetChars(bytes, _chars);
        }
        catch (DecoderFallbackException)
        {
            throw Error("the cell is not valid UTF-8 text.", index);
        }

        Span<char> chars = _chars.AsSpan(0, count);
        if (_cellEscaped[index])
        {
            int w = 0;
            for (int r = 0; r < chars.Length; r++, w++)
            {
                chars[w] = chars[r];
                if (chars[r] == '"')
                {
                    r++; // skip the second quote of the pair
                }
            }

            chars = chars[..w];
        }

        return chars.Trim();
    }

    /// <summary>Parses cell <paramref name="index"/> as a finite number of type <typeparamref name="T"/>.</summary>
    /// <exception cref="DataFormatException">The cell is empty, not a number, NaN or infinite, or out of the range of <typeparamref name="T"/>.</exception>
    public T ParseNumber<T>(int index)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<byte> cell = Cell(index);
        if (TryParseInteger(cell, out double integer))
        {
            return T.CreateTruncating(integer);
        }

        // .NET's parser ignores trailing NUL characters ("1\0" would read as 1): refuse them here.
        if (cell.Contains((byte)0))
        {
            throw Error($"'{Shown(index)}' is not a number (it holds a NUL byte).", index);
        }

        if (T.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out T value) && T.IsFinite(value))
        {
            return value;
        }

        throw NumberError<T>(index);
    }

    /// <summary>An exception for cell <paramref name="index"/> of the current row.</summary>
    public DataFormatException Error(string problem, int index)
    {
        string column = ColumnNames is { } names && index < names.Count
            ? string.Create(CultureInfo.InvariantCulture, $"{index + 1} ('{Excerpt(names[index])}')")
            : (index + 1).ToString(CultureInfo.InvariantCulture);
        return new DataFormatException(problem, SourceName, LineNumber, column);
    }

    /// <summary>An exception for the current row as a whole.</summary>
    public DataFormatException RowError(string problem) => new(problem, SourceName, LineNumber, null);

    /// <summary>The first <see cref="ExcerptLength"/> characters of a cell, for messages (control characters shown as <c>\0</c>, <c>\x01</c>…).</summary>
    public string Shown(int index)
    {
        ReadOnlySpan<byte> cell = Cell(index);
        string text = Encoding.UTF8.GetString(cell[..Math.Min(cell.Length, 4 * ExcerptLength)]).Trim();
        return Excerpt(text, cut: cell.Length > 4 * ExcerptLength);
    }

    /// <summary>At most <see cref="ExcerptLength"/> characters of <paramref name="text"/>, control characters escaped, "…" where it is cut.</summary>
    internal static string Excerpt(ReadOnlySpan<char> text, bool cut = false)
    {
        var shown = new StringBuilder();
        foreach (char c in text)
        {
            if (shown.Length >= ExcerptLength)
            {
                cut = true;
                break;
            }

            shown.Append(c == '\0' ? "\\0" : char.IsControl(c) ? $"\\x{(int)c:X2}" : c.ToString());
        }

        return cut ? shown.Append('…').ToString() : shown.ToString();
    }

    /// <summary>Refuses a header that names two columns alike (a later lookup by name would read the wrong one), naming both.</summary>
    /// <exception cref="DataFormatException">Two names are equal.</exception>
    public void RequireDistinct(IReadOnlyList<string> names)
    {
        var seen = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        for (int c = 0; c < names.Count; c++)
        {
            if (!seen.TryAdd(names[c], c))
            {
                throw RowError(string.Create(CultureInfo.InvariantCulture, $"columns {seen[names[c]] + 1} and {c + 1} are both named '{Excerpt(names[c])}'; header names must be distinct."));
            }
        }
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    /// <summary>Exact integers of up to 15 digits (the bulk of real files: pixels, counts, ids) without the general parser.</summary>
    internal static bool TryParseInteger(ReadOnlySpan<byte> cell, out double value)
    {
        int i = 0;
        bool negative = false;
        if (cell.Length > 0 && (cell[0] == (byte)'-' || cell[0] == (byte)'+'))
        {
            negative = cell[0] == (byte)'-';
            i = 1;
        }

        int digits = cell.Length - i;
        if (digits is < 1 or > 15)
        {
            value = 0;
            return false;
        }

        long v = 0;
        for (; i < cell.Length; i++)
        {
            uint d = (uint)(cell[i] - '0');
            if (d > 9)
            {
                value = 0;
                return false;
            }

            v = (v * 10) + d;
        }

        value = negative ? -(double)v : v;
        return true;
    }

    private DataFormatException NumberError<T>(int index)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string shown = Shown(index);
        if (shown.Length == 0)
        {
            return Error("the cell is empty; expected a number.", index);
        }

        if (double.TryParse(Cell(index), NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            return double.IsNaN(d)
                ? Error($"'{shown}' is NaN; the data must be finite numbers.", index)
                : double.IsInfinity(d)
                    ? Error($"'{shown}' is infinite (or too large for a double); the data must be finite numbers.", index)
                    : Error($"'{shown}' is out of the range of {(typeof(T) == typeof(float) ? "float" : "double")}.", index);
        }

        return Error($"'{shown}' is not a number.", index);
    }

    private bool NextLine()
    {
        int scan = _start;
        while (true)
        {
            int newline = _buffer.AsSpan(scan, _end - scan).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                TakeLine(_start, scan + newline - _start, scan + newline + 1);
                return true;
            }

            scan = _end;
            if (_endOfStream)
            {
                if (_start == _end)
                {
                    return false;
                }

                TakeLine(_start, _end - _start, _end);
                return true;
            }

            int pending = _end - _start;
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
                scan -= _start;
                _start = 0;
                _end = pending;
            }

            if (_end == _buffer.Length)
            {
                if (pending >= CsvLoader.MaxLineBytes)
                {
                    throw new DataFormatException(string.Create(CultureInfo.InvariantCulture, $"the line is longer than {CsvLoader.MaxLineBytes / (1 << 20)} MiB, the most a CSV line may hold."), SourceName, LineNumber + 1, null);
                }

                byte[] larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }

            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _endOfStream = true;
            }

            _end += read;
        }
    }

    private void TakeLine(int start, int length, int next)
    {
        _lineStart = start;
        _lineLength = length;
        _start = next;
        LineNumber++;
        if (_first)
        {
            _first = false;
            if (_buffer.AsSpan(start, length).StartsWith("\uFEFF"u8))
            {
                _lineStart += 3;
                _lineLength -= 3;
            }
        }
    }

    private void Tokenize(ReadOnlySpan<byte> line)
    {
        int count = 0;
        int pos = 0;
        while (true)
        {
            if (count == CsvLoader.MaxColumns)
            {
                CellCount = count;
                throw RowError(string.Create(CultureInfo.InvariantCulture, $"the row has more than {CsvLoader.MaxColumns:N0} cells, the most a CSV row may hold."));
            }

            if (count == _cellStart.Length)
            {
                Array.Resize(ref _cellStart, count * 2);
                Array.Resize(ref _cellLength, count * 2);
                Array.Resize(ref _cellEscaped, count * 2);
            }

            int end;
            int lead = pos;
            while (lead < line.Length && line[lead] == (byte)' ')
            {
                lead++;
            }

            if (lead < line.Length && line[lead] == (byte)'"')
            {
                int i = lead + 1;
                bool escaped = false;
                while (true)
                {
                    int q = i < line.Length ? line[i..].IndexOf((byte)'"') : -1;
                    if (q < 0)
                    {
                        CellCount = count;
                        throw RowError("a quoted cell has no closing quote (quoted cells may not span lines).");
                    }

                    q += i;
                    if (q + 1 < line.Length && line[q + 1] == (byte)'"')
                    {
                        escaped = true;
                        i = q + 2;
                        continue;
                    }

                    _cellStart[count] = lead + 1;
                    _cellLength[count] = q - lead - 1;
                    _cellEscaped[count] = escaped;
                    end = q + 1;
                    while (end < line.Length && line[end] == (byte)' ')
                    {
                        end++;
                    }

                    if (end < line.Length && line[end] != _delimiter)
                    {
                        CellCount = count;
                        throw RowError($"unexpected text after the closing quote of cell {count + 1}.");
                    }

                    break;
                }
            }
            else
            {
                int d = line[pos..].IndexOf(_delimiter);
                end = d < 0 ? line.Length : pos + d;
                _cellStart[count] = pos;
                _cellLength[count] = end - pos;
                _cellEscaped[count] = false;
            }

            count++;
            if (end >= line.Length)
            {
                break;
            }

            pos = end + 1;
        }

        CellCount = count;
    }
}
