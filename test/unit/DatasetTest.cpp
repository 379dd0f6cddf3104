//===- DatasetTest.cpp - IDX loading and dataset checks --------------------===//

#include "TestSupport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

using namespace kiln::test;
using ::testing::HasSubstr;

namespace {

class IdxLoaderTest : public ::testing::Test {
protected:
  // Three 2x2 images; label i belongs to image i.
  const Bytes pixels = {0, 255, 51, 102, 1, 2, 3, 4, 10, 20, 30, 40};
  const Bytes labels = {7, 0, 9};
  ScratchDir scratch;
  char err[512] = "";

  DatasetPtr load(const std::string &images, const std::string &labelsPath,
                  float scale = 1.0f, float shift = 0.0f) {
    return DatasetPtr(kiln_dataset_load_idx(images.c_str(), labelsPath.c_str(), scale,
                                            shift, err, sizeof(err)));
  }

  void expectLoadedValues(const kiln_dataset *dataset, float scale, float shift) {
    ASSERT_NE(dataset, nullptr) << err;
    ASSERT_EQ(kiln_dataset_size(dataset), 3);
    ASSERT_EQ(kiln_dataset_example_size(dataset), 4);
    for (size_t i = 0; i < pixels.size(); ++i)
      EXPECT_FLOAT_EQ(kiln_dataset_features(dataset)[i], pixels[i] * scale + shift)
          << "pixel " << i;
    for (size_t i = 0; i < labels.size(); ++i)
      EXPECT_EQ(kiln_dataset_labels(dataset)[i], labels[i]);
  }
};

TEST_F(IdxLoaderTest, LoadsPlainFilesWithScale) {
  writeFile(scratch.path("images"), idxImages(3, 2, 2, pixels));
  writeFile(scratch.path("labels"), idxLabels(labels));
  DatasetPtr dataset = load(scratch.path("images"), scratch.path("labels"), 1 / 255.0f);
  expectLoadedValues(dataset.get(), 1 / 255.0f, 0.0f);
}

TEST_F(IdxLoaderTest, LoadsGzipFilesWithScaleAndShift) {
  writeGzipFile(scratch.path("images.gz"), idxImages(3, 2, 2, pixels));
  writeGzipFile(scratch.path("labels.gz"), idxLabels(labels));
  DatasetPtr dataset =
      load(scratch.path("images.gz"), scratch.path("labels.gz"), 2.0f, -1.0f);
  expectLoadedValues(dataset.get(), 2.0f, -1.0f);
}

TEST_F(IdxLoaderTest, ReportsTruncatedPixelData) {
  Bytes file = idxImages(3, 2, 2, pixels);
  file.resize(file.size() - 7);
  writeFile(scratch.path("short"), file);
  writeFile(scratch.path("labels"), idxLabels(labels));
  EXPECT_EQ(load(scratch.path("short"), scratch.path("labels")), nullptr);
  EXPECT_EQ(std::string(err), scratch.path("short") +
                                  ": truncated: expected 12 bytes of pixel data, found 5");
}

TEST_F(IdxLoaderTest, ReportsTruncatedGzipData) {
  Bytes file = idxImages(3, 2, 2, pixels);
  file.resize(file.size() - 7);
  writeGzipFile(scratch.path("short.gz"), file);
  writeGzipFile(scratch.path("labels.gz"), idxLabels(labels));
  EXPECT_EQ(load(scratch.path("short.gz"), scratch.path("labels.gz")), nullptr);
  EXPECT_EQ(std::string(err),
            scratch.path("short.gz") +
                ": truncated: expected 12 bytes of pixel data, found 5");
}

TEST_F(IdxLoaderTest, ReportsTruncatedGzipStream) {
  Bytes plain = idxImages(3, 2, 2, pixels);
  writeGzipFile(scratch.path("full.gz"), plain);
  // Cut the compressed stream itself, as an interrupted download would.
  std::FILE *file = std::fopen(scratch.path("full.gz").c_str(), "rb");
  ASSERT_NE(file, nullptr);
  Bytes compressed(4096);
  compressed.resize(std::fread(compressed.data(), 1, compressed.size(), file));
  std::fclose(file);
  compressed.resize(compressed.size() / 2);
  writeFile(scratch.path("cut.gz"), compressed);
  writeFile(scratch.path("labels"), idxLabels(labels));
  EXPECT_EQ(load(scratch.path("cut.gz"), scratch.path("labels")), nullptr);
  EXPECT_THAT(err, HasSubstr(scratch.path("cut.gz") + ": "));
}

TEST_F(IdxLoaderTest, ReportsTruncatedHeader) {
  writeFile(scratch.path("images"), {0, 0, 8, 3, 0, 0});
  writeFile(scratch.path("labels"), idxLabels(labels));
  EXPECT_EQ(load(scratch.path("images"), scratch.path("labels")), nullptr);
  EXPECT_EQ(std::string(err), scratch.path("images") +
                                  ": truncated: expected a 16-byte IDX header, found 6");
}

TEST_F(IdxLoaderTest, RejectsLabelFileAsImages) {
  writeFile(scratch.path("labels"), idxLabels(labels));
  EXPECT_EQ(load(scratch.path("labels"), scratch.path("labels")), nullptr);
  EXPECT_EQ(std::string(err),
            scratch.path("labels") +
                ": not an IDX image file: magic 0x00000801, expected 0x00000803");
}

TEST_F(IdxLoaderTest, RejectsNonIdxFile) {
  const std::string text = "label,pixel0\n1,2\n";
  writeFile(scratch.path("data.csv"), Bytes(text.begin(), text.end()));
  writeFile(scratch.path("images"), idxImages(3, 2, 2, pixels));
  EXPECT_EQ(load(scratch.path("images"), scratch.path("data.csv")), nullptr);
  EXPECT_THAT(err, HasSubstr(scratch.path("data.csv") + ": not an IDX label file"));
}

TEST_F(IdxLoaderTest, ReportsCountMismatch) {
  writeFile(scratch.path("images"), idxImages(3, 2, 2, pixels));
  writeFile(scratch.path("labels"), idxLabels({1, 2}));
  EXPECT_EQ(load(scratch.path("images"), scratch.path("labels")), nullptr);
  EXPECT_EQ(std::string(err), scratch.path("labels") + ": has 2 labels but " +
                                  scratch.path("images") + " has 3 images");
}

TEST_F(IdxLoaderTest, RejectsMoreThanInt32MaxItems) {
  writeFile(scratch.path("images"), idxImages(0x80000000u, 28, 28, {}));
  writeFile(scratch.path("labels"), idxLabels(labels));
  EXPECT_EQ(load(scratch.path("images"), scratch.path("labels")), nullptr);
  EXPECT_THAT(err, HasSubstr(scratch.path("images") + ": too many items: 2147483648"));
}

TEST_F(IdxLoaderTest, ReportsMissingFileByNameAndReason) {
  writeFile(scratch.path("labels"), idxLabels(labels));
  EXPECT_EQ(load(scratch.path("absent.gz"), scratch.path("labels")), nullptr);
  EXPECT_EQ(std::string(err),
            scratch.path("absent.gz") + ": cannot open: No such file or directory");
}

TEST(DatasetTest, CreateCopiesAndSubsetKeepsThePrefix) {
  const float features[] = {1, 2, 3, 4, 5, 6};
  const int32_t labels[] = {0, 1, 2};
  DatasetPtr dataset(kiln_dataset_create("mem", 3, 2, features, labels, nullptr, 0));
  ASSERT_NE(dataset, nullptr);
  DatasetPtr subset(kiln_dataset_subset(dataset.get(), 2, nullptr, 0));
  ASSERT_NE(subset, nullptr);
  EXPECT_EQ(kiln_dataset_size(subset.get()), 2);
  EXPECT_EQ(kiln_dataset_example_size(subset.get()), 2);
  EXPECT_EQ(std::vector<float>(kiln_dataset_features(subset.get()),
                               kiln_dataset_features(subset.get()) + 4),
            std::vector<float>(features, features + 4));
  EXPECT_EQ(kiln_dataset_labels(subset.get())[1], 1);
  DatasetPtr clamped(kiln_dataset_subset(dataset.get(), 100, nullptr, 0));
  EXPECT_EQ(kiln_dataset_size(clamped.get()), 3);
}

TEST(DatasetTest, CheckLabelsNamesIndexAndValue) {
  const float features[] = {0, 0, 0};
  const int32_t labels[] = {1, 9, -1};
  DatasetPtr dataset(kiln_dataset_create("train-labels", 3, 1, features, labels,
                                         nullptr, 0));
  char err[256] = "";
  EXPECT_EQ(kiln_dataset_check_labels(dataset.get(), 10, err, sizeof(err)), -1);
  EXPECT_STREQ(err, "train-labels: label at index 2 is -1, expected 0..9 for 10 classes");
  EXPECT_EQ(kiln_dataset_check_labels(dataset.get(), 5, err, sizeof(err)), -1);
  EXPECT_THAT(err, HasSubstr("label at index 1 is 9"));
}

TEST(DatasetTest, LongErrorsAreTruncatedNotOverflowed) {
  char err[8];
  EXPECT_EQ(kiln_dataset_create("a-long-source-name", 1, 0, nullptr, nullptr, err,
                                sizeof(err)),
            nullptr);
  EXPECT_STREQ(err, "a-long-");
}

// Both create functions refuse missing arrays, naming the source (or
// "dataset" when it is NULL); with no examples no arrays are needed.
TEST(DatasetTest, CreateRefusesMissingArrays) {
  char err[128];
  const float features[2] = {1, 2}, values[1] = {3};
  const int32_t labels[1] = {0};
  EXPECT_EQ(kiln_dataset_create("mine", 1, 2, nullptr, labels, err, sizeof(err)),
            nullptr);
  EXPECT_STREQ(err, "mine: features and labels must not be NULL");
  EXPECT_EQ(kiln_dataset_create_f32(nullptr, 1, 2, features, 1, nullptr, err,
                                    sizeof(err)),
            nullptr);
  EXPECT_STREQ(err, "dataset: features and labels must not be NULL");
  DatasetPtr empty(kiln_dataset_create_f32("none", 0, 2, nullptr, 1, nullptr,
                                           err, sizeof(err)));
  EXPECT_NE(empty.get(), nullptr);
  DatasetPtr one(kiln_dataset_create_f32("one", 1, 2, features, 1, values, err,
                                         sizeof(err)));
  ASSERT_NE(one.get(), nullptr);
  EXPECT_EQ(kiln_dataset_size(one.get()), 1);
}

// Features of a second input join each row; labels stay the first's, and a
// subset of f32 labels keeps its rows.
TEST(DatasetTest, AppendFeaturesWidensEachRow) {
  float a[4] = {1, 2, 3, 4};
  float b[6] = {10, 11, 12, 13, 14, 15};
  int32_t labels[2] = {1, 0};
  DatasetPtr left(kiln_dataset_create("a", 2, 2, a, labels, nullptr, 0));
  DatasetPtr right(kiln_dataset_create("b", 2, 3, b, labels, nullptr, 0));
  char err[128] = "";
  ASSERT_EQ(kiln_dataset_append_features(left.get(), right.get(), err, sizeof(err)), 0)
      << err;
  ASSERT_EQ(kiln_dataset_example_size(left.get()), 5);
  const float *x = kiln_dataset_features(left.get());
  EXPECT_EQ(std::vector<float>(x, x + 10),
            (std::vector<float>{1, 2, 10, 11, 12, 3, 4, 13, 14, 15}));
  EXPECT_EQ(kiln_dataset_labels(left.get())[0], 1);

  DatasetPtr one(kiln_dataset_create("one", 1, 1, a, labels, nullptr, 0));
  EXPECT_EQ(kiln_dataset_append_features(left.get(), one.get(), err, sizeof(err)), -1);
  EXPECT_STREQ(err, "one: 1 examples, but a has 2");

  float values[4] = {0.5f, 1.5f, 2.5f, 3.5f};
  DatasetPtr real(kiln_dataset_create_f32("real", 2, 2, a, 2, values, nullptr, 0));
  DatasetPtr first(kiln_dataset_subset(real.get(), 1, nullptr, 0));
  ASSERT_TRUE(first);
  EXPECT_EQ(kiln_dataset_label_size(first.get()), 2);
  const float *y = kiln_dataset_labels_f32(first.get());
  EXPECT_EQ(std::vector<float>(y, y + 2), (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ(kiln_dataset_check_labels(real.get(), 3, err, sizeof(err)), -1);
  EXPECT_STREQ(err, "real: the labels are real values, not class indices");
}

// A second label joins each example's labels, of its own type; a subset
// keeps both, and check_labels names the label whose class is out of range.
TEST(DatasetTest, AppendLabelsPutsThemSideBySide) {
  float x[2] = {1, 2};
  int32_t classes[2] = {2, 0};
  float values[4] = {0.5f, 1.5f, 2.5f, 3.5f};
  int32_t more[2] = {1, 7};
  DatasetPtr first(kiln_dataset_create("first", 2, 1, x, classes, nullptr, 0));
  DatasetPtr second(
      kiln_dataset_create_f32("second", 2, 1, x, 2, values, nullptr, 0));
  DatasetPtr third(kiln_dataset_create("third", 2, 1, x, more, nullptr, 0));
  char err[128] = "";
  ASSERT_EQ(
      kiln_dataset_append_labels(first.get(), second.get(), err, sizeof(err)),
      0)
      << err;
  ASSERT_EQ(
      kiln_dataset_append_labels(first.get(), third.get(), err, sizeof(err)), 0)
      << err;
  EXPECT_EQ(kiln_dataset_num_labels(first.get()), 3);
  EXPECT_EQ(kiln_dataset_labels(first.get()), nullptr); // several: rows only
  DatasetPtr subset(kiln_dataset_subset(first.get(), 2, err, sizeof(err)));
  ASSERT_TRUE(subset) << err;
  for (const kiln_dataset *d : {first.get(), subset.get()}) {
    // Each row: a class, two values, a class (16 bytes).
    const auto *row =
        static_cast<const unsigned char *>(kiln_dataset_label_rows(d));
    for (int i = 0; i < 2; ++i, row += 16) {
      int32_t c0, c1;
      float v[2];
      std::memcpy(&c0, row, 4);
      std::memcpy(v, row + 4, 8);
      std::memcpy(&c1, row + 12, 4);
      EXPECT_EQ(c0, classes[i]);
      EXPECT_EQ(v[0], values[2 * i]);
      EXPECT_EQ(v[1], values[2 * i + 1]);
      EXPECT_EQ(c1, more[i]);
    }
  }
  EXPECT_EQ(kiln_dataset_check_labels(first.get(), 8, err, sizeof(err)), -1);
  EXPECT_STREQ(err, "second: the labels are real values, not class indices");

  DatasetPtr classOnly(
      kiln_dataset_create("first", 2, 1, x, classes, nullptr, 0));
  ASSERT_EQ(kiln_dataset_append_labels(classOnly.get(), third.get(), err,
                                       sizeof(err)),
            0);
  EXPECT_EQ(kiln_dataset_check_labels(classOnly.get(), 3, err, sizeof(err)),
            -1);
  EXPECT_STREQ(err,
               "third: label at index 1 is 7, expected 0..2 for 3 classes");

  DatasetPtr one(kiln_dataset_create("one", 1, 1, x, classes, nullptr, 0));
  EXPECT_EQ(
      kiln_dataset_append_labels(first.get(), one.get(), err, sizeof(err)), -1);
  EXPECT_STREQ(err, "one: 1 labelled examples, but first has 2");
}

} // namespace
