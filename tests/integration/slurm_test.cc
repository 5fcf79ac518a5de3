// deploy/slurm/worker.sbatch under a real Slurm (slurmctld, slurmd and munged started for the
// test in a temp dir): a job array of workers runs a sweep to the end and leaves the queue by
// itself; a worker `scancel`ed mid-trial gives its trial back, and every trial completes exactly
// once with the same final metrics as without the cancel.
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/atomic_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/local_cluster.h"

namespace lrsweep::testing {
namespace {

using ::testing::HasSubstr;

// Four trials of 1,500 steps (a few seconds each on one thread), checkpointed every 100 steps.
constexpr char kSweep[] = R"(name: slurm
metric: {name: val_loss, goal: minimize}
seeds: [0, 1]
checkpoint: {every_steps: 100}
train:
  model: {type: mlp, hidden: [48], dropout: 0.1}
  data: {type: synthetic, train_examples: 1600, test_examples: 200, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  steps: 1500
  batch_size: 16
  eval_every_steps: 250
parameters:
  - schedule.type: cosine
    schedule.lr: 0.02
  - schedule.type: onecycle
    schedule.lr: 0.05
)";

// tests/slurm/single_node_slurm.sh's cluster for the life of the object.
class SingleNodeSlurm {
 public:
  SingleNodeSlurm() {
    const CommandResult started = RunCommand(Script() + " start " + dir_.path() + "/slurm");
    exit_code_ = started.exit_code;
    message_ = started.err;
  }
  ~SingleNodeSlurm() {
    if (exit_code_ == 0) RunCommand(Script() + " stop " + dir_.path() + "/slurm");
  }
  int exit_code() const { return exit_code_; }
  const std::string& message() const { return message_; }

  // Runs a Slurm command against this cluster.
  CommandResult Run(const std::string& command) const {
    return RunCommand("SLURM_CONF=" + dir_.path() + "/slurm/slurm.conf " + command);
  }

  // sbatch of the worker job array (2 tasks, on the node's 2 "GPUs") against `coordinator`;
  // returns the job id.
  std::string SubmitWorkers(const std::string& coordinator) const {
    const std::string env = absl::StrCat(
        "ALL,LRSWEEP_COORDINATOR=", coordinator, ",LRSWEEP_BIN=", LocalCluster::Bin(),
        ",LRSWEEP_DEVICE=cpu,LRSWEEP_THREADS=1,LRSWEEP_GRACE_SECONDS=20,"
        "LRSWEEP_EXIT_WHEN_IDLE=2,LRSWEEP_STATE_DIR=",
        dir_.path(), "/state");
    const CommandResult submitted = Run(absl::StrCat(
        "sbatch --parsable --array=0-1 --cpus-per-task=1 --chdir=", dir_.path(),
        " --export=", env, " ", SourceDir(), "/deploy/slurm/worker.sbatch"));
    EXPECT_EQ(submitted.exit_code, 0) << submitted.err;
    return std::string(absl::StripAsciiWhitespace(submitted.out));
  }

  // True once no job of this cluster is queued or running.
  bool WaitUntilQueueEmpty(absl::Duration timeout) const {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      const CommandResult queue = Run("squeue -h -o %i");
      if (queue.exit_code == 0 && absl::StripAsciiWhitespace(queue.out).empty()) return true;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  }

  std::string Log(const std::string& job, int task) const {
    return *ReadBinaryFile(absl::StrCat(dir_.path(), "/lrsweep-worker-", job, "_", task, ".log"));
  }

 private:
  static std::string Script() { return SourceDir() + "/tests/slurm/single_node_slurm.sh"; }

  TempDir dir_;
  int exit_code_ = -1;
  std::string message_;
};

TEST(SlurmTest, AWorkerCancelledMidTrialLosesNothingAndChangesNoResult) {
  SingleNodeSlurm slurm;
  if (slurm.exit_code() == 3) GTEST_SKIP() << "Slurm is not installed: " << slurm.message();
  ASSERT_EQ(slurm.exit_code(), 0) << slurm.message();
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 3000});

  // Without interruptions: the array trains the sweep, then its workers exit by themselves.
  const std::string reference = cluster.Submit(kSweep);
  const std::string first_job = slurm.SubmitWorkers(cluster.address());
  ASSERT_TRUE(cluster.WaitUntilFinished(reference, absl::Seconds(240)));
  EXPECT_TRUE(slurm.WaitUntilQueueEmpty(absl::Seconds(60)))
      << "the workers did not exit once idle";
  EXPECT_THAT(slurm.Log(first_job, 0), HasSubstr("exiting (--exit-when-idle)"));
  const std::map<int64_t, std::string> expected = cluster.FinalMetrics(reference);

  // Again, and task 0 is cancelled (scancel: SIGTERM to the job) in the middle of a trial.
  const std::string sweep = cluster.Submit(kSweep);
  const std::string job = slurm.SubmitWorkers(cluster.address());
  const std::string victim = "slurm-" + job + "_0";
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(120), [&](const auto& trials) {
    for (const v1::TrialInfo& trial : trials) {
      if (trial.state() == v1::RUNNING && trial.step() >= 300 &&
          trial.step() < trial.total_steps() - 300) {
        auto workers = cluster.client().ListSweeps();
        for (const auto& worker : workers->workers()) {
          if (worker.worker_id() == trial.worker_id() &&
              worker.name().find(victim) != std::string::npos) {
            return true;
          }
        }
      }
    }
    return false;
  }));
  const CommandResult cancelled = slurm.Run("scancel " + job + "_0");
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(240)));
  EXPECT_TRUE(slurm.WaitUntilQueueEmpty(absl::Seconds(60)));

  int preemptions = 0;
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.ShortDebugString();
    EXPECT_EQ(trial.failures(), 0) << trial.ShortDebugString();
    preemptions += static_cast<int>(trial.preemptions());
  }
  EXPECT_EQ(preemptions, 1) << "the cancelled worker gave its trial back once";
  EXPECT_THAT(slurm.Log(job, 0), HasSubstr("gave back trial"));
  EXPECT_EQ(cluster.FinalMetrics(sweep), expected);
}

}  // namespace
}  // namespace lrsweep::testing
