//===- FuseEpilogues.cpp - Choose the ops that run on producers' tiles ----===//
#include "Transforms/ConstantFill.h"
#include "Transforms/Epilogue.h"
#include "Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEEPILOGUES
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The reduction (a matrix product, a convolution) that `operand` of an
/// elementwise op reads whole and alone: its result, read at the same
/// place, by no other op.
bool readsWholeReduction(linalg::GenericOp op, OpOperand &operand) {
  auto producer = operand.get().getDefiningOp<linalg::LinalgOp>();
  return producer && producer->getNumResults() == 1 &&
         producer.hasPureTensorSemantics() &&
         producer.getNumReductionLoops() > 0 && operand.get().hasOneUse() &&
         op.getMatchingIndexingMap(&operand).isIdentity();
}

/// The term a sum reduction that no kernel tiles adds to its output each
/// iteration (its body yields `out + term`, its output starts at zero), or
/// null. Matrix products and convolutions are left to their kernels, which
/// run epilogues on their register tiles.
Value summedTerm(linalg::GenericOp op) {
  if (op->getNumResults() != 1 || op.getNumReductionLoops() == 0 ||
      linalg::isaContractionOpInterface(op) ||
      linalg::isaConvolutionOpInterface(op))
    return {};
  Value start = kiln::constantFillValue(op.getDpsInits()[0].getDefiningOp());
  if (!start || !matchPattern(start, m_AnyZeroFloat()))
    return {};
  BlockArgument out = op.getRegionOutputArgs()[0];
  auto add = op.getBody()->getTerminator()->getOperand(0).getDefiningOp<
      arith::AddFOp>();
  if (!add || !out.hasOneUse())
    return {};
  if (add.getLhs() == out)
    return add.getRhs();
  return add.getRhs() == out ? add.getLhs() : Value();
}

/// When `epilogue` only masks its input `input` (its body yields
/// `select(cond, x, 0)`, `cond` computed from its other inputs), the select.
arith::SelectOp maskOf(linalg::GenericOp epilogue, OpOperand &input) {
  BlockArgument x = epilogue.getMatchingBlockArgument(&input);
  Operation *yielded =
      epilogue.getBody()->getTerminator()->getOperand(0).getDefiningOp();
  auto select = dyn_cast_or_null<arith::SelectOp>(yielded);
  if (!select || select.getTrueValue() != x || !x.hasOneUse() ||
      !matchPattern(select.getFalseValue(), m_AnyZeroFloat()) ||
      !epilogue.getRegionOutputArgs()[0].use_empty())
    return {};
  // Its ops run in the producer's loops: none may ask for the loop indices.
  if (!epilogue.getBody()->getOps<linalg::IndexOp>().empty())
    return {};
  return select;
}

/// A mask on a sum masks each of its terms alike (from a zero start the
/// sums are the same, bit for bit), so `epilogue`, a mask on the sum
/// `producer`, which no kernel would fuse (a pooling gradient before relu's
/// mask), is folded into `producer`'s body: one pass over the output
/// instead of two.
void foldMaskIntoSum(RewriterBase &rewriter, linalg::GenericOp producer,
                     linalg::GenericOp epilogue, OpOperand &input) {
  Value term = summedTerm(producer);
  arith::SelectOp mask = term ? maskOf(epilogue, input) : arith::SelectOp();
  if (!mask)
    return;
  AffineMap outputMap =
      producer.getMatchingIndexingMap(producer.getDpsInitOperand(0));
  SmallVector<Value> inputs = producer.getDpsInputs();
  SmallVector<AffineMap> maps;
  for (OpOperand *operand : producer.getDpsInputOperands())
    maps.push_back(producer.getMatchingIndexingMap(operand));
  SmallVector<OpOperand *> others;
  for (OpOperand *operand : epilogue.getDpsInputOperands())
    if (operand != &input) {
      others.push_back(operand);
      inputs.push_back(operand->get());
      maps.push_back(
          epilogue.getMatchingIndexingMap(operand).compose(outputMap));
    }
  maps.push_back(outputMap);
  rewriter.setInsertionPoint(epilogue);
  auto folded = linalg::GenericOp::create(
      rewriter, producer.getLoc(), producer->getResultTypes(), inputs,
      producer.getDpsInits(), maps, producer.getIteratorTypesArray(),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        IRMapping mapping;
        unsigned count = producer.getNumDpsInputs();
        for (unsigned i = 0; i < count; ++i)
          mapping.map(producer.getBody()->getArgument(i), args[i]);
        for (auto [i, operand] : llvm::enumerate(others))
          mapping.map(epilogue.getMatchingBlockArgument(operand),
                      args[count + i]);
        Value out = args.back();
        mapping.map(producer.getRegionOutputArgs()[0], out);
        // All but the sum, which adds the masked term instead.
        Operation *sum =
            producer.getBody()->getTerminator()->getOperand(0).getDefiningOp();
        for (Operation &op : producer.getBody()->without_terminator())
          if (&op != sum)
            b.clone(op, mapping);
        for (Operation &op : epilogue.getBody()->without_terminator())
          if (&op != mask.getOperation())
            b.clone(op, mapping);
        Value zero = arith::ConstantOp::create(
            b, loc, b.getZeroAttr(out.getType()));
        Value masked = arith::SelectOp::create(
            b, loc, mapping.lookup(mask.getCondition()),
            mapping.lookup(term), zero);
        linalg::YieldOp::create(
            b, loc, ValueRange{arith::AddFOp::create(b, loc, out, masked)});
      });
  rewriter.replaceOp(epilogue, folded->getResults());
  rewriter.eraseOp(producer);
}

class FuseEpiloguesPass
    : public kiln::impl::FuseEpiloguesBase<FuseEpiloguesPass> {
public:
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, OpOperand *>> marked;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (!kiln::isElementwise(op))
        return;
      for (OpOperand *input : op.getDpsInputOperands())
        if (readsWholeReduction(op, *input)) {
          op->setAttr(kiln::kEpilogueAttr, UnitAttr::get(op.getContext()));
          marked.push_back({op, input});
          return;
        }
    });
    IRRewriter rewriter(&getContext());
    for (auto [epilogue, input] : marked)
      if (auto producer = input->get().getDefiningOp<linalg::GenericOp>())
        foldMaskIntoSum(rewriter, producer, epilogue, *input);
  }
};

} // namespace
