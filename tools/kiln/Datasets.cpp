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

/// Keeps the CSV columns `source.columnGroups` names, input after input, or
/// all but the label columns; the loader left out the first label column.
static Error selectCsvColumns(const DataSource &source, StringRef path,
                              kiln_dataset *dataset) {
  // Feature index of each column: its position among the non-label ones.
  std::vector<std::string> header = csvHeader(path);
  llvm::erase(header, source.labelColumn);
  std::vector<std::string> wanted;
  for (const std::vector<std::string> &group : source.columnGroups)
    llvm::append_range(wanted, group);
  if (source.columnGroups.empty())
    for (const std::string &name : header)
      if (!llvm::is_contained(source.moreLabels, name))
        wanted.push_back(name);
  std::vector<int64_t> columns;
  for (const std::string &name : wanted) {
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

/// Whether label `i` of `model` holds class indices.
static bool classLabel(const kiln_model &model, int32_t i) {
  if (model.num_labels > 1)
    return model.label_dtypes[i] == KILN_DTYPE_I32;
  return model.label_dtype != KILN_DTYPE_F32;
}

/// One source through the runtime loader of its format. `source.images` is
/// the features file; empty label fields load the examples without labels.
/// The labels are of the kind `model` takes; the features of its further
/// inputs (`source.moreInputs`) are appended to each example.
static Expected<DatasetPtr> loadSource(const DataSource &source,
                                       StringRef baseDir,
                                       const kiln_model &model) {
  char err[512] = "";
  std::string features = resolvePath(source.images, baseDir);
  float scale = static_cast<float>(source.scale);
  float shift = static_cast<float>(source.shift);
  // Label `i` (0: the first, held by the source's label field, else
  // moreLabels[i - 1]) with the examples' features; empty: none.
  auto load = [&](int32_t i, const std::string &label) -> DatasetPtr {
    const char *name = label.empty() ? nullptr : label.c_str();
    bool real = !classLabel(model, i);
    if (source.format == "idx")
      return DatasetPtr(kiln_dataset_load_idx(features.c_str(), name, scale,
                                              shift, err, sizeof(err)));
    if (source.format == "npy")
      return DatasetPtr(
          (real ? kiln_dataset_load_npy_f32 : kiln_dataset_load_npy)(
              features.c_str(), name, scale, shift, err, sizeof(err)));
    if (source.format == "csv")
      return DatasetPtr(
          (real ? kiln_dataset_load_csv_f32 : kiln_dataset_load_csv)(
              features.c_str(), name, scale, shift, err, sizeof(err)));
    return DatasetPtr(
        (real ? kiln_dataset_load_npz_f32
              : kiln_dataset_load_npz)(features.c_str(), source.xKey.c_str(),
                                       name, scale, shift, err, sizeof(err)));
  };
  if (!llvm::is_contained({"idx", "npy", "csv", "npz"}, source.format))
    return createStringError(inconvertibleErrorCode(),
                             "unsupported data format '%s' (expected idx, csv, "
                             "npy or npz)",
                             source.format.c_str());
  bool paths = source.format == "idx" || source.format == "npy";
  DatasetPtr dataset = load(0, paths ? resolvePath(source.labels, baseDir)
                               : source.format == "csv" ? source.labelColumn
                                                        : source.yKey);
  if (!dataset)
    return runtimeError(err);
  // Several labels: each further one is loaded with the features again (the
  // loaders read labels beside features) and put beside the first.
  for (auto [i, label] : llvm::enumerate(source.moreLabels)) {
    DatasetPtr part =
        load(int32_t(i + 1), paths ? resolvePath(label, baseDir) : label);
    if (!part || kiln_dataset_append_labels(dataset.get(), part.get(), err,
                                            sizeof(err)) != 0)
      return runtimeError(err);
  }
  if (!source.columnGroups.empty() ||
      (source.format == "csv" && !source.moreLabels.empty()))
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
      kiln_dataset_check_labels(dataset.get(),
                                kiln_model_classes_per_label(&model), err,
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
  const std::string &path = request.paths.front();
  source.format = request.format.empty() ? formatOf(path) : request.format;
  source.images = path;
  int32_t inputs = std::max(model.num_inputs, 1);
  if (int32_t(request.paths.size()) != inputs &&
      (source.format != "csv" || request.paths.size() > 1))
    return createStringError(
        inconvertibleErrorCode(), "the model has %d input%s: give --input %s",
        inputs, inputs == 1 ? "" : "s",
        inputs == 1 ? "once"
                    : "one .npy file per input, in declaration order "
                      "(or one CSV file)");
  if (request.paths.size() > 1 && source.format != "npy")
    return createStringError(inconvertibleErrorCode(),
                             "several --input files must be .npy files, one "
                             "per input");
  source.moreInputs.assign(request.paths.begin() + 1, request.paths.end());
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
    int32_t labels = std::max(model.num_labels, 1);
    if (int32_t(request.labels.size()) != labels)
      return createStringError(inconvertibleErrorCode(),
                               "the model has %d label%s: give --labels %s",
                               labels, labels == 1 ? "" : "s",
                               labels == 1 ? "once"
                                           : "once per label, in "
                                             "declaration order");
    source.labels = request.labels.front();
    source.moreLabels.assign(request.labels.begin() + 1, request.labels.end());
  }
  if (source.format == "csv") {
    source.labelColumn = request.labelColumn;
    // The train data's label columns, if the file has them.
    if (source.labelColumn.empty() && train && train->format == "csv" &&
        llvm::is_contained(csvHeader(path), train->labelColumn)) {
      source.labelColumn = train->labelColumn;
      source.moreLabels = train->moreLabels;
    }
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
