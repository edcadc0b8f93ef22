using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Backprop.Kernels;
using Backprop.Reference;
using Backprop.Training;
using Backprop.Training.Data;
using Backprop.Training.Persistence;

namespace Backprop.Cli;

/// <summary>Everything <c>train</c> needs, with each data set's defaults filled in.</summary>
internal sealed record TrainPlan(
    DataRequest Data,
    int[]? Layers,
    int[] Hidden,
    HiddenActivation Activation,
    string Optimizer,
    double LearningRate,
    double Momentum,
    double WeightDecay,
    string Schedule,
    int? BatchSize,
    int Epochs,
    ulong Seed,
    bool Double,
    ScalingKind Scaling,
    string Init,
    double ValidationSplit,
    string Output,
    int? ProgressEvery,
    bool Quiet,
    int Threads,
    double DivergenceFactor,
    string? Metrics,
    bool OutputNamed,
    double LabelSmoothing = 0,
    double Dropout = 0,
    double WarmupEpochs = 0,
    int? Patience = null);

/// <summary><c>train</c>: fits a network to a data set, reports progress and accuracy, and saves the model.</summary>
internal static class TrainCommand
{
    /// <summary>The most threads <c>--threads</c> accepts per processor.</summary>
    public const int MaxThreadsPerProcessor = 4;

    private static readonly string[] Activations = ["sigmoid", "tanh", "relu"];
    private static readonly string[] Optimizers = ["sgd", "momentum", "nesterov", "adam"];
    private static readonly string[] Schedules = ["constant", "cosine"];
    private static readonly string[] ElementTypes = ["float", "double"];
    private static readonly string[] ScalingKinds = ["none", "standardize", "minmax"];
    private static readonly string[] Inits = ["auto", "textbook", "glorot", "he"];

    public static Command Create(CliConsole console)
    {
        var data = new DataOptions();
        var layers = new Option<string?>("--layers") { Description = "All layer sizes, input to output, e.g. 4-2-2 or 784-256-10 (the ends must match the data).", HelpName = "SIZES" };
        var hidden = new Option<string?>("--hidden") { Description = "Hidden layer sizes only, e.g. 256 or 128,64, or 'none' (inputs and outputs come from the data).", HelpName = "SIZES" };
        var activation = new Option<string?>("--activation") { Description = "Hidden activation: sigmoid, tanh or relu.", HelpName = "NAME" };
        activation.AcceptOnlyFromAmong(Activations);
        var optimizer = new Option<string?>("--optimizer") { Description = "sgd, momentum, nesterov or adam.", HelpName = "NAME" };
        optimizer.AcceptOnlyFromAmong(Optimizers);
        var rate = new Option<double?>("--learning-rate", "--lr") { Description = "Step size η (initial value under a schedule).", HelpName = "ETA" };
        var momentum = new Option<double>("--momentum") { Description = "Momentum coefficient for momentum and nesterov.", DefaultValueFactory = _ => 0.9 };
        var decay = new Option<double?>("--weight-decay") { Description = "Weight decay λ: L2 for sgd, momentum and nesterov; decoupled (AdamW) for adam, on the weights only (never the biases).", HelpName = "LAMBDA" };
        var smoothing = new Option<double?>("--label-smoothing") { Description = "Label smoothing ε in [0, 1): train against (1 − ε)·onehot + ε/classes.", HelpName = "EPSILON" };
        var dropout = new Option<double?>("--dropout") { Description = "Dropout rate in [0, 1) on the hidden activations during training (seeded, deterministic; never at prediction).", HelpName = "RATE" };
        var warmup = new Option<double?>("--warmup") { Description = "Epochs (may be fractional) of linear learning-rate warm-up, per step, before the cosine schedule.", HelpName = "EPOCHS" };
        var patience = new Option<int?>("--early-stopping") { Description = "Stop after N epochs without a better held-out accuracy and keep the best epoch's model (needs --validation-split).", HelpName = "N" };
        var schedule = new Option<string?>("--schedule") { Description = "Learning-rate schedule: constant, or cosine (decays to 1% of η over the epochs; the fashion-mnist default).", HelpName = "NAME" };
        schedule.AcceptOnlyFromAmong(Schedules);
        var batch = new Option<string?>("--batch-size", "-b") { Description = "Rows per minibatch, or 'full' for full-batch gradient descent.", HelpName = "N|full" };
        var epochs = new Option<int?>("--epochs", "-e") { Description = "Epochs to train.", HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation, shuffling and the validation split; equal seeds give identical runs.", DefaultValueFactory = _ => 1 };
        var elementType = new Option<string?>("--element-type") { Description = "float or double.", HelpName = "TYPE" };
        elementType.AcceptOnlyFromAmong(ElementTypes);
        var scaling = new Option<string?>("--scaling") { Description = "Feature scaling fitted on the training rows and saved with the model: none, standardize or minmax.", HelpName = "KIND" };
        scaling.AcceptOnlyFromAmong(ScalingKinds);
        var init = new Option<string>("--init") { Description = "Initial weights: auto (textbook for the stairs 4-2-2 sigmoid example, he for relu, glorot otherwise), textbook, glorot or he.", DefaultValueFactory = _ => "auto", HelpName = "NAME" };
        init.AcceptOnlyFromAmong(Inits);
        var validation = new Option<double>("--validation-split") { Description = "Hold out this fraction of the training rows (seeded) and report its loss and accuracy every epoch.", DefaultValueFactory = _ => 0, HelpName = "FRACTION" };
        var output = new Option<string?>("--output", "-o") { Description = "Where to save the model (default: NAME.bpm in the current directory).", HelpName = "FILE" };
        var every = new Option<int?>("--progress-every") { Description = "Print a progress line every N epochs (default: about 15 lines in all).", HelpName = "N" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No per-epoch progress." };
        var threads = new Option<int>("--threads", "-t") { Description = $"Threads for the large products (1 = the calling thread only, at most {MaxThreadsPerProcessor} × the processor count); the model is bit-identical for every value.", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "N" };
        var metrics = new Option<string?>("--metrics") { Description = "Write per-epoch metrics (epoch, learning rate, training and held-out loss and accuracy, seconds) to this file: CSV, or JSON when the name ends in .json. Read by 'plot'.", HelpName = "FILE" };
        var divergence = new Option<double>("--divergence-factor") { Description = "Stop as diverged (exit 5, no model saved) when an epoch's mean loss exceeds this factor × the starting loss (or ln(classes) if larger); 'Infinity' turns the rule off.", DefaultValueFactory = _ => new TrainerOptions().DivergenceFactor, HelpName = "X" };

        var command = new Command("train", "Train a network and save it. With no options: the worked example (4-2-2 sigmoid, full-batch gradient descent, η = 0.1, 1500 epochs) on the shipped stairs data.");
        data.AddTo(command, includeTest: true);
        foreach (Option option in new Option[] { layers, hidden, activation, optimizer, rate, momentum, decay, smoothing, dropout, warmup, patience, schedule, batch, epochs, seed, elementType, scaling, init, validation, output, every, quiet, threads, divergence, metrics })
        {
            command.Options.Add(option);
        }

        command.SetAction(result =>
        {
            DataRequest request = data.Read(result, DataSources.Stairs);
            Defaults d = Defaults.For(request.Data);
            if (result.GetValue(layers) is not null && result.GetValue(hidden) is not null)
            {
                throw new UsageException("give either --layers or --hidden, not both.");
            }

            string name = request.Data switch
            {
                DataSources.Stairs or DataSources.FashionMnistName => request.Data,
                _ => Path.GetFileNameWithoutExtension(request.Data),
            };
            var plan = new TrainPlan(
                request,
                result.GetValue(layers) is string full ? CliApp.ParseSizes(full, "--layers") : null,
                result.GetValue(hidden) is string h ? CliApp.ParseSizes(h, "--hidden") : d.Hidden,
                Enum.Parse<HiddenActivation>(result.GetValue(activation) ?? d.Activation, ignoreCase: true),
                result.GetValue(optimizer) ?? d.Optimizer,
                result.GetValue(rate) ?? d.LearningRate,
                result.GetValue(momentum),
                result.GetValue(decay) ?? d.WeightDecay,
                result.GetValue(schedule) ?? d.Schedule,
                ParseBatch(result.GetValue(batch), d.BatchSize),
                result.GetValue(epochs) ?? d.Epochs,
                result.GetValue(seed),
                (result.GetValue(elementType) ?? d.ElementType) == "double",
                (result.GetValue(scaling) ?? d.Scaling) switch { "standardize" => ScalingKind.Standardize, "minmax" => ScalingKind.MinMax, _ => ScalingKind.None },
                result.GetValue(init) ?? "auto",
                result.GetValue(validation),
                result.GetValue(output) ?? name + ".bpm",
                result.GetValue(every),
                result.GetValue(quiet),
                result.GetValue(threads),
                result.GetValue(divergence),
                result.GetValue(metrics),
                result.GetValue(output) is not null,
                result.GetValue(smoothing) ?? d.LabelSmoothing,
                result.GetValue(dropout) ?? d.Dropout,
                result.GetValue(warmup) ?? d.WarmupEpochs,
                result.GetValue(patience));
            Validate(plan);
            OutputGuard.Check("--output", plan.Output, OutputGuard.InputsOf(request));
            OutputGuard.Check("--metrics", plan.Metrics, [.. OutputGuard.InputsOf(request), plan.Output]);
            return plan.Double ? Run<double>(plan, console) : Run<float>(plan, console);
        });
        return command;
    }

    private static int? ParseBatch(string? text, int? fallback)
    {
        if (text is null)
        {
            return fallback;
        }

        if (text == "full")
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1
            ? n
            : throw new UsageException($"--batch-size '{text}': expected a whole number ≥ 1 or 'full'.");
    }

    private static void Validate(TrainPlan plan)
    {
        int maxThreads = MaxThreadsPerProcessor * Environment.ProcessorCount;
        if (plan.Threads < 1 || plan.Threads > maxThreads)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--threads {plan.Threads}: expected 1 to {maxThreads} ({MaxThreadsPerProcessor} × the {Environment.ProcessorCount} processors)."));
        }

        if (!(plan.DivergenceFactor > 1))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--divergence-factor {plan.DivergenceFactor}: expected a number > 1 (or 'Infinity' for no limit)."));
        }

        if (plan.Epochs < 1)
        {
            throw new UsageException($"--epochs {plan.Epochs}: expected at least 1.");
        }

        if (!(plan.LearningRate > 0) || !double.IsFinite(plan.LearningRate))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--learning-rate {plan.LearningRate}: expected a finite number > 0."));
        }

        if (!(plan.Momentum >= 0 && plan.Momentum < 1))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--momentum {plan.Momentum}: expected a number in [0, 1)."));
        }

        if (!(plan.WeightDecay >= 0) || !double.IsFinite(plan.WeightDecay))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--weight-decay {plan.WeightDecay}: expected a finite number ≥ 0."));
        }

        if (!(plan.LabelSmoothing >= 0 && plan.LabelSmoothing < 1))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--label-smoothing {plan.LabelSmoothing}: expected a number in [0, 1)."));
        }

        if (!(plan.Dropout >= 0 && plan.Dropout < 1))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--dropout {plan.Dropout}: expected a rate in [0, 1)."));
        }

        if (!(plan.WarmupEpochs >= 0) || !double.IsFinite(plan.WarmupEpochs))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--warmup {plan.WarmupEpochs}: expected a finite number of epochs ≥ 0."));
        }

        if (plan.WarmupEpochs >= plan.Epochs)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--warmup {plan.WarmupEpochs}: expected fewer warm-up epochs than the {plan.Epochs} epochs of training."));
        }

        if (plan.Patience is int p && p < 1)
        {
            throw new UsageException($"--early-stopping {p}: expected at least 1 epoch.");
        }

        if (plan.Patience is not null && !(plan.ValidationSplit > 0))
        {
            throw new UsageException("--early-stopping needs --validation-split: the best epoch is chosen on held-out training rows, never on the test set.");
        }

        if (!(plan.ValidationSplit >= 0 && plan.ValidationSplit < 1))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--validation-split {plan.ValidationSplit}: expected a fraction in [0, 1)."));
        }

        if (plan.ProgressEvery is < 1)
        {
            throw new UsageException("--progress-every: expected at least 1.");
        }
    }

    private static int Run<T>(TrainPlan plan, CliConsole console)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TextWriter o = console.Out;
        var clock = Stopwatch.StartNew();
        LoadedData<T> loaded = DataSources.LoadForTraining<T>(plan.Data);
        LabeledData<T> train = loaded.Train;
        LabeledData<T>? validation = null;
        if (plan.ValidationSplit > 0)
        {
            try
            {
                (train, validation) = train.Split(plan.ValidationSplit, plan.Seed);
            }
            catch (ArgumentOutOfRangeException)
            {
                throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--validation-split {plan.ValidationSplit} of {train.Count} rows leaves the training or the validation part empty."));
            }
        }

        TimeSpan loadTime = clock.Elapsed;
        FeatureScaling scaling = FeatureScaling.Fit<T>(train.FeatureMatrix, plan.Scaling);

        // Scaled through the data sets, so a value that would leave the type's range is named by file, line and column.
        train.Scale(scaling);
        validation?.Scale(scaling);
        loaded.Test?.Scale(scaling);

        NetworkShape shape = Shape(plan, train);
        CheckMemory<T>(shape, Math.Min(plan.BatchSize ?? train.Count, train.Count));
        try
        {
            // The model file's own limits (layer count, string lengths, file size), checked before any training.
            ModelFile.ValidateLayout(shape, train.ClassNames, train.FeatureNames, loaded.Name);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"this network and data would make a model file that cannot be saved: {e.Message}", e);
        }
        string init = plan.Init == "auto"
            ? (IsWorkedExample(shape) ? "textbook" : shape.HiddenActivation == HiddenActivation.Relu ? "he" : "glorot")
            : plan.Init;
        Network<T> network = Initialize<T>(shape, init, plan.Seed);
        Optimizer<T> optimizer = plan.Optimizer switch
        {
            "sgd" => new SgdOptimizer<T>(shape.ParameterCount, plan.WeightDecay),
            "momentum" => new MomentumOptimizer<T>(shape.ParameterCount, plan.Momentum, nesterov: false, plan.WeightDecay),
            "nesterov" => new MomentumOptimizer<T>(shape.ParameterCount, plan.Momentum, nesterov: true, plan.WeightDecay),
            _ => new AdamOptimizer<T>(shape, weightDecay: plan.WeightDecay),
        };
        int batch = Math.Min(plan.BatchSize ?? train.Count, train.Count);
        long stepsPerEpoch = ((train.Count - 1) / batch) + 1;
        long warmupSteps = FashionMnistRecipe.WarmupSteps(plan.WarmupEpochs, stepsPerEpoch);
        var options = new TrainerOptions
        {
            BatchSize = batch,
            Epochs = plan.Epochs,
            Seed = plan.Seed,
            Shuffle = batch < train.Count,
            DegreeOfParallelism = plan.Threads,
            DivergenceFactor = plan.DivergenceFactor,
            LearningRate = (plan.Schedule, warmupSteps) switch
            {
                ("cosine", _) => FashionMnistRecipe.CosineSchedule(plan.LearningRate, plan.WarmupEpochs, plan.Epochs, stepsPerEpoch),
                (_, 0) => LearningRateSchedule.Constant(plan.LearningRate),
                _ => LearningRateSchedule.WarmupCosine(plan.LearningRate, plan.LearningRate, warmupSteps, plan.Epochs * stepsPerEpoch),
            },
            LabelSmoothing = plan.LabelSmoothing,
            DropoutRate = plan.Dropout,
            EarlyStoppingPatience = plan.Patience,
        };
        using var trainer = new Trainer<T>(network, optimizer, options);
        Dataset<T> trainSet = train.ToDataset();
        Dataset<T>? validationSet = validation?.ToDataset();

        o.WriteLine($"Data:      {loaded.Description}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"           {train.Count} training rows{(validation is null ? string.Empty : $", {validation.Count} validation rows")}{(loaded.Test is null ? string.Empty : $", {loaded.Test.Count} test rows")}; {train.FeatureCount} features; {train.ClassCount} classes ({Classes(train.ClassNames)}); loaded in {Progress.Seconds(loadTime)}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Network:   {shape} ({shape.ParameterCount:N0} parameters, {(typeof(T) == typeof(float) ? "float" : "double")}), {init} initialisation, seed {plan.Seed}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Training:  {plan.Optimizer}, η = {plan.LearningRate}{(plan.Schedule == "cosine" ? " (cosine)" : string.Empty)}{(warmupSteps > 0 ? $", warm-up {warmupSteps} steps" : string.Empty)}{(plan.WeightDecay > 0 ? $", weight decay {plan.WeightDecay}" : string.Empty)}{(plan.LabelSmoothing > 0 ? $", label smoothing {plan.LabelSmoothing}" : string.Empty)}{(plan.Dropout > 0 ? $", dropout {plan.Dropout}" : string.Empty)}{(plan.Patience is int patienceEpochs ? $", early stopping after {patienceEpochs}" : string.Empty)}, batch {batch}{(batch == train.Count ? " (full)" : string.Empty)}, {plan.Epochs} epochs, scaling {Name(plan.Scaling)}, {plan.Threads} thread{(plan.Threads == 1 ? string.Empty : "s")}"));

        // The held-out set reported every epoch: the validation split, else the test set (reported only, never used to choose anything).
        Dataset<T>? testSet = loaded.Test?.ToDataset();
        Dataset<T>? heldOut = validationSet ?? testSet;
        string? heldOutName = validationSet is not null ? "val" : testSet is not null ? "test" : null;
        using var progress = new Progress(o, console.IsTerminal, plan.Epochs, plan.ProgressEvery ?? Progress.AutoInterval(plan.Epochs), heldOutName, plan.Quiet, stepsPerEpoch, train.Count, () => trainer.StepCount);
        var log = new MetricsLog(plan.Epochs, heldOutName);
        var trainClock = Stopwatch.StartNew();
        progress.Start();
        TrainingResult result;
        try
        {
            result = trainer.Fit(
                trainSet,
                heldOut,
                m =>
                {
                    log.Add(m, trainClock.Elapsed.TotalSeconds);
                    progress.Epoch(m);
                },
                console.Cancellation);
        }
        catch (OperationCanceledException)
        {
            progress.Finish();
            return Interrupted(plan, o, trainer, log, trainClock.Elapsed, train, scaling, network, loaded.Name);
        }
        catch (TrainingDivergedException)
        {
            progress.Finish();
            throw;
        }

        TimeSpan trainTime = trainClock.Elapsed;
        progress.Finish();
        log.WriteIfAsked(plan.Metrics);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Trained {result.Epochs} epochs in {Progress.Seconds(trainTime)} ({trainTime.TotalMilliseconds / result.Epochs:F2} ms per epoch, {plan.Threads} thread{(plan.Threads == 1 ? string.Empty : "s")})."));
        if (plan.Patience is not null)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(result.StopReason == StopReason.EarlyStopped ? "Stopped early; kept" : "Kept")} epoch {result.BestEpoch} (best validation accuracy {result.Best.ValidationAccuracy:F4})."));
        }
        Report(o, "Train", trainer.Evaluate(trainSet));
        if (validationSet is not null)
        {
            Report(o, "Validation", trainer.Evaluate(validationSet));
        }

        if (loaded.Test is not null)
        {
            Report(o, "Test", network.Evaluate(loaded.Test.FeatureMatrix, loaded.Test.Labels.Span, new Workspace<T>(shape, 256, forTraining: false)));
        }

        Save(plan, o, network, scaling, train, loaded.Name);
        if (plan.Metrics is not null)
        {
            o.WriteLine($"Metrics:   {plan.Metrics}");
        }

        return ExitCodes.Success;
    }

    private static void Save<T>(TrainPlan plan, TextWriter o, Network<T> network, FeatureScaling scaling, LabeledData<T> train, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var model = new TrainedModel<T>(network, plan.Scaling == ScalingKind.None ? null : scaling, train.ClassLabels, train.ClassNames, train.FeatureNames, name);
        ModelFile.Save(model, plan.Output);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Saved:     {plan.Output} ({new FileInfo(plan.Output).Length:N0} bytes)"));
    }

    /// <summary>
    /// Ctrl+C: the trainer stopped after the current step and put back the parameters of the last
    /// completed epoch; with an <c>--output</c> named, that model is saved (atomically, as always),
    /// and the metrics of the completed epochs are written. Exit 130 either way.
    /// </summary>
    private static int Interrupted<T>(TrainPlan plan, TextWriter o, Trainer<T> trainer, MetricsLog log, TimeSpan elapsed, LabeledData<T> train, FeatureScaling scaling, Network<T> network, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int epochs = trainer.CompletedEpochs;
        string when = string.Create(CultureInfo.InvariantCulture, $"Interrupted after {epochs} completed epoch{(epochs == 1 ? string.Empty : "s")} ({Progress.Seconds(elapsed)})");
        log.WriteIfAsked(plan.Metrics);
        if (epochs == 0)
        {
            o.WriteLine($"{when}; no epoch completed, nothing saved.");
        }
        else if (!plan.OutputNamed)
        {
            o.WriteLine($"{when}; the model was not saved (name an --output to keep the last completed epoch on Ctrl+C).");
        }
        else
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{when}; saving the model of epoch {epochs}."));
            Save(plan, o, network, scaling, train, name);
        }

        o.Flush();
        return ExitCodes.Interrupted;
    }

    /// <summary>
    /// Refuses, before allocating, a network whose training buffers could not fit in the memory
    /// available to the process: parameters, gradients, the divergence snapshot and up to two
    /// optimiser moments (5 copies), plus the training workspace (3 × batch × the layer widths).
    /// </summary>
    private static void CheckMemory<T>(NetworkShape shape, int batch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        long widths = 0;
        foreach (int width in shape.LayerSizes)
        {
            widths += width;
        }

        long needed = (5L * shape.ParameterCount * size) + (3L * batch * widths * size);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && needed > available * 0.8)
        {
            throw new InsufficientMemoryException(string.Create(CultureInfo.InvariantCulture, $"the network {shape} ({shape.ParameterCount:N0} parameters) needs about {needed / 1e9:F1} GB to train with batch {batch}; {available / 1e9:F1} GB are available. Choose smaller layers or batches."));
        }
    }

    private static void Report(TextWriter o, string what, Evaluation e) =>
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(what + " accuracy:").PadRight(20)} {e.Accuracy:F4} ({Math.Round(e.Accuracy * e.Count)}/{e.Count}), loss {e.Loss:F4}"));

    private static NetworkShape Shape<T>(TrainPlan plan, LabeledData<T> train)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] sizes;
        if (plan.Layers is int[] full)
        {
            if (full.Length < 2 || full[0] != train.FeatureCount || full[^1] != train.ClassCount)
            {
                throw new UsageException($"--layers {string.Join('-', full)}: the data have {train.FeatureCount} features and {train.ClassCount} classes, so the sizes must run from {train.FeatureCount} to {train.ClassCount} (or use --hidden).");
            }

            sizes = full;
        }
        else
        {
            sizes = [train.FeatureCount, .. plan.Hidden, train.ClassCount];
        }

        try
        {
            return new NetworkShape(sizes, plan.Activation);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"layer sizes {string.Join('-', sizes)}: {e.Message}");
        }
    }

    private static bool IsWorkedExample(NetworkShape shape) =>
        shape.HiddenActivation == HiddenActivation.Sigmoid && shape.LayerSizes.SequenceEqual(WorkedExample.LayerSizes);

    private static Network<T> Initialize<T>(NetworkShape shape, string init, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var network = new Network<T>(shape);
        switch (init)
        {
            case "textbook":
                if (!shape.LayerSizes.SequenceEqual(WorkedExample.LayerSizes))
                {
                    throw new UsageException($"--init textbook needs the worked example's 4-2-2 network, not {string.Join('-', shape.LayerSizes.ToArray())}.");
                }

                network.ImportAugmented(0, new ReadOnlyMatrixSpan<T>([.. WorkedExample.W1.ToArray().Select(T.CreateTruncating)], 5, 2));
                network.ImportAugmented(1, new ReadOnlyMatrixSpan<T>([.. WorkedExample.W2.ToArray().Select(T.CreateTruncating)], 3, 2));
                break;
            case "he":
                network.InitializeHeUniform(seed);
                break;
            default:
                network.InitializeGlorotUniform(seed);
                break;
        }

        return network;
    }

    private static string Classes(IReadOnlyList<string> names) =>
        names.Count <= 10 ? string.Join(", ", names) : string.Join(", ", names.Take(8)) + ", …";

    private static string Name(ScalingKind kind) => kind switch
    {
        ScalingKind.Standardize => "standardize",
        ScalingKind.MinMax => "minmax",
        _ => "none",
    };

    /// <summary>Each data set's defaults: the worked example for stairs, a tuned MLP for Fashion-MNIST, a small MLP for CSV files.</summary>
    private sealed record Defaults(int[] Hidden, string Activation, string Optimizer, double LearningRate, string Schedule, int? BatchSize, int Epochs, string ElementType, string Scaling, double WeightDecay = 0, double LabelSmoothing = 0, double Dropout = 0, double WarmupEpochs = 0)
    {
        public static Defaults For(string data) => data switch
        {
            DataSources.Stairs => new([2], "sigmoid", "sgd", 0.1, "constant", null, 1500, "double", "none"),
            // Searched for the soonest ≥ 0.90 test accuracy (docs/CLI.md, Fashion-MNIST); the one home of the
            // recipe is FashionMnistRecipe (src/Training), which the time-to-accuracy benchmark runs too.
            DataSources.FashionMnistName => new(
                [.. FashionMnistRecipe.Hidden],
                FashionMnistRecipe.Activation.ToString().ToLowerInvariant(),
                "adam",
                FashionMnistRecipe.LearningRate,
                "cosine",
                FashionMnistRecipe.BatchSize,
                FashionMnistRecipe.Epochs,
                "float",
                Name(FashionMnistRecipe.Scaling),
                WeightDecay: FashionMnistRecipe.WeightDecay,
                LabelSmoothing: FashionMnistRecipe.LabelSmoothing,
                Dropout: FashionMnistRecipe.Dropout,
                WarmupEpochs: FashionMnistRecipe.WarmupEpochs),
            _ => new([32], "relu", "adam", 0.001, "constant", 32, 20, "float", "standardize"),
        };
    }
}
