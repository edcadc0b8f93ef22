using System.Globalization;
using System.Numerics;

namespace Backprop.Training.Data;

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT licence): 28×28 grey-scale images of clothing in 10 classes,
/// 60 000 for training and 10 000 for testing, as installed by the Debian package
/// <c>dataset-fashion-mnist</c> in <see cref="DefaultDirectory"/> (IDX files, gzip-compressed).
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>An environment variable that, when set, overrides <see cref="DefaultDirectory"/>.</summary>
    public const string DirectoryVariable = "BACKPROP_FASHION_MNIST";

    /// <summary>The command that installs the data set.</summary>
    public const string InstallCommand = "sudo apt-get install dataset-fashion-mnist";

    private static readonly string[] FileNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Pixels per image.</summary>
    public const int Features = 28 * 28;

    /// <summary>The most images (and labels) a split may hold: 70,000, the whole data set. A header claiming more is refused before any data are decompressed.</summary>
    public const int MaxItems = 70_000;

    /// <summary>The ten class names, in label order 0–9.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The feature names, <c>pixel1</c> to <c>pixel784</c> (as in the common CSV export, so a model trained here reads such a CSV by name).</summary>
    public static IReadOnlyList<string> FeatureNames { get; } =
        [.. Enumerable.Range(1, Features).Select(i => "pixel" + i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>The directory to read: <paramref name="directory"/> if given, else <see cref="DirectoryVariable"/> if set, else <see cref="DefaultDirectory"/>.</summary>
    /// <param name="directory">An explicit directory, or null.</param>
    /// <returns>The directory.</returns>
    public static string ResolveDirectory(string? directory = null) =>
        directory ?? (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultDirectory);

    /// <summary>Whether the four files are present.</summary>
    /// <param name="directory">The directory, or null for <see cref="ResolveDirectory"/>.</param>
    /// <returns>True when every file exists (compressed or not).</returns>
    public static bool IsInstalled(string? directory = null)
    {
        string dir = ResolveDirectory(directory);
        return FileNames.All(name => Find(dir, name) is not null);
    }

    /// <summary>Loads the training or the test split.</summary>
    /// <typeparam name="T">float or double; pixels are 0–255, unscaled.</typeparam>
    /// <param name="train">True for the 60 000 training images, false for the 10 000 test images.</param>
    /// <param name="directory">The directory, or null for <see cref="ResolveDirectory"/>.</param>
    /// <param name="maxRows">Keep only the first this many rows.</param>
    /// <returns>The data, with <see cref="ClassNames"/> and labels "0"–"9".</returns>
    /// <exception cref="FileNotFoundException">The data set is not installed (the message says how to install it).</exception>
    /// <exception cref="DataFormatException">A file is malformed, or images and labels disagree.</exception>
    public static LabeledData<T> Load<T>(bool train, string? directory = null, int maxRows = int.MaxValue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        string dir = ResolveDirectory(directory);
        string prefix = train ? "train" : "t10k";
        string imagesPath = Require(dir, prefix + "-images-idx3-ubyte");
        string labelsPath = Require(dir, prefix + "-labels-idx1-ubyte");

        // The shapes are checked on the (decompressed) headers, before the data are read: a small gzip
        // file that claims, or inflates to, more than the data set holds costs its header's bytes.
        IdxArray<T> images = IdxFile.Load<T>(imagesPath, (long)MaxItems * Features, dims =>
            dims is [> 0 and <= MaxItems, 28, 28] ? null : string.Create(CultureInfo.InvariantCulture, $"expected images of shape (n, 28, 28) with n ≤ {MaxItems:N0}, got ({string.Join(", ", dims)})."));
        int n = images.Dimensions[0];
        IdxArray<int> labels = IdxFile.Load<int>(labelsPath, MaxItems, dims =>
            dims is [var count] && count == n ? null : string.Create(CultureInfo.InvariantCulture, $"expected {n} labels (one per image), got shape ({string.Join(", ", dims)})."));

        for (int i = 0; i < labels.Values.Length; i++)
        {
            if ((uint)labels.Values[i] >= 10)
            {
                throw new DataFormatException($"label {i} is {labels.Values[i]}; expected 0 to 9.", labelsPath, 0, null);
            }
        }

        int rows = Math.Min(maxRows, labels.Values.Length);
        string[] classLabels = [.. Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture))];
        return new LabeledData<T>(images.Values.AsMemory(0, rows * Features), labels.Values.AsMemory(0, rows), FeatureNames, classLabels, ClassNames, $"fashion-mnist {(train ? "train" : "test")}");
    }

    private static string Require(string directory, string name) =>
        Find(directory, name) ?? throw new FileNotFoundException(
            $"Fashion-MNIST is not installed: {Path.Combine(directory, name)}.gz not found. Install it with: {InstallCommand} (or point {DirectoryVariable} at a folder with the four IDX files).",
            Path.Combine(directory, name + ".gz"));

    private static string? Find(string directory, string name)
    {
        string gz = Path.Combine(directory, name + ".gz");
        if (File.Exists(gz))
        {
            return gz;
        }

        string plain = Path.Combine(directory, name);
        return File.Exists(plain) ? plain : null;
    }
}
