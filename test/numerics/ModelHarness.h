//===- ModelHarness.h - Drive a compiled model from a numerics test ------===//
#ifndef KILN_TEST_NUMERICS_MODELHARNESS_H
#define KILN_TEST_NUMERICS_MODELHARNESS_H

#include <kiln/model.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::test {

/// One parameter inside the state buffer, from the header's macros.
struct ParamRange {
  std::string name;
  int64_t offset; // bytes
  int64_t count;  // floats
};

/// A batch of deterministic pseudo-random inputs and labels.
struct Batch {
  int64_t size;
  std::vector<float> x;
  std::vector<int32_t> y;
};

/// A compiled model, its parameters and a 64-byte aligned state buffer.
class ModelHarness {
public:
  ModelHarness(kiln_model model, std::vector<ParamRange> params,
               float learningRate, int64_t classes);
  ~ModelHarness();

  Batch randomBatch(int64_t size, uint64_t seed) const;
  float *param(const ParamRange &p) {
    return reinterpret_cast<float *>(state + p.offset);
  }
  float loss(const Batch &batch) const;
  /// Gradients of the loss recovered from one SGD step on a state copy:
  /// g = (p - p') / learning_rate, in the order of `params`.
  std::vector<std::vector<double>> sgdGradients(const Batch &batch) const;
  /// Central finite differences of the loss for every parameter element,
  /// the loss being evaluate()'s, or with `throughTrainStep` the one
  /// train_step reports on a copy of the state (which sees training-mode
  /// ops: dropout's mask of this step, batch statistics).
  std::vector<std::vector<double>> finiteDifferences(const Batch &batch,
                                                     float step,
                                                     bool throughTrainStep = false);
  /// The loss train_step reports for the current state, which it leaves
  /// unchanged.
  float trainStepLoss(const Batch &batch) const;

  kiln_model model;
  std::vector<ParamRange> params;
  float learningRate;
  int64_t classes;
  unsigned char *state;
};

} // namespace kiln::test

#endif // KILN_TEST_NUMERICS_MODELHARNESS_H
