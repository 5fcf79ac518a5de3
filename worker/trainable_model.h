// TrainableModel: what the trainer needs of a model, whether built in (a torch::nn::Module of
// models.h) or a user's TorchScript module loaded with torch::jit::load.
//
// The trainer hands the named parameters to the optimizer (in param groups by name prefix),
// switches train/eval mode (dropout, batch norm), calls Forward or the module's own
// `loss(inputs, targets)`, and saves and restores parameters and buffers in checkpoints.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<TrainableModel> model,
//                    LoadTorchScriptModel("/cache/3fa9...", torch::kCPU));
//   model->SetTraining(true);
//   torch::Tensor output = model->Forward(inputs);
//
// TorchScript modules run with the graph executor's optimizations off (one process-wide
// setting, made by LoadTorchScriptModel): the profiling executor would run the first steps
// after every resume down a different path than the steps of an undisturbed run, and resumed
// trials must end bit-identical.
//
// Thread safety: like a torch::nn::Module, one model belongs to one training loop.
#ifndef LRSWEEP_WORKER_TRAINABLE_MODEL_H_
#define LRSWEEP_WORKER_TRAINABLE_MODEL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "torch/torch.h"
#include "worker/models.h"

namespace lrsweep {

class TrainableModel {
 public:
  virtual ~TrainableModel() = default;

  virtual torch::Tensor Forward(const torch::Tensor& inputs) = 0;
  // The module's `loss(inputs, targets)`, the mean over the batch; only if HasLossMethod().
  virtual bool HasLossMethod() const { return false; }
  virtual torch::Tensor LossMethod(const torch::Tensor& inputs, const torch::Tensor& targets);
  // Trainable parameters (requires_grad) by qualified name ("backbone.0.weight"), in the
  // module's order.
  virtual std::vector<std::pair<std::string, torch::Tensor>> NamedParameters() = 0;
  virtual void SetTraining(bool training) = 0;
  // Parameters and buffers, into and out of a checkpoint's archive.
  virtual void Save(torch::serialize::OutputArchive& archive) = 0;
  virtual void Load(torch::serialize::InputArchive& archive) = 0;

  int64_t CountParameters();
};

// Wraps a built-in model (already on its device).
std::unique_ptr<TrainableModel> WrapBuiltinModel(std::shared_ptr<Model> model);

// Loads `path` onto `device`. InvalidArgument naming `label` (the file as the sweep names it)
// when it is not a TorchScript archive or has no forward().
absl::StatusOr<std::unique_ptr<TrainableModel>> LoadTorchScriptModel(
    const std::string& path, const std::string& label, const torch::Device& device);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_TRAINABLE_MODEL_H_
