// Checkpoint save (serialize + write + fsync + rename) and load (read + verify + restore)
// throughput for a ~1 MB and a ~100 MB model, against writing and reading the same number of
// bytes raw with fsync. Prints one JSON line per size.
//
//   checkpoint_bench [--sizes small,large]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "CLI/CLI.hpp"
#include "common/atomic_file.h"
#include "coordinator/sweep_planner.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"
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

int Main(int argc, char** argv) {
  CLI::App app{"checkpoint_bench"};
  std::vector<std::string> sizes = {"small", "large"};
  app.add_option("--sizes", sizes)->delimiter(',');
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
    double save = 0, raw_write = 0, load = 0, raw_read = 0;
    size_t bytes_size = 0;
    for (int r = 0; r < repeats; ++r) {
      auto start = Clock::now();
      std::string bytes = *trainer.Checkpoint(1);
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
        {"load_mb_per_s", mb * repeats / load}, {"raw_read_mb_per_s", mb * repeats / raw_read},
        {"load_vs_raw", raw_read / load}};
    std::cout << result.dump() << std::endl;
  }
  return 0;
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
