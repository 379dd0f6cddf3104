//===- GradientExpectations.h - The finite-difference check, once --------===//
#ifndef KILN_TEST_NUMERICS_GRADIENTEXPECTATIONS_H
#define KILN_TEST_NUMERICS_GRADIENTEXPECTATIONS_H

#include "ModelHarness.h"

namespace kiln::test {

/// Every gradient element recovered from one SGD step must match central
/// finite differences: |g - fd| <= 2e-3 + 3e-2 * max(|g|, |fd|). f32 losses
/// limit finite differences to about three digits, hence the tolerance; a
/// wrong rule is off by far more (sign, factor, transpose). The largest
/// gradient must exceed 1e-2, or the check would mean nothing.
/// `throughTrainStep` differentiates the loss train_step reports
/// (training-mode ops: dropout, batch statistics) instead of evaluate's.
void expectGradientsMatch(ModelHarness &harness, const Batch &batch,
                          bool throughTrainStep = false);

} // namespace kiln::test

#endif // KILN_TEST_NUMERICS_GRADIENTEXPECTATIONS_H
