// RUN: kiln-opt %s -split-input-file --kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -split-input-file --kiln-to-linalg | FileCheck %s --check-prefix=NOKILN

// Every kiln op is lowered: nothing of the dialect is left.
// NOKILN-NOT: kiln.

// Broadcast add of a [3] bias to a [?, 3] batch: the bias map drops the
// batch dimension, the result size comes from tensor.dim of the dynamic
// operand.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x3xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[B]] : tensor<?x3xf32>, tensor<3xf32>) outs(%[[E]] : tensor<?x3xf32>)
// CHECK-NEXT: ^bb0(%[[L:.*]]: f32, %[[R:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[L]], %[[R]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
func.func @add_bias(%x: tensor<?x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.add %x, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Outer-product style broadcast [2, 1] x [1, 4]: size-1 dimensions that
// stretch are read at constant index 0; static result, no tensor.dim.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @mul_outer
// CHECK-NOT: tensor.dim
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[COL]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: outs(%[[E]] : tensor<2x4xf32>)
// CHECK: arith.mulf
func.func @mul_outer(%c: tensor<2x1xf32>, %r: tensor<1x4xf32>) -> tensor<2x4xf32> {
  %0 = kiln.mul %c, %r : (tensor<2x1xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A size-1 dimension against a dynamic one also stretches (constant 0), and
// the dynamic size is taken from the operand that has it.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @add_one_vs_dynamic
// CHECK-SAME: (%[[A:.*]]: tensor<?x1xf32>, %[[B:.*]]: tensor<1x3xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x1xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[COL]], #[[ROW]], #[[ID]]]
// CHECK: arith.addf
func.func @add_one_vs_dynamic(%a: tensor<?x1xf32>, %b: tensor<1x3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.add %a, %b : (tensor<?x1xf32>, tensor<1x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// A scalar (rank 0) operand has an empty map; sub keeps operand order.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @sub_scalar
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[SCALAR]], #[[ID]]]
// CHECK-NEXT: ^bb0(%[[L:.*]]: f32, %[[R:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.subf %[[L]], %[[R]] : f32
func.func @sub_scalar(%x: tensor<?x3xf32>, %s: tensor<f32>) -> tensor<?x3xf32> {
  %0 = kiln.sub %x, %s : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// div with the scalar first: the dynamic size comes from the second operand.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @div_scalar_first
// CHECK-SAME: (%[[S:.*]]: tensor<f32>, %[[X:.*]]: tensor<?x3xf32>)
// CHECK: tensor.dim %[[X]]
// CHECK: linalg.generic {indexing_maps = [#[[SCALAR]], #[[ID]], #[[ID]]]
// CHECK-SAME: ins(%[[S]], %[[X]] : tensor<f32>, tensor<?x3xf32>)
// CHECK-NEXT: ^bb0(%[[L:.*]]: f32, %[[R:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.divf %[[L]], %[[R]] : f32
func.func @div_scalar_first(%s: tensor<f32>, %x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.div %s, %x : (tensor<f32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// relu is max(x, 0); relu_grad selects dy where x > 0.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @relu
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>, %[[DY:.*]]: tensor<?x3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<?x3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[MAX:.*]] = arith.maximumf %[[IN]], %[[ZERO]] : f32
// CHECK-NEXT: linalg.yield %[[MAX]]
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[DY]] : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK-NEXT: ^bb0(%[[XI:.*]]: f32, %[[DYI:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[POS:.*]] = arith.cmpf ogt, %[[XI]], %[[Z]] : f32
// CHECK-NEXT: %[[Z2:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[SEL:.*]] = arith.select %[[POS]], %[[DYI]], %[[Z2]] : f32
// CHECK-NEXT: linalg.yield %[[SEL]]
func.func @relu(%x: tensor<?x3xf32>, %dy: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %0 = kiln.relu %x : tensor<?x3xf32>
  %1 = kiln.relu_grad %x, %dy : tensor<?x3xf32>
  return %0, %1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// matmul: a contraction over d2 (m, n parallel; k reduction) into a
// zero-filled accumulator whose batch size comes from A.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<4x3xf32>)
// CHECK: %[[M:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[M]]) : tensor<?x3xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<?x4xf32>, tensor<4x3xf32>) outs(%[[ACC]] : tensor<?x3xf32>)
// CHECK-NEXT: ^bb0(%[[AI:.*]]: f32, %[[BI:.*]]: f32, %[[CI:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[AI]], %[[BI]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[CI]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]]
func.func @matmul(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// transpose_a (the dW = X^T dY of training): A is read as (k, m); the batch is
// the reduced dimension, so the result is static.
// CHECK-DAG: #[[AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_transpose_a
// CHECK-NOT: tensor.dim
// CHECK: tensor.empty() : tensor<4x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[AT]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]}
func.func @matmul_transpose_a(%x: tensor<?x4xf32>, %g: tensor<?x3xf32>) -> tensor<4x3xf32> {
  %0 = kiln.matmul %x, %g {transpose_a = true} : (tensor<?x4xf32>, tensor<?x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// transpose_b: B is read as (n, k); n = 4 is B's first dimension.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_transpose_b
// CHECK: tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[BT]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]}
func.func @matmul_transpose_b(%g: tensor<?x3xf32>, %w: tensor<4x3xf32>) -> tensor<?x4xf32> {
  %0 = kiln.matmul %g, %w {transpose_b = true} : (tensor<?x3xf32>, tensor<4x3xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Both transposed: (k, m) and (n, k).
// CHECK-DAG: #[[AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_transpose_both
// CHECK: tensor.empty() : tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[AT]], #[[BT]], #[[C]]]
func.func @matmul_transpose_both(%a: tensor<4x2xf32>, %b: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %0 = kiln.matmul %a, %b {transpose_a = true, transpose_b = true} : (tensor<4x2xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// reshape: collapse to one dimension, then expand to the target.
// CHECK-LABEL: func.func @reshape_static
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK: %[[OUT:.*]] = tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
// CHECK: return %[[OUT]]
func.func @reshape_static(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = kiln.reshape %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// reshape with a dynamic batch: the dynamic target size is the flat size
// (tensor.dim) divided by the static part 2 * 2.
// CHECK-LABEL: func.func @reshape_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<?x4xf32> into tensor<?xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[TOTAL:.*]] = tensor.dim %[[FLAT]], %[[C0]] : tensor<?xf32>
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[N:.*]] = arith.divui %[[TOTAL]], %[[C4]] : index
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1, 2]] output_shape [%[[N]], 2, 2] : tensor<?xf32> into tensor<?x2x2xf32>
func.func @reshape_dynamic(%x: tensor<?x4xf32>) -> tensor<?x2x2xf32> {
  %0 = kiln.reshape %x : (tensor<?x4xf32>) -> tensor<?x2x2xf32>
  return %0 : tensor<?x2x2xf32>
}

// -----

// reshape between a scalar and all-ones shapes: no reassociation groups.
// CHECK-LABEL: func.func @reshape_scalar
// CHECK-SAME: (%[[S:.*]]: tensor<f32>, %[[O:.*]]: tensor<1xf32>)
// CHECK: tensor.expand_shape %[[S]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: tensor.collapse_shape %[[O]] [] : tensor<1xf32> into tensor<f32>
func.func @reshape_scalar(%s: tensor<f32>, %o: tensor<1xf32>) -> (tensor<1x1xf32>, tensor<f32>) {
  %0 = kiln.reshape %s : (tensor<f32>) -> tensor<1x1xf32>
  %1 = kiln.reshape %o : (tensor<1xf32>) -> tensor<f32>
  return %0, %1 : tensor<1x1xf32>, tensor<f32>
}

// -----

// reduce_sum over the batch with keepdims: a reduction generic whose output
// map drops d0, into a zero-filled [3], then expanded to [1, 3].
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @reduce_sum_batch
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<3xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]] : tensor<?x3xf32>) outs(%[[ACC]] : tensor<3xf32>)
// CHECK: arith.addf
// CHECK: tensor.expand_shape %[[SUM]] {{\[}}[0, 1]] output_shape [1, 3] : tensor<3xf32> into tensor<1x3xf32>
func.func @reduce_sum_batch(%x: tensor<?x3xf32>) -> tensor<1x3xf32> {
  %0 = kiln.reduce_sum %x {axes = array<i64: 0>, keepdims = true} : (tensor<?x3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

// reduce_mean over the last axis (-1): the sum keeps the dynamic batch
// (tensor.dim for the accumulator), then each sum is divided by the reduced
// size, read with tensor.dim of axis 1 and converted to f32.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @reduce_mean_last
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3xf32>
// CHECK: tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]]], iterator_types = ["parallel", "reduction"]}
// CHECK: %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[AXIS:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[K:.*]] = tensor.dim %[[X]], %[[AXIS]] : tensor<?x3xf32>
// CHECK-NEXT: %[[COUNT:.*]] = arith.muli %[[ONE]], %[[K]] : index
// CHECK-NEXT: %[[CI:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK: %[[CF:.*]] = arith.sitofp %[[CI]] : i64 to f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[SUM]] : tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.divf %[[IN]], %[[CF]] : f32
func.func @reduce_mean_last(%x: tensor<?x3xf32>) -> tensor<?xf32> {
  %0 = kiln.reduce_mean %x {axes = array<i64: -1>} : (tensor<?x3xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// reduce_mean over everything: a rank-0 accumulator, every axis reduced.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @reduce_mean_all
// CHECK: tensor.empty() : tensor<f32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[SCALAR]]], iterator_types = ["reduction"]}
// CHECK: arith.divf
func.func @reduce_mean_all(%x: tensor<?xf32>) -> tensor<f32> {
  %0 = kiln.reduce_mean %x : (tensor<?xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// broadcast_like: a copy generic with the broadcast map, sized like `like`.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[STRETCH:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @broadcast_like
// CHECK-SAME: (%[[V:.*]]: tensor<1x3xf32>, %[[LIKE:.*]]: tensor<?x3xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[LIKE]], %{{.*}} : tensor<?x3xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[STRETCH]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[V]] : tensor<1x3xf32>) outs(%[[E]] : tensor<?x3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
func.func @broadcast_like(%v: tensor<1x3xf32>, %like: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.broadcast_like %v, %like : (tensor<1x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// element_count: product of tensor.dim over the axes, as an f32 scalar tensor.
// CHECK-LABEL: func.func @element_count
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
// CHECK: %[[ONE:.*]] = arith.constant 1 : index
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x3xf32>
// CHECK: %[[P:.*]] = arith.muli %[[ONE]], %[[N]] : index
// CHECK: %[[I:.*]] = arith.index_cast %[[P]] : index to i64
// CHECK: %[[F:.*]] = arith.sitofp %[[I]] : i64 to f32
// CHECK: %[[T:.*]] = tensor.from_elements %[[F]] : tensor<f32>
// CHECK: return %[[T]]
func.func @element_count(%x: tensor<?x3xf32>) -> tensor<f32> {
  %0 = kiln.element_count %x {axes = array<i64: 0>} : (tensor<?x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// constant becomes arith.constant with the same value.
// CHECK-LABEL: func.func @constant
// CHECK: %[[C:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK: return %[[C]]
func.func @constant() -> tensor<3xf32> {
  %0 = kiln.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// softmax_cross_entropy: one pass over the logits computes the row max
// (from -inf), the sum of exp(l - max) rescaled by exp(max - new max)
// whenever the max grows (online softmax), and the label's logit (picked by
// comparing linalg.index 1 with the label); then log(sum) + max - picked.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[VEC:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @softmax_cross_entropy
// CHECK-SAME: (%[[L:.*]]: tensor<?x3xf32>, %[[Y:.*]]: tensor<?xi32>)
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAXINIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: %[[STATS:.*]]:3 = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]], #[[COL]], #[[COL]]], iterator_types = ["parallel", "reduction"]} ins(%[[L]], %[[Y]] : tensor<?x3xf32>, tensor<?xi32>) outs(%[[MAXINIT]], %{{.*}}, %{{.*}} : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[LI:.*]]: f32, %[[YI:.*]]: i32, %[[MAXACC:.*]]: f32, %[[SUMACC:.*]]: f32, %[[PICKACC:.*]]: f32):
// CHECK-NEXT: %[[NEWMAX:.*]] = arith.maximumf %[[MAXACC]], %[[LI]] : f32
// CHECK-NEXT: %[[DROP:.*]] = arith.subf %[[MAXACC]], %[[NEWMAX]] : f32
// CHECK-NEXT: %[[SCALE:.*]] = math.exp %[[DROP]] : f32
// CHECK-NEXT: %[[RESCALED:.*]] = arith.mulf %[[SUMACC]], %[[SCALE]] : f32
// CHECK-NEXT: %[[SH:.*]] = arith.subf %[[LI]], %[[NEWMAX]] : f32
// CHECK-NEXT: %[[EX:.*]] = math.exp %[[SH]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[RESCALED]], %[[EX]] : f32
// CHECK-NEXT: %[[CLS:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[LBL:.*]] = arith.index_cast %[[YI]] : i32 to index
// CHECK-NEXT: %[[EQ:.*]] = arith.cmpi eq, %[[CLS]], %[[LBL]] : index
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[SEL:.*]] = arith.select %[[EQ]], %[[LI]], %[[Z]] : f32
// CHECK-NEXT: %[[PICK:.*]] = arith.addf %[[PICKACC]], %[[SEL]] : f32
// CHECK-NEXT: linalg.yield %[[NEWMAX]], %[[SUM]], %[[PICK]] : f32, f32, f32
// CHECK: linalg.generic {indexing_maps = [#[[VEC]], #[[VEC]], #[[VEC]], #[[VEC]]], iterator_types = ["parallel"]} ins(%[[STATS]]#1, %[[STATS]]#0, %[[STATS]]#2 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %[[M:.*]]: f32, %[[P:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[LOG:.*]] = math.log %[[S]] : f32
// CHECK-NEXT: %[[LSE:.*]] = arith.addf %[[LOG]], %[[M]] : f32
// CHECK-NEXT: %[[LOSS:.*]] = arith.subf %[[LSE]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[LOSS]]
func.func @softmax_cross_entropy(%l: tensor<?x3xf32>, %y: tensor<?xi32>) -> tensor<?xf32> {
  %0 = kiln.softmax_cross_entropy %l, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// softmax_cross_entropy_grad: (exp(l - max) / sumexp - one_hot) * dloss[n] in
// one parallel generic over [N, C]; labels, max, sumexp and dloss by row.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax_cross_entropy_grad
// CHECK-SAME: (%[[L:.*]]: tensor<?x3xf32>, %[[Y:.*]]: tensor<?xi32>, %[[D:.*]]: tensor<?xf32>)
// The row statistics are the forward loss's op (CSE computes them once).
// CHECK: %[[STATS:.*]]:3 = linalg.generic {{.*}}["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[L]], %[[Y]], %[[STATS]]#0, %[[STATS]]#1, %[[D]] : tensor<?x3xf32>, tensor<?xi32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[LI:.*]]: f32, %[[YI:.*]]: i32, %[[MI:.*]]: f32, %[[SI:.*]]: f32, %[[DI:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[SH:.*]] = arith.subf %[[LI]], %[[MI]] : f32
// CHECK-NEXT: %[[EX:.*]] = math.exp %[[SH]] : f32
// CHECK-NEXT: %[[PROB:.*]] = arith.divf %[[EX]], %[[SI]] : f32
// CHECK-NEXT: %[[CLS:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[LBL:.*]] = arith.index_cast %[[YI]] : i32 to index
// CHECK-NEXT: %[[EQ:.*]] = arith.cmpi eq, %[[CLS]], %[[LBL]] : index
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[HOT:.*]] = arith.select %[[EQ]], %[[ONE]], %[[ZERO]] : f32
// CHECK-NEXT: %[[DIFF:.*]] = arith.subf %[[PROB]], %[[HOT]] : f32
// CHECK-NEXT: %[[G:.*]] = arith.mulf %[[DIFF]], %[[DI]] : f32
// CHECK-NEXT: linalg.yield %[[G]]
func.func @softmax_cross_entropy_grad(%l: tensor<?x3xf32>, %y: tensor<?xi32>, %d: tensor<?xf32>) -> tensor<?x3xf32> {
  %0 = kiln.softmax_cross_entropy_grad %l, %y, %d : (tensor<?x3xf32>, tensor<?xi32>, tensor<?xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// random_uniform: an output-only parallel generic; element (i, j) hashes the
// row-major index i * 3 + j with SplitMix64: seed * 0x9E3779B97F4A7C15, plus
// stream (3) * 0xD1B54A32D192ED03 (mod 2^64), plus the index, then the
// finalizer (>> 30, * 0xBF58476D1CE4E5B9, >> 27, * 0x94D049BB133111EB, >> 31);
// the top 24 bits times 2^-24 are scaled to [low, high) = [-0.5, 1.5).
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @random_uniform
// CHECK-SAME: (%[[SEED:.*]]: i64)
// CHECK: linalg.generic {indexing_maps = [#[[ID]]], iterator_types = ["parallel", "parallel"]} outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: %[[I0:.*]] = linalg.index 0 : index
// CHECK: %[[I1:.*]] = linalg.index 1 : index
// CHECK: %[[I1C:.*]] = arith.index_cast %[[I1]] : index to i64
// CHECK: %[[IDX:.*]] = arith.addi %{{.*}}, %[[I1C]] : i64
// CHECK: %[[GOLD:.*]] = arith.constant -7046029254386353131 : i64
// CHECK: %[[X0:.*]] = arith.muli %[[SEED]], %[[GOLD]] : i64
// CHECK: %[[STREAM:.*]] = arith.constant 8439708973090260745 : i64
// CHECK: %[[X1:.*]] = arith.addi %[[X0]], %[[STREAM]] : i64
// CHECK: %[[X2:.*]] = arith.addi %[[X1]], %[[IDX]] : i64
// CHECK: arith.constant 30 : i64
// CHECK: arith.constant -4658895280553007687 : i64
// CHECK: arith.constant 27 : i64
// CHECK: arith.constant -7723592293110705685 : i64
// CHECK: arith.constant 31 : i64
// CHECK: %[[C40:.*]] = arith.constant 40 : i64
// CHECK: %[[TOP:.*]] = arith.shrui %{{.*}}, %[[C40]] : i64
// CHECK-NEXT: %[[F:.*]] = arith.uitofp %[[TOP]] : i64 to f32
// CHECK-NEXT: %[[SCALE:.*]] = arith.constant 5.96046448E-8 : f32
// CHECK-NEXT: %[[U:.*]] = arith.mulf %[[F]], %[[SCALE]] : f32
// CHECK-NEXT: %[[RANGE:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[U]], %[[RANGE]] : f32
// CHECK-NEXT: %[[LOW:.*]] = arith.constant -5.000000e-01 : f32
// CHECK-NEXT: %[[V:.*]] = arith.addf %[[R]], %[[LOW]] : f32
// CHECK-NEXT: linalg.yield %[[V]] : f32
func.func @random_uniform(%seed: i64) -> tensor<2x3xf32> {
  %0 = kiln.random_uniform %seed {low = -0.5 : f32, high = 1.5 : f32, stream = 3 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// random_normal: Box-Muller on counters 2i and 2i + 1 of stream 1
// (1 * 0xD1B54A32D192ED03); the first uniform is shifted to (0, 1] (+1 before
// scaling) so the log is finite; z = sqrt(-2 log u1) cos(2 pi u2), then
// z * stddev + mean.
// CHECK-LABEL: func.func @random_normal
// CHECK-SAME: (%[[SEED:.*]]: i64)
// CHECK: %[[C2:.*]] = arith.constant 2 : i64
// CHECK: %[[EVEN:.*]] = arith.muli %{{.*}}, %[[C2]] : i64
// CHECK: %[[C1:.*]] = arith.constant 1 : i64
// CHECK: %[[ODD:.*]] = arith.addi %[[EVEN]], %[[C1]] : i64
// CHECK: arith.constant -3335678366873096957 : i64
// CHECK: arith.addi %{{.*}}, %[[EVEN]] : i64
// CHECK: %[[SH1:.*]] = arith.constant 40 : i64
// CHECK-NEXT: %[[TOP1:.*]] = arith.shrui %{{.*}}, %[[SH1]] : i64
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[NZ:.*]] = arith.addi %[[TOP1]], %[[ONE]] : i64
// CHECK-NEXT: %[[F1:.*]] = arith.uitofp %[[NZ]] : i64 to f32
// CHECK-NEXT: arith.constant 5.96046448E-8 : f32
// CHECK-NEXT: %[[U1:.*]] = arith.mulf %[[F1]]
// CHECK: arith.constant -3335678366873096957 : i64
// CHECK: arith.addi %{{.*}}, %[[ODD]] : i64
// CHECK: %[[SH2:.*]] = arith.constant 40 : i64
// CHECK-NEXT: %[[TOP2:.*]] = arith.shrui %{{.*}}, %[[SH2]] : i64
// CHECK-NEXT: %[[F2:.*]] = arith.uitofp %[[TOP2]] : i64 to f32
// CHECK-NEXT: arith.constant 5.96046448E-8 : f32
// CHECK-NEXT: %[[U2:.*]] = arith.mulf %[[F2]]
// CHECK-NEXT: %[[M2:.*]] = arith.constant -2.000000e+00 : f32
// CHECK-NEXT: %[[LOG:.*]] = math.log %[[U1]] : f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[M2]], %[[LOG]] : f32
// CHECK-NEXT: %[[RAD:.*]] = math.sqrt %[[P]] : f32
// CHECK-NEXT: %[[TWOPI:.*]] = arith.constant 6.28318548 : f32
// CHECK-NEXT: %[[ANG:.*]] = arith.mulf %[[U2]], %[[TWOPI]] : f32
// CHECK-NEXT: %[[COS:.*]] = math.cos %[[ANG]] : f32
// CHECK-NEXT: %[[Z:.*]] = arith.mulf %[[RAD]], %[[COS]] : f32
// CHECK-NEXT: %[[SD:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[ZS:.*]] = arith.mulf %[[Z]], %[[SD]] : f32
// CHECK-NEXT: %[[MEAN:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[V:.*]] = arith.addf %[[ZS]], %[[MEAN]] : f32
// CHECK-NEXT: linalg.yield %[[V]] : f32
func.func @random_normal(%seed: i64) -> tensor<4xf32> {
  %0 = kiln.random_normal %seed {mean = 1.0 : f32, stddev = 0.5 : f32, stream = 1 : i64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
