// RUN: kiln-opt %s --kiln-gpu-parallel-reductions --canonicalize --split-input-file | FileCheck %s --implicit-check-not=atomic_rmw

// Long reductions run in parallel, in a fixed order: stage 1 gives each
// block a chunk of at most 256 threads x 8 elements, each thread striding
// over it by the block size, then folds the block's values in a tree in
// workgroup (shared) memory (halving the active threads between barriers);
// stage 2 folds the blocks' partials the same way in one block per output
// element. No thread loops over the whole tensor, and no atomics: the
// order of every fold is fixed, so results are the same every run.

// The L2 penalty of a 784x256 weight: 200704 elements, 98 chunks of 2048.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar2 = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @sum_of_squares
// CHECK-SAME: (%[[W:.*]]: memref<784x256xf32>, %[[OUT:.*]]: memref<f32>)
// CHECK: %[[PARTIALS:.*]] = gpu.alloc (%c98) : memref<?xf32>
// CHECK: gpu.launch blocks(%[[B:[^,]*]],{{[^)]*}}) in ({{[^=]*}}= %c98,{{[^)]*}})
// CHECK-SAME: threads(%[[T:[^,]*]],{{[^)]*}}) in ({{[^=]*}}= %c256,{{[^)]*}})
// CHECK-SAME: workgroup(%[[SH:[^ ]*]] : memref<256xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[FIRST:.*]] = arith.muli %{{.*}}, %c2048
// CHECK: %[[END:.*]] = arith.minui %{{.*}}, %c200704
// CHECK: %[[START:.*]] = arith.addi %[[FIRST]], %[[T]]
// CHECK: %[[ACC:.*]] = scf.for %{{.*}} = %[[START]] to %[[END]] step %c256 iter_args(%{{.*}} = %cst)
// CHECK: memref.load %[[W]]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: memref.store %[[ACC]], %[[SH]][%[[T]]]
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: arith.cmpi ult, %[[T]], %c128
// CHECK: arith.addf
// CHECK: gpu.barrier
// CHECK-COUNT-7: gpu.barrier
// CHECK: arith.cmpi eq, %[[T]], %c0
// CHECK: memref.store %{{.*}}, %[[PARTIALS]][%[[B]]]
// Stage 2: one block folds the 98 partials into the output.
// CHECK: gpu.launch blocks({{[^)]*}}) in ({{[^=]*}}= %c1,{{[^)]*}}) threads({{[^)]*}}) in ({{[^=]*}}= %c256,
// CHECK: scf.for %{{.*}} = %{{.*}} to %c98 step %c256
// CHECK: memref.load %[[PARTIALS]]
// CHECK-COUNT-8: gpu.barrier
// CHECK: memref.load %[[OUT]][]
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %[[OUT]][]
// CHECK: gpu.dealloc %[[PARTIALS]]
// CHECK-NOT: linalg.generic
func.func @sum_of_squares(%w: memref<784x256xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [#id2, #scalar2], iterator_types = ["reduction", "reduction"]}
      ins(%w : memref<784x256xf32>) outs(%out : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %sum = arith.addf %sq, %acc : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// 1280 elements fit one block of 256 threads (5 each): one kernel, which
// folds straight into the output; no partials.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar2 = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @one_block
// CHECK-NOT: gpu.alloc
// CHECK: gpu.launch blocks({{[^)]*}}) in ({{[^=]*}}= %c1,{{[^)]*}}) threads({{[^)]*}}) in ({{[^=]*}}= %c256,
// CHECK: scf.for %{{.*}} = %{{.*}} to %c1280 step %c256
// CHECK-COUNT-9: gpu.barrier
// CHECK: memref.store %{{.*}}, %{{.*}}[] : memref<f32>
// CHECK-NOT: gpu.launch
// CHECK-NOT: linalg.generic
func.func @one_block(%w: memref<128x10xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [#id2, #scalar2], iterator_types = ["reduction", "reduction"]}
      ins(%w : memref<128x10xf32>) outs(%out : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %sum = arith.addf %sq, %acc : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// A bias gradient: a sum over the batch (dynamic) per column. Ten output
// elements, each with its chunks of the batch; the partials of output o are
// blocks [o*G, (o+1)*G) of stage 1, folded by block o of stage 2.
#col = affine_map<(d0, d1) -> (d1, d0)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @bias_gradient
// CHECK-SAME: (%[[DY:.*]]: memref<?x10xf32>, %[[DB:.*]]: memref<10xf32>)
// CHECK: %[[N:.*]] = memref.dim %[[DY]], %c0
// CHECK: %[[G:.*]] = arith.minui %{{.*}}, %c2048
// CHECK: %[[BLOCKS:.*]] = arith.muli %[[G]], %c10
// CHECK: %[[PARTIALS:.*]] = gpu.alloc (%[[BLOCKS]])
// CHECK: gpu.launch blocks(%[[B:[^,]*]],
// CHECK: %[[O:.*]] = arith.divui %[[B]], %[[G]]
// CHECK: arith.cmpi ult, %[[O]], %c10
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c256
// CHECK: memref.load %[[DY]][%{{.*}}, %[[O]]]
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %[[PARTIALS]][%[[B]]]
// CHECK: gpu.launch blocks(%[[O2:[^,]*]],{{[^)]*}}) in ({{[^=]*}}= %c10,
// CHECK: %[[BASE:.*]] = arith.muli %[[O2]], %[[G]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[G]] step %c256
// CHECK: arith.addi %[[BASE]]
// CHECK: memref.load %[[PARTIALS]]
// CHECK: memref.load %[[DB]][%[[O2]]]
// CHECK: memref.store %{{.*}}, %[[DB]][%[[O2]]]
// CHECK: gpu.dealloc %[[PARTIALS]]
func.func @bias_gradient(%dy: memref<?x10xf32>, %db: memref<10xf32>) {
  linalg.generic {indexing_maps = [#col, #row], iterator_types = ["parallel", "reduction"]}
      ins(%dy : memref<?x10xf32>) outs(%db : memref<10xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sum = arith.addf %in, %acc : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// A max over a long dynamic row starts from max's neutral element, -inf,
// and folds with the body's own op.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @row_max
// CHECK-DAG: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: gpu.launch
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %[[NEG_INF]])
// CHECK: arith.maximumf
// CHECK: gpu.barrier
// CHECK: gpu.launch
// CHECK: arith.maximumf
func.func @row_max(%x: memref<?x?xf32>, %m: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %max = arith.maximumf %in, %acc : f32
    linalg.yield %max : f32
  }
  return
}

// -----

// Short static reductions (a softmax row of 10 classes) stay one loop per
// output element; so do bodies that use the output element otherwise.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @short_rows
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: gpu.launch
func.func @short_rows(%x: memref<?x10xf32>, %y: memref<?x300xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x10xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %e = math.exp %in : f32
    %sum = arith.addf %e, %acc : f32
    linalg.yield %sum : f32
  }
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y : memref<?x300xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %scaled = arith.mulf %in, %acc : f32
    %sum = arith.addf %scaled, %acc : f32
    linalg.yield %sum : f32
  }
  return
}
