// Soak: many simulated workers against one real lrsweep-coordinator for minutes, with random
// worker deaths, stalls (zombies) and coordinator restarts (kill -9, same port and data dir).
// Checks what must never happen and measures what must stay flat; prints one JSON line.
//
//   soak_bench --workers 1000 --minutes 10 --restarts 2     (bench/run.sh --soak)
//   soak_bench --workers 20 --minutes 0.25 --restarts 1     (bench/run.sh --smoke)
//
// Each simulated worker (a thread, loopback gRPC, no training) loops: acquire a lease, then one
// of three fates. Normal: heartbeat and report a metric point every heartbeat interval for a
// random 4-10 s, then complete (retrying through restarts). Death (2%): go silent and come back
// as a new worker, as a killed and restarted process would; the trial's lease expires. Stall
// (2%): go silent for twice the lease timeout, then try to complete: the coordinator must refuse.
//
// Never allowed (the exit code is 1 if any happened): a trial completed twice, a completion
// acknowledged but not COMPLETED in the store, a stalled worker's completion accepted, or a live
// lease (heartbeating on time) lost, including across the restarts. Recorded: the coordinator's
// RSS at start and end, and the hand-off latency (a worker done -> its next lease) per minute.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_sweep.h"
#include "cli/child_process.h"
#include "cli/coordinator_client.h"
#include "common/status_reason.h"
#include "grpcpp/grpcpp.h"
#include "lrsweep/v1/lrsweep.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "rpc/status.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using Clock = std::chrono::steady_clock;

struct SoakOptions {
  int workers = 1000;
  double minutes = 10;
  int restarts = 2;
  int heartbeat_ms = 2000;
  int lease_timeout_ms = 10000;
  double death_probability = 0.02;
  double stall_probability = 0.02;
  std::string bin;
};

// Resident memory of a process, from /proc (MB).
double ResidentMb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * double(values.size())))];
}

// What the workers saw. Thread-safe.
class Ledger {
 public:
  void Acked(int64_t trial) {
    std::lock_guard<std::mutex> lock(mu_);
    ++acked_[trial];
  }
  void Handoff(int minute, double ms) {
    std::lock_guard<std::mutex> lock(mu_);
    handoffs_[minute].push_back(ms);
  }
  std::map<int64_t, int> acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }
  std::map<int, std::vector<double>> handoffs() {
    std::lock_guard<std::mutex> lock(mu_);
    return handoffs_;
  }
  std::atomic<int64_t> leases{0}, deaths{0}, stalls{0}, zombies_refused{0}, zombies_accepted{0},
      live_leases_lost{0}, points{0}, acks_cut_by_restart{0}, stalls_renewed_by_restart{0};
  // When the coordinator was last killed (steady clock, ms): a restart renews every lease, so a
  // worker stalled across one legitimately still holds its trial.
  std::atomic<int64_t> last_restart_ms{-1};

 private:
  std::mutex mu_;
  std::map<int64_t, int> acked_;
  std::map<int, std::vector<double>> handoffs_;
};

// The coordinator process: started, killed and restarted on one port and data dir.
class CoordinatorProcess {
 public:
  CoordinatorProcess(const SoakOptions& options, std::string dir)
      : options_(options), dir_(std::move(dir)) {}

  bool Start(int port) {
    const std::string port_file = dir_ + "/port";
    std::filesystem::remove(port_file);
    auto started = ChildProcess::Start(
        {options_.bin + "/lrsweep-coordinator", "--listen", absl::StrCat("127.0.0.1:", port),
         "--data-dir", dir_, "--port-file", port_file, "--heartbeat-ms",
         std::to_string(options_.heartbeat_ms), "--lease-timeout-ms",
         std::to_string(options_.lease_timeout_ms)},
        dir_ + "/coordinator.log");
    if (!started.ok()) return false;
    process_.emplace(std::move(*started));
    for (int i = 0; i < 3000; ++i) {  // the port file appears once it serves (60 s at most)
      int read = 0;
      std::ifstream(port_file) >> read;
      if (read > 0) {
        port_ = read;
        return true;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  void Crash() {
    kill(process_->pid(), SIGKILL);
    process_->Wait(absl::Seconds(10));
    process_.reset();
  }
  void Stop() { process_->Terminate(absl::Seconds(10)); }
  pid_t pid() { return process_->pid(); }
  int port() const { return port_; }

 private:
  const SoakOptions& options_;
  std::string dir_;
  std::optional<ChildProcess> process_;
  int port_ = 0;
};


// One simulated worker. Runs on its own thread until `stop`.
class SimulatedWorker {
 public:
  SimulatedWorker(const SoakOptions& options, const std::string& address, Ledger* ledger,
                  const std::atomic<bool>* stop, Clock::time_point start, int index)
      : options_(options), stub_(v1::WorkerService::NewStub(NewChannel(address))),
        ledger_(ledger), stop_(stop), start_(start), rng_(static_cast<uint64_t>(index) + 1) {}

  void Run() {
    while (!stop_->load() && !Register()) absl::SleepFor(absl::Milliseconds(200));
    std::optional<Clock::time_point> idle_since;
    while (!stop_->load()) {
      std::optional<v1::Lease> lease = Acquire();
      if (!lease) continue;
      ++ledger_->leases;
      if (idle_since) {
        const double minute = std::chrono::duration<double>(Clock::now() - start_).count() / 60;
        ledger_->Handoff(static_cast<int>(minute), Millis(*idle_since));
      }
      Serve(*lease);
      idle_since = Clock::now();
    }
  }

 private:
  static double Millis(Clock::time_point since) {
    return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
  }
  static std::unique_ptr<grpc::ClientContext> Context(int seconds = 10) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return context;
  }
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  // Sleeps in slices so that the end of the soak is prompt; false when stopped.
  bool Sleep(double ms) {
    const Clock::time_point end = Clock::now() + std::chrono::microseconds(int64_t(ms * 1000));
    while (!stop_->load() && Clock::now() < end) absl::SleepFor(absl::Milliseconds(50));
    return !stop_->load();
  }

  bool Register() {
    v1::RegisterWorkerRequest request;
    request.set_name("soak");
    v1::RegisterWorkerResponse response;
    if (!stub_->RegisterWorker(Context().get(), request, &response).ok()) return false;
    worker_id_ = response.worker_id();
    return true;
  }

  std::optional<v1::Lease> Acquire() {
    v1::AcquireLeaseRequest request;
    request.set_worker_id(worker_id_);
    request.set_wait_ms(1000);
    v1::AcquireLeaseResponse response;
    const absl::Status status = FromGrpcStatus(stub_->AcquireLease(Context().get(), request, &response));
    if (absl::IsNotFound(status)) Register();  // a coordinator that lost us: register again
    if (!status.ok()) absl::SleepFor(absl::Milliseconds(100));
    if (!status.ok() || !response.has_lease()) return std::nullopt;
    return response.lease();
  }

  void Serve(const v1::Lease& lease) {
    v1::LeaseRef ref;
    ref.set_worker_id(worker_id_);
    ref.set_sweep_id(lease.sweep_id());
    ref.set_trial(lease.trial());
    ref.set_fencing_token(lease.fencing_token());
    const double fate = Uniform();
    if (fate < options_.death_probability) return Die();
    const bool stall = fate < options_.death_probability + options_.stall_probability;
    const int64_t stall_start = NowMs();
    if (stall) {
      ++ledger_->stalls;
      if (!Sleep(2.0 * options_.lease_timeout_ms)) return;
    } else if (!Train(ref)) {
      return;  // the lease was lost: already counted
    }
    const bool renewed = stall && ledger_->last_restart_ms.load() >= stall_start;
    Complete(ref, stall && !renewed, renewed);
  }

  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
        .count();
  }

  void Die() {
    ++ledger_->deaths;
    Sleep(1000 + 3000 * Uniform());
    while (!stop_->load() && !Register()) absl::SleepFor(absl::Milliseconds(200));
  }

  // Heartbeats and reports for 4-10 s; false when the lease was lost.
  bool Train(const v1::LeaseRef& ref) {
    const Clock::time_point end =
        Clock::now() + std::chrono::milliseconds(4000 + static_cast<int>(6000 * Uniform()));
    for (int64_t step = 0; Clock::now() < end && !stop_->load(); ++step) {
      v1::HeartbeatRequest heartbeat;
      *heartbeat.mutable_lease() = ref;
      heartbeat.set_step(step);
      v1::HeartbeatResponse directive;
      if (IsLeaseLost(FromGrpcStatus(stub_->Heartbeat(Context().get(), heartbeat, &directive)))) {
        ++ledger_->live_leases_lost;
        return false;
      }
      v1::ReportMetricsRequest report;
      *report.mutable_lease() = ref;
      v1::MetricPoint* point = report.add_points();
      point->set_step(step);
      point->set_lr(0.1);
      point->set_val_loss(1.0 / double(step + 1));
      v1::ReportMetricsResponse ignored;
      const absl::Status status = FromGrpcStatus(stub_->ReportMetrics(Context().get(), report, &ignored));
      if (IsLeaseLost(status)) {
        ++ledger_->live_leases_lost;
        return false;
      }
      if (status.ok()) ++ledger_->points;
      Sleep(options_.heartbeat_ms);
    }
    return !stop_->load();
  }

  // Completes, retrying while the coordinator restarts; a stalled worker must be refused.
  void Complete(const v1::LeaseRef& ref, bool stalled, bool renewed_by_restart) {
    bool retried = false;  // an earlier attempt may have committed before a restart cut it off
    for (int attempt = 0; attempt < 100 && !stop_->load(); ++attempt, retried = true) {
      v1::CompleteTrialRequest request;
      *request.mutable_lease() = ref;
      v1::CompleteTrialResponse response;
      const absl::Status status = FromGrpcStatus(stub_->CompleteTrial(Context().get(), request, &response));
      if (status.ok()) {
        if (stalled) ++ledger_->zombies_accepted;
        if (renewed_by_restart) ++ledger_->stalls_renewed_by_restart;
        ledger_->Acked(ref.trial());
        return;
      }
      if (IsLeaseLost(status) || absl::IsFailedPrecondition(status)) {
        if (stalled || renewed_by_restart) {
          ++ledger_->zombies_refused;
        } else if (retried) {
          ++ledger_->acks_cut_by_restart;
        } else {
          ++ledger_->live_leases_lost;
        }
        return;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  const SoakOptions& options_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;
  Ledger* ledger_;
  const std::atomic<bool>* stop_;
  Clock::time_point start_;
  std::mt19937_64 rng_;
  std::string worker_id_;
};

nlohmann::ordered_json HandoffsByMinute(Ledger& ledger) {
  nlohmann::ordered_json minutes = nlohmann::ordered_json::array();
  for (const auto& [minute, values] : ledger.handoffs()) {
    minutes.push_back({{"minute", minute},
                       {"handoffs", values.size()},
                       {"p50_ms", Percentile(values, 0.5)},
                       {"p99_ms", Percentile(values, 0.99)}});
  }
  return minutes;
}

// Prints the JSON line; 1 when an invariant broke.
int Report(const SoakOptions& options, Ledger& ledger, int64_t completed,
           const std::vector<double>& rss, nlohmann::ordered_json timeline) {
  int64_t twice = 0;
  const std::map<int64_t, int> acked = ledger.acked();
  for (const auto& [trial, count] : acked) twice += count > 1;
  const int64_t unique = static_cast<int64_t>(acked.size());
  // Every acknowledged completion is in the store; the store may hold a few more whose answer a
  // restart cut off (the worker's retry then finds the lease gone).
  const bool lost = completed < unique || completed > unique + ledger.acks_cut_by_restart.load();
  const bool ok = twice == 0 && !lost && ledger.zombies_accepted.load() == 0 &&
                  ledger.live_leases_lost.load() == 0;
  nlohmann::ordered_json result = {
      {"workers", options.workers},
      {"minutes", options.minutes},
      {"coordinator_restarts", options.restarts},
      {"leases", ledger.leases.load()},
      {"completions_acknowledged", unique},
      {"completed_in_store", completed},
      {"completed_twice", twice},
      {"acks_cut_by_restart", ledger.acks_cut_by_restart.load()},
      {"worker_deaths", ledger.deaths.load()},
      {"stalls", ledger.stalls.load()},
      {"stalled_completions_refused", ledger.zombies_refused.load()},
      {"stalled_completions_accepted", ledger.zombies_accepted.load()},
      {"stalled_across_a_restart_accepted", ledger.stalls_renewed_by_restart.load()},
      {"live_leases_lost", ledger.live_leases_lost.load()},
      {"metric_points", ledger.points.load()},
      {"coordinator_rss_mb_start", rss.size() > 1 ? rss[1] : rss[0]},
      {"coordinator_rss_mb_end", rss.back()},
      {"handoff_by_minute", HandoffsByMinute(ledger)},
      {"timeline", std::move(timeline)},
      {"invariants_held", ok}};
  std::cout << result.dump() << std::endl;
  return ok ? 0 : 1;
}

int64_t CompletedInStore(CoordinatorClient& client, const std::string& sweep) {
  absl::StatusOr<v1::SweepSummary> summary = client.GetSweep(sweep);
  for (int retry = 0; retry < 20 && !summary.ok(); ++retry) {  // across a restart
    absl::SleepFor(absl::Milliseconds(250));
    summary = client.GetSweep(sweep);
  }
  if (!summary.ok()) return -1;
  for (const v1::StateCount& count : summary->counts()) {
    if (count.state() == v1::COMPLETED) return count.count();
  }
  return 0;
}

// Samples the coordinator every minute and kills it `restarts` times, evenly spaced; returns
// the per-minute timeline (completed trials, RSS).
nlohmann::ordered_json Drive(const SoakOptions& options, CoordinatorProcess& coordinator,
                             CoordinatorClient& client, const std::string& sweep, Ledger* ledger,
                             std::vector<double>* rss) {
  const absl::Duration total = absl::Seconds(options.minutes * 60);
  const absl::Time start = absl::Now();
  std::vector<absl::Time> restarts;
  for (int r = 1; r <= options.restarts; ++r) restarts.push_back(start + total * r / (options.restarts + 1));
  nlohmann::ordered_json timeline = nlohmann::ordered_json::array();
  absl::Time next_sample = start + absl::Seconds(std::min(60.0, options.minutes * 30));
  while (absl::Now() < start + total) {
    absl::SleepFor(absl::Milliseconds(200));
    if (!restarts.empty() && absl::Now() >= restarts.front()) {
      restarts.erase(restarts.begin());
      ledger->last_restart_ms.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        Clock::now().time_since_epoch())
                                        .count());
      coordinator.Crash();
      absl::SleepFor(absl::Seconds(1));
      if (!coordinator.Start(coordinator.port())) std::cerr << "restart failed\n";
      std::cerr << "soak: coordinator killed and restarted\n";
    }
    if (absl::Now() >= next_sample) {
      next_sample += absl::Seconds(60);
      rss->push_back(ResidentMb(coordinator.pid()));
      timeline.push_back({{"minute", absl::ToDoubleSeconds(absl::Now() - start) / 60},
                          {"completed", CompletedInStore(client, sweep)},
                          {"coordinator_rss_mb", rss->back()}});
    }
  }
  return timeline;
}

int Main(int argc, char** argv) {
  SoakOptions options;
  options.bin = ExecutableDir();
  CLI::App app{"soak_bench: simulated workers, deaths, stalls and restarts against one coordinator"};
  app.add_option("--workers", options.workers)->check(CLI::Range(1, 5000));
  app.add_option("--minutes", options.minutes)->check(CLI::Range(0.05, 120.0));
  app.add_option("--restarts", options.restarts)->check(CLI::Range(0, 10));
  app.add_option("--bin", options.bin);
  CLI11_PARSE(app, argc, argv);

  testing::TempDir dir;
  CoordinatorProcess coordinator(options, dir.path());
  if (!coordinator.Start(0)) {
    std::cerr << "coordinator did not start; see " << dir.path() << "/coordinator.log\n";
    return 1;
  }
  const std::string address = absl::StrCat("127.0.0.1:", coordinator.port());
  CoordinatorClient client(address, absl::Minutes(5));
  // Enough trials that none runs out: about one per worker every 7 s, with margin.
  const int64_t trials = std::max<int64_t>(100, int64_t(options.workers * options.minutes * 60 / 4));
  auto submitted = client.Submit(BookkeepingSweepYaml("soak", trials), "soak.yaml");
  if (!submitted.ok()) {
    std::cerr << submitted.status() << "\n";
    return 1;
  }
  Ledger ledger;
  std::atomic<bool> stop{false};
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < options.workers; ++w) {
    threads.emplace_back([&, w] { SimulatedWorker(options, address, &ledger, &stop, start, w).Run(); });
  }
  std::vector<double> rss = {ResidentMb(coordinator.pid())};
  nlohmann::ordered_json timeline = Drive(options, coordinator, client, submitted->sweep_id(), &ledger, &rss);
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  rss.push_back(ResidentMb(coordinator.pid()));
  const int64_t completed = CompletedInStore(client, submitted->sweep_id());
  coordinator.Stop();
  return Report(options, ledger, completed, rss, std::move(timeline));
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
