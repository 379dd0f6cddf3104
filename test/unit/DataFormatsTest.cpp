//===- DataFormatsTest.cpp - CSV, NPY and NPZ datasets, good and bad ------===//

#include "TestSupport.h"

#include "kiln/model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace kiln::test;
using ::testing::HasSubstr;

namespace {

Bytes text(const std::string &s) { return Bytes(s.begin(), s.end()); }

/// A version 1.0 .npy file: header dict padded to 64 bytes, then data.
Bytes npy(const std::string &descr, const std::string &shape, const void *data,
          size_t size, const std::string &order = "False") {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + order +
                     ", 'shape': " + shape + ", }";
  while ((10 + dict.size() + 1) % 64)
    dict += ' ';
  dict += '\n';
  Bytes bytes = text(std::string("\x93NUMPY\x01\x00", 8));
  bytes.push_back(uint8_t(dict.size() & 0xFF));
  bytes.push_back(uint8_t(dict.size() >> 8));
  bytes.insert(bytes.end(), dict.begin(), dict.end());
  const auto *p = static_cast<const unsigned char *>(data);
  bytes.insert(bytes.end(), p, p + size);
  return bytes;
}

class DataFormatsTest : public ::testing::Test {
protected:
  kiln_dataset *csv(const std::string &contents, const char *label = "label") {
    writeFile(path("data.csv"), text(contents));
    return kiln_dataset_load_csv(path("data.csv").c_str(), label, 0.5f, 1.0f, err,
                                 sizeof(err));
  }
  std::string path(const std::string &name) { return scratch.path(name); }

  ScratchDir scratch;
  char err[512] = "";
};

TEST_F(DataFormatsTest, CsvReadsFeaturesAroundTheLabelColumn) {
  DatasetPtr data(csv("a, label ,b\r\n1,2,3\n-4, 0 ,5e1\n"));
  ASSERT_TRUE(data) << err;
  EXPECT_EQ(kiln_dataset_size(data.get()), 2);
  ASSERT_EQ(kiln_dataset_example_size(data.get()), 2);
  const float *x = kiln_dataset_features(data.get());
  EXPECT_EQ(std::vector<float>(x, x + 4), (std::vector<float>{1.5f, 2.5f, -1.0f, 26.0f}));
  EXPECT_EQ(kiln_dataset_labels(data.get())[0], 2);
  EXPECT_EQ(kiln_dataset_labels(data.get())[1], 0);
}

TEST_F(DataFormatsTest, CsvRefusesNaNWithLineAndColumn) {
  EXPECT_FALSE(csv("a,label,b\n1,2,3\n4,0,nan\n"));
  EXPECT_EQ(std::string(err), path("data.csv") + ":3: column 'b' is 'nan', not a "
                                                 "finite number");
  EXPECT_FALSE(csv("a,label,b\n1,,3\n"));
  EXPECT_EQ(std::string(err), path("data.csv") + ":2: column 'label' is empty");
  EXPECT_FALSE(csv("a,label,b\n1,2,x3\n"));
  EXPECT_THAT(err, HasSubstr(":2: column 'b' is 'x3', not a finite number"));
}

TEST_F(DataFormatsTest, CsvRefusesBadShapesAndLabels) {
  EXPECT_FALSE(csv("a,label,b\n1,2\n"));
  EXPECT_THAT(err, HasSubstr(":2: 2 columns, the header has 3"));
  EXPECT_FALSE(csv("a,b\n1,2\n"));
  EXPECT_THAT(err, HasSubstr("data.csv: no column named 'label' in the header"));
  EXPECT_FALSE(csv("a,label\n1,2.5\n"));
  EXPECT_THAT(err, HasSubstr(":2: label '2.5' is not a class index"));
  EXPECT_FALSE(csv(""));
  EXPECT_THAT(err, HasSubstr("empty file"));
}

TEST_F(DataFormatsTest, NpyReadsFloatAndByteFeatures) {
  float x[6] = {1, 2, 3, 4, 5, 6};
  uint8_t y[2] = {1, 0};
  writeFile(path("x.npy"), npy("<f4", "(2, 3)", x, sizeof(x)));
  writeFile(path("y.npy"), npy("|u1", "(2,)", y, sizeof(y)));
  DatasetPtr data(kiln_dataset_load_npy(path("x.npy").c_str(), path("y.npy").c_str(),
                                        2.0f, 0.0f, err, sizeof(err)));
  ASSERT_TRUE(data) << err;
  EXPECT_EQ(kiln_dataset_example_size(data.get()), 3);
  EXPECT_EQ(kiln_dataset_features(data.get())[5], 12.0f);
  EXPECT_EQ(kiln_dataset_labels(data.get())[0], 1);

  uint8_t pixels[8] = {0, 255, 1, 2, 3, 4, 5, 6};
  int32_t labels[2] = {3, 4};
  writeFile(path("px.npy"), npy("|u1", "(2, 2, 2)", pixels, sizeof(pixels)));
  writeFile(path("py.npy"), npy("<i4", "(2, 1)", labels, sizeof(labels)));
  data.reset(kiln_dataset_load_npy(path("px.npy").c_str(), path("py.npy").c_str(),
                                   1 / 255.0f, 0.0f, err, sizeof(err)));
  ASSERT_TRUE(data) << err;
  EXPECT_EQ(kiln_dataset_example_size(data.get()), 4);
  EXPECT_EQ(kiln_dataset_features(data.get())[1], 1.0f);
  EXPECT_EQ(kiln_dataset_labels(data.get())[1], 4);
}

TEST_F(DataFormatsTest, NpyRefusesBadFilesWithTheReason) {
  float x[4] = {1, 2, 3, 4};
  int32_t y[2] = {0, 1};
  writeFile(path("y.npy"), npy("<i4", "(2,)", y, sizeof(y)));
  auto load = [&](const Bytes &features) {
    writeFile(path("x.npy"), features);
    return DatasetPtr(kiln_dataset_load_npy(path("x.npy").c_str(),
                                            path("y.npy").c_str(), 1, 0, err,
                                            sizeof(err)));
  };
  EXPECT_FALSE(load(text("PK\x03\x04 not npy")));
  EXPECT_EQ(std::string(err), path("x.npy") + ": not a NumPy .npy file (wrong magic)");
  EXPECT_FALSE(load(npy("<f4", "(2, 3)", x, sizeof(x))));
  EXPECT_THAT(err, HasSubstr("x.npy: truncated: 16 data bytes, the shape needs 24"));
  EXPECT_FALSE(load(npy("<f4", "(2, 2)", x, sizeof(x), "True")));
  EXPECT_THAT(err, HasSubstr("Fortran-order arrays are not supported"));
  EXPECT_FALSE(load(npy("<c8", "(2, 1)", x, sizeof(x))));
  EXPECT_THAT(err, HasSubstr("unsupported dtype '<c8'"));
  EXPECT_FALSE(load(npy("<f4", "(4,)", x, sizeof(x))));
  EXPECT_THAT(err, HasSubstr("y.npy: 1-d labels of 2 rows for 4 examples"));
  float nan[2] = {1, NAN};
  EXPECT_FALSE(load(npy("<f4", "(2, 1)", nan, sizeof(nan))));
  EXPECT_THAT(err, HasSubstr("x.npy: feature 0 of example 1 is nan"));
}

TEST_F(DataFormatsTest, NpzRefusesWhatIsNotAnArchiveOrLacksTheArray) {
  writeFile(path("d.npz"), text("plain text"));
  EXPECT_FALSE(kiln_dataset_load_npz(path("d.npz").c_str(), "x", "y", 1, 0, err,
                                     sizeof(err)));
  EXPECT_THAT(err, HasSubstr("d.npz: not a zip archive (.npz): no central directory"));
}

// The _f32 loaders keep real-valued labels, unscaled: any finite CSV value,
// NumPy labels of any numeric dtype as [n] or [n, k].
TEST_F(DataFormatsTest, F32LoadersKeepRealValuedLabels) {
  writeFile(path("data.csv"), text("a,y,b\n1,-2.25,3\n4,1e-3,5\n"));
  DatasetPtr data(kiln_dataset_load_csv_f32(path("data.csv").c_str(), "y", 0.5f, 1.0f,
                                            err, sizeof(err)));
  ASSERT_TRUE(data) << err;
  EXPECT_EQ(kiln_dataset_label_dtype(data.get()), KILN_DTYPE_F32);
  EXPECT_EQ(kiln_dataset_label_size(data.get()), 1);
  EXPECT_EQ(kiln_dataset_labels(data.get()), nullptr);
  const float *y = kiln_dataset_labels_f32(data.get());
  EXPECT_EQ(std::vector<float>(y, y + 2), (std::vector<float>{-2.25f, 1e-3f}));
  const float *x = kiln_dataset_features(data.get());
  EXPECT_EQ(std::vector<float>(x, x + 4), (std::vector<float>{1.5f, 2.5f, 3.0f, 3.5f}));
  writeFile(path("bad.csv"), text("a,y\n1,inf\n"));
  EXPECT_FALSE(kiln_dataset_load_csv_f32(path("bad.csv").c_str(), "y", 1, 0, err,
                                         sizeof(err)));
  EXPECT_THAT(err, HasSubstr("bad.csv:2: column 'y' is 'inf', not a finite number"));

  float features[6] = {1, 2, 3, 4, 5, 6};
  double targets[4] = {0.5, -1.5, 2.75, 1e6};
  writeFile(path("x.npy"), npy("<f4", "(2, 3)", features, sizeof(features)));
  writeFile(path("y.npy"), npy("<f8", "(2, 2)", targets, sizeof(targets)));
  data.reset(kiln_dataset_load_npy_f32(path("x.npy").c_str(), path("y.npy").c_str(), 1,
                                       0, err, sizeof(err)));
  ASSERT_TRUE(data) << err;
  EXPECT_EQ(kiln_dataset_label_size(data.get()), 2);
  y = kiln_dataset_labels_f32(data.get());
  EXPECT_EQ(std::vector<float>(y, y + 4), (std::vector<float>{0.5f, -1.5f, 2.75f, 1e6f}));

  double nan[2] = {1.0, std::nan("")};
  writeFile(path("nan.npy"), npy("<f8", "(2,)", nan, sizeof(nan)));
  EXPECT_FALSE(kiln_dataset_load_npy_f32(path("x.npy").c_str(), path("nan.npy").c_str(),
                                         1, 0, err, sizeof(err)));
  EXPECT_THAT(err, HasSubstr("nan.npy: label value 1 is nan"));
  writeFile(path("rows.npy"), npy("<f8", "(4,)", targets, sizeof(targets)));
  EXPECT_FALSE(kiln_dataset_load_npy_f32(path("x.npy").c_str(), path("rows.npy").c_str(),
                                         1, 0, err, sizeof(err)));
  EXPECT_THAT(err, HasSubstr("rows.npy: 1-d labels of 4 rows for 2 examples; expected "
                             "shape (2,) or (2, k)"));
  // The class-index loader still refuses float labels.
  EXPECT_FALSE(kiln_dataset_load_npy(path("x.npy").c_str(), path("y.npy").c_str(), 1, 0,
                                     err, sizeof(err)));
  EXPECT_THAT(err, HasSubstr("labels must be int32, int64 or uint8 class indices"));
}

// numpy writes the archives users have; without numpy the test says SKIPPED.
TEST_F(DataFormatsTest, NpzReadsWhatNumpyWrites) {
  const std::string python = KILN_TEST_PYTHON;
  if (std::system((python + " -c 'import numpy' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "SKIPPED: numpy is not installed for " << python;
  for (const char *save : {"savez", "savez_compressed"}) {
    SCOPED_TRACE(save);
    std::string command =
        python + " -c \"import numpy, sys; numpy." + save +
        "(sys.argv[1], x=numpy.arange(12, dtype=numpy.uint8).reshape(3, 4), "
        "y=numpy.array([2, 0, 1]), z=numpy.zeros(1))\" " + path("d.npz");
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    DatasetPtr data(kiln_dataset_load_npz(path("d.npz").c_str(), "x", "y", 1, 0, err,
                                          sizeof(err)));
    ASSERT_TRUE(data) << err;
    EXPECT_EQ(kiln_dataset_size(data.get()), 3);
    EXPECT_EQ(kiln_dataset_features(data.get())[11], 11.0f);
    EXPECT_EQ(kiln_dataset_labels(data.get())[0], 2);
    EXPECT_FALSE(kiln_dataset_load_npz(path("d.npz").c_str(), "x", "labels", 1, 0, err,
                                       sizeof(err)));
    EXPECT_THAT(err, HasSubstr("d.npz: has no array 'labels.npy'"));
    // Read as real values, the same labels arrive as floats.
    data.reset(kiln_dataset_load_npz_f32(path("d.npz").c_str(), "x", "y", 1, 0, err,
                                         sizeof(err)));
    ASSERT_TRUE(data) << err;
    const float *y = kiln_dataset_labels_f32(data.get());
    EXPECT_EQ(std::vector<float>(y, y + 3), (std::vector<float>{2.0f, 0.0f, 1.0f}));
  }
}

} // namespace
