// RUN: kiln-opt %s --kiln-gpu-merge-kernel-modules | FileCheck %s

// Three outlined kernels, two of them identical, become one module named
// after the model holding two kernels; every launch points at the kernel
// kept.
// CHECK: gpu.module @m_kernels
// CHECK: gpu.func @k0
// CHECK: arith.addf
// CHECK: gpu.func @k2
// CHECK: arith.mulf
// CHECK-NOT: gpu.func
// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @step
// CHECK: gpu.launch_func  @m_kernels::@k0
// CHECK: gpu.launch_func  @m_kernels::@k0
// CHECK: gpu.launch_func  @m_kernels::@k2
module @m attributes {gpu.container_module} {
  gpu.module @k0 {
    gpu.func @k0(%a: memref<4xf32>) kernel {
      %i = gpu.thread_id x
      %v = memref.load %a[%i] : memref<4xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %a[%i] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @k1 {
    gpu.func @k1(%b: memref<4xf32>) kernel {
      %j = gpu.thread_id x
      %v = memref.load %b[%j] : memref<4xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %b[%j] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @k2 {
    gpu.func @k2(%a: memref<4xf32>) kernel {
      %i = gpu.thread_id x
      %v = memref.load %a[%i] : memref<4xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %a[%i] : memref<4xf32>
      gpu.return
    }
  }
  func.func @step(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    gpu.launch_func @k0::@k0 blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @k1::@k1 blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @k2::@k2 blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
}
