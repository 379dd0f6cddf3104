//===- Epilogue.h - Elementwise ops run on their producer's tiles -*- C++ -*-===//
//
// A layer's bias + activation (and, backward, the activation's mask on an
// input gradient) reads each element of a matrix product or convolution
// once. kiln-fuse-epilogues marks such an op; the passes that tile the
// producer (threads, register tiles) then fuse it into the producer's tile
// loops, so it runs on each tile while the tile is in registers instead of
// as a pass over the whole output in memory.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRANSFORMS_EPILOGUE_H
#define KILN_TRANSFORMS_EPILOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace kiln {

/// The attribute kiln-fuse-epilogues puts on the ops it chose.
constexpr llvm::StringLiteral kEpilogueAttr = "kiln.epilogue";

/// Whether `op` computes each element of its one result from the elements
/// of its inputs at the same place: all loops parallel, the output indexed
/// by the loops in order.
bool isElementwise(mlir::linalg::GenericOp op);

/// The marked epilogue that is the only reader of `result`, or null.
mlir::linalg::GenericOp markedEpilogue(mlir::Value result);

/// Fuses the marked epilogue of `loops`' result, if it has one, into
/// `loops`: the loop nest (outermost first) that tiling an op over parallel
/// dimensions just made. Each tile of the op is then followed by the
/// epilogue's tile, and the loops carry the epilogue's output instead of the
/// op's, which nothing reads any more; with `keepResult` (a parallel
/// loop's chunks) the loops still write the op's result (see
/// dropUnreadChunkWrite). Returns the epilogue's
/// tile, or null when there is none or upstream consumer fusion declines
/// (the epilogue then stays a pass of its own after the loops).
mlir::linalg::GenericOp
fuseEpilogue(mlir::RewriterBase &rewriter,
             llvm::MutableArrayRef<mlir::LoopLikeOpInterface> loops,
             bool keepResult = false);

/// When `op` is a chunk of a parallel loop that also runs its marked
/// epilogue, and the chunk's write of `op`'s result is all that uses the
/// loop's copy of it, drops that write. A chunk split by threads keeps
/// writing its producer's result into the shared tensor, which needs no
/// temporary of its own; the pass that then tiles the chunk into register
/// tiles calls this, so those tiles' results, fed to the epilogue in
/// registers, are never stored.
void dropUnreadChunkWrite(mlir::RewriterBase &rewriter, mlir::Operation *op);

/// Whether `applyEpilogue` can run `epilogue` on vectors of its input
/// `input` that run along the last index: its body is elementwise arithmetic
/// that does not read its output, and each other input either runs along
/// the last index as its own last index or does not use it (a broadcast).
bool canApplyEpilogue(mlir::linalg::GenericOp epilogue, unsigned input);

/// `epilogue`'s body applied to `vector`, the elements of its input `input`
/// at `indices` (of the epilogue's loops) and on along the last index; its
/// other inputs are read at the same place with `inBounds`.
mlir::Value applyEpilogue(mlir::OpBuilder &b, mlir::linalg::GenericOp epilogue,
                          unsigned input, mlir::Value vector,
                          mlir::ValueRange indices,
                          llvm::ArrayRef<bool> inBounds);

} // namespace kiln

#endif // KILN_TRANSFORMS_EPILOGUE_H
