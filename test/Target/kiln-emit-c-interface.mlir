// RUN: split-file %s %t
// RUN: kiln-opt %t/pipeline.mlir --kiln-train-pipeline | FileCheck %s --check-prefix=PIPE
// RUN: kiln-opt %t/pipeline.mlir --kiln-train-pipeline | FileCheck %s --check-prefix=LOWERED
// RUN: kiln-opt %t/pipeline.mlir --kiln-train-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=IR
// RUN: kiln-opt %t/wrappers.mlir --kiln-emit-c-interface | FileCheck %s --check-prefix=WRAP
// RUN: kiln-opt %t/packed.mlir --kiln-emit-c-interface | FileCheck %s --check-prefix=PACKED
// RUN: kiln-opt %t/labels.mlir --kiln-emit-c-interface | FileCheck %s --check-prefix=LABELS
// RUN: kiln-opt %t/workspace.mlir --kiln-emit-c-interface="huge-pages=1" | FileCheck %s --check-prefix=HUGE
// RUN: kiln-opt %t/workspace.mlir --kiln-emit-c-interface | FileCheck %s --check-prefix=NO-ADVICE
// RUN: kiln-opt %t/errors.mlir -split-input-file -verify-diagnostics --kiln-emit-c-interface

// The public C functions around the lowered *_impl functions: plain pointers
// plus a batch size, expanded into the memref descriptors the impls take.

//--- pipeline.mlir
// The whole CPU pipeline (--kiln-train-pipeline) on a one-layer model. State
// layout: w 4x3 f32 at 0 (48 B), b 3 f32 at 64, step i64 at 128; size 192.
// PIPE-LABEL: module @tiny
// PIPE-SAME: kiln.state_size = 192 : i64

// init(void *state, uint64_t seed): the state descriptor is
// (ptr, ptr, 0, 192, 1); the seed is passed through.
// PIPE: llvm.func @tiny_init_impl(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64)
// PIPE-LABEL: llvm.func @tiny_init(
// PIPE-SAME: %[[S:.*]]: !llvm.ptr, %[[SEED:.*]]: i64) {
// PIPE-NEXT: %[[ZERO:.*]] = llvm.mlir.constant(0 : i64) : i64
// PIPE-NEXT: %[[SIZE:.*]] = llvm.mlir.constant(192 : i64) : i64
// PIPE-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// PIPE-NEXT: llvm.mul
// PIPE-NEXT: llvm.call @tiny_init_impl(%[[S]], %[[S]], %[[ZERO]], %[[SIZE]], %[[ONE]], %[[SEED]]) : (!llvm.ptr, !llvm.ptr, i64, i64, i64, i64) -> ()
// PIPE-NEXT: llvm.return

// float train_step(void *state, const float *x, const int32_t *y,
// int64_t batch): x is [batch, 4] with strides [4, 1], y is [batch], the
// loss is written to a stack slot and returned.
// PIPE: llvm.func @tiny_train_step_impl(
// PIPE-LABEL: llvm.func @tiny_train_step(
// PIPE-SAME: %[[S:.*]]: !llvm.ptr, %[[X:.*]]: !llvm.ptr, %[[Y:.*]]: !llvm.ptr, %[[N:.*]]: i64) -> f32 {
// PIPE-NEXT: %[[SO:.*]] = llvm.mlir.constant(0 : i64) : i64
// PIPE-NEXT: %[[SIZE:.*]] = llvm.mlir.constant(192 : i64) : i64
// PIPE-NEXT: %[[SS:.*]] = llvm.mlir.constant(1 : i64) : i64
// PIPE-NEXT: llvm.mul
// PIPE-NEXT: %[[XO:.*]] = llvm.mlir.constant(0 : i64) : i64
// PIPE-NEXT: %[[FOUR:.*]] = llvm.mlir.constant(4 : i64) : i64
// PIPE-NEXT: %[[XS1:.*]] = llvm.mlir.constant(1 : i64) : i64
// PIPE-NEXT: %[[XS0:.*]] = llvm.mul %[[XS1]], %[[FOUR]] : i64
// PIPE-NEXT: llvm.mul %[[XS0]], %[[N]] : i64
// PIPE-NEXT: %[[YO:.*]] = llvm.mlir.constant(0 : i64) : i64
// PIPE-NEXT: %[[YS:.*]] = llvm.mlir.constant(1 : i64) : i64
// PIPE-NEXT: llvm.mul %[[YS]], %[[N]] : i64
// PIPE-NEXT: %[[C1:.*]] = llvm.mlir.constant(1 : i64) : i64
// PIPE-NEXT: %[[SLOT:.*]] = llvm.alloca %[[C1]] x f32 : (i64) -> !llvm.ptr
// PIPE-NEXT: %[[LO:.*]] = llvm.mlir.constant(0 : i64) : i64
// PIPE-NEXT: llvm.mlir.constant(1 : i64) : i64
// The workspace of kiln-plan-arena, the last descriptor (ptr, ptr, 0, bytes,
// 1), from tiny_workspace_reserve. Its size: six [batch, ...] temporaries
// (logits, softmax rows, row max and sum, x^T) of at most 16 bytes per
// example, each rounded up to 64, and five static ones (the w and b
// gradients, scalars) of at most 48 bytes, each 64; temporaries whose lives
// do not overlap share bytes, so 320 * batch + 192, not 384 * batch + 320.
// PIPE-NEXT: %[[FIXED:.*]] = llvm.mlir.constant(192 : i64) : i64
// PIPE-NEXT: %[[PER:.*]] = llvm.mlir.constant(320 : i64) : i64
// PIPE-NEXT: %[[M:.*]] = llvm.mul %[[N]], %[[PER]] : i64
// PIPE-NEXT: %[[BYTES:.*]] = llvm.add %[[M]], %[[FIXED]] : i64
// PIPE-NEXT: %[[WS:.*]] = llvm.call @tiny_workspace_reserve(%[[BYTES]]) : (i64) -> !llvm.ptr
// PIPE-NEXT: %[[WO:.*]] = llvm.mlir.constant(0 : i64) : i64
// PIPE-NEXT: %[[WSS:.*]] = llvm.mlir.constant(1 : i64) : i64
// PIPE-NEXT: llvm.call @tiny_train_step_impl(%[[S]], %[[S]], %[[SO]], %[[SIZE]], %[[SS]], %[[X]], %[[X]], %[[XO]], %[[N]], %[[FOUR]], %[[XS0]], %[[XS1]], %[[Y]], %[[Y]], %[[YO]], %[[N]], %[[YS]], %[[SLOT]], %[[SLOT]], %[[LO]], %[[WS]], %[[WS]], %[[WO]], %[[BYTES]], %[[WSS]])
// PIPE-NEXT: %[[LOSS:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> f32
// PIPE-NEXT: llvm.return %[[LOSS]] : f32

// predict(const void *state, const float *x, int64_t batch, float *logits):
// the output [batch, 3] has strides [3, 1].
// PIPE: llvm.func @tiny_predict_impl(
// PIPE-LABEL: llvm.func @tiny_predict(
// PIPE-SAME: %[[S:.*]]: !llvm.ptr, %[[X:.*]]: !llvm.ptr, %[[N:.*]]: i64, %[[OUT:.*]]: !llvm.ptr) {
// PIPE: %[[THREE:.*]] = llvm.mlir.constant(3 : i64) : i64
// PIPE-NEXT: %[[OS1:.*]] = llvm.mlir.constant(1 : i64) : i64
// PIPE-NEXT: %[[OS0:.*]] = llvm.mul %[[OS1]], %[[THREE]] : i64
// predict has no workspace: the product's tiles go through bias + relu (its
// epilogue) straight into the output.
// PIPE-NOT: tiny_workspace_reserve
// PIPE: llvm.call @tiny_predict_impl(%[[S]], %[[S]], %{{.*}}, %{{.*}}, %{{.*}}, %[[X]], %[[X]], %{{.*}}, %[[N]], %{{.*}}, %{{.*}}, %{{.*}}, %[[OUT]], %[[OUT]], %{{.*}}, %[[N]], %[[THREE]], %[[OS0]], %[[OS1]])
// PIPE-NEXT: llvm.return{{$}}

// float evaluate(const void *state, const float *x, const int32_t *y,
// int64_t batch, float *logits).
// PIPE: llvm.func @tiny_evaluate_impl(
// PIPE-LABEL: llvm.func @tiny_evaluate(
// PIPE-SAME: %[[S:.*]]: !llvm.ptr, %[[X:.*]]: !llvm.ptr, %[[Y:.*]]: !llvm.ptr, %[[N:.*]]: i64, %[[OUT:.*]]: !llvm.ptr) -> f32 {
// PIPE: %[[SLOT:.*]] = llvm.alloca
// PIPE: llvm.call @tiny_evaluate_impl(%[[S]], %[[S]], {{.*}}, %[[X]], %[[X]], {{.*}}, %[[Y]], %[[Y]], {{.*}}, %[[SLOT]], %[[SLOT]], {{.*}}, %[[OUT]], %[[OUT]], {{.*}})
// PIPE-NEXT: %[[LOSS:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> f32
// PIPE-NEXT: llvm.return %[[LOSS]] : f32

// The workspace, one per calling thread: a request larger than the capacity
// frees the old block and allocates a new one (64-byte aligned; one of 2 MiB
// or more aligned to 2 MiB and rounded up to whole 2 MiB pages); any other
// returns the block it has. Its public size is the largest of the impls' (train_step's
// 320 * batch + 192 here).
// PIPE: llvm.mlir.global internal thread_local @tiny_workspace_data()
// PIPE: llvm.mlir.global internal thread_local @tiny_workspace_capacity(0 : i64)
// PIPE-LABEL: llvm.func internal @tiny_workspace_reserve(
// PIPE-SAME: %[[WANT:.*]]: i64) -> !llvm.ptr {
// PIPE: %[[CAP:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// PIPE-NEXT: %[[GROW:.*]] = llvm.icmp "ugt" %[[WANT]], %[[CAP]] : i64
// PIPE-NEXT: llvm.cond_br %[[GROW]], ^[[BB1:.*]], ^[[BB2:.*]]
// PIPE: ^[[BB1]]:
// PIPE: llvm.call @free(
// PIPE: %[[MIB2:.*]] = llvm.mlir.constant(2097152 : i64) : i64
// PIPE-NEXT: %[[LARGE:.*]] = llvm.icmp "uge" %[[WANT]], %[[MIB2]] : i64
// PIPE: %[[SMALL:.*]] = llvm.mlir.constant(64 : i64) : i64
// PIPE-NEXT: %[[ALIGN:.*]] = llvm.select %[[LARGE]], %{{.*}}, %[[SMALL]] : i1, i64
// PIPE: %[[UP:.*]] = llvm.add %[[WANT]], %{{.*}} : i64
// PIPE: %[[MASK:.*]] = llvm.sub %{{.*}}, %[[ALIGN]] : i64
// PIPE-NEXT: %[[SIZE:.*]] = llvm.and %[[UP]], %[[MASK]] : i64
// PIPE-NEXT: %[[BLOCK:.*]] = llvm.call @aligned_alloc(%[[ALIGN]], %[[SIZE]])
// PIPE: llvm.store %[[BLOCK]]
// PIPE: llvm.store %[[WANT]]
// PIPE: ^[[BB2]]:
// PIPE-LABEL: llvm.func @tiny_workspace_size(
// PIPE-SAME: %[[B:.*]]: i64) -> i64 {
// PIPE-NEXT: %[[PER:.*]] = llvm.mlir.constant(320 : i64) : i64
// PIPE-NEXT: %[[M:.*]] = llvm.mul %[[B]], %[[PER]] : i64
// PIPE-NEXT: %[[FIXED:.*]] = llvm.mlir.constant(192 : i64) : i64
// PIPE-NEXT: llvm.add %[[M]], %[[FIXED]] : i64
// PIPE-LABEL: llvm.func @tiny_workspace_release() {

// int64_t state_size(void).
// PIPE-LABEL: llvm.func @tiny_state_size() -> i64 {
// PIPE-NEXT: %[[SIZE:.*]] = llvm.mlir.constant(192 : i64) : i64
// PIPE-NEXT: llvm.return %[[SIZE]] : i64

// Everything is in the LLVM dialect: no func, memref, tensor, linalg or kiln
// ops and no unrealized casts are left.
// LOWERED-NOT: func.func
// LOWERED-NOT: memref.
// LOWERED-NOT: tensor.
// LOWERED-NOT: linalg.
// LOWERED-NOT: = kiln.
// LOWERED-NOT: unrealized_conversion_cast

// The module translates to LLVM IR with the C signatures of the header.
// IR-DAG: define void @tiny_init(ptr %{{.*}}, i64 %{{.*}})
// IR-DAG: define float @tiny_train_step(ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}}, i64 %{{.*}})
// IR-DAG: define void @tiny_predict(ptr %{{.*}}, ptr %{{.*}}, i64 %{{.*}}, ptr %{{.*}})
// IR-DAG: define float @tiny_evaluate(ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}}, i64 %{{.*}}, ptr %{{.*}})
// IR-DAG: define i64 @tiny_state_size()
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

//--- wrappers.mlir
// The pass alone, on hand-written impls, to pin the descriptor layout.

// A rank-3 input [batch, 2, 3]: sizes (batch, 2, 3), strides (6, 3, 1), the
// output [batch, 5]: sizes (batch, 5), strides (5, 1). Parameter order:
// state, inputs, batch, outputs.
// WRAP-LABEL: llvm.func @m_predict(
// WRAP-SAME: %[[S:.*]]: !llvm.ptr, %[[X:.*]]: !llvm.ptr, %[[N:.*]]: i64, %[[Y:.*]]: !llvm.ptr) {
// WRAP-NEXT: %[[SO:.*]] = llvm.mlir.constant(0 : i64) : i64
// WRAP-NEXT: %[[SIZE:.*]] = llvm.mlir.constant(256 : i64) : i64
// WRAP-NEXT: %[[SS:.*]] = llvm.mlir.constant(1 : i64) : i64
// WRAP-NEXT: llvm.mul %[[SS]], %[[SIZE]] : i64
// WRAP-NEXT: %[[XO:.*]] = llvm.mlir.constant(0 : i64) : i64
// WRAP-NEXT: %[[TWO:.*]] = llvm.mlir.constant(2 : i64) : i64
// WRAP-NEXT: %[[THREE:.*]] = llvm.mlir.constant(3 : i64) : i64
// WRAP-NEXT: %[[XS2:.*]] = llvm.mlir.constant(1 : i64) : i64
// WRAP-NEXT: %[[XS1:.*]] = llvm.mul %[[XS2]], %[[THREE]] : i64
// WRAP-NEXT: %[[XS0:.*]] = llvm.mul %[[XS1]], %[[TWO]] : i64
// WRAP-NEXT: llvm.mul %[[XS0]], %[[N]] : i64
// WRAP-NEXT: %[[YO:.*]] = llvm.mlir.constant(0 : i64) : i64
// WRAP-NEXT: %[[FIVE:.*]] = llvm.mlir.constant(5 : i64) : i64
// WRAP-NEXT: %[[YS1:.*]] = llvm.mlir.constant(1 : i64) : i64
// WRAP-NEXT: %[[YS0:.*]] = llvm.mul %[[YS1]], %[[FIVE]] : i64
// WRAP-NEXT: llvm.mul %[[YS0]], %[[N]] : i64
// WRAP-NEXT: llvm.call @m_predict_impl(%[[S]], %[[S]], %[[SO]], %[[SIZE]], %[[SS]], %[[X]], %[[X]], %[[XO]], %[[N]], %[[TWO]], %[[THREE]], %[[XS0]], %[[XS1]], %[[XS2]], %[[Y]], %[[Y]], %[[YO]], %[[N]], %[[FIVE]], %[[YS0]], %[[YS1]])
// WRAP-NEXT: llvm.return{{$}}

// A scalar (the seed) comes last and is passed through unchanged.
// WRAP-LABEL: llvm.func @m_init(
// WRAP-SAME: %[[S:.*]]: !llvm.ptr, %[[SEED:.*]]: i64) {
// WRAP: llvm.call @m_init_impl(%[[S]], %[[S]], %{{.*}}, %{{.*}}, %{{.*}}, %[[SEED]])

// Fully static arguments need no batch parameter; the loss makes the wrapper
// return f32.
// WRAP-LABEL: llvm.func @m_fixed(
// WRAP-SAME: %[[S:.*]]: !llvm.ptr, %[[X:.*]]: !llvm.ptr) -> f32 {
// WRAP-NEXT: llvm.mlir.constant(0 : i64) : i64
// WRAP-NEXT: llvm.mlir.constant(256 : i64) : i64
// WRAP-NEXT: llvm.mlir.constant(1 : i64) : i64
// WRAP-NEXT: llvm.mul
// WRAP-NEXT: %[[XO:.*]] = llvm.mlir.constant(0 : i64) : i64
// WRAP-NEXT: %[[TWO:.*]] = llvm.mlir.constant(2 : i64) : i64
// WRAP-NEXT: %[[XS:.*]] = llvm.mlir.constant(1 : i64) : i64
// WRAP-NEXT: llvm.mul %[[XS]], %[[TWO]] : i64
// WRAP-NEXT: %[[C1:.*]] = llvm.mlir.constant(1 : i64) : i64
// WRAP-NEXT: %[[SLOT:.*]] = llvm.alloca %[[C1]] x f32 : (i64) -> !llvm.ptr
// WRAP-NEXT: %[[LO:.*]] = llvm.mlir.constant(0 : i64) : i64
// WRAP-NEXT: llvm.mlir.constant(1 : i64) : i64
// WRAP-NEXT: llvm.call @m_fixed_impl(%[[S]], %[[S]], %{{.*}}, %{{.*}}, %{{.*}}, %[[X]], %[[X]], %[[XO]], %[[TWO]], %[[XS]], %[[SLOT]], %[[SLOT]], %[[LO]])
// WRAP-NEXT: %[[L:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> f32
// WRAP-NEXT: llvm.return %[[L]] : f32

// state_size() returns the module's kiln.state_size.
// WRAP-LABEL: llvm.func @m_state_size() -> i64 {
// WRAP-NEXT: %[[SIZE:.*]] = llvm.mlir.constant(256 : i64) : i64
// WRAP-NEXT: llvm.return %[[SIZE]] : i64
module @m attributes {kiln.state_size = 256 : i64} {
  llvm.func @m_predict_impl(%s0: !llvm.ptr, %s1: !llvm.ptr, %s2: i64, %s3: i64, %s4: i64,
                            %x0: !llvm.ptr, %x1: !llvm.ptr, %x2: i64, %x3: i64, %x4: i64, %x5: i64, %x6: i64, %x7: i64, %x8: i64,
                            %y0: !llvm.ptr, %y1: !llvm.ptr, %y2: i64, %y3: i64, %y4: i64, %y5: i64, %y6: i64)
      attributes {kiln.c_roles = [{name = "const_state", role = "state", shape = array<i64>},
                                  {name = "x", role = "input", shape = array<i64: -9223372036854775808, 2, 3>},
                                  {name = "y", role = "output", shape = array<i64: -9223372036854775808, 5>}]} {
    llvm.return
  }
  llvm.func @m_init_impl(%s0: !llvm.ptr, %s1: !llvm.ptr, %s2: i64, %s3: i64, %s4: i64, %seed: i64)
      attributes {kiln.c_roles = [{name = "state", role = "state", shape = array<i64>},
                                  {name = "seed", role = "scalar", shape = array<i64>}]} {
    llvm.return
  }
  llvm.func @m_fixed_impl(%s0: !llvm.ptr, %s1: !llvm.ptr, %s2: i64, %s3: i64, %s4: i64,
                          %x0: !llvm.ptr, %x1: !llvm.ptr, %x2: i64, %x3: i64, %x4: i64,
                          %l0: !llvm.ptr, %l1: !llvm.ptr, %l2: i64)
      attributes {kiln.c_roles = [{name = "state", role = "state", shape = array<i64>},
                                  {name = "x", role = "input", shape = array<i64: 2>},
                                  {name = "loss", role = "loss", shape = array<i64>}]} {
    llvm.return
  }
}

//--- packed.mlir
// Two inputs: besides @m_step (one pointer each), @m_step_packed takes them
// in one buffer, a's [batch, 2] block then b's [batch, 3]: b starts
// batch * 2 floats in. The f32 label is passed through as a pointer.
// PACKED-LABEL: llvm.func @m_step_packed(
// PACKED-SAME: %[[S:.*]]: !llvm.ptr, %[[IN:.*]]: !llvm.ptr, %[[Y:.*]]: !llvm.ptr, %[[N:.*]]: i64) {
// PACKED: %[[A:.*]] = llvm.getelementptr %[[IN]][%[[ZERO:.*]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// PACKED-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// PACKED-NEXT: %[[ROWS:.*]] = llvm.mul %[[ONE]], %[[N]] : i64
// PACKED-NEXT: %[[TWO:.*]] = llvm.mlir.constant(2 : i64) : i64
// PACKED-NEXT: %[[ASIZE:.*]] = llvm.mul %[[ROWS]], %[[TWO]] : i64
// PACKED-NEXT: %[[BSTART:.*]] = llvm.add %[[ZERO]], %[[ASIZE]] : i64
// PACKED: %[[B:.*]] = llvm.getelementptr %[[IN]][%[[BSTART]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// PACKED: llvm.call @m_step_impl(%[[S]], %[[S]], %{{.*}}, %{{.*}}, %{{.*}}, %[[A]], %[[A]], %{{.*}}, %[[N]], %{{.*}}, %{{.*}}, %{{.*}}, %[[B]], %[[B]], %{{.*}}, %[[N]], %{{.*}}, %{{.*}}, %{{.*}}, %[[Y]], %[[Y]],
// PACKED-LABEL: llvm.func @m_step(
// PACKED-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64) {
module @m attributes {kiln.state_size = 256 : i64} {
  llvm.func @m_step_impl(%s0: !llvm.ptr, %s1: !llvm.ptr, %s2: i64, %s3: i64, %s4: i64,
                         %a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %a3: i64, %a4: i64, %a5: i64, %a6: i64,
                         %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64, %b3: i64, %b4: i64, %b5: i64, %b6: i64,
                         %y0: !llvm.ptr, %y1: !llvm.ptr, %y2: i64, %y3: i64, %y4: i64)
      attributes {kiln.c_roles = [{name = "state", role = "state", shape = array<i64>},
                                  {name = "a", role = "input", shape = array<i64: -9223372036854775808, 2>},
                                  {name = "b", role = "input", shape = array<i64: -9223372036854775808, 3>},
                                  {dtype = "f32", name = "y", role = "label", shape = array<i64: -9223372036854775808>}]} {
    llvm.return
  }
}

//--- labels.mlir
// Two labels (an i32 class and two f32 values per example) and a Metric
// (evaluate's top_k_hits). The packed variant takes both labels in one
// buffer, y1's [batch] block then y2's [batch, 2]: y2 starts batch * 1
// elements in. The metrics variant, in the packed form, adds a pointer for
// the metric after the outputs; the others compute it into scratch.
// LABELS-LABEL: llvm.func @m_eval_packed_metrics(
// LABELS-SAME: %[[S:[^:]*]]: !llvm.ptr, %[[X:[^:]*]]: !llvm.ptr, %[[L:[^:]*]]: !llvm.ptr, %[[N:[^:]*]]: i64, %[[OUT:[^:]*]]: !llvm.ptr, %[[HITS:[^:]*]]: !llvm.ptr) -> f32 {
// LABELS: %[[Y1:.*]] = llvm.getelementptr %[[L]][%[[ZERO:.*]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// LABELS-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// LABELS-NEXT: %[[Y1SIZE:.*]] = llvm.mul %[[ONE]], %[[N]] : i64
// LABELS-NEXT: %[[Y2START:.*]] = llvm.add %[[ZERO]], %[[Y1SIZE]] : i64
// LABELS: %[[Y2:.*]] = llvm.getelementptr %[[L]][%[[Y2START]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// LABELS: llvm.call @m_eval_impl(%[[S]], %[[S]], {{.*}}, %[[X]], %[[X]], {{.*}}, %[[Y1]], %[[Y1]], {{.*}}, %[[Y2]], %[[Y2]], {{.*}}, %[[OUT]], %[[OUT]], {{.*}}, %[[HITS]], %[[HITS]], %{{[^,]*}}) :
// LABELS-LABEL: llvm.func @m_eval_packed(
// LABELS-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %[[OUT:[^:]*]]: !llvm.ptr) -> f32 {
// The loss's slot, then the metric's scratch.
// LABELS: llvm.alloca %{{.*}} x f32 : (i64) -> !llvm.ptr
// LABELS: %[[SCRATCH:.*]] = llvm.alloca %{{.*}} x f32 : (i64) -> !llvm.ptr
// LABELS: llvm.call @m_eval_impl({{.*}}, %[[OUT]], %[[OUT]], {{.*}}, %[[SCRATCH]], %[[SCRATCH]], %{{[^,]*}}) :
// LABELS-LABEL: llvm.func @m_eval(
// LABELS-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %[[Y1:[^:]*]]: !llvm.ptr, %[[Y2:[^:]*]]: !llvm.ptr, %{{.*}}: i64, %{{.*}}: !llvm.ptr) -> f32 {
// LABELS: llvm.call @m_eval_impl({{.*}}, %[[Y1]], %[[Y1]], {{.*}}, %[[Y2]], %[[Y2]],
module @m attributes {kiln.state_size = 256 : i64} {
  llvm.func @m_eval_impl(%s0: !llvm.ptr, %s1: !llvm.ptr, %s2: i64, %s3: i64, %s4: i64,
                         %x0: !llvm.ptr, %x1: !llvm.ptr, %x2: i64, %x3: i64, %x4: i64, %x5: i64, %x6: i64,
                         %p0: !llvm.ptr, %p1: !llvm.ptr, %p2: i64, %p3: i64, %p4: i64,
                         %q0: !llvm.ptr, %q1: !llvm.ptr, %q2: i64, %q3: i64, %q4: i64, %q5: i64, %q6: i64,
                         %l0: !llvm.ptr, %l1: !llvm.ptr, %l2: i64,
                         %o0: !llvm.ptr, %o1: !llvm.ptr, %o2: i64, %o3: i64, %o4: i64, %o5: i64, %o6: i64,
                         %h0: !llvm.ptr, %h1: !llvm.ptr, %h2: i64)
      attributes {kiln.c_roles = [{name = "const_state", role = "state", shape = array<i64>},
                                  {name = "x", role = "input", shape = array<i64: -9223372036854775808, 2>},
                                  {dtype = "i32", name = "y1", role = "label", shape = array<i64: -9223372036854775808>},
                                  {dtype = "f32", name = "y2", role = "label", shape = array<i64: -9223372036854775808, 2>},
                                  {name = "loss", role = "loss", shape = array<i64>},
                                  {name = "out", role = "output", shape = array<i64: -9223372036854775808, 3>},
                                  {name = "top_k_hits", role = "metric", shape = array<i64>}]} {
    llvm.return
  }
}

//--- workspace.mlir
// With huge-pages (Linux targets), a new block of 2 MiB or more is advised
// for transparent huge pages (MADV_HUGEPAGE = 14) before the caller uses it.
// HUGE-LABEL: llvm.func internal @w_workspace_reserve(
// HUGE: %[[LARGE:.*]] = llvm.icmp "uge"
// HUGE: %[[BLOCK:.*]] = llvm.call @aligned_alloc(%{{.*}}, %[[SIZE:[0-9]+]])
// HUGE: llvm.cond_br %[[LARGE]], ^[[ADVISE:.*]], ^
// HUGE: ^[[ADVISE]]:
// HUGE-NEXT: %[[ADVICE:.*]] = llvm.mlir.constant(14 : i32) : i32
// HUGE-NEXT: llvm.call @madvise(%[[BLOCK]], %[[SIZE]], %[[ADVICE]])
// NO-ADVICE-NOT: madvise
module @w attributes {kiln.state_size = 64 : i64, kiln.workspace = array<i64: 320, 192>} {
}

//--- errors.mlir
// Without the state layout there is no state size to describe the state by.
// expected-error @+1 {{no kiln.state_size: run kiln-state-abi first}}
module @no_layout {
  llvm.func @no_layout_init_impl(%seed: i64) attributes {kiln.c_roles = [{name = "seed", role = "scalar", shape = array<i64>}]} {
    llvm.return
  }
}

// -----

// A role the C interface does not know.
module @bad_role attributes {kiln.state_size = 64 : i64} {
  // expected-error @+1 {{malformed kiln.c_roles}}
  llvm.func @bad_role_init_impl(%seed: i64) attributes {kiln.c_roles = [{name = "seed", role = "weights", shape = array<i64>}]} {
    llvm.return
  }
}

// -----

// An impl whose name does not end in _impl cannot be wrapped.
module @bad_name attributes {kiln.state_size = 64 : i64} {
  // expected-error @+1 {{malformed kiln.c_roles}}
  llvm.func @bad_name_init(%seed: i64) attributes {kiln.c_roles = [{name = "seed", role = "scalar", shape = array<i64>}]} {
    llvm.return
  }
}
