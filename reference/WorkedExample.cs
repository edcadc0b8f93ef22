namespace Backprop.Reference;

/// <summary>
/// The worked example (the GormAnalysis article "Neural Networks – A Worked Example"): a 4-2-2
/// sigmoid network on data/stairs, and its initial weights in augmented form with the bias in the
/// first row. With them, training on the stairs data reproduces the article's run (initial loss
/// 0.6935, test accuracy in the article's range). The CLI's <c>train</c>, the sample and the tests
/// all start from these.
/// </summary>
public static class WorkedExample
{
    /// <summary>Layer sizes: 4 pixels, 2 hidden sigmoid units, 2 classes (stairs, not stairs).</summary>
    public static ReadOnlySpan<int> LayerSizes => [4, 2, 2];

    /// <summary>W1, 5×2 (bias row, then the 4 inputs p1…p4).</summary>
    public static ReadOnlySpan<double> W1 =>
    [
        -0.004689826737158001, 0.007967793699353935,
        -0.0025575220072641966, 0.00889350537210703,
        0.0014570672670379276, 0.0032159558497369296,
        0.008164155799895526, 0.00258228087797761,
        -0.005966361379250884, -0.008764274590648711,
    ];

    /// <summary>W2, 3×2 (bias row, then the 2 hidden units).</summary>
    public static ReadOnlySpan<double> W2 =>
    [
        -0.005880508502013981, -0.00231792563572526,
        -0.006468864949420094, 0.0053968283999711285,
        0.0037404569331556566, -4.6015158295631756e-05,
    ];
}
