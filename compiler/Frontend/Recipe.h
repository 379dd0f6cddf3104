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
#include <vector>

namespace kiln {

/// Where a data set comes from, as the `data` block names it:
///   idx(images, labels, scale = s, shift = t)     IDX files (plain or gzip)
///   csv(path, label = "column", scale =, shift =) a CSV file with a header
///       (inputs = [[columns], ...]: which columns feed which input)
///   npy(features, labels, scale =, shift =)       two NumPy .npy files
///                                                 (features: a list of one
///                                                 file per input when the
///                                                 model has several)
///   npz(path, x = "x", y = "y", scale =, shift =) one NumPy .npz archive
/// Paths are as written; the `kiln` tool resolves relative ones against the
/// model file's folder.
struct DataSource {
  std::string format; // "idx", "csv", "npy" or "npz"
  std::string images; // idx: images; npy: features; csv, npz: the file
  /// npy for a model of several inputs: the features files of the second
  /// and later inputs, `npy(["a.npy", "b.npy"], "y.npy")` (images is the first).
  std::vector<std::string> moreInputs;
  std::string labels; // idx, npy: the labels file; empty otherwise
  std::string labelColumn;            // csv
  /// A model of several labels: the labels files (npy), columns (csv,
  /// `label = ["y1", "y2"]`) or arrays (npz, `y = [...]`) of the second and
  /// later labels; labels, labelColumn or yKey holds the first.
  std::vector<std::string> moreLabels;
  /// csv `inputs = [["x1", "x2"], ["x3"]]`: the columns of each input, in
  /// the model's order (empty: every column but the label, in file order).
  std::vector<std::vector<std::string>> columnGroups;
  std::string xKey = "x", yKey = "y"; // npz
  double scale = 1.0, shift = 0.0;
};

/// `normalize = "..."` in the `data` block: applied after scale and shift.
enum class Normalization {
  None,
  /// Per feature: (v - mean) / std, both computed on the train set (a
  /// feature with std 0 is only centred) and applied to train and test.
  Standardize,
};

struct TrainingRecipe {
  std::string optimizer = "sgd";
  double learningRate = 0.01;
  int64_t batchSize = 32;
  int64_t epochs = 1;
  uint64_t seed = 0;
  /// `drop_remainder = true`: an epoch's last, smaller batch is skipped.
  bool dropRemainder = false;
  /// `metrics = [accuracy, top_k_accuracy(k = 5)]`: k of the top-k accuracy
  /// measured on the test set (0: none). Accuracy is always measured for
  /// class labels; the list may name it.
  int64_t topK = 0;
  std::optional<DataSource> train, test;
  Normalization normalize = Normalization::None;
};

} // namespace kiln

#endif // KILN_FRONTEND_RECIPE_H
