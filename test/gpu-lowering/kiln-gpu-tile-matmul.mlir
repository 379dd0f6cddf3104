// RUN: kiln-opt %s --kiln-gpu-tile-matmul | FileCheck %s --implicit-check-not=atomic_rmw
// RUN: kiln-opt %s --kiln-gpu-tile-matmul --gpu-kernel-outlining | FileCheck %s --check-prefix=OUTLINED

// A matmul-like linalg.generic (C += A * B) becomes one gpu.launch of 16x16
// threads whose A and B tiles live in workgroup (shared) memory; each thread
// accumulates a 4x4 register tile with math.fma. Not the naive one thread
// per output. K is split over blockIdx.z when the C tiles are fewer than
// 264 blocks (each split at least 4 BK-slices). No atomics, so every run
// gives the same bits: unsplit, a block adds its sums to C; split, each
// block stores them in its plane of a scratch buffer (planes: 0 unless
// split), and a second kernel (no blocks unless split) adds the planes to C
// in plane order.

#mapA = affine_map<(d0, d1, d2) -> (d0, d2)>
#mapB = affine_map<(d0, d1, d2) -> (d2, d1)>
#mapC = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul
// CHECK: %[[KSTEPS:.*]] = arith.ceildivui %{{.*}}, %c16 : index
// CHECK: %[[TILES:.*]] = arith.muli
// CHECK: %[[WANT:.*]] = arith.ceildivui %c264, %[[TILES]]
// CHECK: %[[MOST:.*]] = arith.ceildivui %[[KSTEPS]], %c4
// CHECK: %[[SPLITS:.*]] = arith.maxui %c1, %{{.*}}
// CHECK: %[[CHUNK:.*]] = arith.ceildivui %[[KSTEPS]], %[[SPLITS]]
// CHECK: %[[GZ:.*]] = arith.maxui
// CHECK: %[[SPLIT:.*]] = arith.cmpi ugt, %[[GZ]], %c1
// CHECK: %[[PLANES:.*]] = arith.select %[[SPLIT]], %[[GZ]], %c0
// CHECK: %[[PARTIALS:.*]] = gpu.alloc (%[[PLANES]], %{{.*}}, %{{.*}}) : memref<?x?x?xf32>
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %[[GRIDZ:.*]] = %[[GZ]])
// CHECK-SAME: threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c16{{.*}}, %{{.*}} = %c16
// CHECK-SAME: workgroup(%[[AT:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>, %[[BT:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[BEGIN:.*]] = arith.muli %[[BZ]], %[[CHUNK]]
// CHECK: %[[END:.*]] = arith.minui %{{.*}}, %{{.*}}
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %[[END]]
// CHECK: memref.store %{{.*}}, %[[AT]]
// CHECK: memref.store %{{.*}}, %[[BT]]
// CHECK: gpu.barrier
// Small tiles: a thread's rows and columns are 16 apart, read one by one.
// CHECK: memref.load %[[AT]]
// CHECK: memref.load %[[BT]]
// CHECK-COUNT-16: math.fma
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK: %[[UNSPLIT:.*]] = arith.cmpi eq, %[[GRIDZ]], %c1
// CHECK: scf.if %[[UNSPLIT]] {
// CHECK-NEXT: %[[OLD:.*]] = memref.load %arg2[%[[R:.*]], %[[C:.*]]] : memref<?x256xf32>
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[OLD]]
// CHECK-NEXT: memref.store %[[NEW]], %arg2[%[[R]], %[[C]]]
// CHECK-NEXT: } else {
// CHECK-NEXT: memref.store %{{.*}}, %[[PARTIALS]][%[[BZ]], %[[R]], %[[C]]]
// CHECK: gpu.terminator
// CHECK: %[[ANY:.*]] = arith.cmpi ne, %[[PLANES]], %c0
// CHECK: %[[SUMBLOCKS:.*]] = arith.select %[[ANY]], %{{.*}}, %c0
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[SUMBLOCKS]],
// Planes are added in order, 8 loads issued before their 8 adds, then the
// remaining planes one by one.
// CHECK: %[[REM:.*]] = arith.remui %[[PLANES]], %c8
// CHECK: %[[GROUPED:.*]] = arith.subi %[[PLANES]], %[[REM]]
// CHECK: %[[START:.*]] = memref.load %arg2[%[[SR:.*]], %[[SC:.*]]]
// CHECK: %[[SUM8:.*]] = scf.for %[[G:.*]] = %{{.*}} to %[[GROUPED]] step %c8{{.*}} iter_args(%[[ACC8:.*]] = %[[START]])
// CHECK: %[[P0:.*]] = memref.load %[[PARTIALS]][%[[G]], %[[SR]], %[[SC]]]
// CHECK-COUNT-7: memref.load %[[PARTIALS]][%{{.*}}, %[[SR]], %[[SC]]]
// CHECK-NEXT: arith.addf %[[ACC8]], %[[P0]]
// CHECK-COUNT-7: arith.addf
// CHECK-NEXT: scf.yield
// CHECK: %[[SUM:.*]] = scf.for %[[Z:.*]] = %[[GROUPED]] to %[[PLANES]] step %c1{{.*}} iter_args(%[[ACC:.*]] = %[[SUM8]])
// CHECK: %[[P:.*]] = memref.load %[[PARTIALS]][%{{.*}}, %[[SR]], %[[SC]]]
// CHECK-NEXT: %[[NEXT:.*]] = arith.addf %[[ACC]], %[[P]]
// CHECK-NEXT: scf.yield %[[NEXT]]
// CHECK: memref.store %[[SUM]], %arg2[%[[SR]], %[[SC]]]
// CHECK: gpu.terminator
// CHECK-NEXT: } {kiln.split_k_sum}
// CHECK-NEXT: gpu.dealloc %[[PARTIALS]]
// CHECK-NOT: linalg.generic
func.func @matmul(%a: memref<?x784xf32>, %b: memref<784x256xf32>, %c: memref<?x256xf32>) {
  linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x784xf32>, memref<784x256xf32>) outs(%c : memref<?x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// The weight gradient (A transposed: A^T * B over the batch) is matched too;
// big static outputs get 128x128 tiles with 8x8 per thread.
// Large tiles: a thread's 8 rows (and 8 columns) are two runs of 4, 64
// apart, each read as one 16-byte vector; split-K partial sums are stored a
// run at a time, in planes whose rows are padded to whole vectors.
// CHECK-LABEL: func.func @weight_gradient
// CHECK: %[[VECS:.*]] = arith.ceildivui %dim{{.*}}, %c4
// CHECK-NEXT: %c4{{.*}} = arith.constant 4
// CHECK-NEXT: %[[PADDED:.*]] = arith.muli %[[VECS]], %c4
// CHECK: %[[PARTIALS:.*]] = gpu.alloc (%{{.*}}, %{{.*}}, %[[PADDED]]) : memref<?x?x?xf32>
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%{{.*}} : memref<8x128xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<8x128xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[R0:.*]] = arith.muli %[[TY:.*]], %c4
// CHECK-NEXT: %{{.*}} = arith.constant 0
// CHECK-NEXT: %[[ROW0:.*]] = arith.addi %[[R0]], %{{.*}}
// CHECK-NEXT: vector.load %{{.*}}[%{{.*}}, %[[ROW0]]] {alignment = 16 : i64} : memref<8x128xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: %[[R1:.*]] = arith.muli %[[TY]], %c4
// CHECK-NEXT: %{{.*}} = arith.constant 64
// CHECK-NEXT: %[[ROW1:.*]] = arith.addi %[[R1]], %{{.*}}
// CHECK-NEXT: vector.load %{{.*}}[%{{.*}}, %[[ROW1]]]
// CHECK-COUNT-64: math.fma
// CHECK: } else {
// CHECK-NEXT: %[[SUMS:.*]] = vector.from_elements %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK-NEXT: vector.store %[[SUMS]], %[[PARTIALS]][{{.*}}] {alignment = 16 : i64} : memref<?x?x?xf32>, vector<4xf32>

#mapAt = affine_map<(d0, d1, d2) -> (d2, d0)>
func.func @weight_gradient(%a: memref<?x2048xf32>, %b: memref<?x1024xf32>, %c: memref<2048x1024xf32>) {
  linalg.generic {indexing_maps = [#mapAt, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x2048xf32>, memref<?x1024xf32>) outs(%c : memref<2048x1024xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// Reductions are moved innermost (one thread per parallel iteration), and
// non-matmul generics are left to the parallel-loop path.
// CHECK-LABEL: func.func @column_sum
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
#mapIn = affine_map<(d0, d1) -> (d0, d1)>
#mapOut = affine_map<(d0, d1) -> (d1)>
func.func @column_sum(%x: memref<?x10xf32>, %y: memref<10xf32>) {
  linalg.generic {indexing_maps = [#mapIn, #mapOut], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x10xf32>) outs(%y : memref<10xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return
}

// OUTLINED: gpu.module @matmul_kernel
// OUTLINED: gpu.func @matmul_kernel
// OUTLINED-SAME: workgroup(%{{.*}} : memref<16x64xf32, #gpu.address_space<workgroup>>
// OUTLINED-SAME: kernel
