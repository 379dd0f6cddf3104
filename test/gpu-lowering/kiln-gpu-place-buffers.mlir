// RUN: kiln-opt %s --kiln-gpu-place-buffers --split-input-file --verify-diagnostics | FileCheck %s

// The state is a device pointer already; the input is copied into a device
// buffer at entry and the loss out of one before the return; temporaries
// become gpu.alloc/gpu.dealloc and copies gpu.memcpy.
// CHECK-LABEL: func.func @m_train_step_impl
// CHECK-SAME: (%[[STATE:.*]]: memref<?xi8>, %[[X:.*]]: memref<?x4xf32>, %[[LOSS:.*]]: memref<f32>)
// CHECK: %[[N:.*]] = memref.dim %[[X]]
// CHECK: %[[XD:.*]] = gpu.alloc (%[[N]]) : memref<?x4xf32>
// CHECK: gpu.memcpy %[[XD]], %[[X]]
// CHECK: %[[LD:.*]] = gpu.alloc () : memref<f32>
// CHECK: %[[T:.*]] = gpu.alloc (%{{.*}}) : memref<?x4xf32>
// CHECK: gpu.memcpy %[[T]], %[[XD]]
// CHECK: memref.load %[[STATE]]
// CHECK: memref.store %{{.*}}, %[[LD]][]
// CHECK: gpu.dealloc %[[T]]
// CHECK: gpu.memcpy %[[LOSS]], %[[LD]]
// CHECK: gpu.dealloc %[[XD]]
// CHECK: gpu.dealloc %[[LD]]
// CHECK-NEXT: return
// CHECK-NOT: memref.alloc
func.func @m_train_step_impl(%state: memref<?xi8>, %x: memref<?x4xf32>, %loss: memref<f32>)
    attributes {kiln.c_roles = [{role = "state"}, {role = "input"}, {role = "loss"}]} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %t = memref.alloc(%n) : memref<?x4xf32>
  memref.copy %x, %t : memref<?x4xf32> to memref<?x4xf32>
  %b = memref.load %state[%c0] : memref<?xi8>
  %v = memref.load %t[%c0, %c0] : memref<?x4xf32>
  memref.store %v, %loss[] : memref<f32>
  memref.dealloc %t : memref<?x4xf32>
  return
}

// -----

// An allocation inside a loop would stay on the host: an error.
func.func @nested(%x: memref<?x4xf32>) attributes {kiln.c_roles = [{role = "input"}]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    // expected-error @below {{CUDA target: unexpected nested allocation or copy}}
    %t = memref.alloc() : memref<4xf32>
    memref.dealloc %t : memref<4xf32>
  }
  return
}
