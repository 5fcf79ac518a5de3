#include "sweep/train_spec.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/suggest.h"

namespace lrsweep {
namespace {

// Reads optional keys of one mapping into fields, checking ranges.
class FieldReader {
 public:
  FieldReader(const YAML::Node& node, const YamlReader& reader, std::string path)
      : node_(node), reader_(reader), path_(std::move(path)) {}

  bool Has(const char* key) const { return node_[key].IsDefined(); }

  absl::Status Error(const char* key, absl::string_view message) const {
    return reader_.Error(node_[key], JoinPath(path_, key), message);
  }

  absl::Status Int(const char* key, int64_t* out, int64_t minimum) {
    if (!Has(key)) return absl::OkStatus();
    ASSIGN_OR_RETURN(*out, reader_.Int(node_[key], JoinPath(path_, key)));
    if (*out < minimum) return Error(key, absl::StrCat("must be at least ", minimum));
    return absl::OkStatus();
  }

  absl::Status OptionalInt(const char* key, std::optional<int64_t>* out, int64_t minimum) {
    if (!Has(key)) return absl::OkStatus();
    int64_t value = 0;
    RETURN_IF_ERROR(Int(key, &value, minimum));
    *out = value;
    return absl::OkStatus();
  }

  absl::Status Double(const char* key, double* out, double minimum, double maximum,
                      bool exclusive_minimum = false) {
    if (!Has(key)) return absl::OkStatus();
    ASSIGN_OR_RETURN(*out, reader_.Double(node_[key], JoinPath(path_, key)));
    const bool low = exclusive_minimum ? *out <= minimum : *out < minimum;
    if (low || *out > maximum || !std::isfinite(*out)) {
      return Error(key, absl::StrCat("must be in ", exclusive_minimum ? "(" : "[", minimum, ", ",
                                     maximum, "], got ", node_[key].Scalar()));
    }
    return absl::OkStatus();
  }

  absl::Status Bool(const char* key, bool* out) {
    if (!Has(key)) return absl::OkStatus();
    ASSIGN_OR_RETURN(*out, reader_.Bool(node_[key], JoinPath(path_, key)));
    return absl::OkStatus();
  }

  absl::Status String(const char* key, std::string* out) {
    if (!Has(key)) return absl::OkStatus();
    ASSIGN_OR_RETURN(*out, reader_.String(node_[key], JoinPath(path_, key)));
    return absl::OkStatus();
  }

  absl::Status Choice(const char* key, const std::vector<std::string>& choices, std::string* out) {
    if (!Has(key)) return absl::OkStatus();
    RETURN_IF_ERROR(String(key, out));
    for (const std::string& choice : choices) {
      if (choice == *out) return absl::OkStatus();
    }
    return Error(key, absl::StrCat("unknown value '", *out, "'.", DidYouMean(*out, choices)));
  }

  absl::Status PositiveIntList(const char* key, std::vector<int64_t>* out) {
    if (!Has(key)) return absl::OkStatus();
    ASSIGN_OR_RETURN(*out, reader_.IntList(node_[key], JoinPath(path_, key)));
    if (out->empty()) return Error(key, "must not be empty");
    for (int64_t value : *out) {
      if (value < 1) return Error(key, "every entry must be at least 1");
    }
    return absl::OkStatus();
  }

  const YAML::Node& node() const { return node_; }
  const YamlReader& reader() const { return reader_; }
  const std::string& path() const { return path_; }

 private:
  YAML::Node node_;
  const YamlReader& reader_;
  std::string path_;
};

const std::vector<std::string> kModelKeys = {"type",  "hidden",           "channels",
                                             "width", "blocks_per_stage", "dropout"};
const std::vector<std::string> kDataKeys = {"type",          "val_fraction", "path",
                                            "train_examples", "test_examples", "num_classes",
                                            "seed"};
const std::vector<std::string> kOptimizerKeys = {"type",         "momentum", "nesterov",
                                                 "weight_decay", "betas",    "eps"};

absl::Status ParseModel(FieldReader fields, ModelSpec* model) {
  RETURN_IF_ERROR(fields.Choice("type", {"mlp", "cnn", "resnet"}, &model->type));
  RETURN_IF_ERROR(fields.PositiveIntList("hidden", &model->hidden));
  RETURN_IF_ERROR(fields.PositiveIntList("channels", &model->channels));
  if (model->channels.size() != 2) return fields.Error("channels", "cnn has exactly 2 conv layers");
  RETURN_IF_ERROR(fields.Int("width", &model->width, 1));
  RETURN_IF_ERROR(fields.Int("blocks_per_stage", &model->blocks_per_stage, 1));
  return fields.Double("dropout", &model->dropout, 0.0, 0.95);
}

absl::Status ParseData(FieldReader fields, DataSpec* data) {
  RETURN_IF_ERROR(fields.Choice("type", {"fashion_mnist", "synthetic"}, &data->type));
  RETURN_IF_ERROR(fields.Double("val_fraction", &data->val_fraction, 0.0, 0.5));
  RETURN_IF_ERROR(fields.String("path", &data->path));
  RETURN_IF_ERROR(fields.Int("train_examples", &data->train_examples, 2));
  RETURN_IF_ERROR(fields.Int("test_examples", &data->test_examples, 1));
  RETURN_IF_ERROR(fields.Int("num_classes", &data->num_classes, 2));
  return fields.Int("seed", &data->seed, 0);
}

absl::Status ParseOptimizer(FieldReader fields, OptimizerSpec* optimizer) {
  RETURN_IF_ERROR(fields.Choice("type", {"sgd", "adamw"}, &optimizer->type));
  if (optimizer->type == "adamw") optimizer->weight_decay = 0.01;  // torch.optim.AdamW default
  const bool sgd = optimizer->type == "sgd";
  for (const char* key : {"momentum", "nesterov"}) {
    if (!sgd && fields.Has(key)) {
      return fields.Error(key, "is an sgd option; adamw's momentum is betas[0]");
    }
  }
  for (const char* key : {"betas", "eps"}) {
    if (sgd && fields.Has(key)) return fields.Error(key, "is an adamw option");
  }
  RETURN_IF_ERROR(fields.Double("momentum", &optimizer->momentum, 0.0, 0.9999));
  RETURN_IF_ERROR(fields.Bool("nesterov", &optimizer->nesterov));
  if (optimizer->nesterov && optimizer->momentum <= 0) {
    return fields.Error("nesterov", "nesterov needs momentum > 0");
  }
  RETURN_IF_ERROR(fields.Double("weight_decay", &optimizer->weight_decay, 0.0, 1.0));
  if (fields.Has("betas")) {
    ASSIGN_OR_RETURN(optimizer->betas, fields.reader().DoubleList(
                                           fields.node()["betas"],
                                           JoinPath(fields.path(), "betas")));
    if (optimizer->betas.size() != 2 || optimizer->betas[0] < 0 || optimizer->betas[0] >= 1 ||
        optimizer->betas[1] < 0 || optimizer->betas[1] >= 1) {
      return fields.Error("betas", "must be two numbers in [0, 1), e.g. [0.9, 0.999]");
    }
  }
  return fields.Double("eps", &optimizer->eps, 0.0, 1.0, /*exclusive_minimum=*/true);
}

}  // namespace

const std::vector<std::string>& TrainKeys() {
  static const auto* keys = new std::vector<std::string>{
      "model", "data", "optimizer", "epochs", "steps", "batch_size", "accumulate",
      "clip_grad_norm", "eval_every_steps"};
  return *keys;
}

int64_t TrainSpec::TrainExamples() const {
  const int64_t total =
      data.type == "fashion_mnist" ? kFashionMnistTrainExamples : data.train_examples;
  return total - std::llround(static_cast<double>(total) * data.val_fraction);
}

int64_t TrainSpec::StepsPerEpoch() const {
  const int64_t batches = (TrainExamples() + batch_size - 1) / batch_size;
  return (batches + accumulate - 1) / accumulate;
}

int64_t TrainSpec::TotalSteps() const {
  return steps ? *steps : *epochs * StepsPerEpoch();
}

absl::Status CheckTrainKeys(const YAML::Node& node, const YamlReader& reader,
                            absl::string_view path) {
  RETURN_IF_ERROR(reader.CheckKeys(node, path, TrainKeys()));
  for (const auto& [key, allowed] :
       {std::make_pair("model", &kModelKeys), std::make_pair("data", &kDataKeys),
        std::make_pair("optimizer", &kOptimizerKeys)}) {
    if (!node[key].IsDefined()) continue;
    RETURN_IF_ERROR(reader.CheckKeys(node[key], JoinPath(path, key), *allowed));
  }
  return absl::OkStatus();
}

absl::StatusOr<TrainSpec> ParseTrainSpec(const YAML::Node& node, const YamlReader& reader,
                                         absl::string_view path) {
  RETURN_IF_ERROR(CheckTrainKeys(node, reader, path));
  TrainSpec train;
  FieldReader fields(node, reader, std::string(path));
  auto sub = [&](const char* key) -> absl::StatusOr<FieldReader> {
    RETURN_IF_ERROR(reader.RequireMap(node[key], JoinPath(path, key)));
    return FieldReader(node[key], reader, JoinPath(path, key));
  };
  if (fields.Has("model")) {
    ASSIGN_OR_RETURN(FieldReader model, sub("model"));
    RETURN_IF_ERROR(ParseModel(model, &train.model));
  }
  if (fields.Has("data")) {
    ASSIGN_OR_RETURN(FieldReader data, sub("data"));
    RETURN_IF_ERROR(ParseData(data, &train.data));
  }
  if (fields.Has("optimizer")) {
    ASSIGN_OR_RETURN(FieldReader optimizer, sub("optimizer"));
    RETURN_IF_ERROR(ParseOptimizer(optimizer, &train.optimizer));
  }
  if (fields.Has("epochs") == fields.Has("steps")) {
    return reader.Error(fields.Has("steps") ? node["steps"] : node, JoinPath(path, "epochs"),
                        "give exactly one of train.epochs or train.steps");
  }
  RETURN_IF_ERROR(fields.OptionalInt("epochs", &train.epochs, 1));
  RETURN_IF_ERROR(fields.OptionalInt("steps", &train.steps, 1));
  RETURN_IF_ERROR(fields.Int("batch_size", &train.batch_size, 1));
  RETURN_IF_ERROR(fields.Int("accumulate", &train.accumulate, 1));
  if (fields.Has("clip_grad_norm")) {
    double clip = 0;
    RETURN_IF_ERROR(fields.Double("clip_grad_norm", &clip, 0.0, 1e9, true));
    train.clip_grad_norm = clip;
  }
  RETURN_IF_ERROR(fields.OptionalInt("eval_every_steps", &train.eval_every_steps, 1));
  if (train.TrainExamples() < train.batch_size) {
    return fields.Error("batch_size",
                        absl::StrCat("is larger than the ", train.TrainExamples(),
                                     " training examples; use a smaller batch"));
  }
  return train;
}

nlohmann::ordered_json TrainSpecToJson(const TrainSpec& train) {
  nlohmann::ordered_json model = {{"type", train.model.type}};
  if (train.model.type == "mlp") model["hidden"] = train.model.hidden;
  if (train.model.type == "cnn") model["channels"] = train.model.channels;
  if (train.model.type == "resnet") {
    model["width"] = train.model.width;
    model["blocks_per_stage"] = train.model.blocks_per_stage;
  }
  model["dropout"] = train.model.dropout;

  nlohmann::ordered_json data = {{"type", train.data.type},
                                 {"val_fraction", train.data.val_fraction}};
  if (train.data.type == "fashion_mnist") {
    data["path"] = train.data.path;
  } else {
    data["train_examples"] = train.data.train_examples;
    data["test_examples"] = train.data.test_examples;
    data["num_classes"] = train.data.num_classes;
    data["seed"] = train.data.seed;
  }

  nlohmann::ordered_json optimizer = {{"type", train.optimizer.type}};
  if (train.optimizer.type == "sgd") {
    optimizer["momentum"] = train.optimizer.momentum;
    optimizer["nesterov"] = train.optimizer.nesterov;
  } else {
    optimizer["betas"] = train.optimizer.betas;
    optimizer["eps"] = train.optimizer.eps;
  }
  optimizer["weight_decay"] = train.optimizer.weight_decay;

  nlohmann::ordered_json out = {{"model", model}, {"data", data}, {"optimizer", optimizer}};
  if (train.epochs) out["epochs"] = *train.epochs;
  if (train.steps) out["steps"] = *train.steps;
  out["batch_size"] = train.batch_size;
  out["accumulate"] = train.accumulate;
  if (train.clip_grad_norm) out["clip_grad_norm"] = *train.clip_grad_norm;
  if (train.eval_every_steps) out["eval_every_steps"] = *train.eval_every_steps;
  return out;
}

}  // namespace lrsweep
