//===- Recipe.h - The training recipe of a model file ---------------------===//
//
// The `train { }` and `data { }` blocks, checked and with defaults applied.
// Plain data: the runtime side (the `kiln` tool) reads it without MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_RECIPE_H
#define KILN_FRONTEND_RECIPE_H

#include <cstdint>
#include <optional>
#include <string>

namespace kiln {

/// Where a data set comes from: `idx(images, labels, scale = s, shift = t)`.
struct DataSource {
  std::string format; // "idx"
  std::string images, labels;
  double scale = 1.0, shift = 0.0;
};

struct TrainingRecipe {
  std::string optimizer = "sgd";
  double learningRate = 0.01;
  int64_t batchSize = 32;
  int64_t epochs = 1;
  uint64_t seed = 0;
  std::optional<DataSource> train, test;
};

} // namespace kiln

#endif // KILN_FRONTEND_RECIPE_H
