//===- TopKHits.cpp - top_k_accuracy(k) as kiln ops ----------------------===//
//
// Elementwise masks and sums over the [batch, C] scores, so the count is
// computed by evaluate's compiled code beside the loss, on any target.
//
//===----------------------------------------------------------------------===//
#include "Autodiff/TopKHits.h"

#include "Kiln/IR/KilnOps.h"

using namespace mlir;

namespace kiln {

/// The hits of one label: `scores` [batch, C], `label` [batch] i32.
static Value hitsOfLabel(OpBuilder &b, Location loc, Value scores, Value label,
                         int64_t k) {
  auto type = cast<RankedTensorType>(scores.getType());
  int64_t classes = type.getDimSize(1);
  Type f32 = b.getF32Type();
  Value oneHot = OneHotOp::create(b, loc, label, classes);
  // The label's score, [batch, 1] (adding zeros elsewhere keeps it exact).
  Value labelScore =
      ReduceSumOp::create(b, loc, MulOp::create(b, loc, scores, oneHot),
                          b.getDenseI64ArrayAttr({1}), b.getBoolAttr(true));
  // Greater scores beat it (x - y > 0 exactly when x > y, for finite floats).
  Value greater =
      StepOp::create(b, loc, type, SubOp::create(b, loc, scores, labelScore));
  // Equal scores beat it at a lower class index: c < label is one-hot times
  // the strictly lower triangle, lower[j][c] = (c < j).
  std::vector<float> lowerValues(size_t(classes * classes), 0.0f);
  for (int64_t j = 0; j < classes; ++j)
    for (int64_t c = 0; c < j; ++c)
      lowerValues[size_t(j * classes + c)] = 1.0f;
  auto squareType = RankedTensorType::get({classes, classes}, f32);
  Value lower = ConstantOp::create(
      b, loc, DenseElementsAttr::get(squareType, ArrayRef<float>(lowerValues)));
  Value below = MatmulOp::create(b, loc, oneHot, lower);
  Value tied =
      MulOp::create(b, loc, EqualOp::create(b, loc, scores, labelScore), below);
  Value beaten =
      ReduceSumOp::create(b, loc, AddOp::create(b, loc, greater, tied),
                          b.getDenseI64ArrayAttr({1}), b.getBoolAttr(false));
  // In the top k: fewer than k beat it, i.e. k - 0.5 - beaten > 0.
  auto scalar = RankedTensorType::get({}, f32);
  Value bound = ConstantOp::create(b, loc, scalar, float(k) - 0.5f);
  Value margin = SubOp::create(b, loc, bound, beaten);
  Value inTopK = StepOp::create(b, loc, margin.getType(), margin);
  return ReduceSumOp::create(b, loc, inTopK, b.getDenseI64ArrayAttr({}),
                             b.getBoolAttr(false));
}

Value buildTopKHits(OpBuilder &b, Location loc, Value output, ValueRange labels,
                    int64_t k) {
  auto type = dyn_cast<RankedTensorType>(output.getType());
  if (!type || type.getRank() != 2 || type.isDynamicDim(1) || labels.empty() ||
      type.getDimSize(1) % int64_t(labels.size()) != 0)
    return nullptr;
  int64_t classes = type.getDimSize(1) / int64_t(labels.size());
  Value hits;
  for (auto [l, label] : llvm::enumerate(labels)) {
    Value scores = output;
    if (labels.size() > 1)
      scores = SliceOp::create(
          b, loc, output, b.getDenseI64ArrayAttr({0, int64_t(l) * classes}),
          b.getDenseI64ArrayAttr({-1, classes}));
    Value count = hitsOfLabel(b, loc, scores, label, k);
    hits = hits ? AddOp::create(b, loc, hits, count).getResult() : count;
  }
  return hits;
}

} // namespace kiln
