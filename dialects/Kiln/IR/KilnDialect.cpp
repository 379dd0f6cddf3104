//===- KilnDialect.cpp - The kiln dialect ---------------------------------===//
#include "Kiln/IR/KilnDialect.h"
#include "Kiln/IR/KilnOps.h"

using namespace mlir;
using namespace kiln;

#include "Kiln/IR/KilnDialect.cpp.inc"

void KilnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Kiln/IR/KilnOps.cpp.inc"
      >();
}

Operation *KilnDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
