//===- KilnDialect.h - The kiln dialect -----------------------------------===//
#ifndef KILN_IR_KILNDIALECT_H
#define KILN_IR_KILNDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "Kiln/IR/KilnDialect.h.inc"

#endif // KILN_IR_KILNDIALECT_H
