// TrainSpec: how one trial trains — model, data, optimizer, length and batch size.
//
// It is the `train:` mapping of a sweep file (docs/sweep-reference.md), after the trial's
// parameter overrides. The coordinator plans with it (steps per epoch, LR scaling) and the
// worker trains with it. Parsing rejects unknown keys and out-of-range values with the file
// position and key path.
//
//   YamlReader reader("sweep.yaml");
//   ASSIGN_OR_RETURN(TrainSpec train, ParseTrainSpec(root["train"], reader, "train"));
//   int64_t steps = train.StepsPerEpoch() * *train.epochs;
//
// Thread safety: a plain value type.
#ifndef LRSWEEP_SWEEP_TRAIN_SPEC_H_
#define LRSWEEP_SWEEP_TRAIN_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/yaml_reader.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace lrsweep {

// Where Debian's dataset-fashion-mnist package puts the gzipped IDX files.
inline constexpr char kDefaultFashionMnistPath[] = "/usr/share/datasets/fashion-mnist";
inline constexpr int64_t kFashionMnistTrainExamples = 60000;
inline constexpr int64_t kFashionMnistTestExamples = 10000;

struct ModelSpec {
  std::string type = "cnn";                  // mlp | cnn | resnet
  std::vector<int64_t> hidden = {256, 128};  // mlp: hidden layer sizes
  std::vector<int64_t> channels = {16, 32};  // cnn: channels of its two conv layers
  int64_t width = 16;                        // resnet: channels of the first stage
  int64_t blocks_per_stage = 1;              // resnet: residual blocks in each of 3 stages
  double dropout = 0.0;
};

struct DataSpec {
  std::string type = "fashion_mnist";  // fashion_mnist | synthetic
  double val_fraction = 0.1;           // share of the training set held out for validation
  std::string path = kDefaultFashionMnistPath;
  int64_t train_examples = 2048;  // synthetic only: examples before the validation split
  int64_t test_examples = 512;    // synthetic only
  int64_t num_classes = 10;       // synthetic only
  int64_t seed = 0;               // synthetic only: the data itself (the trial seed shuffles)
};

struct OptimizerSpec {
  std::string type = "sgd";  // sgd | adamw
  double momentum = 0.0;     // sgd
  bool nesterov = false;     // sgd
  double weight_decay = 0.0;
  std::vector<double> betas = {0.9, 0.999};  // adamw
  double eps = 1e-8;                         // adamw
};

struct TrainSpec {
  ModelSpec model;
  DataSpec data;
  OptimizerSpec optimizer;
  std::optional<int64_t> epochs;  // exactly one of epochs / steps
  std::optional<int64_t> steps;
  int64_t batch_size = 128;
  int64_t accumulate = 1;  // micro-batches per optimizer step
  std::optional<double> clip_grad_norm;
  std::optional<int64_t> eval_every_steps;  // default: once per epoch

  // Examples trained on per epoch (the training set minus the validation split).
  int64_t TrainExamples() const;
  // Optimizer steps per epoch: ceil(ceil(train examples / batch_size) / accumulate).
  int64_t StepsPerEpoch() const;
  // Optimizer steps in the whole run.
  int64_t TotalSteps() const;
  int64_t EffectiveBatchSize() const { return batch_size * accumulate; }
};

absl::StatusOr<TrainSpec> ParseTrainSpec(const YAML::Node& node, const YamlReader& reader,
                                         absl::string_view path);

// Checks only the keys of a `train:` mapping and its model/data/optimizer sub-mappings, so that a
// typo is reported when the sweep is read, before any trial is planned.
absl::Status CheckTrainKeys(const YAML::Node& node, const YamlReader& reader,
                            absl::string_view path);

nlohmann::ordered_json TrainSpecToJson(const TrainSpec& train);

// Keys of the `train:` mapping and of its sub-mappings, for checking parameter paths.
const std::vector<std::string>& TrainKeys();

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_TRAIN_SPEC_H_
