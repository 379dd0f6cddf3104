//===- RecipeGen.cpp - The train and data blocks of a .kiln file ---------===//
#include "Frontend/RecipeGen.h"

#include "Kiln/IR/KilnModel.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace kiln {
namespace {

class RecipeReader {
public:
  RecipeReader(ModuleOp module, TrainingRecipe &recipe, ErrorAt error)
      : builder(module.getContext()), module(module), recipe(recipe),
        error(error) {}

  LogicalResult trainBlock(const ast::ConfigBlock *block);
  LogicalResult dataBlock(const ast::ConfigBlock &block);

private:
  LogicalResult optimizer(const ast::Expr &expr);
  FailureOr<DataSource> dataSource(const ast::Expr &expr);

  OpBuilder builder;
  ModuleOp module;
  TrainingRecipe &recipe;
  ErrorAt error;
};

LogicalResult RecipeReader::optimizer(const ast::Expr &expr) {
  auto *call = dyn_cast<ast::CallExpr>(&expr);
  if (!call)
    return error(expr.getLoc())
           << "expected an optimizer such as sgd(learning_rate = 0.1)";
  if (call->callee != "sgd" && call->callee != "gd")
    return error(call->getLoc())
           << "unknown optimizer '" << call->callee << "' (expected sgd or gd)";
  if (!call->args.empty())
    return error(call->args.front()->getLoc())
           << "optimizer arguments must be named, e.g. learning_rate = 0.1";
  if (failed(checkKeywords(*call, {"learning_rate"}, error)))
    return failure();
  if (const ast::Expr *rate = findKeyword(*call, "learning_rate")) {
    auto value = evaluateNumber(*rate, error);
    if (failed(value))
      return failure();
    if (*value <= 0)
      return error(rate->getLoc()) << "learning_rate must be positive";
    recipe.learningRate = *value;
  }
  recipe.optimizer = "sgd";
  return success();
}

LogicalResult RecipeReader::trainBlock(const ast::ConfigBlock *block) {
  constexpr int64_t kMaxCount = 1'000'000'000'000;
  if (block) {
    for (const ast::ConfigEntry &entry : block->entries) {
      const ast::Expr &value = *entry.value;
      if (entry.key == "batch_size" || entry.key == "epochs") {
        auto count = evaluateInteger(value, 1, kMaxCount, error);
        if (failed(count))
          return failure();
        (entry.key == "epochs" ? recipe.epochs : recipe.batchSize) = *count;
      } else if (entry.key == "seed") {
        auto seed = evaluateInteger(value, 0, INT64_MAX, error);
        if (failed(seed))
          return failure();
        recipe.seed = *seed;
      } else if (entry.key == "optimizer") {
        if (failed(optimizer(value)))
          return failure();
      } else {
        return error(entry.loc) << "unknown 'train' setting '" << entry.key
                                << "' (expected optimizer, batch_size, "
                                   "epochs or seed)";
      }
    }
  }
  module->setAttr(
      model::kOptimizerAttr,
      builder.getDictionaryAttr({
          builder.getNamedAttr("kind", builder.getStringAttr(recipe.optimizer)),
          builder.getNamedAttr("learning_rate",
                               builder.getF32FloatAttr(recipe.learningRate)),
      }));
  return success();
}

FailureOr<DataSource> RecipeReader::dataSource(const ast::Expr &expr) {
  auto *call = dyn_cast<ast::CallExpr>(&expr);
  if (!call || call->callee != "idx")
    return error(expr.getLoc())
           << "expected a data source such as idx(\"images.gz\", "
              "\"labels.gz\", scale = 1/255)";
  if (call->args.size() != 2)
    return error(call->getLoc()) << "'idx' expects 2 positional arguments "
                                    "(images file, labels file), got "
                                 << call->args.size();
  if (failed(checkKeywords(*call, {"scale", "shift"}, error)))
    return failure();
  DataSource source;
  source.format = "idx";
  auto images = evaluateString(*call->args[0], error);
  if (failed(images))
    return failure();
  auto labels = evaluateString(*call->args[1], error);
  if (failed(labels))
    return failure();
  source.images = *images;
  source.labels = *labels;
  for (StringRef key : {"scale", "shift"})
    if (const ast::Expr *value = findKeyword(*call, key)) {
      auto number = evaluateNumber(*value, error);
      if (failed(number))
        return failure();
      (key == "scale" ? source.scale : source.shift) = *number;
    }
  return source;
}

LogicalResult RecipeReader::dataBlock(const ast::ConfigBlock &block) {
  for (const ast::ConfigEntry &entry : block.entries) {
    if (entry.key != "train" && entry.key != "test")
      return error(entry.loc) << "unknown 'data' entry '" << entry.key
                              << "' (expected train or test)";
    auto source = dataSource(*entry.value);
    if (failed(source))
      return failure();
    (entry.key == "train" ? recipe.train : recipe.test) = *source;
  }
  return success();
}

} // namespace

LogicalResult generateRecipe(const ast::Module &file, ModuleOp module,
                             TrainingRecipe &recipe, ErrorAt error) {
  RecipeReader reader(module, recipe, error);
  if (failed(reader.trainBlock(file.findBlock("train"))))
    return failure();
  if (const ast::ConfigBlock *data = file.findBlock("data"))
    return reader.dataBlock(*data);
  return success();
}

} // namespace kiln
