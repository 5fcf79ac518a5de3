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
#include "sweep/artifact_ref.h"
#include "sweep/command_spec.h"
#include "yaml-cpp/yaml.h"

namespace lrsweep {

// Where Debian's dataset-fashion-mnist package puts the gzipped IDX files.
inline constexpr char kDefaultFashionMnistPath[] = "/usr/share/datasets/fashion-mnist";
inline constexpr int64_t kFashionMnistTrainExamples = 60000;
inline constexpr int64_t kFashionMnistTestExamples = 10000;

struct ModelSpec {
  std::string type = "cnn";                  // mlp | cnn | resnet | torchscript
  std::vector<int64_t> hidden = {256, 128};  // mlp: hidden layer sizes
  std::vector<int64_t> channels = {16, 32};  // cnn: channels of its two conv layers
  int64_t width = 16;                        // resnet: channels of the first stage
  int64_t blocks_per_stage = 1;              // resnet: residual blocks in each of 3 stages
  double dropout = 0.0;
  bool batch_norm = false;  // cnn: BatchNorm after each conv (running statistics at evaluation)
  // torchscript: the module file (torch.jit.script(model).save(path)), pinned by digest.
  ArtifactRef file;
};

// Augmentation of image batches [N, C, H, W] while training (never at evaluation). Drawn from
// the trial seed and the step, not from a running generator, so that a resumed trial trains on
// exactly the batches an uninterrupted one would.
struct AugmentSpec {
  int64_t random_crop = 0;  // pad each side by this many zero pixels, crop back at a random offset
  bool hflip = false;       // mirror left-right with probability 1/2
  bool Enabled() const { return random_crop > 0 || hflip; }
};

struct DataSpec {
  std::string type = "fashion_mnist";  // fashion_mnist | synthetic | tensors
  // Share of the training set held out for validation (tensors: only when there is no val file).
  double val_fraction = 0.1;
  std::string path = kDefaultFashionMnistPath;
  int64_t train_examples = 2048;  // synthetic only: examples before the validation split
  int64_t test_examples = 512;    // synthetic only
  int64_t num_classes = 10;       // synthetic only
  int64_t seed = 0;               // synthetic only: the data itself (the trial seed shuffles)
  // tensors only: torch.save({"inputs": x, "targets": y}) files; val and test are optional.
  std::optional<ArtifactRef> train_file, val_file, test_file;
  AugmentSpec augment;
};

// Parameters whose name starts with `prefix` train with lr x lr_scale (and their own weight
// decay): e.g. a pretrained backbone at a tenth of the head's LR. The first matching group wins;
// parameters no group matches form the default group.
struct ParamGroupSpec {
  std::string prefix;
  double lr_scale = 1.0;
  std::optional<double> weight_decay;
};

struct OptimizerSpec {
  std::string type = "sgd";  // sgd | adamw
  double momentum = 0.0;     // sgd
  bool nesterov = false;     // sgd
  double weight_decay = 0.0;
  std::vector<double> betas = {0.9, 0.999};  // adamw
  double eps = 1e-8;                         // adamw
  std::vector<ParamGroupSpec> param_groups;
};

struct TrainSpec {
  ModelSpec model;
  DataSpec data;
  OptimizerSpec optimizer;
  // cross_entropy | mse | bce_with_logits | method (the TorchScript module's loss(inputs, targets))
  std::string loss = "cross_entropy";
  std::optional<int64_t> epochs;  // exactly one of epochs / steps
  std::optional<int64_t> steps;
  int64_t batch_size = 128;
  int64_t accumulate = 1;  // micro-batches per optimizer step
  std::optional<double> clip_grad_norm;
  std::optional<int64_t> eval_every_steps;  // default: once per epoch
  // The test set is evaluated once, after the last step. Ranking never uses it, so a sweep that
  // only wants the ranking turns it off (test: false) and saves that pass in every trial.
  bool test = true;
  // Set: the user's program trains (command_spec.h); model, data, optimizer and loss are its
  // business, and the horizon is steps, or epochs x steps_per_epoch.
  std::optional<CommandSpec> command;
  std::optional<int64_t> steps_per_epoch;  // command only; unknown (0) when not given

  // Accuracy is measured: integer class-index targets and a classification loss.
  bool Classification() const;
  // Examples trained on per epoch (the training set minus the validation split).
  int64_t TrainExamples() const;
  // Optimizer steps per epoch: ceil(ceil(train examples / batch_size) / accumulate).
  int64_t StepsPerEpoch() const;
  // Optimizer steps in the whole run.
  int64_t TotalSteps() const;
  int64_t EffectiveBatchSize() const { return batch_size * accumulate; }
};

// `artifacts` resolves the files a torchscript model or tensors data names (by the path as
// written); InvalidArgument naming the key when a named file is not in it.
absl::StatusOr<TrainSpec> ParseTrainSpec(const YAML::Node& node, const YamlReader& reader,
                                         absl::string_view path,
                                         const ArtifactManifest& artifacts = {});

// Where each file a train mapping names is written: "train.model.path" -> node. For building a
// manifest (the CLI) before the mapping can be parsed.
std::vector<std::pair<std::string, YAML::Node>> ArtifactNodes(const YAML::Node& train,
                                                              absl::string_view path);

// The artifacts a parsed TrainSpec uses, keyed like the manifest it was parsed with.
ArtifactManifest UsedArtifacts(const TrainSpec& train);

// Checks only the keys of a `train:` mapping and its model/data/optimizer sub-mappings, so that a
// typo is reported when the sweep is read, before any trial is planned.
absl::Status CheckTrainKeys(const YAML::Node& node, const YamlReader& reader,
                            absl::string_view path);

nlohmann::ordered_json TrainSpecToJson(const TrainSpec& train);

// Keys of the `train:` mapping and of its sub-mappings, for checking parameter paths.
const std::vector<std::string>& TrainKeys();

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_TRAIN_SPEC_H_
