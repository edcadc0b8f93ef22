using System.Globalization;
using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Training;

/// <summary>
/// Trains a <see cref="Network{T}"/>: forward pass, mean cross-entropy, backward pass into the
/// network's gradient buffer, and an optimiser step, over minibatches and epochs. Every buffer
/// (workspace for <see cref="TrainerOptions.BatchSize"/> rows, divergence snapshot) is allocated in
/// the constructor, which also runs one invisible warm-up pass (so the first steps run compiled,
/// cache-warm code); steps, epochs (shuffle, steps, evaluation) and evaluations allocate nothing.
/// Narrow networks train on a tiny-network path (a block of rows at a time in a stack buffer).
/// Deterministic: the same seeds give bit-identical parameters.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>Not thread-safe; a trainer and its network are used by one thread at a time.</para>
/// <para>
/// Large products of a step run on <see cref="TrainerOptions.DegreeOfParallelism"/> threads (the
/// calling thread and workers the trainer starts on first need; dispose the trainer to stop them),
/// or on a caller-owned <see cref="KernelThreads"/> group shared between trainers. The parameters
/// after any number of steps are bit-identical for every degree of parallelism.
/// </para>
/// </remarks>
public sealed class Trainer<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The most parameters for which the warm-up makes a twin of the optimiser (its scratch parameters and state: 3 × this many elements at most, transient).</summary>
    internal const int MaxTwinParameters = 1 << 18;

    private readonly Workspace<T> _workspace;
    private readonly KernelThreads? _threads;
    private readonly bool _ownsThreads;
    private readonly T[] _snapshot;
    private readonly LearningRateSchedule _schedule;
    private readonly double _uniformLoss;
    private readonly Regularization<T>? _regularization;
    private readonly T[]? _best;
    private readonly TinyNetworkStep<T>? _tiny;
    private Rng _shuffler;

    // Set only during the constructor's warm-up: the update goes to these scratch twins instead of the
    // network's parameters and the caller's optimiser (a null optimiser: a custom one, not twinned).
    private T[]? _warmUpParameters;
    private Optimizer<T>? _warmUpOptimizer;
    private double _startLoss = double.NaN;
    private double _divergenceLimit = double.PositiveInfinity;

    /// <summary>Creates a trainer and allocates everything training will use.</summary>
    /// <param name="network">The network to train (its parameters are updated in place).</param>
    /// <param name="optimizer">The update rule, sized for the network's parameter count.</param>
    /// <param name="options">Batch size, epochs, stopping, shuffling and learning rate.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The optimiser is sized for another parameter count.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public Trainer(Network<T> network, Optimizer<T> optimizer, TrainerOptions options)
        : this(network, optimizer, options, null)
    {
    }

    /// <summary>Creates a trainer that runs its large products on a caller-owned thread group (shared, not disposed by the trainer).</summary>
    /// <param name="network">The network to train (its parameters are updated in place).</param>
    /// <param name="optimizer">The update rule, sized for the network's parameter count.</param>
    /// <param name="options">Batch size, epochs, stopping, shuffling and learning rate; <see cref="TrainerOptions.DegreeOfParallelism"/> is ignored when <paramref name="threads"/> is given.</param>
    /// <param name="threads">The thread group, or null for one of <see cref="TrainerOptions.DegreeOfParallelism"/> threads owned by the trainer.</param>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="threads"/> is null.</exception>
    /// <exception cref="ArgumentException">The optimiser is sized for another parameter count.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public Trainer(Network<T> network, Optimizer<T> optimizer, TrainerOptions options, KernelThreads? threads)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(options);
        if (optimizer.ParameterCount != network.Shape.ParameterCount)
        {
            throw new ArgumentException($"The optimiser is sized for {optimizer.ParameterCount} parameters; the network has {network.Shape.ParameterCount}.", nameof(optimizer));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Epochs, 1, nameof(options));
        if (options.DegreeOfParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.DegreeOfParallelism, "DegreeOfParallelism must be at least 1.");
        }

        ArgumentNullException.ThrowIfNull(options.LearningRate, nameof(options));
        if (options.TargetLoss is double target && !double.IsFinite(target))
        {
            throw new ArgumentOutOfRangeException(nameof(options), target, "TargetLoss must be finite.");
        }

        if (!(options.DivergenceFactor > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.DivergenceFactor, "DivergenceFactor must be greater than 1 (PositiveInfinity turns the rule off).");
        }

        if (!(options.LabelSmoothing >= 0 && options.LabelSmoothing < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.LabelSmoothing, "LabelSmoothing must be in [0, 1).");
        }

        if (!(options.DropoutRate >= 0 && options.DropoutRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.DropoutRate, "DropoutRate must be in [0, 1).");
        }

        if (options.EarlyStoppingPatience is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.EarlyStoppingPatience, "EarlyStoppingPatience must be at least 1 (or null for none).");
        }

        Network = network;
        Optimizer = optimizer;
        _uniformLoss = Math.Log(network.Shape.Outputs);
        Options = options;
        _schedule = options.LearningRate;
        _workspace = new Workspace<T>(network.Shape, options.BatchSize, forTraining: true);
        _snapshot = new T[network.Shape.ParameterCount];
        _shuffler = new Rng(options.Seed);
        if (Regularization<T>.IsNeeded(options.LabelSmoothing, options.DropoutRate))
        {
            _regularization = new Regularization<T>(options.LabelSmoothing, options.DropoutRate, options.Seed);
        }

        if (options.EarlyStoppingPatience is not null)
        {
            _best = new T[network.Shape.ParameterCount];
        }

        if (TinyNetworkStep<T>.Supports(network.Shape, options))
        {
            _tiny = new TinyNetworkStep<T>(network.Shape);
            UsesTinyPath = true;
        }

        if (threads is not null)
        {
            _threads = threads;
        }
        else if (options.DegreeOfParallelism > 1)
        {
            _threads = new KernelThreads(options.DegreeOfParallelism);
            _ownsThreads = true;
        }

        WarmUp();
    }

    /// <summary>The most threads a step uses, the calling thread included.</summary>
    public int DegreeOfParallelism => _threads?.DegreeOfParallelism ?? 1;

    /// <summary>The thread group steps run on (tests).</summary>
    internal KernelThreads? Threads => _threads;

    /// <summary>
    /// Whether steps run the tiny-network path (<see cref="TinyNetworkStep{T}"/>), chosen in the
    /// constructor when the network is narrow enough; tests set it to false to force the general path.
    /// </summary>
    internal bool UsesTinyPath
    {
        get;
        set => field = value && _tiny is not null;
    }

    /// <summary>The network being trained.</summary>
    public Network<T> Network { get; }

    /// <summary>The update rule.</summary>
    public Optimizer<T> Optimizer { get; }

    /// <summary>The options the trainer was created with.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The largest batch <see cref="Step"/> accepts (<see cref="TrainerOptions.BatchSize"/>).</summary>
    public int MaxBatchSize => _workspace.MaxBatchSize;

    /// <summary>Epochs completed by <see cref="RunEpoch"/> (or <see cref="Fit"/>) so far.</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>Optimiser steps taken by this trainer so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Mean cross-entropy of the network on one batch (forward pass only; gradients untouched).</summary>
    /// <param name="inputs">1 to <see cref="MaxBatchSize"/> rows of finite features, any stride.</param>
    /// <param name="labels">The class of each row.</param>
    /// <returns>The mean loss.</returns>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ input, too many rows, or labels of the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is out of range.</exception>
    public T ComputeLoss(ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels)
    {
        CheckBatch(inputs, labels);
        MatrixSpan<T> logits = Backpropagation.Forward(Network, _workspace, inputs, _threads);
        return CrossEntropy.SoftmaxCrossEntropyLoss<T>(logits, labels);
    }

    /// <summary>Forward and backward pass on one batch: writes the gradient of the mean loss for every parameter into <see cref="Network{T}.Gradients"/> (overwriting it).</summary>
    /// <param name="inputs">1 to <see cref="MaxBatchSize"/> rows of finite features, any stride.</param>
    /// <param name="labels">The class of each row.</param>
    /// <returns>The mean loss before any update.</returns>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ input, too many rows, or labels of the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is out of range.</exception>
    public T ComputeGradients(ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels)
    {
        CheckBatch(inputs, labels);
        if (UsesTinyPath)
        {
            return _tiny!.Run(Network, inputs, labels, default, 0, inputs.Rows, out _);
        }

        _regularization?.Step = StepCount;
        Backpropagation.Forward(Network, _workspace, inputs, _threads, _regularization);
        return Backpropagation.Backward(Network, _workspace, inputs, labels, _threads, _regularization);
    }

    /// <summary>One training step on one batch: forward, loss, backward, and an optimiser step with the scheduled learning rate.</summary>
    /// <param name="inputs">1 to <see cref="MaxBatchSize"/> rows of finite features, any stride.</param>
    /// <param name="labels">The class of each row.</param>
    /// <returns>The batch's mean loss before the update (check it for NaN yourself; <see cref="RunEpoch"/> does).</returns>
    /// <exception cref="ArgumentException">Wrong feature count, NaN/∞ input, too many rows, or labels of the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is out of range.</exception>
    public T Step(ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels)
    {
        T loss = ComputeGradients(inputs, labels);
        Update();
        return loss;
    }

    /// <summary>
    /// One epoch over <paramref name="training"/>: a fresh seeded shuffle (when enabled), a step per
    /// minibatch, then the validation set's loss and accuracy. Allocates nothing.
    /// </summary>
    /// <param name="training">The training set (its shuffle buffer is used).</param>
    /// <param name="validation">An optional validation set.</param>
    /// <returns>The epoch's metrics.</returns>
    /// <exception cref="ArgumentException">A data set's features or classes do not match the network.</exception>
    /// <exception cref="TrainingDivergedException">The loss or the parameters became NaN or infinite, or the epoch's mean loss grew beyond <see cref="TrainerOptions.DivergenceFactor"/> times the starting loss; the parameters from the end of the previous epoch are restored first.</exception>
    public EpochMetrics RunEpoch(Dataset<T> training, Dataset<T>? validation = null) => RunEpochCore(training, validation, CancellationToken.None);

    private EpochMetrics RunEpochCore(Dataset<T> training, Dataset<T>? validation, CancellationToken cancellationToken)
    {
        CheckDataset(training, nameof(training));
        if (validation is not null)
        {
            CheckDataset(validation, nameof(validation));
        }

        Span<T> parameters = Network.Parameters;
        parameters.CopyTo(_snapshot);
        int epoch = CompletedEpochs;
        int n = training.Count;
        int batch = MaxBatchSize;
        int steps = ((n - 1) / batch) + 1;
        double firstRate = _schedule.Rate(epoch, StepCount);
        ReadOnlyMatrixSpan<T> features = training.Features;
        ReadOnlySpan<int> labels = training.Labels;
        bool shuffle = Options.Shuffle;
        if (shuffle)
        {
            _shuffler.ShuffleIdentity(training.Order);
        }

        double lossSum = 0;
        int correct = 0;
        for (int s = 0; s < steps; s++)
        {
            int start = s * batch;
            int rows = Math.Min(batch, n - start);
            T loss;
            if (UsesTinyPath)
            {
                // Reads the shuffled rows through the order directly: no gather copy.
                loss = _tiny!.Run(Network, features, labels, shuffle ? training.Order : default, start, rows, out int hits);
                correct += hits;
            }
            else
            {
                loss = GeneralStep(features, labels, shuffle ? training.Order : default, start, rows, ref correct);
            }

            if (!T.IsFinite(loss))
            {
                double value = double.CreateTruncating(loss);
                throw Diverged(epoch, s, steps, value, string.Create(CultureInfo.InvariantCulture, $"the loss became {value}"));
            }

            if (double.IsNaN(_startLoss))
            {
                _startLoss = double.CreateTruncating(loss);
                _divergenceLimit = Options.DivergenceFactor * Math.Max(_startLoss, _uniformLoss);
            }

            lossSum += double.CreateTruncating(loss) * rows;
            Update();
            if (cancellationToken.IsCancellationRequested)
            {
                // Stop after this step with the parameters of the last completed epoch.
                _snapshot.CopyTo(Network.Parameters);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        double meanLoss = lossSum / n;
        if (meanLoss > _divergenceLimit)
        {
            throw Diverged(epoch, steps - 1, steps, meanLoss, string.Create(CultureInfo.InvariantCulture, $"the epoch's mean training loss {meanLoss:G4} is more than {Options.DivergenceFactor:G4} × the starting loss {Math.Max(_startLoss, _uniformLoss):G4} (TrainerOptions.DivergenceFactor)"));
        }

        if (DataArguments.FirstNonFinite<T>(parameters) >= 0)
        {
            throw Diverged(epoch, steps - 1, steps, double.NaN, "a parameter became NaN or infinite");
        }

        double validationLoss = double.NaN;
        double validationAccuracy = double.NaN;
        if (validation is not null)
        {
            Evaluation result = Network.EvaluateTrusted(validation.Features, validation.Labels, _workspace, _threads);
            if (!double.IsFinite(result.Loss))
            {
                throw Diverged(epoch, steps - 1, steps, double.NaN, "the validation loss became NaN or infinite");
            }

            validationLoss = result.Loss;
            validationAccuracy = result.Accuracy;
        }

        CompletedEpochs++;
        return new EpochMetrics(CompletedEpochs, steps, firstRate, meanLoss, (double)correct / n, validationLoss, validationAccuracy);
    }

    /// <summary>
    /// Runs epochs until <see cref="TrainerOptions.Epochs"/> have run or an epoch's training loss
    /// reaches <see cref="TrainerOptions.TargetLoss"/>, calling <paramref name="progress"/> after each.
    /// </summary>
    /// <param name="training">The training set.</param>
    /// <param name="validation">An optional validation set, evaluated after every epoch.</param>
    /// <param name="progress">Called after every epoch with its metrics (create the delegate once; invoking it allocates nothing).</param>
    /// <param name="cancellationToken">Checked before every epoch and after every step; a cancellation inside an epoch restores the parameters from the end of the last completed epoch (the optimiser's state and <see cref="StepCount"/> keep the interrupted epoch's steps).</param>
    /// <returns>How many epochs ran, why training stopped, the last epoch's metrics, and which epoch's parameters the network holds (<see cref="TrainingResult.BestEpoch"/>: with <see cref="TrainerOptions.EarlyStoppingPatience"/> the best validation epoch, restored).</returns>
    /// <exception cref="ArgumentException">A data set's features or classes do not match the network, or <see cref="TrainerOptions.EarlyStoppingPatience"/> is set and <paramref name="validation"/> is null.</exception>
    /// <exception cref="TrainingDivergedException">The loss or the parameters became NaN or infinite, or an epoch's mean loss grew beyond <see cref="TrainerOptions.DivergenceFactor"/> times the starting loss; the parameters from the end of the last good epoch are restored first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the completed epochs stay applied, the interrupted one is undone).</exception>
    public TrainingResult Fit(Dataset<T> training, Dataset<T>? validation = null, Action<EpochMetrics>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_best is not null && validation is null)
        {
            throw new ArgumentException("TrainerOptions.EarlyStoppingPatience needs a validation set to choose the best epoch.", nameof(validation));
        }

        EpochMetrics last = default;
        EpochMetrics best = default;
        int sinceBest = 0;
        for (int e = 0; e < Options.Epochs; e++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            last = RunEpochCore(training, validation, cancellationToken);
            progress?.Invoke(last);
            if (_best is not null)
            {
                if (e == 0 || last.ValidationAccuracy > best.ValidationAccuracy || (last.ValidationAccuracy == best.ValidationAccuracy && last.ValidationLoss < best.ValidationLoss))
                {
                    best = last;
                    sinceBest = 0;
                    Network.Parameters.CopyTo(_best);
                }
                else if (++sinceBest >= Options.EarlyStoppingPatience)
                {
                    _best.CopyTo(Network.Parameters);
                    return new TrainingResult(e + 1, StopReason.EarlyStopped, last) { BestEpoch = best.Epoch, Best = best };
                }
            }
            else
            {
                best = last;
            }

            if (Options.TargetLoss is double target && last.TrainingLoss <= target)
            {
                return Finish(e + 1, StopReason.TargetLossReached, last, best);
            }
        }

        return Finish(Options.Epochs, StopReason.EpochLimit, last, best);
    }

    private TrainingResult Finish(int epochs, StopReason reason, EpochMetrics last, EpochMetrics best)
    {
        if (_best is not null && best.Epoch != last.Epoch)
        {
            _best.CopyTo(Network.Parameters);
        }

        return new TrainingResult(epochs, reason, last) { BestEpoch = best.Epoch, Best = best };
    }

    /// <summary>Mean cross-entropy and accuracy of the network on a data set, in batches of <see cref="MaxBatchSize"/>.</summary>
    /// <param name="data">The data set.</param>
    /// <returns>Loss, accuracy and row count.</returns>
    /// <exception cref="ArgumentException">The data set's features or classes do not match the network.</exception>
    public Evaluation Evaluate(Dataset<T> data)
    {
        CheckDataset(data, nameof(data));
        return Network.EvaluateTrusted(data.Features, data.Labels, _workspace, _threads);
    }

    /// <summary>Stops the worker threads the trainer started (a caller-owned group is left running). Later steps run on the calling thread.</summary>
    public void Dispose()
    {
        if (_ownsThreads)
        {
            _threads!.Dispose();
        }
    }

    /// <summary>
    /// One <see cref="Step"/> over a full batch of zero inputs (class 0), so every method a step calls
    /// is compiled and its caches and GEMM buffers are in place before the first real step. Running
    /// the step itself matters: a method left for the first real step to compile (the update's few
    /// small methods were) makes that step JIT-compile, and the JIT evicts the step's code and data
    /// from the caches, which made the tiny path's second step 3–4× its steady time (JIT on the first
    /// step would be paid for by the second). Invisible: the parameters are only read, the gradients
    /// are saved in the snapshot buffer and restored, and the update goes to a scratch twin of a
    /// built-in optimiser (same type and settings, fresh state) over scratch parameters, so the
    /// caller's optimiser, the schedule, the shuffle RNG and the step count are not touched (the
    /// schedule's <see cref="LearningRateSchedule.Rate"/> is called for epoch 0, step 0). Above
    /// <see cref="MaxTwinParameters"/> parameters, or for a custom optimiser, no twin is made: the
    /// built-in update kernels run once on scratch zeros instead (the first step then compiles the
    /// update's glue; on such networks a step is milliseconds, and the JIT's cost is small beside it).
    /// </summary>
    private void WarmUp()
    {
        int rows = MaxBatchSize;
        MatrixSpan<T> x = _workspace.Inputs(rows);
        x.Span.Clear();
        Span<int> y = _workspace.Labels(rows);
        y.Clear();
        Span<T> gradients = Network.Gradients;
        gradients.CopyTo(_snapshot);
        int count = Network.Shape.ParameterCount;
        _warmUpOptimizer = count <= MaxTwinParameters ? TwinOf(Optimizer) : null;
        _warmUpParameters = new T[count];
        try
        {
            // A batch as callers pass one: rows of a span (so its constructor is compiled too).
            Step(new ReadOnlyMatrixSpan<T>(x.Span, rows, x.Columns), y);
        }
        finally
        {
            _warmUpOptimizer = null;
            _warmUpParameters = null;
            StepCount = 0;
            _snapshot.CopyTo(gradients);
        }

        if (count > MaxTwinParameters)
        {
            WarmUpUpdateKernel();
        }
    }

    /// <summary>A fresh optimiser of the same built-in type and settings as <paramref name="optimizer"/>, or null for a custom one.</summary>
    private Optimizer<T>? TwinOf(Optimizer<T> optimizer)
    {
        int count = optimizer.ParameterCount;
        return optimizer switch
        {
            SgdOptimizer<T> sgd => new SgdOptimizer<T>(count, sgd.WeightDecay),
            MomentumOptimizer<T> momentum => new MomentumOptimizer<T>(count, momentum.Momentum, momentum.Nesterov, momentum.WeightDecay),
            AdamOptimizer<T> adam when adam.DecaysBiases => new AdamOptimizer<T>(count, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay),
            AdamOptimizer<T> adam => new AdamOptimizer<T>(Network.Shape, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay),
            _ => null,
        };
    }

    /// <summary>
    /// The built-in optimisers' update kernel on scratch zeros (up to 4096 elements, so the same width
    /// and tail code run), for networks too large to twin the optimiser: never the optimiser itself,
    /// whose state would change.
    /// </summary>
    private void WarmUpUpdateKernel()
    {
        int length = Math.Min(Network.Shape.ParameterCount, 4096);
        T[] scratch = new T[4 * length];
        Span<T> p = scratch.AsSpan(0, length), g = scratch.AsSpan(length, length), s = scratch.AsSpan(2 * length, length), t = scratch.AsSpan(3 * length, length);
        switch (Optimizer)
        {
            case SgdOptimizer<T>:
                Updates.SgdStep(p, g, T.Zero, T.Zero, _threads);
                break;
            case MomentumOptimizer<T> momentum:
                Updates.MomentumStep(p, g, s, T.Zero, T.CreateTruncating(0.9), momentum.Nesterov, T.Zero, _threads);
                break;
            case AdamOptimizer<T>:
                Updates.AdamStep(p, g, s, t, T.Zero, T.CreateTruncating(0.9), T.CreateTruncating(0.999), T.CreateTruncating(1e-8), 1, T.Zero, _threads);
                break;
        }
    }

    private void Update()
    {
        double rate = _schedule.Rate(CompletedEpochs, StepCount);
        Span<T> parameters = Network.Parameters;
        Optimizer<T>? optimizer = Optimizer;
        if (_warmUpParameters is not null)
        {
            // The constructor's warm-up: the same calls, on the twins (WarmUp resets the step count).
            parameters = _warmUpParameters;
            optimizer = _warmUpOptimizer;
        }

        optimizer?.Step(parameters, Network.Gradients, rate, _threads);
        StepCount++;
    }

    /// <summary>Forward (counting correct arg-maxes) and backward on the GEMM path for one minibatch of an epoch.</summary>
    private T GeneralStep(ReadOnlyMatrixSpan<T> features, ReadOnlySpan<int> labels, ReadOnlySpan<int> order, int start, int rows, ref int correct)
    {
        ReadOnlyMatrixSpan<T> x;
        ReadOnlySpan<int> y;
        if (!order.IsEmpty)
        {
            x = Gather(features, labels, order.Slice(start, rows));
            y = _workspace.Labels(rows);
        }
        else
        {
            x = features.SliceRows(start, rows);
            y = labels.Slice(start, rows);
        }

        _regularization?.Step = StepCount;
        MatrixSpan<T> logits = Backpropagation.Forward(Network, _workspace, x, _threads, _regularization);
        correct += Network<T>.CountCorrect(logits, y, _workspace.Classes(rows));
        return Backpropagation.Backward(Network, _workspace, x, y, _threads, _regularization);
    }

    private MatrixSpan<T> Gather(ReadOnlyMatrixSpan<T> features, ReadOnlySpan<int> labels, ReadOnlySpan<int> rows)
    {
        MatrixSpan<T> x = _workspace.Inputs(rows.Length);
        Span<int> y = _workspace.Labels(rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            int r = rows[i];
            features.Row(r).CopyTo(x.Row(i));
            y[i] = labels[r];
        }

        return x;
    }

    private TrainingDivergedException Diverged(int epoch, int step, int steps, double loss, string what)
    {
        _snapshot.CopyTo(Network.Parameters);
        string message = string.Create(
            CultureInfo.InvariantCulture,
            $"Training diverged: {what} at epoch {epoch + 1}, step {step + 1} of {steps} (global step {StepCount + 1}). The network keeps the parameters from the end of epoch {CompletedEpochs}{(CompletedEpochs == 0 ? " (the initial parameters)" : string.Empty)}; lower the learning rate or scale the inputs, and reset the optimiser before training on.");
        return new TrainingDivergedException(message, epoch + 1, step + 1, loss, CompletedEpochs);
    }

    private void CheckBatch(ReadOnlyMatrixSpan<T> inputs, ReadOnlySpan<int> labels)
    {
        DataArguments.Rows(inputs.Rows, MaxBatchSize, nameof(inputs));
        DataArguments.Features(inputs, Network.Shape.Inputs, nameof(inputs));
        DataArguments.Labels(labels, inputs.Rows, Network.Shape.Outputs, nameof(labels));
    }

    private void CheckDataset(Dataset<T> data, string name)
    {
        ArgumentNullException.ThrowIfNull(data, name);
        if (data.FeatureCount != Network.Shape.Inputs)
        {
            throw new ArgumentException($"The data set has {data.FeatureCount} features per row; the network takes {Network.Shape.Inputs}.", name);
        }

        if (data.ClassCount != Network.Shape.Outputs)
        {
            throw new ArgumentException($"The data set has {data.ClassCount} classes; the network has {Network.Shape.Outputs} outputs.", name);
        }
    }
}
