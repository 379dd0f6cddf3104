//===- BatchNorm.h - Batch normalization per mode -------------------------===//
#ifndef KILN_AUTODIFF_BATCHNORM_H
#define KILN_AUTODIFF_BATCHNORM_H

#include "Kiln/IR/KilnOps.h"

namespace kiln {

/// Training mode: the normalized output and the updated moving statistics.
struct BatchNormTraining {
  mlir::Value output, movingMean, movingVariance;
};

/// Builds kiln.batch_norm with batch statistics from the given (already
/// mapped) operand values.
BatchNormTraining expandBatchNormTraining(mlir::OpBuilder &b, BatchNormOp op,
                                          mlir::ValueRange operands);

/// Builds kiln.batch_norm with the moving statistics.
mlir::Value expandBatchNormInference(mlir::OpBuilder &b, BatchNormOp op,
                                     mlir::ValueRange operands);

} // namespace kiln

#endif // KILN_AUTODIFF_BATCHNORM_H
