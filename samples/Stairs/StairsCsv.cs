using System.Globalization;

namespace Backprop.Samples.Stairs;

/// <summary>
/// Just enough CSV for data/stairs: a fixed header, then <c>ImageId,R1C1,R1C2,R2C1,R2C2,IsStairs</c>
/// rows of integers. Class 0 is "stairs" (IsStairs = 1), class 1 is "not stairs", as in the
/// textbook's output columns.
/// </summary>
internal static class StairsCsv
{
    public const string Header = "ImageId,R1C1,R1C2,R2C1,R2C2,IsStairs";

    public static (T[] Pixels, int[] Classes) Read<T>(string path)
        where T : System.Numerics.INumberBase<T>
    {
        using var reader = new StreamReader(path);
        string? header = reader.ReadLine();
        if (header != Header)
        {
            throw new InvalidDataException($"{path}: expected the header '{Header}', got '{header}'.");
        }

        var pixels = new List<T>();
        var classes = new List<int>();
        int lineNumber = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            string[] cells = line.Split(',');
            if (cells.Length != 6)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: expected 6 cells, got {cells.Length}.");
            }

            for (int c = 1; c <= 4; c++)
            {
                pixels.Add(T.CreateChecked(int.Parse(cells[c], NumberStyles.None, CultureInfo.InvariantCulture)));
            }

            classes.Add(cells[5] switch
            {
                "1" => 0,
                "0" => 1,
                _ => throw new InvalidDataException($"{path}:{lineNumber}: IsStairs must be 0 or 1, got '{cells[5]}'."),
            });
        }

        return ([.. pixels], [.. classes]);
    }
}
