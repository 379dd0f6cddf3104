//===- Train.cpp - the training loop ---------------------------------------===//

#include "Dataset.h"
#include "Error.h"
#include "Evaluate.h"

#include "kiln/batcher.h"
#include "kiln/train.h"

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

using namespace kiln;

void *kiln_state_alloc(const kiln_model *model) {
  // aligned_alloc wants a multiple of the alignment.
  size_t size = model->state_size ? model->state_size : 1;
  if (size > SIZE_MAX - KILN_STATE_ALIGNMENT)
    return nullptr;
  size = (size + KILN_STATE_ALIGNMENT - 1) / KILN_STATE_ALIGNMENT * KILN_STATE_ALIGNMENT;
  void *state = std::aligned_alloc(KILN_STATE_ALIGNMENT, size);
  if (state)
    std::memset(state, 0, size);
  return state;
}

void kiln_state_free(void *state) { std::free(state); }

void kiln_train_options_init(kiln_train_options *options) {
  *options = kiln_train_options{};
  options->epochs = 1;
  options->batch_size = 32;
  options->shuffle = 1;
}

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool checkOptions(const kiln_model &model, const kiln_train_options &options,
                  const kiln_dataset &train, const kiln_dataset *test, char *err,
                  size_t errLen) {
  if (!model.init || !model.train_step || !model.evaluate) {
    setError(err, errLen, "model '%s' lacks init, train_step or evaluate",
             model.name ? model.name : "");
    return false;
  }
  if (options.epochs <= 0 || options.batch_size <= 0 || options.eval_batch_size < 0) {
    setError(err, errLen,
             "epochs (%" PRId64 ") and batch size (%" PRId64
             ") must be positive, eval batch size (%" PRId64 ") not negative",
             options.epochs, options.batch_size, options.eval_batch_size);
    return false;
  }
  if (options.state &&
      reinterpret_cast<uintptr_t>(options.state) % KILN_STATE_ALIGNMENT != 0) {
    setError(err, errLen, "model state must be %d-byte aligned (use kiln_state_alloc)",
             KILN_STATE_ALIGNMENT);
    return false;
  }
  if (!checkDatasetFitsModel(model, train, err, errLen) ||
      (test && !checkDatasetFitsModel(model, *test, err, errLen)))
    return false;
  int64_t usableRows = options.drop_remainder
                           ? train.size - train.size % options.batch_size
                           : train.size;
  if (usableRows == 0) {
    setError(err, errLen, "%s: no training batch: %" PRId64
             " examples for batch size %" PRId64 "%s",
             train.featuresSource.c_str(), train.size, options.batch_size,
             options.drop_remainder ? " with the remainder dropped" : "");
    return false;
  }
  return true;
}

/// Owns the state the loop allocates itself; a caller's state is borrowed.
struct StateHolder {
  void *state = nullptr;
  bool owned = false;
  ~StateHolder() {
    if (owned)
      kiln_state_free(state);
  }
};

void printProgress(const kiln_train_options &options, int64_t epoch, int64_t step,
                   int64_t stepsPerEpoch, double meanLoss, double imagesPerSecond,
                   const kiln_epoch_stats *evaluated) {
  char testPart[64] = "";
  if (evaluated && !std::isnan(evaluated->test_loss))
    std::snprintf(testPart, sizeof(testPart), "  test_loss %.4f  test_acc %.4f",
                  evaluated->test_loss, evaluated->test_accuracy);
  std::fprintf(stderr,
               "epoch %" PRId64 "/%" PRId64 "  step %" PRId64 "/%" PRId64
               "  loss %.4f%s  %.0f img/s\n",
               epoch, options.epochs, step, stepsPerEpoch, meanLoss, testPart,
               imagesPerSecond);
}

} // namespace

int kiln_train(const kiln_model *model, const kiln_train_options *options,
               const kiln_dataset *train, const kiln_dataset *test,
               kiln_report *report, char *err, size_t err_len) {
  *report = kiln_report{};
  report->batch_size = options->batch_size;
  report->seed = options->seed;
  report->train_loss = report->test_loss = report->test_accuracy = NAN;
  report->model = strdup(model->name ? model->name : "model");
  if (!report->model) {
    setError(err, err_len, "out of memory");
    return -1;
  }
  if (!checkOptions(*model, *options, *train, test, err, err_len))
    return -1;

  report->history = static_cast<kiln_epoch_stats *>(
      std::calloc(size_t(options->epochs), sizeof(kiln_epoch_stats)));
  StateHolder holder;
  holder.state = options->state;
  if (!holder.state) {
    holder.state = kiln_state_alloc(model);
    holder.owned = true;
  }
  if (!report->history) {
    setError(err, err_len, "out of memory for %" PRId64 " epochs of history",
             options->epochs);
    return -1;
  }
  if (!holder.state) {
    setError(err, err_len, "out of memory for the model state (%zu bytes)",
             model->state_size);
    return -1;
  }
  if (!options->state || !options->skip_init)
    model->init(holder.state, options->seed);

  kiln_batcher_options batching{options->batch_size, options->seed, options->shuffle,
                                options->drop_remainder};
  std::unique_ptr<kiln_batcher, decltype(&kiln_batcher_free)> batcher(
      kiln_batcher_create(train, &batching, err, err_len), kiln_batcher_free);
  if (!batcher)
    return -1;
  int64_t stepsPerEpoch = kiln_batcher_batches_per_epoch(batcher.get());
  int64_t evalBatchSize =
      options->eval_batch_size ? options->eval_batch_size : options->batch_size;
  int64_t imagesTrained = 0;

  for (int64_t epoch = 1; epoch <= options->epochs; ++epoch) {
    Clock::time_point epochStart = Clock::now();
    kiln_batcher_start_epoch(batcher.get(), epoch - 1);
    double lossSum = 0;
    int64_t epochImages = 0;
    const float *x;
    const int32_t *y;
    for (int64_t step = 1; int64_t rows = kiln_batcher_next(batcher.get(), &x, &y);
         ++step) {
      float loss = model->train_step(holder.state, x, y, rows);
      if (!std::isfinite(loss)) {
        setError(err, err_len,
                 "training diverged: loss is %f at epoch %" PRId64 ", step %" PRId64
                 " of %" PRId64,
                 double(loss), epoch, step, stepsPerEpoch);
        return -1;
      }
      lossSum += loss;
      epochImages += rows;
      ++report->steps;
      if (!options->quiet && options->log_every > 0 && step % options->log_every == 0 &&
          step != stepsPerEpoch)
        printProgress(*options, epoch, step, stepsPerEpoch, lossSum / double(step),
                      double(epochImages) / secondsSince(epochStart), nullptr);
    }
    double epochSeconds = secondsSince(epochStart);
    report->train_seconds += epochSeconds;
    imagesTrained += epochImages;

    kiln_epoch_stats &stats = report->history[epoch - 1];
    stats = {epoch, lossSum / double(stepsPerEpoch), NAN, NAN};
    if (test && kiln_evaluate(model, holder.state, test, evalBatchSize,
                              &stats.test_loss, &stats.test_accuracy, nullptr, err,
                              err_len) != 0)
      return -1;
    report->history_size = report->epochs = epoch;
    report->train_loss = stats.train_loss;
    report->test_loss = stats.test_loss;
    report->test_accuracy = stats.test_accuracy;
    if (!options->quiet)
      printProgress(*options, epoch, stepsPerEpoch, stepsPerEpoch, stats.train_loss,
                    double(epochImages) / epochSeconds, &stats);
  }
  report->images_per_second =
      report->train_seconds > 0 ? double(imagesTrained) / report->train_seconds : 0;
  return 0;
}
