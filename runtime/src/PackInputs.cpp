//===- PackInputs.cpp - a batch's rows in the layout of several inputs -----===//

#include "PackInputs.h"

#include <cstring>

/// Copies `rows` rows of `count` blocks of 4-byte elements (sizes[i] each,
/// side by side in a row) into `packed`, block i of every row after those
/// of block i - 1.
static void packBlocks(const unsigned char *rowData, int64_t rows,
                       int32_t count, const int64_t *sizes,
                       unsigned char *packed) {
  int64_t width = 0;
  for (int32_t i = 0; i < count; ++i)
    width += sizes[i];
  int64_t column = 0; // where the block starts within a row
  for (int32_t i = 0; i < count; ++i) {
    size_t bytes = size_t(sizes[i]) * 4;
    for (int64_t row = 0; row < rows; ++row)
      std::memcpy(packed + size_t(row) * bytes,
                  rowData + size_t(row * width + column) * 4, bytes);
    packed += size_t(rows) * bytes;
    column += sizes[i];
  }
}

const float *kiln::packInputs(const kiln_model &model, const float *x, int64_t rows,
                              float *scratch) {
  if (model.num_inputs <= 1)
    return x;
  packBlocks(reinterpret_cast<const unsigned char *>(x), rows, model.num_inputs,
             model.input_sizes, reinterpret_cast<unsigned char *>(scratch));
  return scratch;
}

const void *kiln::packLabels(const kiln_model &model, const void *y,
                             int64_t rows, void *scratch) {
  if (model.num_labels <= 1)
    return y;
  packBlocks(static_cast<const unsigned char *>(y), rows, model.num_labels,
             model.label_sizes, static_cast<unsigned char *>(scratch));
  return scratch;
}
