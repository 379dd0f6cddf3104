//===- TrainCommand.cpp - `kiln train`: compile, link, load data, train --===//
//
// Compiles the model into a work directory, links and loads it, reads the
// recipe's data, lets flags (or the checkpoint resumed from) override the
// recipe, and runs libkilnrt's loop.
//
//===----------------------------------------------------------------------===//

#include "TrainCommand.h"

#include "CliSupport.h"
#include "Datasets.h"

#include "kiln/checkpoint.h"
#include "kiln/cuda.h"
#include "kiln/report.h"
#include "kiln/train.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace llvm;

namespace kiln::cli {

namespace {
/// Frees the report on every path out of runTrain.
struct ReportHolder {
  kiln_report report = {};
  ~ReportHolder() { kiln_report_free(&report); }
};

/// The model state in GPU memory (--device cuda), freed on every path.
struct DeviceState {
  void *state = nullptr;
  ~DeviceState() { kiln_cuda_free(state); }
};
} // namespace

static void printSummary(const kiln_report &report, raw_ostream &os) {
  if (!std::isnan(report.test_accuracy))
    os << format("test_accuracy %.4f  ", report.test_accuracy);
  if (report.top_k > 0 && !std::isnan(report.test_top_k_accuracy))
    os << format("test_top_%lld_accuracy %.4f  ", (long long)report.top_k,
                 report.test_top_k_accuracy);
  if (!std::isnan(report.test_loss))
    os << format("test_loss %.4f  ", report.test_loss);
  os << format("train_loss %.4f  epochs %lld  steps %lld  %.1f s  %.0f img/s",
               report.train_loss, (long long)report.epochs,
               (long long)report.steps, report.train_seconds,
               report.images_per_second)
     << '\n';
}

/// The newest checkpoint in `dir`, verified; a null pointer with `ok` set
/// when there is none yet (the run starts from scratch).
static CheckpointPtr findResumePoint(const std::string &dir, bool &ok) {
  ok = true;
  char path[4096], err[512] = "";
  int found = sys::fs::is_directory(dir)
                  ? kiln_checkpoint_find_latest(dir.c_str(), path, sizeof(path),
                                                err, sizeof(err))
                  : 0;
  if (found < 0) {
    ok = false;
    fail(err);
  }
  if (found <= 0) {
    if (ok)
      WithColor::note(errs(), "kiln")
          << "no checkpoint in " << dir << " yet; starting from scratch\n";
    return nullptr;
  }
  CheckpointPtr checkpoint = loadCheckpoint(path);
  ok = bool(checkpoint);
  return checkpoint;
}

int runTrain(const TrainRequest &request) {
  std::unique_ptr<BuiltModel> built = buildModel(request.build);
  if (!built)
    return 1;
  const TrainingRecipe &recipe = built->info->recipe;
  if (!recipe.train)
    return fail(request.build.modelPath +
                ": the model has no 'data { train = ... }' block");
  const kiln_model &model = built->model();

  // On the GPU the state lives in device memory from init to the end; the
  // loop copies batches in and the loss out, checkpoints go through
  // state_to_host/_from_host.
  DeviceState device;
  if (request.build.cuda()) {
    char why[512] = "";
    if (!kiln_cuda_available(why, sizeof(why))) {
      errs() << why << '\n';
      return 1;
    }
    device.state = kiln_cuda_malloc(model.state_size);
  }

  CheckpointPtr resume;
  if (request.resume) {
    bool ok;
    resume = findResumePoint(request.checkpointDir, ok);
    if (!ok)
      return 1;
  }

  DataRequest dataRequest;
  dataRequest.train = true;
  dataRequest.test = recipe.test.has_value();
  dataRequest.trainLimit = request.trainLimit;
  dataRequest.testLimit = request.testLimit;
  Expected<RecipeData> data =
      loadRecipeData(recipe, built->baseDir, dataRequest, model);
  if (!data)
    return fail(data.takeError());
  DatasetPtr train = std::move(data->train), test = std::move(data->test);

  kiln_train_options options;
  kiln_train_options_init(&options);
  options.epochs = request.epochs.value_or(recipe.epochs);
  options.batch_size = request.batchSize.value_or(recipe.batchSize);
  options.seed = request.seed.value_or(recipe.seed);
  options.drop_remainder = recipe.dropRemainder;
  options.top_k = recipe.topK;
  if (resume) {
    // A resumed run keeps its batch order unless a flag says otherwise (and
    // then the runtime refuses the mismatch).
    kiln_train_position position;
    kiln_checkpoint_get_position(resume.get(), &position);
    options.batch_size = request.batchSize.value_or(position.batch_size);
    options.seed = request.seed.value_or(position.seed);
    options.resume = resume.get();
  }
  options.state = device.state; // null on the CPU: the loop allocates it
  options.quiet = request.quiet;
  options.progress = request.progress;
  options.log_every = request.logEvery;
  options.learning_rate = recipe.learningRate;
  if (!request.checkpointDir.empty())
    options.checkpoint_dir = request.checkpointDir.c_str();
  options.checkpoint_every = request.checkpointEvery;
  options.checkpoint_keep = request.checkpointKeep;
  if (!request.logdir.empty())
    options.logdir = request.logdir.c_str();

  ReportHolder holder;
  char err[512] = "";
  if (kiln_train(&model, &options, train.get(), test.get(), &holder.report,
                 err, sizeof(err)) != 0)
    return fail(err);

  if (!request.reportPath.empty() &&
      kiln_report_write_json(&holder.report, request.reportPath.c_str(), err,
                             sizeof(err)) != 0)
    return fail(err);
  if (!request.plotPath.empty() &&
      kiln_report_write_svg(&holder.report, request.plotPath.c_str(), err,
                            sizeof(err)) != 0)
    return fail(err);
  printSummary(holder.report, outs());
  return 0;
}

} // namespace kiln::cli
