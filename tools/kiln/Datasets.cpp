//===- Datasets.cpp - Load the data sets a training recipe names ---------===//

#include "Datasets.h"

#include "Driver/Compiler.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

using namespace llvm;

namespace kiln::cli {

static std::string resolve(StringRef path, StringRef baseDir) {
  if (path.empty() || sys::path::is_absolute(path) || baseDir.empty())
    return path.str();
  SmallString<256> result(baseDir);
  sys::path::append(result, path);
  return std::string(result);
}

static Error runtimeError(const char *message) {
  return createStringError(inconvertibleErrorCode(), "%s", message);
}

Expected<DatasetPtr> loadDataset(const DataSource &source, StringRef baseDir,
                                 std::optional<int64_t> limit,
                                 int64_t numClasses) {
  if (source.format != "idx")
    return createStringError(inconvertibleErrorCode(),
                             "unsupported data format '%s' (kiln train reads "
                             "'idx')",
                             source.format.c_str());

  char err[512] = "";
  std::string images = resolve(source.images, baseDir);
  std::string labels = resolve(source.labels, baseDir);
  DatasetPtr dataset(kiln_dataset_load_idx(
      images.c_str(), labels.c_str(), static_cast<float>(source.scale),
      static_cast<float>(source.shift), err, sizeof(err)));
  if (!dataset)
    return runtimeError(err);

  if (limit) {
    dataset.reset(kiln_dataset_subset(dataset.get(), *limit, err, sizeof(err)));
    if (!dataset)
      return runtimeError(err);
  }
  if (kiln_dataset_check_labels(dataset.get(), numClasses, err, sizeof(err)))
    return runtimeError(err);
  return std::move(dataset);
}

} // namespace kiln::cli
