//===- Progress.h - training progress on stderr ------------------*- C++ -*-===//
//
// On a terminal, one line redrawn with \r: epoch, a bar with step/total,
// loss, accuracy, images/s and the time left. Elsewhere (a log file, a pipe)
// plain lines every log_every steps. Either way, one line per epoch with its
// test metrics.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_PROGRESS_H
#define KILN_RUNTIME_PROGRESS_H

#include "TrainEvents.h"

#include "kiln/report.h"
#include "kiln/train.h"

#include <chrono>
#include <cstdio>

namespace kiln {

class Progress {
public:
  Progress(const kiln_train_options &options, std::FILE *out);

  void onStep(const StepEvent &step);
  void onEpoch(const kiln_epoch_stats &stats, int64_t batchesPerEpoch,
               double imagesPerSecond);

private:
  enum class Style { None, Lines, Bar };
  void drawBar(const StepEvent &step);

  std::FILE *out;
  Style style;
  int64_t epochs;
  std::chrono::steady_clock::time_point lastDraw{};
  bool barShown = false;
};

} // namespace kiln

#endif // KILN_RUNTIME_PROGRESS_H
