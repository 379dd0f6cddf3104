//===- RecipeGen.cpp - The train and data blocks of a .kiln file ---------===//
#include "Frontend/RecipeGen.h"

#include "Kiln/IR/KilnModel.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;

namespace kiln {
namespace {

class RecipeReader {
public:
  RecipeReader(const ast::Module &file, ModuleOp module,
               TrainingRecipe &recipe, ErrorAt error,
               MetricLocations &metricLocs)
      : builder(module.getContext()), file(file), module(module),
        recipe(recipe), error(error), metricLocs(metricLocs) {}

  LogicalResult trainBlock(const ast::ConfigBlock *block);
  LogicalResult dataBlock(const ast::ConfigBlock &block);

private:
  LogicalResult optimizer(const ast::Expr &expr);
  FailureOr<Attribute> learningRate(const ast::Expr &expr);
  FailureOr<Attribute> piecewiseConstant(const ast::CallExpr &call);
  LogicalResult regularization(const ast::Expr &expr);
  LogicalResult metrics(const ast::Expr &expr);
  FailureOr<DataSource> dataSource(const ast::Expr &expr);
  LogicalResult csvColumnGroups(const ast::Expr &expr, DataSource &source);

  OpBuilder builder;
  const ast::Module &file;
  ModuleOp module;
  TrainingRecipe &recipe;
  ErrorAt error;
  MetricLocations &metricLocs;
  SmallVector<Attribute> penalties;
};

/// Keras' names and positional order of each schedule's arguments.
struct ScheduleSignature {
  StringRef name;
  llvm::SmallVector<StringRef> positional;
  llvm::SmallVector<StringRef> optional;
};

const ScheduleSignature kSchedules[] = {
    {"exponential_decay",
     {"initial_learning_rate", "decay_steps", "decay_rate"},
     {"staircase", "warmup_steps"}},
    {"cosine_decay",
     {"initial_learning_rate", "decay_steps"},
     {"alpha", "warmup_steps"}},
    {"constant", {"initial_learning_rate"}, {"warmup_steps"}},
};

/// Optimizer names, the kind they compile to, and their hyper-parameters
/// besides learning_rate and the common weight_decay/clip* arguments.
struct OptimizerSignature {
  StringRef name, kind;
  double defaultRate;
  llvm::SmallVector<StringRef> numbers, flags;
};

const OptimizerSignature kOptimizers[] = {
    {"sgd", "sgd", 0.01, {"momentum"}, {"nesterov"}},
    {"gd", "sgd", 0.01, {}, {}},
    {"momentum", "sgd", 0.01, {"momentum"}, {"nesterov"}},
    {"adam", "adam", 0.001, {"beta_1", "beta_2", "epsilon"}, {}},
    {"adamw", "adamw", 0.001, {"beta_1", "beta_2", "epsilon"}, {}},
    {"rmsprop", "rmsprop", 0.001, {"rho", "momentum", "epsilon"}, {"centered"}},
    {"adagrad", "adagrad", 0.001, {"initial_accumulator_value", "epsilon"}, {}},
};

const StringRef kCommonOptimizerNumbers[] = {"weight_decay", "clipnorm",
                                             "global_clipnorm", "clipvalue"};

FailureOr<Attribute> RecipeReader::learningRate(const ast::Expr &expr) {
  auto *call = dyn_cast<ast::CallExpr>(&expr);
  if (!call) {
    auto value = evaluateNumber(expr, error);
    if (failed(value))
      return failure();
    if (*value <= 0)
      return error(expr.getLoc()) << "learning_rate must be positive";
    recipe.learningRate = *value;
    return Attribute(builder.getF32FloatAttr(*value));
  }
  if (call->callee == "piecewise_constant")
    return piecewiseConstant(*call);
  const ScheduleSignature *signature = nullptr;
  for (const ScheduleSignature &s : kSchedules)
    if (s.name == call->callee)
      signature = &s;
  if (!signature)
    return error(call->getLoc())
           << "unknown learning-rate schedule '" << call->callee
           << "' (expected exponential_decay, cosine_decay, piecewise_constant "
              "or constant)";
  if (call->args.size() > signature->positional.size())
    return error(call->args[signature->positional.size()]->getLoc())
           << "'" << call->callee << "' takes at most "
           << signature->positional.size() << " positional arguments";
  SmallVector<StringRef> allowed(signature->positional);
  llvm::append_range(allowed, signature->optional);
  if (failed(checkKeywords(*call, allowed, error)))
    return failure();
  SmallVector<NamedAttribute> attrs{
      builder.getNamedAttr("kind", builder.getStringAttr(call->callee))};
  for (auto [i, key] : llvm::enumerate(allowed)) {
    const ast::Expr *value = i < call->args.size() ? call->args[i].get()
                                                   : findKeyword(*call, key);
    if (!value) {
      if (i < signature->positional.size())
        return error(call->getLoc()) << "'" << call->callee << "' needs '"
                                     << key << "'";
      continue;
    }
    if (key == "staircase") {
      auto flag = evaluateFlag(*value, error);
      if (failed(flag))
        return failure();
      attrs.push_back(builder.getNamedAttr(key, builder.getBoolAttr(*flag)));
      continue;
    }
    auto number = evaluateNumber(*value, error);
    if (failed(number))
      return failure();
    bool positive = key != "alpha" && key != "warmup_steps";
    if (*number < 0 || (positive && *number == 0))
      return error(value->getLoc()) << "'" << key << "' must be "
                                    << (positive ? "positive" : "non-negative");
    if (key == "initial_learning_rate")
      recipe.learningRate = *number;
    attrs.push_back(
        builder.getNamedAttr(key, builder.getF32FloatAttr(*number)));
  }
  return Attribute(builder.getDictionaryAttr(attrs));
}

/// `piecewise_constant(boundaries = [b0, ...], values = [v0, v1, ...])`, as
/// Keras' PiecewiseConstantDecay: values[0] up to step b0, values[i] after
/// b(i-1) up to bi, the last value after the last boundary. Boundaries are
/// step counts in increasing order; there is one more value than boundaries.
FailureOr<Attribute>
RecipeReader::piecewiseConstant(const ast::CallExpr &call) {
  auto args = bindArguments(call, {"boundaries", "values", "warmup_steps"}, 2,
                            error);
  if (failed(args))
    return failure();
  // Each list's elements with their locations.
  auto list = [&](const ast::Expr &value, StringRef key)
      -> FailureOr<SmallVector<std::pair<double, SMLoc>>> {
    auto *elements = dyn_cast<ast::ListExpr>(&value);
    if (!elements || elements->elements.empty())
      return error(value.getLoc())
             << "'" << key << "' must be a non-empty list of numbers, e.g. "
             << (key == "values" ? "[0.1, 0.01]" : "[1000]");
    SmallVector<std::pair<double, SMLoc>> result;
    for (const ast::ExprPtr &element : elements->elements) {
      auto number = evaluateNumber(*element, error);
      if (failed(number))
        return failure();
      result.push_back({*number, element->getLoc()});
    }
    return result;
  };
  auto boundaries = list(*(*args)[0], "boundaries");
  if (failed(boundaries))
    return failure();
  auto values = list(*(*args)[1], "values");
  if (failed(values))
    return failure();
  if (values->size() != boundaries->size() + 1)
    return error((*args)[1]->getLoc())
           << "piecewise_constant needs one more value than boundaries: "
           << boundaries->size() << " boundar"
           << (boundaries->size() == 1 ? "y takes " : "ies take ")
           << boundaries->size() + 1 << " values, got " << values->size();
  for (auto [i, boundary] : llvm::enumerate(*boundaries)) {
    if (boundary.first < 0 || boundary.first != std::floor(boundary.first))
      return error(boundary.second)
             << "boundaries are step counts: expected a whole number >= 0";
    if (i > 0 && boundary.first <= (*boundaries)[i - 1].first)
      return error(boundary.second)
             << "boundaries must increase: " << int64_t(boundary.first)
             << " follows " << int64_t((*boundaries)[i - 1].first);
  }
  for (auto [value, loc] : *values)
    if (value <= 0)
      return error(loc) << "learning rates must be positive";
  SmallVector<Attribute> boundaryAttrs, valueAttrs;
  for (auto [value, loc] : *boundaries)
    boundaryAttrs.push_back(builder.getF32FloatAttr(value));
  for (auto [value, loc] : *values)
    valueAttrs.push_back(builder.getF32FloatAttr(value));
  SmallVector<NamedAttribute> attrs{
      builder.getNamedAttr("kind", builder.getStringAttr(call.callee)),
      builder.getNamedAttr("boundaries", builder.getArrayAttr(boundaryAttrs)),
      builder.getNamedAttr("values", builder.getArrayAttr(valueAttrs))};
  if (const ast::Expr *warmup = (*args)[2]) {
    auto steps = evaluateInteger(*warmup, 0, INT64_MAX, error);
    if (failed(steps))
      return failure();
    attrs.push_back(builder.getNamedAttr(
        "warmup_steps", builder.getF32FloatAttr(double(*steps))));
  }
  recipe.learningRate = values->front().first;
  return Attribute(builder.getDictionaryAttr(attrs));
}

LogicalResult RecipeReader::optimizer(const ast::Expr &expr) {
  auto *call = dyn_cast<ast::CallExpr>(&expr);
  const OptimizerSignature *signature = nullptr;
  for (const OptimizerSignature &o : kOptimizers)
    if (call && o.name == call->callee)
      signature = &o;
  if (!signature)
    return error(expr.getLoc())
           << "unknown optimizer"
           << (call ? " '" + call->callee + "'" : std::string())
           << " (expected sgd, momentum, adam, adamw, rmsprop or adagrad, "
              "e.g. adam(learning_rate = 0.001))";
  if (!call->args.empty())
    return error(call->args.front()->getLoc())
           << "optimizer arguments must be named, e.g. learning_rate = 0.1";
  SmallVector<StringRef> allowed{"learning_rate"};
  llvm::append_range(allowed, signature->numbers);
  llvm::append_range(allowed, signature->flags);
  llvm::append_range(allowed, kCommonOptimizerNumbers);
  if (failed(checkKeywords(*call, allowed, error)))
    return failure();

  recipe.optimizer = signature->kind.str();
  recipe.learningRate = signature->defaultRate;
  SmallVector<NamedAttribute> attrs{
      builder.getNamedAttr("kind", builder.getStringAttr(signature->kind))};
  Attribute rate = builder.getF32FloatAttr(signature->defaultRate);
  if (const ast::Expr *value = findKeyword(*call, "learning_rate")) {
    auto parsed = learningRate(*value);
    if (failed(parsed))
      return failure();
    rate = *parsed;
  }
  attrs.push_back(builder.getNamedAttr("learning_rate", rate));
  // `momentum(...)` is SGD whose momentum defaults to 0.9 (TF1's optimizer).
  if (call->callee == "momentum" && !findKeyword(*call, "momentum"))
    attrs.push_back(
        builder.getNamedAttr("momentum", builder.getF32FloatAttr(0.9f)));
  for (const ast::KeywordArg &kw : call->kwargs) {
    if (kw.name == "learning_rate")
      continue;
    if (llvm::is_contained(signature->flags, kw.name)) {
      auto flag = evaluateFlag(*kw.value, error);
      if (failed(flag))
        return failure();
      attrs.push_back(builder.getNamedAttr(kw.name, builder.getBoolAttr(*flag)));
      continue;
    }
    auto number = evaluateNumber(*kw.value, error);
    if (failed(number))
      return failure();
    bool fraction = kw.name == "beta_1" || kw.name == "beta_2" ||
                    kw.name == "rho" || kw.name == "momentum";
    bool positive = StringRef(kw.name).contains("clip");
    if (*number < 0 || (fraction && *number >= 1) ||
        (positive && *number == 0))
      return error(kw.value->getLoc())
             << "'" << kw.name << "' must be "
             << (fraction ? "in [0, 1)" : positive ? "positive" : "non-negative");
    attrs.push_back(builder.getNamedAttr(kw.name,
                                         builder.getF32FloatAttr(*number)));
  }
  module->setAttr(model::kOptimizerAttr, builder.getDictionaryAttr(attrs));
  return success();
}

LogicalResult RecipeReader::regularization(const ast::Expr &expr) {
  auto *call = dyn_cast<ast::CallExpr>(&expr);
  if (!call || (call->callee != "l1" && call->callee != "l2" &&
                call->callee != "l1_l2"))
    return error(expr.getLoc()) << "expected a regularizer: l1(factor), "
                                   "l2(factor) or l1_l2(l1 = a, l2 = b)";
  bool both = call->callee == "l1_l2";
  if (call->args.size() != (both ? 0u : 1u))
    return error(call->getLoc())
           << "'" << call->callee << "' expects "
           << (both ? "keyword arguments l1 and l2" : "one factor");
  SmallVector<StringRef> allowed{"params"};
  if (both)
    allowed.append({"l1", "l2"});
  if (failed(checkKeywords(*call, allowed, error)))
    return failure();
  // Which parameters: `params = w1` (one name); all of them by default.
  SmallVector<Attribute> names;
  if (const ast::Expr *params = findKeyword(*call, "params")) {
    auto *name = dyn_cast<ast::NameExpr>(params);
    if (!name)
      return error(params->getLoc()) << "expected a parameter name";
    if (!llvm::any_of(file.params, [&](const ast::ParamDecl &p) {
          return p.name == name->name;
        }))
      return error(params->getLoc())
             << "'" << name->name << "' is not a parameter of the model";
    names.push_back(builder.getStringAttr(name->name));
  }
  auto add = [&](StringRef kind, const ast::Expr &value) -> LogicalResult {
    auto factor = evaluateNumber(value, error);
    if (failed(factor))
      return failure();
    if (*factor < 0)
      return error(value.getLoc()) << "regularization factor must be "
                                      "non-negative";
    penalties.push_back(builder.getDictionaryAttr({
        builder.getNamedAttr("kind", builder.getStringAttr(kind)),
        builder.getNamedAttr("factor", builder.getF32FloatAttr(*factor)),
        builder.getNamedAttr("params", builder.getArrayAttr(names)),
    }));
    return success();
  };
  if (!both)
    return add(call->callee, *call->args[0]);
  for (StringRef kind : {"l1", "l2"})
    if (const ast::Expr *value = findKeyword(*call, kind))
      if (failed(add(kind, *value)))
        return failure();
  return success();
}

/// `[accuracy, top_k_accuracy(k = 5)]`: which metrics evaluation reports
/// besides the loss.
LogicalResult RecipeReader::metrics(const ast::Expr &expr) {
  auto *list = dyn_cast<ast::ListExpr>(&expr);
  if (!list)
    return error(expr.getLoc())
           << "expected a list of metrics, e.g. [accuracy, top_k_accuracy(k = 5)]";
  for (const ast::ExprPtr &element : list->elements) {
    if (auto *name = dyn_cast<ast::NameExpr>(element.get());
        name && name->name == "accuracy") {
      metricLocs.accuracy = name->getLoc();
      continue;
    }
    auto *call = dyn_cast<ast::CallExpr>(element.get());
    if (!call || call->callee != "top_k_accuracy")
      return error(element->getLoc())
             << "unknown metric (expected accuracy or top_k_accuracy(k))";
    if (recipe.topK != 0)
      return error(call->getLoc()) << "top_k_accuracy is listed twice";
    auto args = bindArguments(*call, {"k"}, 1, error);
    if (failed(args))
      return failure();
    auto k = evaluateInteger(*(*args)[0], 1, INT32_MAX, error);
    if (failed(k))
      return failure();
    recipe.topK = *k;
    metricLocs.topK = (*args)[0]->getLoc();
    // Compiled into evaluate (kiln-generate-training).
    module->setAttr(model::kTopKAttr, builder.getI64IntegerAttr(*k));
  }
  return success();
}

LogicalResult RecipeReader::trainBlock(const ast::ConfigBlock *block) {
  constexpr int64_t kMaxCount = 1'000'000'000'000;
  // Plain SGD at Keras' default rate unless the block says otherwise.
  module->setAttr(
      model::kOptimizerAttr,
      builder.getDictionaryAttr({
          builder.getNamedAttr("kind", builder.getStringAttr("sgd")),
          builder.getNamedAttr("learning_rate",
                               builder.getF32FloatAttr(recipe.learningRate)),
      }));
  if (!block)
    return success();
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
    } else if (entry.key == "regularization") {
      if (failed(regularization(value)))
        return failure();
    } else if (entry.key == "drop_remainder") {
      auto flag = evaluateFlag(value, error);
      if (failed(flag))
        return failure();
      recipe.dropRemainder = *flag;
    } else if (entry.key == "metrics") {
      if (failed(metrics(value)))
        return failure();
    } else {
      return error(entry.loc) << "unknown 'train' setting '" << entry.key
                              << "' (expected optimizer, regularization, "
                                 "batch_size, epochs, seed, drop_remainder or "
                                 "metrics)";
    }
  }
  if (!penalties.empty())
    module->setAttr(model::kRegularizationAttr,
                    builder.getArrayAttr(penalties));
  return success();
}

/// A data source format: its positional file arguments and its keywords
/// (`scale` and `shift` are common to all).
struct DataFormat {
  StringRef name;
  llvm::SmallVector<StringRef> files; // what each positional argument is
  llvm::SmallVector<StringRef> keywords;
  StringRef example;
};

const DataFormat kDataFormats[] = {
    {"idx",
     {"images file", "labels file"},
     {},
     "idx(\"train-images.gz\", \"train-labels.gz\", scale = 1/255)"},
    {"csv",
     {"CSV file"},
     {"label", "inputs"},
     "csv(\"train.csv\", label = \"class\")"},
    {"npy",
     {"features file", "labels file"},
     {},
     "npy(\"x_train.npy\", \"y_train.npy\")"},
    {"npz",
     {"archive"},
     {"x", "y"},
     "npz(\"train.npz\", x = \"x\", y = \"y\")"},
};

/// "idx, csv, npy or npz".
std::string dataFormatNames() {
  std::string names;
  for (auto [i, format] : llvm::enumerate(kDataFormats))
    names += (i == 0 ? "" : i + 1 == std::size(kDataFormats) ? " or " : ", ") +
             format.name.str();
  return names;
}

FailureOr<DataSource> RecipeReader::dataSource(const ast::Expr &expr) {
  auto *call = dyn_cast<ast::CallExpr>(&expr);
  if (!call)
    return error(expr.getLoc())
           << "expected a data source: " << dataFormatNames()
           << ", e.g. " << kDataFormats[0].example;
  const DataFormat *format = nullptr;
  for (const DataFormat &f : kDataFormats)
    if (f.name == call->callee)
      format = &f;
  if (!format)
    return error(call->getLoc())
           << "unknown data format '" << call->callee << "' (expected "
           << dataFormatNames() << ")";
  if (call->args.size() != format->files.size()) {
    auto diag = error(call->args.size() > format->files.size()
                          ? call->args[format->files.size()]->getLoc()
                          : call->getLoc())
                << "'" << format->name << "' expects " << format->files.size()
                << " positional argument"
                << (format->files.size() == 1 ? "" : "s") << " (";
    llvm::interleave(format->files, diag, ", ");
    diag << "), got " << call->args.size() << "; e.g. " << format->example;
    return failure();
  }
  SmallVector<StringRef> allowed(format->keywords);
  allowed.append({"scale", "shift"});
  if (failed(checkKeywords(*call, allowed, error)))
    return failure();

  // A non-empty string: a path, a column name or an array key.
  auto text = [&](const ast::Expr &value,
                  StringRef what) -> FailureOr<std::string> {
    if (!isa<ast::StringExpr>(value))
      return error(value.getLoc()) << "expected " << what << " as a string";
    auto result = evaluateString(value, error);
    if (failed(result))
      return failure();
    if (result->empty())
      return error(value.getLoc()) << what << " must not be empty";
    return result;
  };
  DataSource source;
  source.format = format->name.str();
  // A model of several inputs reads one features file per input (npy).
  SmallVector<StringRef> inputs;
  for (const ast::InputDecl &input : file.inputs)
    if (!input.isLabel)
      inputs.push_back(input.name);
  // ... or csv the columns of each input (`inputs = [["x1"], ["x2"]]`).
  auto *featureList = dyn_cast<ast::ListExpr>(call->args[0].get());
  const ast::Expr *columnGroups =
      format->name == "csv" ? findKeyword(*call, "inputs") : nullptr;
  if (inputs.size() > 1 && !columnGroups &&
      (format->name != "npy" || !featureList ||
       featureList->elements.size() != inputs.size())) {
    auto diag = error(featureList ? featureList->getLoc() : call->getLoc())
                << "the model has " << inputs.size() << " inputs (";
    llvm::interleaveComma(inputs, diag);
    diag << "): give npy one features file per input, in that order, e.g. "
            "npy([\"" << inputs[0] << ".npy\", \"" << inputs[1]
         << ".npy\"], \"labels.npy\"), or csv the columns of each, e.g. "
            "csv(\"train.csv\", label = \"y\", inputs = [[\"" << inputs[0]
         << "1\"], [\"" << inputs[1] << "1\"]])";
    return failure();
  }
  // A model of several labels reads one labels file (npy), column (csv) or
  // array (npz) per label: a list, in declaration order.
  SmallVector<StringRef> labels;
  for (const ast::InputDecl &input : file.inputs)
    if (input.isLabel)
      labels.push_back(input.name);
  auto labelNames = [&](const ast::Expr &value,
                        StringRef what) -> FailureOr<SmallVector<std::string>> {
    auto *list = dyn_cast<ast::ListExpr>(&value);
    if (labels.size() <= 1 && !list) {
      auto name = text(value, what);
      if (failed(name))
        return failure();
      return SmallVector<std::string>{*name};
    }
    if (format->name == "idx" || !list ||
        list->elements.size() != labels.size()) {
      auto diag = error(value.getLoc())
                  << "the model has " << labels.size() << " label"
                  << (labels.size() == 1 ? "" : "s") << " (";
      llvm::interleaveComma(labels, diag);
      diag << "): ";
      if (format->name == "idx")
        return diag << "idx holds one label per image; give npy, npz or csv "
                       "one labels file, array or column per label",
               failure();
      diag << "give one per label, in that order, e.g. ";
      std::string names;
      for (auto [i, label] : llvm::enumerate(labels))
        names += (i ? "\", \"" : "[\"") + label.str() +
                 (format->name == "npy" ? ".npy" : "");
      names += "\"]";
      if (format->name == "npy")
        diag << "npy(\"x.npy\", " << names << ")";
      else
        diag << (format->name == "csv" ? "label = " : "y = ") << names;
      return failure();
    }
    SmallVector<std::string> names;
    for (const ast::ExprPtr &element : list->elements) {
      auto name = text(*element, what);
      if (failed(name))
        return failure();
      names.push_back(*name);
    }
    return names;
  };
  SmallVector<std::string, 2> files;
  for (auto [i, arg] : llvm::enumerate(call->args)) {
    std::string what = "the " + format->files[i].str() + "'s path";
    if (i == 1) {
      auto paths = labelNames(*arg, what);
      if (failed(paths))
        return failure();
      files.push_back(paths->front());
      source.moreLabels.assign(paths->begin() + 1, paths->end());
      continue;
    }
    if (i == 0 && featureList && inputs.size() > 1) {
      for (const ast::ExprPtr &element : featureList->elements) {
        auto path = text(*element, what);
        if (failed(path))
          return failure();
        source.moreInputs.push_back(*path);
      }
      files.push_back(source.moreInputs.front());
      source.moreInputs.erase(source.moreInputs.begin());
      continue;
    }
    auto path = text(*arg, what);
    if (failed(path))
      return failure();
    files.push_back(*path);
  }
  source.images = files[0];
  if (files.size() > 1)
    source.labels = files[1];

  if (format->name == "csv") {
    const ast::Expr *label = findKeyword(*call, "label");
    if (!label)
      return error(call->getLoc())
             << "'csv' needs the name of its label column, e.g. "
             << format->example;
    auto columns = labelNames(*label, "the label column name");
    if (failed(columns))
      return failure();
    source.labelColumn = columns->front();
    source.moreLabels.assign(columns->begin() + 1, columns->end());
    if (columnGroups && failed(csvColumnGroups(*columnGroups, source)))
      return failure();
  }
  if (const ast::Expr *value = findKeyword(*call, "x")) {
    auto name = text(*value, "the array name 'x'");
    if (failed(name))
      return failure();
    source.xKey = *name;
  }
  if (const ast::Expr *value = findKeyword(*call, "y")) {
    auto names = labelNames(*value, "the array name 'y'");
    if (failed(names))
      return failure();
    source.yKey = names->front();
    source.moreLabels.assign(names->begin() + 1, names->end());
  } else if (format->name == "npz" && labels.size() > 1) {
    return error(call->getLoc())
           << "the model has " << labels.size()
           << " labels: name the array of each, e.g. y = [\"" << labels[0]
           << "\", \"" << labels[1] << "\"]";
  }
  for (StringRef key : {"scale", "shift"})
    if (const ast::Expr *value = findKeyword(*call, key)) {
      auto number = evaluateNumber(*value, error);
      if (failed(number))
        return failure();
      (key == "scale" ? source.scale : source.shift) = *number;
    }
  return source;
}

/// `inputs = [["x1", "x2"], ["x3"]]` of csv: the columns of each input, in
/// the model's order, as many as the input has features per example.
LogicalResult RecipeReader::csvColumnGroups(const ast::Expr &expr,
                                            DataSource &source) {
  SmallVector<const ast::InputDecl *> inputs;
  for (const ast::InputDecl &input : file.inputs)
    if (!input.isLabel)
      inputs.push_back(&input);
  auto *groups = dyn_cast<ast::ListExpr>(&expr);
  if (!groups || groups->elements.size() != inputs.size())
    return error(expr.getLoc())
           << "'inputs' lists the columns of each of the model's "
           << inputs.size() << " input" << (inputs.size() == 1 ? "" : "s")
           << ", e.g. [[\"x1\", \"x2\"], [\"x3\"]]";
  llvm::StringSet<> labelColumns{source.labelColumn};
  for (const std::string &column : source.moreLabels)
    labelColumns.insert(column);
  llvm::StringSet<> seen = labelColumns;
  for (auto [input, group] : llvm::zip(inputs, groups->elements)) {
    auto *columns = dyn_cast<ast::ListExpr>(group.get());
    int64_t size = 1;
    for (int64_t d : input->type.shape)
      if (d != ast::kDynamicDim)
        size *= d;
    if (!columns || int64_t(columns->elements.size()) != size)
      return error(group->getLoc())
             << "input '" << input->name << "' takes " << size
             << " column" << (size == 1 ? "" : "s") << " per example: give a "
             << "list of " << size << " column name" << (size == 1 ? "" : "s");
    std::vector<std::string> &names = source.columnGroups.emplace_back();
    for (const ast::ExprPtr &column : columns->elements) {
      if (!isa<ast::StringExpr>(column.get()))
        return error(column->getLoc()) << "expected a column name as a string";
      auto name = evaluateString(*column, error);
      if (failed(name))
        return failure();
      if (!seen.insert(*name).second)
        return error(column->getLoc())
               << "column '" << *name << "' is "
               << (!labelColumns.contains(*name) ? "listed twice"
                   : source.moreLabels.empty()   ? "the label"
                                                 : "a label");
      names.push_back(*name);
    }
  }
  return success();
}

LogicalResult RecipeReader::dataBlock(const ast::ConfigBlock &block) {
  const ast::ConfigEntry *normalize = nullptr;
  for (const ast::ConfigEntry &entry : block.entries) {
    if (entry.key == "normalize") {
      auto kind = evaluateString(*entry.value, error);
      if (failed(kind))
        return failure();
      if (*kind == "standardize")
        recipe.normalize = Normalization::Standardize;
      else if (*kind == "none")
        recipe.normalize = Normalization::None;
      else
        return error(entry.value->getLoc())
               << "unknown normalization '" << *kind
               << "' (expected \"standardize\" or \"none\")";
      normalize = &entry;
      continue;
    }
    if (entry.key != "train" && entry.key != "test")
      return error(entry.loc) << "unknown 'data' entry '" << entry.key
                              << "' (expected train, test or normalize)";
    auto source = dataSource(*entry.value);
    if (failed(source))
      return failure();
    (entry.key == "train" ? recipe.train : recipe.test) = *source;
  }
  if (recipe.normalize != Normalization::None && !recipe.train)
    return error(normalize->loc)
           << "'normalize' needs a 'train' data set to compute its "
              "statistics on";
  return success();
}

} // namespace

LogicalResult generateRecipe(const ast::Module &file, ModuleOp module,
                             TrainingRecipe &recipe, ErrorAt error,
                             MetricLocations &metrics) {
  RecipeReader reader(file, module, recipe, error, metrics);
  if (failed(reader.trainBlock(file.findBlock("train"))))
    return failure();
  if (const ast::ConfigBlock *data = file.findBlock("data"))
    return reader.dataBlock(*data);
  return success();
}

} // namespace kiln
