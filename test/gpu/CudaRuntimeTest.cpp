//===- CudaRuntimeTest.cpp - libkilnrt's CUDA layer without a driver ------===//
//
// KILN_CUDA_DRIVER points the runtime at a library that does not exist, so
// these tests see the no-driver path on every machine, GPU or not.
//
//===----------------------------------------------------------------------===//
#include "kiln/cuda.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

class NoDriver : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    setenv("KILN_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  }
};

TEST_F(NoDriver, AvailableSaysWhyInOneLine) {
  char why[512] = "unchanged";
  EXPECT_EQ(kiln_cuda_available(why, sizeof why), 0);
  std::string message = why;
  EXPECT_EQ(message.rfind("kiln: no CUDA device available (", 0), 0u)
      << message;
  EXPECT_NE(message.find("/nonexistent/libcuda.so.1"), std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_EQ(message.back(), ')');
  EXPECT_STREQ(kiln_cuda_device_name(), "");
  // NULL buffers are fine.
  EXPECT_EQ(kiln_cuda_available(nullptr, 0), 0);
}

TEST_F(NoDriver, TruncatesToTheBuffer) {
  char why[16];
  EXPECT_EQ(kiln_cuda_available(why, sizeof why), 0);
  EXPECT_EQ(std::string(why), "kiln: no CUDA d");
}

// Anything that needs the GPU exits 1 with the one-line message.
TEST_F(NoDriver, MallocExitsWithTheMessage) {
  EXPECT_EXIT(kiln_cuda_malloc(64), ::testing::ExitedWithCode(1),
              "^kiln: no CUDA device available \\(cannot load "
              "/nonexistent/libcuda.so.1: .*\\)\n$");
}

TEST_F(NoDriver, GeneratedCodeEntryPointsExitWithTheMessage) {
  EXPECT_EXIT(mgpuStreamCreate(), ::testing::ExitedWithCode(1),
              "kiln: no CUDA device available");
  EXPECT_EXIT(mgpuMemAlloc(16, nullptr, 0), ::testing::ExitedWithCode(1),
              "kiln: no CUDA device available");
}

// Module "loads" from global constructors only record the blob, so a
// program that links a CUDA object starts on a machine without a GPU.
TEST_F(NoDriver, ModuleLoadIsDeferred) {
  static const char blob[] = "not a cubin";
  void *module = mgpuModuleLoad(const_cast<char *>(blob), sizeof blob);
  ASSERT_NE(module, nullptr);
  void *jit = mgpuModuleLoadJIT(const_cast<char *>(blob), 3, sizeof blob);
  ASSERT_NE(jit, nullptr);
  EXPECT_EXIT(mgpuModuleGetFunction(module, "kernel"),
              ::testing::ExitedWithCode(1), "kiln: no CUDA device available");
  mgpuModuleUnload(module);
  mgpuModuleUnload(jit);
}

} // namespace
