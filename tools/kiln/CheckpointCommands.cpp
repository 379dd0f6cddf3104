//===- CheckpointCommands.cpp - Commands that read checkpoints -----------===//

#include "CheckpointCommands.h"

#include "CliSupport.h"
#include "Datasets.h"

#include "kiln/cuda.h"
#include "kiln/train.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

using namespace llvm;

namespace kiln::cli {

/// "f32[784, 256]".
static std::string typeText(const kiln_tensor_view &view) {
  const char *dtype = kiln_dtype_name(view.dtype);
  std::string text = dtype ? dtype : "?";
  text += "[";
  for (int32_t d = 0; d < view.rank; ++d)
    text += (d ? ", " : "") + std::to_string(view.shape[d]);
  return text + "]";
}

/// min / max / mean of a float tensor, to spot NaNs or a dead layer at a glance.
static void printFloatStats(const kiln_tensor_view &view, raw_ostream &os) {
  if (view.dtype != KILN_DTYPE_F32 || view.bytes == 0)
    return;
  size_t count = view.bytes / sizeof(float);
  double low = INFINITY, high = -INFINITY, sum = 0;
  for (size_t i = 0; i < count; ++i) {
    float value;
    std::memcpy(&value, static_cast<const char *>(view.data) + i * sizeof(float),
                sizeof(float));
    low = std::fmin(low, value);
    high = std::fmax(high, value);
    sum += value;
  }
  os << format("  min %.6g  max %.6g  mean %.6g", low, high, sum / double(count));
}

int runInspect(const std::string &checkpointPath) {
  CheckpointPtr checkpoint = loadCheckpoint(checkpointPath);
  if (!checkpoint)
    return 1;
  raw_ostream &os = outs();
  kiln_train_position p;
  kiln_checkpoint_get_position(checkpoint.get(), &p);
  os << "checkpoint " << checkpointPath << " (verified)\n"
     << "model      " << kiln_checkpoint_model_name(checkpoint.get()) << '\n'
     << format("signature  0x%016llx\n",
               (unsigned long long)kiln_checkpoint_signature(checkpoint.get()))
     << "state      " << kiln_checkpoint_state_size(checkpoint.get()) << " bytes\n"
     << format("position   step %lld, next batch %lld of epoch %lld (seed %llu, "
               "batch size %lld%s)\n",
               (long long)p.step, (long long)p.batch + 1, (long long)p.epoch + 1,
               (unsigned long long)p.seed, (long long)p.batch_size,
               p.shuffle ? "" : ", unshuffled");
  const kiln_epoch_stats *history;
  int64_t epochs = kiln_checkpoint_history(checkpoint.get(), &history);
  os << "history    " << epochs << " epochs\n";
  for (int64_t i = 0; i < epochs; ++i)
    os << format("  epoch %lld  train_loss %.4f  train_acc %.4f  test_loss %.4f  "
                 "test_acc %.4f\n",
                 (long long)history[i].epoch, history[i].train_loss,
                 history[i].train_accuracy, history[i].test_loss,
                 history[i].test_accuracy);
  size_t count = kiln_checkpoint_num_tensors(checkpoint.get());
  os << "tensors    " << count << '\n';
  for (size_t i = 0; i < count; ++i) {
    kiln_tensor_view view;
    kiln_checkpoint_tensor(checkpoint.get(), i, &view);
    os << "  " << view.name << "  " << typeText(view) << "  " << view.bytes
       << " bytes";
    printFloatStats(view, os);
    os << '\n';
  }
  return 0;
}

int runExport(const std::string &checkpointPath, const std::string &npzPath) {
  CheckpointPtr checkpoint = loadCheckpoint(checkpointPath);
  if (!checkpoint)
    return 1;
  char err[512] = "";
  if (kiln_checkpoint_export_npz(checkpoint.get(), npzPath.c_str(), err,
                                 sizeof(err)) != 0)
    return fail(err);
  outs() << "wrote " << kiln_checkpoint_num_tensors(checkpoint.get())
         << " arrays to " << npzPath << '\n';
  return 0;
}

/// A model state and how to free it: kiln_state_free (host) or
/// kiln_cuda_free (device).
using StatePtr = std::unique_ptr<void, void (*)(void *)>;

/// Loads the model's checkpointed state into a fresh buffer: aligned host
/// memory, or for a CUDA model (--device cuda) device memory, which
/// kiln_checkpoint_restore fills through the model's state_from_host.
/// Null after the error has been printed (on a machine without a usable
/// GPU, the one line `kiln train --device cuda` prints too).
static StatePtr restoreState(const BuiltModel &built, const std::string &path,
                             bool cuda) {
  StatePtr none(nullptr, kiln_state_free);
  if (cuda) {
    char why[512] = "";
    if (!kiln_cuda_available(why, sizeof(why))) {
      errs() << why << '\n';
      return none;
    }
  }
  CheckpointPtr checkpoint = loadCheckpoint(path);
  if (!checkpoint)
    return none;
  const kiln_model &model = built.model();
  StatePtr state = cuda ? StatePtr(kiln_cuda_malloc(model.state_size),
                                   kiln_cuda_free)
                        : StatePtr(kiln_state_alloc(&model), kiln_state_free);
  if (!state) {
    fail("out of memory for the model state");
    return none;
  }
  char err[512] = "";
  if (kiln_checkpoint_restore(checkpoint.get(), &model, state.get(), err,
                              sizeof(err)) != 0) {
    fail(err);
    return none;
  }
  return state;
}

int runEval(const EvalRequest &request) {
  std::unique_ptr<BuiltModel> built = buildModel(request.build);
  if (!built)
    return 1;
  const TrainingRecipe &recipe = built->info->recipe;
  if (!recipe.test)
    return fail(request.build.modelPath +
                ": the model has no 'data { test = ... }' block to evaluate on");
  const kiln_model &model = built->model();
  StatePtr state =
      restoreState(*built, request.checkpointPath, request.build.cuda());
  if (!state)
    return 1;
  DataRequest dataRequest;
  dataRequest.test = true;
  dataRequest.testLimit = request.testLimit;
  Expected<RecipeData> data =
      loadRecipeData(recipe, built->baseDir, dataRequest, model);
  if (!data)
    return fail(data.takeError());
  DatasetPtr test = std::move(data->test);

  int64_t classes = kiln_model_classes_per_label(&model);
  int32_t labels = std::max(model.num_labels, 1);
  bool classifier = kiln_model_is_classifier(&model);
  std::vector<int64_t> confusion(classifier ? size_t(labels * classes * classes)
                                            : 0);
  kiln_metrics metrics;
  char err[512] = "";
  if (kiln_evaluate_metrics(
          &model, state.get(), test.get(),
          request.batchSize ? request.batchSize : recipe.batchSize, recipe.topK,
          &metrics, classifier ? confusion.data() : nullptr, err, sizeof(err)) != 0)
    return fail(err);

  raw_ostream &os = outs();
  os << format("examples %lld  loss %.4f",
               (long long)kiln_dataset_size(test.get()), metrics.loss);
  if (!classifier) {
    os << '\n'; // real-valued labels: the loss is the metric
    return 0;
  }
  os << format("  accuracy %.4f", metrics.accuracy);
  if (recipe.topK > 0)
    os << format("  top_%lld_accuracy %.4f", (long long)recipe.topK,
                 metrics.top_k_accuracy);
  os << '\n';
  // Several labels: one matrix each, after its own accuracy.
  for (int32_t l = 0; l < labels; ++l) {
    const int64_t *matrix = confusion.data() + l * classes * classes;
    if (labels > 1) {
      int64_t correct = 0;
      for (int64_t c = 0; c < classes; ++c)
        correct += matrix[c * classes + c];
      os << format("label %d (%s)  accuracy %.4f\n", l,
                   built->info->labels[size_t(l)].name.c_str(),
                   double(correct) / double(kiln_dataset_size(test.get())));
    }
    os << "confusion matrix (rows: label, columns: predicted)\n      ";
    for (int64_t c = 0; c < classes; ++c)
      os << format(" %6lld", (long long)c);
    os << '\n';
    for (int64_t label = 0; label < classes; ++label) {
      os << format("%6lld", (long long)label);
      for (int64_t c = 0; c < classes; ++c)
        os << format(" %6lld", (long long)matrix[label * classes + c]);
      os << '\n';
    }
  }
  return 0;
}

int runPredict(const PredictRequest &request) {
  std::unique_ptr<BuiltModel> built = buildModel(request.build);
  if (!built)
    return 1;
  const TrainingRecipe &recipe = built->info->recipe;
  const kiln_model &model = built->model();
  StatePtr state =
      restoreState(*built, request.checkpointPath, request.build.cuda());
  if (!state)
    return 1;
  Expected<DatasetPtr> input =
      loadInput(request.input, recipe, built->baseDir, model);
  if (!input)
    return fail(input.takeError());
  const kiln_dataset *examples = input->get();
  int64_t count = kiln_dataset_size(examples),
          outputsPerRow = model.output_size;
  int64_t classes = kiln_model_classes_per_label(&model);
  int32_t labels = std::max(model.num_labels, 1);
  char err[512] = "";
  bool classifier = kiln_model_is_classifier(&model);
  bool labelled = classifier && kiln_dataset_has_labels(examples);
  if (labelled &&
      kiln_dataset_check_labels(examples, classes, err, sizeof(err)) != 0)
    return fail(err);

  std::vector<float> outputs(size_t(count * outputsPerRow));
  if (kiln_predict(&model, state.get(), examples,
                   request.batchSize ? request.batchSize : recipe.batchSize,
                   outputs.data(), err, sizeof(err)) != 0)
    return fail(err);

  raw_ostream &os = outs();
  if (!request.outputPath.empty()) {
    int64_t shape[2] = {count, outputsPerRow};
    if (kiln_write_npy_f32(request.outputPath.c_str(), outputs.data(), 2, shape,
                           err, sizeof(err)) != 0)
      return fail(err);
    os << format("wrote %lld x %lld outputs to ", (long long)count,
                 (long long)outputsPerRow)
       << request.outputPath << '\n';
  }
  if (!classifier) {
    // Real values: print each row's outputs.
    for (int64_t row = 0; request.outputPath.empty() && row < count; ++row) {
      for (int64_t c = 0; c < outputsPerRow; ++c)
        os << (c ? " " : "")
           << format("%g", outputs[size_t(row * outputsPerRow + c)]);
      os << '\n';
    }
    return 0;
  }
  // The argmax of each row (of each label's block of a row), as
  // kiln_evaluate counts it.
  const auto *labelRows =
      static_cast<const int32_t *>(kiln_dataset_label_rows(examples));
  int64_t correct = 0;
  for (int64_t row = 0; row < count; ++row) {
    for (int32_t l = 0; l < labels; ++l) {
      const float *scores = outputs.data() + row * outputsPerRow + l * classes;
      int64_t predicted = std::max_element(scores, scores + classes) - scores;
      correct += labelled && predicted == labelRows[row * labels + l];
      if (request.outputPath.empty())
        os << (l ? " " : "") << predicted;
    }
    if (request.outputPath.empty())
      os << '\n';
  }
  if (labelled)
    errs() << format("accuracy %.4f (%lld of %lld %s)\n",
                     double(correct) / double(count * labels),
                     (long long)correct, (long long)(count * labels),
                     labels > 1 ? "labels" : "examples");
  return 0;
}

} // namespace kiln::cli
