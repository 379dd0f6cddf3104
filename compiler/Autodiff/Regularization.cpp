//===- Regularization.cpp - L1/L2 penalties added to the loss -------------===//
#include "Autodiff/Regularization.h"

#include "Kiln/IR/KilnOps.h"

using namespace mlir;

namespace kiln {

FailureOr<Value> addRegularization(OpBuilder &b, Location loc, Value loss,
                                   ArrayAttr spec,
                                   ArrayRef<NamedParameter> params) {
  if (!spec)
    return loss;
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  auto sum = [&](Value x) -> Value {
    return ReduceSumOp::create(b, loc, x, b.getDenseI64ArrayAttr({}),
                               b.getBoolAttr(false));
  };
  for (Attribute entry : spec) {
    auto dict = dyn_cast<DictionaryAttr>(entry);
    auto kind = dict ? dict.getAs<StringAttr>("kind") : StringAttr();
    auto factor = dict ? dict.getAs<FloatAttr>("factor") : FloatAttr();
    auto names = dict ? dict.getAs<ArrayAttr>("params") : ArrayAttr();
    if (!kind || !factor || (kind != "l1" && kind != "l2"))
      return emitError(loc, "malformed kiln.regularization entry ") << entry;
    SmallVector<Value> selected;
    for (Attribute name : names ? names : ArrayAttr()) {
      auto text = dyn_cast<StringAttr>(name);
      const NamedParameter *found =
          text ? llvm::find_if(params,
                               [&](const NamedParameter &p) {
                                 return p.name == text.getValue();
                               })
               : params.end();
      if (found == params.end())
        return emitError(loc, "regularization names an unknown parameter ")
               << name;
      selected.push_back(found->value);
    }
    if (!names || names.empty())
      for (const NamedParameter &p : params)
        selected.push_back(p.value);
    Value coefficient =
        ConstantOp::create(b, loc, scalar, (float)factor.getValueAsDouble());
    for (Value w : selected) {
      Value penalty;
      if (kind == "l2") {
        penalty = sum(MulOp::create(b, loc, w, w));
      } else {
        // |w| = relu(w) + relu(-w), whose gradient is sign(w).
        Value negated =
            MulOp::create(b, loc, w, ConstantOp::create(b, loc, scalar, -1.0f));
        penalty = sum(AddOp::create(b, loc, ReluOp::create(b, loc, w),
                                    ReluOp::create(b, loc, negated)));
      }
      loss = AddOp::create(b, loc, loss,
                           MulOp::create(b, loc, penalty, coefficient));
    }
  }
  return loss;
}

} // namespace kiln
