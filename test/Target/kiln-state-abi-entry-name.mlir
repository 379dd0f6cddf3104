// RUN: not kiln-opt %s --kiln-state-abi 2>&1 | FileCheck %s
// @predict reads a parameter "v" that @init does not lay out; the message
// names it once, in single quotes.
// CHECK: error: no state entry named 'v'
module @unknown_entry {
  func.func @init(%seed: i64) -> (tensor<2xf32> {kiln.state = "w"}) {
    %0 = arith.constant dense<0.0> : tensor<2xf32>
    return %0 : tensor<2xf32>
  }
  func.func @predict(%v: tensor<2xf32> {kiln.param = "v"}) -> (tensor<2xf32> {kiln.result = "out"}) {
    return %v : tensor<2xf32>
  }
}
