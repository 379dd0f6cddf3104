// RUN: kiln-opt %s -split-input-file "--kiln-vectorize-convolutions=tile-m=6 tile-n=16" --cse | FileCheck %s

// Forward convolution (linalg.conv_2d_nhwc_hwcf generalized), 14 output
// columns by 32 output channels: loops over n and oh, then ow in one full
// tile of 6 (at 0) and two tiles of 4 (at 6 and 10) rather than 6 + 6 + 2:
// a 2-row tile would load a vector of the filter for only two FMAs. co runs
// in tiles of 16; each tile keeps its 6 (or 4) vectors of 16 lanes across
// the kh, kw and ci loops, one broadcast image element and one FMA per row.
// CHECK-LABEL: func.func @forward
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[N:[a-z0-9_]+]] = %c0 to %{{.*}} step %c1{{(_[0-9]+)?}}
// CHECK:   scf.for %[[OH:[a-z0-9_]+]] = %c0 to %c14{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK:     scf.for %[[OW:[a-z0-9_]+]] = %c0 to %c6{{(_[0-9]+)?}} step %c6{{(_[0-9]+)?}}
// CHECK:       scf.for %[[CO:[a-z0-9_]+]] = %c0 to %c32{{(_[0-9]+)?}} step %c16{{(_[0-9]+)?}}
// CHECK-COUNT-6: vector.transfer_read %{{.*}}[%[[N]], %[[OH]], %{{.*}}, %[[CO]]]{{.*}} : tensor<?x14x14x32xf32>, vector<16xf32>
// CHECK:         scf.for %[[KH:[a-z0-9_]+]] = %c0 to %c5{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK:           scf.for %[[KW:[a-z0-9_]+]] = %c0 to %c5{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK:             scf.for %[[CI:[a-z0-9_]+]] = %c0 to %c8{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK:               vector.transfer_read %{{.*}}[%[[KH]], %[[KW]], %[[CI]], %[[CO]]]{{.*}} : tensor<5x5x8x32xf32>, vector<16xf32>
// CHECK:               tensor.extract %{{.*}}[%[[N]], %{{.*}}, %{{.*}}, %[[CI]]] : tensor<?x18x18x8xf32>
// CHECK:               vector.broadcast %{{.*}} : f32 to vector<16xf32>
// CHECK:               vector.fma
// CHECK-COUNT-5:       vector.fma {{.*}} : vector<16xf32>
// CHECK:               scf.yield {{.*}} : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
// CHECK-COUNT-6: vector.transfer_write {{.*}} : vector<16xf32>, tensor<?x14x14x32xf32>
// The 8 columns after the full tile: two 4-row tiles, at columns 6 and 10.
// CHECK:     scf.for %{{.*}} = %c0 to %c32{{(_[0-9]+)?}} step %c16{{(_[0-9]+)?}}
// CHECK:         vector.transfer_read %{{.*}}[%[[N]], %[[OH]], %c6{{(_[0-9]+)?}}, %{{.*}}]{{.*}} : tensor<?x14x14x32xf32>, vector<16xf32>
// CHECK-COUNT-3: vector.transfer_read {{.*}} : tensor<?x14x14x32xf32>, vector<16xf32>
// CHECK:         scf.for
// CHECK-COUNT-4: vector.fma
// CHECK:     scf.for %{{.*}} = %c0 to %c32{{(_[0-9]+)?}} step %c16{{(_[0-9]+)?}}
// CHECK:         vector.transfer_read %{{.*}}[%[[N]], %[[OH]], %c10{{(_[0-9]+)?}}, %{{.*}}]{{.*}} : tensor<?x14x14x32xf32>, vector<16xf32>
// CHECK-COUNT-3: vector.transfer_read {{.*}} : tensor<?x14x14x32xf32>, vector<16xf32>
// CHECK:         scf.for
// CHECK-COUNT-4: vector.fma
#image = affine_map<(n, oh, ow, co, kh, kw, ci) -> (n, oh + kh, ow + kw, ci)>
#filter = affine_map<(n, oh, ow, co, kh, kw, ci) -> (kh, kw, ci, co)>
#out = affine_map<(n, oh, ow, co, kh, kw, ci) -> (n, oh, ow, co)>
func.func @forward(%x: tensor<?x18x18x8xf32>, %w: tensor<5x5x8x32xf32>, %y: tensor<?x14x14x32xf32>) -> tensor<?x14x14x32xf32> {
  %0 = linalg.generic {indexing_maps = [#image, #filter, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x18x18x8xf32>, tensor<5x5x8x32xf32>) outs(%y : tensor<?x14x14x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x14x14x32xf32>
  return %0 : tensor<?x14x14x32xf32>
}

// -----

// A forward convolution into zeros (a layer's output): each tile is
// visited once, so its vectors start from the constant and the fill is
// gone.
// CHECK-LABEL: func.func @forward_from_zeros
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x14x14x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %[[E]])
// CHECK-NOT: vector.transfer_read {{.*}} : tensor<?x14x14x32xf32>, vector<16xf32>
// CHECK: vector.broadcast %{{.*}} : f32 to vector<16xf32>
// CHECK: vector.fma
#image0 = affine_map<(n, oh, ow, co, kh, kw, ci) -> (n, oh + kh, ow + kw, ci)>
#filter0 = affine_map<(n, oh, ow, co, kh, kw, ci) -> (kh, kw, ci, co)>
#out0 = affine_map<(n, oh, ow, co, kh, kw, ci) -> (n, oh, ow, co)>
#all = affine_map<(n, oh, ow, co) -> (n, oh, ow, co)>
func.func @forward_from_zeros(%x: tensor<?x18x18x8xf32>, %w: tensor<5x5x8x32xf32>) -> tensor<?x14x14x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x18x18x8xf32>
  %e = tensor.empty(%n) : tensor<?x14x14x32xf32>
  %zeros = linalg.generic {indexing_maps = [#all], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<?x14x14x32xf32>) {
  ^bb0(%o: f32):
    linalg.yield %zero : f32
  } -> tensor<?x14x14x32xf32>
  %0 = linalg.generic {indexing_maps = [#image0, #filter0, #out0], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x18x18x8xf32>, tensor<5x5x8x32xf32>) outs(%zeros : tensor<?x14x14x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x14x14x32xf32>
  return %0 : tensor<?x14x14x32xf32>
}

// -----

// A filter gradient into zeros: its batch loop runs outside the tiles, which
// accumulate once per image, so they keep reading the filled output.
// CHECK-LABEL: func.func @filter_gradient_from_zeros
// CHECK: %[[ZEROS:.*]] = linalg.generic
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %[[ZEROS]])
// CHECK: vector.transfer_read {{.*}} : tensor<3x3x8x16xf32>, vector<16xf32>
#x1 = affine_map<(kh, kw, ci, co, n, oh, ow) -> (n, oh + kh, ow + kw, ci)>
#dy1 = affine_map<(kh, kw, ci, co, n, oh, ow) -> (n, oh, ow, co)>
#dw1 = affine_map<(kh, kw, ci, co, n, oh, ow) -> (kh, kw, ci, co)>
#all1 = affine_map<(kh, kw, ci, co) -> (kh, kw, ci, co)>
func.func @filter_gradient_from_zeros(%x: tensor<?x9x9x8xf32>, %dy: tensor<?x7x7x16xf32>) -> tensor<3x3x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x3x8x16xf32>
  %zeros = linalg.generic {indexing_maps = [#all1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<3x3x8x16xf32>) {
  ^bb0(%o: f32):
    linalg.yield %zero : f32
  } -> tensor<3x3x8x16xf32>
  %0 = linalg.generic {indexing_maps = [#x1, #dy1, #dw1], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x9x9x8xf32>, tensor<?x7x7x16xf32>) outs(%zeros : tensor<3x3x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x3x8x16xf32>
  return %0 : tensor<3x3x8x16xf32>
}

// -----

// Filter gradient with stride 2: dw[kh, kw, ci, co] += x[n, 2 oh + kh,
// 2 ow + kw, ci] * dy[n, oh, ow, co]. The batch n (the image's leading
// index) is the outermost loop; the rows are ci (8, the longest output
// dimension the image uses and dy does not); the 10 channels make one
// masked tile of 16 lanes (two whole vectors: reads and writes without
// in_bounds touch only the 10 lanes inside) and 5 rows (one register is
// the mask's), then 3 rows at 5; oh and ow are the reduction inside.
// CHECK-LABEL: func.func @filter_gradient
// CHECK: scf.for %[[N:[a-z0-9_]+]] = %c0 to %{{.*}} step %c1{{(_[0-9]+)?}}
// CHECK:   scf.for %[[KH:[a-z0-9_]+]] = %c0 to %c3{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK:     scf.for %[[KW:[a-z0-9_]+]] = %c0 to %c3{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK:       scf.for %[[CI:[a-z0-9_]+]] = %c0 to %c5{{(_[0-9]+)?}} step %c5{{(_[0-9]+)?}}
// CHECK-NOT:     scf.for
// CHECK-COUNT-5: vector.transfer_read %{{.*}}[%[[KH]], %[[KW]], %{{.*}}, %c0], %{{[a-z0-9_]+}} : tensor<3x3x8x10xf32>, vector<16xf32>
// CHECK:         scf.for %[[OH:[a-z0-9_]+]] = %c0 to %c7{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK:           scf.for %[[OW:[a-z0-9_]+]] = %c0 to %c7{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK:             vector.transfer_read %{{.*}}[%[[N]], %[[OH]], %[[OW]], %c0], %{{[a-z0-9_]+}} : tensor<?x7x7x10xf32>, vector<16xf32>
// CHECK:             tensor.extract %{{.*}}[%[[N]], %{{.*}}, %{{.*}}, %{{.*}}] : tensor<?x16x16x8xf32>
// CHECK-COUNT-5:     vector.fma {{.*}} : vector<16xf32>
// CHECK-COUNT-5: vector.transfer_write %{{.*}}, %{{.*}}[%[[KH]], %[[KW]], %{{.*}}, %c0] : vector<16xf32>, tensor<3x3x8x10xf32>
// The 3 input channels left over, at 5.
// CHECK-COUNT-3: vector.transfer_read %{{.*}}[%[[KH]], %[[KW]], {{.*}}, %c0], %{{[a-z0-9_]+}} : tensor<3x3x8x10xf32>, vector<16xf32>
#x = affine_map<(kh, kw, ci, co, n, oh, ow) -> (n, oh * 2 + kh, ow * 2 + kw, ci)>
#dy = affine_map<(kh, kw, ci, co, n, oh, ow) -> (n, oh, ow, co)>
#dw = affine_map<(kh, kw, ci, co, n, oh, ow) -> (kh, kw, ci, co)>
func.func @filter_gradient(%x: tensor<?x16x16x8xf32>, %dy: tensor<?x7x7x10xf32>, %dw: tensor<3x3x8x10xf32>) -> tensor<3x3x8x10xf32> {
  %0 = linalg.generic {indexing_maps = [#x, #dy, #dw], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x16x16x8xf32>, tensor<?x7x7x10xf32>) outs(%dw : tensor<3x3x8x10xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x3x8x10xf32>
  return %0 : tensor<3x3x8x10xf32>
}

// -----

// A product too narrow for one register tile (a 10-class output layer,
// which kiln-vectorize-contractions would leave as scalar loops): rows are
// the dynamic batch, in tiles of 5 (the masked tile's height) up to the
// last multiple of 5, then 1-row tiles; the 10 lanes make one masked
// 16-lane tile; the reduction over k is inside.
// CHECK-LABEL: func.func @narrow_product
// CHECK: %[[FULL:.*]] = affine.apply #{{.*}}(%[[DIM:.*]])
// CHECK: scf.for %{{.*}} = %c0 to %[[FULL]] step %c5
// CHECK-COUNT-5: vector.transfer_read %{{.*}}, %{{[a-z0-9_]+}} : tensor<?x10xf32>, vector<16xf32>
// CHECK:   scf.for %[[K:[a-z0-9_]+]] = %c0 to %c1024{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK:     vector.transfer_read %{{.*}}[%[[K]], %c0], %{{[a-z0-9_]+}} : tensor<1024x10xf32>, vector<16xf32>
// CHECK-COUNT-5: vector.fma {{.*}} : vector<16xf32>
// CHECK: scf.for %{{.*}} = %[[FULL]] to %[[DIM]] step %c1
// CHECK:   vector.fma {{.*}} : vector<16xf32>
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @narrow_product(%a: tensor<?x1024xf32>, %b: tensor<1024x10xf32>, %c: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x1024xf32>, tensor<1024x10xf32>) outs(%c : tensor<?x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// A plain matrix product with whole 16-lane tiles (no sum of indices):
// left to kiln-vectorize-contractions.
// CHECK-LABEL: func.func @matmul
// CHECK: linalg.generic
// CHECK-NOT: vector.fma
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @matmul(%a: tensor<?x64xf32>, %b: tensor<64x32xf32>, %c: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x64xf32>, tensor<64x32xf32>) outs(%c : tensor<?x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// Max pooling's body is not a multiply-accumulate: untouched.
// CHECK-LABEL: func.func @max_pool
// CHECK: linalg.generic
// CHECK-NOT: vector.fma
#in = affine_map<(n, oh, ow, c, kh, kw) -> (n, oh * 2 + kh, ow * 2 + kw, c)>
#window = affine_map<(n, oh, ow, c, kh, kw) -> (kh, kw)>
#pooled = affine_map<(n, oh, ow, c, kh, kw) -> (n, oh, ow, c)>
func.func @max_pool(%x: tensor<?x8x8x4xf32>, %w: tensor<2x2xf32>, %y: tensor<?x4x4x4xf32>) -> tensor<?x4x4x4xf32> {
  %0 = linalg.generic {indexing_maps = [#in, #window, #pooled], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x8x8x4xf32>, tensor<2x2xf32>) outs(%y : tensor<?x4x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.maximumf %acc, %a : f32
    linalg.yield %m : f32
  } -> tensor<?x4x4x4xf32>
  return %0 : tensor<?x4x4x4xf32>
}
