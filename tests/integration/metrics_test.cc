// --metrics-listen on the coordinator and a worker, scraped as Prometheus would after a sweep:
// the numbers agree with what the sweep did.
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/atomic_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/local_cluster.h"

namespace lrsweep::testing {
namespace {

// Two trials of 120 steps, checkpointed every 40.
constexpr char kSweep[] = R"(name: metrics
checkpoint: {every_steps: 40}
train:
  model: {type: mlp, hidden: [8]}
  data: {type: synthetic, train_examples: 256, val_fraction: 0.25}
  steps: 120
  batch_size: 16
schedule: {type: cosine, lr: 0.1, eta_min: 0.001}
parameters:
  - schedule.lr: [0.05, 0.1]
)";

// The text of http://127.0.0.1:PORT/metrics (fetched with Debian's Python, as a scraper would).
std::string Scrape(int port) {
  const CommandResult fetched = RunCommand(absl::StrCat(
      "/usr/bin/python3 -c 'import sys, urllib.request; "
      "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "
      "http://127.0.0.1:",
      port, "/metrics"));
  EXPECT_EQ(fetched.exit_code, 0) << fetched.err;
  return fetched.out;
}

// The value of the sample `series` (name and labels exactly as exposed), or -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, series + " ")) continue;
    double value = 0;
    if (absl::SimpleAtod(line, &value)) return value;
  }
  return -1;
}

// The port lrsweep-coordinator or lrsweep-worker says its metrics are on, from its log.
int MetricsPort(const std::string& log) {
  const size_t at = log.find("metrics on http://127.0.0.1:");
  if (at == std::string::npos) return 0;
  int port = 0;
  absl::SimpleAtoi(log.substr(at + 28, log.find('/', at + 28) - at - 28), &port);
  return port;
}

TEST(MetricsTest, CoordinatorAndWorkerExposeWhatTheSweepDid) {
  LocalCluster cluster({.coordinator_flags = {"--metrics-listen", "127.0.0.1:0"}});
  const int worker = cluster.StartWorker({"--metrics-listen", "127.0.0.1:0"});
  const std::string sweep = cluster.Submit(kSweep);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  const std::vector<v1::TrialInfo> trials = cluster.Trials(sweep);
  ASSERT_EQ(trials.size(), 2u);

  const int coordinator_port = MetricsPort(*ReadBinaryFile(cluster.dir() + "/coordinator.log"));
  ASSERT_GT(coordinator_port, 0);
  const std::string coordinator = Scrape(coordinator_port);
  EXPECT_EQ(Sample(coordinator, R"(lrsweep_trials{state="COMPLETED"})"), 2) << coordinator;
  EXPECT_EQ(Sample(coordinator, R"(lrsweep_trials{state="PENDING"})"), 0);
  EXPECT_EQ(Sample(coordinator, R"(lrsweep_sweeps{state="FINISHED"})"), 1);
  EXPECT_EQ(Sample(coordinator, R"(lrsweep_workers{state="waiting"})"), 1);
  EXPECT_EQ(Sample(coordinator, "lrsweep_leases"), 0);
  EXPECT_EQ(Sample(coordinator, "lrsweep_handoffs_total"), 2);
  EXPECT_EQ(Sample(coordinator, "lrsweep_handoff_duration_seconds_count"), 2);
  EXPECT_EQ(
      Sample(coordinator, R"(lrsweep_rpcs_total{code="OK",method="WorkerService/CompleteTrial"})"),
      2);
  EXPECT_GT(Sample(coordinator, "lrsweep_checkpoint_bytes_total"), 1000);
  EXPECT_EQ(Sample(coordinator, "lrsweep_checkpoint_failures_total"), 0);

  const int worker_port = MetricsPort(cluster.WorkerLog(worker));
  ASSERT_GT(worker_port, 0);
  const std::string trained = Scrape(worker_port);
  EXPECT_EQ(Sample(trained, "lrsweep_worker_steps_total"), 240) << trained;
  EXPECT_EQ(Sample(trained, R"(lrsweep_worker_trials_total{outcome="completed"})"), 2);
  // Two checkpoints per trial (steps 40 and 80), each timed.
  EXPECT_EQ(Sample(trained, "lrsweep_worker_checkpoint_duration_seconds_count"), 4);
  EXPECT_GT(Sample(trained, "lrsweep_worker_checkpoint_bytes_total"), 1000);
  // The LR of the last step trained: the one the coordinator recorded for that trial.
  const double last_lr = Sample(trained, "lrsweep_worker_lr");
  EXPECT_TRUE(std::abs(last_lr - trials[0].lr()) < 1e-12 ||
              std::abs(last_lr - trials[1].lr()) < 1e-12)
      << last_lr;
}

TEST(MetricsTest, ABusyMetricsPortIsABadFlag) {
  LocalCluster cluster({.coordinator_flags = {"--metrics-listen", "127.0.0.1:0"}});
  const int port = MetricsPort(*ReadBinaryFile(cluster.dir() + "/coordinator.log"));
  TempDir dir;
  const CommandResult second = RunBinary(
      "lrsweep-coordinator", absl::StrCat("--listen 127.0.0.1:0 --data-dir ", dir.path(),
                                          " --metrics-listen 127.0.0.1:", port));
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_THAT(second.err, ::testing::HasSubstr(absl::StrCat("--metrics-listen 127.0.0.1:", port)));
}

}  // namespace
}  // namespace lrsweep::testing
