// RUN: kiln-opt %s -split-input-file --kiln-fuse-epilogues | FileCheck %s --check-prefix=MARK
// RUN: kiln-opt %s -split-input-file --kiln-fuse-epilogues "--kiln-vectorize-contractions=tile-m=6 tile-n=16" --kiln-hoist-register-tiles --canonicalize --cse | FileCheck %s --check-prefix=TILES
// RUN: kiln-opt %s -split-input-file --kiln-fuse-epilogues --kiln-parallelize-loops=threads=2 | FileCheck %s --check-prefix=CHUNKS
// RUN: kiln-opt %s -split-input-file --kiln-fuse-epilogues "--kiln-vectorize-convolutions=tile-m=6 tile-n=16" --canonicalize | FileCheck %s --check-prefix=CONV

// A dense layer's bias + relu, the only reader of its product.
// MARK-LABEL: func.func @dense_relu
// MARK: linalg.generic {{.*}}"reduction"
// MARK-NOT: kiln.epilogue
// MARK: linalg.generic {{.*}} attrs = {kiln.epilogue}
// Register tiles: each 6x16 tile of the product gets its bias and relu in
// registers, right after its K loop, and is written once, to the layer's
// output; no generic and no product tensor are left.
// TILES-LABEL: func.func @dense_relu
// TILES-NOT: linalg.generic
// TILES: %[[SUM:.*]] = scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<6x16xf32>)
// TILES: vector.contract
// TILES: %[[BIAS:.*]] = vector.transfer_read %{{.*}} {in_bounds = [true, true], permutation_map = {{.*}}} : tensor<16xf32>, vector<6x16xf32>
// TILES-NEXT: %[[PRE:.*]] = arith.addf %[[SUM]], %[[BIAS]] : vector<6x16xf32>
// TILES-NEXT: %[[ACT:.*]] = arith.maximumf %[[PRE]], %{{.*}} : vector<6x16xf32>
// TILES-NEXT: vector.transfer_write %[[ACT]]
// TILES-NOT: linalg.generic
// TILES: return
// Threads: each chunk of the product is followed by its chunk of the
// epilogue inside the same parallel loop (one parallel region, not two).
// CHUNKS-LABEL: func.func @dense_relu
// CHUNKS: scf.forall
// CHUNKS: linalg.generic {{.*}}"reduction"
// CHUNKS: linalg.generic {{.*}} attrs = {kiln.epilogue}
// CHUNKS: scf.forall.in_parallel
// CHUNKS-NOT: scf.forall
// CHUNKS: return
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#col = affine_map<(m, n) -> (n)>
func.func @dense_relu(%a: tensor<?x64xf32>, %b: tensor<64x32xf32>, %bias: tensor<32xf32>) -> tensor<?x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %d = tensor.dim %a, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%d) : tensor<?x32xf32>
  %c = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<?x32xf32>) {
  ^bb0(%o: f32):
    linalg.yield %zero : f32
  } -> tensor<?x32xf32>
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x64xf32>, tensor<64x32xf32>) outs(%c : tensor<?x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0, %bias : tensor<?x32xf32>, tensor<32xf32>) outs(%e : tensor<?x32xf32>) {
  ^bb0(%x: f32, %bb: f32, %o: f32):
    %s = arith.addf %x, %bb : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x32xf32>
  return %1 : tensor<?x32xf32>
}

// -----

// The product is returned too: it must be stored, so nothing is marked.
// MARK-LABEL: func.func @two_readers
// MARK-NOT: kiln.epilogue
// MARK: return
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @two_readers(%a: tensor<12x64xf32>, %b: tensor<64x32xf32>, %c: tensor<12x32xf32>) -> (tensor<12x32xf32>, tensor<12x32xf32>) {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x64xf32>, tensor<64x32xf32>) outs(%c : tensor<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<12x32xf32>) outs(%c : tensor<12x32xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.exp %x : f32
    linalg.yield %r : f32
  } -> tensor<12x32xf32>
  return %0, %1 : tensor<12x32xf32>, tensor<12x32xf32>
}

// -----

// A reduction of the product (row sums) is no epilogue: its output is not
// indexed by all of the product's loops.
// MARK-LABEL: func.func @row_sums
// MARK-NOT: kiln.epilogue
// MARK: return
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#row = affine_map<(m, n) -> (m)>
func.func @row_sums(%a: tensor<12x64xf32>, %b: tensor<64x32xf32>, %c: tensor<12x32xf32>, %r: tensor<12xf32>) -> tensor<12xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x64xf32>, tensor<64x32xf32>) outs(%c : tensor<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%0 : tensor<12x32xf32>) outs(%r : tensor<12xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<12xf32>
  return %1 : tensor<12xf32>
}

// -----

// A 10-class output layer (narrower than a register tile) takes the
// convolution kernel: its bias is added to each row's vector of sums before
// the one write of the logits.
// CONV-LABEL: func.func @logits
// CONV-NOT: linalg.generic
// CONV: vector.fma
// CONV: %[[BIAS:.*]] = vector.transfer_read %arg2
// CONV: arith.addf %{{.*}}, %[[BIAS]] : vector<16xf32>
// CONV: vector.transfer_write
// CONV-NOT: linalg.generic
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#col = affine_map<(m, n) -> (n)>
func.func @logits(%a: tensor<?x128xf32>, %b: tensor<128x10xf32>, %bias: tensor<10xf32>) -> tensor<?x10xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %d = tensor.dim %a, %c0 : tensor<?x128xf32>
  %e = tensor.empty(%d) : tensor<?x10xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<?x10xf32>) -> tensor<?x10xf32>
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x128xf32>, tensor<128x10xf32>) outs(%c : tensor<?x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  %1 = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0, %bias : tensor<?x10xf32>, tensor<10xf32>) outs(%e : tensor<?x10xf32>) {
  ^bb0(%x: f32, %bb: f32, %o: f32):
    %s = arith.addf %x, %bb : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  return %1 : tensor<?x10xf32>
}

// -----

// relu's mask on a pooling gradient (a sum over window offsets that no
// kernel tiles, from zeros) is folded into the sum: each term is masked as
// it is added, so the gradient is written once, masked, instead of written
// and then read back for the mask.
// MARK-LABEL: func.func @pool_gradient_relu_mask
// CONV-LABEL: func.func @pool_gradient_relu_mask
// MARK: %[[ZEROS:.*]] = linalg.fill
// MARK: %[[MASKED:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %arg1 : tensor<2xf32>, tensor<?x4xf32>) outs(%[[ZEROS]] : tensor<?x4xf32>)
// MARK: ^bb0(%{{.*}}: f32, %[[RELU:.*]]: f32, %[[OUT:.*]]: f32):
// MARK: %[[G:.*]] = tensor.extract %arg0
// MARK: %[[TERM:.*]] = arith.select %{{.*}}, %[[G]], %{{.*}} : f32
// MARK: %[[ON:.*]] = arith.cmpf ogt, %[[RELU]], %{{.*}} : f32
// MARK: %[[KEPT:.*]] = arith.select %[[ON]], %[[TERM]], %{{.*}} : f32
// MARK: %[[SUM:.*]] = arith.addf %[[OUT]], %[[KEPT]] : f32
// MARK-NEXT: linalg.yield %[[SUM]]
// MARK-NOT: linalg.generic
// MARK: return %[[MASKED]]
#window = affine_map<(n, c, w) -> (w)>
#nc3 = affine_map<(n, c, w) -> (n, c)>
#nc = affine_map<(n, c) -> (n, c)>
func.func @pool_gradient_relu_mask(%dy: tensor<?x8xf32>, %relu: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %d = tensor.dim %dy, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%d) : tensor<?x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %win = tensor.empty() : tensor<2xf32>
  %0 = linalg.generic {indexing_maps = [#window, #nc3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%win : tensor<2xf32>) outs(%z : tensor<?x4xf32>) {
  ^bb0(%unused: f32, %acc: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %w = linalg.index 2 : index
    %c2w = arith.muli %c, %c2 : index
    %col = arith.addi %c2w, %w : index
    %g = tensor.extract %dy[%n, %col] : tensor<?x8xf32>
    %first = arith.cmpi eq, %w, %c1 : index
    %t = arith.select %first, %g, %zero : f32
    %s = arith.addf %acc, %t : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %1 = linalg.generic {indexing_maps = [#nc, #nc, #nc], iterator_types = ["parallel", "parallel"]}
      ins(%relu, %0 : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%r: f32, %x: f32, %o: f32):
    %on = arith.cmpf ogt, %r, %zero : f32
    %m = arith.select %on, %x, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}

// -----

// The same mask on a matrix product stays a marked op of its own: the
// product's kernel runs it on its register tiles.
// MARK-LABEL: func.func @product_relu_mask
// MARK: linalg.generic {{.*}}"reduction"
// MARK: linalg.generic {{.*}} attrs = {kiln.epilogue}
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @product_relu_mask(%a: tensor<?x64xf32>, %b: tensor<64x32xf32>, %relu: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %d = tensor.dim %a, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%d) : tensor<?x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x64xf32>, tensor<64x32xf32>) outs(%c : tensor<?x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%relu, %0 : tensor<?x32xf32>, tensor<?x32xf32>) outs(%e : tensor<?x32xf32>) {
  ^bb0(%r: f32, %x: f32, %o: f32):
    %on = arith.cmpf ogt, %r, %zero : f32
    %m = arith.select %on, %x, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>
  return %1 : tensor<?x32xf32>
}
