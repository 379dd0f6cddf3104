//===- GradientExpectations.cpp - The finite-difference check, once ------===//
#include "GradientExpectations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace kiln::test {

void expectGradientsMatch(ModelHarness &harness, const Batch &batch,
                          bool throughTrainStep) {
  auto analytic = harness.sgdGradients(batch);
  auto numeric = harness.finiteDifferences(batch, 4e-3f, throughTrainStep);
  double largest = 0;
  for (size_t p = 0; p < harness.params.size(); ++p)
    for (size_t i = 0; i < analytic[p].size(); ++i) {
      double g = analytic[p][i], fd = numeric[p][i];
      largest = std::max(largest, std::fabs(g));
      double tolerance = 2e-3 + 3e-2 * std::max(std::fabs(g), std::fabs(fd));
      EXPECT_NEAR(g, fd, tolerance)
          << harness.params[p].name << "[" << i << "], batch " << batch.size;
    }
  EXPECT_GT(largest, 1e-2);
}

} // namespace kiln::test
