#include "artifact/local_artifacts.h"

#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "artifact/torch_file.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "sweep/train_spec.h"

namespace lrsweep {
namespace {

namespace fs = std::filesystem;

struct NamedFile {
  std::string key;  // "train.data.train"
  YAML::Node node;  // the path's scalar, for its position
  bool upload = true;
  bool data = false;
};

absl::StatusOr<bool> UploadFlag(const YAML::Node& owner, const YamlReader& reader,
                                const std::string& path) {
  if (!owner.IsDefined() || !owner.IsMap() || !owner["upload"].IsDefined()) return true;
  return reader.Bool(owner["upload"], JoinPath(path, "upload"));
}

// The file nodes of the shared train mapping and of every grid value swept at a file key.
absl::StatusOr<std::vector<NamedFile>> NamedFiles(const SweepSpec& sweep,
                                                  const YamlReader& reader) {
  std::vector<NamedFile> files;
  if (!sweep.train.IsDefined() || !sweep.train.IsMap()) return files;
  ASSIGN_OR_RETURN(const bool model_upload, UploadFlag(sweep.train["model"], reader, "train.model"));
  ASSIGN_OR_RETURN(const bool data_upload, UploadFlag(sweep.train["data"], reader, "train.data"));
  for (auto& [key, node] : ArtifactNodes(sweep.train, "train")) {
    const bool data = absl::StartsWith(key, "train.data.");
    files.push_back({key, node, data ? data_upload : model_upload, data});
    for (const ParameterGrid& grid : sweep.grids) {
      for (const ParameterAxis& axis : grid.axes) {
        if (axis.path != key) continue;
        for (const YAML::Node& value : axis.values) {
          files.push_back({key, value, data ? data_upload : model_upload, data});
        }
      }
    }
  }
  return files;
}

absl::StatusOr<ArtifactRef> ReadOne(const NamedFile& file, const std::string& written,
                                    const std::string& local, const YamlReader& reader) {
  auto where = [&](absl::string_view message) {
    return reader.Error(file.node, file.key, message);
  };
  absl::StatusOr<std::pair<std::string, int64_t>> digest = DigestFile(local);
  if (!digest.ok()) {
    return where(absl::StrCat("cannot read ", local, " (", digest.status().message(), ")"));
  }
  ArtifactRef ref;
  ref.path = written;
  ref.sha256 = digest->first;
  ref.bytes = digest->second;
  ref.upload = file.upload;
  if (file.data) {
    absl::StatusOr<TensorFileSummary> summary = ReadTensorFileSummary(local);
    if (!summary.ok()) return where(summary.status().message());
    ref.tensors = *summary;
  }
  return ref;
}

absl::StatusOr<LocalArtifacts> ReadNamedFiles(const SweepSpec& sweep) {
  const YamlReader reader(sweep.file);
  ASSIGN_OR_RETURN(std::vector<NamedFile> files, NamedFiles(sweep, reader));
  const fs::path base = fs::path(sweep.file).parent_path();
  LocalArtifacts local;
  for (const NamedFile& file : files) {
    ASSIGN_OR_RETURN(std::string written, reader.String(file.node, file.key));
    if (written.empty()) return reader.Error(file.node, file.key, "must name a file");
    if (local.manifest.count(written) != 0) continue;
    const fs::path path(written);
    if (!file.upload && !path.is_absolute()) {
      return reader.Error(file.node, file.key,
                          "with upload: false the path must be absolute: one every node reads");
    }
    const std::string on_disk = path.is_absolute() ? written : (base / path).string();
    ASSIGN_OR_RETURN(ArtifactRef ref, ReadOne(file, written, on_disk, reader));
    local.manifest[written] = std::move(ref);
    local.local_paths[written] = on_disk;
  }
  return local;
}

}  // namespace

absl::StatusOr<std::pair<std::string, int64_t>> DigestFile(const std::string& path) {
  std::error_code error;
  if (fs::is_directory(path, error)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is a directory, not a file"));
  }
  Sha256Hasher hasher;
  int64_t size = 0;
  RETURN_IF_ERROR(ReadFileInChunks(path, 1 << 20, [&](absl::string_view chunk) {
    hasher.Update(chunk);
    size += static_cast<int64_t>(chunk.size());
    return absl::OkStatus();
  }));
  return std::make_pair(hasher.FinalHex(), size);
}

absl::StatusOr<LocalArtifacts> ReadLocalArtifacts(const SweepSpec& sweep) {
  try {
    return ReadNamedFiles(sweep);
  } catch (const YAML::Exception& e) {  // the spec was parsed already; this is a defect
    return absl::InternalError(absl::StrCat(sweep.file, ": reading its file names: ", e.what()));
  }
}

}  // namespace lrsweep
