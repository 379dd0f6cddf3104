//===- Datasets.cpp - Load the data sets a training recipe names ---------===//

#include "Datasets.h"

#include "Frontend/Recipe.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace llvm;

namespace kiln::cli {

std::string resolvePath(StringRef path, StringRef baseDir) {
  if (path.empty() || sys::path::is_absolute(path) || baseDir.empty())
    return path.str();
  SmallString<256> result(baseDir);
  sys::path::append(result, path);
  return std::string(result);
}

static Error runtimeError(const char *message) {
  return createStringError(inconvertibleErrorCode(), "%s", message);
}

/// The column names in the header row of a CSV file (none if it cannot be
/// read: the loader reports why).
static std::vector<std::string> csvHeader(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file = MemoryBuffer::getFile(path);
  if (!file)
    return {};
  StringRef header = (*file)->getBuffer().split('\n').first.rtrim("\r");
  SmallVector<StringRef> cells;
  header.split(cells, ',');
  std::vector<std::string> names;
  for (StringRef cell : cells)
    names.push_back(cell.trim(" \t").str());
  return names;
}

/// Keeps the CSV columns `source.columnGroups` names, input after input.
static Error selectCsvColumns(const DataSource &source, StringRef path,
                              kiln_dataset *dataset) {
  // Feature index of each column: its position among the non-label ones.
  std::vector<std::string> header = csvHeader(path);
  llvm::erase(header, source.labelColumn);
  std::vector<int64_t> columns;
  for (const std::vector<std::string> &group : source.columnGroups)
    for (const std::string &name : group) {
      auto found = llvm::find(header, name);
      if (found == header.end())
        return createStringError(inconvertibleErrorCode(),
                                 "%s: no column named '%s' (listed in 'inputs')",
                                 path.str().c_str(), name.c_str());
      columns.push_back(found - header.begin());
    }
  char err[512] = "";
  if (kiln_dataset_select_features(dataset, columns.data(),
                                   int64_t(columns.size()), err, sizeof(err)))
    return runtimeError(err);
  return Error::success();
}

/// One source through the runtime loader of its format. `source.images` is
/// the features file; empty label fields load the examples without labels.
/// The labels are of the kind `model` takes; the features of its further
/// inputs (`source.moreInputs`) are appended to each example.
static Expected<DatasetPtr> loadSource(const DataSource &source,
                                       StringRef baseDir,
                                       const kiln_model &model) {
  bool realLabels = !kiln_model_is_classifier(&model);
  char err[512] = "";
  std::string features = resolvePath(source.images, baseDir);
  std::string labels = resolvePath(source.labels, baseDir);
  const char *labelsPath = labels.empty() ? nullptr : labels.c_str();
  float scale = static_cast<float>(source.scale);
  float shift = static_cast<float>(source.shift);
  DatasetPtr dataset;
  if (source.format == "idx")
    dataset.reset(kiln_dataset_load_idx(features.c_str(), labelsPath, scale,
                                        shift, err, sizeof(err)));
  else if (source.format == "npy")
    dataset.reset((realLabels ? kiln_dataset_load_npy_f32 : kiln_dataset_load_npy)(
        features.c_str(), labelsPath, scale, shift, err, sizeof(err)));
  else if (source.format == "csv")
    dataset.reset((realLabels ? kiln_dataset_load_csv_f32 : kiln_dataset_load_csv)(
        features.c_str(),
        source.labelColumn.empty() ? nullptr : source.labelColumn.c_str(),
        scale, shift, err, sizeof(err)));
  else if (source.format == "npz")
    dataset.reset((realLabels ? kiln_dataset_load_npz_f32 : kiln_dataset_load_npz)(
        features.c_str(), source.xKey.c_str(),
        source.yKey.empty() ? nullptr : source.yKey.c_str(), scale, shift, err,
        sizeof(err)));
  else
    return createStringError(inconvertibleErrorCode(),
                             "unsupported data format '%s' (expected idx, csv, "
                             "npy or npz)",
                             source.format.c_str());
  if (!dataset)
    return runtimeError(err);
  if (!source.columnGroups.empty())
    if (Error error = selectCsvColumns(source, features, dataset.get()))
      return std::move(error);
  if (source.moreInputs.empty())
    return std::move(dataset);
  // Each input's file must hold that input's features.
  auto checkSize = [&](const kiln_dataset *part, size_t input,
                       StringRef path) -> Error {
    int64_t size = kiln_dataset_example_size(part);
    if (model.num_inputs > int32_t(input) && size == model.input_sizes[input])
      return Error::success();
    return createStringError(
        inconvertibleErrorCode(),
        "%s: %lld floats per example, but input %zu of the model takes %lld",
        path.str().c_str(), (long long)size, input + 1,
        (long long)(model.num_inputs > int32_t(input) ? model.input_sizes[input]
                                                      : 0));
  };
  if (Error error = checkSize(dataset.get(), 0, features))
    return std::move(error);
  for (auto [i, file] : llvm::enumerate(source.moreInputs)) {
    std::string path = resolvePath(file, baseDir);
    DatasetPtr part(kiln_dataset_load_npy(path.c_str(), nullptr, scale, shift,
                                          err, sizeof(err)));
    if (!part)
      return runtimeError(err);
    if (Error error = checkSize(part.get(), i + 1, path))
      return std::move(error);
    if (kiln_dataset_append_features(dataset.get(), part.get(), err,
                                     sizeof(err)) != 0)
      return runtimeError(err);
  }
  return std::move(dataset);
}

/// Standardizes `target` with the statistics of the whole train set, which
/// is loaded for the purpose unless `train` is it.
static Error standardize(const TrainingRecipe &recipe, StringRef baseDir,
                         kiln_dataset *train, kiln_dataset *target,
                         const kiln_model &model) {
  DatasetPtr loaded;
  if (!train) {
    Expected<DatasetPtr> full = loadSource(*recipe.train, baseDir, model);
    if (!full)
      return full.takeError();
    loaded = std::move(*full);
    train = loaded.get();
  }
  char err[512] = "";
  if (kiln_dataset_standardize(train, target, err, sizeof(err)) != 0)
    return runtimeError(err);
  return Error::success();
}

/// The first `limit` examples, with every label a class of a classifier
/// (real-valued labels are checked against the model by the runtime).
static Error finish(DatasetPtr &dataset, std::optional<int64_t> limit,
                    const kiln_model &model) {
  char err[512] = "";
  if (limit) {
    dataset.reset(kiln_dataset_subset(dataset.get(), *limit, err, sizeof(err)));
    if (!dataset)
      return runtimeError(err);
  }
  if (kiln_model_is_classifier(&model) &&
      kiln_dataset_check_labels(dataset.get(), model.output_size, err,
                                sizeof(err)))
    return runtimeError(err);
  return Error::success();
}

Expected<RecipeData> loadRecipeData(const TrainingRecipe &recipe,
                                    StringRef baseDir,
                                    const DataRequest &request,
                                    const kiln_model &model) {
  RecipeData data;
  for (bool isTrain : {true, false}) {
    if (!(isTrain ? request.train : request.test))
      continue;
    const std::optional<DataSource> &source = isTrain ? recipe.train : recipe.test;
    if (!source)
      return createStringError(inconvertibleErrorCode(),
                               "the model has no 'data { %s = ... }' entry",
                               isTrain ? "train" : "test");
    Expected<DatasetPtr> loaded = loadSource(*source, baseDir, model);
    if (!loaded)
      return loaded.takeError();
    (isTrain ? data.train : data.test) = std::move(*loaded);
  }
  if (recipe.normalize == Normalization::Standardize) {
    if (data.train) {
      if (Error error = standardize(recipe, baseDir, data.train.get(),
                                    data.test.get(), model))
        return std::move(error);
    } else if (data.test) {
      if (Error error =
              standardize(recipe, baseDir, nullptr, data.test.get(), model))
        return std::move(error);
    }
  }
  if (data.train)
    if (Error error = finish(data.train, request.trainLimit, model))
      return std::move(error);
  if (data.test)
    if (Error error = finish(data.test, request.testLimit, model))
      return std::move(error);
  return std::move(data);
}

/// "csv" for data.csv, "npy" for x.npy, "npz" for d.npz, else "idx"
/// (t10k-images-idx3-ubyte, images.gz).
static std::string formatOf(StringRef path) {
  StringRef extension = sys::path::extension(path).ltrim('.');
  for (StringRef format : {"csv", "npy", "npz"})
    if (extension.equals_insensitive(format))
      return format.str();
  return "idx";
}


Expected<DatasetPtr> loadInput(const InputRequest &request,
                               const TrainingRecipe &recipe, StringRef baseDir,
                               const kiln_model &model) {
  DataSource source;
  source.format = request.format.empty() ? formatOf(request.path) : request.format;
  source.images = request.path;
  source.yKey.clear();
  const DataSource *train = recipe.train ? &*recipe.train : nullptr;
  if (train) {
    source.scale = train->scale;
    source.shift = train->shift;
  }
  source.scale = request.scale.value_or(source.scale);
  source.shift = request.shift.value_or(source.shift);
  if (!request.labels.empty()) {
    if (source.format != "idx" && source.format != "npy")
      return createStringError(inconvertibleErrorCode(),
                               "--labels is for idx and npy input; a CSV file "
                               "names its label column with --label-column");
    source.labels = request.labels;
  }
  if (source.format == "csv") {
    source.labelColumn = request.labelColumn;
    if (source.labelColumn.empty() && train && train->format == "csv" &&
        llvm::is_contained(csvHeader(request.path), train->labelColumn))
      source.labelColumn = train->labelColumn;
    // Predict on the columns the model was trained on.
    if (train && train->format == "csv")
      source.columnGroups = train->columnGroups;
  } else if (!request.labelColumn.empty()) {
    return createStringError(inconvertibleErrorCode(),
                             "--label-column is for CSV input");
  }
  if (source.format == "npz" && train && train->format == "npz")
    source.xKey = train->xKey;

  Expected<DatasetPtr> input = loadSource(source, /*baseDir=*/"", model);
  if (!input)
    return input.takeError();
  if (recipe.normalize == Normalization::Standardize)
    if (Error error =
            standardize(recipe, baseDir, nullptr, input->get(), model))
      return std::move(error);
  return input;
}

} // namespace kiln::cli
