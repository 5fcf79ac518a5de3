// Training-time augmentation of image batches: random crops of a zero-padded image and random
// horizontal flips (train.data.augment). The draws come from a generator keyed by the trial seed
// and the position of the micro-batch in the run, never from a generator that runs on, so a trial
// resumed from a checkpoint trains on exactly the batches an uninterrupted one would.
//
//   BatchAugmenter augmenter(train.data.augment, trial_seed);
//   augmenter.Apply(step, /*micro_batch=*/0, &batch_inputs);   // [N, C, H, W], in place
//
// Thread safety: one augmenter belongs to one training loop (it keeps scratch buffers).
#ifndef LRSWEEP_WORKER_AUGMENT_H_
#define LRSWEEP_WORKER_AUGMENT_H_

#include <cstdint>

#include "sweep/train_spec.h"
#include "torch/torch.h"

namespace lrsweep {

class BatchAugmenter {
 public:
  BatchAugmenter(const AugmentSpec& spec, int64_t seed) : spec_(spec), seed_(seed) {}

  bool enabled() const { return spec_.Enabled(); }

  // Augments `images` [N, C, H, W] in place: the same (seed, step, micro_batch) gives the same
  // crops and flips. A no-op when augmentation is off.
  void Apply(int64_t step, int64_t micro_batch, torch::Tensor* images);

 private:
  AugmentSpec spec_;
  int64_t seed_;
  torch::Tensor padded_;  // kept across steps: no allocation per step
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_AUGMENT_H_
