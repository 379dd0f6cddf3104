//===- PackInputs.h - a batch's rows in the layout of several inputs -*- C++ -*-===//
#ifndef KILN_RUNTIME_PACKINPUTS_H
#define KILN_RUNTIME_PACKINPUTS_H

#include "kiln/model.h"

namespace kiln {

/// A dataset row holds an example's inputs side by side ([rows, input_size]);
/// a model of several inputs takes each input's [rows, input_sizes[i]] block
/// after the other. Returns `x` itself for a model of one input, else
/// `scratch` (rows * input_size floats) filled with the blocks.
const float *packInputs(const kiln_model &model, const float *x, int64_t rows,
                        float *scratch);

/// The same for the labels of a model of several labels (4-byte elements,
/// label_size per row): `y` itself for one label, else `scratch`
/// (rows * label_size elements) filled with each label's block.
const void *packLabels(const kiln_model &model, const void *y, int64_t rows,
                       void *scratch);

} // namespace kiln

#endif // KILN_RUNTIME_PACKINPUTS_H
