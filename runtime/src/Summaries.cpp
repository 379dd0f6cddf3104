//===- Summaries.cpp - TensorBoard scalars of a training run --------------===//

#include "Summaries.h"

#include <cmath>

using namespace kiln;

std::unique_ptr<Summaries> Summaries::create(const std::string &logdir,
                                             double learningRate, char *err,
                                             size_t errLen) {
  std::unique_ptr<EventFile> train = EventFile::create(logdir + "/train", err, errLen);
  if (!train)
    return nullptr;
  std::unique_ptr<EventFile> test = EventFile::create(logdir + "/test", err, errLen);
  if (!test)
    return nullptr;
  return std::unique_ptr<Summaries>(
      new Summaries(std::move(train), std::move(test), learningRate));
}

bool Summaries::scalar(EventFile &file, const char *tag, double value, int64_t step,
                       char *err, size_t errLen) {
  return std::isnan(value) || file.addScalar(tag, value, step, err, errLen);
}

bool Summaries::onStep(const StepEvent &step, char *err, size_t errLen) {
  if (!step.sampled)
    return true;
  return scalar(*train, "loss", step.loss, step.step, err, errLen) &&
         scalar(*train, "accuracy", step.batchAccuracy, step.step, err, errLen) &&
         scalar(*train, "learning_rate", learningRate, step.step, err, errLen) &&
         train->flush(err, errLen);
}

bool Summaries::onEpoch(const kiln_epoch_stats &stats, char *err, size_t errLen) {
  int64_t epoch = stats.epoch;
  return scalar(*train, "epoch_loss", stats.train_loss, epoch, err, errLen) &&
         scalar(*train, "epoch_accuracy", stats.train_accuracy, epoch, err, errLen) &&
         scalar(*train, "epoch_learning_rate", learningRate, epoch, err, errLen) &&
         scalar(*test, "epoch_loss", stats.test_loss, epoch, err, errLen) &&
         scalar(*test, "epoch_accuracy", stats.test_accuracy, epoch, err, errLen) &&
         train->flush(err, errLen) && test->flush(err, errLen);
}
