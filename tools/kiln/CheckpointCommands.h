//===- CheckpointCommands.h - Commands that read checkpoints -------------===//
//
//   kiln inspect FILE.ckpt            what the checkpoint holds
//   kiln export FILE.ckpt --npz OUT   its tensors for NumPy
//   kiln eval MODEL.kiln --checkpoint FILE.ckpt
//   kiln predict MODEL.kiln --checkpoint FILE.ckpt --input FILE
//   (eval and predict with --device cuda: the model compiled for the GPU,
//   the checkpoint's state copied to device memory)
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_CHECKPOINTCOMMANDS_H
#define KILN_TOOLS_KILN_CHECKPOINTCOMMANDS_H

#include "Datasets.h"
#include "ModelBuild.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kiln::cli {

int runInspect(const std::string &checkpointPath);
int runExport(const std::string &checkpointPath, const std::string &npzPath);

struct EvalRequest {
  BuildRequest build;
  std::string checkpointPath;
  std::optional<int64_t> testLimit;
  int64_t batchSize = 0; // 0: the recipe's
};
int runEval(const EvalRequest &request);

struct PredictRequest {
  BuildRequest build;
  std::string checkpointPath;
  InputRequest input;
  std::string outputPath; // empty: print the argmax class of each example
  int64_t batchSize = 0;  // 0: the recipe's
};
/// Prints one predicted class per line on stdout (or writes all outputs as
/// an [n, classes] float32 .npy), and the accuracy on stderr when the input
/// has labels.
int runPredict(const PredictRequest &request);

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_CHECKPOINTCOMMANDS_H
