// RUN: kiln-opt %s --kiln-gpu-im2col | FileCheck %s
// RUN: kiln-opt %s --kiln-gpu-im2col %{lower} | %{run} | sed -e 's/base@ = [0-9a-fx]*//' > %t.im2col
// RUN: kiln-opt %s %{lower} | %{run} | sed -e 's/base@ = [0-9a-fx]*//' > %t.direct
// RUN: FileCheck %s --check-prefix=OUT --input-file %t.im2col
// RUN: diff %t.direct %t.im2col

// kiln-gpu-im2col turns a convolution (stride 2), its filter gradient, its
// input gradient (a guarded gather of dy, as KilnToLinalg writes it), a bias
// sum and a matmul whose operand a fused producer computes into gathers and
// linalg.matmul. The results are checked against the untransformed ops, run
// on the CPU: the inputs are small integers, so both must agree exactly.

// CHECK-LABEL: func.func @conv
// CHECK-NOT: linalg.conv_2d
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<2x7x7x3xf32>) outs(%{{.*}} : tensor<2x3x3x3x3x3xf32>)
// CHECK: tensor.collapse_shape {{.*}} tensor<2x3x3x3x3x3xf32> into tensor<18x27xf32>
// CHECK: tensor.collapse_shape {{.*}} tensor<3x3x3x4xf32> into tensor<27x4xf32>
// CHECK: linalg.matmul ins({{.*}} : tensor<18x27xf32>, tensor<27x4xf32>) outs({{.*}} : tensor<18x4xf32>)
// CHECK: tensor.expand_shape {{.*}} tensor<18x4xf32> into tensor<2x3x3x4xf32>
func.func @conv(%x: tensor<2x7x7x3xf32>, %w: tensor<3x3x3x4xf32>) -> tensor<2x3x3x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x3x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x3x4xf32>) -> tensor<2x3x3x4xf32>
  %r = linalg.conv_2d_nhwc_hwcf {strides = dense<2> : vector<2xi64>, dilations = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<2x7x7x3xf32>, tensor<3x3x3x4xf32>) outs(%init : tensor<2x3x3x4xf32>) -> tensor<2x3x3x4xf32>
  return %r : tensor<2x3x3x4xf32>
}

// dw[kh, kw, ci, co] = sum over (n, oh, ow) of x[n, 2oh+kh, 2ow+kw, ci] * dy[n, oh, ow, co]
// CHECK-LABEL: func.func @filter_grad
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x7x7x3xf32>) outs(%{{.*}} : tensor<3x3x3x2x3x3xf32>)
// CHECK: linalg.matmul ins({{.*}} : tensor<27x18xf32>, tensor<18x4xf32>) outs({{.*}} : tensor<27x4xf32>)
#fgX = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5 * 2 + d0, d6 * 2 + d1, d2)>
#fgDy = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>
#out7 = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
func.func @filter_grad(%x: tensor<2x7x7x3xf32>, %dy: tensor<2x3x3x4xf32>) -> tensor<3x3x3x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x3x3x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<3x3x3x4xf32>) -> tensor<3x3x3x4xf32>
  %r = linalg.generic {indexing_maps = [#fgX, #fgDy, #out7],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<2x7x7x3xf32>, tensor<2x3x3x4xf32>) outs(%init : tensor<3x3x3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x3x3x4xf32>
  return %r : tensor<3x3x3x4xf32>
}

// dx[n, ih, iw, ci] = sum over (kh, kw, co) of dy[n, ih-kh, iw-kw, co]
// (0 outside dy) * w[kh, kw, ci, co]; the filter is transposed to
// [kh, kw, co, ci] for the matmul.
// CHECK-LABEL: func.func @input_grad
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x6x6x3x3x4xf32>)
// CHECK: tensor.extract
// CHECK: ins(%{{.*}} : tensor<3x3x3x4xf32>) outs(%{{.*}} : tensor<3x3x4x3xf32>)
// CHECK: linalg.matmul ins({{.*}} : tensor<72x36xf32>, tensor<36x3xf32>) outs({{.*}} : tensor<72x3xf32>)
#igW = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d3, d6)>
func.func @input_grad(%dy: tensor<2x4x4x4xf32>, %w: tensor<3x3x3x4xf32>) -> tensor<2x6x6x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x6x6x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x6x6x3xf32>) -> tensor<2x6x6x3xf32>
  %r = linalg.generic {indexing_maps = [#igW, #out7],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w : tensor<3x3x3x4xf32>) outs(%init : tensor<2x6x6x3xf32>) {
  ^bb0(%wv: f32, %acc: f32):
    %n = linalg.index 0 : index
    %ih = linalg.index 1 : index
    %iw = linalg.index 2 : index
    %kh = linalg.index 4 : index
    %kw = linalg.index 5 : index
    %co = linalg.index 6 : index
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %oh = arith.subi %ih, %kh : index
    %ow = arith.subi %iw, %kw : index
    %h0 = arith.cmpi sge, %oh, %c0 : index
    %h1 = arith.cmpi slt, %oh, %c4 : index
    %w0 = arith.cmpi sge, %ow, %c0 : index
    %w1 = arith.cmpi slt, %ow, %c4 : index
    %vh = arith.andi %h0, %h1 : i1
    %vw = arith.andi %w0, %w1 : i1
    %valid = arith.andi %vh, %vw : i1
    %sh = arith.select %valid, %oh, %c0 : index
    %sw = arith.select %valid, %ow, %c0 : index
    %d = tensor.extract %dy[%n, %sh, %sw, %co] : tensor<2x4x4x4xf32>
    %z = arith.constant 0.0 : f32
    %dv = arith.select %valid, %d, %z : f32
    %p = arith.mulf %dv, %wv : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x6x6x3xf32>
  return %r : tensor<2x6x6x3xf32>
}

// db[co] = sum over (n, oh, ow) of dy: a one-row matmul with a row of ones.
// CHECK-LABEL: func.func @bias_sum
// CHECK: arith.constant 1.000000e+00
// CHECK: linalg.matmul ins({{.*}} : tensor<1x18xf32>, tensor<18x4xf32>) outs({{.*}} : tensor<1x4xf32>)
// CHECK: tensor.collapse_shape {{.*}} tensor<1x4xf32> into tensor<4xf32>
#sumOut = affine_map<(d0, d1, d2, d3) -> (d3)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @bias_sum(%dy: tensor<2x3x3x4xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id4, #sumOut],
                       iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
      ins(%dy : tensor<2x3x3x4xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// out = relu(x + b) * w with the bias and ReLU fused into the product: the
// computed operand is materialized, then multiplied.
// CHECK-LABEL: func.func @fused_operand
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<5x6xf32>, tensor<6xf32>) outs(%{{.*}} : tensor<5x6xf32>)
// CHECK: arith.maximumf
// CHECK: linalg.matmul ins({{.*}} : tensor<5x6xf32>, tensor<6x3xf32>) outs({{.*}} : tensor<5x3xf32>)
#mA = affine_map<(d0, d1, d2) -> (d0, d2)>
#mBias = affine_map<(d0, d1, d2) -> (d2)>
#mB = affine_map<(d0, d1, d2) -> (d2, d1)>
#mC = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @fused_operand(%x: tensor<5x6xf32>, %b: tensor<6xf32>, %w: tensor<6x3xf32>) -> tensor<5x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<5x3xf32>) -> tensor<5x3xf32>
  %r = linalg.generic {indexing_maps = [#mA, #mBias, #mB, #mC],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %b, %w : tensor<5x6xf32>, tensor<6xf32>, tensor<6x3xf32>) outs(%init : tensor<5x3xf32>) {
  ^bb0(%xv: f32, %bv: f32, %wv: f32, %acc: f32):
    %z = arith.constant 0.0 : f32
    %sum = arith.addf %xv, %bv : f32
    %relu = arith.maximumf %sum, %z : f32
    %p = arith.mulf %relu, %wv : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<5x3xf32>
  return %r : tensor<5x3xf32>
}

// Deterministic small integers in [-3, 3] from the element's indices.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
func.func private @printMemrefF32(%t: tensor<*xf32>)

func.func @ints4(%e: tensor<?x?x?x?xf32>, %salt: index) -> tensor<?x?x?x?xf32> {
  %r = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%e : tensor<?x?x?x?xf32>) {
  ^bb0(%o: f32):
    %i0 = linalg.index 0 : index
    %i1 = linalg.index 1 : index
    %i2 = linalg.index 2 : index
    %i3 = linalg.index 3 : index
    %c7 = arith.constant 7 : index
    %c5 = arith.constant 5 : index
    %c3 = arith.constant 3 : index
    %c2 = arith.constant 2 : index
    %a0 = arith.muli %i0, %c7 : index
    %a1 = arith.muli %i1, %c5 : index
    %a2 = arith.muli %i2, %c3 : index
    %a3 = arith.muli %i3, %c2 : index
    %s0 = arith.addi %a0, %a1 : index
    %s1 = arith.addi %s0, %a2 : index
    %s2 = arith.addi %s1, %a3 : index
    %s3 = arith.addi %s2, %salt : index
    %m = arith.remui %s3, %c7 : index
    %v = arith.subi %m, %c3 : index
    %i = arith.index_cast %v : index to i32
    %f = arith.sitofp %i : i32 to f32
    linalg.yield %f : f32
  } -> tensor<?x?x?x?xf32>
  return %r : tensor<?x?x?x?xf32>
}

func.func @print4(%t: tensor<?x?x?x?xf32>) {
  %u = tensor.cast %t : tensor<?x?x?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

// OUT-COUNT-5: Unranked Memref {{.*}} data =
func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c7 = arith.constant 7 : index
  %ex = tensor.empty(%c2, %c7, %c7, %c3) : tensor<?x?x?x?xf32>
  %xd = call @ints4(%ex, %c0) : (tensor<?x?x?x?xf32>, index) -> tensor<?x?x?x?xf32>
  %x = tensor.cast %xd : tensor<?x?x?x?xf32> to tensor<2x7x7x3xf32>
  %ew = tensor.empty(%c3, %c3, %c3, %c4) : tensor<?x?x?x?xf32>
  %wd = call @ints4(%ew, %c1) : (tensor<?x?x?x?xf32>, index) -> tensor<?x?x?x?xf32>
  %w = tensor.cast %wd : tensor<?x?x?x?xf32> to tensor<3x3x3x4xf32>
  %edy = tensor.empty(%c2, %c3, %c3, %c4) : tensor<?x?x?x?xf32>
  %dyd = call @ints4(%edy, %c2) : (tensor<?x?x?x?xf32>, index) -> tensor<?x?x?x?xf32>
  %dy = tensor.cast %dyd : tensor<?x?x?x?xf32> to tensor<2x3x3x4xf32>
  %edy2 = tensor.empty(%c2, %c4, %c4, %c4) : tensor<?x?x?x?xf32>
  %dy2d = call @ints4(%edy2, %c3) : (tensor<?x?x?x?xf32>, index) -> tensor<?x?x?x?xf32>
  %dy2 = tensor.cast %dy2d : tensor<?x?x?x?xf32> to tensor<2x4x4x4xf32>

  %y = call @conv(%x, %w) : (tensor<2x7x7x3xf32>, tensor<3x3x3x4xf32>) -> tensor<2x3x3x4xf32>
  %yd = tensor.cast %y : tensor<2x3x3x4xf32> to tensor<?x?x?x?xf32>
  call @print4(%yd) : (tensor<?x?x?x?xf32>) -> ()
  %g = call @filter_grad(%x, %dy) : (tensor<2x7x7x3xf32>, tensor<2x3x3x4xf32>) -> tensor<3x3x3x4xf32>
  %gd = tensor.cast %g : tensor<3x3x3x4xf32> to tensor<?x?x?x?xf32>
  call @print4(%gd) : (tensor<?x?x?x?xf32>) -> ()
  %dx = call @input_grad(%dy2, %w) : (tensor<2x4x4x4xf32>, tensor<3x3x3x4xf32>) -> tensor<2x6x6x3xf32>
  %dxd = tensor.cast %dx : tensor<2x6x6x3xf32> to tensor<?x?x?x?xf32>
  call @print4(%dxd) : (tensor<?x?x?x?xf32>) -> ()
  %s = call @bias_sum(%dy) : (tensor<2x3x3x4xf32>) -> tensor<4xf32>
  %su = tensor.cast %s : tensor<4xf32> to tensor<*xf32>
  call @printMemrefF32(%su) : (tensor<*xf32>) -> ()

  // x: 5x6 (salt 4), bias: 6 (salt 5), w: 6x3 (salt 6), from 1x1x5x6 etc.
  %ea = tensor.empty(%c1, %c1, %c5, %c6) : tensor<?x?x?x?xf32>
  %ad = call @ints4(%ea, %c4) : (tensor<?x?x?x?xf32>, index) -> tensor<?x?x?x?xf32>
  %a4 = tensor.cast %ad : tensor<?x?x?x?xf32> to tensor<1x1x5x6xf32>
  %a = tensor.collapse_shape %a4 [[0, 1, 2], [3]] : tensor<1x1x5x6xf32> into tensor<5x6xf32>
  %eb = tensor.empty(%c1, %c1, %c1, %c6) : tensor<?x?x?x?xf32>
  %bd = call @ints4(%eb, %c5) : (tensor<?x?x?x?xf32>, index) -> tensor<?x?x?x?xf32>
  %b4 = tensor.cast %bd : tensor<?x?x?x?xf32> to tensor<1x1x1x6xf32>
  %b = tensor.collapse_shape %b4 [[0, 1, 2, 3]] : tensor<1x1x1x6xf32> into tensor<6xf32>
  %ewm = tensor.empty(%c1, %c1, %c6, %c3) : tensor<?x?x?x?xf32>
  %wmd = call @ints4(%ewm, %c6) : (tensor<?x?x?x?xf32>, index) -> tensor<?x?x?x?xf32>
  %wm4 = tensor.cast %wmd : tensor<?x?x?x?xf32> to tensor<1x1x6x3xf32>
  %wm = tensor.collapse_shape %wm4 [[0, 1, 2], [3]] : tensor<1x1x6x3xf32> into tensor<6x3xf32>
  %f = call @fused_operand(%a, %b, %wm) : (tensor<5x6xf32>, tensor<6xf32>, tensor<6x3xf32>) -> tensor<5x3xf32>
  %fu = tensor.cast %f : tensor<5x3xf32> to tensor<*xf32>
  call @printMemrefF32(%fu) : (tensor<*xf32>) -> ()
  return
}
