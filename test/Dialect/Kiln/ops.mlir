// RUN: kiln-opt %s -split-input-file | kiln-opt -split-input-file | FileCheck %s
// RUN: kiln-opt %s -split-input-file --mlir-print-op-generic | kiln-opt -split-input-file | FileCheck %s

// Round trip of every kiln op through its custom assembly format. The second
// RUN line goes through the generic form, so a printer that drops an
// attribute the parser would default differently shows up as a mismatch.

// Constants keep their element type and value (f32 splat, i32 dense).
// CHECK-LABEL: func.func @constants
// CHECK: kiln.constant dense<1.500000e+00> : tensor<2x3xf32>
// CHECK: kiln.constant dense<[1, -2]> : tensor<2xi32>
func.func @constants() -> (tensor<2x3xf32>, tensor<2xi32>) {
  %0 = kiln.constant dense<1.5> : tensor<2x3xf32>
  %1 = kiln.constant dense<[1, -2]> : tensor<2xi32>
  return %0, %1 : tensor<2x3xf32>, tensor<2xi32>
}

// -----

// The four broadcasting binary ops, with rank-extending, scalar and
// dynamic-batch operands: the printed functional type is kept verbatim.
// CHECK-LABEL: func.func @binary
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<3xf32>, %[[S:.*]]: tensor<f32>, %[[C:.*]]: tensor<2x1xf32>, %[[R:.*]]: tensor<1x4xf32>)
// CHECK: %[[A:.*]] = kiln.add %[[X]], %[[B]] : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// CHECK: %[[SU:.*]] = kiln.sub %[[A]], %[[S]] : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
// CHECK: %[[M:.*]] = kiln.mul %[[SU]], %[[SU]] : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK: kiln.div %[[M]], %[[B]] : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// CHECK: kiln.mul %[[C]], %[[R]] : (tensor<2x1xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
func.func @binary(%x: tensor<?x3xf32>, %b: tensor<3xf32>, %s: tensor<f32>,
                  %c: tensor<2x1xf32>, %r: tensor<1x4xf32>) {
  %0 = kiln.add %x, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = kiln.sub %0, %s : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
  %2 = kiln.mul %1, %1 : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %3 = kiln.div %2, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %4 = kiln.mul %c, %r : (tensor<2x1xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// relu and relu_grad print a single type.
// CHECK-LABEL: func.func @relu
// CHECK: %[[R:.*]] = kiln.relu %{{.*}} : tensor<?x3xf32>
// CHECK: kiln.relu_grad %{{.*}}, %[[R]] : tensor<?x3xf32>
func.func @relu(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.relu %x : tensor<?x3xf32>
  %1 = kiln.relu_grad %x, %0 : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// matmul: the transpose flags survive the round trip when true and are
// elided when they have their default (false) value.
// CHECK-LABEL: func.func @matmul
// CHECK: kiln.matmul %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
// CHECK: kiln.matmul %{{.*}}, %{{.*}} {transpose_a = true} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
// CHECK: kiln.matmul %{{.*}}, %{{.*}} {transpose_b = true} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x4xf32>
// CHECK: kiln.matmul %{{.*}}, %{{.*}} {transpose_a = true, transpose_b = true} : (tensor<4x3xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
// CHECK: kiln.matmul %{{.*}}, %{{.*}} : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
func.func @matmul(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %v: tensor<2x4xf32>,
                  %u: tensor<3x2xf32>) {
  %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %1 = kiln.matmul %w, %w {transpose_a = true} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
  %2 = kiln.matmul %w, %w {transpose_b = true} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x4xf32>
  %3 = kiln.matmul %w, %v {transpose_a = true, transpose_b = true} : (tensor<4x3xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %4 = kiln.matmul %w, %u {transpose_a = false, transpose_b = false} : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  return
}

// -----

// reshape between static shapes, to and from a scalar, with a dynamic
// dimension on both sides, and of i32 tensors.
// CHECK-LABEL: func.func @reshape
// CHECK: kiln.reshape %{{.*}} : (tensor<?x3xf32>) -> tensor<?xf32>
// CHECK: kiln.reshape %{{.*}} : (tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK: kiln.reshape %{{.*}} : (tensor<f32>) -> tensor<1x1xf32>
// CHECK: kiln.reshape %{{.*}} : (tensor<1xf32>) -> tensor<f32>
// CHECK: kiln.reshape %{{.*}} : (tensor<?x4xf32>) -> tensor<?x2x2xf32>
// CHECK: kiln.reshape %{{.*}} : (tensor<6xi32>) -> tensor<2x3xi32>
func.func @reshape(%x: tensor<?x3xf32>, %m: tensor<2x3xf32>, %s: tensor<f32>,
                   %o: tensor<1xf32>, %d: tensor<?x4xf32>, %i: tensor<6xi32>) {
  %0 = kiln.reshape %x : (tensor<?x3xf32>) -> tensor<?xf32>
  %1 = kiln.reshape %m : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %2 = kiln.reshape %s : (tensor<f32>) -> tensor<1x1xf32>
  %3 = kiln.reshape %o : (tensor<1xf32>) -> tensor<f32>
  %4 = kiln.reshape %d : (tensor<?x4xf32>) -> tensor<?x2x2xf32>
  %5 = kiln.reshape %i : (tensor<6xi32>) -> tensor<2x3xi32>
  return
}

// -----

// Reductions: default axes (all) and keepdims (false) are elided, explicit
// ones kept, negative axes printed as written.
// CHECK-LABEL: func.func @reductions
// CHECK: kiln.reduce_sum %{{.*}} : (tensor<?x3xf32>) -> tensor<f32>
// CHECK: kiln.reduce_sum %{{.*}} {axes = array<i64: 0>, keepdims = true} : (tensor<?x3xf32>) -> tensor<1x3xf32>
// CHECK: kiln.reduce_mean %{{.*}} : (tensor<?x3xf32>) -> tensor<f32>
// CHECK: kiln.reduce_mean %{{.*}} {axes = array<i64: -1>} : (tensor<?x3xf32>) -> tensor<?xf32>
func.func @reductions(%x: tensor<?x3xf32>) {
  %0 = kiln.reduce_sum %x : (tensor<?x3xf32>) -> tensor<f32>
  %1 = kiln.reduce_sum %x {axes = array<i64: 0>, keepdims = true} : (tensor<?x3xf32>) -> tensor<1x3xf32>
  %2 = kiln.reduce_mean %x {keepdims = false} : (tensor<?x3xf32>) -> tensor<f32>
  %3 = kiln.reduce_mean %x {axes = array<i64: -1>} : (tensor<?x3xf32>) -> tensor<?xf32>
  return
}

// -----

// The loss and its gradient helper, with a static batch on one side only.
// CHECK-LABEL: func.func @losses
// CHECK: %[[L:.*]] = kiln.softmax_cross_entropy %{{.*}}, %{{.*}} : (tensor<?x10xf32>, tensor<8xi32>) -> tensor<8xf32>
// CHECK: kiln.softmax_cross_entropy_grad %{{.*}}, %{{.*}}, %[[L]] : (tensor<?x10xf32>, tensor<8xi32>, tensor<8xf32>) -> tensor<?x10xf32>
func.func @losses(%logits: tensor<?x10xf32>, %labels: tensor<8xi32>) {
  %0 = kiln.softmax_cross_entropy %logits, %labels : (tensor<?x10xf32>, tensor<8xi32>) -> tensor<8xf32>
  %1 = kiln.softmax_cross_entropy_grad %logits, %labels, %0 : (tensor<?x10xf32>, tensor<8xi32>, tensor<8xf32>) -> tensor<?x10xf32>
  return
}

// -----

// Backward helpers: broadcast_like and element_count (axes kept, default
// elided).
// CHECK-LABEL: func.func @helpers
// CHECK: kiln.broadcast_like %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK: kiln.broadcast_like %{{.*}}, %{{.*}} : (tensor<1x1xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK: kiln.element_count %{{.*}} {axes = array<i64: 0>} : (tensor<?x3xf32>) -> tensor<f32>
// CHECK: kiln.element_count %{{.*}} : (tensor<?xi32>) -> tensor<f32>
func.func @helpers(%b: tensor<3xf32>, %x: tensor<?x3xf32>, %o: tensor<1x1xf32>,
                   %y: tensor<?xi32>) {
  %0 = kiln.broadcast_like %b, %x : (tensor<3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %1 = kiln.broadcast_like %o, %x : (tensor<1x1xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %2 = kiln.element_count %x {axes = array<i64: 0>} : (tensor<?x3xf32>) -> tensor<f32>
  %3 = kiln.element_count %y : (tensor<?xi32>) -> tensor<f32>
  return
}

// -----

// Random initializers keep seed operand, stream and bounds.
// CHECK-LABEL: func.func @random
// CHECK-SAME: (%[[SEED:.*]]: i64)
// CHECK: kiln.random_uniform %[[SEED]] {high = 5.000000e-01 : f32, low = -2.500000e-01 : f32, stream = 2 : i64} : tensor<4x3xf32>
// CHECK: kiln.random_normal %[[SEED]] {mean = 1.000000e+00 : f32, stddev = 1.250000e-01 : f32, stream = 7 : i64} : tensor<3xf32>
func.func @random(%seed: i64) {
  %0 = kiln.random_uniform %seed {low = -0.25 : f32, high = 0.5 : f32, stream = 2 : i64} : tensor<4x3xf32>
  %1 = kiln.random_normal %seed {mean = 1.0 : f32, stddev = 0.125 : f32, stream = 7 : i64} : tensor<3xf32>
  return
}

// -----

// Unary math and activations print one type; alpha is elided at its
// default (0.2 for leaky_relu, 1.0 for elu) and kept otherwise.
// CHECK-LABEL: func.func @unary
// CHECK: kiln.neg %{{.*}} : tensor<?x3xf32>
// CHECK: kiln.exp
// CHECK: kiln.log
// CHECK: kiln.sqrt
// CHECK: kiln.rsqrt
// CHECK: kiln.erf
// CHECK: kiln.sigmoid
// CHECK: kiln.tanh
// CHECK: kiln.softplus
// CHECK: kiln.gelu
// CHECK: kiln.leaky_relu %{{.*}} : tensor<?x3xf32>
// CHECK: kiln.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32} : tensor<?x3xf32>
// CHECK: kiln.elu %{{.*}} : tensor<?x3xf32>
// CHECK: kiln.elu %{{.*}} {alpha = 5.000000e-01 : f32} : tensor<?x3xf32>
// CHECK: kiln.step %{{.*}} : tensor<?x3xf32>
func.func @unary(%x: tensor<?x3xf32>) {
  %0 = kiln.neg %x : tensor<?x3xf32>
  %1 = kiln.exp %x : tensor<?x3xf32>
  %2 = kiln.log %x : tensor<?x3xf32>
  %3 = kiln.sqrt %x : tensor<?x3xf32>
  %4 = kiln.rsqrt %x : tensor<?x3xf32>
  %5 = kiln.erf %x : tensor<?x3xf32>
  %6 = kiln.sigmoid %x : tensor<?x3xf32>
  %7 = kiln.tanh %x : tensor<?x3xf32>
  %8 = kiln.softplus %x : tensor<?x3xf32>
  %9 = kiln.gelu %x : tensor<?x3xf32>
  %10 = kiln.leaky_relu %x : tensor<?x3xf32>
  %11 = kiln.leaky_relu %x {alpha = 0.1 : f32} : tensor<?x3xf32>
  %12 = kiln.elu %x {alpha = 1.0 : f32} : tensor<?x3xf32>
  %13 = kiln.elu %x {alpha = 0.5 : f32} : tensor<?x3xf32>
  %14 = kiln.step %x : tensor<?x3xf32>
  return
}

// -----

// softmax and log_softmax: axis -1 is the default and elided; pow and
// equal broadcast like the other binary ops.
// CHECK-LABEL: func.func @softmax_pow_equal
// CHECK: kiln.softmax %{{.*}} : tensor<?x3xf32>
// CHECK: kiln.log_softmax %{{.*}} {axis = 0 : i64} : tensor<?x3xf32>
// CHECK: kiln.pow %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
// CHECK: kiln.equal %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x3xf32>
func.func @softmax_pow_equal(%x: tensor<?x3xf32>, %p: tensor<f32>, %m: tensor<?x1xf32>) {
  %0 = kiln.softmax %x {axis = -1} : tensor<?x3xf32>
  %1 = kiln.log_softmax %x {axis = 0} : tensor<?x3xf32>
  %2 = kiln.pow %x, %p : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
  %3 = kiln.equal %x, %m : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x3xf32>
  return
}

// -----

// Shape ops, reduce_max and one_hot keep their array attributes.
// CHECK-LABEL: func.func @shape_ops
// CHECK: kiln.reduce_max %{{.*}} {axes = array<i64: 1>, keepdims = true} : (tensor<?x3xf32>) -> tensor<?x1xf32>
// CHECK: kiln.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<?x3xf32>) -> tensor<3x?xf32>
// CHECK: kiln.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
// CHECK: kiln.slice %{{.*}} {begin = array<i64: 0, 1>, size = array<i64: -1, 2>} : (tensor<?x4xf32>) -> tensor<?x2xf32>
// CHECK: kiln.slice_grad %{{.*}}, %{{.*}} {begin = array<i64: 0, 1>} : (tensor<?x2xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK: kiln.one_hot %{{.*}} {depth = 5 : i64} : (tensor<?xi32>) -> tensor<?x5xf32>
func.func @shape_ops(%x: tensor<?x3xf32>, %y: tensor<?xi32>) {
  %0 = kiln.reduce_max %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x3xf32>) -> tensor<?x1xf32>
  %1 = kiln.transpose %x {perm = array<i64: 1, 0>} : (tensor<?x3xf32>) -> tensor<3x?xf32>
  %2 = kiln.concat %x, %0 {axis = 1} : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  %3 = kiln.slice %2 {begin = array<i64: 0, 1>, size = array<i64: -1, 2>} : (tensor<?x4xf32>) -> tensor<?x2xf32>
  %4 = kiln.slice_grad %3, %2 {begin = array<i64: 0, 1>} : (tensor<?x2xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %5 = kiln.one_hot %y {depth = 5} : (tensor<?xi32>) -> tensor<?x5xf32>
  return
}

// -----

// Convolution, pooling and their gradient ops keep strides, dilations,
// windows and the padding string.
// CHECK-LABEL: func.func @conv_pool
// CHECK: kiln.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, padding = "SAME", strides = array<i64: 2, 2>} : (tensor<?x5x5x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x3x3x4xf32>
// CHECK: kiln.conv2d_backprop_input %{{.*}}, %{{.*}} {{.*}} : (tensor<?x3x3x4xf32>, tensor<3x3x2x4xf32>) -> tensor<?x5x5x2xf32>
// CHECK: kiln.conv2d_backprop_filter %{{.*}}, %{{.*}} {{.*}} : (tensor<?x5x5x2xf32>, tensor<?x3x3x4xf32>) -> tensor<3x3x2x4xf32>
// CHECK: kiln.max_pool %{{.*}} {padding = "VALID", strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : (tensor<?x5x5x2xf32>) -> tensor<?x2x2x2xf32>
// CHECK: kiln.avg_pool %{{.*}} {padding = "SAME", strides = array<i64: 2, 2>, window = array<i64: 3, 3>} : (tensor<?x5x5x2xf32>) -> tensor<?x3x3x2xf32>
// CHECK: kiln.max_pool_grad %{{.*}}, %{{.*}} {{.*}} : (tensor<?x5x5x2xf32>, tensor<?x2x2x2xf32>) -> tensor<?x5x5x2xf32>
// CHECK: kiln.avg_pool_grad %{{.*}}, %{{.*}} {{.*}} : (tensor<?x5x5x2xf32>, tensor<?x3x3x2xf32>) -> tensor<?x5x5x2xf32>
func.func @conv_pool(%x: tensor<?x5x5x2xf32>, %f: tensor<3x3x2x4xf32>) {
  %0 = kiln.conv2d %x, %f {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x5x5x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x3x3x4xf32>
  %1 = kiln.conv2d_backprop_input %0, %f {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x3x3x4xf32>, tensor<3x3x2x4xf32>) -> tensor<?x5x5x2xf32>
  %2 = kiln.conv2d_backprop_filter %x, %0 {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x5x5x2xf32>, tensor<?x3x3x4xf32>) -> tensor<3x3x2x4xf32>
  %3 = kiln.max_pool %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = "VALID"} : (tensor<?x5x5x2xf32>) -> tensor<?x2x2x2xf32>
  %4 = kiln.avg_pool %x {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = "SAME"} : (tensor<?x5x5x2xf32>) -> tensor<?x3x3x2xf32>
  %5 = kiln.max_pool_grad %x, %3 {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = "VALID"} : (tensor<?x5x5x2xf32>, tensor<?x2x2x2xf32>) -> tensor<?x5x5x2xf32>
  %6 = kiln.avg_pool_grad %x, %4 {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = "SAME"} : (tensor<?x5x5x2xf32>, tensor<?x3x3x2xf32>) -> tensor<?x5x5x2xf32>
  return
}

// -----

// softmax_cross_entropy and its gradient also take f32 [N, C] labels.
// CHECK-LABEL: func.func @dense_labels
// CHECK: kiln.softmax_cross_entropy %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?xf32>
// CHECK: kiln.softmax_cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xf32>) -> tensor<?x4xf32>
func.func @dense_labels(%l: tensor<?x4xf32>, %y: tensor<?x4xf32>) {
  %0 = kiln.softmax_cross_entropy %l, %y : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?xf32>
  %1 = kiln.softmax_cross_entropy_grad %l, %y, %0 : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}
