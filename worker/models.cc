#include "worker/models.h"

namespace lrsweep {
namespace {

constexpr int64_t kPixels = 28 * 28;
constexpr int64_t kCnnHidden = 32;

class Mlp : public Model {
 public:
  Mlp(const ModelSpec& spec, int64_t num_classes) : dropout_(spec.dropout) {
    int64_t inputs = kPixels;
    for (size_t i = 0; i < spec.hidden.size(); ++i) {
      layers_.push_back(register_module("fc" + std::to_string(i),
                                        torch::nn::Linear(inputs, spec.hidden[i])));
      inputs = spec.hidden[i];
    }
    out_ = register_module("out", torch::nn::Linear(inputs, num_classes));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = x.flatten(1);
    for (torch::nn::Linear& layer : layers_) {
      x = torch::relu(layer->forward(x));
      if (dropout_ > 0) x = torch::dropout(x, dropout_, is_training());
    }
    return out_->forward(x);
  }

 private:
  double dropout_;
  std::vector<torch::nn::Linear> layers_;
  torch::nn::Linear out_{nullptr};
};

// conv3x3 -> [batch norm ->] relu -> maxpool, twice, then a 32-unit hidden layer. With batch
// norm the convolutions have no bias (the norm's shift replaces it), as in torchvision's models.
class Cnn : public Model {
 public:
  Cnn(const ModelSpec& spec, int64_t num_classes)
      : dropout_(spec.dropout),
        conv1_(register_module("conv1", Conv3x3(1, spec.channels[0], !spec.batch_norm))),
        conv2_(register_module("conv2",
                               Conv3x3(spec.channels[0], spec.channels[1], !spec.batch_norm))) {
    if (spec.batch_norm) {
      bn1_ = register_module("bn1", torch::nn::BatchNorm2d(spec.channels[0]));
      bn2_ = register_module("bn2", torch::nn::BatchNorm2d(spec.channels[1]));
    }
    fc_ = register_module("fc", torch::nn::Linear(spec.channels[1] * 7 * 7, kCnnHidden));
    out_ = register_module("out", torch::nn::Linear(kCnnHidden, num_classes));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = torch::max_pool2d(torch::relu(Normalized(bn1_, conv1_->forward(x))), 2);
    x = torch::max_pool2d(torch::relu(Normalized(bn2_, conv2_->forward(x))), 2);
    x = torch::relu(fc_->forward(x.flatten(1)));
    if (dropout_ > 0) x = torch::dropout(x, dropout_, is_training());
    return out_->forward(x);
  }

 private:
  static torch::nn::Conv2d Conv3x3(int64_t in, int64_t out, bool bias) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(bias));
  }
  static torch::Tensor Normalized(torch::nn::BatchNorm2d& norm, torch::Tensor x) {
    return norm.is_empty() ? x : norm->forward(x);
  }

  double dropout_;
  torch::nn::Conv2d conv1_, conv2_;
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Linear fc_{nullptr}, out_{nullptr};
};

class BasicBlock : public torch::nn::Module {
 public:
  BasicBlock(int64_t in, int64_t out, int64_t stride)
      : conv1_(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3)
                                                              .stride(stride)
                                                              .padding(1)
                                                              .bias(false)))),
        bn1_(register_module("bn1", torch::nn::BatchNorm2d(out))),
        conv2_(register_module(
            "conv2",
            torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1).bias(false)))),
        bn2_(register_module("bn2", torch::nn::BatchNorm2d(out))) {
    if (stride != 1 || in != out) {
      shortcut_ = register_module(
          "shortcut", torch::nn::Sequential(
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                          torch::nn::BatchNorm2d(out)));
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor y = torch::relu(bn1_->forward(conv1_->forward(x)));
    y = bn2_->forward(conv2_->forward(y));
    return torch::relu(y + (shortcut_.is_empty() ? x : shortcut_->forward(x)));
  }

 private:
  // Declared in registration order: parameters are saved and restored in this order.
  torch::nn::Conv2d conv1_;
  torch::nn::BatchNorm2d bn1_;
  torch::nn::Conv2d conv2_;
  torch::nn::BatchNorm2d bn2_;
  torch::nn::Sequential shortcut_{nullptr};
};

// Three stages of width w, 2w, 4w (28 -> 28 -> 14 -> 7), global average pooling, linear.
class ResNet : public Model {
 public:
  ResNet(const ModelSpec& spec, int64_t num_classes)
      : stem_(register_module("stem", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, spec.width, 3)
                                                            .padding(1)
                                                            .bias(false)))),
        stem_bn_(register_module("stem_bn", torch::nn::BatchNorm2d(spec.width))) {
    int64_t in = spec.width;
    for (int stage = 0; stage < 3; ++stage) {
      const int64_t out = spec.width << stage;
      for (int64_t b = 0; b < spec.blocks_per_stage; ++b) {
        const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
        blocks_.push_back(register_module(
            "block" + std::to_string(stage) + "_" + std::to_string(b),
            std::make_shared<BasicBlock>(in, out, stride)));
        in = out;
      }
    }
    out_ = register_module("out", torch::nn::Linear(in, num_classes));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = torch::relu(stem_bn_->forward(stem_->forward(x)));
    for (auto& block : blocks_) x = block->forward(x);
    return out_->forward(x.mean({2, 3}));
  }

 private:
  torch::nn::Conv2d stem_;
  torch::nn::BatchNorm2d stem_bn_;
  std::vector<std::shared_ptr<BasicBlock>> blocks_;
  torch::nn::Linear out_{nullptr};
};

}  // namespace

std::shared_ptr<Model> MakeModel(const ModelSpec& spec, int64_t num_classes) {
  if (spec.type == "mlp") return std::make_shared<Mlp>(spec, num_classes);
  if (spec.type == "resnet") return std::make_shared<ResNet>(spec, num_classes);
  return std::make_shared<Cnn>(spec, num_classes);
}

int64_t CountParameters(torch::nn::Module& model) {
  int64_t count = 0;
  for (const torch::Tensor& parameter : model.parameters()) count += parameter.numel();
  return count;
}

}  // namespace lrsweep
