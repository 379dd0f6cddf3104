//===- SplitMix64.h - a small PRNG with a fixed definition ------*- C++ -*-===//
//
// std:: engines are portable but std:: distributions and std::shuffle are
// not, so shuffles built on them differ across C++ libraries. SplitMix64
// (Steele, Lea, Flood 2014) plus unbiased rejection gives the same numbers
// everywhere.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SPLITMIX64_H
#define KILN_RUNTIME_SPLITMIX64_H

#include <cstdint>

namespace kiln {

class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}

  /// The SplitMix64 output function: a bijective mix of 64 bits.
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t next() {
    state += kGoldenGamma;
    return mix(state);
  }

  /// Uniform in [0, bound), bound > 0, by rejecting the values above the
  /// largest multiple of bound so that no residue is favoured.
  uint64_t below(uint64_t bound) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value;
    do
      value = next();
    while (value >= limit);
    return value % bound;
  }

  static constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

private:
  uint64_t state;
};

} // namespace kiln

#endif // KILN_RUNTIME_SPLITMIX64_H
