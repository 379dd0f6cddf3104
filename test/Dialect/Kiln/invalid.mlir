// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// Verifier and shape-inference errors of kiln ops. Shapes in messages use the
// user-facing `dtype[d0, d1]` spelling with `?` for a dynamic dimension.
// Inferred ops report the shape error and then that inference failed.

// Broadcasting: trailing dimensions 3 and 3 agree, 2 and 4 do not.
func.func @broadcast_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{shapes f32[2, 3] and f32[4, 3] cannot be broadcast together (dimension 2 vs 4)}}
  // expected-error @+1 {{'kiln.add' op failed to infer returned types}}
  %0 = kiln.add %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Broadcasting after rank extension: [3] against [2, 4] compares 3 with 4.
func.func @broadcast_rank_extended(%a: tensor<2x4xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{shapes f32[3] and f32[2, 4] cannot be broadcast together (dimension 3 vs 4)}}
  // expected-error @+1 {{'kiln.mul' op failed to infer returned types}}
  %0 = kiln.mul %b, %a : (tensor<3xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// A dynamic dimension does not make two different static ones compatible.
func.func @broadcast_mismatch_dynamic_batch(%a: tensor<?x3xf32>, %b: tensor<?x2xf32>) {
  // expected-error @+2 {{shapes f32[?, 3] and f32[?, 2] cannot be broadcast together (dimension 3 vs 2)}}
  // expected-error @+1 {{'kiln.sub' op failed to infer returned types}}
  %0 = kiln.sub %a, %b : (tensor<?x3xf32>, tensor<?x2xf32>) -> tensor<?x3xf32>
  return
}

// -----

// matmul: [2, 3] x [2, 3] has inner dimensions 3 and 2.
func.func @matmul_inner(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+2 {{matmul inner dimensions differ: f32[2, 3] x f32[2, 3] (3 vs 2)}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// matmul with transpose_a: op(a) = [3, 2], so the inner dimension of a is 2,
// which differs from b's 3 (without the flag, 3 vs 3 would be valid).
func.func @matmul_inner_transpose_a(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{matmul inner dimensions differ: f32[2, 3] x f32[3, 4] (2 vs 3)}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b {transpose_a = true} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

// matmul with transpose_b: op(b) = [4, 3], whose inner dimension 4 differs
// from a's 3.
func.func @matmul_inner_transpose_b(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{matmul inner dimensions differ: f32[2, 3] x f32[3, 4] (3 vs 4)}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b {transpose_b = true} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  return
}

// -----

// matmul with both flags: op(a) = [3, 2], op(b) = [4, 3]; inner 2 vs 3.
func.func @matmul_inner_transpose_both(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{matmul inner dimensions differ: f32[2, 3] x f32[4, 3] (2 vs 3)}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b {transpose_a = true, transpose_b = true} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<3x4xf32>
  return
}

// -----

// matmul is 2-D only: a rank-3 operand is rejected.
func.func @matmul_rank3(%a: tensor<2x3x4xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{matmul expects 2-D operands, got f32[2, 3, 4] and f32[4, 3]}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// matmul is 2-D only: a vector operand is rejected too.
func.func @matmul_rank1(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{matmul expects 2-D operands, got f32[2, 3] and f32[3]}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2xf32>
  return
}

// -----

// Wrong declared result type of an inferred op: matmul gives [2, 4].
func.func @matmul_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{'kiln.matmul' op inferred type(s) 'tensor<2x4xf32>' are incompatible with return type(s) of operation 'tensor<2x5xf32>'}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x5xf32>
  return
}

// -----

// Wrong declared result type: broadcasting [2, 3] with [3] gives [2, 3].
func.func @add_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'kiln.add' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{'kiln.add' op failed to infer returned types}}
  %0 = kiln.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

// The result of an inferred op must not claim a static size for a dynamic
// batch dimension.
func.func @add_static_result_of_dynamic(%a: tensor<?x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'kiln.add' op inferred type(s) 'tensor<?x3xf32>' are incompatible with return type(s) of operation 'tensor<4x3xf32>'}}
  // expected-error @+1 {{'kiln.add' op failed to infer returned types}}
  %0 = kiln.add %a, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return
}

// -----

// Wrong declared result type of a reduction: keepdims keeps the axis as 1.
func.func @reduce_wrong_result(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'kiln.reduce_sum' op inferred type(s) 'tensor<1x3xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{'kiln.reduce_sum' op failed to infer returned types}}
  %0 = kiln.reduce_sum %a {axes = array<i64: 0>, keepdims = true} : (tensor<2x3xf32>) -> tensor<3xf32>
  return
}

// -----

// Reduction axis out of range (rank 2 has axes 0 and 1).
func.func @reduce_axis_out_of_range(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range for a tensor of rank 2}}
  // expected-error @+1 {{'kiln.reduce_sum' op failed to infer returned types}}
  %0 = kiln.reduce_sum %a {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

// A negative axis may go back to -rank, not further.
func.func @reduce_negative_axis_out_of_range(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis -3 is out of range for a tensor of rank 2}}
  // expected-error @+1 {{'kiln.reduce_mean' op failed to infer returned types}}
  %0 = kiln.reduce_mean %a {axes = array<i64: -3>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

// Repeated axes, spelled differently: 1 and -1 are the same axis of rank 2.
func.func @reduce_repeated_axes(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axes must not repeat}}
  // expected-error @+1 {{'kiln.reduce_sum' op failed to infer returned types}}
  %0 = kiln.reduce_sum %a {axes = array<i64: 1, -1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

// element_count validates its axes like the reductions.
func.func @element_count_repeated_axes(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axes must not repeat}}
  %0 = kiln.element_count %a {axes = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<f32>
  return
}

// -----

// element_count axis out of range.
func.func @element_count_axis_out_of_range(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 5 is out of range for a tensor of rank 2}}
  %0 = kiln.element_count %a {axes = array<i64: 5>} : (tensor<2x3xf32>) -> tensor<f32>
  return
}

// -----

// Static reshape with different element counts (6 vs 7).
func.func @reshape_count_mismatch(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot reshape f32[2, 3] to f32[7]}}
  %0 = kiln.reshape %a : (tensor<2x3xf32>) -> tensor<7xf32>
  return
}

// -----

// A dynamic batch cannot be reshaped into a fully static shape.
func.func @reshape_dynamic_to_static(%a: tensor<?x3xf32>) {
  // expected-error @+1 {{cannot reshape f32[?, 3] (dynamic size) to the static shape f32[6]}}
  %0 = kiln.reshape %a : (tensor<?x3xf32>) -> tensor<6xf32>
  return
}

// -----

// At most one dynamic dimension on the operand side...
func.func @reshape_two_dynamic_operand(%a: tensor<?x?xf32>) {
  // expected-error @+1 {{reshape supports at most one dynamic dimension, got f32[?, ?] to f32[?]}}
  %0 = kiln.reshape %a : (tensor<?x?xf32>) -> tensor<?xf32>
  return
}

// -----

// ...and on the result side.
func.func @reshape_two_dynamic_result(%a: tensor<?x4xf32>) {
  // expected-error @+1 {{reshape supports at most one dynamic dimension, got f32[?, 4] to f32[?, ?, 2]}}
  %0 = kiln.reshape %a : (tensor<?x4xf32>) -> tensor<?x?x2xf32>
  return
}

// -----

// Static to dynamic: the static part 4 does not divide 6 elements.
func.func @reshape_static_to_dynamic_indivisible(%a: tensor<6xf32>) {
  // expected-error @+1 {{cannot reshape f32[6] to f32[?, 4]}}
  %0 = kiln.reshape %a : (tensor<6xf32>) -> tensor<?x4xf32>
  return
}

// -----

// reshape keeps the element type.
func.func @reshape_element_type(%a: tensor<2x3xi32>) {
  // expected-error @+1 {{reshape cannot change the element type}}
  %0 = kiln.reshape %a : (tensor<2x3xi32>) -> tensor<6xf32>
  return
}

// -----

// softmax_cross_entropy: logits must be [batch, classes].
func.func @sce_logits_rank(%a: tensor<3xf32>, %y: tensor<3xi32>) {
  // expected-error @+2 {{softmax_cross_entropy expects f32 logits of shape [batch, classes], got f32[3]}}
  // expected-error @+1 {{'kiln.softmax_cross_entropy' op failed to infer returned types}}
  %0 = kiln.softmax_cross_entropy %a, %y : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xf32>
  return
}

// -----

// softmax_cross_entropy: i32 labels must be [batch]; [batch, 1] is rejected.
func.func @sce_labels_rank(%a: tensor<2x3xf32>, %y: tensor<2x1xi32>) {
  // expected-error @+2 {{softmax_cross_entropy expects i32 labels of shape [batch], got i32[2, 1]}}
  // expected-error @+1 {{'kiln.softmax_cross_entropy' op failed to infer returned types}}
  %0 = kiln.softmax_cross_entropy %a, %y : (tensor<2x3xf32>, tensor<2x1xi32>) -> tensor<2xf32>
  return
}

// -----

// softmax_cross_entropy: i64 labels are rejected by the operand constraint.
func.func @sce_labels_element_type(%a: tensor<2x3xf32>, %y: tensor<2xi64>) {
  // expected-error @+1 {{'kiln.softmax_cross_entropy' op operand #1 must be ranked tensor of 32-bit float or 32-bit signless integer values, but got 'tensor<2xi64>'}}
  %0 = kiln.softmax_cross_entropy %a, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

// softmax_cross_entropy: f16 logits are rejected by the operand constraint.
func.func @sce_logits_element_type(%a: tensor<2x3xf16>, %y: tensor<2xi32>) {
  // expected-error @+1 {{'kiln.softmax_cross_entropy' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<2x3xf16>'}}
  %0 = kiln.softmax_cross_entropy %a, %y : (tensor<2x3xf16>, tensor<2xi32>) -> tensor<2xf32>
  return
}

// -----

// softmax_cross_entropy: static batch sizes of logits and labels differ.
func.func @sce_batch_mismatch(%a: tensor<2x3xf32>, %y: tensor<4xi32>) {
  // expected-error @+2 {{logits f32[2, 3] and labels i32[4] have different batch sizes}}
  // expected-error @+1 {{'kiln.softmax_cross_entropy' op failed to infer returned types}}
  %0 = kiln.softmax_cross_entropy %a, %y : (tensor<2x3xf32>, tensor<4xi32>) -> tensor<2xf32>
  return
}

// -----

// softmax_cross_entropy_grad checks its logits and labels like the loss...
func.func @sce_grad_batch_mismatch(%a: tensor<2x3xf32>, %y: tensor<4xi32>, %d: tensor<2xf32>) {
  // expected-error @+1 {{logits f32[2, 3] and labels i32[4] have different batch sizes}}
  %0 = kiln.softmax_cross_entropy_grad %a, %y, %d : (tensor<2x3xf32>, tensor<4xi32>, tensor<2xf32>) -> tensor<2x3xf32>
  return
}

// -----

// ...and wants the incoming per-example gradient as [batch].
func.func @sce_grad_dloss_rank(%a: tensor<2x3xf32>, %y: tensor<2xi32>, %d: tensor<2x1xf32>) {
  // expected-error @+1 {{'kiln.softmax_cross_entropy_grad' op expects dloss of shape [batch], got f32[2, 1]}}
  %0 = kiln.softmax_cross_entropy_grad %a, %y, %d : (tensor<2x3xf32>, tensor<2xi32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return
}

// -----

// broadcast_like: [4] cannot stretch to [2, 3].
func.func @broadcast_like_incompatible(%a: tensor<4xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.broadcast_like' op cannot broadcast f32[4] to f32[2, 3]}}
  %0 = kiln.broadcast_like %a, %b : (tensor<4xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// broadcast_like: the value cannot have a higher rank than the target.
func.func @broadcast_like_higher_rank(%a: tensor<1x2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.broadcast_like' op cannot broadcast f32[1, 2, 3] to f32[2, 3]}}
  %0 = kiln.broadcast_like %a, %b : (tensor<1x2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// broadcast_like: the result has the type of `like`.
func.func @broadcast_like_result_type(%a: tensor<3xf32>, %b: tensor<?x3xf32>) {
  // expected-error @+1 {{'kiln.broadcast_like' op failed to verify that all of {like, result} have same type}}
  %0 = kiln.broadcast_like %a, %b : (tensor<3xf32>, tensor<?x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// relu_grad: x and dy must have the same type (generic form, since the
// custom form prints a single type).
func.func @relu_grad_types(%x: tensor<2x3xf32>, %dy: tensor<3xf32>) {
  // expected-error @+1 {{'kiln.relu_grad' op failed to verify that all of {x, dy, result} have same type}}
  %0 = "kiln.relu_grad"(%x, %dy) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Random initializers produce statically shaped tensors only.
func.func @random_dynamic(%seed: i64) {
  // expected-error @+1 {{'kiln.random_uniform' op result #0 must be statically shaped tensor of 32-bit float values, but got 'tensor<?x3xf32>'}}
  %0 = kiln.random_uniform %seed {low = 0.0 : f32, high = 1.0 : f32, stream = 0 : i64} : tensor<?x3xf32>
  return
}

// -----

// softmax: the axis must exist.
func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for a tensor of rank 2}}
  %0 = kiln.softmax %x {axis = 2} : tensor<2x3xf32>
  return
}

// -----

// Dense labels need as many classes as the logits.
func.func @sce_dense_classes(%l: tensor<?x3xf32>, %y: tensor<?x4xf32>) {
  // expected-error @+2 {{logits f32[?, 3] and labels f32[?, 4] have different numbers of classes}}
  // expected-error @+1 {{'kiln.softmax_cross_entropy' op failed to infer returned types}}
  %0 = kiln.softmax_cross_entropy %l, %y : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<?xf32>
  return
}

// -----

// transpose: perm must be a permutation of all dimensions.
func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{perm [0, 0] is not a permutation of the dimensions of f32[2, 3]}}
  // expected-error @+1 {{'kiln.transpose' op failed to infer returned types}}
  %0 = kiln.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

// concat: dimensions other than the axis must agree.
func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<2x2xf32>) {
  // expected-error @+2 {{concat operands f32[2, 3] and f32[2, 2] differ in dimension 1}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %0 = kiln.concat %a, %b {axis = 0} : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<4x3xf32>
  return
}

// -----

// concat along the dynamic batch would need run-time offsets.
func.func @concat_dynamic_axis(%a: tensor<?x3xf32>) {
  // expected-error @+2 {{concat axis 0 of f32[?, 3] must have a static size}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %0 = kiln.concat %a, %a {axis = 0} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return
}

// -----

// slice: begin + size must stay inside the dimension.
func.func @slice_range(%x: tensor<?x4xf32>) {
  // expected-error @+2 {{slice [3, 5) is out of range for dimension 1 of f32[?, 4]}}
  // expected-error @+1 {{'kiln.slice' op failed to infer returned types}}
  %0 = kiln.slice %x {begin = array<i64: 0, 3>, size = array<i64: -1, 2>} : (tensor<?x4xf32>) -> tensor<?x2xf32>
  return
}

// -----

// slice: the dynamic batch can only be taken whole.
func.func @slice_batch(%x: tensor<?x4xf32>) {
  // expected-error @+2 {{slice can only take the dynamic dimension 0 of f32[?, 4] whole (begin 0, size -1)}}
  // expected-error @+1 {{'kiln.slice' op failed to infer returned types}}
  %0 = kiln.slice %x {begin = array<i64: 1, 0>, size = array<i64: -1, 4>} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

// slice_grad: dy must be the slice of x at begin.
func.func @slice_grad_shape(%dy: tensor<?x3xf32>, %x: tensor<?x4xf32>) {
  // expected-error @+1 {{slice [2, 5) is out of range for dimension 1 of f32[?, 4]}}
  %0 = kiln.slice_grad %dy, %x {begin = array<i64: 0, 2>} : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

// one_hot: depth must be positive.
func.func @one_hot_depth(%y: tensor<?xi32>) {
  // expected-error @+2 {{one_hot depth must be positive, got 0}}
  // expected-error @+1 {{'kiln.one_hot' op failed to infer returned types}}
  %0 = kiln.one_hot %y {depth = 0} : (tensor<?xi32>) -> tensor<?x0xf32>
  return
}

// -----

// conv2d: the filter's input channels must match the input's channels.
func.func @conv_channels(%x: tensor<?x5x5x2xf32>, %f: tensor<3x3x3x4xf32>) {
  // expected-error @+2 {{conv2d input f32[?, 5, 5, 2] has 2 channels but the filter f32[3, 3, 3, 4] expects 3}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x5x5x2xf32>, tensor<3x3x3x4xf32>) -> tensor<?x5x5x4xf32>
  return
}

// -----

// conv2d: padding is "SAME" or "VALID" (upper case in the IR).
func.func @conv_padding(%x: tensor<?x5x5x2xf32>, %f: tensor<3x3x2x4xf32>) {
  // expected-error @+2 {{padding must be "SAME" or "VALID", got "FULL"}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = "FULL"} : (tensor<?x5x5x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x5x5x4xf32>
  return
}

// -----

// conv2d: a dilated 3x3 filter spans 5 rows, more than a VALID 4x4 input.
func.func @conv_dilated_too_large(%x: tensor<?x4x4x2xf32>, %f: tensor<3x3x2x4xf32>) {
  // expected-error @+2 {{conv2d filter 3x3 (dilated) is larger than the input 4x4 with VALID padding}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, padding = "VALID"} : (tensor<?x4x4x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x1x1x4xf32>
  return
}

// -----

// conv2d: strides are two positive integers.
func.func @conv_strides(%x: tensor<?x5x5x2xf32>, %f: tensor<3x3x2x4xf32>) {
  // expected-error @+2 {{conv2d strides must be two positive integers [h, w], got [0, 1]}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %f {strides = array<i64: 0, 1>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x5x5x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x5x5x4xf32>
  return
}

// -----

// conv2d: only the batch may be dynamic.
func.func @conv_dynamic_height(%x: tensor<?x?x5x2xf32>, %f: tensor<3x3x2x4xf32>) {
  // expected-error @+2 {{conv2d expects an f32 input of shape [batch, height, width, channels] (only the batch dynamic), got f32[?, ?, 5, 2]}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x?x5x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x5x5x4xf32>
  return
}

// -----

// max_pool: a VALID window larger than the input leaves no output.
func.func @pool_too_large(%x: tensor<?x2x2x3xf32>) {
  // expected-error @+2 {{max_pool window 3x3 is larger than the input 2x2 with VALID padding}}
  // expected-error @+1 {{'kiln.max_pool' op failed to infer returned types}}
  %0 = kiln.max_pool %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = "VALID"} : (tensor<?x2x2x3xf32>) -> tensor<?x1x1x3xf32>
  return
}

// -----

// avg_pool: the window has two entries.
func.func @pool_window_rank(%x: tensor<?x4x4x3xf32>) {
  // expected-error @+2 {{avg_pool window must be two positive integers [h, w], got [2, 2, 2]}}
  // expected-error @+1 {{'kiln.avg_pool' op failed to infer returned types}}
  %0 = kiln.avg_pool %x {window = array<i64: 2, 2, 2>, strides = array<i64: 1, 1>, padding = "VALID"} : (tensor<?x4x4x3xf32>) -> tensor<?x3x3x3xf32>
  return
}

// -----

// conv2d_backprop_input: dy must have the forward conv's output shape.
func.func @conv_backprop_input_shape(%dy: tensor<?x4x4x4xf32>, %f: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{dy must be f32[?, 5, 5, 4], got f32[?, 4, 4, 4]}}
  %0 = kiln.conv2d_backprop_input %dy, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x4x4x4xf32>, tensor<3x3x2x4xf32>) -> tensor<?x5x5x2xf32>
  return
}

// -----

// max_pool_grad: dy must have the forward pool's output shape.
func.func @max_pool_grad_shape(%x: tensor<?x4x4x3xf32>, %dy: tensor<?x4x4x3xf32>) {
  // expected-error @+1 {{dy must be f32[?, 2, 2, 3], got f32[?, 4, 4, 3]}}
  %0 = kiln.max_pool_grad %x, %dy {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = "VALID"} : (tensor<?x4x4x3xf32>, tensor<?x4x4x3xf32>) -> tensor<?x4x4x3xf32>
  return
}
