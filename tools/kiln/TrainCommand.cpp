//===- TrainCommand.cpp - `kiln train`: compile, link, load data, train --===//
//
// Compiles the model into a work directory, links and loads it, reads the
// recipe's data, lets flags override the recipe, and runs libkilnrt's loop.
//
//===----------------------------------------------------------------------===//

#include "TrainCommand.h"

#include "Datasets.h"
#include "ModelLoader.h"
#include "WorkDir.h"

#include "Driver/Compiler.h"
#include "kiln/report.h"
#include "kiln/train.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace llvm;

namespace kiln::cli {

static int fail(const Twine &message) {
  WithColor::error(errs(), "kiln") << message << '\n';
  return 1;
}

static int fail(Error error) {
  std::string message = toString(std::move(error));
  return fail(message);
}

namespace {
/// Frees the report on every path out of runTrain.
struct ReportHolder {
  kiln_report report = {};
  ~ReportHolder() { kiln_report_free(&report); }
};
} // namespace

static void printSummary(const kiln_report &report, raw_ostream &os) {
  if (!std::isnan(report.test_accuracy))
    os << format("test_accuracy %.4f  test_loss %.4f  ", report.test_accuracy,
                 report.test_loss);
  os << format("train_loss %.4f  epochs %lld  steps %lld  %.1f s  %.0f img/s",
               report.train_loss, (long long)report.epochs,
               (long long)report.steps, report.train_seconds,
               report.images_per_second)
     << '\n';
}

/// The folder relative data paths of `modelPath` are read from.
static std::string modelDirectory(StringRef modelPath) {
  SmallString<256> path(modelPath);
  (void)sys::fs::make_absolute(path);
  return sys::path::parent_path(path).str();
}

int runTrain(const TrainRequest &request) {
  Expected<WorkDir> workDir =
      request.workDir.empty() ? WorkDir::createTemporary(request.keepWorkDir)
                              : WorkDir::useExisting(request.workDir);
  if (!workDir)
    return fail(workDir.takeError());
  if (request.keepWorkDir && request.workDir.empty())
    WithColor::note(errs(), "kiln")
        << "work directory: " << workDir->path() << '\n';

  std::string objectPath = workDir->file("model.o");
  std::string libraryPath = workDir->file("model.so");
  std::unique_ptr<ModelInfo> info = compileToFiles(
      request.modelPath, TargetOptions(), objectPath,
      request.keepWorkDir || !request.workDir.empty() ? workDir->file("model.h")
                                                      : std::string(),
      "kiln");
  if (!info)
    return 1; // the driver has printed the diagnostic
  const TrainingRecipe &recipe = info->recipe;
  if (!recipe.train)
    return fail(request.modelPath +
                ": the model has no 'data { train = ... }' block");

  if (Error error = linkSharedModel(objectPath, libraryPath))
    return fail(std::move(error));
  Expected<std::unique_ptr<LoadedModel>> loaded =
      LoadedModel::load(*info, libraryPath);
  if (!loaded)
    return fail(loaded.takeError());
  const kiln_model &model = (*loaded)->model();

  std::string baseDir = modelDirectory(request.modelPath);
  Expected<DatasetPtr> train = loadDataset(
      *recipe.train, baseDir, request.trainLimit, model.output_size);
  if (!train)
    return fail(train.takeError());
  DatasetPtr test;
  if (recipe.test) {
    Expected<DatasetPtr> loadedTest = loadDataset(
        *recipe.test, baseDir, request.testLimit, model.output_size);
    if (!loadedTest)
      return fail(loadedTest.takeError());
    test = std::move(*loadedTest);
  }

  kiln_train_options options;
  kiln_train_options_init(&options);
  options.epochs = request.epochs.value_or(recipe.epochs);
  options.batch_size = request.batchSize.value_or(recipe.batchSize);
  options.seed = request.seed.value_or(recipe.seed);
  options.quiet = request.quiet;

  ReportHolder holder;
  char err[512] = "";
  if (kiln_train(&model, &options, train->get(), test.get(), &holder.report,
                 err, sizeof(err)) != 0)
    return fail(err);

  if (!request.reportPath.empty() &&
      kiln_report_write_json(&holder.report, request.reportPath.c_str(), err,
                             sizeof(err)) != 0)
    return fail(err);
  printSummary(holder.report, outs());
  return 0;
}

} // namespace kiln::cli
