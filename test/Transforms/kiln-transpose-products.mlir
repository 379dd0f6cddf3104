// RUN: kiln-opt %s -split-input-file --kiln-transpose-products | FileCheck %s

// dx = dy * W^T for a 300x128 weight: W (38400 elements) is larger than dy
// and dx together at a batch of 64 (8192 + 19200), so the product is
// computed as dx^T = W * dy^T into the transposed init (loops n, m, k; W
// first, indexed (n, k)) and transposed back. The body keeps dy * W.
// CHECK-DAG: #[[NK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[MK:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[NM:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @input_gradient
// CHECK: %[[INIT:.*]] = linalg.transpose ins(%arg2 : tensor<?x300xf32>) outs(%{{.*}} : tensor<300x?xf32>) permutation = [1, 0]
// CHECK: %[[T:.*]] = linalg.generic {indexing_maps = [#[[NK]], #[[MK]], #[[NM]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%arg1, %arg0 : tensor<300x128xf32>, tensor<?x128xf32>) outs(%[[INIT]] : tensor<300x?xf32>)
// CHECK-NEXT: ^bb0(%[[W:.*]]: f32, %[[DY:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:   %[[P:.*]] = arith.mulf %[[DY]], %[[W]] : f32
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT:   linalg.yield %[[S]] : f32
// CHECK: %[[R:.*]] = linalg.transpose ins(%[[T]] : tensor<300x?xf32>) outs(%{{.*}} : tensor<?x300xf32>) permutation = [1, 0]
// CHECK: return %[[R]]
#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @input_gradient(%dy: tensor<?x128xf32>, %w: tensor<300x128xf32>, %c: tensor<?x300xf32>) -> tensor<?x300xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dy, %w : tensor<?x128xf32>, tensor<300x128xf32>) outs(%c : tensor<?x300xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x300xf32>
  return %0 : tensor<?x300xf32>
}

// -----

// dx = dy * W^T for a 10x128 weight (the output layer): W (1280 elements)
// is smaller than dy and dx (8192 + 640), so transposing W stays cheaper.
// Untouched.
// CHECK-LABEL: func.func @small_weight
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0, %arg1 : tensor<?x128xf32>, tensor<10x128xf32>)
#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @small_weight(%dy: tensor<?x128xf32>, %w: tensor<10x128xf32>, %c: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dy, %w : tensor<?x128xf32>, tensor<10x128xf32>) outs(%c : tensor<?x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// A plain product (B indexed (k, n)): untouched.
// CHECK-LABEL: func.func @plain
// CHECK-NOT: linalg.transpose
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @plain(%a: tensor<?x128xf32>, %b: tensor<128x300xf32>, %c: tensor<?x300xf32>) -> tensor<?x300xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x128xf32>, tensor<128x300xf32>) outs(%c : tensor<?x300xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x300xf32>
  return %0 : tensor<?x300xf32>
}
