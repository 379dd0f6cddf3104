// RUN: kiln-opt %s -split-input-file "--kiln-vectorize-contractions=tile-m=6 tile-n=16" | FileCheck %s
// RUN: not kiln-opt %s -split-input-file "--kiln-vectorize-contractions=tile-m=6 tile-n=16 batch-tile-m=0" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: kiln-vectorize-contractions needs tile-m, tile-n >= 1 and 1 <= batch-tile-m <= tile-m (got 6, 16, 0)

// C[?, 256] += A[?, 784] * B[784, 256]: loops over 16-column and row
// tiles and K. B (784 x 256, 800 KB) would not stay in cache if the column
// loop re-read it for every row tile, and A (64 x 784 at a batch of 64) is
// smaller, so the column loop is outside. Each column tile's strip of B
// (784 rows of 16) is first copied into a contiguous 784x16 tensor, one
// vector per row, which the tiles read. The dynamic rows (the batch) are
// cut into 6-row tiles, then the rows left over into at most one 4-row tile
// (batch-tile-m) and single rows. Every tile has a static shape and becomes
// one vector.contract (an outer product per K step); no scalar remainder.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.for %[[J:[a-z0-9_]+]] = %c0 to %c256 step %c16
// CHECK:   %[[STRIP:.*]] = scf.for %[[R:[a-z0-9_]+]] = %c0 to %c784 step %c1 iter_args(%[[ACC:[a-z0-9_]+]] = %{{.*}}) -> (tensor<784x16xf32>)
// CHECK:     %[[ROW:.*]] = vector.transfer_read %arg1[%[[R]], %[[J]]]{{.*}} : tensor<784x256xf32>, vector<16xf32>
// CHECK:     vector.transfer_write %[[ROW]], %[[ACC]][%[[R]], %c0]{{.*}} : vector<16xf32>, tensor<784x16xf32>
// CHECK:   scf.for %{{.*}} = %c0 to %{{.*}} step %c6
// CHECK:     scf.for %[[K:[a-z0-9_]+]] = %c0 to %c784 step %c1
// CHECK:       tensor.extract_slice %[[STRIP]][%[[K]], 0] [1, 16] [1, 1] : tensor<784x16xf32> to tensor<1x16xf32>
// CHECK:       vector.transfer_read {{.*}} : tensor<6x1xf32>, vector<6x1xf32>
// CHECK:       vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK:       vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// CHECK-NOT: linalg.generic
// CHECK:   scf.for %{{.*}} step %c6
// CHECK:     scf.for %{{.*}} step %c4
// CHECK:         scf.for %{{.*}} = %c0 to %c784 step %c1
// CHECK:           vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK-NOT: linalg.generic
// CHECK:     scf.for %{{.*}} step %c4
// CHECK:       scf.for %{{.*}} step %c1
// CHECK:         scf.for %{{.*}} = %c0 to %c784 step %c1
// CHECK:           tensor.extract_slice %[[STRIP]]
// CHECK:           vector.contract {{.*}} : vector<1x1xf32>, vector<1x16xf32> into vector<1x16xf32>
// CHECK-NOT: linalg.generic
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @matmul(%a: tensor<?x784xf32>, %b: tensor<784x256xf32>, %c: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x784xf32>, tensor<784x256xf32>) outs(%c : tensor<?x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x256xf32>
  return %0 : tensor<?x256xf32>
}

// -----

// C[?, 32] += A[?, 784] * B[784, 32]: B (100 KB) stays in cache, so the row
// loop is outside and B is re-read from cache for every row tile; the
// rows of the batch left over after 6-row tiles are a 4-row tile and single
// rows.
// CHECK-LABEL: func.func @small_b
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c6
// CHECK:   scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK:     scf.for %{{.*}} = %c0 to %c784 step %c1
// CHECK:       vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK: vector.contract {{.*}} : vector<1x1xf32>, vector<1x16xf32> into vector<1x16xf32>
// CHECK-NOT: linalg.generic
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @small_b(%a: tensor<?x784xf32>, %b: tensor<784x32xf32>, %c: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x784xf32>, tensor<784x32xf32>) outs(%c : tensor<?x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// dW = X^T dY (A indexed (k, m)): X is transposed once with linalg.transpose
// and the product then takes the plain register-tiled path.
// CHECK-LABEL: func.func @transposed_a
// CHECK: %[[XT:.*]] = linalg.transpose ins(%{{.*}} : tensor<?x12xf32>) outs(%{{.*}} : tensor<12x?xf32>) permutation = [1, 0]
// CHECK: scf.for %{{.*}} = %c0 to %c12 step %c6
// CHECK:   scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK:     tensor.extract_slice %[[XT]]
// CHECK:     vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @transposed_a(%x: tensor<?x12xf32>, %dy: tensor<?x32xf32>, %c: tensor<12x32xf32>) -> tensor<12x32xf32> {
  %0 = linalg.generic {indexing_maps = [#km, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %dy : tensor<?x12xf32>, tensor<?x32xf32>) outs(%c : tensor<12x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x32xf32>
  return %0 : tensor<12x32xf32>
}

// -----

// Static edges: M = 784 is 130 tiles of 6 and 4 rows, N = 10 is narrower than
// a tile. The edge tiles are static too (4x10 and 6x10) and vectorized.
// CHECK-LABEL: func.func @static_edges
// CHECK: scf.for %{{.*}} = %c0 to %c780 step %c6
// CHECK:   scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK:     vector.contract {{.*}} : vector<6x1xf32>, vector<1x10xf32> into vector<6x10xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK:   vector.contract {{.*}} : vector<4x1xf32>, vector<1x10xf32> into vector<4x10xf32>
// CHECK-NOT: linalg.generic
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @static_edges(%a: tensor<784x64xf32>, %b: tensor<64x10xf32>, %c: tensor<784x10xf32>) -> tensor<784x10xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<784x64xf32>, tensor<64x10xf32>) outs(%c : tensor<784x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<784x10xf32>
  return %0 : tensor<784x10xf32>
}

// -----

// A product into zeros nothing else reads (a weight gradient): the output
// is not filled in memory; each register tile starts from the constant (a
// vector write that the tile's first read folds to once the C tile is
// hoisted out of the K loop).
// CHECK-LABEL: func.func @filled
// CHECK-NOT: linalg.generic
// CHECK: scf.for %{{.*}} = %c0 to %c12 step %c6
// CHECK:   scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK:     %[[ZERO:.*]] = vector.transfer_write %{{.*}}, %{{.*}} : vector<6x16xf32>, tensor<6x16xf32>
// CHECK:     scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args(%{{.*}} = %[[ZERO]])
// CHECK:       vector.contract
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @filled(%a: tensor<12x64xf32>, %b: tensor<64x32xf32>) -> tensor<12x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x32xf32>
  %c = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<12x32xf32>) {
  ^bb0(%o: f32):
    linalg.yield %zero : f32
  } -> tensor<12x32xf32>
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x64xf32>, tensor<64x32xf32>) outs(%c : tensor<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x32xf32>
  return %0 : tensor<12x32xf32>
}

// -----

// The same product when the zeros are read elsewhere too: the fill stays
// and the tiles read it.
// CHECK-LABEL: func.func @shared_fill
// CHECK: %[[ZEROS:.*]] = linalg.generic
// CHECK: scf.for %{{.*}} = %c0 to %c12 step %c6 iter_args(%{{.*}} = %[[ZEROS]])
// CHECK-NOT: vector<6x16xf32>, tensor<6x16xf32>
// CHECK:       vector.contract
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @shared_fill(%a: tensor<12x64xf32>, %b: tensor<64x32xf32>) -> (tensor<12x32xf32>, tensor<12x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x32xf32>
  %c = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<12x32xf32>) {
  ^bb0(%o: f32):
    linalg.yield %zero : f32
  } -> tensor<12x32xf32>
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x64xf32>, tensor<64x32xf32>) outs(%c : tensor<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x32xf32>
  return %0, %c : tensor<12x32xf32>, tensor<12x32xf32>
}

// -----

// Not a matrix product (a row sum): untouched.
// CHECK-LABEL: func.func @row_sum
// CHECK-NOT: scf.for
// CHECK: linalg.generic
#in = affine_map<(i, j) -> (i, j)>
#out = affine_map<(i, j) -> (i)>
func.func @row_sum(%x: tensor<?x16xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %0 = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x16xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
