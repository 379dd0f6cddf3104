//===- TestSupport.h - fixtures shared by the libkilnrt unit tests -*- C++ -*-===//
#ifndef KILN_TEST_UNIT_TESTSUPPORT_H
#define KILN_TEST_UNIT_TESTSUPPORT_H

#include "kiln/dataset.h"
#include "kiln/model.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::test {

/// A fresh directory, removed with its contents when the test ends.
class ScratchDir {
public:
  ScratchDir();
  ~ScratchDir();
  std::string path(const std::string &name) const { return dir + "/" + name; }

private:
  std::string dir;
};

using Bytes = std::vector<unsigned char>;

void writeFile(const std::string &path, const Bytes &bytes);
Bytes readBytes(const std::string &path);
void writeGzipFile(const std::string &path, const Bytes &bytes);

/// IDX bytes for n images of rows x cols pixels, magic 0x00000803.
Bytes idxImages(uint32_t n, uint32_t rows, uint32_t cols, const Bytes &pixels);
/// IDX bytes for labels, magic 0x00000801.
Bytes idxLabels(const Bytes &labels);

struct DatasetDeleter {
  void operator()(kiln_dataset *dataset) const { kiln_dataset_free(dataset); }
};
using DatasetPtr = std::unique_ptr<kiln_dataset, DatasetDeleter>;

/// Three well-separated Gaussian-ish blobs in 4 dimensions, one per class.
DatasetPtr makeBlobs(int64_t n, uint64_t seed);

/// Softmax regression (4 inputs, 3 classes) trained by plain SGD: a stand-in
/// for a compiled model, written independently of the runtime.
kiln_model softmaxRegressionModel();
/// The same model, except that its third train step returns NaN.
kiln_model divergingModel();

} // namespace kiln::test

#endif // KILN_TEST_UNIT_TESTSUPPORT_H
