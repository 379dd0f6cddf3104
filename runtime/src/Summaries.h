//===- Summaries.h - TensorBoard scalars of a training run ------*- C++ -*-===//
//
// Keras' layout, so TensorBoard overlays train and test curves: logdir/train
// and logdir/test each get an event file. Every log_every steps, train gets
// `loss`, `accuracy` and `learning_rate` at the global step; after every
// epoch, both get `epoch_loss` and `epoch_accuracy` (train also
// `epoch_learning_rate`) at the 1-based epoch.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SUMMARIES_H
#define KILN_RUNTIME_SUMMARIES_H

#include "EventFile.h"
#include "TrainEvents.h"

#include "kiln/report.h"

#include <memory>
#include <string>

namespace kiln {

class Summaries {
public:
  /// Null with err if the event files cannot be created.
  static std::unique_ptr<Summaries> create(const std::string &logdir,
                                           double learningRate, char *err,
                                           size_t errLen);

  bool onStep(const StepEvent &step, char *err, size_t errLen);
  bool onEpoch(const kiln_epoch_stats &stats, char *err, size_t errLen);

private:
  Summaries(std::unique_ptr<EventFile> train, std::unique_ptr<EventFile> test,
            double learningRate)
      : train(std::move(train)), test(std::move(test)), learningRate(learningRate) {}
  /// Writes value unless it is NaN (a metric that was not measured).
  bool scalar(EventFile &file, const char *tag, double value, int64_t step, char *err,
              size_t errLen);

  std::unique_ptr<EventFile> train, test;
  double learningRate;
};

} // namespace kiln

#endif // KILN_RUNTIME_SUMMARIES_H
