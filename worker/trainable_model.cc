#include "worker/trainable_model.h"

#include "absl/strings/str_cat.h"
#include "torch/csrc/jit/runtime/graph_executor.h"
#include "torch/script.h"

namespace lrsweep {
namespace {

class BuiltinModel final : public TrainableModel {
 public:
  explicit BuiltinModel(std::shared_ptr<Model> model) : model_(std::move(model)) {}

  torch::Tensor Forward(const torch::Tensor& inputs) override { return model_->forward(inputs); }
  std::vector<std::pair<std::string, torch::Tensor>> NamedParameters() override {
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (const auto& item : model_->named_parameters()) named.emplace_back(item.key(), item.value());
    return named;
  }
  void SetTraining(bool training) override { model_->train(training); }
  void Save(torch::serialize::OutputArchive& archive) override { model_->save(archive); }
  void Load(torch::serialize::InputArchive& archive) override { model_->load(archive); }

 private:
  std::shared_ptr<Model> model_;
};

// A TorchScript module's parameters and buffers are saved under positional keys ("p0", "b3"):
// archive keys cannot hold the dots of qualified names, and the module file, pinned by digest,
// fixes the order. Restoring replaces each tensor's data in place, so the optimizer's
// references stay valid.
class ScriptedModel final : public TrainableModel {
 public:
  explicit ScriptedModel(torch::jit::Module module) : module_(std::move(module)) {
    has_loss_ = module_.find_method("loss").has_value();
  }

  torch::Tensor Forward(const torch::Tensor& inputs) override {
    return module_.forward({inputs}).toTensor();
  }
  bool HasLossMethod() const override { return has_loss_; }
  torch::Tensor LossMethod(const torch::Tensor& inputs, const torch::Tensor& targets) override {
    return module_.run_method("loss", inputs, targets).toTensor();
  }
  std::vector<std::pair<std::string, torch::Tensor>> NamedParameters() override {
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (const auto& item : module_.named_parameters(/*recurse=*/true)) {
      if (item.value.requires_grad()) named.emplace_back(item.name, item.value);
    }
    return named;
  }
  void SetTraining(bool training) override { module_.train(training); }

  void Save(torch::serialize::OutputArchive& archive) override {
    int64_t i = 0;
    for (const auto& item : module_.named_parameters(true)) {
      archive.write(absl::StrCat("p", i++), item.value);
    }
    i = 0;
    for (const auto& item : module_.named_buffers(true)) {
      archive.write(absl::StrCat("b", i++), item.value, /*is_buffer=*/true);
    }
  }

  void Load(torch::serialize::InputArchive& archive) override {
    int64_t i = 0;
    for (const auto& item : module_.named_parameters(true)) {
      torch::Tensor tensor = item.value;
      archive.read(absl::StrCat("p", i++), tensor);
    }
    i = 0;
    for (const auto& item : module_.named_buffers(true)) {
      torch::Tensor tensor = item.value;
      archive.read(absl::StrCat("b", i++), tensor, /*is_buffer=*/true);
    }
  }

 private:
  torch::jit::Module module_;
  bool has_loss_ = false;
};

}  // namespace

torch::Tensor TrainableModel::LossMethod(const torch::Tensor&, const torch::Tensor&) {
  throw std::logic_error("this model has no loss method");
}

int64_t TrainableModel::CountParameters() {
  int64_t count = 0;
  for (const auto& [name, parameter] : NamedParameters()) count += parameter.numel();
  return count;
}

std::unique_ptr<TrainableModel> WrapBuiltinModel(std::shared_ptr<Model> model) {
  return std::make_unique<BuiltinModel>(std::move(model));
}

absl::StatusOr<std::unique_ptr<TrainableModel>> LoadTorchScriptModel(
    const std::string& path, const std::string& label, const torch::Device& device) {
  torch::jit::setGraphExecutorOptimize(false);
  try {
    torch::jit::Module module = torch::jit::load(path, device);
    if (!module.find_method("forward")) {
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": the TorchScript module has no forward()"));
    }
    return std::make_unique<ScriptedModel>(std::move(module));
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": not a TorchScript module (save it with torch.jit.script(model).save(path)): ",
        e.what_without_backtrace()));
  }
}

}  // namespace lrsweep
