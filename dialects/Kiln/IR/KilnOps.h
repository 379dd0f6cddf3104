//===- KilnOps.h - Ops of the kiln dialect --------------------------------===//
#ifndef KILN_IR_KILNOPS_H
#define KILN_IR_KILNOPS_H

#include "Kiln/IR/KilnDialect.h"
#include "Kiln/IR/KilnShapeRules.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Kiln/IR/GradientOpInterface.h.inc"

#define GET_OP_CLASSES
#include "Kiln/IR/KilnOps.h.inc"

#endif // KILN_IR_KILNOPS_H
