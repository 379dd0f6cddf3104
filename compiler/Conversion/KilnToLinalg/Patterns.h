//===- Patterns.h - Rewrite patterns of the kiln-to-linalg lowering ------===//
#ifndef KILN_CONVERSION_KILNTOLINALG_PATTERNS_H
#define KILN_CONVERSION_KILNTOLINALG_PATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace kiln {

/// Broadcasting arithmetic, contraction, reshape and reduction ops.
void populateTensorOpLoweringPatterns(mlir::RewritePatternSet &patterns);
/// Unary math, activations, softmax and their gradient helpers.
void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns);
/// transpose, concat, slice and one_hot.
void populateShapeOpLoweringPatterns(mlir::RewritePatternSet &patterns);
/// conv2d, pooling and their gradients.
void populateConvPoolLoweringPatterns(mlir::RewritePatternSet &patterns);
/// Losses and their gradients.
void populateLossLoweringPatterns(mlir::RewritePatternSet &patterns);
/// Counter-based random initializers.
void populateRandomLoweringPatterns(mlir::RewritePatternSet &patterns);

} // namespace kiln

#endif // KILN_CONVERSION_KILNTOLINALG_PATTERNS_H
