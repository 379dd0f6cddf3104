// RUN: kiln-opt %s -split-input-file --kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -split-input-file --kiln-to-linalg | FileCheck %s --check-prefix=NOPAD

// Lowerings of the activations, softmax, shape ops, convolution and pooling.
// Nothing of the dialect is left, and no tensor.pad or insert_slice is
// created: the CPU pipeline lowers both to a memrefCopy runtime call.
// NOPAD-NOT: kiln.
// NOPAD-NOT: tensor.pad
// NOPAD-NOT: tensor.insert_slice

// gelu uses the polynomial erf (the CPU pipeline has no math.erf lowering).
// CHECK-LABEL: func.func @gelu
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-NOT: math.erf
// CHECK: math.copysign
// CHECK: linalg.yield
func.func @gelu(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.gelu %x : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// leaky_relu selects between x and alpha * x on x > 0.
// CHECK-LABEL: func.func @leaky_relu
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[A:.*]] = arith.constant 1.000000e-01 : f32
// CHECK: %[[S:.*]] = arith.mulf %[[X]], %[[A]] : f32
// CHECK: %[[P:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK: arith.select %[[P]], %[[X]], %[[S]] : f32
func.func @leaky_relu(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.leaky_relu %x {alpha = 0.1 : f32} : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// softmax along the dynamic batch: the max and the sum reduce d0 and are
// read back through size-1 broadcast maps.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[KEPT:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @softmax_axis0
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK: arith.maximumf
// CHECK: %[[MAXK:.*]] = tensor.expand_shape %[[MAX]] {{.*}} into tensor<1x3xf32>
// CHECK: %[[E:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[KEPT]], #[[ID]]]
// CHECK: math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[E]]
// CHECK: %[[SUMK:.*]] = tensor.expand_shape %[[SUM]]
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[KEPT]], #[[ID]]], {{.*}} ins(%[[E]], %[[SUMK]]
// CHECK: arith.divf
func.func @softmax_axis0(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.softmax %x {axis = 0} : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// reduce_max starts from -inf.
// CHECK-LABEL: func.func @reduce_max
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
func.func @reduce_max(%x: tensor<?x3xf32>) -> tensor<?xf32> {
  %0 = kiln.reduce_max %x {axes = array<i64: 1>} : (tensor<?x3xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// transpose is linalg.transpose; the result's dynamic size is the input's
// dimension 0.
// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<3x?xf32>
// CHECK: linalg.transpose ins(%[[X]] : tensor<?x3xf32>) outs(%[[E]] : tensor<3x?xf32>) permutation = [1, 0]
func.func @transpose(%x: tensor<?x3xf32>) -> tensor<3x?xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 0>} : (tensor<?x3xf32>) -> tensor<3x?xf32>
  return %0 : tensor<3x?xf32>
}

// -----

// slice reads x at the loop index plus begin, in a generic bounded by the
// result.
// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x2xf32>)
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[J1:.*]] = arith.addi %[[J]], %[[C1]] : index
// CHECK: tensor.extract %[[X]][%{{.*}}, %[[J1]]] : tensor<?x4xf32>
func.func @slice(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %0 = kiln.slice %x {begin = array<i64: 0, 1>, size = array<i64: -1, 2>} : (tensor<?x4xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// concat: each input is read (guarded) where the position falls in its
// block along the axis, the later input's select wrapping the earlier.
// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x1xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x4xf32>)
// CHECK: %[[FROMA:.*]] = tensor.extract %[[A]]
// CHECK: %[[VA:.*]] = arith.select %{{.*}}, %[[FROMA]], %{{.*}} : f32
// CHECK: %[[FROMB:.*]] = tensor.extract %[[B]]
// CHECK: %[[VB:.*]] = arith.select %{{.*}}, %[[FROMB]], %[[VA]] : f32
// CHECK: linalg.yield %[[VB]]
func.func @concat(%a: tensor<?x3xf32>, %b: tensor<?x1xf32>) -> tensor<?x4xf32> {
  %0 = kiln.concat %a, %b {axis = 1} : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// one_hot compares the index with the class loop index.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @one_hot
// CHECK: linalg.generic {indexing_maps = [#[[ROW]], {{.*}}]
// CHECK: ^bb0(%[[Y:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[YI:.*]] = arith.index_cast %[[Y]] : i32 to index
// CHECK: %[[C:.*]] = linalg.index 1 : index
// CHECK: arith.cmpi eq, %[[YI]], %[[C]] : index
func.func @one_hot(%y: tensor<?xi32>) -> tensor<?x5xf32> {
  %0 = kiln.one_hot %y {depth = 5} : (tensor<?xi32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

// conv2d SAME, stride 2 on 5x5 with a 3x3 filter: 3x3 outputs, one row and
// column of zeros on each side (7x7, read with guards), then the named
// NHWC/HWCF convolution.
// CHECK-LABEL: func.func @conv_same
// CHECK-SAME: (%[[X:.*]]: tensor<?x5x5x2xf32>, %[[F:.*]]: tensor<3x3x2x4xf32>)
// CHECK: %[[PAD:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x7x7x2xf32>)
// CHECK: tensor.extract %[[X]]
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%[[PAD]], %[[F]] : tensor<?x7x7x2xf32>, tensor<3x3x2x4xf32>) outs(%{{.*}} : tensor<?x3x3x4xf32>)
func.func @conv_same(%x: tensor<?x5x5x2xf32>, %f: tensor<3x3x2x4xf32>) -> tensor<?x3x3x4xf32> {
  %0 = kiln.conv2d %x, %f {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x5x5x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x3x3x4xf32>
  return %0 : tensor<?x3x3x4xf32>
}

// -----

// conv2d VALID needs no padded copy.
// CHECK-LABEL: func.func @conv_valid
// CHECK-SAME: (%[[X:.*]]: tensor<?x5x5x2xf32>, %[[F:.*]]: tensor<3x3x2x4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%[[X]], %[[F]] : tensor<?x5x5x2xf32>, tensor<3x3x2x4xf32>) outs(%{{.*}} : tensor<?x1x1x4xf32>)
func.func @conv_valid(%x: tensor<?x5x5x2xf32>, %f: tensor<3x3x2x4xf32>) -> tensor<?x1x1x4xf32> {
  %0 = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, padding = "VALID"} : (tensor<?x5x5x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x1x1x4xf32>
  return %0 : tensor<?x1x1x4xf32>
}

// -----

// The filter gradient correlates the padded input with dy: the input map
// is oh * stride + kh.
// CHECK-DAG: #[[XMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5 * 2 + d0, d6 * 2 + d1, d2)>
// CHECK-DAG: #[[DYMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>
// CHECK-DAG: #[[FMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv_backprop_filter
// CHECK: linalg.generic {indexing_maps = [#[[XMAP]], #[[DYMAP]], #[[FMAP]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME: outs(%{{.*}} : tensor<3x3x2x4xf32>)
func.func @conv_backprop_filter(%x: tensor<?x5x5x2xf32>, %dy: tensor<?x3x3x4xf32>) -> tensor<3x3x2x4xf32> {
  %0 = kiln.conv2d_backprop_filter %x, %dy {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x5x5x2xf32>, tensor<?x3x3x4xf32>) -> tensor<3x3x2x4xf32>
  return %0 : tensor<3x3x2x4xf32>
}

// -----

// The input gradient gathers dy where (ih + pad - kh) is a multiple of the
// stride, reducing over (kh, kw, co).
// CHECK-LABEL: func.func @conv_backprop_input
// CHECK-SAME: (%[[DY:.*]]: tensor<?x3x3x4xf32>, %[[F:.*]]: tensor<3x3x2x4xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[F]] : tensor<3x3x2x4xf32>) outs(%{{.*}} : tensor<?x5x5x2xf32>)
// CHECK: arith.divsi
// CHECK: arith.remsi
// CHECK: tensor.extract %[[DY]]
// CHECK: arith.mulf
func.func @conv_backprop_input(%dy: tensor<?x3x3x4xf32>, %f: tensor<3x3x2x4xf32>) -> tensor<?x5x5x2xf32> {
  %0 = kiln.conv2d_backprop_input %dy, %f {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = "SAME"} : (tensor<?x3x3x4xf32>, tensor<3x3x2x4xf32>) -> tensor<?x5x5x2xf32>
  return %0 : tensor<?x5x5x2xf32>
}

// -----

// max_pool pads with -inf and uses the named pooling op; avg_pool sums and
// divides by the covered count.
// CHECK-LABEL: func.func @pools
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.pooling_nhwc_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
// CHECK: %[[SUM:.*]] = linalg.pooling_nhwc_sum
// CHECK: linalg.generic {{.*}} ins(%[[SUM]]
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: arith.divf
func.func @pools(%x: tensor<?x5x5x2xf32>) -> (tensor<?x3x3x2xf32>, tensor<?x3x3x2xf32>) {
  %0 = kiln.max_pool %x {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = "SAME"} : (tensor<?x5x5x2xf32>) -> tensor<?x3x3x2xf32>
  %1 = kiln.avg_pool %x {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = "SAME"} : (tensor<?x5x5x2xf32>) -> tensor<?x3x3x2xf32>
  return %0, %1 : tensor<?x3x3x2xf32>, tensor<?x3x3x2xf32>
}

// -----

// max_pool_grad: max pooling gives each window's maximum (the forward
// pass's own op, merged with it by CSE), one reduction finds the first flat
// offset holding it (one result), a second gathers dy to the winners.
// CHECK-LABEL: func.func @max_pool_grad
// CHECK: %[[MAX:.*]] = linalg.pooling_nhwc_max {{.*}} -> tensor<?x2x2x2xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}}, %[[MAX]] : {{.*}}) outs(%{{.*}} : tensor<?x2x2x2xindex>)
// CHECK-NOT: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpf uno
// CHECK: arith.cmpi slt
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x5x5x2xf32>)
// CHECK: tensor.extract %{{.*}} : tensor<?x2x2x2xindex>
func.func @max_pool_grad(%x: tensor<?x5x5x2xf32>, %dy: tensor<?x2x2x2xf32>) -> tensor<?x5x5x2xf32> {
  %0 = kiln.max_pool_grad %x, %dy {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = "VALID"} : (tensor<?x5x5x2xf32>, tensor<?x2x2x2xf32>) -> tensor<?x5x5x2xf32>
  return %0 : tensor<?x5x5x2xf32>
}

// -----

// Dense labels: in the same pass as the max and the sum of exponentials,
// the picked logit is the label-weighted sum, and a fourth result sums the
// labels, which scale the loss.
// CHECK-LABEL: func.func @sce_dense
// CHECK-SAME: (%[[LOGITS:.*]]: tensor<?x3xf32>, %[[LABELS:.*]]: tensor<?x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[LOGITS]], %[[LABELS]] : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK-NEXT: ^bb0(%[[L:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %[[ACC:.*]]: f32, %[[LACC:.*]]: f32):
// CHECK: %[[W:.*]] = arith.mulf %[[Y]], %[[L]] : f32
// CHECK-NEXT: %[[PICK:.*]] = arith.addf %[[ACC]], %[[W]] : f32
// CHECK-NEXT: %[[LSUM:.*]] = arith.addf %[[LACC]], %[[Y]] : f32
// CHECK-NEXT: linalg.yield %{{.*}}, %{{.*}}, %[[PICK]], %[[LSUM]]
// CHECK: math.log
// CHECK: arith.mulf
// CHECK: arith.subf
func.func @sce_dense(%l: tensor<?x3xf32>, %y: tensor<?x3xf32>) -> tensor<?xf32> {
  %0 = kiln.softmax_cross_entropy %l, %y : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
