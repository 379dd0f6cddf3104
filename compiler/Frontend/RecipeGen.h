//===- RecipeGen.h - The train and data blocks of a .kiln file -----------===//
#ifndef KILN_FRONTEND_RECIPEGEN_H
#define KILN_FRONTEND_RECIPEGEN_H

#include "Frontend/AST.h"
#include "Frontend/ExprEval.h"
#include "Frontend/Recipe.h"

#include "mlir/IR/BuiltinOps.h"

namespace kiln {

/// Where the train block names its metrics (invalid when it does not), for
/// the checks that need the model's labels and outputs.
struct MetricLocations {
  llvm::SMLoc accuracy, topK; // topK: the value of k
};

/// Checks the `train { }` and `data { }` blocks, fills `recipe`, and records
/// what the generated code needs (optimizer, schedule, regularization,
/// clipping) as attributes of `module` (see Kiln/IR/KilnModel.h).
mlir::LogicalResult generateRecipe(const ast::Module &file,
                                   mlir::ModuleOp module,
                                   TrainingRecipe &recipe, ErrorAt error,
                                   MetricLocations &metrics);

} // namespace kiln

#endif // KILN_FRONTEND_RECIPEGEN_H
