//===- TrainCommand.h - `kiln train`: compile, link, load data, train ----===//
#ifndef KILN_TOOLS_KILN_TRAINCOMMAND_H
#define KILN_TOOLS_KILN_TRAINCOMMAND_H

#include "ModelBuild.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kiln::cli {

/// What `kiln train` was asked; unset values come from the model's recipe
/// (or, when resuming, from the checkpoint).
struct TrainRequest {
  BuildRequest build;
  std::optional<int64_t> epochs, batchSize;
  std::optional<uint64_t> seed;
  std::optional<int64_t> trainLimit, testLimit;
  std::string reportPath; // empty: no JSON report
  bool quiet = false;
  int progress = 0;       // a kiln_progress_style
  int64_t logEvery = 0;   // steps between sampled metrics and summaries
  std::string checkpointDir; // empty: no checkpoints
  int64_t checkpointEvery = 0;
  int64_t checkpointKeep = 0;
  bool resume = false;    // continue from the newest checkpoint in checkpointDir
  std::string logdir;     // empty: no TensorBoard summaries
  std::string plotPath;   // empty: no SVG curves
};

/// Runs the request; returns the process exit status (0, or 1 after an
/// error has been printed).
int runTrain(const TrainRequest &request);

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_TRAINCOMMAND_H
