//===- GpuCheck.cpp - GPU train_step vs CPU train_step for one model ------===//
//
// usage: kiln-gpu-check MODEL CPU.so CUDA.so X_SIZE CLASSES [--mnist DIR]
//        [--steps N] [--epochs N] [--seconds S] [--bar A]
//
// Loads the same model compiled for the CPU and for CUDA (two shared
// objects, RTLD_LOCAL, same symbol names) and prints one table row:
//   - init: the CUDA init vs the CPU init (same seed);
//   - steps: from the CPU's initial state copied to the device, STEPS
//     train_steps on the same synthetic batches; loss and parameters of the
//     two must agree within a relative tolerance;
//   - images/s of train_step at batch 64 and 256 (GPU and CPU);
//   - with --mnist DIR: Fashion-MNIST (see trainOnMnist): GPU and CPU on the
//     same subset (KILN_GPU_TRAIN_LIMIT examples, default 1280); libkilnrt's
//     training loop with the state on the device (kiln train --device
//     cuda's, batches prefetched) against the CPU's on 640 examples (loss
//     and accuracy); the loop's images/s on 12800 examples with batches
//     prefetched and copied in each step (equal losses); then the
//     GPU alone for --epochs N (default 1) of the whole set within
//     --seconds S of training (default 50; past it, the run stops and
//     fails as too slow); with --bar A, that run is repeated from seeds
//     1..5 and the mean of their final test accuracies must reach A.
// Exit status 1 when a tolerance is exceeded.
//
//===----------------------------------------------------------------------===//
#include "kiln/cuda.h"
#include "kiln/dataset.h"
#include "kiln/report.h"
#include "kiln/train.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using InitFn = void (*)(void *, uint64_t);
// Labels as libkilnrt's table passes them (int32_t for these classifiers).
using StepFn = float (*)(void *, const float *, const void *, int64_t);
using EvalFn = float (*)(const void *, const float *, const void *, int64_t,
                         float *);
using SizeFn = size_t (*)();
using ToHostFn = void (*)(const void *, void *);
using FromHostFn = void (*)(void *, const void *);

struct Model {
  SizeFn stateSize;
  InitFn init;
  StepFn step;
  EvalFn evaluate;
  ToHostFn toHost = nullptr;
  FromHostFn fromHost = nullptr;
};

/// libkilnrt's table for `m`, as `kiln train` binds it (no state layout:
/// the loop below saves no checkpoints).
kiln_model runtimeTable(const Model &m, const std::string &name, int64_t xSize,
                        int classes) {
  kiln_model table = {};
  table.name = name.c_str();
  table.state_size = m.stateSize();
  table.input_size = xSize;
  table.output_size = classes;
  table.init = m.init;
  table.train_step = m.step;
  table.evaluate = m.evaluate;
  table.state_to_host = m.toHost;
  table.state_from_host = m.fromHost;
  return table;
}

/// What one run of libkilnrt's training loop measured.
struct LoopResult {
  double trainLoss = NAN; // mean over the epoch
  double accuracy = NAN;  // on the test set, NaN without one
  double imagesPerSecond = 0;
};

/// libkilnrt's training loop (kiln_train, what `kiln train` runs) for one
/// epoch of `train` and, if `test` is not null, a test evaluation; `state`
/// is the device state for the CUDA model (as `kiln train --device cuda`
/// passes it), null on the CPU (the loop allocates it). `prefetch`: batches
/// copied to the device while the step before runs (the default), else
/// each step copies its own. False on error.
bool runtimeLoop(const kiln_model &table, void *state, uint64_t seed,
                 const kiln_dataset *train, const kiln_dataset *test,
                 bool prefetch, LoopResult &result) {
  kiln_train_options options;
  kiln_train_options_init(&options);
  options.epochs = 1;
  options.batch_size = 64;
  options.seed = seed;
  options.quiet = 1;
  options.state = state;
  options.no_prefetch = !prefetch;
  kiln_report report = {};
  char err[512] = "";
  int rc = kiln_train(&table, &options, train, test, &report, err, sizeof err);
  if (rc != 0)
    std::printf("kiln_train: %s\n", err);
  result.trainLoss = report.train_loss;
  result.accuracy = report.test_accuracy;
  result.imagesPerSecond = report.images_per_second;
  kiln_report_free(&report);
  return rc == 0;
}

void *symbol(void *lib, const std::string &name) {
  void *p = dlsym(lib, name.c_str());
  if (!p) {
    std::fprintf(stderr, "kiln-gpu-check: missing %s\n", name.c_str());
    std::exit(2);
  }
  return p;
}

Model load(const char *path, const std::string &name, bool cuda) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    std::fprintf(stderr, "kiln-gpu-check: %s\n", dlerror());
    std::exit(2);
  }
  Model m;
  m.stateSize = (SizeFn)symbol(lib, name + "_state_size");
  m.init = (InitFn)symbol(lib, name + "_init");
  m.step = (StepFn)symbol(lib, name + "_train_step");
  m.evaluate = (EvalFn)symbol(lib, name + "_evaluate");
  if (cuda) {
    m.toHost = (ToHostFn)symbol(lib, name + "_state_to_host");
    m.fromHost = (FromHostFn)symbol(lib, name + "_state_from_host");
  }
  return m;
}

double seconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// max |a-b| / max(max|a|, 1e-6) over the f32 words of two states; the
/// state also holds an i64 step counter, compared exactly.
double relativeDifference(const std::vector<float> &a,
                          const std::vector<float> &b) {
  double maxAbs = 1e-6, maxDiff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) {
      if (std::isfinite(a[i]) != std::isfinite(b[i]))
        return INFINITY;
      continue;
    }
    maxAbs = std::max(maxAbs, (double)std::fabs(a[i]));
    maxDiff = std::max(maxDiff, (double)std::fabs(a[i] - b[i]));
  }
  return maxDiff / maxAbs;
}

int argmax(const float *row, int n) {
  return int(std::max_element(row, row + n) - row);
}

struct MnistOptions {
  int64_t subset = 1280;  // training examples of the GPU-vs-CPU comparison
  int64_t testSubset = 2000; // test examples it is scored on
  int64_t batch = 64;     // the recipe's batch size, for every training run
  int epochs = 1;         // the GPU run on the whole training set
  double seconds = 50;    // ... stops after the epoch that passes this
  double bar = 0;         // mean final test accuracy of seeds 1..5 (0: none)
  int64_t loopSubset = 640; // train and test examples of the kiln_train check
  int64_t speedSubset = 12800; // examples of the prefetch on/off timing
};

/// Trains `m` from `state` on the examples `order[0, end)` in batches of
/// `tb` (a partial last batch is dropped), stopping early at `deadline` (a
/// seconds() value); returns the examples trained on.
int64_t trainExamples(const Model &m, void *state, const kiln_dataset *train,
                      const std::vector<int64_t> &order, int64_t end,
                      int64_t tb, double deadline = INFINITY) {
  const int64_t xSize = kiln_dataset_example_size(train);
  const float *fx = kiln_dataset_features(train);
  const int32_t *fy = kiln_dataset_labels(train);
  std::vector<float> bx(tb * xSize);
  std::vector<int32_t> by(tb);
  int64_t b = 0;
  for (; b + tb <= end && seconds() < deadline; b += tb) {
    for (int64_t i = 0; i < tb; ++i) {
      std::memcpy(&bx[i * xSize], fx + order[b + i] * xSize, xSize * 4);
      by[i] = fy[order[b + i]];
    }
    m.step(state, bx.data(), by.data(), tb);
  }
  return b;
}

/// Test accuracy of `state` on the first `limit` test examples.
float testAccuracy(const Model &m, const void *state, const kiln_dataset *test,
                   int classes, int64_t limit) {
  int64_t tn = std::min(limit, kiln_dataset_size(test)), correct = 0;
  int64_t xSize = kiln_dataset_example_size(test);
  const int64_t eb = 500;
  std::vector<float> logits(eb * classes);
  for (int64_t b = 0; b < tn; b += eb) {
    int64_t k = std::min(eb, tn - b);
    m.evaluate(state, kiln_dataset_features(test) + b * xSize,
               kiln_dataset_labels(test) + b, k, logits.data());
    for (int64_t i = 0; i < k; ++i)
      correct += argmax(&logits[i * classes], classes) ==
                 kiln_dataset_labels(test)[b + i];
  }
  return float(correct) / float(tn);
}

/// The GPU alone from the CPU's init for `seed`: `epochs` epochs of the
/// whole training set in the order of `order` (shuffled again by
/// `shuffler` before each later epoch), stopping at `deadline`. With
/// `perEpoch`, prints the images/s and test accuracy after each epoch.
/// Returns the test accuracy after the last epoch, or -1 (with a TOO SLOW
/// row) when the deadline came first.
float gpuEpochs(const std::string &name, const Model &cpu, const Model &gpu,
                void *device, std::vector<float> &host, uint64_t seed,
                const kiln_dataset *train, const kiln_dataset *test,
                int classes, std::vector<int64_t> &order,
                std::mt19937 &shuffler, int epochs, int64_t batch,
                double deadline, bool perEpoch) {
  int64_t n = kiln_dataset_size(train);
  cpu.init(host.data(), seed);
  gpu.fromHost(device, host.data());
  float last = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    if (epoch > 0)
      std::shuffle(order.begin(), order.end(), shuffler);
    double start = seconds();
    int64_t done =
        trainExamples(gpu, device, train, order, n, batch, deadline);
    double t = seconds() - start;
    if (done < n - n % batch) {
      std::printf("%-12s | fashion-mnist GPU seed %llu epoch %d/%d: stopped "
                  "after %lld images in %.1fs (%.0f img/s; budget spent) | "
                  "TOO SLOW\n",
                  name.c_str(), (unsigned long long)seed, epoch + 1, epochs,
                  (long long)done, t, double(done) / t);
      return -1;
    }
    if (!perEpoch && epoch + 1 < epochs)
      continue;
    last = testAccuracy(gpu, device, test, classes, kiln_dataset_size(test));
    if (perEpoch)
      std::printf("%-12s | fashion-mnist GPU epoch %d/%d: %lld images in "
                  "%.1fs (%.0f img/s, batch %lld, host batches), test acc "
                  "%.4f\n",
                  name.c_str(), epoch + 1, epochs, (long long)done, t,
                  double(done) / t, (long long)batch, last);
  }
  return last;
}

/// Fashion-MNIST: (a) GPU and CPU from the same initial state on the same
/// first `subset` examples of one shuffle, scored on the first testSubset
/// test images (GPU within 1 point of the CPU); (b) the GPU alone for
/// `epochs` epochs of the whole training set (a new shuffle each), scored on
/// the whole test set after each epoch; (c) between them, libkilnrt's
/// training loop with the state on the device (the runtime side of `kiln
/// train --device cuda`) against the same loop on the CPU, on 640 train and
/// test examples. The CPU does only subsets: single-threaded, a whole epoch
/// of a convolutional model takes minutes.
bool trainOnMnist(const std::string &name, const Model &cpu, const Model &gpu,
                  void *device, size_t words, uint64_t seed, int64_t xSize,
                  int classes, const std::string &dir,
                  const MnistOptions &options) {
  char err[512];
  auto path = [&](const char *f) { return dir + "/" + f; };
  kiln_dataset *train = kiln_dataset_load_idx(
      path("train-images-idx3-ubyte.gz").c_str(),
      path("train-labels-idx1-ubyte.gz").c_str(), 1 / 255.0f, 0, err,
      sizeof err);
  kiln_dataset *test = kiln_dataset_load_idx(
      path("t10k-images-idx3-ubyte.gz").c_str(),
      path("t10k-labels-idx1-ubyte.gz").c_str(), 1 / 255.0f, 0, err,
      sizeof err);
  if (!train || !test || kiln_dataset_example_size(train) != xSize) {
    std::printf("%-12s | fashion-mnist: skipped (%s)\n", name.c_str(),
                train && test ? "input size differs" : err);
    kiln_dataset_free(train);
    kiln_dataset_free(test);
    return true;
  }
  int64_t n = kiln_dataset_size(train);
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  std::mt19937 shuffler(99);
  std::shuffle(order.begin(), order.end(), shuffler);

  // (a) The same subset on both.
  int64_t subset = std::min(options.subset, n);
  std::vector<float> host(words);
  float accuracy[2];
  double times[2];
  for (int dev = 0; dev < 2; ++dev) {
    const Model &m = dev == 0 ? gpu : cpu;
    cpu.init(host.data(), seed);
    if (dev == 0)
      gpu.fromHost(device, host.data());
    void *state = dev == 0 ? device : (void *)host.data();
    double start = seconds();
    trainExamples(m, state, train, order, subset, options.batch);
    times[dev] = seconds() - start;
    accuracy[dev] = testAccuracy(m, state, test, classes, options.testSubset);
  }
  bool ok = accuracy[0] >= accuracy[1] - 0.01f;
  std::printf("%-12s | fashion-mnist, same %lld examples (batch %lld) on both, "
              "first %lld test images: GPU acc %.4f (%.1fs) vs CPU acc %.4f "
              "(%.1fs) | %s\n",
              name.c_str(), (long long)subset, (long long)options.batch,
              (long long)std::min(options.testSubset, kiln_dataset_size(test)),
              accuracy[0], times[0], accuracy[1], times[1],
              ok ? "OK" : "MISMATCH");

  // (c) libkilnrt's loop with the state on the device, as `kiln train
  //     --device cuda` runs it (batches prefetched), against the same loop
  //     on the CPU: the epoch's mean loss within relative 1e-3 of the
  //     CPU's, the test accuracy within 1 point.
  {
    kiln_dataset *trainPart = kiln_dataset_subset(train, options.loopSubset,
                                                  err, sizeof err);
    kiln_dataset *testPart =
        kiln_dataset_subset(test, options.loopSubset, err, sizeof err);
    LoopResult onGpu, onCpu;
    bool ran = trainPart && testPart &&
               runtimeLoop(runtimeTable(gpu, name, xSize, classes), device,
                           seed, trainPart, testPart, true, onGpu) &&
               runtimeLoop(runtimeTable(cpu, name, xSize, classes), nullptr,
                           seed, trainPart, testPart, true, onCpu);
    double lossDiff = std::fabs(onGpu.trainLoss - onCpu.trainLoss) /
                      std::max(1e-6, std::fabs(onCpu.trainLoss));
    bool loopOk = ran && lossDiff <= 1e-3 && onGpu.accuracy >= onCpu.accuracy - 0.01;
    ok = ok && loopOk;
    std::printf("%-12s | kiln_train, state on the device (kiln train --device "
                "cuda's loop, batches prefetched), %lld examples, 1 epoch: "
                "GPU loss %.5f acc %.4f vs CPU loop loss %.5f (rel %.1e) acc "
                "%.4f | %s\n",
                name.c_str(), (long long)options.loopSubset, onGpu.trainLoss,
                onGpu.accuracy, onCpu.trainLoss, lossDiff, onCpu.accuracy,
                !ran ? "ERROR" : loopOk ? "OK" : "MISMATCH");
    kiln_dataset_free(trainPart);
    kiln_dataset_free(testPart);
  }

  // (d) What prefetching gains: the same loop on speedSubset examples (one
  //     epoch, no test set), batches copied ahead or by each step. Both
  //     see the same batches from the same initial state, so their losses
  //     must be equal: no kernel sums in an order that varies between runs
  //     (split-K matmuls add their partial sums in plane order).
  {
    kiln_dataset *trainPart = kiln_dataset_subset(
        train, std::min(options.speedSubset, n), err, sizeof err);
    LoopResult ahead, inStep;
    kiln_model table = runtimeTable(gpu, name, xSize, classes);
    bool ran = trainPart &&
               runtimeLoop(table, device, seed, trainPart, nullptr, false, inStep) &&
               runtimeLoop(table, device, seed, trainPart, nullptr, true, ahead);
    double lossDiff = std::fabs(ahead.trainLoss - inStep.trainLoss) /
                      std::max(1e-6, std::fabs(inStep.trainLoss));
    bool same = ran && ahead.trainLoss == inStep.trainLoss;
    ok = ok && same;
    std::printf("%-12s | kiln_train on the GPU, %lld examples, batch 64: "
                "prefetched %.0f img/s vs copied in the step %.0f img/s "
                "(x%.2f), loss %.6f vs %.6f (rel %.1e) | %s\n",
                name.c_str(), (long long)std::min(options.speedSubset, n),
                ahead.imagesPerSecond, inStep.imagesPerSecond,
                inStep.imagesPerSecond > 0
                    ? ahead.imagesPerSecond / inStep.imagesPerSecond
                    : 0.0,
                ahead.trainLoss, inStep.trainLoss, lossDiff,
                !ran ? "ERROR" : same ? "OK" : "MISMATCH");
    kiln_dataset_free(trainPart);
  }

  // (b) The GPU on everything: the recipe's epochs, from one seed, or,
  //     for a model with an accuracy bar, from each of kBarSeeds seeds
  //     (the bar applies to their mean: one seed's accuracy scatters by
  //     a few tenths of a point around it).
  double deadline = seconds() + options.seconds;
  if (options.bar <= 0) {
    ok = gpuEpochs(name, cpu, gpu, device, host, seed, train, test, classes,
                   order, shuffler, options.epochs, options.batch, deadline,
                   true) >= 0 &&
         ok;
  } else {
    const int kBarSeeds = 5;
    double sum = 0, lowest = 1;
    int seeds = 0;
    for (int s = 1; s <= kBarSeeds; ++s, ++seeds) {
      std::mt19937 seedShuffler(s);
      std::shuffle(order.begin(), order.end(), seedShuffler);
      double start = seconds();
      float acc = gpuEpochs(name, cpu, gpu, device, host, s, train, test,
                            classes, order, seedShuffler, options.epochs,
                            options.batch, deadline, false);
      if (acc < 0)
        break;
      std::printf("%-12s | fashion-mnist GPU seed %d: %d epochs of batch %lld "
                  "in %.1fs, test acc %.4f\n",
                  name.c_str(), s, options.epochs, (long long)options.batch,
                  seconds() - start, acc);
      sum += acc;
      lowest = std::min(lowest, (double)acc);
    }
    bool met = seeds == kBarSeeds && sum / kBarSeeds >= options.bar;
    ok = ok && met;
    if (seeds == kBarSeeds)
      std::printf("%-12s | fashion-mnist GPU after %d epochs, seeds 1-%d: "
                  "mean test acc %.4f (min %.4f), bar %.2f on the mean | "
                  "%s\n",
                  name.c_str(), options.epochs, kBarSeeds, sum / kBarSeeds,
                  lowest, options.bar, met ? "OK" : "BELOW");
  }
  kiln_dataset_free(train);
  kiln_dataset_free(test);
  return ok;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: kiln-gpu-check MODEL CPU.so CUDA.so X_SIZE "
                         "CLASSES [--mnist DIR] [--steps N] [--epochs N] "
                         "[--batch N] [--seconds S] [--bar A]\n");
    return 2;
  }
  std::string name = argv[1];
  int64_t xSize = std::atoll(argv[4]);
  int classes = std::atoi(argv[5]);
  std::string mnist;
  int steps = 5;
  MnistOptions mnistOptions;
  if (const char *limit = std::getenv("KILN_GPU_TRAIN_LIMIT"))
    mnistOptions.subset = std::atoll(limit);
  for (int i = 6; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--mnist"))
      mnist = argv[i + 1];
    else if (!std::strcmp(argv[i], "--steps"))
      steps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch"))
      mnistOptions.batch = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--epochs"))
      mnistOptions.epochs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds"))
      mnistOptions.seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--bar"))
      mnistOptions.bar = std::atof(argv[i + 1]);
  }
  if (mnistOptions.batch < 1) {
    std::fprintf(stderr, "kiln-gpu-check: --batch must be at least 1\n");
    return 2;
  }
  // Lines appear as they are computed, also through a pipe.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  char why[512];
  if (!kiln_cuda_available(why, sizeof why)) {
    std::fprintf(stderr, "%s\n", why);
    return 1;
  }
  Model cpu = load(argv[2], name, false);
  Model gpu = load(argv[3], name, true);
  size_t size = cpu.stateSize();
  if (gpu.stateSize() != size) {
    std::fprintf(stderr, "state sizes differ: %zu vs %zu\n", size,
                 gpu.stateSize());
    return 1;
  }
  size_t words = size / 4;
  std::vector<float> cpuState(words), gpuState(words);
  void *device = kiln_cuda_malloc(size);
  const uint64_t seed = 7;

  // 1. init on both.
  cpu.init(cpuState.data(), seed);
  gpu.init(device, seed);
  gpu.toHost(device, gpuState.data());
  double initDiff = relativeDifference(cpuState, gpuState);

  // 2. train_steps from the same state on the same batches.
  const int64_t batch = 64;
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> pixel(0.f, 1.f);
  std::uniform_int_distribution<int> label(0, classes - 1);
  std::vector<float> x(batch * xSize);
  std::vector<int32_t> y(batch);
  gpu.fromHost(device, cpuState.data());
  double lossDiff = 0;
  float cpuLoss = 0, gpuLoss = 0;
  for (int s = 0; s < steps; ++s) {
    for (float &v : x)
      v = pixel(rng);
    for (int32_t &v : y)
      v = label(rng);
    cpuLoss = cpu.step(cpuState.data(), x.data(), y.data(), batch);
    gpuLoss = gpu.step(device, x.data(), y.data(), batch);
    lossDiff = std::max(lossDiff, (double)std::fabs(cpuLoss - gpuLoss) /
                                      std::max(1e-6f, std::fabs(cpuLoss)));
  }
  gpu.toHost(device, gpuState.data());
  double paramDiff = relativeDifference(cpuState, gpuState);
  const double tolerance = 1e-3;
  bool ok = initDiff <= tolerance && lossDiff <= tolerance &&
            paramDiff <= tolerance;

  // 3. Throughput at batch 64 and 256 (each step returns the loss, so it
  //    includes the one synchronization per step).
  double ips[2][2]; // [gpu/cpu][64/256]
  int64_t batches[2] = {64, 256};
  for (int b = 0; b < 2; ++b) {
    int64_t n = batches[b];
    std::vector<float> bx(n * xSize);
    std::vector<int32_t> by(n);
    for (float &v : bx)
      v = pixel(rng);
    for (int32_t &v : by)
      v = label(rng);
    float *pinned = (float *)kiln_cuda_host_alloc(bx.size() * 4);
    int32_t *pinnedY = (int32_t *)kiln_cuda_host_alloc(by.size() * 4);
    std::memcpy(pinned, bx.data(), bx.size() * 4);
    std::memcpy(pinnedY, by.data(), by.size() * 4);
    for (int w = 0; w < 5; ++w)
      gpu.step(device, pinned, pinnedY, n);
    int iters = 0;
    double start = seconds(), now = start;
    while (now - start < 1.0 || iters < 3) {
      gpu.step(device, pinned, pinnedY, n);
      ++iters;
      now = seconds();
    }
    ips[0][b] = iters * n / (now - start);
    kiln_cuda_host_free(pinned);
    kiln_cuda_host_free(pinnedY);
    std::vector<float> scratch(cpuState);
    iters = 0;
    start = now = seconds();
    while (now - start < 0.5 || iters < 3) {
      cpu.step(scratch.data(), bx.data(), by.data(), n);
      ++iters;
      now = seconds();
    }
    ips[1][b] = iters * n / (now - start);
  }

  std::printf("%-12s | init %.1e | loss %.5f vs %.5f (rel %.1e) | params rel "
              "%.1e | %s | GPU img/s b64 %.0f b256 %.0f | CPU img/s b64 %.0f "
              "b256 %.0f\n",
              name.c_str(), initDiff, gpuLoss, cpuLoss, lossDiff, paramDiff,
              ok ? "OK" : "MISMATCH", ips[0][0], ips[0][1], ips[1][0],
              ips[1][1]);

  // 4. Fashion-MNIST.
  if (!mnist.empty())
    ok = trainOnMnist(name, cpu, gpu, device, words, seed, xSize, classes,
                      mnist, mnistOptions) &&
         ok;
  kiln_cuda_free(device);
  return ok ? 0 : 1;
}
