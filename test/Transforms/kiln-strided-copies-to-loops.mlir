// RUN: kiln-opt %s --kiln-strided-copies-to-loops --split-input-file | FileCheck %s

// A copy out of a strided view (a row block of a wider buffer) would lower
// to a memrefCopy call: it becomes a linalg.copy.
// CHECK-LABEL: func.func @strided_source
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<4x8xf32, strided<[16, 1]>>) outs(%{{.*}} : memref<4x8xf32>)
func.func @strided_source(%a: memref<4x8xf32, strided<[16, 1]>>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  return
}

// -----

// A dynamic strided target (a chunk written back into its slice).
// CHECK-LABEL: func.func @strided_target
// CHECK-NOT: memref.copy
// CHECK: linalg.copy
func.func @strided_target(%a: memref<?x8xf32>, %b: memref<?x8xf32, strided<[?, 1], offset: ?>>) {
  memref.copy %a, %b : memref<?x8xf32> to memref<?x8xf32, strided<[?, 1], offset: ?>>
  return
}

// -----

// Contiguous buffers stay memref.copy (a memcpy), also a static view with
// an offset that is still row-major contiguous.
// CHECK-LABEL: func.func @contiguous
// CHECK-NOT: linalg.copy
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<?x8xf32> to memref<?x8xf32>
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x8xf32, strided<[8, 1], offset: 32>> to memref<4x8xf32>
func.func @contiguous(%a: memref<?x8xf32>, %b: memref<?x8xf32>, %c: memref<4x8xf32, strided<[8, 1], offset: 32>>, %d: memref<4x8xf32>) {
  memref.copy %a, %b : memref<?x8xf32> to memref<?x8xf32>
  memref.copy %c, %d : memref<4x8xf32, strided<[8, 1], offset: 32>> to memref<4x8xf32>
  return
}
