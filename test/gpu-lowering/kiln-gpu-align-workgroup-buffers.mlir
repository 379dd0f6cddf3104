// RUN: kiln-opt %s --pass-pipeline='builtin.module(gpu.module(kiln-gpu-align-workgroup-buffers))' | FileCheck %s

// Workgroup buffers get 16-byte alignment (the matmul tiles are read as
// 16-byte vectors); one that states its alignment keeps it, and private
// buffers are left alone.
// CHECK-LABEL: gpu.func @tiles
// CHECK-SAME: workgroup(%{{.*}} : memref<16x64xf32, 3> {llvm.align = 16 : i64}, %{{.*}} : memref<8xf32, 3> {llvm.align = 32 : i64})
// CHECK-SAME: private(%{{.*}} : memref<4xf32, 5>)
// CHECK-SAME: kernel
gpu.module @kernels {
  gpu.func @tiles() workgroup(%a : memref<16x64xf32, 3>, %b : memref<8xf32, 3> {llvm.align = 32 : i64}) private(%p : memref<4xf32, 5>) kernel {
    gpu.return
  }
}
