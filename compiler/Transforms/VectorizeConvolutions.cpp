//===- VectorizeConvolutions.cpp - Register-tiled direct convolutions ----===//
//
// A convolution as a linalg.generic (the forward one generalized from
// linalg.conv_2d_nhwc_hwcf, or the filter gradient) is a sum of small
// matrix products over shifted windows of its image. This pass emits it as
// a register-tiled loop nest without im2col: a tile of tile-m rows (one
// output dimension, e.g. the output column) by tile-n vector lanes (the
// output's contiguous last dimension, e.g. the output channel) stays in
// vector registers while every reduction step broadcasts tile-m image
// elements and multiplies them with one vector of the other operand.
//
//===----------------------------------------------------------------------===//
#include "Transforms/ConstantFill.h"
#include "Transforms/Epilogue.h"
#include "Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_VECTORIZECONVOLUTIONS
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The roles of a convolution's operands and loops in the direct kernel.
struct ConvolutionPlan {
  unsigned image;  // input read through sums of loop indices (broadcast)
  unsigned vector; // input indexed by the lanes, the other loops plainly
  unsigned rows;   // output dimension of the register tile's rows
  unsigned lanes;  // output's last dimension, the vector lanes
  int64_t rowCount, laneCount;
  SmallVector<unsigned> outer;      // loops around the tiles, outermost first
  SmallVector<unsigned> reductions; // loops inside a tile
};

/// Whether the body is `acc + in0 * in1` (in either operand order).
bool isMultiplyAccumulate(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 3)
    return false;
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc   ? add.getRhs()
                  : add.getRhs() == acc ? add.getLhs()
                                        : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return false;
  Value in0 = body.getArgument(0), in1 = body.getArgument(1);
  return (mul.getLhs() == in0 && mul.getRhs() == in1) ||
         (mul.getLhs() == in1 && mul.getRhs() == in0);
}

bool usesDim(AffineMap map, unsigned dim) { return map.isFunctionOfDim(dim); }

/// How to run `op` as a direct convolution, or nothing when it is not one:
/// out[..., r, ..., l] += image[f(loops)] * other[..., l, ...] where l (the
/// lanes) is the last index of the output and an index of `other` only,
/// the image is indexed by at least one sum of loop indices, and r (the
/// rows) is a static output dimension that the image uses and `other` does
/// not.
std::optional<ConvolutionPlan> planConvolution(linalg::GenericOp op,
                                               int64_t tileN) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !isMultiplyAccumulate(op))
    return std::nullopt;
  for (Type type : op->getOperandTypes()) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.getElementType().isF32() || tensor.getRank() == 0)
      return std::nullopt;
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps[2];
  if (!out.isProjectedPermutation())
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (usesDim(out, d) != (iterators[d] == utils::IteratorType::parallel))
      return std::nullopt;

  ConvolutionPlan plan;
  plan.lanes = out.getDimPosition(out.getNumResults() - 1);
  std::optional<unsigned> vectorInput;
  for (unsigned i = 0; i < 2; ++i) {
    AffineMap map = maps[i];
    if (map.isProjectedPermutation() && usesDim(map, plan.lanes) &&
        !usesDim(maps[1 - i], plan.lanes))
      vectorInput = i;
  }
  if (!vectorInput)
    return std::nullopt;
  plan.vector = *vectorInput;
  plan.image = 1 - plan.vector;
  AffineMap image = maps[plan.image], other = maps[plan.vector];
  if (image.getNumSymbols() != 0)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamic(ranges[plan.lanes]))
    return std::nullopt;
  // Plain products are kiln-vectorize-contractions' job, except those too
  // narrow for one of its tiles (a 10-class output layer), which it leaves
  // as scalar loops.
  if (image.isProjectedPermutation() && ranges[plan.lanes] >= tileN)
    return std::nullopt;

  std::optional<unsigned> rows;
  for (unsigned r = 0; r + 1 < out.getNumResults(); ++r) {
    unsigned d = out.getDimPosition(r);
    if (usesDim(other, d) || !usesDim(image, d))
      continue;
    // The longest static such dimension fills the tile best (ties go to
    // the innermost one); a dynamic one (the batch) only when there is no
    // static one.
    if (!rows ||
        (ShapedType::isDynamic(ranges[*rows])
             ? true
             : !ShapedType::isDynamic(ranges[d]) && ranges[d] >= ranges[*rows]))
      rows = d;
  }
  if (!rows)
    return std::nullopt;
  plan.rows = *rows;
  plan.rowCount = ranges[plan.rows];
  plan.laneCount = ranges[plan.lanes];

  // A reduction over the image's leading index (the batch of a filter
  // gradient) runs outermost when other reductions remain inside the
  // tiles: each step then reuses one image's slices, which stay in cache,
  // for every tile.
  std::optional<unsigned> hoisted;
  if (auto lead = dyn_cast<AffineDimExpr>(image.getResult(0));
      lead && iterators[lead.getPosition()] == utils::IteratorType::reduction &&
      op.getNumReductionLoops() > 1)
    hoisted = lead.getPosition();
  if (hoisted)
    plan.outer.push_back(*hoisted);
  for (unsigned r = 0; r < out.getNumResults(); ++r) {
    unsigned d = out.getDimPosition(r);
    if (d != plan.rows && d != plan.lanes)
      plan.outer.push_back(d);
  }
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (iterators[d] == utils::IteratorType::reduction && d != hoisted)
      plan.reductions.push_back(d);
  return plan;
}

/// Emits the loop nest of one planned convolution in place of the op.
class ConvolutionEmitter {
public:
  /// `fill`: the constant every output element starts from instead of the
  /// output's value (see takeConstantFill), or null.
  /// `epilogue`: an elementwise op that reads the output (its input
  /// `epilogueInput`) and is applied to each tile's vectors, which are then
  /// written to its output instead (kiln-fuse-epilogues), or null.
  ConvolutionEmitter(linalg::GenericOp op, const ConvolutionPlan &plan,
                     int64_t tileM, int64_t tileN, Value fill,
                     linalg::GenericOp epilogue, unsigned epilogueInput)
      : op(op), plan(plan), loc(op.getLoc()), tileM(tileM), tileN(tileN),
        fill(fill), epilogue(epilogue), epilogueInput(epilogueInput),
        operands(op->getOperands()), maps(op.getIndexingMapsArray()) {}

  /// The loop nest's result: the output, or the epilogue's when there is one.
  Value emit(OpBuilder &b) {
    makeLanesContiguous(b);
    auto linalgOp = cast<linalg::LinalgOp>(op.getOperation());
    for (Range range : linalgOp.createLoopRanges(b, loc))
      bounds.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
    indices.assign(op.getNumLoops(), arith::ConstantIndexOp::create(b, loc, 0));
    return loops(b, plan.outer,
                 epilogue ? epilogue.getDpsInits()[0] : operands[2],
                 [&](OpBuilder &b, ValueRange carried) -> SmallVector<Value> {
                   return {allTiles(b, carried[0])};
                 })[0];
  }

private:
  /// When the lanes are not the last index of the vector input (the filter
  /// of an input gradient), reads a copy transposed so that they are: the
  /// copy is as small as the filter and makes each step one vector load.
  void makeLanesContiguous(OpBuilder &b) {
    AffineMap map = maps[plan.vector];
    unsigned rank = map.getNumResults();
    unsigned position = *map.getResultPosition(b.getAffineDimExpr(plan.lanes));
    if (position == rank - 1)
      return;
    SmallVector<int64_t> permutation;
    for (unsigned r = 0; r < rank; ++r)
      if (r != position)
        permutation.push_back(r);
    permutation.push_back(position);
    Value input = operands[plan.vector];
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
    SmallVector<OpFoldResult> permutedSizes;
    SmallVector<AffineExpr> permutedMap;
    for (int64_t r : permutation) {
      permutedSizes.push_back(sizes[r]);
      permutedMap.push_back(map.getResult(r));
    }
    Value init = tensor::EmptyOp::create(
        b, loc, permutedSizes,
        cast<RankedTensorType>(input.getType()).getElementType());
    operands[plan.vector] =
        linalg::TransposeOp::create(b, loc, input, init, permutation)
            .getResult()[0];
    maps[plan.vector] =
        AffineMap::get(map.getNumDims(), 0, permutedMap, b.getContext());
  }

  using Body =
      function_ref<SmallVector<Value>(OpBuilder &, ValueRange carried)>;

  /// Nested unit-step loops over `dims` from 0 to their sizes, carrying
  /// `carried` into `body` at the innermost level.
  SmallVector<Value> loops(OpBuilder &b, ArrayRef<unsigned> dims,
                           ValueRange carried, Body body) {
    if (dims.empty())
      return body(b, carried);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(
        b, loc, zero, bounds[dims.front()], one, carried,
        [&](OpBuilder &nb, Location, Value index, ValueRange args) {
          indices[dims.front()] = index;
          scf::YieldOp::create(nb, loc,
                               loops(nb, dims.drop_front(), args, body));
        });
    return loop.getResults();
  }

  /// The full lane tiles, then the lanes left over as one masked tile a
  /// whole number of vectors (half a tile) wide: a 10-lane vector would
  /// straddle registers unevenly and be shuffled at every step. The masked
  /// tile has one row less, leaving a register for the mask.
  Value allTiles(OpBuilder &b, Value out) {
    int64_t full = plan.laneCount / tileN * tileN;
    if (full > 0)
      out = rowTiles(
          b, out, tileM, [&](OpBuilder &b, Value out, Value row, int64_t rows) {
            return scf::ForOp::create(
                       b, loc, arith::ConstantIndexOp::create(b, loc, 0),
                       arith::ConstantIndexOp::create(b, loc, full),
                       arith::ConstantIndexOp::create(b, loc, tileN),
                       ValueRange{out},
                       [&](OpBuilder &nb, Location, Value lane,
                           ValueRange args) {
                         scf::YieldOp::create(
                             nb, loc,
                             tile(nb, args[0], row, rows, lane, tileN));
                       })
                .getResult(0);
          });
    int64_t left = plan.laneCount - full;
    if (left == 0)
      return out;
    int64_t lanes = llvm::alignTo(left, std::max<int64_t>(1, tileN / 2));
    return rowTiles(b, out, std::max<int64_t>(1, tileM - 1),
                    [&](OpBuilder &b, Value out, Value row, int64_t rows) {
                      return tile(b, out, row, rows,
                                  arith::ConstantIndexOp::create(b, loc, full),
                                  lanes, /*masked=*/true);
                    });
  }

  using RowTile =
      function_ref<Value(OpBuilder &, Value out, Value row, int64_t rows)>;

  /// Full tiles of `tileRows` rows in a loop, then the remaining rows as
  /// one shorter tile, or, for a dynamic number of rows, as 1-row tiles.
  Value rowTiles(OpBuilder &b, Value out, int64_t tileRows, RowTile body) {
    if (ShapedType::isDynamic(plan.rowCount)) {
      Value count = bounds[plan.rows];
      AffineExpr n = b.getAffineDimExpr(0);
      Value full = affine::AffineApplyOp::create(
          b, loc, AffineMap::get(1, 0, n.floorDiv(tileRows) * tileRows),
          ValueRange{count});
      auto tiles = [&](Value from, Value to, int64_t rows) {
        return scf::ForOp::create(
                   b, loc, from, to,
                   arith::ConstantIndexOp::create(b, loc, rows),
                   ValueRange{out},
                   [&](OpBuilder &nb, Location, Value row, ValueRange args) {
                     scf::YieldOp::create(nb, loc,
                                          body(nb, args[0], row, rows));
                   })
            .getResult(0);
      };
      out = tiles(arith::ConstantIndexOp::create(b, loc, 0), full, tileRows);
      return tiles(full, count, 1);
    }
    tileRows = std::min(tileRows, plan.rowCount);
    SmallVector<int64_t> last = lastTileHeights(plan.rowCount, tileRows);
    int64_t full = plan.rowCount - llvm::sum_of(last);
    auto loop = scf::ForOp::create(
        b, loc, arith::ConstantIndexOp::create(b, loc, 0),
        arith::ConstantIndexOp::create(b, loc, full),
        arith::ConstantIndexOp::create(b, loc, tileRows), ValueRange{out},
        [&](OpBuilder &nb, Location, Value row, ValueRange args) {
          scf::YieldOp::create(nb, loc, body(nb, args[0], row, tileRows));
        });
    out = loop.getResult(0);
    for (int64_t rows : last) {
      out = body(b, out, arith::ConstantIndexOp::create(b, loc, full), rows);
      full += rows;
    }
    return out;
  }

  /// The heights of the tiles after the loop of full `tileRows` tiles over
  /// `count` (>= tileRows) rows. A short tile loads a whole vector of the
  /// other operand for few FMAs (one or two rows: half speed or worse), so a
  /// remainder more than two rows short of a full tile takes one full tile
  /// with it and both are split evenly: 14 rows are 6 + 4 + 4, not
  /// 6 + 6 + 2.
  static SmallVector<int64_t> lastTileHeights(int64_t count, int64_t tileRows) {
    int64_t left = count % tileRows;
    if (left == 0)
      return {};
    if (left >= tileRows - 2)
      return {left};
    int64_t both = tileRows + left;
    return {(both + 1) / 2, both / 2};
  }

  /// out[rows from `row`, lanes from `lane`] += the sum over the
  /// reduction loops, accumulated in `rows` vectors of `lanes` elements.
  /// A masked tile reads and writes only the lanes inside the output.
  Value tile(OpBuilder &b, Value out, Value row, int64_t rows, Value lane,
             int64_t lanes, bool masked = false) {
    SmallVector<bool> inBounds{!masked};
    auto type = VectorType::get({lanes}, b.getF32Type());
    indices[plan.lanes] = lane;
    auto atRow = [&](OpBuilder &b, int64_t i) {
      indices[plan.rows] =
          i == 0 ? row
                 : arith::AddIOp::create(
                       b, loc, row, arith::ConstantIndexOp::create(b, loc, i));
    };
    Value padding =
        arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(0.0f));
    SmallVector<Value> acc;
    Value start =
        fill ? vector::BroadcastOp::create(b, loc, type, fill) : Value();
    // With an epilogue, `out` is its output: the initial values are read
    // from the op's own output, which nothing writes.
    Value initial = epilogue ? operands[2] : out;
    for (int64_t i = 0; i < rows; ++i) {
      atRow(b, i);
      acc.push_back(start ? start
                          : vector::TransferReadOp::create(
                                b, loc, type, initial, operandIndices(b, 2),
                                padding, inBounds));
    }
    SmallVector<Value> sums =
        loops(b, plan.reductions, acc,
              [&](OpBuilder &b, ValueRange acc) -> SmallVector<Value> {
                Value column = vector::TransferReadOp::create(
                    b, loc, type, operands[plan.vector],
                    operandIndices(b, plan.vector), padding, inBounds);
                SmallVector<Value> next;
                for (int64_t i = 0; i < rows; ++i) {
                  atRow(b, i);
                  Value x =
                      tensor::ExtractOp::create(b, loc, operands[plan.image],
                                                operandIndices(b, plan.image));
                  Value splat = vector::BroadcastOp::create(b, loc, type, x);
                  next.push_back(
                      vector::FMAOp::create(b, loc, splat, column, acc[i]));
                }
                return next;
              });
    for (int64_t i = 0; i < rows; ++i) {
      atRow(b, i);
      SmallVector<Value> at = operandIndices(b, 2);
      Value result = epilogue ? kiln::applyEpilogue(b, epilogue, epilogueInput,
                                                    sums[i], at, inBounds)
                              : sums[i];
      out = vector::TransferWriteOp::create(b, loc, result, out, at, inBounds)
                .getResult();
    }
    return out;
  }

  /// The indices of operand `number` at the current loop indices.
  SmallVector<Value> operandIndices(OpBuilder &b, unsigned number) {
    AffineMap map = maps[number];
    SmallVector<OpFoldResult> operands(indices.begin(), indices.end());
    SmallVector<Value> result;
    for (AffineExpr expr : map.getResults())
      result.push_back(getValueOrCreateConstantIndexOp(
          b, loc,
          affine::makeComposedFoldedAffineApply(
              b, loc, AffineMap::get(map.getNumDims(), 0, expr), operands)));
    return result;
  }

  linalg::GenericOp op;
  const ConvolutionPlan &plan;
  Location loc;
  int64_t tileM, tileN;
  Value fill;
  linalg::GenericOp epilogue;
  unsigned epilogueInput;
  SmallVector<Value> operands; // image and vector input, output
  SmallVector<AffineMap> maps; // their indexing maps
  SmallVector<Value> bounds;   // size of each loop
  SmallVector<Value> indices;  // current index of each loop while emitting
};

class VectorizeConvolutionsPass
    : public kiln::impl::VectorizeConvolutionsBase<VectorizeConvolutionsPass> {
public:
  using VectorizeConvolutionsBase::VectorizeConvolutionsBase;

  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, ConvolutionPlan>> convolutions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (auto plan = planConvolution(op, tileN))
        convolutions.emplace_back(op, *plan);
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, plan] : convolutions) {
      rewriter.setInsertionPoint(op);
      // Tiles visited once each (no reduction outside them, as a filter
      // gradient's batch is) start from a zero fill's constant: the fill is
      // no longer a pass over the output in memory, nor the tiles' first
      // read of it.
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      bool onePass = llvm::none_of(plan.outer, [&](unsigned d) {
        return iterators[d] == utils::IteratorType::reduction;
      });
      Value fill = onePass ? kiln::takeConstantFill(op) : Value();
      // Each tile is final after its reductions only when none runs
      // outside them: then the marked epilogue runs on it in registers.
      linalg::GenericOp epilogue;
      unsigned epilogueInput = 0;
      if (onePass) {
        kiln::dropUnreadChunkWrite(rewriter, op);
        epilogue = kiln::markedEpilogue(op->getResult(0));
        if (epilogue) {
          epilogueInput = op->getResult(0).use_begin()->getOperandNumber();
          if (!kiln::canApplyEpilogue(epilogue, epilogueInput))
            epilogue = {};
        }
      }
      if (epilogue) {
        // Where the epilogue's operands are all defined.
        rewriter.setInsertionPoint(epilogue);
        ConvolutionEmitter emitter(op, plan, tileM, tileN, fill, epilogue,
                                   epilogueInput);
        rewriter.replaceOp(epilogue, emitter.emit(rewriter));
        rewriter.eraseOp(op);
        continue;
      }
      ConvolutionEmitter emitter(op, plan, tileM, tileN, fill, {}, 0);
      rewriter.replaceOp(op, emitter.emit(rewriter));
    }
  }
};

} // namespace
