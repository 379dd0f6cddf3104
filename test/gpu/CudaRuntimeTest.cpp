//===- CudaRuntimeTest.cpp - libkilnrt's CUDA layer without a driver ------===//
//
// KILN_CUDA_DRIVER points the runtime at a library that does not exist, so
// these tests see the no-driver path on every machine, GPU or not; the
// last one checks checkpoints of a device-resident state.
//
//===----------------------------------------------------------------------===//
#include "kiln/checkpoint.h"
#include "kiln/cuda.h"
#include "kiln/train.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

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

// An empty buffer (an unsplit matmul's split-K scratch, an empty batch's
// input) needs no driver call: null, and freeing null is a no-op.
TEST_F(NoDriver, EmptyBuffersNeedNoDevice) {
  EXPECT_EQ(mgpuMemAlloc(0, nullptr, 0), nullptr);
  mgpuMemFree(nullptr, nullptr);
}

// A model whose state lives on the device (state_to_host set) has its
// batches copied ahead through the CUDA layer, so training and evaluating
// it need the GPU before the first step; with no_prefetch the loop hands
// each step host batches and never touches the CUDA layer itself. Here the
// "device" functions are host code that counts their calls.
int64_t fakeSteps = 0;
void fakeInit(void *, uint64_t) {}
float fakeTrainStep(void *, const float *, const void *, int64_t) {
  ++fakeSteps;
  return 0.5f;
}
float fakeEvaluate(const void *, const float *, const void *, int64_t rows,
                   float *outputs) {
  std::fill_n(outputs, rows * 2, 0.0f);
  return 0.5f;
}
void fakeCopy(const void *, void *) {}
void fakeCopyIn(void *, const void *) {}

kiln_model deviceModel() {
  kiln_model model = {};
  model.name = "on_device";
  model.state_size = 16;
  model.input_size = 3;
  model.output_size = 2;
  model.init = fakeInit;
  model.train_step = fakeTrainStep;
  model.evaluate = fakeEvaluate;
  model.state_to_host = fakeCopy;
  model.state_from_host = fakeCopyIn;
  return model;
}

TEST_F(NoDriver, DeviceModelsPrefetchThroughTheCudaLayer) {
  std::vector<float> features(10 * 3, 0.25f);
  std::vector<int32_t> labels(10, 1);
  kiln_dataset *data = kiln_dataset_create("ten", 10, 3, features.data(),
                                           labels.data(), nullptr, 0);
  ASSERT_NE(data, nullptr);
  kiln_model model = deviceModel();
  std::unique_ptr<void, void (*)(void *)> state(kiln_state_alloc(&model),
                                                kiln_state_free);
  kiln_train_options options;
  kiln_train_options_init(&options);
  options.batch_size = 4;
  options.quiet = 1;
  options.state = state.get();
  kiln_report report;
  char err[256] = "";
  EXPECT_EXIT(kiln_train(&model, &options, data, nullptr, &report, err, sizeof err),
              ::testing::ExitedWithCode(1), "kiln: no CUDA device available");
  EXPECT_EXIT(kiln_evaluate(&model, state.get(), data, 4, nullptr, nullptr,
                            nullptr, err, sizeof err),
              ::testing::ExitedWithCode(1), "kiln: no CUDA device available");

  options.no_prefetch = 1;
  fakeSteps = 0;
  ASSERT_EQ(kiln_train(&model, &options, data, nullptr, &report, err, sizeof err), 0)
      << err;
  EXPECT_EQ(fakeSteps, 3); // batches of 4, 4 and 2
  EXPECT_DOUBLE_EQ(report.train_loss, 0.5);
  kiln_report_free(&report);
  kiln_dataset_free(data);
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

// Checkpoints of a state in device memory (a CUDA model's) go through the
// model's state_to_host/state_from_host. Here the "device" is a handle whose
// bytes only those two functions reach: reading the handle itself, as for a
// host state, would save and restore the wrong bytes.
struct FakeDevice {
  const char tag[8] = "handle";
  std::vector<uint8_t> memory;
};
void fakeToHost(const void *state, void *host) {
  const auto *device = static_cast<const FakeDevice *>(state);
  std::memcpy(host, device->memory.data(), device->memory.size());
}
void fakeFromHost(void *state, const void *host) {
  auto *device = static_cast<FakeDevice *>(state);
  std::memcpy(device->memory.data(), host, device->memory.size());
}

TEST(DeviceState, CheckpointsGoThroughTheCopyHelpers) {
  const int64_t shape[] = {4};
  const kiln_state_entry entries[] = {
      {"w", 0, 4, KILN_DTYPE_F32, 1, shape},
      {"step", 16, 1, KILN_DTYPE_I64, 0, nullptr}};
  kiln_model model = {};
  model.name = "fake";
  model.state_size = 24;
  model.state_entries = entries;
  model.num_state_entries = 2;
  model.state_to_host = fakeToHost;
  model.state_from_host = fakeFromHost;

  FakeDevice device;
  device.memory.resize(24);
  const float w[] = {1.5f, -2.0f, 3.25f, 0.125f};
  const int64_t step = 42;
  std::memcpy(device.memory.data(), w, sizeof w);
  std::memcpy(device.memory.data() + 16, &step, sizeof step);

  std::string path = ::testing::TempDir() + "device-state.ckpt";
  kiln_train_position position = {};
  position.step = step;
  position.batch_size = 8;
  char err[512] = "";
  ASSERT_EQ(kiln_checkpoint_save(&model, &device, &position, nullptr, 0,
                                 path.c_str(), err, sizeof err),
            0)
      << err;
  kiln_checkpoint *checkpoint = kiln_checkpoint_load(path.c_str(), err, sizeof err);
  ASSERT_NE(checkpoint, nullptr) << err;

  FakeDevice restored;
  restored.memory.assign(24, 0xAB);
  ASSERT_EQ(kiln_checkpoint_restore(checkpoint, &model, &restored, err,
                                    sizeof err),
            0)
      << err;
  EXPECT_EQ(restored.memory, device.memory);
  EXPECT_STREQ(restored.tag, "handle"); // the handle itself is untouched
  kiln_checkpoint_free(checkpoint);
  std::remove(path.c_str());
}

} // namespace
