using Backprop.Kernels;
using Backprop.Properties.Support;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;

namespace Backprop.Properties.Training;

public class ClassificationMetricsProperties
{
    /// <summary>Five rows worked by hand: confusion [[1,1,0],[0,2,0],[1,0,0]].</summary>
    [Fact]
    public void AHandWorkedExample()
    {
        var m = new ClassificationMetrics(3);
        Assert.True(double.IsNaN(m.Accuracy));
        m.Add([0, 0, 1, 1, 2], [0, 1, 1, 1, 0]);
        Assert.Equal<long>([1, 1, 0, 0, 2, 0, 1, 0, 0], m.ConfusionMatrix.ToArray());
        Assert.Equal(5, m.Count);
        Assert.Equal(3, m.Correct);
        Assert.Equal(0.6, m.Accuracy);
        Assert.Equal(0.5, m.Precision(0));
        Assert.Equal(0.5, m.Recall(0));
        Assert.Equal(2.0 / 3, m.Precision(1));
        Assert.Equal(1.0, m.Recall(1));
        Assert.True(double.IsNaN(m.Precision(2)));
        Assert.Equal(0.0, m.Recall(2));
        Assert.Equal(0.5, m.F1(0));
        Assert.Equal(0.8, m.F1(1), 1e-15);
        Assert.Equal(0.0, m.F1(2));
        Assert.Equal((0.5 + 0.8 + 0) / 3, m.MacroF1, 1e-15);
        Assert.Equal((0.5 + (2.0 / 3) + 0) / 3, m.MacroPrecision, 1e-15);
        Assert.Equal((0.5 + 1 + 0) / 3, m.MacroRecall, 1e-15);
        Assert.True(double.IsNaN(m.LogLoss));
        Assert.Equal(2, m.Support(1));
        Assert.Equal(3, m.PredictedCount(1));

        // Probabilities: −ln of the label's probability, the floor for a 0.
        m.Reset();
        Assert.Equal(0, m.Count);
        m.Add<double>([0, 2], new ReadOnlyMatrixSpan<double>([0.5, 0.25, 0.25, 1, 0, 0], 2, 3));
        Assert.Equal((-Math.Log(0.5) - Math.Log(ClassificationMetrics.ProbabilityFloor)) / 2, m.LogLoss, 1e-15);
        Assert.Equal(1, m.Confusion(2, 0));
    }

    /// <summary>Random labels and predictions added in random batches equal counts made directly.</summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(7, 3)]
    [InlineData(40, 4)]
    public void BatchesAddUpToTheCountsOfTheWhole(int classes, int seed)
    {
        var random = new Random(seed);
        int n = 500;
        int[] labels = [.. Enumerable.Range(0, n).Select(_ => random.Next(classes))];
        int[] predicted = [.. labels.Select(l => random.NextDouble() < 0.6 ? l : random.Next(classes))];
        var m = new ClassificationMetrics(classes);
        for (int start = 0; start < n;)
        {
            int count = Math.Min(n - start, random.Next(0, 60));
            m.Add(labels.AsSpan(start, count), predicted.AsSpan(start, count));
            start += count;
        }

        Assert.Equal(n, m.Count);
        Assert.Equal(Enumerable.Range(0, n).Count(i => labels[i] == predicted[i]) / (double)n, m.Accuracy);
        for (int a = 0; a < classes; a++)
        {
            for (int p = 0; p < classes; p++)
            {
                Assert.Equal(Enumerable.Range(0, n).Count(i => labels[i] == a && predicted[i] == p), m.Confusion(a, p));
            }

            int tp = Enumerable.Range(0, n).Count(i => labels[i] == a && predicted[i] == a);
            int support = labels.Count(l => l == a), guessed = predicted.Count(l => l == a);
            Assert.Equal(guessed == 0 ? double.NaN : (double)tp / guessed, m.Precision(a));
            Assert.Equal(support == 0 ? double.NaN : (double)tp / support, m.Recall(a));
        }
    }

    [Fact]
    public void BadArgumentsAreNamedAndCountNothing()
    {
        var m = new ClassificationMetrics(3);
        Assert.Equal("predicted", Assert.Throws<ArgumentException>(() => m.Add([0, 1], [0])).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => m.Add([0, 3], [0, 1])).ParamName);
        Assert.Equal("predicted", Assert.Throws<ArgumentOutOfRangeException>(() => m.Add([0, 1], [0, -1])).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => m.Add<float>([0], new ReadOnlyMatrixSpan<float>([0.5f, float.NaN, 0.5f], 1, 3))).ParamName);
        Assert.Equal(0, m.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClassificationMetrics(0));
        Assert.False(new ClassificationMetrics(ClassificationMetrics.MaxConfusionClasses + 1).HasConfusionMatrix);
    }

    /// <summary>A model's metrics over raw rows: the log-loss equals the reference cross-entropy on the scaled rows (double), the confusion matrix the model's own classes; 0 B per call.</summary>
    [Fact]
    public void ModelEvaluationMatchesTheReferenceAndAllocatesNothing()
    {
        var shape = new NetworkShape([7, 12, 4], HiddenActivation.Sigmoid);
        var network = new Network<double>(shape, 9);
        (double[] x, int[] y) = TestData.Random<double>(300, 7, 4, 5);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (x[i] * 40) + 1000;
        }

        var scaling = FeatureScaling.Fit(TestData.View(x, 7), ScalingKind.Standardize);
        var model = new TrainedModel<double>(network, scaling);
        var metrics = new ClassificationMetrics(4);
        model.Evaluate(TestData.View(x, 7), y, metrics);

        double[] scaled = (double[])x.Clone();
        model.ScaleInputs(new MatrixSpan<double>(scaled, 300, 7));
        double[,] logits = Reference.PreActivations(Reference.Weights(network), shape.HiddenActivation, TrainerProperties.To2D(scaled, 7))[^1];
        Assert.Equal(Reference.MeanCrossEntropy(logits, y), metrics.LogLoss, 1e-12);
        int[] classes = new int[300];
        model.PredictClasses(TestData.View(x, 7), classes);
        var expected = new ClassificationMetrics(4);
        expected.Add(y, classes);
        Assert.Equal(expected.ConfusionMatrix.ToArray(), metrics.ConfusionMatrix.ToArray());

        var predictor = new Predictor<double>(network, 64);
        var fromPredictor = new ClassificationMetrics(4);
        predictor.Evaluate(TestData.View(scaled, 7), y, fromPredictor);
        Evaluation e = predictor.Evaluate(TestData.View(scaled, 7), y);
        Assert.Equal(e.Loss, fromPredictor.LogLoss, 1e-12);
        Assert.Equal(e.Accuracy, fromPredictor.Accuracy);

        Allocations.AssertNone(() =>
        {
            metrics.Reset();
            model.Evaluate(TestData.View(x, 7), y, metrics);
            predictor.Evaluate(TestData.View(scaled, 7), y, fromPredictor);
            _ = metrics.MacroF1 + metrics.Precision(1) + metrics.LogLoss;
        });
        Assert.Equal("metrics", Assert.Throws<ArgumentException>(() => model.Evaluate(TestData.View(x, 7), y, new ClassificationMetrics(3))).ParamName);
    }
}
