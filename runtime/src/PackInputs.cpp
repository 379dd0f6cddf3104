//===- PackInputs.cpp - a batch's rows in the layout of several inputs -----===//

#include "PackInputs.h"

#include <algorithm>

const float *kiln::packInputs(const kiln_model &model, const float *x, int64_t rows,
                              float *scratch) {
  if (model.num_inputs <= 1)
    return x;
  float *block = scratch;
  int64_t column = 0; // where the input starts within a row
  for (int32_t i = 0; i < model.num_inputs; ++i) {
    int64_t size = model.input_sizes[i];
    for (int64_t row = 0; row < rows; ++row)
      std::copy_n(x + row * model.input_size + column, size, block + row * size);
    block += rows * size;
    column += size;
  }
  return scratch;
}
