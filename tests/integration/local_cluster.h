// LocalCluster for integration tests: a real lrsweep-coordinator and real lrsweep-worker
// processes on 127.0.0.1 (ephemeral port), with state in a temp dir. Everything is stopped when
// the cluster goes out of scope.
//
//   LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 600});
//   int worker = cluster.StartWorker();
//   std::string sweep = cluster.Submit(yaml);
//   cluster.WaitUntilFinished(sweep, absl::Seconds(120));
#ifndef LRSWEEP_TESTS_INTEGRATION_LOCAL_CLUSTER_H_
#define LRSWEEP_TESTS_INTEGRATION_LOCAL_CLUSTER_H_

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/child_process.h"
#include "cli/coordinator_client.h"
#include "cli/submission.h"
#include "gtest/gtest.h"
#include "lrsweep/v1/lrsweep.grpc.pb.h"
#include "rpc/client_security.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"

namespace lrsweep::testing {

struct ClusterOptions {
  int64_t heartbeat_ms = 100;
  int64_t lease_timeout_ms = 3000;
  std::vector<std::string> coordinator_flags = {};  // added to lrsweep-coordinator's command line
  ClientSecurity client_security = {};  // how client() connects: TLS and token, or plaintext
};

class LocalCluster {
 public:
  explicit LocalCluster(ClusterOptions options = {}) : options_(options) {
    StartCoordinator("127.0.0.1:0");
    address_ = absl::StrCat("127.0.0.1:", port_);
    client_ = std::make_unique<CoordinatorClient>(address_, absl::Seconds(30),
                                                  options_.client_security);
  }

  // kill -9 of the coordinator, then, `down` later, a new one on the same data dir and port.
  void CrashAndRestartCoordinator(absl::Duration down = absl::ZeroDuration()) {
    kill(coordinator_->pid(), SIGKILL);
    coordinator_->Wait(absl::Seconds(10));
    coordinator_.reset();
    absl::SleepFor(down);
    StartCoordinator(address_);
  }

  ~LocalCluster() {
    for (ChildProcess& worker : workers_) worker.Terminate(absl::Seconds(5));
    if (coordinator_) coordinator_->Terminate(absl::Seconds(5));
  }

  void StartCoordinator(const std::string& listen) {
    const std::string port_file = dir_.path() + "/port";
    std::filesystem::remove(port_file);
    std::vector<std::string> argv = {
        Bin() + "/lrsweep-coordinator", "--listen", listen, "--data-dir", dir_.path(),
        "--port-file", port_file, "--heartbeat-ms", std::to_string(options_.heartbeat_ms),
        "--lease-timeout-ms", std::to_string(options_.lease_timeout_ms)};
    argv.insert(argv.end(), options_.coordinator_flags.begin(), options_.coordinator_flags.end());
    auto coordinator = ChildProcess::Start(argv, dir_.path() + "/coordinator.log");
    EXPECT_TRUE(coordinator.ok()) << coordinator.status();
    coordinator_.emplace(std::move(*coordinator));
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    port_ = 0;
    while (absl::Now() < deadline && port_ == 0) {
      std::ifstream(port_file) >> port_;
      absl::SleepFor(absl::Milliseconds(20));
    }
    EXPECT_GT(port_, 0) << "coordinator did not start; see " << dir_.path();
  }

  static std::string Bin() { return Setting("LRSWEEP_BIN", LRSWEEP_BIN_DEFAULT); }
  const std::string& address() const { return address_; }
  const std::string& dir() const { return dir_.path(); }
  CoordinatorClient& client() { return *client_; }

  // Starts a worker with `flags` added to its command line; returns its index for KillWorker /
  // WorkerPid.
  int StartWorker(const std::vector<std::string>& flags = {}) {
    const int index = static_cast<int>(workers_.size());
    std::vector<std::string> argv = {
        Bin() + "/lrsweep-worker", "--coordinator", address_, "--threads", "1", "--name",
        absl::StrCat("test-", index), "--grace-seconds", "20", "--checkpoint-dir",
        absl::StrCat(dir_.path(), "/worker-", index), "--artifact-dir",
        absl::StrCat(dir_.path(), "/artifacts-", index), "--attempt-dir",
        absl::StrCat(dir_.path(), "/attempts-", index)};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto worker = ChildProcess::Start(argv, absl::StrCat(dir_.path(), "/worker-", index, ".log"));
    EXPECT_TRUE(worker.ok()) << worker.status();
    workers_.push_back(std::move(*worker));
    return index;
  }
  pid_t CoordinatorPid() { return coordinator_->pid(); }
  pid_t WorkerPid(int index) { return workers_[static_cast<size_t>(index)].pid(); }
  // Exit code of a worker after a signal, or -1.
  int WaitWorker(int index, absl::Duration timeout) {
    return workers_[static_cast<size_t>(index)].Wait(timeout);
  }
  std::string WorkerLog(int index) {
    std::ifstream in(absl::StrCat(dir_.path(), "/worker-", index, ".log"));
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  void KillWorker(int index, int signal_number) {
    kill(WorkerPid(index), signal_number);
    if (signal_number == SIGKILL) workers_[static_cast<size_t>(index)].Terminate(absl::Seconds(1));
  }

  // While `sweep` runs, up to `rounds` times: waits `pause`, then stops one of the `live` workers
  // in turn, alternately by `first_signal` and the other of SIGKILL / SIGTERM, and starts a
  // replacement. A SIGTERMed worker must exit 0 (it checkpoints and gives its trial back).
  // Returns the interruptions made.
  int InterruptWorkers(const std::string& sweep, int rounds, absl::Duration pause,
                       int first_signal, std::vector<int>& live) {
    int interruptions = 0;
    for (int round = 0; round < rounds && !WaitUntilFinished(sweep, absl::ZeroDuration());
         ++round) {
      absl::SleepFor(pause);
      const size_t victim = static_cast<size_t>(round) % live.size();
      const int other = first_signal == SIGKILL ? SIGTERM : SIGKILL;
      const int signal_number = round % 2 == 0 ? first_signal : other;
      KillWorker(live[victim], signal_number);
      if (signal_number == SIGTERM) {
        EXPECT_EQ(WaitWorker(live[victim], absl::Seconds(30)), 0);
      }
      ++interruptions;
      live[victim] = StartWorker();
    }
    return interruptions;
  }

  std::string Submit(const std::string& yaml) {
    auto response = client_->Submit(yaml, "test.yaml");
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->sweep_id() : "";
  }

  // Submits a sweep file as `lrsweep submit` does: its model and data files uploaded first.
  // `log` receives what submit says (which files it uploads).
  std::string SubmitFile(const std::string& file, std::string* log = nullptr) {
    absl::StatusOr<Submission> submission = ReadSubmission(file);
    EXPECT_TRUE(submission.ok()) << submission.status();
    if (!submission.ok()) return "";
    std::ostringstream err;
    auto response = lrsweep::Submit(*client_, *submission, err);
    if (log != nullptr) *log = err.str();
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->sweep_id() : "";
  }

  // Each trial's final metrics (without wall time): what an interrupted run must reproduce.
  std::map<int64_t, std::string> FinalMetrics(const std::string& sweep) {
    std::map<int64_t, std::string> finals;
    for (const v1::TrialInfo& trial : Trials(sweep)) {
      nlohmann::json json = nlohmann::json::parse(trial.final_metrics_json());
      json.erase("wall_seconds");
      finals[trial.trial()] = json.dump();
    }
    return finals;
  }

  std::vector<v1::TrialInfo> Trials(const std::string& sweep) {
    auto trials = client_->ListTrials(sweep);
    EXPECT_TRUE(trials.ok()) << trials.status();
    return trials.ok() ? *trials : std::vector<v1::TrialInfo>{};
  }

  // Polls until `predicate(trials)` holds; false on timeout.
  template <typename Predicate>
  bool WaitFor(const std::string& sweep, absl::Duration timeout, Predicate predicate) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (predicate(Trials(sweep))) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  bool WaitUntilFinished(const std::string& sweep, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      auto summary = client_->GetSweep(sweep);
      if (summary.ok() && summary->state() != v1::SWEEP_RUNNING) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

 private:
  ClusterOptions options_;
  TempDir dir_;
  std::optional<ChildProcess> coordinator_;
  std::vector<ChildProcess> workers_;
  int port_ = 0;
  std::string address_;
  std::unique_ptr<CoordinatorClient> client_;
};

}  // namespace lrsweep::testing

#endif  // LRSWEEP_TESTS_INTEGRATION_LOCAL_CLUSTER_H_
