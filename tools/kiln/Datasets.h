//===- Datasets.h - Load the data sets a training recipe names -----------===//
#ifndef KILN_TOOLS_KILN_DATASETS_H
#define KILN_TOOLS_KILN_DATASETS_H

#include "kiln/dataset.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>

namespace kiln {
struct DataSource;
} // namespace kiln

namespace kiln::cli {

struct DatasetDeleter {
  void operator()(kiln_dataset *dataset) const { kiln_dataset_free(dataset); }
};
using DatasetPtr = std::unique_ptr<kiln_dataset, DatasetDeleter>;

/// Loads `source` with libkilnrt, keeps its first `limit` examples when
/// given, and checks that every label is a class in [0, numClasses).
/// Relative paths are resolved against `baseDir` (the model file's folder).
llvm::Expected<DatasetPtr> loadDataset(const DataSource &source,
                                       llvm::StringRef baseDir,
                                       std::optional<int64_t> limit,
                                       int64_t numClasses);

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_DATASETS_H
