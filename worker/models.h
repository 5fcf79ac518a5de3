// The built-in models: `mlp` (hidden sizes configurable), `cnn` (two conv layers, under 100K
// parameters) and `resnet` (a small residual network for when the GPU should have work to do).
// All take [N, 1, 28, 28] images and return [N, num_classes] logits.
//
//   std::shared_ptr<Model> model = MakeModel(train.model, /*num_classes=*/10);
//   model->to(device);
//   torch::Tensor logits = model->forward(images);
//
// Thread safety: like any torch::nn::Module, one model belongs to one training loop.
#ifndef LRSWEEP_WORKER_MODELS_H_
#define LRSWEEP_WORKER_MODELS_H_

#include <memory>

#include "sweep/train_spec.h"
#include "torch/torch.h"

namespace lrsweep {

class Model : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor images) = 0;
};

// Builds the model with torch's current RNG state (seed it first for reproducible weights).
std::shared_ptr<Model> MakeModel(const ModelSpec& spec, int64_t num_classes);

int64_t CountParameters(torch::nn::Module& model);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_MODELS_H_
