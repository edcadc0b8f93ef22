namespace Backprop.Training.Persistence;

/// <summary>The answer of <see cref="TrainedModel{T}.Predict(System.ReadOnlySpan{T})"/> for one row.</summary>
/// <param name="ClassIndex">The most probable class (the first on ties), in [0, outputs).</param>
/// <param name="ClassName">Its display name (<see cref="TrainedModel.ClassNames"/>; the model's own string, not a copy).</param>
/// <param name="Probability">Its probability under the softmax, in (0, 1].</param>
public readonly record struct Prediction(int ClassIndex, string ClassName, double Probability);
