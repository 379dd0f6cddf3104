// RUN: kiln-opt %s -split-input-file "--kiln-vectorize-contractions=tile-m=6 tile-n=16" --kiln-hoist-register-tiles --cse | FileCheck %s

// A register-tiled product: the C tile is read once before the K loop,
// carried through it as a vector and written once after it; inside, only
// A's column and B's row are read.
// CHECK-LABEL: func.func @product
// CHECK: scf.for %[[M:.*]] = %c0 to %c12 step %c6
// CHECK:   scf.for %[[N:.*]] = %c0 to %c32 step %c16
// CHECK:     %[[C:.*]] = tensor.extract_slice %{{.*}}[%[[M]], %[[N]]] [6, 16]
// CHECK:     %[[TILE:.*]] = vector.transfer_read %[[C]]{{.*}} : tensor<6x16xf32>, vector<6x16xf32>
// CHECK:     %[[LOOP:.*]]:2 = scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args({{.*}}, %[[ACC:.*]] = %[[TILE]]) -> ({{.*}}, vector<6x16xf32>)
// CHECK-NOT:   tensor<6x16xf32>, vector<6x16xf32>
// CHECK:       vector.contract {{.*}} %[[ACC]] : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// CHECK-NOT:   vector.transfer_write
// CHECK:       scf.yield
// CHECK:     vector.transfer_write %[[LOOP]]#1, %[[LOOP]]#0{{.*}} : vector<6x16xf32>, tensor<6x16xf32>
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @product(%a: tensor<12x64xf32>, %b: tensor<64x32xf32>, %c: tensor<12x32xf32>) -> tensor<12x32xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<12x64xf32>, tensor<64x32xf32>) outs(%c : tensor<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x32xf32>
  return %0 : tensor<12x32xf32>
}

// -----

// A loop without vector transfers is not a register tile's: its invariant
// slice stays inside (upstream loop-invariant-subset-hoisting would move it).
// CHECK-LABEL: func.func @scalar_loop
// CHECK-NEXT: arith.constant
// CHECK-NEXT: arith.constant
// CHECK-NEXT: scf.for {{.*}} -> (tensor<8xf32>)
// CHECK-NEXT: tensor.extract_slice
// CHECK-NEXT: tensor.insert_slice
// CHECK-NEXT: tensor.insert_slice
// CHECK-NEXT: scf.yield
func.func @scalar_loop(%t: tensor<8xf32>, %n: index) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %t) -> (tensor<8xf32>) {
    %s = tensor.extract_slice %a[0] [4] [1] : tensor<8xf32> to tensor<4xf32>
    %d = tensor.insert_slice %s into %a[4] [4] [1] : tensor<4xf32> into tensor<8xf32>
    %w = tensor.insert_slice %s into %d[0] [4] [1] : tensor<4xf32> into tensor<8xf32>
    scf.yield %w : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
