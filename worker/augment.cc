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
    const auto offset = offsets.accessor<int64_t, 2>();
    for (int64_t i = 0; i < n; ++i) {
      (*images)[i].copy_(padded_[i].narrow(1, offset[i][0], height).narrow(2, offset[i][1], width));
    }
  }
  if (spec_.hflip) {
    const torch::Tensor mirror = flips.to(images->device()).to(torch::kBool).view({n, 1, 1, 1});
    images->copy_(torch::where(mirror, images->flip({3}), *images));
  }
}

}  // namespace lrsweep
