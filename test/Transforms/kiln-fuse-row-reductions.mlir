// RUN: kiln-opt %s --kiln-fuse-row-reductions --canonicalize --cse | FileCheck %s

// Softmax cross-entropy: the row statistics (max, sum of exponentials, the
// label's logit) and the gradient, which reads the logits again with the
// first two. They become one loop over the rows: each iteration computes its
// row's statistics once, then the row's gradient, reading the row of logits
// for both. The loss, which reads all three statistics, runs after the
// loop on the statistics it yields.

#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#vec = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>

// CHECK-LABEL: func.func @softmax_xent
// CHECK-SAME: (%[[X:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>)
// CHECK: %[[LOOP:.*]]:4 = scf.for %[[I:.*]] = %c0 to %{{.*}} step %c1 iter_args(%[[G:.*]] = %{{.*}}, %[[MAX:.*]] = %{{.*}}, %[[SUM:.*]] = %{{.*}}, %[[PICK:.*]] = %{{.*}})
// CHECK: %[[XROW:.*]] = tensor.extract_slice %[[X]][%[[I]], 0] [1, 10] [1, 1]
// CHECK: %[[STATS:.*]]:3 = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[XROW]], %{{.*}} : tensor<1x10xf32>, tensor<1xi32>)
// CHECK-NOT: iterator_types = ["parallel", "reduction"]
// CHECK: %[[GROW:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[XROW]], %{{.*}}, %[[STATS]]#0, %[[STATS]]#1 : tensor<1x10xf32>, tensor<1xi32>, tensor<1xf32>, tensor<1xf32>)
// CHECK: tensor.insert_slice %[[GROW]] into %[[G]][%[[I]], 0] [1, 10]
// CHECK: tensor.insert_slice %[[STATS]]#0 into %[[MAX]][%[[I]]] [1]
// CHECK: tensor.insert_slice %[[STATS]]#1 into %[[SUM]][%[[I]]] [1]
// CHECK: tensor.insert_slice %[[STATS]]#2 into %[[PICK]][%[[I]]] [1]
// CHECK: scf.yield
// CHECK: %[[LOSS:.*]] = linalg.generic {{.*}}iterator_types = ["reduction"]{{.*}} ins(%[[LOOP]]#2, %[[LOOP]]#1, %[[LOOP]]#3 :
// CHECK: return %[[LOSS]], %[[LOOP]]#0
func.func @softmax_xent(%x: tensor<?x10xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<?x10xf32>) {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %nzero = arith.constant -0.0 : f32
  %one = arith.constant 1.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %p0 = linalg.fill ins(%nzero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %stats:3 = linalg.generic {indexing_maps = [#rows, #row, #row, #row, #row], iterator_types = ["parallel", "reduction"]} ins(%x, %y : tensor<?x10xf32>, tensor<?xi32>) outs(%m0, %s0, %p0 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  ^bb0(%v: f32, %label: i32, %m: f32, %s: f32, %p: f32):
    %m1 = arith.maximumf %m, %v : f32
    %d = arith.subf %m, %m1 : f32
    %r = math.exp %d : f32
    %sr = arith.mulf %s, %r : f32
    %dv = arith.subf %v, %m1 : f32
    %ev = math.exp %dv : f32
    %s1 = arith.addf %sr, %ev : f32
    %j = linalg.index 1 : index
    %l = arith.index_cast %label : i32 to index
    %hit = arith.cmpi eq, %j, %l : index
    %pv = arith.select %hit, %v, %zero : f32
    %p1 = arith.addf %p, %pv : f32
    linalg.yield %m1, %s1, %p1 : f32, f32, f32
  } -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>)
  %t = tensor.empty() : tensor<f32>
  %l0 = linalg.fill ins(%zero : f32) outs(%t : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#vec, #vec, #vec, #scalar], iterator_types = ["reduction"]} ins(%stats#1, %stats#0, %stats#2 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) outs(%l0 : tensor<f32>) {
  ^bb0(%s: f32, %m: f32, %p: f32, %acc: f32):
    %ls = math.log %s : f32
    %a = arith.addf %ls, %m : f32
    %b = arith.subf %a, %p : f32
    %c = arith.addf %b, %acc : f32
    linalg.yield %c : f32
  } -> tensor<f32>
  %ge = tensor.empty(%n) : tensor<?x10xf32>
  %grad = linalg.generic {indexing_maps = [#rows, #row, #row, #row, #rows], iterator_types = ["parallel", "parallel"]} ins(%x, %y, %stats#0, %stats#1 : tensor<?x10xf32>, tensor<?xi32>, tensor<?xf32>, tensor<?xf32>) outs(%ge : tensor<?x10xf32>) {
  ^bb0(%v: f32, %label: i32, %m: f32, %s: f32, %out: f32):
    %dv = arith.subf %v, %m : f32
    %ev = math.exp %dv : f32
    %q = arith.divf %ev, %s : f32
    %j = linalg.index 1 : index
    %l = arith.index_cast %label : i32 to index
    %hit = arith.cmpi eq, %j, %l : index
    %o = arith.select %hit, %one, %zero : f32
    %g = arith.subf %q, %o : f32
    linalg.yield %g : f32
  } -> tensor<?x10xf32>
  return %loss, %grad : tensor<f32>, tensor<?x10xf32>
}

// Row statistics that only the gradient reads are not yielded.
// CHECK-LABEL: func.func @statistics_read_once
// CHECK: %[[ONLY:.*]] = scf.for {{.*}} -> (tensor<?x10xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: return %[[ONLY]]
func.func @statistics_read_once(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %max = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x10xf32>) outs(%m0 : tensor<?xf32>) {
  ^bb0(%v: f32, %m: f32):
    %m1 = arith.maximumf %m, %v : f32
    linalg.yield %m1 : f32
  } -> tensor<?xf32>
  %ge = tensor.empty(%n) : tensor<?x10xf32>
  %shifted = linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]} ins(%x, %max : tensor<?x10xf32>, tensor<?xf32>) outs(%ge : tensor<?x10xf32>) {
  ^bb0(%v: f32, %m: f32, %out: f32):
    %d = arith.subf %v, %m : f32
    linalg.yield %d : f32
  } -> tensor<?x10xf32>
  return %shifted : tensor<?x10xf32>
}

// A row reduction of another matrix: nothing to share, left alone.
// CHECK-LABEL: func.func @other_rows
// CHECK-NOT: scf.for
// CHECK: return
func.func @other_rows(%x: tensor<?x10xf32>, %z: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %max = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%z : tensor<?x10xf32>) outs(%m0 : tensor<?xf32>) {
  ^bb0(%v: f32, %m: f32):
    %m1 = arith.maximumf %m, %v : f32
    linalg.yield %m1 : f32
  } -> tensor<?xf32>
  %ge = tensor.empty(%n) : tensor<?x10xf32>
  %shifted = linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]} ins(%x, %max : tensor<?x10xf32>, tensor<?xf32>) outs(%ge : tensor<?x10xf32>) {
  ^bb0(%v: f32, %m: f32, %out: f32):
    %d = arith.subf %v, %m : f32
    linalg.yield %d : f32
  } -> tensor<?x10xf32>
  return %shifted : tensor<?x10xf32>
}

// Two readers of the same statistics: the first runs row by row with them,
// the second reads the statistics that loop yields.
// CHECK-LABEL: func.func @two_readers
// CHECK: %[[LOOP:.*]]:2 = scf.for
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: scf.yield
// CHECK: %[[SECOND:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%arg0, %[[LOOP]]#1 :
// CHECK: return %[[LOOP]]#0, %[[SECOND]]
func.func @two_readers(%x: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %max = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x10xf32>) outs(%m0 : tensor<?xf32>) {
  ^bb0(%v: f32, %m: f32):
    %m1 = arith.maximumf %m, %v : f32
    linalg.yield %m1 : f32
  } -> tensor<?xf32>
  %ge = tensor.empty(%n) : tensor<?x10xf32>
  %shifted = linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]} ins(%x, %max : tensor<?x10xf32>, tensor<?xf32>) outs(%ge : tensor<?x10xf32>) {
  ^bb0(%v: f32, %m: f32, %out: f32):
    %d = arith.subf %v, %m : f32
    linalg.yield %d : f32
  } -> tensor<?x10xf32>
  %scaled = linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]} ins(%x, %max : tensor<?x10xf32>, tensor<?xf32>) outs(%ge : tensor<?x10xf32>) {
  ^bb0(%v: f32, %m: f32, %out: f32):
    %d = arith.divf %v, %m : f32
    linalg.yield %d : f32
  } -> tensor<?x10xf32>
  return %shifted, %scaled : tensor<?x10xf32>, tensor<?x10xf32>
}
