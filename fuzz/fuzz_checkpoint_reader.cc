// Fuzzes what a worker or the coordinator reads back from disk or the network: checkpoint files
// (header + torch archive), checkpoint-folder archives of command trials, and torch.save pickles.
// Damaged input is DATA_LOSS (or another clean error), never a crash.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "artifact/pickle_reader.h"
#include "artifact/torch_file.h"
#include "worker/checkpoint_folder.h"
#include "worker/checkpoint_format.h"

namespace {

const std::string& ScratchDir() {
  static const std::string* dir = [] {
    auto* path = new std::string(std::filesystem::temp_directory_path() /
                                 ("lrsweep-fuzz-" + std::to_string(getpid())));
    std::filesystem::create_directories(*path);
    static const std::string* dir = path;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*dir, ignored);
    });
    return path;
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<lrsweep::DecodedCheckpoint> decoded = lrsweep::DecodeCheckpoint(bytes);
  if (decoded.ok()) (void)decoded->header.dump();
  if (size > 0 && data[0] == 'P') {  // a zip's "PK": the folder archive
    (void)lrsweep::UnpackCheckpointFolder(bytes, {"s-1", 1}, ScratchDir() + "/unpacked");
  }
  absl::StatusOr<std::shared_ptr<lrsweep::PickleValue>> pickle = lrsweep::ReadPickle(bytes);
  (void)lrsweep::SummarizeTensorPickle(bytes, "fuzz.pt");
  return 0;
}
