//===- TrainCommand.h - `kiln train`: compile, link, load data, train ----===//
#ifndef KILN_TOOLS_KILN_TRAINCOMMAND_H
#define KILN_TOOLS_KILN_TRAINCOMMAND_H

#include <cstdint>
#include <optional>
#include <string>

namespace kiln::cli {

/// What `kiln train` was asked; unset values come from the model's recipe.
struct TrainRequest {
  std::string modelPath;
  std::optional<int64_t> epochs, batchSize;
  std::optional<uint64_t> seed;
  std::optional<int64_t> trainLimit, testLimit;
  std::string reportPath; // empty: no JSON report
  std::string workDir;    // empty: a private temporary directory
  bool keepWorkDir = false;
  bool quiet = false;
};

/// Runs the request; returns the process exit status (0, or 1 after an
/// error has been printed).
int runTrain(const TrainRequest &request);

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_TRAINCOMMAND_H
