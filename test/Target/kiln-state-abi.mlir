// RUN: split-file %s %t
// RUN: kiln-opt %t/mlp.mlir --kiln-generate-training --kiln-to-linalg --kiln-state-abi | FileCheck %s
// RUN: kiln-opt %t/unnamed.mlir --kiln-generate-training --kiln-to-linalg --kiln-state-abi | FileCheck %s --check-prefix=UNNAMED
// RUN: kiln-opt %t/errors.mlir -split-input-file -verify-diagnostics --kiln-state-abi

// The state ABI: @init/@train_step/@predict/@evaluate become private
// @<model>_<fn>_impl functions taking the whole training state as one
// memref<?xi8>, each entry a memref.view at a 64-byte aligned offset.

//--- mlp.mlir
// A two-layer model whose entries need padding. Layout, by hand:
//   w1 4x20 f32 = 320 B at   0 -> 320 (aligned already)
//   b1   20 f32 =  80 B at 320 -> 400, padded to 448
//   w2 20x3 f32 = 240 B at 448 -> 688, padded to 704
//   b2    3 f32 =  12 B at 704 -> 716, padded to 768
//   step    i64 =   8 B at 768 -> 776; total padded to 832.
// CHECK-LABEL: module @mlp
// CHECK-SAME: kiln.state_layout = [
// CHECK-SAME: {dtype = f32, name = "w1", offset = 0 : i64, shape = array<i64: 4, 20>},
// CHECK-SAME: {dtype = f32, name = "b1", offset = 320 : i64, shape = array<i64: 20>},
// CHECK-SAME: {dtype = f32, name = "w2", offset = 448 : i64, shape = array<i64: 20, 3>},
// CHECK-SAME: {dtype = f32, name = "b2", offset = 704 : i64, shape = array<i64: 3>},
// CHECK-SAME: {dtype = i64, name = "step", offset = 768 : i64, shape = array<i64>}]
// CHECK-SAME: kiln.state_size = 832 : i64

// @init: (state, seed); the roles name the C parameters. Every entry is
// written through its view with materialize_in_destination (restrict,
// writable) so bufferization computes it in place.
// CHECK-LABEL: func.func private @mlp_init_impl
// CHECK-SAME: (%[[STATE:.*]]: memref<?xi8>, %[[SEED:.*]]: i64)
// CHECK-SAME: kiln.c_roles = [{name = "state", role = "state", shape = array<i64>}, {name = "seed", role = "scalar", shape = array<i64>}]
// The random initializers hash the seed argument.
// CHECK: arith.muli %[[SEED]], %{{.*}} : i64
// CHECK: %[[O0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[V0:.*]] = memref.view %[[STATE]][%[[O0]]][] : memref<?xi8> to memref<4x20xf32>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[V0]] : (tensor<4x20xf32>, memref<4x20xf32>) -> ()
// CHECK-NEXT: %[[O1:.*]] = arith.constant 320 : index
// CHECK-NEXT: %[[V1:.*]] = memref.view %[[STATE]][%[[O1]]][] : memref<?xi8> to memref<20xf32>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[V1]] : (tensor<20xf32>, memref<20xf32>) -> ()
// CHECK-NEXT: %[[O2:.*]] = arith.constant 448 : index
// CHECK-NEXT: %[[V2:.*]] = memref.view %[[STATE]][%[[O2]]][] : memref<?xi8> to memref<20x3xf32>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[V2]] : (tensor<20x3xf32>, memref<20x3xf32>) -> ()
// CHECK-NEXT: %[[O3:.*]] = arith.constant 704 : index
// CHECK-NEXT: %[[V3:.*]] = memref.view %[[STATE]][%[[O3]]][] : memref<?xi8> to memref<3xf32>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[V3]] : (tensor<3xf32>, memref<3xf32>) -> ()
// CHECK-NEXT: %[[O4:.*]] = arith.constant 768 : index
// CHECK-NEXT: %[[V4:.*]] = memref.view %[[STATE]][%[[O4]]][] : memref<?xi8> to memref<i64>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[V4]] : (tensor<i64>, memref<i64>) -> ()
// CHECK-NEXT: return

// @train_step: (state, input, label, loss out); batch dimensions stay
// dynamic. State entries are read through restrict writable to_tensor views,
// inputs and labels through restrict (read-only) to_tensor.
// CHECK-LABEL: func.func private @mlp_train_step_impl
// CHECK-SAME: (%[[STATE:.*]]: memref<?xi8>, %[[X:.*]]: memref<?x4xf32>, %[[Y:.*]]: memref<?xi32>, %[[LOSS:.*]]: memref<f32>)
// CHECK-SAME: kiln.c_roles = [{name = "state", role = "state", shape = array<i64>}, {name = "pixels", role = "input", shape = array<i64: -9223372036854775808, 4>}, {dtype = "i32", name = "digit", role = "label", shape = array<i64: -9223372036854775808>}, {name = "loss", role = "loss", shape = array<i64>}]
// CHECK: %[[O0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[V0:.*]] = memref.view %[[STATE]][%[[O0]]][] : memref<?xi8> to memref<4x20xf32>
// CHECK-NEXT: %[[W1:.*]] = bufferization.to_tensor %[[V0]] restrict writable : memref<4x20xf32> to tensor<4x20xf32>
// CHECK-NEXT: %[[O1:.*]] = arith.constant 320 : index
// CHECK-NEXT: %[[V1:.*]] = memref.view %[[STATE]][%[[O1]]][] : memref<?xi8> to memref<20xf32>
// CHECK-NEXT: bufferization.to_tensor %[[V1]] restrict writable : memref<20xf32> to tensor<20xf32>
// CHECK-NEXT: %[[O2:.*]] = arith.constant 448 : index
// CHECK-NEXT: %[[V2:.*]] = memref.view %[[STATE]][%[[O2]]][] : memref<?xi8> to memref<20x3xf32>
// CHECK-NEXT: bufferization.to_tensor %[[V2]] restrict writable : memref<20x3xf32> to tensor<20x3xf32>
// CHECK-NEXT: %[[O3:.*]] = arith.constant 704 : index
// CHECK-NEXT: %[[V3:.*]] = memref.view %[[STATE]][%[[O3]]][] : memref<?xi8> to memref<3xf32>
// CHECK-NEXT: bufferization.to_tensor %[[V3]] restrict writable : memref<3xf32> to tensor<3xf32>
// CHECK-NEXT: %[[O4:.*]] = arith.constant 768 : index
// CHECK-NEXT: %[[V4:.*]] = memref.view %[[STATE]][%[[O4]]][] : memref<?xi8> to memref<i64>
// CHECK-NEXT: %[[STEP:.*]] = bufferization.to_tensor %[[V4]] restrict writable : memref<i64> to tensor<i64>
// CHECK-NEXT: %[[XT:.*]] = bufferization.to_tensor %[[X]] restrict : memref<?x4xf32> to tensor<?x4xf32>
// CHECK-NEXT: %[[YT:.*]] = bufferization.to_tensor %[[Y]] restrict : memref<?xi32> to tensor<?xi32>
// The body is the lowered train step on those tensors.
// CHECK: ins(%[[XT]], %[[W1]] : tensor<?x4xf32>, tensor<4x20xf32>)
// CHECK: tensor.extract %[[STEP]][] : tensor<i64>
// The loss goes to its output argument, then every new state entry to its view.
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[LOSS]] : (tensor<f32>, memref<f32>) -> ()
// CHECK-NEXT: %[[P0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[N0:.*]] = memref.view %[[STATE]][%[[P0]]][] : memref<?xi8> to memref<4x20xf32>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[N0]] : (tensor<4x20xf32>, memref<4x20xf32>) -> ()
// CHECK-NEXT: %[[P1:.*]] = arith.constant 320 : index
// CHECK-NEXT: %[[N1:.*]] = memref.view %[[STATE]][%[[P1]]][] : memref<?xi8> to memref<20xf32>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[N1]]
// CHECK-NEXT: %[[P2:.*]] = arith.constant 448 : index
// CHECK-NEXT: %[[N2:.*]] = memref.view %[[STATE]][%[[P2]]][] : memref<?xi8> to memref<20x3xf32>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[N2]]
// CHECK-NEXT: %[[P3:.*]] = arith.constant 704 : index
// CHECK-NEXT: %[[N3:.*]] = memref.view %[[STATE]][%[[P3]]][] : memref<?xi8> to memref<3xf32>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[N3]]
// CHECK-NEXT: %[[P4:.*]] = arith.constant 768 : index
// CHECK-NEXT: %[[N4:.*]] = memref.view %[[STATE]][%[[P4]]][] : memref<?xi8> to memref<i64>
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[N4]] : (tensor<i64>, memref<i64>) -> ()
// CHECK-NEXT: return

// @predict reads the parameters (not the step) from a const state and writes
// only its output argument.
// CHECK-LABEL: func.func private @mlp_predict_impl
// CHECK-SAME: (%[[STATE:.*]]: memref<?xi8>, %[[X:.*]]: memref<?x4xf32>, %[[OUT:.*]]: memref<?x3xf32>)
// CHECK-SAME: kiln.c_roles = [{name = "const_state", role = "state", shape = array<i64>}, {name = "pixels", role = "input", shape = array<i64: -9223372036854775808, 4>}, {name = "scores", role = "output", shape = array<i64: -9223372036854775808, 3>}]
// CHECK: memref.view %[[STATE]][%{{.*}}][] : memref<?xi8> to memref<4x20xf32>
// CHECK: memref.view %[[STATE]][%{{.*}}][] : memref<?xi8> to memref<20xf32>
// CHECK: memref.view %[[STATE]][%{{.*}}][] : memref<?xi8> to memref<20x3xf32>
// CHECK: memref.view %[[STATE]][%{{.*}}][] : memref<?xi8> to memref<3xf32>
// CHECK-NEXT: bufferization.to_tensor
// CHECK-NEXT: bufferization.to_tensor %[[X]] restrict : memref<?x4xf32> to tensor<?x4xf32>
// CHECK-NOT: memref<i64>
// CHECK-NOT: memref.view
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[OUT]] : (tensor<?x3xf32>, memref<?x3xf32>) -> ()
// CHECK-NEXT: return

// @evaluate: (state, input, label, loss out, output out).
// CHECK-LABEL: func.func private @mlp_evaluate_impl
// CHECK-SAME: (%[[STATE:.*]]: memref<?xi8>, %[[X:.*]]: memref<?x4xf32>, %[[Y:.*]]: memref<?xi32>, %[[LOSS:.*]]: memref<f32>, %[[OUT:.*]]: memref<?x3xf32>)
// CHECK-SAME: kiln.c_roles = [{name = "const_state", role = "state", shape = array<i64>}, {name = "pixels", role = "input", shape = array<i64: -9223372036854775808, 4>}, {dtype = "i32", name = "digit", role = "label", shape = array<i64: -9223372036854775808>}, {name = "loss", role = "loss", shape = array<i64>}, {name = "scores", role = "output", shape = array<i64: -9223372036854775808, 3>}]
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[LOSS]] : (tensor<f32>, memref<f32>) -> ()
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[OUT]] : (tensor<?x3xf32>, memref<?x3xf32>) -> ()
// CHECK-NEXT: return

// The tensor functions are gone.
// CHECK-NOT: func.func @init
// CHECK-NOT: func.func @train_step
// CHECK-NOT: func.func @predict
// CHECK-NOT: func.func @evaluate
module @mlp attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "pixels"}, %y: tensor<?xi32> {kiln.label = "digit"},
                     %w1: tensor<4x20xf32> {kiln.param = "w1", kiln.init = {kind = "normal", mean = 0.0 : f32, stddev = 0.5 : f32}},
                     %b1: tensor<20xf32> {kiln.param = "b1", kiln.init = {kind = "constant", value = 0.0 : f32}},
                     %w2: tensor<20x3xf32> {kiln.param = "w2", kiln.init = {kind = "uniform", low = -0.1 : f32, high = 0.1 : f32}},
                     %b2: tensor<3xf32> {kiln.param = "b2", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "scores"}) {
    %0 = kiln.matmul %x, %w1 : (tensor<?x4xf32>, tensor<4x20xf32>) -> tensor<?x20xf32>
    %1 = kiln.add %0, %b1 : (tensor<?x20xf32>, tensor<20xf32>) -> tensor<?x20xf32>
    %2 = kiln.relu %1 : tensor<?x20xf32>
    %3 = kiln.matmul %2, %w2 : (tensor<?x20xf32>, tensor<20x3xf32>) -> tensor<?x3xf32>
    %4 = kiln.add %3, %b2 : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    %5 = kiln.softmax_cross_entropy %4, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %6 = kiln.reduce_mean %5 : (tensor<?xf32>) -> tensor<f32>
    return %6, %4 : tensor<f32>, tensor<?x3xf32>
  }
}

//--- unnamed.mlir
// A module without a name gives "model_" functions; a single 64-byte entry
// needs no padding before the step (4x4 f32 = 64 B at 0, step at 64, size 128).
// UNNAMED: kiln.state_layout = [{dtype = f32, name = "w", offset = 0 : i64, shape = array<i64: 4, 4>}, {dtype = i64, name = "step", offset = 64 : i64, shape = array<i64>}]
// UNNAMED-SAME: kiln.state_size = 128 : i64
// UNNAMED: func.func private @model_init_impl(
// UNNAMED: func.func private @model_train_step_impl(
// UNNAMED: func.func private @model_predict_impl(
// UNNAMED: func.func private @model_evaluate_impl(
module attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x4xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x4xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x4xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x4xf32>
  }
}

//--- errors.mlir
// The state ABI needs the generated functions.
// expected-error @+1 {{no @init function: run kiln-generate-training first}}
module @no_init {
  func.func @forward() {
    return
  }
}

// -----

// Every @init result must be a statically shaped, named state entry: a
// dynamic shape cannot be laid out.
module @dynamic_state {
  // expected-error @+1 {{result #0 of @init is not a statically shaped state entry}}
  func.func @init(%seed: i64) -> (tensor<?xf32> {kiln.state = "w"}) {
    %0 = tensor.empty() : tensor<0xf32>
    %1 = tensor.cast %0 : tensor<0xf32> to tensor<?xf32>
    return %1 : tensor<?xf32>
  }
}

// -----

// ...and a result without kiln.state has no name to lay out.
module @unnamed_state {
  // expected-error @+1 {{result #1 of @init is not a statically shaped state entry}}
  func.func @init(%seed: i64) -> (tensor<2xf32> {kiln.state = "w"}, tensor<i64>) {
    %0 = arith.constant dense<0.0> : tensor<2xf32>
    %1 = arith.constant dense<0> : tensor<i64>
    return %0, %1 : tensor<2xf32>, tensor<i64>
  }
}

// -----

// A function reading a state entry that @init does not produce. (How the
// name is quoted is checked in kiln-state-abi-entry-name.mlir.)
module @unknown_entry {
  func.func @init(%seed: i64) -> (tensor<2xf32> {kiln.state = "w"}) {
    %0 = arith.constant dense<0.0> : tensor<2xf32>
    return %0 : tensor<2xf32>
  }
  // expected-error @+1 {{no state entry named}}
  func.func @predict(%v: tensor<2xf32> {kiln.param = "v"}) -> (tensor<2xf32> {kiln.result = "out"}) {
    return %v : tensor<2xf32>
  }
}
