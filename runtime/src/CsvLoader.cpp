//===- CsvLoader.cpp - a dataset from a CSV file with a header row --------===//
//
// Plain comma-separated numbers (no quoting): what spreadsheet and pandas
// exports of numeric tables look like. Errors name the line (1-based, the
// header is line 1) and the column.
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"
#include "Error.h"
#include "ReadFile.h"

#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace kiln;

namespace {

std::vector<std::string> splitRow(const std::string &line) {
  std::vector<std::string> cells;
  size_t start = 0;
  for (size_t comma; (comma = line.find(',', start)) != std::string::npos;
       start = comma + 1)
    cells.push_back(line.substr(start, comma - start));
  cells.push_back(line.substr(start));
  for (std::string &cell : cells) {
    size_t first = cell.find_first_not_of(" \t");
    size_t last = cell.find_last_not_of(" \t");
    cell = first == std::string::npos ? "" : cell.substr(first, last - first + 1);
  }
  return cells;
}

/// Both CSV loaders: the label column holds class indices (KILN_DTYPE_I32)
/// or any finite values (KILN_DTYPE_F32).
kiln_dataset *loadCsv(const char *path, const char *label_column, int32_t labelDType,
                      float scale, float shift, char *err, size_t err_len) {
  std::vector<unsigned char> bytes;
  if (!readWholeFile(path, bytes, err, err_len))
    return nullptr;
  std::vector<std::string> lines;
  std::string text(bytes.begin(), bytes.end());
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    lines.push_back(line);
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty())
    lines.pop_back();
  if (lines.empty()) {
    setError(err, err_len, "%s: empty file, expected a header row", path);
    return nullptr;
  }
  std::vector<std::string> header = splitRow(lines[0]);
  int64_t labelIndex = -1;
  for (size_t i = 0; label_column && i < header.size(); ++i)
    if (header[i] == label_column)
      labelIndex = int64_t(i);
  if (label_column && labelIndex < 0) {
    setError(err, err_len, "%s: no column named '%s' in the header", path, label_column);
    return nullptr;
  }
  int64_t columns = int64_t(header.size());
  int64_t featureColumns = label_column ? columns - 1 : columns;
  int64_t rows = int64_t(lines.size()) - 1;
  std::unique_ptr<kiln_dataset> dataset(
      label_column
          ? allocateDataset(path, path, rows, featureColumns, err, err_len,
                            labelDType)
          : allocateUnlabelledDataset(path, rows, featureColumns, err, err_len));
  if (!dataset)
    return nullptr;
  for (size_t row = 1; row < lines.size(); ++row) {
    std::vector<std::string> cells = splitRow(lines[row]);
    if (int64_t(cells.size()) != columns) {
      setError(err, err_len, "%s:%zu: %zu columns, the header has %" PRId64, path, row + 1,
               cells.size(), columns);
      return nullptr;
    }
    float *features = dataset->features.get() + (row - 1) * size_t(featureColumns);
    for (int64_t c = 0; c < columns; ++c) {
      const std::string &cell = cells[size_t(c)];
      char *end = nullptr;
      double value = cell.empty() ? NAN : std::strtod(cell.c_str(), &end);
      bool number = !cell.empty() && end && *end == '\0';
      if (!number || !std::isfinite(value)) {
        setError(err, err_len, "%s:%zu: column '%s' is %s%s%s", path, row + 1,
                 header[size_t(c)].c_str(), cell.empty() ? "empty" : "'",
                 cell.c_str(), cell.empty() ? "" : "', not a finite number");
        return nullptr;
      }
      if (c == labelIndex && labelDType == KILN_DTYPE_F32) {
        dataset->valueLabels()[row - 1] = float(value);
      } else if (c == labelIndex) {
        if (value < 0 || value != std::floor(value) || value > INT32_MAX) {
          setError(err, err_len, "%s:%zu: label '%s' is not a class index", path,
                   row + 1, cell.c_str());
          return nullptr;
        }
        dataset->classLabels()[row - 1] = int32_t(value);
      } else {
        *features++ = float(value) * scale + shift;
      }
    }
  }
  return dataset.release();
}

} // namespace

kiln_dataset *kiln_dataset_load_csv(const char *path, const char *label_column,
                                    float scale, float shift, char *err,
                                    size_t err_len) {
  return loadCsv(path, label_column, KILN_DTYPE_I32, scale, shift, err, err_len);
}

kiln_dataset *kiln_dataset_load_csv_f32(const char *path, const char *label_column,
                                        float scale, float shift, char *err,
                                        size_t err_len) {
  return loadCsv(path, label_column, KILN_DTYPE_F32, scale, shift, err, err_len);
}
