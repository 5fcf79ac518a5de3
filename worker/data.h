// Training data for the worker: Fashion-MNIST from Debian's dataset-fashion-mnist, or a seeded
// synthetic set of the same shape for fast tests.
//
// Both give 1x28x28 float images, normalized (Fashion-MNIST: mean 0.2860, std 0.3530), and int64
// labels. The validation split is taken from the training set by a seeded shuffle that depends
// only on the data (not on the trial's seed), so every trial of a sweep validates on the same
// examples.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<const DataSplits> data, LoadData(train.data, device));
//   torch::Tensor x = data->train.images.index_select(0, batch_indices);
//
// Thread safety: DataSplits are immutable once loaded. LoadData caches by spec and device and is
// thread-safe.
#ifndef LRSWEEP_WORKER_DATA_H_
#define LRSWEEP_WORKER_DATA_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sweep/train_spec.h"
#include "torch/torch.h"

namespace lrsweep {

struct Dataset {
  torch::Tensor images;  // [N, 1, 28, 28] float32
  torch::Tensor labels;  // [N] int64
  int64_t size() const { return images.size(0); }
};

struct DataSplits {
  Dataset train;
  Dataset val;
  Dataset test;
  int64_t num_classes = 10;
};

// A permutation of 0..n-1 from mt19937_64 (Fisher-Yates): the same on every platform.
std::vector<int64_t> Permutation(int64_t n, uint64_t seed);

// Reads an IDX file (gzipped or not): images as uint8 [N, rows, cols], labels as uint8 [N].
absl::StatusOr<torch::Tensor> ReadIdxFile(const std::string& path);

absl::StatusOr<std::shared_ptr<const DataSplits>> LoadData(const DataSpec& spec,
                                                           const torch::Device& device);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_DATA_H_
