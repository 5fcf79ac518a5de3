#include "sweep/train_spec.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
                                             "width", "blocks_per_stage", "dropout",
                                             "batch_norm", "path", "upload"};
const std::vector<std::string> kDataKeys = {"type",           "val_fraction",  "path",
                                            "train_examples", "test_examples", "num_classes",
                                            "seed",           "train",         "val",
                                            "test",           "upload",        "augment"};
const std::vector<std::string> kAugmentKeys = {"random_crop", "hflip"};
const std::vector<std::string> kOptimizerKeys = {"type",         "momentum", "nesterov",
                                                 "weight_decay", "betas",    "eps",
                                                 "param_groups"};
const std::vector<std::string> kParamGroupKeys = {"prefix", "lr_scale", "weight_decay"};
const std::vector<std::string> kLosses = {"cross_entropy", "mse", "bce_with_logits", "method"};
const std::vector<std::string> kBuiltinModelKeys = {"hidden", "channels", "width",
                                                    "blocks_per_stage", "dropout", "batch_norm"};
const std::vector<std::string> kDataFileKeys = {"train", "val", "test"};

// The manifest's entry for the file `key` names.
absl::StatusOr<ArtifactRef> ResolveFile(FieldReader& fields, const char* key,
                                        const ArtifactManifest& artifacts) {
  std::string written;
  RETURN_IF_ERROR(fields.String(key, &written));
  if (written.empty()) return fields.Error(key, "must name a file");
  auto found = artifacts.find(written);
  if (found == artifacts.end()) {
    return fields.Error(key, absl::StrCat("names '", written,
                                          "', which was not read with the sweep: `lrsweep "
                                          "submit`, `run` and `plan` read and pin the files a "
                                          "sweep names; submit it with one of them"));
  }
  return found->second;
}

absl::Status ParseModel(FieldReader fields, const ArtifactManifest& artifacts, ModelSpec* model) {
  RETURN_IF_ERROR(fields.Choice("type", {"mlp", "cnn", "resnet", "torchscript"}, &model->type));
  if (model->type == "torchscript") {
    for (const std::string& key : kBuiltinModelKeys) {
      if (fields.Has(key.c_str())) {
        return fields.Error(key.c_str(), "is an option of the built-in models; a torchscript "
                                         "model is configured in Python before it is saved");
      }
    }
    if (!fields.Has("path")) {
      return fields.Error("type", "torchscript needs path: the file torch.jit.script(model).save() "
                                  "wrote");
    }
    ASSIGN_OR_RETURN(model->file, ResolveFile(fields, "path", artifacts));
    return absl::OkStatus();
  }
  for (const char* key : {"path", "upload"}) {
    if (fields.Has(key)) return fields.Error(key, "is an option of model type torchscript");
  }
  RETURN_IF_ERROR(fields.PositiveIntList("hidden", &model->hidden));
  RETURN_IF_ERROR(fields.PositiveIntList("channels", &model->channels));
  if (model->channels.size() != 2) return fields.Error("channels", "cnn has exactly 2 conv layers");
  RETURN_IF_ERROR(fields.Int("width", &model->width, 1));
  RETURN_IF_ERROR(fields.Int("blocks_per_stage", &model->blocks_per_stage, 1));
  RETURN_IF_ERROR(fields.Bool("batch_norm", &model->batch_norm));
  if (model->batch_norm && model->type != "cnn") {
    return fields.Error("batch_norm", model->type == "resnet"
                                          ? "resnet always normalizes its batches; remove it"
                                          : "is an option of model type cnn");
  }
  return fields.Double("dropout", &model->dropout, 0.0, 0.95);
}

// data.augment: {random_crop: PIXELS, hflip: BOOL}. Whether the inputs are images is checked
// with the model (CheckAugmentInputs).
absl::Status ParseAugment(const FieldReader& data, AugmentSpec* augment) {
  const YAML::Node node = data.node()["augment"];
  const std::string path = JoinPath(data.path(), "augment");
  RETURN_IF_ERROR(data.reader().RequireMap(node, path));
  RETURN_IF_ERROR(data.reader().CheckKeys(node, path, kAugmentKeys));
  FieldReader fields(node, data.reader(), path);
  RETURN_IF_ERROR(fields.Int("random_crop", &augment->random_crop, 0));
  if (augment->random_crop > 8) {
    return fields.Error("random_crop", "must be at most 8 pixels (a 28x28 image shifted further "
                                       "is mostly padding)");
  }
  return fields.Bool("hflip", &augment->hflip);
}

absl::Status ParseTensorsData(FieldReader fields, const ArtifactManifest& artifacts,
                              DataSpec* data) {
  for (const char* key : {"path", "train_examples", "test_examples", "num_classes", "seed"}) {
    if (fields.Has(key)) {
      return fields.Error(key, "is an option of the built-in data; tensors data is defined by "
                               "its train/val/test files");
    }
  }
  if (!fields.Has("train")) {
    return fields.Error("type", "tensors needs train: a torch.save({\"inputs\": x, "
                                "\"targets\": y}) file");
  }
  if (fields.Has("val") && fields.Has("val_fraction")) {
    return fields.Error("val_fraction", "give either a val file or val_fraction, not both");
  }
  ASSIGN_OR_RETURN(data->train_file, ResolveFile(fields, "train", artifacts));
  if (fields.Has("augment")) RETURN_IF_ERROR(ParseAugment(fields, &data->augment));
  if (fields.Has("val")) {
    ASSIGN_OR_RETURN(data->val_file, ResolveFile(fields, "val", artifacts));
    data->val_fraction = 0;
  }
  if (fields.Has("test")) {
    ASSIGN_OR_RETURN(data->test_file, ResolveFile(fields, "test", artifacts));
  }
  RETURN_IF_ERROR(fields.Double("val_fraction", &data->val_fraction, 0.0, 0.5));
  for (const std::optional<ArtifactRef>* file : {&data->train_file, &data->val_file,
                                                 &data->test_file}) {
    if (*file && !(*file)->tensors) {
      return fields.Error("train", absl::StrCat((*file)->path, " was not read as a tensors file"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseData(FieldReader fields, const ArtifactManifest& artifacts, DataSpec* data) {
  RETURN_IF_ERROR(fields.Choice("type", {"fashion_mnist", "synthetic", "tensors"}, &data->type));
  if (data->type == "tensors") return ParseTensorsData(fields, artifacts, data);
  for (const char* key : {"train", "val", "test", "upload"}) {
    if (fields.Has(key)) return fields.Error(key, "is an option of data type tensors");
  }
  RETURN_IF_ERROR(fields.Double("val_fraction", &data->val_fraction, 0.0, 0.5));
  RETURN_IF_ERROR(fields.String("path", &data->path));
  RETURN_IF_ERROR(fields.Int("train_examples", &data->train_examples, 2));
  RETURN_IF_ERROR(fields.Int("test_examples", &data->test_examples, 1));
  RETURN_IF_ERROR(fields.Int("num_classes", &data->num_classes, 2));
  if (fields.Has("augment")) RETURN_IF_ERROR(ParseAugment(fields, &data->augment));
  return fields.Int("seed", &data->seed, 0);
}

absl::Status ParseParamGroups(FieldReader fields, OptimizerSpec* optimizer) {
  const YAML::Node list = fields.node()["param_groups"];
  const std::string list_path = JoinPath(fields.path(), "param_groups");
  if (!IsSequenceNode(list)) {
    return fields.Error("param_groups", "must be a list of {prefix, lr_scale, weight_decay}");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = absl::StrCat(list_path, "[", i, "]");
    RETURN_IF_ERROR(fields.reader().RequireMap(list[i], path));
    RETURN_IF_ERROR(fields.reader().CheckKeys(list[i], path, kParamGroupKeys));
    FieldReader group_fields(list[i], fields.reader(), path);
    ParamGroupSpec group;
    if (!group_fields.Has("prefix")) {
      return fields.reader().Error(list[i], path, "needs prefix: the start of parameter names "
                                                  "(e.g. backbone.)");
    }
    RETURN_IF_ERROR(group_fields.String("prefix", &group.prefix));
    RETURN_IF_ERROR(group_fields.Double("lr_scale", &group.lr_scale, 0.0, 1e6));
    if (group_fields.Has("weight_decay")) {
      double decay = 0;
      RETURN_IF_ERROR(group_fields.Double("weight_decay", &decay, 0.0, 1.0));
      group.weight_decay = decay;
    }
    optimizer->param_groups.push_back(std::move(group));
  }
  return absl::OkStatus();
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
  if (fields.Has("param_groups")) RETURN_IF_ERROR(ParseParamGroups(fields, optimizer));
  return fields.Double("eps", &optimizer->eps, 0.0, 1.0, /*exclusive_minimum=*/true);
}

// The model, data and loss fit together.
absl::Status CheckModelDataLoss(const FieldReader& fields, const TrainSpec& train) {
  const bool builtin_model = train.model.type != "torchscript";
  if (builtin_model && train.data.type == "tensors") {
    return fields.Error("model", absl::StrCat("the built-in ", train.model.type,
                                              " takes 28x28 images; train tensors data with "
                                              "model type torchscript"));
  }
  if (train.loss == "method" && builtin_model) {
    return fields.Error("loss", "method calls the TorchScript module's loss(inputs, targets); "
                                "the built-in models have none");
  }
  const TensorFileSummary* tensors = train.data.train_file && train.data.train_file->tensors
                                         ? &*train.data.train_file->tensors
                                         : nullptr;
  if (train.data.augment.Enabled() && tensors != nullptr &&
      (tensors->input_shape.size() != 4 || absl::StartsWith(tensors->input_dtype, "int"))) {
    return fields.Error("data", absl::StrCat(
        "augment crops and flips images, but ", train.data.train_file->path, " holds ",
        tensors->input_dtype, " inputs of shape [", absl::StrJoin(tensors->input_shape, ", "),
        "]; it needs floating-point images [N, C, H, W]"));
  }
  if (train.data.type != "tensors" && train.loss != "cross_entropy" && train.loss != "method") {
    return fields.Error("loss", absl::StrCat(train.data.type, " has class labels: use "
                                             "cross_entropy"));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& TrainKeys() {
  static const auto* keys = new std::vector<std::string>{
      "model", "data", "optimizer", "loss", "epochs", "steps", "batch_size", "accumulate",
      "clip_grad_norm", "eval_every_steps", "test", "command", "workdir", "env",
      "report_timeout_minutes", "stop_grace_seconds", "args", "steps_per_epoch", "checkpoint"};
  return *keys;
}

bool TrainSpec::Classification() const {
  if (command) return true;  // the program reports what it measures
  if (data.type != "tensors") return true;
  return (loss == "cross_entropy" || loss == "method") && data.train_file &&
         data.train_file->tensors && data.train_file->tensors->ClassIndexTargets();
}

int64_t TrainSpec::TrainExamples() const {
  int64_t total = data.train_examples;
  if (data.type == "fashion_mnist") total = kFashionMnistTrainExamples;
  if (data.type == "tensors") total = data.train_file ? data.train_file->tensors->examples : 0;
  return total - std::llround(static_cast<double>(total) * data.val_fraction);
}

int64_t TrainSpec::StepsPerEpoch() const {
  if (command) return steps_per_epoch.value_or(0);
  const int64_t batches = (TrainExamples() + batch_size - 1) / batch_size;
  return (batches + accumulate - 1) / accumulate;
}

int64_t TrainSpec::TotalSteps() const {
  return steps ? *steps : *epochs * StepsPerEpoch();
}

namespace {

// The built-in trainer's keys, which a command trial does not take.
const std::vector<std::string> kBuiltinTrainKeys = {
    "model", "data", "optimizer", "loss", "accumulate", "clip_grad_norm", "eval_every_steps",
    "test"};

absl::StatusOr<TrainSpec> ParseCommandTrain(const YAML::Node& node, const YamlReader& reader,
                                            absl::string_view path) {
  FieldReader fields(node, reader, std::string(path));
  for (const std::string& key : kBuiltinTrainKeys) {
    if (fields.Has(key.c_str())) {
      return fields.Error(key.c_str(), "configures the built-in trainer; with train.command your "
                                       "program trains (put its own values under train.args)");
    }
  }
  TrainSpec train;
  ASSIGN_OR_RETURN(train.command, ParseCommandSpec(node, reader, path));
  if (fields.Has("epochs") == fields.Has("steps")) {
    return reader.Error(fields.Has("steps") ? node["steps"] : node, JoinPath(path, "steps"),
                        "give exactly one of train.steps or train.epochs (with "
                        "train.steps_per_epoch): the horizon the schedule is planned over");
  }
  RETURN_IF_ERROR(fields.OptionalInt("steps", &train.steps, 1));
  RETURN_IF_ERROR(fields.OptionalInt("epochs", &train.epochs, 1));
  RETURN_IF_ERROR(fields.OptionalInt("steps_per_epoch", &train.steps_per_epoch, 1));
  if (train.epochs && !train.steps_per_epoch) {
    return fields.Error("epochs", "needs train.steps_per_epoch: lrsweep does not see your data, "
                                  "so it cannot count the optimizer steps of an epoch");
  }
  RETURN_IF_ERROR(fields.Int("batch_size", &train.batch_size, 1));
  return train;
}

}  // namespace

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
                                         absl::string_view path,
                                         const ArtifactManifest& artifacts) {
  RETURN_IF_ERROR(CheckTrainKeys(node, reader, path));
  if (IsMapNode(node) && node["command"].IsDefined()) return ParseCommandTrain(node, reader, path);
  for (const std::string& key : CommandTrainKeys()) {
    if (key != "command" && node[key].IsDefined()) {
      return reader.Error(node[key], JoinPath(path, key), "is an option of train.command: "
                                                          "your own training program");
    }
  }
  TrainSpec train;
  FieldReader fields(node, reader, std::string(path));
  auto sub = [&](const char* key) -> absl::StatusOr<FieldReader> {
    RETURN_IF_ERROR(reader.RequireMap(node[key], JoinPath(path, key)));
    return FieldReader(node[key], reader, JoinPath(path, key));
  };
  if (fields.Has("model")) {
    ASSIGN_OR_RETURN(FieldReader model, sub("model"));
    RETURN_IF_ERROR(ParseModel(model, artifacts, &train.model));
  }
  if (fields.Has("data")) {
    ASSIGN_OR_RETURN(FieldReader data, sub("data"));
    RETURN_IF_ERROR(ParseData(data, artifacts, &train.data));
  }
  if (fields.Has("optimizer")) {
    ASSIGN_OR_RETURN(FieldReader optimizer, sub("optimizer"));
    RETURN_IF_ERROR(ParseOptimizer(optimizer, &train.optimizer));
  }
  RETURN_IF_ERROR(fields.Choice("loss", kLosses, &train.loss));
  RETURN_IF_ERROR(CheckModelDataLoss(fields, train));
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
  RETURN_IF_ERROR(fields.Bool("test", &train.test));
  if (train.TrainExamples() < train.batch_size) {
    return fields.Error("batch_size",
                        absl::StrCat("is larger than the ", train.TrainExamples(),
                                     " training examples; use a smaller batch"));
  }
  return train;
}

namespace {

nlohmann::ordered_json ModelToJson(const ModelSpec& spec) {
  nlohmann::ordered_json model = {{"type", spec.type}};
  if (spec.type == "torchscript") {
    model["path"] = spec.file.path;
    model["upload"] = spec.file.upload;
    return model;
  }
  if (spec.type == "mlp") model["hidden"] = spec.hidden;
  if (spec.type == "cnn") model["channels"] = spec.channels;
  if (spec.type == "resnet") {
    model["width"] = spec.width;
    model["blocks_per_stage"] = spec.blocks_per_stage;
  }
  model["dropout"] = spec.dropout;
  if (spec.batch_norm) model["batch_norm"] = true;  // only when set: older plans stay as they were
  return model;
}

// Only when set: plans without augmentation stay as they were.
void AddAugment(const AugmentSpec& spec, nlohmann::ordered_json* data) {
  if (!spec.Enabled()) return;
  (*data)["augment"] = {{"random_crop", spec.random_crop}, {"hflip", spec.hflip}};
}

nlohmann::ordered_json DataToJson(const DataSpec& spec) {
  nlohmann::ordered_json data = {{"type", spec.type}};
  if (spec.type == "tensors") {
    data["train"] = spec.train_file->path;
    if (spec.val_file) {
      data["val"] = spec.val_file->path;
    } else {
      data["val_fraction"] = spec.val_fraction;
    }
    if (spec.test_file) data["test"] = spec.test_file->path;
    data["upload"] = spec.train_file->upload;
    AddAugment(spec.augment, &data);
    return data;
  }
  data["val_fraction"] = spec.val_fraction;
  if (spec.type == "fashion_mnist") {
    data["path"] = spec.path;
  } else {
    data["train_examples"] = spec.train_examples;
    data["test_examples"] = spec.test_examples;
    data["num_classes"] = spec.num_classes;
    data["seed"] = spec.seed;
  }
  AddAugment(spec.augment, &data);
  return data;
}

nlohmann::ordered_json OptimizerToJson(const OptimizerSpec& spec) {
  nlohmann::ordered_json optimizer = {{"type", spec.type}};
  if (spec.type == "sgd") {
    optimizer["momentum"] = spec.momentum;
    optimizer["nesterov"] = spec.nesterov;
  } else {
    optimizer["betas"] = spec.betas;
    optimizer["eps"] = spec.eps;
  }
  optimizer["weight_decay"] = spec.weight_decay;
  if (!spec.param_groups.empty()) {
    nlohmann::ordered_json groups = nlohmann::ordered_json::array();
    for (const ParamGroupSpec& group : spec.param_groups) {
      nlohmann::ordered_json out = {{"prefix", group.prefix}, {"lr_scale", group.lr_scale}};
      if (group.weight_decay) out["weight_decay"] = *group.weight_decay;
      groups.push_back(out);
    }
    optimizer["param_groups"] = groups;
  }
  return optimizer;
}

}  // namespace

nlohmann::ordered_json TrainSpecToJson(const TrainSpec& train) {
  if (train.command) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    CommandSpecToJson(*train.command, &out);
    if (train.epochs) out["epochs"] = *train.epochs;
    if (train.steps) out["steps"] = *train.steps;
    if (train.steps_per_epoch) out["steps_per_epoch"] = *train.steps_per_epoch;
    out["batch_size"] = train.batch_size;
    return out;
  }
  nlohmann::ordered_json out = {{"model", ModelToJson(train.model)},
                                {"data", DataToJson(train.data)},
                                {"optimizer", OptimizerToJson(train.optimizer)},
                                {"loss", train.loss}};
  if (train.epochs) out["epochs"] = *train.epochs;
  if (train.steps) out["steps"] = *train.steps;
  out["batch_size"] = train.batch_size;
  out["accumulate"] = train.accumulate;
  if (train.clip_grad_norm) out["clip_grad_norm"] = *train.clip_grad_norm;
  if (train.eval_every_steps) out["eval_every_steps"] = *train.eval_every_steps;
  if (!train.test) out["test"] = false;
  return out;
}

std::vector<std::pair<std::string, YAML::Node>> ArtifactNodes(const YAML::Node& train,
                                                              absl::string_view path) {
  // A missing key of a const node is an invalid node, whose Is*() throw: test IsDefined() first.
  auto is_map = [](const YAML::Node& node) { return node.IsDefined() && node.IsMap(); };
  auto is = [](const YAML::Node& node, const char* value) {
    return node.IsDefined() && node.IsScalar() && node.Scalar() == value;
  };
  std::vector<std::pair<std::string, YAML::Node>> nodes;
  if (!is_map(train)) return nodes;
  const YAML::Node model = train["model"];
  if (is_map(model) && is(model["type"], "torchscript") && model["path"].IsDefined()) {
    nodes.emplace_back(JoinPath(path, "model.path"), model["path"]);
  }
  const YAML::Node data = train["data"];
  if (is_map(data) && is(data["type"], "tensors")) {
    for (const std::string& key : kDataFileKeys) {
      if (data[key].IsDefined()) nodes.emplace_back(JoinPath(path, "data." + key), data[key]);
    }
  }
  return nodes;
}

ArtifactManifest UsedArtifacts(const TrainSpec& train) {
  ArtifactManifest used;
  if (train.model.type == "torchscript") used[train.model.file.path] = train.model.file;
  for (const std::optional<ArtifactRef>* file :
       {&train.data.train_file, &train.data.val_file, &train.data.test_file}) {
    if (*file) used[(*file)->path] = **file;
  }
  return used;
}

}  // namespace lrsweep
