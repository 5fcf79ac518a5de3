#include "worker/checkpoint_folder.h"

#include <minizip/unzip.h>
#include <minizip/zip.h>

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace lrsweep {
namespace {

namespace fs = std::filesystem;

struct ZipWriterCloser {
  void operator()(void* zip) const { zipClose(zip, nullptr); }
};
struct ZipReaderCloser {
  void operator()(void* zip) const { unzClose(zip); }
};

// Removes a temporary file however the function leaves.
struct ScratchFile {
  std::string path;
  ~ScratchFile() {
    std::error_code ignored;
    fs::remove(path, ignored);
  }
};

absl::Status AddEntry(void* zip, const std::string& name, const std::string& bytes) {
  zip_fileinfo info = {};
  if (zipOpenNewFileInZip64(zip, name.c_str(), &info, nullptr, 0, nullptr, 0, nullptr,
                            /*method=*/0, /*level=*/0, /*zip64=*/1) != ZIP_OK ||
      (!bytes.empty() &&
       zipWriteInFileInZip(zip, bytes.data(), static_cast<unsigned>(bytes.size())) != ZIP_OK) ||
      zipCloseFileInZip(zip) != ZIP_OK) {
    return absl::InternalError(absl::StrCat("cannot add ", name, " to the checkpoint archive"));
  }
  return absl::OkStatus();
}

std::string ManifestJson(const CheckpointIdentity& identity) {
  nlohmann::json manifest = {{"sweep", identity.sweep_id}, {"trial", identity.trial},
                             {"step", identity.step}, {"attempt", identity.attempt},
                             {"wall_seconds", identity.wall_seconds}};
  if (identity.first_train_loss) manifest["first_train_loss"] = *identity.first_train_loss;
  return manifest.dump();
}

absl::Status AddFolder(void* zip, const fs::path& folder) {
  std::error_code error;
  for (fs::recursive_directory_iterator it(folder, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_directory()) continue;
    const std::string name = fs::relative(it->path(), folder).generic_string();
    if (!it->is_regular_file()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "checkpoint folder ", folder.string(), ": ", name, " is not a regular file"));
    }
    if (name == kCheckpointManifest) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint folder ", folder.string(),
                                                     ": ", name, " is a name lrsweep reserves"));
    }
    ASSIGN_OR_RETURN(std::string bytes, ReadBinaryFile(it->path().string()));
    RETURN_IF_ERROR(AddEntry(zip, name, bytes));
  }
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint folder ", folder.string(), ": ", error.message()));
  }
  return absl::OkStatus();
}

// An archive entry's name is a relative path inside the folder: no "..", no root.
bool SafeEntryName(const std::string& name) {
  const fs::path path(name);
  if (name.empty() || path.is_absolute()) return false;
  for (const fs::path& part : path) {
    if (part == "..") return false;
  }
  return true;
}

absl::StatusOr<std::string> ReadEntry(void* zip, const std::string& name, uint64_t size) {
  std::string bytes(size, '\0');
  if (unzOpenCurrentFile(zip) != UNZ_OK) {
    return absl::DataLossError(absl::StrCat("checkpoint archive: cannot open ", name));
  }
  const int read = size == 0 ? 0 : unzReadCurrentFile(zip, bytes.data(), static_cast<unsigned>(size));
  const int closed = unzCloseCurrentFile(zip);  // UNZ_CRCERROR for a damaged entry
  if (read != static_cast<int>(size) || closed != UNZ_OK) {
    return absl::DataLossError(absl::StrCat("checkpoint archive: ", name, " is damaged"));
  }
  return bytes;
}

absl::Status CheckManifest(const std::string& json, const CheckpointIdentity& expected,
                           CheckpointIdentity* found) {
  try {
    const nlohmann::json manifest = nlohmann::json::parse(json);
    if (manifest.at("sweep").get<std::string>() != expected.sweep_id ||
        manifest.at("trial").get<int64_t>() != expected.trial) {
      return absl::FailedPreconditionError(absl::StrCat(
          "checkpoint belongs to trial ", manifest.at("trial").get<int64_t>(), " of sweep ",
          manifest.at("sweep").get<std::string>(), ", not trial ", expected.trial, " of ",
          expected.sweep_id));
    }
    found->sweep_id = expected.sweep_id;
    found->trial = expected.trial;
    found->step = manifest.at("step").get<int64_t>();
    found->attempt = manifest.at("attempt").get<int64_t>();
    found->wall_seconds = manifest.value("wall_seconds", 0.0);
    if (manifest.contains("first_train_loss")) {
      found->first_train_loss = manifest.at("first_train_loss").get<double>();
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("checkpoint archive: bad manifest: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PackCheckpointFolder(const std::string& folder,
                                                 const CheckpointIdentity& identity) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint folder ", folder, " does not exist"));
  }
  ScratchFile archive{folder + ".lrsweep-pack.zip"};
  {
    std::unique_ptr<void, ZipWriterCloser> zip(zipOpen64(archive.path.c_str(), APPEND_STATUS_CREATE));
    if (zip == nullptr) {
      return absl::InternalError(absl::StrCat("cannot create ", archive.path));
    }
    RETURN_IF_ERROR(AddEntry(zip.get(), kCheckpointManifest, ManifestJson(identity)));
    RETURN_IF_ERROR(AddFolder(zip.get(), folder));
  }
  return ReadBinaryFile(archive.path);
}

absl::StatusOr<CheckpointIdentity> UnpackCheckpointFolder(const std::string& bytes,
                                               const CheckpointIdentity& expected,
                                               const std::string& folder) {
  std::error_code error;
  fs::remove_all(folder, error);
  fs::create_directories(folder, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", folder, ": ", error.message()));
  ScratchFile archive{folder + ".lrsweep-unpack.zip"};
  RETURN_IF_ERROR(WriteFileAtomically(archive.path, bytes));
  std::unique_ptr<void, ZipReaderCloser> zip(unzOpen64(archive.path.c_str()));
  if (zip == nullptr) return absl::DataLossError("checkpoint is not a checkpoint-folder archive");
  std::optional<CheckpointIdentity> identity;
  for (int more = unzGoToFirstFile(zip.get()); more == UNZ_OK; more = unzGoToNextFile(zip.get())) {
    char name[4096];
    unz_file_info64 info;
    if (unzGetCurrentFileInfo64(zip.get(), &info, name, sizeof(name), nullptr, 0, nullptr, 0) !=
        UNZ_OK) {
      return absl::DataLossError("checkpoint archive: unreadable entry");
    }
    // lrsweep writes stored entries, which cannot be larger than the archive: anything else is
    // damage (and must not make the reader allocate what a corrupt header claims).
    if (info.compression_method != 0 || info.uncompressed_size > bytes.size()) {
      return absl::DataLossError(absl::StrCat("checkpoint archive: entry '", name,
                                              "' is not what lrsweep writes (compressed, or "
                                              "larger than the archive)"));
    }
    if (!SafeEntryName(name)) {
      return absl::DataLossError(absl::StrCat("checkpoint archive: entry '", name,
                                              "' points outside its folder"));
    }
    ASSIGN_OR_RETURN(std::string content, ReadEntry(zip.get(), name, info.uncompressed_size));
    if (std::string(name) == kCheckpointManifest) {
      identity.emplace();
      RETURN_IF_ERROR(CheckManifest(content, expected, &*identity));
      continue;
    }
    const fs::path target = fs::path(folder) / name;
    fs::create_directories(target.parent_path(), error);
    RETURN_IF_ERROR(WriteFileAtomically(target.string(), content));
  }
  if (!identity) return absl::DataLossError("checkpoint archive: no lrsweep manifest");
  return *identity;
}

}  // namespace lrsweep
