//===- Patterns.h - Rewrite patterns of the kiln-to-linalg lowering ------===//
#ifndef KILN_CONVERSION_KILNTOLINALG_PATTERNS_H
#define KILN_CONVERSION_KILNTOLINALG_PATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace kiln {

/// Elementwise, contraction, shape and reduction ops.
void populateTensorOpLoweringPatterns(mlir::RewritePatternSet &patterns);
/// Losses and their gradients.
void populateLossLoweringPatterns(mlir::RewritePatternSet &patterns);
/// Counter-based random initializers.
void populateRandomLoweringPatterns(mlir::RewritePatternSet &patterns);

} // namespace kiln

#endif // KILN_CONVERSION_KILNTOLINALG_PATTERNS_H
