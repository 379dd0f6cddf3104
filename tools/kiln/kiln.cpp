//===- kiln.cpp - The Kiln user CLI: flags and dispatch
//--------------------===//
//
//   kiln train MODEL.kiln [--epochs N] [--batch-size N] [--seed N]
//              [--report FILE.json] [--quiet] [--progress=auto|bar|lines]
//              [--log-every N] [--train-limit N] [--test-limit N]
//              [--checkpoint-dir DIR [--checkpoint-every N] [--keep K]
//              [--resume]] [--logdir DIR] [--plot FILE.svg]
//              [--work-dir DIR] [--keep-work-dir] [--device cpu|cuda]
//              [--threads N] [--disable-pass NAME]...
//
//   kiln eval MODEL.kiln --checkpoint FILE.ckpt [--test-limit N]
//             [--batch-size N] [--device cpu|cuda]
//   kiln predict MODEL.kiln --checkpoint FILE.ckpt --input FILE
//                [--output OUT.npy] [--labels FILE | --label-column NAME]
//                [--format idx|csv|npy|npz] [--scale S] [--shift T]
//                [--batch-size N] [--device cpu|cuda]
//   kiln inspect FILE.ckpt
//   kiln export FILE.ckpt --npz OUT.npz
//
// Exit status: 0 on success, 1 after an error, 2 on a usage error.
//
//===----------------------------------------------------------------------===//

#include "CheckpointCommands.h"
#include "ManifestCommand.h"
#include "TrainCommand.h"

#include "kiln/train.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <thread>

using namespace llvm;

static constexpr int usageExitCode = 2;

static cl::OptionCategory trainCategory("kiln train options");
static cl::SubCommand
    trainCommand("train", "Compile a .kiln model, train it on the data its "
                          "recipe names, and print the test metrics");

static cl::SubCommand
    evalCommand("eval", "Evaluate a checkpoint on the model's test data: "
                        "loss, accuracy and confusion matrix");
static cl::SubCommand predictCommand(
    "predict", "Run a checkpoint on examples from a file: the predicted class "
               "of each, or all outputs as .npy");
static cl::SubCommand inspectCommand(
    "inspect", "Verify a checkpoint, or a model object from kilnc, and print "
               "what it holds");
static cl::SubCommand
    exportCommand("export", "Write a checkpoint's tensors as NumPy arrays (.npz)");

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.kiln>"),
                                      cl::sub(trainCommand), cl::sub(evalCommand),
                                      cl::sub(predictCommand),
                                      cl::cat(trainCategory));
static cl::opt<std::string>
    checkpointFile(cl::Positional, cl::Required,
                   cl::desc("<checkpoint.ckpt> (inspect: or <model.o>)"),
                   cl::sub(inspectCommand), cl::sub(exportCommand),
                   cl::cat(trainCategory));
static cl::opt<std::string>
    checkpointFlag("checkpoint", cl::Required,
                   cl::desc("The checkpoint whose parameters to use"),
                   cl::value_desc("FILE.ckpt"), cl::sub(evalCommand),
                   cl::sub(predictCommand), cl::cat(trainCategory));
static cl::list<std::string> inputPaths(
    "input", cl::OneOrMore,
    cl::desc("Examples to predict on: IDX images, .npy features, .csv or .npz; "
             "preprocessed like the recipe's train data. A model of several "
             "inputs takes one .npy file per input (--input a.npy --input "
             "b.npy, in declaration order) or one CSV file"),
    cl::value_desc("FILE"), cl::sub(predictCommand), cl::cat(trainCategory));
static cl::opt<std::string> outputPath(
    "output",
    cl::desc("Write the model's outputs as a float32 [n, classes] .npy instead "
             "of printing the predicted classes"),
    cl::value_desc("OUT.npy"), cl::sub(predictCommand), cl::cat(trainCategory));
static cl::opt<std::string> inputFormat(
    "format", cl::desc("Format of --input (default: from its extension; idx "
                       "for any other)"),
    cl::value_desc("idx|csv|npy|npz"), cl::sub(predictCommand),
    cl::cat(trainCategory));
static cl::list<std::string> labelsPaths(
    "labels",
    cl::desc("Labels of the --input examples (IDX or .npy; one file per label "
             "of a model of several): also print the accuracy"),
    cl::value_desc("FILE"), cl::sub(predictCommand), cl::cat(trainCategory));
static cl::opt<std::string> labelColumn(
    "label-column",
    cl::desc("The label column of a CSV --input (default: the train data's "
             "label column, if the file has it)"),
    cl::value_desc("NAME"), cl::sub(predictCommand), cl::cat(trainCategory));
static cl::opt<double> inputScale(
    "scale", cl::desc("Multiply input values by S (default: the recipe's)"),
    cl::value_desc("S"), cl::sub(predictCommand), cl::cat(trainCategory));
static cl::opt<double> inputShift(
    "shift", cl::desc("Then add T (default: the recipe's)"), cl::value_desc("T"),
    cl::sub(predictCommand), cl::cat(trainCategory));
static cl::opt<std::string> npzPath("npz", cl::Required,
                                    cl::desc("The .npz archive to write"),
                                    cl::value_desc("OUT.npz"),
                                    cl::sub(exportCommand), cl::cat(trainCategory));
static cl::opt<long long> epochs("epochs",
                                 cl::desc("Epochs to train (default: recipe)"),
                                 cl::value_desc("N"), cl::sub(trainCommand),
                                 cl::cat(trainCategory));
static cl::opt<long long>
    batchSize("batch-size", cl::desc("Examples per step (default: recipe)"),
              cl::value_desc("N"), cl::sub(trainCommand), cl::sub(evalCommand),
              cl::sub(predictCommand), cl::cat(trainCategory));
static cl::opt<unsigned long long>
    seed("seed",
         cl::desc("Seed of the initial parameters and batch order "
                  "(default: recipe)"),
         cl::value_desc("N"), cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<std::string>
    reportPath("report", cl::desc("Write the training report as JSON"),
               cl::value_desc("FILE.json"), cl::sub(trainCommand),
               cl::cat(trainCategory));
static cl::opt<std::string>
    device("device",
           cl::desc("Where to run: cpu (default) or cuda (the model is "
                    "compiled for the GPU and its state stays there)"),
           cl::value_desc("cpu|cuda"), cl::init("cpu"), cl::sub(trainCommand),
           cl::sub(evalCommand), cl::sub(predictCommand),
           cl::cat(trainCategory));
static cl::opt<bool> quiet("quiet", cl::desc("No progress lines on stderr"),
                           cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<long long> trainLimit(
    "train-limit", cl::desc("Train on the first N examples of the train data"),
    cl::value_desc("N"), cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<long long> testLimit(
    "test-limit", cl::desc("Evaluate on the first N examples of the test data"),
    cl::value_desc("N"), cl::sub(trainCommand), cl::sub(evalCommand), cl::cat(trainCategory));
static cl::opt<std::string>
    workDir("work-dir",
            cl::desc("Build the model in DIR and keep it (default: a temporary "
                     "directory, removed at exit)"),
            cl::value_desc("DIR"), cl::sub(trainCommand), cl::sub(evalCommand),
            cl::sub(predictCommand), cl::cat(trainCategory));
static cl::opt<bool>
    keepWorkDir("keep-work-dir",
                cl::desc("Keep the temporary work directory (model.o, "
                         "model.so, model.h) and print its path"),
                cl::sub(trainCommand), cl::sub(evalCommand),
                cl::sub(predictCommand),
                cl::cat(trainCategory));

static cl::opt<kiln_progress_style> progressStyle(
    "progress", cl::desc("How progress is shown on stderr"),
    cl::values(clEnumValN(KILN_PROGRESS_AUTO, "auto",
                          "a bar on a terminal, lines otherwise (default)"),
               clEnumValN(KILN_PROGRESS_BAR, "bar", "one line redrawn in place"),
               clEnumValN(KILN_PROGRESS_LINES, "lines", "plain lines")),
    cl::init(KILN_PROGRESS_AUTO), cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<long long> logEvery(
    "log-every",
    cl::desc("Steps between sampled batch accuracy, step summaries and "
             "progress lines (default 50; 0: none)"),
    cl::value_desc("N"), cl::init(50), cl::sub(trainCommand),
    cl::cat(trainCategory));
static cl::opt<std::string> checkpointDir(
    "checkpoint-dir",
    cl::desc("Write checkpoints (ckpt-<step>.ckpt) into DIR, at least one at "
             "the end of the run"),
    cl::value_desc("DIR"), cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<long long> checkpointEvery(
    "checkpoint-every", cl::desc("Also write a checkpoint every N steps"),
    cl::value_desc("N"), cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<long long>
    checkpointKeep("keep", cl::desc("Keep only the K newest checkpoints"),
                   cl::value_desc("K"), cl::sub(trainCommand),
                   cl::cat(trainCategory));
static cl::opt<bool> resume(
    "resume",
    cl::desc("Continue from the newest checkpoint in --checkpoint-dir (the "
             "same run, bit for bit)"),
    cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<std::string>
    logdir("logdir",
           cl::desc("Write TensorBoard summaries into DIR/train and DIR/test"),
           cl::value_desc("DIR"), cl::sub(trainCommand),
           cl::cat(trainCategory));
static cl::opt<std::string>
    plotPath("plot", cl::desc("Draw loss and accuracy per epoch as an SVG"),
             cl::value_desc("FILE.svg"), cl::sub(trainCommand),
             cl::cat(trainCategory));

// Must come before --threads is defined (see its comment).
[[maybe_unused]] static const bool threadsNameFree = kiln::freeThreadsOptionName();
static cl::opt<int> threads(
    "threads",
    cl::desc("Threads the compiled model runs on (OpenMP; default: every "
             "core of this machine). The same seed and thread count give "
             "bit-identical parameters"),
    cl::value_desc("N"), cl::sub(trainCommand), cl::sub(evalCommand),
    cl::sub(predictCommand), cl::cat(trainCategory));
static cl::list<std::string> disabledPasses(
    "disable-pass",
    cl::desc("Compile without this optimization pass (repeatable; kilnc "
             "--help lists them)"),
    cl::value_desc("NAME"), cl::sub(trainCommand), cl::sub(evalCommand),
    cl::sub(predictCommand), cl::cat(trainCategory));

/// The compile options of --threads (default: all cores on the CPU, one
/// host thread for --device cuda) and --disable-pass; a usage error names
/// what is wrong.
static bool targetOptions(kiln::TargetOptions &target, bool cuda) {
  if (cuda)
    target.backend = kiln::Backend::CUDA;
  target.threads = threads.getNumOccurrences() ? threads
                   : cuda ? 1
                          : std::max(1u, std::thread::hardware_concurrency());
  target.disabledPasses.assign(disabledPasses.begin(), disabledPasses.end());
  if (std::optional<std::string> error = kiln::checkPassOptions(target)) {
    WithColor::error(errs(), "kiln") << *error << '\n';
    return false;
  }
  return true;
}

/// The value of `option` if it was given; a usage error if it is not >= 1.
template <typename T>
static bool positive(const cl::opt<T> &option, std::optional<T> &result) {
  if (!option.getNumOccurrences())
    return true;
  if (option < 1) {
    WithColor::error(errs(), "kiln")
        << "--" << option.ArgStr << " must be at least 1, not "
        << option.getValue() << '\n';
    return false;
  }
  result = option;
  return true;
}

/// --device as BuildRequest::cuda; a usage error if it is neither cpu nor
/// cuda.
static bool parseDevice(bool &cuda) {
  if (device != "cpu" && device != "cuda") {
    WithColor::error(errs(), "kiln")
        << "--device must be cpu or cuda, not '" << device << "'\n";
    return false;
  }
  cuda = device == "cuda";
  return true;
}

static int usageError() {
  errs() << "usage: kiln train MODEL.kiln [options]   (kiln --help, kiln train "
            "--help)\n"
            "       kiln eval MODEL.kiln --checkpoint FILE.ckpt [options]\n"
            "       kiln predict MODEL.kiln --checkpoint FILE.ckpt --input FILE "
            "[options]\n"
            "       kiln inspect FILE.ckpt\n"
            "       kiln export FILE.ckpt --npz OUT.npz\n";
  return usageExitCode;
}

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  for (cl::SubCommand *command :
       {&trainCommand, &evalCommand, &predictCommand, &inspectCommand,
        &exportCommand})
    cl::HideUnrelatedOptions(trainCategory, *command);
  cl::HideUnrelatedOptions(trainCategory);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "Kiln: train neural networks compiled ahead of time\n\n"
          "  kiln train MODEL.kiln [options]\n"
          "  kiln eval MODEL.kiln --checkpoint FILE.ckpt\n"
          "  kiln predict MODEL.kiln --checkpoint FILE.ckpt --input FILE\n"
          "  kiln inspect FILE.ckpt | MODEL.o\n"
          "  kiln export FILE.ckpt --npz OUT.npz\n",
          &errs()))
    return usageError();

  if (inspectCommand)
    return kiln::cli::isObjectFile(checkpointFile)
               ? kiln::cli::runInspectObject(checkpointFile)
               : kiln::cli::runInspect(checkpointFile);
  if (exportCommand)
    return kiln::cli::runExport(checkpointFile, npzPath);
  if (evalCommand) {
    kiln::cli::EvalRequest request;
    request.build = {modelPath, workDir, keepWorkDir};
    bool cuda = false;
    if (!parseDevice(cuda) || !targetOptions(request.build.target, cuda))
      return usageError();
    request.checkpointPath = checkpointFlag;
    std::optional<long long> batchValue, testValue;
    if (!positive(batchSize, batchValue) || !positive(testLimit, testValue))
      return usageError();
    request.batchSize = batchValue.value_or(0);
    request.testLimit = testValue;
    return kiln::cli::runEval(request);
  }
  if (predictCommand) {
    kiln::cli::PredictRequest request;
    request.build = {modelPath, workDir, keepWorkDir};
    bool cuda = false;
    if (!parseDevice(cuda) || !targetOptions(request.build.target, cuda))
      return usageError();
    request.checkpointPath = checkpointFlag;
    std::optional<long long> batchValue;
    if (!positive(batchSize, batchValue))
      return usageError();
    request.batchSize = batchValue.value_or(0);
    if (!inputFormat.empty() && inputFormat != "idx" && inputFormat != "csv" &&
        inputFormat != "npy" && inputFormat != "npz") {
      WithColor::error(errs(), "kiln")
          << "--format must be idx, csv, npy or npz, not '" << inputFormat
          << "'\n";
      return usageError();
    }
    request.input.paths = inputPaths;
    request.input.format = inputFormat;
    request.input.labels = labelsPaths;
    request.input.labelColumn = labelColumn;
    if (inputScale.getNumOccurrences())
      request.input.scale = inputScale;
    if (inputShift.getNumOccurrences())
      request.input.shift = inputShift;
    request.outputPath = outputPath;
    return kiln::cli::runPredict(request);
  }
  if (!trainCommand) {
    WithColor::error(errs(), "kiln") << "no subcommand given\n";
    return usageError();
  }

  kiln::cli::TrainRequest request;
  request.build.modelPath = modelPath;
  bool cuda = false;
  if (!parseDevice(cuda) || !targetOptions(request.build.target, cuda))
    return usageError();
  std::optional<long long> epochsValue, batchValue, trainValue, testValue;
  if (!positive(epochs, epochsValue) || !positive(batchSize, batchValue) ||
      !positive(trainLimit, trainValue) || !positive(testLimit, testValue))
    return usageError();
  request.epochs = epochsValue;
  request.batchSize = batchValue;
  request.trainLimit = trainValue;
  request.testLimit = testValue;
  if (seed.getNumOccurrences())
    request.seed = seed;
  std::optional<long long> everyValue, keepValue;
  if (!positive(checkpointEvery, everyValue) ||
      !positive(checkpointKeep, keepValue))
    return usageError();
  if ((resume || everyValue || keepValue) && checkpointDir.empty()) {
    WithColor::error(errs(), "kiln")
        << "--resume, --checkpoint-every and --keep need --checkpoint-dir\n";
    return usageError();
  }
  if (logEvery < 0) {
    WithColor::error(errs(), "kiln") << "--log-every must not be negative\n";
    return usageError();
  }
  request.reportPath = reportPath;
  request.build.workDir = workDir;
  request.build.keepWorkDir = keepWorkDir;
  request.quiet = quiet;
  request.progress = progressStyle;
  request.logEvery = logEvery;
  request.checkpointDir = checkpointDir;
  request.checkpointEvery = everyValue.value_or(0);
  request.checkpointKeep = keepValue.value_or(0);
  request.resume = resume;
  request.logdir = logdir;
  request.plotPath = plotPath;
  return kiln::cli::runTrain(request);
}
