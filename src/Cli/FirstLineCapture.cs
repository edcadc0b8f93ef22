using System.Text;

namespace Backprop.Cli;

/// <summary>
/// A read-only pass-through stream that keeps a copy of the first bytes read (at most
/// <see cref="Cap"/>), so the header line a CSV reader consumed can be looked at afterwards.
/// </summary>
internal sealed class FirstLineCapture(Stream inner) : Stream
{
    /// <summary>The most bytes kept.</summary>
    public const int Cap = 4 << 20;

    private readonly MemoryStream _copy = new();
    private bool _ended;

    /// <summary>Whether the first non-blank line was read whole.</summary>
    public bool Complete => FirstLineOrNull() is not null;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>The first non-blank line (without its line end); empty if there is none.</summary>
    public string FirstLine() => FirstLineOrNull() ?? string.Empty;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        if (n == 0)
        {
            _ended = true;
        }
        else if (_copy.Length < Cap)
        {
            _copy.Write(buffer[..(int)Math.Min(n, Cap - _copy.Length)]);
        }

        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _copy.Dispose();
        }

        base.Dispose(disposing);
    }

    private string? FirstLineOrNull()
    {
        ReadOnlySpan<byte> bytes = _copy.GetBuffer().AsSpan(0, (int)_copy.Length);
        if (bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        while (bytes.Length > 0)
        {
            int end = bytes.IndexOf((byte)'\n');
            if (end < 0 && !(_ended && _copy.Length < Cap))
            {
                return null;
            }

            ReadOnlySpan<byte> line = end < 0 ? bytes : bytes[..end];
            string text = Encoding.UTF8.GetString(line).TrimEnd('\r');
            if (text.Trim().Length > 0)
            {
                return text;
            }

            if (end < 0)
            {
                break;
            }

            bytes = bytes[(end + 1)..];
        }

        return null;
    }
}
