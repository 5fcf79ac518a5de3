#include "artifact/torch_file.h"

#include <minizip/unzip.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "artifact/pickle_reader.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

constexpr int64_t kMaxPickleBytes = 64 << 20;  // data.pkl of a dict of two tensors is < 1 KB

struct ZipCloser {
  void operator()(void* zip) const { unzClose(zip); }
};

absl::Status NotTorchSave(const std::string& path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": ", why, ". Write data files with torch.save({\"inputs\": x, \"targets\": y}, \"",
      path, "\") (PyTorch 1.6 or newer; not with _use_new_zipfile_serialization=False)"));
}

// The bytes of the archive's `<name>/data.pkl`.
absl::StatusOr<std::string> ReadDataPickle(const std::string& path) {
  std::unique_ptr<void, ZipCloser> zip(unzOpen64(path.c_str()));
  if (zip == nullptr) return NotTorchSave(path, "cannot be opened as a torch.save zip archive");
  for (int more = unzGoToFirstFile(zip.get()); more == UNZ_OK; more = unzGoToNextFile(zip.get())) {
    char name[1024];
    unz_file_info64 info;
    if (unzGetCurrentFileInfo64(zip.get(), &info, name, sizeof(name), nullptr, 0, nullptr, 0) !=
        UNZ_OK) {
      break;
    }
    const std::string entry(name);
    if (entry != "data.pkl" && !absl::EndsWith(entry, "/data.pkl")) continue;
    if (info.uncompressed_size > static_cast<uint64_t>(kMaxPickleBytes)) {
      return NotTorchSave(path, "its data.pkl is implausibly large");
    }
    std::string bytes(static_cast<size_t>(info.uncompressed_size), '\0');
    if (unzOpenCurrentFile(zip.get()) != UNZ_OK) break;
    const int read = unzReadCurrentFile(zip.get(), bytes.data(), static_cast<unsigned>(bytes.size()));
    unzCloseCurrentFile(zip.get());
    if (read != static_cast<int>(bytes.size())) return NotTorchSave(path, "data.pkl is truncated");
    return bytes;
  }
  return NotTorchSave(path, "has no data.pkl entry");
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::StatusOr<const PickleValue*> TensorAt(const PickleValue& dict, const std::string& key,
                                            const std::string& name) {
  std::vector<std::string> keys;
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const PickleValue& k = *dict.items[i];
    if (k.kind != PickleValue::Kind::kString) continue;
    keys.push_back(absl::StrCat("'", k.text, "'"));
    if (k.text != key) continue;
    const PickleValue& value = *dict.items[i + 1];
    if (value.kind != PickleValue::Kind::kTensor) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": key '", key, "' is not a tensor (save a torch.Tensor there)"));
    }
    if (value.shape.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": key '", key, "' is a 0-d tensor; its first dimension must be the examples"));
    }
    return &value;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      name, ": the dict has no key '", key, "' (it has ", keys.empty() ? "none" : absl::StrJoin(keys, ", "),
      "); save {\"inputs\": x, \"targets\": y}"));
}

}  // namespace

absl::StatusOr<TensorFileSummary> SummarizeTensorPickle(const std::string& pickle,
                                                        const std::string& name) {
  absl::StatusOr<std::shared_ptr<PickleValue>> root = ReadPickle(pickle);
  if (!root.ok()) {  // e.g. a TorchScript module, whose pickle builds objects
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": not a torch.save dict of tensors (", root.status().message(),
        "); save {\"inputs\": x, \"targets\": y} with torch.save"));
  }
  if ((*root)->kind != PickleValue::Kind::kDict) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": holds no dict of tensors; save {\"inputs\": x, \"targets\": y} with torch.save"));
  }
  ASSIGN_OR_RETURN(const PickleValue* inputs, TensorAt(**root, "inputs", name));
  ASSIGN_OR_RETURN(const PickleValue* targets, TensorAt(**root, "targets", name));
  if (inputs->shape[0] != targets->shape[0]) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": 'inputs' ", ShapeText(inputs->shape), " and 'targets' ",
        ShapeText(targets->shape), " disagree on the number of examples (the first dimension)"));
  }
  if (inputs->shape[0] < 1) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": holds no examples"));
  }
  TensorFileSummary summary;
  summary.examples = inputs->shape[0];
  summary.input_shape = inputs->shape;
  summary.input_dtype = inputs->text;
  summary.target_shape = targets->shape;
  summary.target_dtype = targets->text;
  return summary;
}

absl::StatusOr<TensorFileSummary> ReadTensorFileSummary(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pickle, ReadDataPickle(path));
  return SummarizeTensorPickle(pickle, path);
}

}  // namespace lrsweep
