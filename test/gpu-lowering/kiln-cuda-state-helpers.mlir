// RUN: kiln-opt %s --kiln-cuda-state-helpers --split-input-file --verify-diagnostics | FileCheck %s

// Each helper is one kiln_cuda_copy of the whole state (kiln.state_size
// bytes): device to host, and host to device.
// CHECK: llvm.func @kiln_cuda_copy(!llvm.ptr, !llvm.ptr, i64)
// CHECK-LABEL: llvm.func @tiny_state_to_host
// CHECK-SAME: (%[[STATE:.*]]: !llvm.ptr, %[[HOST:.*]]: !llvm.ptr)
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(1088 : i64) : i64
// CHECK: llvm.call @kiln_cuda_copy(%[[HOST]], %[[STATE]], %[[BYTES]])
// CHECK-LABEL: llvm.func @tiny_state_from_host
// CHECK-SAME: (%[[STATE2:.*]]: !llvm.ptr, %[[HOST2:.*]]: !llvm.ptr)
// CHECK: %[[BYTES2:.*]] = llvm.mlir.constant(1088 : i64) : i64
// CHECK: llvm.call @kiln_cuda_copy(%[[STATE2]], %[[HOST2]], %[[BYTES2]])
module @tiny attributes {kiln.state_size = 1088 : i64} {
}

// -----

// Without the state layout there is nothing to copy.
// expected-error @below {{no kiln.state_size: run kiln-state-abi first}}
module @no_layout {
}
