//===- TrainEvents.h - what the training loop tells its observers -*- C++ -*-===//
#ifndef KILN_RUNTIME_TRAINEVENTS_H
#define KILN_RUNTIME_TRAINEVENTS_H

#include <cstdint>

namespace kiln {

/// After one train step.
struct StepEvent {
  int64_t epoch;           // 1-based
  int64_t batch;           // 1-based within the epoch
  int64_t batchesPerEpoch;
  int64_t step;            // train steps completed in the whole run
  double loss;             // of this step
  double epochLoss;        // mean step loss of the epoch so far
  double batchAccuracy;    // of this batch if sampled (log_every), else NaN
  double epochAccuracy;    // mean of the epoch's sampled batches, else NaN
  double imagesPerSecond;  // in this epoch
  double etaSeconds;       // until the last step of the run
  bool sampled;            // a log_every step
};

} // namespace kiln

#endif // KILN_RUNTIME_TRAINEVENTS_H
