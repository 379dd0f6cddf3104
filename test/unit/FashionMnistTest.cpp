//===- FashionMnistTest.cpp - the installed Fashion-MNIST files load ------===//

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

using namespace kiln::test;

namespace {

const std::string kDir = "/usr/share/datasets/fashion-mnist/";

/// Loads one split, failing (not skipping) when the files are absent so that
/// a machine without the dataset is noticed.
DatasetPtr loadSplit(const std::string &prefix) {
  std::string images = kDir + prefix + "-images-idx3-ubyte.gz";
  std::string labels = kDir + prefix + "-labels-idx1-ubyte.gz";
  for (const std::string &path : {images, labels})
    if (!std::filesystem::exists(path)) {
      ADD_FAILURE() << path
                    << " is missing: install the package dataset-fashion-mnist";
      return nullptr;
    }
  char err[512] = "";
  DatasetPtr dataset(kiln_dataset_load_idx(images.c_str(), labels.c_str(), 1 / 255.0f,
                                           0.0f, err, sizeof(err)));
  EXPECT_NE(dataset, nullptr) << err;
  return dataset;
}

void expectBalancedSplit(const kiln_dataset *dataset, int64_t perClass) {
  ASSERT_NE(dataset, nullptr);
  ASSERT_EQ(kiln_dataset_size(dataset), 10 * perClass);
  ASSERT_EQ(kiln_dataset_example_size(dataset), 28 * 28);
  char err[256] = "";
  ASSERT_EQ(kiln_dataset_check_labels(dataset, 10, err, sizeof(err)), 0) << err;
  std::vector<int64_t> counts(10);
  for (int64_t i = 0; i < kiln_dataset_size(dataset); ++i)
    ++counts[size_t(kiln_dataset_labels(dataset)[i])];
  EXPECT_EQ(counts, std::vector<int64_t>(10, perClass));
  const float *pixels = kiln_dataset_features(dataset);
  auto [least, most] = std::minmax_element(pixels, pixels + 10 * perClass * 784);
  EXPECT_EQ(*least, 0.0f);
  EXPECT_EQ(*most, 1.0f);
}

TEST(FashionMnistTest, TrainSplitHas60000Images) {
  DatasetPtr train = loadSplit("train");
  expectBalancedSplit(train.get(), 6000);
}

TEST(FashionMnistTest, TestSplitHas10000Images) {
  DatasetPtr test = loadSplit("t10k");
  expectBalancedSplit(test.get(), 1000);
}

} // namespace
