//===- Datasets.h - Load the data sets a training recipe names -----------===//
//
// Every format of the `data` block (idx, csv, npy, npz) goes through the
// runtime's loaders; relative paths are resolved against the model file's
// folder. Normalization (`normalize = "standardize"`) takes its statistics
// from the whole train set, whichever command asks, so that train, eval and
// predict see the same inputs.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_DATASETS_H
#define KILN_TOOLS_KILN_DATASETS_H

#include "kiln/dataset.h"
#include "kiln/model.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln {
struct DataSource;
struct TrainingRecipe;
} // namespace kiln

namespace kiln::cli {

struct DatasetDeleter {
  void operator()(kiln_dataset *dataset) const { kiln_dataset_free(dataset); }
};
using DatasetPtr = std::unique_ptr<kiln_dataset, DatasetDeleter>;

/// `path` if it is absolute, else `baseDir`/`path`.
std::string resolvePath(llvm::StringRef path, llvm::StringRef baseDir);

/// Which of the recipe's data sets a command needs, and how much of each.
struct DataRequest {
  bool train = false, test = false;
  std::optional<int64_t> trainLimit, testLimit;
};

struct RecipeData {
  DatasetPtr train, test; // null when not requested
};

/// Loads the requested data sets of `recipe` (each must be present) with
/// labels of the kind `model` takes, normalizes them as the recipe says,
/// keeps the first `limit` examples of each and checks that every label of
/// a classifier is a class of its outputs.
llvm::Expected<RecipeData> loadRecipeData(const TrainingRecipe &recipe,
                                          llvm::StringRef baseDir,
                                          const DataRequest &request,
                                          const kiln_model &model);

/// Examples to predict on, from a file given on the command line.
struct InputRequest {
  /// One file, or for a model of several inputs one .npy file per input (a
  /// CSV file holds them all, in the train data's column groups).
  std::vector<std::string> paths;
  std::string format;      // idx, csv, npy or npz; empty: from the extension
  /// idx, npy: a labels file per label of the model (optional).
  std::vector<std::string> labels;
  std::string labelColumn; // csv: the label column (optional)
  std::optional<double> scale, shift; // default: the recipe's train data's
};

/// Loads `request.paths` (relative to the current directory) preprocessed as
/// the recipe's train data: the same scale, shift and normalization. For
/// CSV without an explicit label column, the train data's label column is
/// used when the file has one; npz reads the train data's array names.
llvm::Expected<DatasetPtr> loadInput(const InputRequest &request,
                                     const TrainingRecipe &recipe,
                                     llvm::StringRef baseDir,
                                     const kiln_model &model);

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_DATASETS_H
