// A pickle interpreter for the opcodes torch.save emits (protocol 2, and protocol 4 framing),
// producing a tree of PickleValues. Globals are never imported: a call (REDUCE) builds a
// kCall value naming the callable, except the few torch.save uses, which are interpreted:
// `collections.OrderedDict()` is a dict, `torch._utils._rebuild_tensor_v2(storage, offset,
// size, ...)` is a kTensor with the storage's dtype and the size.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<PickleValue> root, ReadPickle(bytes));
//   if (root->kind == PickleValue::Kind::kDict) ...
//
// Thread safety: stateless function; values are plain data.
#ifndef LRSWEEP_ARTIFACT_PICKLE_READER_H_
#define LRSWEEP_ARTIFACT_PICKLE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lrsweep {

struct PickleValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kGlobal,
                    kStorage, kTensor, kCall };
  Kind kind = Kind::kNone;
  int64_t int_value = 0;   // kInt, kBool
  double float_value = 0;  // kFloat
  // kString: the text; kGlobal and kCall: "module.name"; kStorage and kTensor: the dtype.
  std::string text;
  // kTuple, kList; kDict: keys and values alternating.
  std::vector<std::shared_ptr<PickleValue>> items;
  std::vector<int64_t> shape;  // kTensor
};

// InvalidArgument with the byte offset for a truncated stream or an opcode torch.save does not
// write.
absl::StatusOr<std::shared_ptr<PickleValue>> ReadPickle(const std::string& bytes);

}  // namespace lrsweep

#endif  // LRSWEEP_ARTIFACT_PICKLE_READER_H_
