// RUN: kiln-opt %s --kiln-gpu-splat-to-fill --split-input-file | FileCheck %s

// A static splat tensor constant becomes a fill of tensor.empty, which
// bufferizes to a device buffer written by a kernel rather than a host
// global copied in on every call.
// CHECK-LABEL: func.func @splat
// CHECK: %[[S:.*]] = arith.constant 1.500000e+00 : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[S]] : f32) outs(%[[E]] : tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: return %[[F]]
func.func @splat() -> tensor<4x8xf32> {
  %c = arith.constant dense<1.5> : tensor<4x8xf32>
  return %c : tensor<4x8xf32>
}

// -----

// Constants of distinct values and scalars stay as they are.
// CHECK-LABEL: func.func @not_splat
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: arith.constant 3.000000e+00 : f32
// CHECK-NOT: linalg.fill
func.func @not_splat() -> (tensor<2xf32>, f32) {
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %s = arith.constant 3.0 : f32
  return %c, %s : tensor<2xf32>, f32
}
