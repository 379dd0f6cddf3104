// RUN: kiln-opt %s -split-input-file -verify-diagnostics --kiln-generate-training | FileCheck %s

// Training generation from @forward: @init, @train_step (forward, reverse-mode
// gradients from each op's GradientOpInterface, step + 1, SGD update),
// @predict (label-free slice) and @evaluate; then the errors of the pass.

// A one-layer classifier: matmul, broadcast bias, relu, mean cross entropy.
// @forward is replaced by the four generated functions.
// CHECK-LABEL: module @tiny
// CHECK-NOT: func.func @forward

// @init: one result per state entry (params in @forward's order, then the
// step), uniform from its bounds with the parameter's index as stream, the
// constant initializer as a splat, and the step counter 0.
// CHECK-LABEL: func.func @init
// CHECK-SAME: (%[[SEED:.*]]: i64) -> (tensor<4x3xf32> {kiln.state = "w"}, tensor<3xf32> {kiln.state = "b"}, tensor<i64> {kiln.state = "step"})
// CHECK-NEXT: %[[W:.*]] = kiln.random_uniform %[[SEED]] {high = 5.000000e-01 : f32, low = -5.000000e-01 : f32, stream = 0 : i64} : tensor<4x3xf32>
// CHECK-NEXT: %[[B:.*]] = kiln.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-NEXT: %[[STEP:.*]] = arith.constant dense<0> : tensor<i64>
// CHECK-NEXT: return %[[W]], %[[B]], %[[STEP]] : tensor<4x3xf32>, tensor<3xf32>, tensor<i64>

// @train_step: state first (w, b, step), then inputs and labels with their
// attributes; the loss first among results, then the new state.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[W:.*]]: tensor<4x3xf32> {kiln.state = "w"}, %[[B:.*]]: tensor<3xf32> {kiln.state = "b"}, %[[STEP:.*]]: tensor<i64> {kiln.state = "step"}, %[[X:.*]]: tensor<?x4xf32> {kiln.input = "x"}, %[[Y:.*]]: tensor<?xi32> {kiln.label = "y"})
// CHECK-SAME: -> (tensor<f32> {kiln.result = "loss"}, tensor<4x3xf32> {kiln.state = "w"}, tensor<3xf32> {kiln.state = "b"}, tensor<i64> {kiln.state = "step"})
// The forward pass, on the state arguments.
// CHECK-NEXT: %[[MM:.*]] = kiln.matmul %[[X]], %[[W]] : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: %[[PRE:.*]] = kiln.add %[[MM]], %[[B]]
// CHECK-NEXT: %[[ACT:.*]] = kiln.relu %[[PRE]]
// CHECK-NEXT: %[[CE:.*]] = kiln.softmax_cross_entropy %[[ACT]], %[[Y]]
// CHECK-NEXT: %[[LOSS:.*]] = kiln.reduce_mean %[[CE]] : (tensor<?xf32>) -> tensor<f32>
// d loss = 1; reduce_mean's rule divides by the element count and broadcasts
// back to the batch.
// CHECK-NEXT: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[KEPT:.*]] = kiln.reshape %[[ONE]] : (tensor<f32>) -> tensor<1xf32>
// CHECK-NEXT: %[[COUNT:.*]] = kiln.element_count %[[CE]] : (tensor<?xf32>) -> tensor<f32>
// CHECK-NEXT: %[[SCALED:.*]] = kiln.div %[[KEPT]], %[[COUNT]]
// CHECK-NEXT: %[[DCE:.*]] = kiln.broadcast_like %[[SCALED]], %[[CE]] : (tensor<1xf32>, tensor<?xf32>) -> tensor<?xf32>
// CHECK-NEXT: %[[DACT:.*]] = kiln.softmax_cross_entropy_grad %[[ACT]], %[[Y]], %[[DCE]]
// relu's rule masks with relu's output (positive where its input is), so
// nothing else reads the pre-activation.
// CHECK-NEXT: %[[DPRE:.*]] = kiln.relu_grad %[[ACT]], %[[DACT]] : tensor<?x3xf32>
// The bias was broadcast along the batch: its gradient sums over axis 0.
// CHECK-NEXT: %[[DBK:.*]] = kiln.reduce_sum %[[DPRE]] {axes = array<i64: 0>, keepdims = true} : (tensor<?x3xf32>) -> tensor<1x3xf32>
// CHECK-NEXT: %[[DB:.*]] = kiln.reshape %[[DBK]] : (tensor<1x3xf32>) -> tensor<3xf32>
// dX = dY W^T (unused, left for DCE) and dW = X^T dY.
// CHECK-NEXT: kiln.matmul %[[DPRE]], %[[W]] {transpose_b = true} : (tensor<?x3xf32>, tensor<4x3xf32>) -> tensor<?x4xf32>
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DPRE]] {transpose_a = true} : (tensor<?x4xf32>, tensor<?x3xf32>) -> tensor<4x3xf32>
// step + 1.
// CHECK-NEXT: %[[COUNTER:.*]] = tensor.extract %[[STEP]][] : tensor<i64>
// CHECK-NEXT: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[COUNTER]], %[[C1]] : i64
// CHECK-NEXT: %[[NEWSTEP:.*]] = tensor.from_elements %[[NEXT]] : tensor<i64>
// SGD: one fused elementwise loop per parameter computing p - lr * g, with
// the module's learning rate.
// CHECK-NEXT: %[[LR:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: tensor.empty() : tensor<4x3xf32>
// CHECK-NEXT: %[[NEWW:.*]] = linalg.generic {{.*}} ins(%[[W]], %[[DW]] : tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[GRAD:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[SCALED:.*]] = arith.mulf %[[LR]], %[[GRAD]] : f32
// CHECK-NEXT: %[[UPDATED:.*]] = arith.subf %[[P]], %[[SCALED]] : f32
// CHECK-NEXT: linalg.yield %[[UPDATED]] : f32
// CHECK: %[[NEWB:.*]] = linalg.generic {{.*}} ins(%[[B]], %[[DB]] : tensor<3xf32>, tensor<3xf32>)
// CHECK: return %[[LOSS]], %[[NEWW]], %[[NEWB]], %[[NEWSTEP]] : tensor<f32>, tensor<4x3xf32>, tensor<3xf32>, tensor<i64>

// @predict: parameters then inputs, no label argument, only the ops the
// output needs (no loss).
// CHECK-LABEL: func.func @predict
// CHECK-SAME: (%[[W:.*]]: tensor<4x3xf32> {kiln.param = "w"}, %[[B:.*]]: tensor<3xf32> {kiln.param = "b"}, %[[X:.*]]: tensor<?x4xf32> {kiln.input = "x"}) -> (tensor<?x3xf32> {kiln.result = "logits"})
// CHECK-NEXT: %[[MM:.*]] = kiln.matmul %[[X]], %[[W]]
// CHECK-NEXT: %[[PRE:.*]] = kiln.add %[[MM]], %[[B]]
// CHECK-NEXT: %[[ACT:.*]] = kiln.relu %[[PRE]]
// CHECK-NEXT: return %[[ACT]] : tensor<?x3xf32>

// @evaluate: parameters (without kiln.init), inputs, labels; (loss, output).
// CHECK-LABEL: func.func @evaluate
// CHECK-SAME: (%[[W:.*]]: tensor<4x3xf32> {kiln.param = "w"}, %[[B:.*]]: tensor<3xf32> {kiln.param = "b"}, %[[X:.*]]: tensor<?x4xf32> {kiln.input = "x"}, %[[Y:.*]]: tensor<?xi32> {kiln.label = "y"})
// CHECK-SAME: -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"})
// CHECK-NEXT: %[[MM:.*]] = kiln.matmul %[[X]], %[[W]]
// CHECK-NEXT: %[[PRE:.*]] = kiln.add %[[MM]], %[[B]]
// CHECK-NEXT: %[[ACT:.*]] = kiln.relu %[[PRE]]
// CHECK-NEXT: %[[CE:.*]] = kiln.softmax_cross_entropy %[[ACT]], %[[Y]]
// CHECK-NEXT: %[[LOSS:.*]] = kiln.reduce_mean %[[CE]]
// CHECK-NEXT: return %[[LOSS]], %[[ACT]] : tensor<f32>, tensor<?x3xf32>
// CHECK-NOT: kiln.init
// CHECK-NOT: func.func @forward
module @tiny attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.5 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "uniform", low = -0.5 : f32, high = 0.5 : f32}},
                     %b: tensor<3xf32> {kiln.param = "b", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.add %0, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    %2 = kiln.relu %1 : tensor<?x3xf32>
    %3 = kiln.softmax_cross_entropy %2, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %4 = kiln.reduce_mean %3 : (tensor<?xf32>) -> tensor<f32>
    return %4, %2 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// A normal initializer; a [1, 3] bias used twice (its two gradients are
// added); a parameter the loss does not use (zero gradient, still updated);
// reduce_sum as the loss reduction (its rule broadcasts without dividing).
// CHECK-LABEL: module @two_uses
// CHECK-LABEL: func.func @init
// CHECK-SAME: -> (tensor<4x3xf32> {kiln.state = "w"}, tensor<1x3xf32> {kiln.state = "s"}, tensor<3xf32> {kiln.state = "u"}, tensor<i64> {kiln.state = "step"})
// CHECK-NEXT: kiln.random_normal %{{.*}} {mean = 0.000000e+00 : f32, stddev = 1.000000e-01 : f32, stream = 0 : i64} : tensor<4x3xf32>
// CHECK-NEXT: kiln.constant dense<5.000000e-01> : tensor<1x3xf32>
// CHECK-NEXT: kiln.random_uniform %{{.*}} {high = 1.000000e+00 : f32, low = 0.000000e+00 : f32, stream = 2 : i64} : tensor<3xf32>
// CHECK-NEXT: arith.constant dense<0> : tensor<i64>

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[W:.*]]: tensor<4x3xf32> {kiln.state = "w"}, %[[S:.*]]: tensor<1x3xf32> {kiln.state = "s"}, %[[U:.*]]: tensor<3xf32> {kiln.state = "u"}, %{{.*}}: tensor<i64> {kiln.state = "step"}, %[[X:.*]]: tensor<?x4xf32> {kiln.input = "x"}, %[[Y:.*]]: tensor<?xi32> {kiln.label = "y"})
// CHECK: %[[MM:.*]] = kiln.matmul %[[X]], %[[W]]
// CHECK-NEXT: %[[SCALED:.*]] = kiln.mul %[[MM]], %[[S]]
// CHECK-NEXT: %[[LOGITS:.*]] = kiln.add %[[SCALED]], %[[S]]
// CHECK-NEXT: %[[CE:.*]] = kiln.softmax_cross_entropy %[[LOGITS]], %[[Y]]
// CHECK-NEXT: kiln.reduce_sum %[[CE]] : (tensor<?xf32>) -> tensor<f32>
// CHECK-NEXT: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[KEPT:.*]] = kiln.reshape %[[ONE]]
// CHECK-NEXT: %[[DCE:.*]] = kiln.broadcast_like %[[KEPT]], %[[CE]]
// CHECK-NEXT: %[[G:.*]] = kiln.softmax_cross_entropy_grad %[[LOGITS]], %[[Y]], %[[DCE]]
// From the add: the bias part of the gradient, summed over the batch.
// CHECK-NEXT: %[[DS1:.*]] = kiln.reduce_sum %[[G]] {axes = array<i64: 0>, keepdims = true} : (tensor<?x3xf32>) -> tensor<1x3xf32>
// From the mul: g * s for the matmul result, g * mm summed for s.
// CHECK-NEXT: %[[DMM:.*]] = kiln.mul %[[G]], %[[S]]
// CHECK-NEXT: %[[GMM:.*]] = kiln.mul %[[G]], %[[MM]]
// CHECK-NEXT: %[[DS2:.*]] = kiln.reduce_sum %[[GMM]] {axes = array<i64: 0>, keepdims = true}
// CHECK-NEXT: %[[DS:.*]] = kiln.add %[[DS1]], %[[DS2]] : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
// CHECK-NEXT: kiln.matmul %[[DMM]], %[[W]] {transpose_b = true}
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DMM]] {transpose_a = true}
// CHECK-NEXT: %[[DU:.*]] = kiln.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK: arith.constant 2.500000e-01 : f32
// CHECK: linalg.generic {{.*}} ins(%[[W]], %[[DW]] :
// CHECK: linalg.generic {{.*}} ins(%[[S]], %[[DS]] :
// CHECK: linalg.generic {{.*}} ins(%[[U]], %[[DU]] :

// The output is the logits; @predict keeps the three params as arguments.
// CHECK-LABEL: func.func @predict
// CHECK-SAME: -> (tensor<?x3xf32> {kiln.result = "out"})
// CHECK-NOT: softmax_cross_entropy
// CHECK: return
module @two_uses attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.25 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "normal", mean = 0.0 : f32, stddev = 0.1 : f32}},
                     %s: tensor<1x3xf32> {kiln.param = "s", kiln.init = {kind = "constant", value = 0.5 : f32}},
                     %u: tensor<3xf32> {kiln.param = "u", kiln.init = {kind = "uniform", low = 0.0 : f32, high = 1.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "out"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.mul %0, %s : (tensor<?x3xf32>, tensor<1x3xf32>) -> tensor<?x3xf32>
    %2 = kiln.add %1, %s : (tensor<?x3xf32>, tensor<1x3xf32>) -> tensor<?x3xf32>
    %3 = kiln.softmax_cross_entropy %2, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %4 = kiln.reduce_sum %3 : (tensor<?xf32>) -> tensor<f32>
    return %4, %2 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// An op without a gradient rule is fine where no parameter flows through it
// (here relu_grad on the input only): nothing is differentiated through it.
// The weight's gradient still goes through the transposed matmul rule with
// transpose_b in the forward: C = X W^T gives dW = dC^T X.
// CHECK-LABEL: module @inactive_op
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[W:.*]]: tensor<3x4xf32> {kiln.state = "w"}, %{{.*}}: tensor<i64> {kiln.state = "step"}, %[[X:.*]]: tensor<?x4xf32> {kiln.input = "x"}, %{{.*}}: tensor<?xi32> {kiln.label = "y"})
// CHECK: %[[XR:.*]] = kiln.relu_grad %[[X]], %[[X]]
// CHECK-NEXT: %[[MM:.*]] = kiln.matmul %[[XR]], %[[W]] {transpose_b = true} : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
// CHECK: %[[G:.*]] = kiln.softmax_cross_entropy_grad %[[MM]]
// CHECK-NEXT: kiln.matmul %[[G]], %[[W]] : (tensor<?x3xf32>, tensor<3x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[G]], %[[XR]] {transpose_a = true} : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<3x4xf32>
// CHECK-NOT: kiln.relu_grad
// CHECK: linalg.generic {{.*}} ins(%[[W]], %[[DW]] :
module @inactive_op attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<3x4xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 1.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.relu_grad %x, %x : tensor<?x4xf32>
    %1 = kiln.matmul %0, %w {transpose_b = true} : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
    %2 = kiln.softmax_cross_entropy %1, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %3 = kiln.reduce_mean %2 : (tensor<?xf32>) -> tensor<f32>
    return %3, %1 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// metrics = [top_k_accuracy(k = 2)] (kiln.top_k on the module): @evaluate
// also returns the number of rows whose label is among the top 2 scores.
// The label's score is picked with one_hot; greater scores beat it, and
// equal ones at a lower class index (one_hot times the strictly lower
// triangle); a row counts when fewer than k = 2 beat it (1.5 - beaten > 0).
// CHECK-LABEL: module @top_k
// @predict (emitted before @evaluate) is as without it.
// CHECK-LABEL: func.func @predict
// CHECK-NOT: kiln.one_hot
// CHECK-LABEL: func.func @evaluate
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?xi32> {kiln.label = "y"})
// CHECK-SAME: -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}, tensor<f32> {kiln.result = "top_k_hits"})
// CHECK: %[[S:.*]] = kiln.matmul
// CHECK: %[[HOT:.*]] = kiln.one_hot %[[Y]] {depth = 3 : i64}
// CHECK-NEXT: %[[PICK:.*]] = kiln.mul %[[S]], %[[HOT]]
// CHECK-NEXT: %[[SL:.*]] = kiln.reduce_sum %[[PICK]] {axes = array<i64: 1>, keepdims = true} : (tensor<?x3xf32>) -> tensor<?x1xf32>
// CHECK-NEXT: %[[DIFF:.*]] = kiln.sub %[[S]], %[[SL]]
// CHECK-NEXT: %[[GREATER:.*]] = kiln.step %[[DIFF]]
// CHECK-NEXT: %[[LOWER:.*]] = kiln.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e+00, 0.000000e+00]]> : tensor<3x3xf32>
// CHECK-NEXT: %[[BELOW:.*]] = kiln.matmul %[[HOT]], %[[LOWER]]
// CHECK-NEXT: %[[EQ:.*]] = kiln.equal %[[S]], %[[SL]]
// CHECK-NEXT: %[[TIED:.*]] = kiln.mul %[[EQ]], %[[BELOW]]
// CHECK-NEXT: %[[BEATEN:.*]] = kiln.add %[[GREATER]], %[[TIED]]
// CHECK-NEXT: %[[COUNT:.*]] = kiln.reduce_sum %[[BEATEN]] {axes = array<i64: 1>} : (tensor<?x3xf32>) -> tensor<?xf32>
// CHECK-NEXT: %[[BOUND:.*]] = kiln.constant dense<1.500000e+00> : tensor<f32>
// CHECK-NEXT: %[[MARGIN:.*]] = kiln.sub %[[BOUND]], %[[COUNT]]
// CHECK-NEXT: %[[IN:.*]] = kiln.step %[[MARGIN]] : tensor<?xf32>
// CHECK-NEXT: %[[HITS:.*]] = kiln.reduce_sum %[[IN]] : (tensor<?xf32>) -> tensor<f32>
// CHECK-NEXT: return %{{.*}}, %[[S]], %[[HITS]]
module @top_k attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}, kiln.top_k = 2 : i64} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// No @forward at all.
// expected-error @+1 {{no @forward function to train}}
module @no_forward attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  func.func @other() {
    return
  }
}

// -----

// No kiln.optimizer on the module; reported at @forward.
module @no_optimizer {
  // expected-error @+1 {{the model has no optimizer (kiln.optimizer)}}
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// A hyper-parameter the optimizer does not have.
module @unknown_hyperparameter attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32, beta_1 = 0.9 : f32}} {
  // expected-error @+1 {{optimizer 'sgd' has no parameter 'beta_1'}}
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// An optimizer kind that does not exist.
module @unknown_optimizer attributes {kiln.optimizer = {kind = "lamb", learning_rate = 0.1 : f32}} {
  // expected-error @+1 {{unknown optimizer 'lamb'}}
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// The optimizer has no kind.
module @optimizer_without_kind attributes {kiln.optimizer = {learning_rate = 0.1 : f32}} {
  // expected-error @+1 {{kiln.optimizer needs a string 'kind'}}
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// SGD without a learning rate.
module @sgd_without_rate attributes {kiln.optimizer = {kind = "sgd"}} {
  // expected-error @+1 {{optimizer 'sgd' needs a learning_rate}}
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// A parameter without kiln.init: reported at that parameter.
module @no_init attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %b: tensor<3xf32> {kiln.param = "b", kiln.init = {kind = "constant", value = 0.0 : f32}},
                     // expected-error @+1 {{parameter 'w' has no valid kiln.init initializer}}
                     %w: tensor<4x3xf32> {kiln.param = "w"})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.add %0, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    %2 = kiln.softmax_cross_entropy %1, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %3 = kiln.reduce_mean %2 : (tensor<?xf32>) -> tensor<f32>
    return %3, %1 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// An initializer with a known kind but missing fields is no initializer.
module @incomplete_init attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     // expected-error @+1 {{parameter 'w' has no valid kiln.init initializer}}
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "normal", mean = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// The output (second result) depends on the label, so @predict could not be
// built; the error names the output and the label, at the output's op.
module @output_uses_label attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"},
                     %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?xf32> {kiln.result = "per_example"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    // expected-error @+1 {{output 'per_example' must not depend on the label 'y'}}
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %1 : tensor<f32>, tensor<?xf32>
  }
}

// -----

// An op without a gradient rule (relu_grad is a backward helper) on the path
// from a parameter to the loss.
module @no_gradient_rule attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    // expected-error @+1 {{cannot differentiate 'kiln.relu_grad': it has no gradient rule}}
    %1 = kiln.relu_grad %0, %0 : tensor<?x3xf32>
    %2 = kiln.softmax_cross_entropy %1, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %3 = kiln.reduce_mean %2 : (tensor<?xf32>) -> tensor<f32>
    return %3, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// @forward must return exactly (loss, output).
module @one_result attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  // expected-error @+1 {{@forward must return (loss, output)}}
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2 : tensor<f32>
  }
}

// -----

// Every argument of @forward has a role.
module @unclassified_argument attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  // expected-error @+1 {{argument #1 of @forward is not an input, label or parameter}}
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %z: tensor<?x4xf32>, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// A model without parameters has nothing to train.
module @no_params attributes {kiln.optimizer = {kind = "sgd", learning_rate = 0.1 : f32}} {
  // expected-error @+1 {{the model has no parameters to train}}
  func.func @forward(%x: tensor<?x3xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.softmax_cross_entropy %x, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %1 = kiln.reduce_mean %0 : (tensor<?xf32>) -> tensor<f32>
    return %1, %x : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// piecewise_constant needs one more value than boundaries.
module @piecewise_value_count attributes {kiln.optimizer = {kind = "sgd", learning_rate = {kind = "piecewise_constant", boundaries = [2.0 : f32, 4.0 : f32], values = [0.1 : f32, 0.01 : f32]}}} {
  // expected-error @+1 {{piecewise_constant needs one more value than boundaries}}
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}

// -----

// piecewise_constant boundaries must increase.
module @piecewise_order attributes {kiln.optimizer = {kind = "sgd", learning_rate = {kind = "piecewise_constant", boundaries = [4.0 : f32, 2.0 : f32], values = [0.1 : f32, 0.01 : f32, 0.001 : f32]}}} {
  // expected-error @+1 {{piecewise_constant boundaries must increase}}
  func.func @forward(%x: tensor<?x4xf32> {kiln.input = "x"}, %y: tensor<?xi32> {kiln.label = "y"},
                     %w: tensor<4x3xf32> {kiln.param = "w", kiln.init = {kind = "constant", value = 0.0 : f32}})
      -> (tensor<f32> {kiln.result = "loss"}, tensor<?x3xf32> {kiln.result = "logits"}) {
    %0 = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %1 = kiln.softmax_cross_entropy %0, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<?xf32>
    %2 = kiln.reduce_mean %1 : (tensor<?xf32>) -> tensor<f32>
    return %2, %0 : tensor<f32>, tensor<?x3xf32>
  }
}
