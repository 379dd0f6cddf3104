// RUN: kiln-opt %s -split-input-file --kiln-pad-guarded-gathers | FileCheck %s

// The input gradient of a 3x3 SAME stride-1 convolution as kiln-to-linalg
// lowers it: dx[n, ih, iw, ci] += dy[n, ih + 1 - kh, iw + 1 - kw, co] *
// w[kh, kw, ci, co] where that lies inside dy, else 0. oh = ih + 1 - kh
// ranges over -1..4 for dy's 0..3: 1 row of zeros before and 1 after, so
// dy is copied into a zero-filled ?x6x6x3 tensor at [0, 1, 1, 0] and read
// at (n, ih - kh + 2, iw - kw + 2, co); the body is a plain
// multiply-accumulate.
// CHECK-DAG: #[[DY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 - d4 + 2, d2 - d5 + 2, d6)>
// CHECK-LABEL: func.func @input_gradient
// CHECK: %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x6x6x3xf32>)
// CHECK: %[[SLOT:.*]] = tensor.extract_slice %[[ZEROS]][0, 1, 1, 0] [%{{.*}}, 4, 4, 3] [1, 1, 1, 1]
// CHECK: %[[COPY:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<?x4x4x3xf32>) outs(%[[SLOT]] : tensor<?x4x4x3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   linalg.yield %[[IN]] : f32
// CHECK: %[[PADDED:.*]] = tensor.insert_slice %[[COPY]] into %[[ZEROS]][0, 1, 1, 0]
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[DY]], #{{.*}}]
// CHECK-SAME: ins(%arg1, %[[PADDED]] : tensor<3x3x2x3xf32>, tensor<?x6x6x3xf32>)
// CHECK-NEXT: ^bb0(%[[W:.*]]: f32, %[[D:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:   %[[P:.*]] = arith.mulf %[[D]], %[[W]] : f32
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT:   linalg.yield %[[S]] : f32
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d3, d6)>
#dx = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
func.func @input_gradient(%dy: tensor<?x4x4x3xf32>, %w: tensor<3x3x2x3xf32>, %init: tensor<?x4x4x2xf32>) -> tensor<?x4x4x2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %0 = linalg.generic {indexing_maps = [#w, #dx], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w : tensor<3x3x2x3xf32>) outs(%init : tensor<?x4x4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %ih = linalg.index 1 : index
    %kh = linalg.index 4 : index
    %1 = arith.addi %ih, %c1 : index
    %oh = arith.subi %1, %kh : index
    %2 = arith.cmpi sge, %oh, %c0 : index
    %3 = arith.cmpi slt, %oh, %c4 : index
    %4 = arith.andi %2, %3 : i1
    %iw = linalg.index 2 : index
    %kw = linalg.index 5 : index
    %5 = arith.addi %iw, %c1 : index
    %ow = arith.subi %5, %kw : index
    %6 = arith.cmpi sge, %ow, %c0 : index
    %7 = arith.cmpi slt, %ow, %c4 : index
    %8 = arith.andi %6, %7 : i1
    %valid = arith.andi %4, %8 : i1
    %n = linalg.index 0 : index
    %co = linalg.index 6 : index
    %i0 = arith.select %valid, %n, %c0 : index
    %i1 = arith.select %valid, %oh, %c0 : index
    %i2 = arith.select %valid, %ow, %c0 : index
    %i3 = arith.select %valid, %co, %c0 : index
    %e = tensor.extract %dy[%i0, %i1, %i2, %i3] : tensor<?x4x4x3xf32>
    %d = arith.select %valid, %e, %zero : f32
    %p = arith.mulf %d, %in : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4x4x2xf32>
  return %0 : tensor<?x4x4x2xf32>
}

// -----

// Stride 2: the guard also checks that (ih + 1 - kh) is even, which a
// padded copy cannot express. Untouched.
// CHECK-LABEL: func.func @strided
// CHECK: tensor.extract
// CHECK-NOT: tensor.insert_slice
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d3, d6)>
#dx = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
func.func @strided(%dy: tensor<?x2x4x3xf32>, %w: tensor<3x1x2x3xf32>, %init: tensor<?x4x4x2xf32>) -> tensor<?x4x4x2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %0 = linalg.generic {indexing_maps = [#w, #dx], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w : tensor<3x1x2x3xf32>) outs(%init : tensor<?x4x4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %ih = linalg.index 1 : index
    %kh = linalg.index 4 : index
    %1 = arith.addi %ih, %c1 : index
    %shifted = arith.subi %1, %kh : index
    %oh = arith.divsi %shifted, %c2 : index
    %rem = arith.remsi %shifted, %c2 : index
    %exact = arith.cmpi eq, %rem, %c0 : index
    %2 = arith.cmpi sge, %shifted, %c0 : index
    %3 = arith.cmpi slt, %oh, %c2 : index
    %4 = arith.andi %2, %3 : i1
    %valid = arith.andi %exact, %4 : i1
    %n = linalg.index 0 : index
    %iw = linalg.index 2 : index
    %co = linalg.index 6 : index
    %i1 = arith.select %valid, %oh, %c0 : index
    %e = tensor.extract %dy[%n, %i1, %iw, %co] : tensor<?x2x4x3xf32>
    %d = arith.select %valid, %e, %zero : f32
    %p = arith.mulf %d, %in : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4x4x2xf32>
  return %0 : tensor<?x4x4x2xf32>
}

// -----

// A guard that checks more than the bounds (here only positions where
// dy is positive count) would zero elements a padded copy keeps. Untouched.
// CHECK-LABEL: func.func @other_guard
// CHECK: tensor.extract
// CHECK-NOT: tensor.insert_slice
#x = affine_map<(d0, d1) -> (d1)>
#y = affine_map<(d0, d1) -> (d0)>
func.func @other_guard(%dy: tensor<4xf32>, %w: tensor<3xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %0 = linalg.generic {indexing_maps = [#x, #y], iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<3xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %k = linalg.index 1 : index
    %1 = arith.addi %i, %c1 : index
    %j = arith.subi %1, %k : index
    %2 = arith.cmpi sge, %j, %c0 : index
    %3 = arith.cmpi slt, %j, %c4 : index
    %4 = arith.cmpi sgt, %i, %c1 : index
    %5 = arith.andi %2, %3 : i1
    %valid = arith.andi %5, %4 : i1
    %jj = arith.select %valid, %j, %c0 : index
    %e = tensor.extract %dy[%jj] : tensor<4xf32>
    %d = arith.select %valid, %e, %zero : f32
    %p = arith.mulf %d, %in : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
