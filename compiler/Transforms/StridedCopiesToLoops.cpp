//===- StridedCopiesToLoops.cpp - memref.copy of strided views as loops ---===//
//
// convert-memref-to-llvm turns a memref.copy between contiguous buffers into
// a memcpy, but any other copy (a slice of a chunk written back by a
// parallel loop, a window of a padded buffer) into a call to `memrefCopy`
// from MLIR's C runner utilities, which a model's object must not need.
// Such copies become linalg.copy, which convert-linalg-to-loops lowers to
// plain loops inside the object.
//
//===----------------------------------------------------------------------===//
#include "Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_STRIDEDCOPIESTOLOOPS
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Whether convert-memref-to-llvm copies `type` with a plain memcpy.
bool copiesAsMemcpy(Type type) {
  auto memref = cast<MemRefType>(type);
  return memref.getLayout().isIdentity() ||
         memref::isStaticShapeAndContiguousRowMajor(memref);
}

struct StridedCopiesToLoopsPass
    : kiln::impl::StridedCopiesToLoopsBase<StridedCopiesToLoopsPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> strided;
    getOperation()->walk([&](memref::CopyOp copy) {
      if (!isa<MemRefType>(copy.getSource().getType()) ||
          !isa<MemRefType>(copy.getTarget().getType()))
        return;
      if (!copiesAsMemcpy(copy.getSource().getType()) ||
          !copiesAsMemcpy(copy.getTarget().getType()))
        strided.push_back(copy);
    });
    for (memref::CopyOp copy : strided) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
