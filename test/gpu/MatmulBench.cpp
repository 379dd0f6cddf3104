//===- MatmulBench.cpp - The generated matmul next to cuBLAS SGEMM --------===//
//
// usage: kiln-matmul-bench N
// Times kiln_matmul (test/gpu/matmul-bench.mlir.in through the CUDA
// pipeline; each call ends with one stream synchronization) and
// cublasSgemm (FP32, no TF32) on the same N x N x N problem, checks that
// they agree, and prints TFLOP/s of both.
//
// Built with -DKILN_NO_CUBLAS (no cuBLAS where the check runs), usage is
// kiln-matmul-bench N DIR: times kiln_matmul alone, writes A, B and C
// (row-major f32) to DIR/a.f32, b.f32, c.f32 and prints one line
// "kiln-ms <milliseconds>"; test/gpu/matmul_ref.py then times an FP32
// reference (PyTorch, TF32 off) and compares.
//
//===----------------------------------------------------------------------===//
#include "kiln/cuda.h"

#ifndef KILN_NO_CUBLAS
#include <cublas_v2.h>
#include <cuda_runtime.h>
#endif

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

// memref<NxNxf32> arguments expand to (allocated, aligned, offset, sizes,
// strides).
extern "C" void kiln_matmul(float *, float *, int64_t, int64_t, int64_t,
                            int64_t, int64_t, float *, float *, int64_t,
                            int64_t, int64_t, int64_t, int64_t, float *,
                            float *, int64_t, int64_t, int64_t, int64_t,
                            int64_t);

static double seconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int main(int argc, char **argv) {
  int64_t n = argc > 1 ? std::atoll(argv[1]) : 4096;
  char why[512];
  if (!kiln_cuda_available(why, sizeof why)) {
    std::fprintf(stderr, "%s\n", why);
    return 1;
  }
  size_t bytes = n * n * sizeof(float);
  std::vector<float> ha(n * n), hb(n * n), hc(n * n), hr(n * n);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto &v : ha) v = u(rng);
  for (auto &v : hb) v = u(rng);
  float *a = (float *)kiln_cuda_malloc(bytes);
  float *b = (float *)kiln_cuda_malloc(bytes);
  float *c = (float *)kiln_cuda_malloc(bytes);
  float *r = (float *)kiln_cuda_malloc(bytes);
  kiln_cuda_copy(a, ha.data(), bytes);
  kiln_cuda_copy(b, hb.data(), bytes);
  auto kiln = [&] {
    kiln_matmul(a, a, 0, n, n, n, 1, b, b, 0, n, n, n, 1, c, c, 0, n, n, n, 1);
  };
  auto time = [&](auto fn) {
    fn();
    fn();
    int iters = 0;
    double start = seconds(), now = start;
    while (now - start < 1.0 || iters < 3) {
      fn();
      ++iters;
      now = seconds();
    }
    return (now - start) / iters;
  };
#ifdef KILN_NO_CUBLAS
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s N DIR\n", argv[0]);
    return 2;
  }
  double tk = time(kiln);
  kiln_cuda_copy(hc.data(), c, bytes);
  std::string dir = argv[2];
  auto save = [&](const char *name, const std::vector<float> &v) {
    std::FILE *f = std::fopen((dir + "/" + name).c_str(), "wb");
    bool ok = f && std::fwrite(v.data(), sizeof(float), v.size(), f) ==
                       v.size();
    if (f)
      ok = std::fclose(f) == 0 && ok;
    if (!ok) {
      std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name);
      std::exit(1);
    }
  };
  save("a.f32", ha);
  save("b.f32", hb);
  save("c.f32", hc);
  std::printf("kiln-ms %.6f\n", tk * 1e3);
  return 0;
#else
  cublasHandle_t handle;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "cublasCreate failed\n");
    return 1;
  }
  cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH); // true FP32, no TF32
  const float one = 1, zero = 0;
  // Row-major C = A*B is column-major C^T = B^T * A^T.
  auto cublas = [&] {
    cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, b, n, a, n,
                &zero, r, n);
    cudaDeviceSynchronize();
  };
  double tk = time(kiln), tc = time(cublas);
  kiln_cuda_copy(hc.data(), c, bytes);
  kiln_cuda_copy(hr.data(), r, bytes);
  double maxDiff = 0, maxRef = 1e-6;
  for (int64_t i = 0; i < n * n; ++i) {
    maxDiff = std::max(maxDiff, (double)std::fabs(hc[i] - hr[i]));
    maxRef = std::max(maxRef, (double)std::fabs(hr[i]));
  }
  double flops = 2.0 * n * n * n;
  bool ok = maxDiff / maxRef < 1e-4;
  std::printf("matmul %lldx%lldx%lld f32 | kiln %.2f TFLOP/s (%.3f ms) | "
              "cuBLAS SGEMM %.2f TFLOP/s (%.3f ms) | kiln/cuBLAS %.0f%% | "
              "max rel diff %.1e %s\n",
              (long long)n, (long long)n, (long long)n, flops / tk / 1e12,
              tk * 1e3, flops / tc / 1e12, tc * 1e3, 100 * tc / tk,
              maxDiff / maxRef, ok ? "OK" : "MISMATCH");
  cublasDestroy(handle);
  return ok ? 0 : 1;
#endif
}
