//===- TopKHits.h - top_k_accuracy(k) as kiln ops ------------------------===//
#ifndef KILN_AUTODIFF_TOPKHITS_H
#define KILN_AUTODIFF_TOPKHITS_H

#include "mlir/IR/Builders.h"

namespace kiln {

/// The number of (example, label) pairs whose label is among the top k of
/// its class scores, as an f32[] count: `output` [batch, L * C] holds one
/// block of C scores per i32 label of `labels` ([batch] each, L of them).
/// A score beats the label's when greater, or equal at a lower index (the
/// order of argmax and of a stable descending sort), and the label is in
/// the top k when fewer than k scores beat it. Null if `output` is not
/// [batch, L * C].
mlir::Value buildTopKHits(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value output, mlir::ValueRange labels,
                          int64_t k);

} // namespace kiln

#endif // KILN_AUTODIFF_TOPKHITS_H
