//===- kiln.cpp - The Kiln user CLI: flags and dispatch
//--------------------===//
//
//   kiln train MODEL.kiln [--epochs N] [--batch-size N] [--seed N]
//              [--report FILE.json] [--quiet] [--train-limit N]
//              [--test-limit N] [--work-dir DIR] [--keep-work-dir]
//
// Exit status: 0 on success, 1 after an error, 2 on a usage error.
//
//===----------------------------------------------------------------------===//

#include "TrainCommand.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static constexpr int usageExitCode = 2;

static cl::OptionCategory trainCategory("kiln train options");
static cl::SubCommand
    trainCommand("train", "Compile a .kiln model, train it on the data its "
                          "recipe names, and print the test metrics");

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.kiln>"),
                                      cl::sub(trainCommand),
                                      cl::cat(trainCategory));
static cl::opt<long long> epochs("epochs",
                                 cl::desc("Epochs to train (default: recipe)"),
                                 cl::value_desc("N"), cl::sub(trainCommand),
                                 cl::cat(trainCategory));
static cl::opt<long long>
    batchSize("batch-size", cl::desc("Examples per step (default: recipe)"),
              cl::value_desc("N"), cl::sub(trainCommand),
              cl::cat(trainCategory));
static cl::opt<unsigned long long>
    seed("seed",
         cl::desc("Seed of the initial parameters and batch order "
                  "(default: recipe)"),
         cl::value_desc("N"), cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<std::string>
    reportPath("report", cl::desc("Write the training report as JSON"),
               cl::value_desc("FILE.json"), cl::sub(trainCommand),
               cl::cat(trainCategory));
static cl::opt<bool> quiet("quiet", cl::desc("No progress lines on stderr"),
                           cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<long long> trainLimit(
    "train-limit", cl::desc("Train on the first N examples of the train data"),
    cl::value_desc("N"), cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<long long> testLimit(
    "test-limit", cl::desc("Evaluate on the first N examples of the test data"),
    cl::value_desc("N"), cl::sub(trainCommand), cl::cat(trainCategory));
static cl::opt<std::string>
    workDir("work-dir",
            cl::desc("Build the model in DIR and keep it (default: a temporary "
                     "directory, removed at exit)"),
            cl::value_desc("DIR"), cl::sub(trainCommand),
            cl::cat(trainCategory));
static cl::opt<bool>
    keepWorkDir("keep-work-dir",
                cl::desc("Keep the temporary work directory (model.o, "
                         "model.so, model.h) and print its path"),
                cl::sub(trainCommand), cl::cat(trainCategory));

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

static int usageError() {
  errs() << "usage: kiln train MODEL.kiln [options]   (kiln --help, kiln train "
            "--help)\n";
  return usageExitCode;
}

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(trainCategory, trainCommand);
  cl::HideUnrelatedOptions(trainCategory);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "Kiln: train neural networks compiled ahead of time\n\n"
          "  kiln train MODEL.kiln [options]\n",
          &errs()))
    return usageError();

  if (!trainCommand) {
    WithColor::error(errs(), "kiln") << "no subcommand given\n";
    return usageError();
  }

  kiln::cli::TrainRequest request;
  request.modelPath = modelPath;
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
  request.reportPath = reportPath;
  request.workDir = workDir;
  request.keepWorkDir = keepWorkDir;
  request.quiet = quiet;
  return kiln::cli::runTrain(request);
}
