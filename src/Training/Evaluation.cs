namespace Backprop.Training;

/// <summary>Mean cross-entropy and accuracy of a network over labelled rows.</summary>
/// <param name="Loss">Mean categorical cross-entropy over the rows.</param>
/// <param name="Accuracy">Fraction of rows whose most probable class is the label, in [0, 1].</param>
/// <param name="Count">Number of rows evaluated.</param>
public readonly record struct Evaluation(double Loss, double Accuracy, int Count);
