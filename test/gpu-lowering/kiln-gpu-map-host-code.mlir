// RUN: kiln-opt %s --kiln-gpu-map-host-code | FileCheck %s

// After convert-linalg-to-parallel-loops: a store to a 0-d result left on
// the host runs in a one-thread kernel, and a 2-D parallel loop becomes one
// dimension (row-major) tiled for 256-thread blocks.
// CHECK-LABEL: func.func @host_work
// CHECK-SAME: (%[[A:.*]]: memref<f32>, %[[B:.*]]: memref<4x8xf32>)
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE:[^,]*]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]]) threads({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]])
// CHECK-NEXT: memref.store %{{.*}}, %[[A]][] : memref<f32>
// CHECK-NEXT: gpu.terminator
// The 4x8 loop: 32 iterations in one dimension, blocks of 256 threads,
// guarded, each thread's (i, j) recovered from its position.
// CHECK: %[[ROWS:.*]] = arith.muli %{{.*}}, %c4
// CHECK: %[[ALL:.*]] = arith.muli %[[ROWS]], %c8
// CHECK: %[[BLOCK:.*]] = arith.muli %{{.*}}, %c256
// CHECK: scf.parallel (%[[START:.*]]) = (%{{.*}}) to (%[[ALL]]) step (%[[BLOCK]])
// CHECK-NEXT: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[BLOCK]])
// CHECK: %[[POS:.*]] = arith.addi %[[T]], %[[START]]
// CHECK: arith.cmpi ult, %{{.*}}, %[[ALL]]
// CHECK: scf.if
// CHECK-NEXT: %[[J:.*]] = arith.remsi %[[POS]], %c8
// CHECK-NEXT: %[[I:.*]] = arith.divsi %[[POS]], %c8
// CHECK-NEXT: memref.store %{{.*}}, %[[B]][%[[I]], %[[J]]]
func.func @host_work(%a: memref<f32>, %b: memref<4x8xf32>) {
  %cst = arith.constant 1.0 : f32
  memref.store %cst, %a[] : memref<f32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    memref.store %cst, %b[%i, %j] : memref<4x8xf32>
  }
  return
}
