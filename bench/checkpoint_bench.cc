// Checkpoint save (serialize + write + fsync + rename) and load (read + verify + restore)
// throughput for a ~1 MB and a ~100 MB model, against writing and reading the same number of
// bytes raw with fsync. Prints one JSON line per size.
//
// With --resume: through a real coordinator, the time to store a checkpoint with each checkpoint
// store (upload vs write to a shared directory + register), and the resume latency of a worker on
// another node — download from the coordinator, or read from the shared directory, and restore —
// against reading it from local disk and restoring it.
//
//   checkpoint_bench [--sizes small,large] [--resume]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/child_process.h"
#include "cli/coordinator_client.h"
#include "cli/local_coordinator.h"
#include "common/atomic_file.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"
#include "worker/coordinator_link.h"
#include "sweep/sweep_planner.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"
#include "worker/checkpoint_store.h"
#include "worker/trainer.h"

namespace lrsweep {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void RawWrite(const std::string& path, const std::string& bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  size_t done = 0;
  while (done < bytes.size()) done += size_t(write(fd, bytes.data() + done, bytes.size() - done));
  fsync(fd);
  close(fd);
}

// Storing and resuming `trainer`'s checkpoint through a real coordinator, with each checkpoint
// store: uploaded to the coordinator, or written to a shared directory and registered. Resuming
// from local disk is the floor both are compared against.
absl::StatusOr<nlohmann::ordered_json> StoreLatency(Trainer& trainer,
                                                    const std::string& sweep_yaml,
                                                    const testing::TempDir& dir, int repeats) {
  const std::string shared = dir.path() + "/shared";
  std::filesystem::remove_all(dir.path() + "/coordinator");
  std::filesystem::remove_all(shared);
  std::filesystem::create_directories(shared);
  ASSIGN_OR_RETURN(LocalCoordinator coordinator,
                   StartLocalCoordinator(ExecutableDir(), dir.path() + "/coordinator",
                                         {"--heartbeat-ms", "60000"},
                                         dir.path() + "/coordinator.log"));
  CoordinatorClient client(coordinator.address);
  RETURN_IF_ERROR(client.Submit(sweep_yaml, "b.yaml").status());
  // One worker's lease on the sweep's trial, taken by hand: the stores need nothing more.
  const std::unique_ptr<CoordinatorLink> link =
      NewGrpcCoordinatorLink(coordinator.address, absl::Seconds(40));
  ASSIGN_OR_RETURN(CoordinatorLink::Registration worker, link->Register("bench", "cpu", 1));
  ASSIGN_OR_RETURN(std::optional<LeaseGrant> grant,
                   link->AcquireLease(worker.worker_id, "", absl::ZeroDuration(), nullptr));
  if (!grant) return absl::InternalError("the coordinator leased no trial");
  const LeaseRef ref{worker.worker_id, grant->sweep_id, grant->trial, grant->fencing_token};
  const std::string bytes = *trainer.Checkpoint(ref.fencing_token);
  (void)WriteFileAtomically(dir.path() + "/local.ckpt", bytes);

  const std::unique_ptr<CheckpointStore> upload =
      NewCheckpointStore({}, link.get(), dir.path() + "/worker");
  const std::unique_ptr<CheckpointStore> shared_store =
      NewCheckpointStore({CheckpointStoreConfig::Kind::kShared, shared}, link.get(), "");
  double save_upload = 0, save_shared = 0;
  bool stored = true;
  // Odd steps uploaded, even steps shared: keep: 2 holds the last of each for the resumes.
  for (int r = 1; r <= repeats; ++r) {
    auto start = Clock::now();
    stored = upload->Save(ref, 2 * r - 1, bytes).ok() && stored;
    save_upload += Since(start);
    start = Clock::now();
    stored = shared_store->Save(ref, 2 * r, bytes).ok() && stored;
    save_shared += Since(start);
  }
  CheckpointRecord uploaded_ref, shared_ref;
  uploaded_ref.step = 2 * repeats - 1;
  uploaded_ref.size = shared_ref.size = static_cast<int64_t>(bytes.size());
  uploaded_ref.sha256 = shared_ref.sha256 = Sha256Hex(bytes);
  shared_ref.step = 2 * repeats;
  shared_ref.shared_path =
      SharedCheckpointPath(ref.sweep_id, ref.trial, 2 * repeats, ref.fencing_token);
  double resume_coordinator = 0, resume_shared = 0, resume_local = 0;
  bool restored = true;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    absl::StatusOr<std::string> downloaded = upload->Load(ref, uploaded_ref);
    restored = downloaded.ok() && trainer.Restore(*downloaded).ok() && restored;
    resume_coordinator += Since(start);
    start = Clock::now();
    absl::StatusOr<std::string> read = shared_store->Load(ref, shared_ref);
    restored = read.ok() && trainer.Restore(*read).ok() && restored;
    resume_shared += Since(start);
    start = Clock::now();
    (void)trainer.Restore(*ReadBinaryFile(dir.path() + "/local.ckpt"));
    resume_local += Since(start);
  }
  coordinator.process.Terminate(absl::Seconds(5));
  return nlohmann::ordered_json{{"stored_and_restored", stored && restored},
          {"save_upload_ms", 1000 * save_upload / repeats},
          {"save_shared_ms", 1000 * save_shared / repeats},
          {"shared_vs_upload_save", save_upload / save_shared},
          {"resume_from_coordinator_ms", 1000 * resume_coordinator / repeats},
          {"resume_from_shared_dir_ms", 1000 * resume_shared / repeats},
          {"resume_from_local_disk_ms", 1000 * resume_local / repeats},
          {"local_vs_coordinator", resume_local / resume_coordinator}};
}

int Main(int argc, char** argv) {
  CLI::App app{"checkpoint_bench"};
  std::vector<std::string> sizes = {"small", "large"};
  bool resume = false;
  app.add_option("--sizes", sizes)->delimiter(',');
  app.add_flag("--resume", resume,
               "measure storing and resuming through a coordinator, with each checkpoint store");
  CLI11_PARSE(app, argc, argv);
  testing::TempDir dir;
  for (const std::string& size : sizes) {
    // mlp 256-128: ~0.24M parameters (~1 MB with momentum ~2 MB); 3000-3000: ~11.4M (~91 MB).
    const std::string hidden = size == "small" ? "[256, 128]" : "[3000, 3000]";
    const std::string yaml = "name: b\ntrain:\n  model: {type: mlp, hidden: " + hidden +
                             "}\n  data: {type: synthetic, train_examples: 256, val_fraction: 0.0, "
                             "test_examples: 64}\n  optimizer: {type: sgd, momentum: 0.9}\n"
                             "  steps: 2\n  batch_size: 64\nschedule: {type: constant, lr: 0.01}\n";
    auto sweep = ParseSweep(yaml, "b.yaml");
    auto plan = PlanSweep(*sweep);
    auto config = ParseTrialConfig(TrialPlanToJson(plan->trials[0]).dump());
    auto data = LoadData(config->train.data, torch::kCPU);
    Trainer trainer(*config, *data, TrainerOptions{});
    if (!trainer.Init().ok()) return 1;
    const int repeats = size == "small" ? 20 : 3;
    if (resume) {
      absl::StatusOr<nlohmann::ordered_json> result = StoreLatency(trainer, yaml, dir, repeats);
      if (!result.ok()) {
        std::cerr << "checkpoint_bench: " << result.status().message() << "\n";
        return 1;
      }
      (*result)["size"] = size;
      std::cout << result->dump() << std::endl;
      continue;
    }
    double save = 0, serialize = 0, raw_write = 0, load = 0, raw_read = 0;
    size_t bytes_size = 0;
    for (int r = 0; r < repeats; ++r) {
      auto start = Clock::now();
      std::string bytes = *trainer.Checkpoint(1);
      serialize += Since(start);
      (void)WriteFileAtomically(dir.path() + "/ckpt", bytes);
      save += Since(start);
      bytes_size = bytes.size();
      start = Clock::now();
      RawWrite(dir.path() + "/raw", bytes);
      raw_write += Since(start);
      start = Clock::now();
      std::string read = *ReadBinaryFile(dir.path() + "/ckpt");
      (void)trainer.Restore(read);
      load += Since(start);
      start = Clock::now();
      std::string raw = *ReadBinaryFile(dir.path() + "/raw");
      raw_read += Since(start);
    }
    const double mb = double(bytes_size) / 1e6;
    nlohmann::ordered_json result = {
        {"size", size}, {"megabytes", mb},
        {"save_mb_per_s", mb * repeats / save}, {"raw_write_mb_per_s", mb * repeats / raw_write},
        {"save_vs_raw", raw_write / save},
        // Of a save: the trainer's Checkpoint() (torch's archive writer, framing, SHA-256).
        {"serialize_ms", 1000 * serialize / repeats}, {"save_ms", 1000 * save / repeats},
        {"load_mb_per_s", mb * repeats / load}, {"raw_read_mb_per_s", mb * repeats / raw_read},
        {"load_vs_raw", raw_read / load}};
    std::cout << result.dump() << std::endl;
  }
  return 0;
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
