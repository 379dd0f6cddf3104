// RUN: kiln-opt %s -split-input-file -allow-unregistered-dialect --kiln-plan-arena | FileCheck %s

// Five temporaries of one impl; the batch N is x's first dimension (the
// state's dynamic size is not a batch: its role has no shape). Sizes (bytes, N the batch): a 1024N, d 1024N,
// b 512N, c 256N, w 16 floats = 64. Placed largest first:
//   a at 0;
//   d at 0 too: a's last use comes before d is allocated, so d reuses a;
//   b at 1024N: it lives with a;
//   c at 1536N: it lives with b (1024N..1536N) and d (0..1024N);
//   w at 1024N: it lives only with a (0..1024N); b comes after w is dead.
// The workspace is the per-coefficient bound of every end: 1792N + 64 (c ends
// at 1792N, w at 1024N + 64); the module records the largest of its impls'.
// CHECK:       module attributes {kiln.workspace = array<i64: 1792, 64>}
// CHECK-LABEL: func.func @m_train_step_impl
// CHECK-SAME:      %{{[^:]*}}: memref<?xi8>, %[[X:[^:]*]]: memref<?x4xf32>, %[[WS:.*]]: memref<?xi8>)
// CHECK-SAME:      kiln.workspace = array<i64: 1792, 64>
// CHECK-NOT:     memref.alloc
// CHECK:         %[[N:.*]] = memref.dim %[[X]], %{{.*}} : memref<?x4xf32>
// CHECK-NEXT:    arith.constant 0 : index
// CHECK-NEXT:    memref.dim %[[X]]
// CHECK-NEXT:    %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %[[WS]][%[[OA]]][%{{.*}}] : memref<?xi8> to memref<?x256xf32>
// CHECK-NEXT:    %[[OW0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[OW1:.*]] = arith.constant 1024 : index
// CHECK-NEXT:    %[[OW2:.*]] = arith.muli %[[N]], %[[OW1]] : index
// CHECK-NEXT:    %[[OW:.*]] = arith.addi %[[OW2]], %[[OW0]] : index
// CHECK-NEXT:    %[[W:.*]] = memref.view %[[WS]][%[[OW]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         "use"(%[[A]], %[[W]])
// CHECK:         arith.constant 1024 : index
// CHECK-NEXT:    arith.muli %[[N]]
// CHECK-NEXT:    arith.addi
// CHECK-NEXT:    %[[B:.*]] = memref.view %[[WS]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x128xf32>
// CHECK:         "use"(%[[A]], %[[B]])
// CHECK:         arith.constant 1536 : index
// CHECK-NEXT:    arith.muli %[[N]]
// CHECK-NEXT:    arith.addi
// CHECK-NEXT:    %[[C:.*]] = memref.view %[[WS]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x64xf32>
// CHECK:         "use"(%[[B]], %[[C]])
// CHECK:         %[[OD:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[D:.*]] = memref.view %[[WS]][%[[OD]]][%{{.*}}] : memref<?xi8> to memref<?x256xf32>
// CHECK:         %[[S:.*]] = memref.subview %[[D]]
// CHECK:         "use"(%[[C]], %[[S]])
// CHECK-NOT:     memref.alloc
// CHECK:         return
func.func @m_train_step_impl(%state: memref<?xi8>, %x: memref<?x4xf32>)
    attributes {kiln.c_roles = [{name = "state", role = "state", shape = array<i64>},
                                {name = "x", role = "input", shape = array<i64: -9223372036854775808, 4>}]} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %a = memref.alloc(%n) : memref<?x256xf32>
  %w = memref.alloc() : memref<16xf32>
  "use"(%a, %w) : (memref<?x256xf32>, memref<16xf32>) -> ()
  %b = memref.alloc(%n) : memref<?x128xf32>
  "use"(%a, %b) : (memref<?x256xf32>, memref<?x128xf32>) -> ()
  %c = memref.alloc(%n) : memref<?x64xf32>
  "use"(%b, %c) : (memref<?x128xf32>, memref<?x64xf32>) -> ()
  %d = memref.alloc(%n) : memref<?x256xf32>
  // A view keeps d alive: d is live until the use of the subview.
  %s = memref.subview %d[0, 0] [%n, 8] [1, 1] : memref<?x256xf32> to memref<?x8xf32, strided<[256, 1]>>
  "use"(%c, %s) : (memref<?x64xf32>, memref<?x8xf32, strided<[256, 1]>>) -> ()
  return
}

// -----

// An alloc in a sequential loop lives one iteration, so every iteration
// uses the same slot. Left alone: an alloc carried to the next iteration
// (iter_args), one whose dynamic size is not the batch, and a function that
// is not an impl (no C wrapper can pass it a workspace).
// CHECK:       module attributes {kiln.workspace = array<i64: 0, 64>}
// CHECK-LABEL: func.func @m_evaluate_impl
// CHECK-SAME:      (%{{[^:]*}}: memref<?x4xf32>, %{{[^:]*}}: index, %[[WS:[^:]*]]: memref<?xi8>)
// CHECK:         scf.for
// CHECK-NOT:       memref.alloc
// CHECK:           memref.view %[[WS]][%{{.*}}][] : memref<?xi8> to memref<8xf32>
// CHECK:         scf.for {{.*}} iter_args
// CHECK-NEXT:      memref.alloc() : memref<2xf32>
// CHECK:         memref.alloc(%{{.*}}) : memref<?xf32>
func.func @m_evaluate_impl(%x: memref<?x4xf32>, %k: index)
    attributes {kiln.c_roles = [{name = "x", role = "input", shape = array<i64: -9223372036854775808, 4>}]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  scf.for %i = %c0 to %n step %c1 {
    %t = memref.alloc() : memref<8xf32>
    "use"(%t) : (memref<8xf32>) -> ()
  }
  %first = memref.alloc() : memref<2xf32>
  %last = scf.for %i = %c0 to %n step %c1 iter_args(%prev = %first) -> (memref<2xf32>) {
    %next = memref.alloc() : memref<2xf32>
    "use"(%prev, %next) : (memref<2xf32>, memref<2xf32>) -> ()
    scf.yield %next : memref<2xf32>
  }
  "use"(%last) : (memref<2xf32>) -> ()
  %k_sized = memref.alloc(%k) : memref<?xf32>
  "use"(%k_sized) : (memref<?xf32>) -> ()
  return
}
// CHECK-LABEL: func.func @helper
// CHECK:         memref.alloc() : memref<4xf32>
func.func @helper() {
  %t = memref.alloc() : memref<4xf32>
  "use"(%t) : (memref<4xf32>) -> ()
  return
}

// -----

// The batch seen through what bufferization leaves between the arguments
// and an alloc's size: a reshape of an input (the MLP flattens its images),
// a buffer carried through loops (register-tiled products), another
// temporary's dimension. Index buffers (pooling's argmax) take 8 bytes an
// element. All three are planned: a and c ([N, 784] f32, 3136N each) live
// together (a through the loops' result), so c goes at 3136N; b ([N, 10]
// index, 80N rounded to 128N) is allocated after a's last use, so it reuses
// a's bytes at 0. The workspace: 6272N.
// CHECK:       module attributes {kiln.workspace = array<i64: 6272, 0>}
// CHECK-LABEL: func.func @m_predict_impl
// CHECK-NOT:     memref.alloc
// CHECK:         %[[A:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<?x784xf32>
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[A]])
// CHECK:         arith.constant 3136 : index
// CHECK-NEXT:    arith.muli
// CHECK-NEXT:    arith.addi
// CHECK-NEXT:    memref.view %{{.*}} : memref<?xi8> to memref<?x784xf32>
// CHECK:         %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %{{.*}}[%[[ZERO]]][%{{.*}}] : memref<?xi8> to memref<?x10xindex>
// CHECK-NOT:     memref.alloc
// CHECK:         return
func.func @m_predict_impl(%x: memref<?x28x28x1xf32>)
    attributes {kiln.c_roles = [{name = "x", role = "input", shape = array<i64: -9223372036854775808, 28, 28, 1>}]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %flat = memref.collapse_shape %x [[0], [1, 2, 3]] : memref<?x28x28x1xf32> into memref<?x784xf32>
  %n = memref.dim %flat, %c0 : memref<?x784xf32>
  %a = memref.alloc(%n) : memref<?x784xf32>
  %carried = scf.for %i = %c0 to %n step %c1 iter_args(%buffer = %a) -> (memref<?x784xf32>) {
    %inner = scf.for %j = %c0 to %n step %c1 iter_args(%b2 = %buffer) -> (memref<?x784xf32>) {
      "use"(%b2) : (memref<?x784xf32>) -> ()
      scf.yield %b2 : memref<?x784xf32>
    }
    scf.yield %inner : memref<?x784xf32>
  }
  %n2 = memref.dim %carried, %c0 : memref<?x784xf32>
  %c = memref.alloc(%n2) : memref<?x784xf32>
  "use"(%carried, %c) : (memref<?x784xf32>, memref<?x784xf32>) -> ()
  %n3 = memref.dim %c, %c0 : memref<?x784xf32>
  %b = memref.alloc(%n3) : memref<?x10xindex>
  "use"(%c, %b) : (memref<?x784xf32>, memref<?x10xindex>) -> ()
  return
}

// -----

// A parallel loop of two static chunks (kiln-parallelize-loops): an alloc in
// its body gets one slot per chunk, and chunk i uses offset + i * slot. Sizes:
// c [N, 8] f32 is 32N, rounded to 64N a slot, 128N for both; s 16 bytes,
// 64 a slot, 128 for both; t [N, 16] f32 (64N) lives across the loop.
// Largest first: c at 0, t at 128N, s at 192N (it lives with both).
// CHECK:       module attributes {kiln.workspace = array<i64: 192, 128>}
// CHECK-LABEL: func.func @m_evaluate_impl
// CHECK-NOT:     memref.alloc
// CHECK:         %[[N:.*]] = memref.dim
// CHECK:         arith.constant 128 : index
// CHECK-NEXT:    arith.muli %[[N]]
// CHECK-NEXT:    %[[TO:.*]] = arith.addi
// CHECK-NEXT:    memref.view %{{.*}}[%[[TO]]][%{{.*}}] : memref<?xi8> to memref<?x16xf32>
// CHECK:         scf.forall (%[[I:.*]]) in (2)
// CHECK-NEXT:      %[[CO:.*]] = arith.constant 0 : index
// CHECK-NEXT:      arith.constant 0 : index
// CHECK-NEXT:      %[[C64:.*]] = arith.constant 64 : index
// CHECK-NEXT:      %[[CM:.*]] = arith.muli %[[N]], %[[C64]] : index
// CHECK-NEXT:      %[[CSLOT:.*]] = arith.addi %[[CM]], %{{.*}} : index
// CHECK-NEXT:      %[[CI:.*]] = arith.muli %[[I]], %[[CSLOT]] : index
// CHECK-NEXT:      %[[COFF:.*]] = arith.addi %[[CO]], %[[CI]] : index
// CHECK-NEXT:      %[[C:.*]] = memref.view %{{.*}}[%[[COFF]]][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
// CHECK-NEXT:      arith.constant 0 : index
// CHECK-NEXT:      arith.constant 192 : index
// CHECK-NEXT:      %[[SM:.*]] = arith.muli %[[N]]
// CHECK-NEXT:      %[[SO:.*]] = arith.addi %[[SM]]
// CHECK-NEXT:      %[[SSLOT:.*]] = arith.constant 64 : index
// CHECK-NEXT:      %[[SI:.*]] = arith.muli %[[I]], %[[SSLOT]] : index
// CHECK-NEXT:      %[[SOFF:.*]] = arith.addi %[[SO]], %[[SI]] : index
// CHECK-NEXT:      %[[S:.*]] = memref.view %{{.*}}[%[[SOFF]]][] : memref<?xi8> to memref<4xf32>
// CHECK-NEXT:      "use"(%{{.*}}, %[[C]], %[[S]])
// CHECK-NOT:     memref.alloc
// CHECK:         return
func.func @m_evaluate_impl(%x: memref<?x4xf32>)
    attributes {kiln.c_roles = [{name = "x", role = "input", shape = array<i64: -9223372036854775808, 4>}]} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %t = memref.alloc(%n) : memref<?x16xf32>
  scf.forall (%i) in (2) {
    %c = memref.alloc(%n) : memref<?x8xf32>
    %s = memref.alloc() : memref<4xf32>
    "use"(%t, %c, %s) : (memref<?x16xf32>, memref<?x8xf32>, memref<4xf32>) -> ()
  }
  return
}

// -----

// A chunk's share of the batch (kiln-parallelize-loops' rows of chunk i,
// min(ceildiv(N, 2), N - i * ceildiv(N, 2)), at least 0) sizes an alloc
// in the chunk: its slot holds ceildiv(N, 2) rows of [?, 32] f32, at most
// 64N + 128 bytes (half of 128 bytes a row per example, plus one row), and
// chunk i uses the bytes from i times that.
// CHECK:       module attributes {kiln.workspace = array<i64: 128, 256>}
// CHECK-LABEL: func.func @m_train_step_impl
// CHECK-NOT:     memref.alloc
// CHECK:         scf.forall (%[[I:.*]]) in (2)
// CHECK:           %[[C64:.*]] = arith.constant 64 : index
// CHECK-NEXT:      %[[M:.*]] = arith.muli %{{.*}}, %[[C64]] : index
// CHECK-NEXT:      %[[SLOT:.*]] = arith.addi %[[M]], %{{.*}} : index
// CHECK-NEXT:      %[[AT:.*]] = arith.muli %[[I]], %[[SLOT]] : index
// CHECK-NEXT:      %[[OFF:.*]] = arith.addi %{{.*}}, %[[AT]] : index
// CHECK-NEXT:      memref.view %{{.*}}[%[[OFF]]][%{{.*}}] : memref<?xi8> to memref<?x32xf32>
// CHECK-NOT:     memref.alloc
// CHECK:         return
func.func @m_train_step_impl(%x: memref<?x4xf32>)
    attributes {kiln.c_roles = [{name = "x", role = "input", shape = array<i64: -9223372036854775808, 4>}]} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  scf.forall (%i) in (2) {
    %share = affine.min affine_map<(d0)[s0] -> (-(d0 * (s0 ceildiv 2)) + s0, s0 ceildiv 2)>(%i)[%n]
    %rows = affine.max affine_map<(d0) -> (0, d0)>(%share)
    %c = memref.alloc(%rows) : memref<?x32xf32>
    "use"(%c) : (memref<?x32xf32>) -> ()
  }
  return
}

// -----

// A dynamic size that is neither the batch nor a chunk's share of it (here
// a loop bound unrelated to it) stays a heap allocation.
// CHECK-LABEL: func.func @m_predict_impl
// CHECK:         memref.alloc(%{{.*}}) : memref<?x32xf32>
func.func @m_predict_impl(%x: memref<?x4xf32>, %k: index)
    attributes {kiln.c_roles = [{name = "x", role = "input", shape = array<i64: -9223372036854775808, 4>}, {name = "k", role = "scalar", shape = array<i64>}]} {
  scf.forall (%i) in (2) {
    %share = affine.min affine_map<(d0)[s0] -> (-(d0 * (s0 ceildiv 2)) + s0, s0 ceildiv 2)>(%i)[%k]
    %c = memref.alloc(%share) : memref<?x32xf32>
    "use"(%c) : (memref<?x32xf32>) -> ()
  }
  return
}
