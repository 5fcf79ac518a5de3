#include "worker/augment.h"

#include "ATen/CPUGeneratorImpl.h"

namespace lrsweep {
namespace {

// SplitMix64's finalizer: nearby (seed, step) keys give unrelated generator seeds.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void BatchAugmenter::Apply(int64_t step, int64_t micro_batch, torch::Tensor* images) {
  if (!enabled()) return;
  torch::NoGradGuard no_grad;
  const uint64_t key = Mix(Mix(Mix(static_cast<uint64_t>(seed_)) ^ static_cast<uint64_t>(step)) ^
                           static_cast<uint64_t>(micro_batch));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(key);
  const int64_t n = images->size(0);
  const int64_t pad = spec_.random_crop;
  // Drawn on the CPU whatever the device, so the draws do not depend on it.
  const torch::Tensor offsets = torch::randint(0, 2 * pad + 1, {n, 2}, generator, torch::kLong);
  const torch::Tensor flips = torch::randint(0, 2, {n}, generator, torch::kLong);
  if (pad > 0) {
    const int64_t height = images->size(2), width = images->size(3);
    const std::vector<int64_t> padded_sizes = {n, images->size(1), height + 2 * pad,
                                               width + 2 * pad};
    // The border stays zero: only the interior is ever written.
    if (!padded_.defined() || padded_.sizes() != torch::IntArrayRef(padded_sizes)) {
      padded_ = torch::zeros(padded_sizes, images->options());
    }
    padded_.narrow(2, pad, height).narrow(3, pad, width).copy_(*images);
    // One gather for the whole batch (no per-image copies, which would be a kernel launch each
    // on a GPU): image i takes rows dy_i .. dy_i + H and columns dx_i .. dx_i + W.
    const torch::Tensor on_device = offsets.to(images->device());
    const auto index_options = on_device.options();
    const torch::Tensor rows =
        on_device.select(1, 0).view({n, 1}) + torch::arange(height, index_options).view({1, height});
    const torch::Tensor columns =
        on_device.select(1, 1).view({n, 1}) + torch::arange(width, index_options).view({1, width});
    using torch::indexing::Slice;
    // Advanced indices around a slice put their dimensions first: [N, H, W, C].
    const torch::Tensor cropped = padded_.index({torch::arange(n, index_options).view({n, 1, 1}),
                                                 Slice(), rows.view({n, height, 1}),
                                                 columns.view({n, 1, width})});
    images->copy_(cropped.permute({0, 3, 1, 2}));
  }
  if (spec_.hflip) {
    const torch::Tensor mirror = flips.to(images->device()).to(torch::kBool).view({n, 1, 1, 1});
    images->copy_(torch::where(mirror, images->flip({3}), *images));
  }
}

}  // namespace lrsweep
