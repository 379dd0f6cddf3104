//===- KilnDialect.td - The kiln dialect --------------------*- tablegen -*-===//
#ifndef KILN_DIALECT
#define KILN_DIALECT

include "mlir/IR/OpBase.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let summary = "Tensor-level ops of Kiln models, their gradients and training";
  let description = [{
    Ops on ranked f32/i32 tensors whose leading dimension may be dynamic (the
    batch). Forward ops implement GradientOpInterface; the `*_grad` ops exist
    only to express backward passes compactly and lower like any other op.
  }];
  let cppNamespace = "::kiln";
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let hasConstantMaterializer = 1;
}

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, traits>;

def Kiln_F32Tensor : RankedTensorOf<[F32]>;
def Kiln_I32Tensor : RankedTensorOf<[I32]>;
def Kiln_Tensor : RankedTensorOf<[F32, I32]>;

#endif // KILN_DIALECT
