//===- Train.cpp - the training loop ---------------------------------------===//

#include "Dataset.h"
#include "DeviceBatches.h"
#include "Error.h"
#include "Evaluate.h"
#include "MallocArray.h"
#include "PackInputs.h"
#include "Progress.h"
#include "Summaries.h"

#include "kiln/batcher.h"
#include "kiln/train.h"

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <memory>

using namespace kiln;

void *kiln_state_alloc(const kiln_model *model) {
  return kiln_alloc(model->state_size);
}

void kiln_state_free(void *state) { kiln_free(state); }

void kiln_train_options_init(kiln_train_options *options) {
  *options = kiln_train_options{};
  options->epochs = 1;
  options->batch_size = 32;
  options->shuffle = 1;
  options->learning_rate = NAN;
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
  if (!checkTopK(model, options.top_k, err, errLen))
    return false;
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

/// Where a run starts: fresh, or where a checkpoint left off. Refuses a
/// checkpoint whose batch order the options would not reproduce.
bool startPosition(const kiln_train_options &options, kiln_train_position &position,
                   char *err, size_t errLen) {
  position = {};
  position.seed = options.seed;
  position.batch_size = options.batch_size;
  position.shuffle = options.shuffle != 0;
  position.drop_remainder = options.drop_remainder != 0;
  if (!options.resume)
    return true;
  kiln_train_position saved;
  kiln_checkpoint_get_position(options.resume, &saved);
  if (saved.seed != position.seed || saved.batch_size != position.batch_size ||
      saved.shuffle != position.shuffle ||
      saved.drop_remainder != position.drop_remainder) {
    setError(err, errLen,
             "%s: the checkpoint was taken with seed %" PRIu64 ", batch size %" PRId64
             "%s; resuming with seed %" PRIu64 ", batch size %" PRId64
             "%s would change the batch order",
             kiln_checkpoint_path(options.resume), saved.seed, saved.batch_size,
             saved.shuffle ? "" : ", unshuffled", position.seed, position.batch_size,
             position.shuffle ? "" : ", unshuffled");
    return false;
  }
  position = saved;
  return true;
}

double meanOrNaN(double sum, int64_t count) {
  return count > 0 ? sum / double(count) : NAN;
}

} // namespace

int kiln_train(const kiln_model *model, const kiln_train_options *options,
               const kiln_dataset *train, const kiln_dataset *test,
               kiln_report *report, char *err, size_t err_len) {
  *report = kiln_report{};
  report->batch_size = options->batch_size;
  report->seed = options->seed;
  report->train_loss = report->test_loss = report->test_accuracy = NAN;
  report->regression = !kiln_model_is_classifier(model);
  report->top_k = options->top_k;
  report->test_top_k_accuracy = NAN;
  report->model = strdup(model->name ? model->name : "model");
  if (!report->model) {
    setError(err, err_len, "out of memory");
    return -1;
  }
  if (!checkOptions(*model, *options, *train, test, err, err_len))
    return -1;
  kiln_train_position position;
  if (!startPosition(*options, position, err, err_len))
    return -1;

  report->history = static_cast<kiln_epoch_stats *>(
      std::calloc(size_t(options->epochs), sizeof(kiln_epoch_stats)));
  StateHolder holder;
  holder.state = options->state;
  if (!holder.state) {
    holder.state = kiln_state_alloc(model);
    holder.owned = true;
  }
  MallocArray<float> batchOutputs =
      allocateArray<float>(options->batch_size * model->output_size);
  // Several inputs: each batch repacked into their blocks.
  MallocArray<float> packed = allocateArray<float>(
      model->num_inputs > 1 ? options->batch_size * model->input_size : 1);
  // Several labels: the same for them.
  MallocArray<unsigned char> packedLabels = allocateArray<unsigned char>(
      numLabels(*model) > 1 ? options->batch_size * int64_t(train->labelBytes())
                            : 1);
  if (!report->history || !batchOutputs || !packed || !packedLabels) {
    setError(err, err_len, "out of memory for %" PRId64 " epochs of history",
             options->epochs);
    return -1;
  }
  if (!holder.state) {
    setError(err, err_len, "out of memory for the model state (%zu bytes)",
             model->state_size);
    return -1;
  }
  if (options->resume) {
    const kiln_epoch_stats *history;
    int64_t done = kiln_checkpoint_history(options->resume, &history);
    if (done > options->epochs || position.epoch > options->epochs) {
      setError(err, err_len,
               "%s: the checkpoint is past epoch %" PRId64 " already; ask for more "
               "epochs than that",
               kiln_checkpoint_path(options->resume), done);
      return -1;
    }
    if (kiln_checkpoint_restore(options->resume, model, holder.state, err, err_len) != 0)
      return -1;
    std::copy_n(history, done, report->history);
    report->history_size = report->epochs = done;
    report->steps = position.step;
    if (done > 0) {
      report->train_loss = history[done - 1].train_loss;
      report->test_loss = history[done - 1].test_loss;
      report->test_accuracy = history[done - 1].test_accuracy;
    }
  } else if (!options->state || !options->skip_init) {
    model->init(holder.state, options->seed);
  }

  kiln_batcher_options batching{options->batch_size, options->seed, options->shuffle,
                                options->drop_remainder};
  std::unique_ptr<kiln_batcher, decltype(&kiln_batcher_free)> batcher(
      kiln_batcher_create(train, &batching, err, err_len), kiln_batcher_free);
  if (!batcher)
    return -1;
  std::unique_ptr<Summaries> summaries;
  if (options->logdir &&
      !(summaries = Summaries::create(options->logdir, options->learning_rate, err,
                                      err_len)))
    return -1;
  bool checkpointing = options->checkpoint_dir != nullptr;
  auto saveCheckpoint = [&] {
    return kiln_checkpoint_save_in_dir(options->checkpoint_dir, options->checkpoint_keep,
                                       model, holder.state, &position, report->history,
                                       report->history_size, err, err_len) == 0;
  };
  // A model whose state lives on the GPU gets each batch copied while the
  // step before it runs.
  std::unique_ptr<BatchPrefetcher> prefetcher;
  if (prefetchesBatches(*model) && !options->no_prefetch)
    prefetcher = createDevicePrefetcher(*model, *train,
                                        std::min(options->batch_size, train->size));
  auto gatherBatch = [&](float *x, void *y) -> int64_t {
    const float *rowsX;
    const void *labels;
    int64_t rows = kiln_batcher_next(batcher.get(), &rowsX, &labels);
    stageBatch(*model, *train, rowsX, labels, rows, x, y);
    return rows;
  };
  DeviceBatch batch;
  auto nextBatch = [&] {
    if (prefetcher)
      return prefetcher->next(batch);
    const float *rowsX;
    const void *rowsY;
    batch.rows = kiln_batcher_next(batcher.get(), &rowsX, &rowsY);
    batch.x = packInputs(*model, rowsX, batch.rows, packed.get());
    batch.y = packLabels(*model, rowsY, batch.rows, packedLabels.get());
    batch.hostY = batch.y; // packed, as a prefetched slot holds them
    return batch.rows > 0;
  };
  Progress progress(*options, stderr);
  int64_t stepsPerEpoch = kiln_batcher_batches_per_epoch(batcher.get());
  int64_t evalBatchSize =
      options->eval_batch_size ? options->eval_batch_size : options->batch_size;
  int64_t totalSteps = options->epochs * stepsPerEpoch;
  int64_t firstStep = position.step;
  int64_t imagesTrained = 0;
  Clock::time_point runStart = Clock::now();

  for (; position.epoch < options->epochs; ++position.epoch) {
    Clock::time_point epochStart = Clock::now();
    kiln_batcher_seek(batcher.get(), position.epoch, position.batch);
    int64_t epoch = position.epoch + 1;
    int64_t epochImages = 0;
    if (prefetcher)
      prefetcher->start(gatherBatch);
    while (nextBatch()) {
      const float *x = batch.x;
      const void *y = batch.y;
      int64_t rows = batch.rows;
      bool sampled =
          options->log_every > 0 && (position.step + 1) % options->log_every == 0;
      double batchAccuracy = NAN;
      if (sampled && kiln_model_is_classifier(model)) {
        // Measured before the update, like the loss train_step returns.
        model->evaluate(holder.state, x, y, rows, batchOutputs.get());
        batchAccuracy = double(countCorrect(*model, batchOutputs.get(),
                                            static_cast<const int32_t *>(batch.hostY),
                                            rows, nullptr,
                                            LabelLayout::PerLabelBlocks)) /
                        double(rows * numLabels(*model));
        position.epoch_accuracy_sum += batchAccuracy;
        ++position.epoch_accuracy_batches;
      }
      float loss = model->train_step(holder.state, x, y, rows);
      ++position.batch;
      if (!std::isfinite(loss)) {
        setError(err, err_len,
                 "training diverged: loss is %f at epoch %" PRId64 ", step %" PRId64
                 " of %" PRId64,
                 double(loss), epoch, position.batch, stepsPerEpoch);
        return -1;
      }
      position.epoch_loss_sum += loss;
      ++position.step;
      report->steps = position.step;
      epochImages += rows;
      StepEvent event{epoch,
                      position.batch,
                      stepsPerEpoch,
                      position.step,
                      loss,
                      position.epoch_loss_sum / double(position.batch),
                      batchAccuracy,
                      meanOrNaN(position.epoch_accuracy_sum,
                                position.epoch_accuracy_batches),
                      double(epochImages) / secondsSince(epochStart),
                      secondsSince(runStart) / double(position.step - firstStep) *
                          double(totalSteps - position.step),
                      sampled};
      progress.onStep(event);
      if (summaries && !summaries->onStep(event, err, err_len))
        return -1;
      if (checkpointing && options->checkpoint_every > 0 &&
          position.step % options->checkpoint_every == 0 && !saveCheckpoint())
        return -1;
    }
    double epochSeconds = secondsSince(epochStart);
    report->train_seconds += epochSeconds;
    imagesTrained += epochImages;

    kiln_epoch_stats &stats = report->history[position.epoch];
    stats = {epoch, position.epoch_loss_sum / double(stepsPerEpoch), NAN, NAN,
             meanOrNaN(position.epoch_accuracy_sum, position.epoch_accuracy_batches)};
    if (test) {
      kiln_metrics metrics;
      if (kiln_evaluate_metrics(model, holder.state, test, evalBatchSize, options->top_k,
                                &metrics, nullptr, err, err_len) != 0)
        return -1;
      stats.test_loss = metrics.loss;
      stats.test_accuracy = metrics.accuracy;
      report->test_top_k_accuracy = metrics.top_k_accuracy;
    }
    report->history_size = report->epochs = epoch;
    report->train_loss = stats.train_loss;
    report->test_loss = stats.test_loss;
    report->test_accuracy = stats.test_accuracy;
    position.batch = 0;
    position.epoch_loss_sum = position.epoch_accuracy_sum = 0;
    position.epoch_accuracy_batches = 0;
    progress.onEpoch(stats, stepsPerEpoch,
                     epochSeconds > 0 ? double(epochImages) / epochSeconds : 0);
    if (summaries && !summaries->onEpoch(stats, err, err_len))
      return -1;
  }
  // The last checkpoint records the finished run, so that asking for more
  // epochs later continues it.
  if (checkpointing && !saveCheckpoint())
    return -1;
  report->images_per_second =
      report->train_seconds > 0 ? double(imagesTrained) / report->train_seconds : 0;
  return 0;
}
