// Reads what a `torch.save` file holds without LibTorch: the CLI and the coordinator (which do
// not link torch) learn a tensors data file's examples and shapes, to plan steps per epoch and
// to reject a bad file at submit time rather than in the middle of a trial.
//
// torch.save writes a zip archive of stored entries: `<name>/data.pkl`, a pickle (protocol 2)
// whose tensors are `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` calls
// with storages as persistent ids, and one `<name>/data/<key>` entry per storage. Only the
// pickle is read here, by a small interpreter of the opcodes torch.save emits; the storages are
// never touched. The worker loads the same file with torch::pickle_load.
//
//   ASSIGN_OR_RETURN(TensorFileSummary summary, ReadTensorFileSummary("train.pt"));
//   int64_t steps_per_epoch = ceil(summary.examples / batch_size);
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_ARTIFACT_TORCH_FILE_H_
#define LRSWEEP_ARTIFACT_TORCH_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "sweep/artifact_ref.h"

namespace lrsweep {

// The summary of a file saved as `torch.save({"inputs": x, "targets": y}, path)`: both tensors'
// shapes and dtypes, and their common first dimension. InvalidArgument naming the file (and the
// key) when it is not a torch.save zip, not a dict, lacks a key, holds a non-tensor, or the two
// first dimensions disagree.
absl::StatusOr<TensorFileSummary> ReadTensorFileSummary(const std::string& path);

// The same, from the bytes of data.pkl; `name` labels messages. Exposed for tests and fuzzing.
absl::StatusOr<TensorFileSummary> SummarizeTensorPickle(const std::string& pickle,
                                                        const std::string& name);

}  // namespace lrsweep

#endif  // LRSWEEP_ARTIFACT_TORCH_FILE_H_
