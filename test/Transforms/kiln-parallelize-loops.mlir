// RUN: kiln-opt %s -split-input-file --kiln-parallelize-loops=threads=2 | FileCheck %s
// RUN: kiln-opt %s -split-input-file --kiln-parallelize-loops=threads=1 | FileCheck %s --check-prefix=SERIAL

// One thread: nothing is split.
// SERIAL-NOT: scf.forall

// Forward matmul C[?, 256] = A[?, 784] B[784, 256]: the batch is dynamic
// (counted as 64), so the 256 columns are split: each chunk reads half of B
// and writes half of C, with the whole K reduction.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.forall (%[[T:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<?x256xf32>)
// CHECK:   %[[B:.*]] = tensor.extract_slice %{{.*}}[0, %{{.*}}] [784, 128] [1, 1] : tensor<784x256xf32> to tensor<784x128xf32>
// CHECK:   %[[C:.*]] = tensor.extract_slice %[[OUT]][0, %{{.*}}] [%{{.*}}, 128] [1, 1] : tensor<?x256xf32> to tensor<?x128xf32>
// CHECK:   %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[B]] : tensor<?x784xf32>, tensor<784x128xf32>) outs(%[[C]] : tensor<?x128xf32>)
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %[[R]] into %[[OUT]][0, %{{.*}}] [%{{.*}}, 128] [1, 1]
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

// A weight gradient into zeros: the fill is not split on its own; each
// chunk fills its slice and accumulates into it, so that the chunk's
// register tiles can start from the constant (kiln-vectorize-contractions),
// and the whole fill is gone.
// CHECK-LABEL: func.func @gradient_into_zeros
// CHECK-NOT: linalg.fill
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<784x256xf32>)
// CHECK:   %[[SLICE:.*]] = tensor.extract_slice %[[OUT]]
// CHECK:   %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[SLICE]] : tensor<392x256xf32>)
// CHECK:   linalg.generic {{.*}} outs(%[[ZEROS]] : tensor<392x256xf32>)
// CHECK:   scf.forall.in_parallel
// CHECK-NOT: scf.forall (
// CHECK: return
#km = affine_map<(m, n, k) -> (k, m)>
#kn2 = affine_map<(m, n, k) -> (k, n)>
#mn2 = affine_map<(m, n, k) -> (m, n)>
func.func @gradient_into_zeros(%x: tensor<?x784xf32>, %dy: tensor<?x256xf32>) -> tensor<784x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<784x256xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%e : tensor<784x256xf32>) -> tensor<784x256xf32>
  %0 = linalg.generic {indexing_maps = [#km, #kn2, #mn2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %dy : tensor<?x784xf32>, tensor<?x256xf32>) outs(%zeros : tensor<784x256xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<784x256xf32>
  return %0 : tensor<784x256xf32>
}

// -----

// An optimizer-style update of a 784x256 parameter: 392 rows per chunk.
// CHECK-LABEL: func.func @update
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}} : tensor<392x256xf32>) outs(%{{.*}} : tensor<392x256xf32>)
// CHECK:     arith.subf
#id = affine_map<(i, j) -> (i, j)>
func.func @update(%w: tensor<784x256xf32>, %g: tensor<784x256xf32>) -> tensor<784x256xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g : tensor<784x256xf32>) outs(%w : tensor<784x256xf32>) {
  ^bb0(%gi: f32, %wi: f32):
    %s = arith.subf %wi, %gi : f32
    linalg.yield %s : f32
  } -> tensor<784x256xf32>
  return %0 : tensor<784x256xf32>
}


// -----

// A bias gradient sums over the batch: the reduction is never split (that
// would change the order of the sum); the 2048 columns are.
// CHECK-LABEL: func.func @bias_gradient
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK:   linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<?x1024xf32>) outs(%{{.*}} : tensor<1024xf32>)
#rows = affine_map<(b, n) -> (b, n)>
#cols = affine_map<(b, n) -> (n)>
func.func @bias_gradient(%dy: tensor<?x2048xf32>, %acc: tensor<2048xf32>) -> tensor<2048xf32> {
  %0 = linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<?x2048xf32>) outs(%acc : tensor<2048xf32>) {
  ^bb0(%d: f32, %a: f32):
    %s = arith.addf %a, %d : f32
    linalg.yield %s : f32
  } -> tensor<2048xf32>
  return %0 : tensor<2048xf32>
}


// -----

// A reduction to a scalar has no parallel dimension: it stays whole.
// CHECK-LABEL: func.func @full_reduction
// CHECK-NOT: scf.forall
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]}
#all = affine_map<(i, j) -> (i, j)>
#none = affine_map<(i, j) -> ()>
func.func @full_reduction(%x: tensor<784x256xf32>, %acc: tensor<f32>) -> tensor<f32> {
  %0 = linalg.generic {indexing_maps = [#all, #none], iterator_types = ["reduction", "reduction"]}
      ins(%x : tensor<784x256xf32>) outs(%acc : tensor<f32>) {
  ^bb0(%v: f32, %a: f32):
    %s = arith.addf %a, %v : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %0 : tensor<f32>
}


// -----

// Below min-work (64 x 10 iterations): not worth a parallel region.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
#id2 = affine_map<(i, j) -> (i, j)>
func.func @small(%x: tensor<?x10xf32>, %y: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x10xf32>) outs(%y : tensor<?x10xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = math.exp %a : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Several results of an elementwise op (an optimizer updating a parameter
// and its moment): split like one result, each chunk writing its rows of
// both.
// CHECK-LABEL: func.func @two_results
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}})
// CHECK:   linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<392x256xf32>, tensor<392x256xf32>)
#id3 = affine_map<(i, j) -> (i, j)>
func.func @two_results(%x: tensor<784x256xf32>, %y: tensor<784x256xf32>, %z: tensor<784x256xf32>) -> (tensor<784x256xf32>, tensor<784x256xf32>) {
  %0:2 = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<784x256xf32>) outs(%y, %z : tensor<784x256xf32>, tensor<784x256xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %e = math.exp %a : f32
    linalg.yield %e, %a : f32, f32
  } -> (tensor<784x256xf32>, tensor<784x256xf32>)
  return %0#0, %0#1 : tensor<784x256xf32>, tensor<784x256xf32>
}

// -----

// An update in place (w = w - g, the input w is also the output): each chunk
// reads its slice of w from the loop's shared output, the slice it writes,
// so bufferization updates w in place instead of copying it around the loop.
// CHECK-LABEL: func.func @in_place_update
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%[[W:.*]] = %{{.*}})
// CHECK:   %[[READ:.*]] = tensor.extract_slice %[[W]][%{{.*}}, 0] [392, 256]
// CHECK:   %[[G:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, 0] [392, 256]
// CHECK:   %[[WRITE:.*]] = tensor.extract_slice %[[W]][%{{.*}}, 0] [392, 256]
// CHECK:   linalg.generic {{.*}} ins(%[[READ]], %[[G]] : {{.*}}) outs(%[[WRITE]] : {{.*}})
#idu = affine_map<(i, j) -> (i, j)>
func.func @in_place_update(%w: tensor<784x256xf32>, %g: tensor<784x256xf32>) -> tensor<784x256xf32> {
  %0 = linalg.generic {indexing_maps = [#idu, #idu, #idu], iterator_types = ["parallel", "parallel"]}
      ins(%w, %g : tensor<784x256xf32>, tensor<784x256xf32>) outs(%w : tensor<784x256xf32>) {
  ^bb0(%wi: f32, %gi: f32, %o: f32):
    %s = arith.subf %wi, %gi : f32
    linalg.yield %s : f32
  } -> tensor<784x256xf32>
  return %0 : tensor<784x256xf32>
}
