// Training data for the worker: Fashion-MNIST from Debian's dataset-fashion-mnist, a seeded
// synthetic set of the same shape for fast tests, or a user's tensors files.
//
// The built-in sets give 1x28x28 float images, normalized (Fashion-MNIST: mean 0.2860, std
// 0.3530), and int64 labels. Tensors data is whatever `torch.save({"inputs": x, "targets": y})`
// wrote: any shapes and dtypes, the first dimension the examples. The validation split is taken from the training set by a seeded shuffle that depends
// only on the data (not on the trial's seed), so every trial of a sweep validates on the same
// examples.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<const DataSplits> data, LoadData(train.data, device, files));
//   torch::Tensor x = data->train.inputs.index_select(0, batch_indices);
//
// Thread safety: DataSplits are immutable once loaded. LoadData caches by spec and device (for
// tensors data: the newest set only, so a worker holds one user dataset at a time) and is
// thread-safe.
#ifndef LRSWEEP_WORKER_DATA_H_
#define LRSWEEP_WORKER_DATA_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sweep/artifact_ref.h"
#include "sweep/train_spec.h"
#include "torch/torch.h"

namespace lrsweep {

struct Dataset {
  torch::Tensor inputs;   // built-in: [N, 1, 28, 28] float32
  torch::Tensor targets;  // built-in: [N] int64 class labels
  int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
};

struct DataSplits {
  Dataset train;
  Dataset val;
  Dataset test;  // empty when tensors data has no test file
  int64_t num_classes = 10;  // built-in data only
};

// Where a worker holds each artifact: SHA-256 (hex) -> local file (artifact_cache.h).
using LocalFiles = std::map<std::string, std::string>;

// A permutation of 0..n-1 from mt19937_64 (Fisher-Yates): the same on every platform.
std::vector<int64_t> Permutation(int64_t n, uint64_t seed);

// Reads an IDX file (gzipped or not): images as uint8 [N, rows, cols], labels as uint8 [N].
absl::StatusOr<torch::Tensor> ReadIdxFile(const std::string& path);

// `files` locates tensors data files by digest. InvalidArgument naming the file and the key
// when a tensors file is not a dict with tensors "inputs" and "targets" of equal length.
absl::StatusOr<std::shared_ptr<const DataSplits>> LoadData(const DataSpec& spec,
                                                           const torch::Device& device,
                                                           const LocalFiles& files = {});

// One tensors file, as torch.save wrote it; `label` names it in messages.
absl::StatusOr<Dataset> LoadTensorsFile(const std::string& path, const std::string& label);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_DATA_H_
