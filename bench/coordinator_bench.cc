// Coordinator bookkeeping under load: simulated workers (threads, no training) drive a real
// lrsweep-coordinator over gRPC on loopback. Each worker loops: acquire a lease, report 10
// metric points (one RPC each, as a worker's batches would be), complete. Prints trials/s,
// durable metric points/s and the hand-off latency from a worker finishing a trial to holding
// its next one (p50, p99), as one JSON line.
//
//   coordinator_bench --workers 64 --trials 2000 [--sweep-size N] [--bin DIR]
//
// --sweep-size (default: --trials) is the number of trials in the sweep; --trials of them are run
// and timed, so per-trial cost can be compared between small and very large sweeps.
#include <algorithm>
#include <cmath>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/bench_sweep.h"
#include "cli/child_process.h"
#include "cli/coordinator_client.h"
#include "cli/local_coordinator.h"
#include "rpc/rpc_convert.h"
#include "grpcpp/grpcpp.h"
#include "lrsweep/v1/lrsweep.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using Clock = std::chrono::steady_clock;


// Resident memory of a process, from /proc (kB): now (VmRSS), or its peak (VmHWM).
int64_t ResidentKb(pid_t pid, const std::string& field = "VmRSS:") {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(field.size()));
  }
  return -1;
}

// `workers` simulated workers register and long-poll an idle coordinator for a few seconds;
// reports the coordinator's resident memory before and while they wait.
int IdleWorkersMemory(const std::string& address, pid_t coordinator, int workers) {
  const int64_t before = ResidentKb(coordinator);
  std::atomic<bool> stop{false};
  std::atomic<int> registered{0};
  std::vector<std::thread> threads;
  // A few channels shared by the workers, as nodes running several workers would.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < 16; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("lrsweep.channel", c);  // distinct channels, not one shared subchannel
    channels.push_back(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      auto stub = v1::WorkerService::NewStub(channels[size_t(w) % channels.size()]);
      grpc::ClientContext context;
      v1::RegisterWorkerRequest request;
      request.set_name(absl::StrCat("idle-", w));
      v1::RegisterWorkerResponse response;
      if (!stub->RegisterWorker(&context, request, &response).ok()) return;
      ++registered;
      while (!stop.load()) {
        grpc::ClientContext poll;
        poll.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        v1::AcquireLeaseRequest acquire;
        acquire.set_worker_id(response.worker_id());
        acquire.set_wait_ms(1000);
        v1::AcquireLeaseResponse lease;
        stub->AcquireLease(&poll, acquire, &lease);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const int64_t during = ResidentKb(coordinator);
  stop.store(true);
  for (std::thread& t : threads) t.join();
  nlohmann::ordered_json result = {{"idle_workers", workers},
                                   {"registered", registered.load()},
                                   {"coordinator_rss_mb_before", double(before) / 1024},
                                   {"coordinator_rss_mb_with_workers", double(during) / 1024},
                                   {"kb_per_worker", double(during - before) / workers}};
  std::cout << result.dump() << std::endl;
  return 0;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * double(values.size())))];
}

// Prometheus' histogram_quantile over the cumulative buckets of `name` (no labels) in the text
// format: linear within the bucket that holds quantile `q`. -1 when the histogram is absent.
double HistogramQuantile(const std::string& text, const std::string& name, double q) {
  std::vector<std::pair<double, double>> buckets;  // upper bound, cumulative count
  const std::string prefix = name + "_bucket{le=\"";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::string bound = line.substr(prefix.size(), line.find('"', prefix.size()) -
                                                             prefix.size());
    const double upper = bound == "+Inf" ? INFINITY : std::stod(bound);
    buckets.emplace_back(upper, std::stod(line.substr(line.rfind(' ') + 1)));
  }
  if (buckets.empty() || buckets.back().second == 0) return -1;
  const double rank = q * buckets.back().second;
  double lower = 0, below = 0;
  for (const auto& [upper, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(upper)) return lower;
      return lower + (upper - lower) * (rank - below) / std::max(1.0, count - below);
    }
    lower = upper;
    below = count;
  }
  return lower;
}

// Fetches the coordinator's /metrics (its port is in its log) into `out`; returns the text.
std::string SaveMetrics(const std::string& log_file, const std::string& out) {
  std::ifstream log(log_file);
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  const size_t at = text.find("metrics on ");
  if (at == std::string::npos) {
    std::cerr << "no metrics endpoint in " << log_file << "\n";
    return "";
  }
  const std::string url = text.substr(at + 11, text.find('\n', at) - at - 11);
  const testing::CommandResult fetched = testing::RunCommand(
      "python3 -c 'import sys, urllib.request; "
      "sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' " + url);
  std::ofstream(out) << fetched.out;
  return fetched.out;
}

int Main(int argc, char** argv) {
  CLI::App app{"coordinator_bench"};
  int workers = 64;
  int64_t trials = 2000;
  int64_t sweep_size = 0;
  int idle_workers = 0;
  std::string bin = ExecutableDir();
  app.add_option("--idle-workers", idle_workers,
                 "Only measure the coordinator's memory with this many long-polling workers");
  app.add_option("--workers", workers);
  app.add_option("--trials", trials);
  app.add_option("--sweep-size", sweep_size);
  app.add_option("--bin", bin);
  std::string metrics_out;
  app.add_option("--metrics-out", metrics_out,
                 "Run the coordinator with --metrics-listen and write its Prometheus metrics "
                 "(server-side RPC latencies) to this file at the end");
  CLI11_PARSE(app, argc, argv);

  testing::TempDir dir;
  std::vector<std::string> flags = {"--heartbeat-ms", "60000"};
  if (!metrics_out.empty()) flags.insert(flags.end(), {"--metrics-listen", "127.0.0.1:0"});
  absl::StatusOr<LocalCoordinator> coordinator =
      StartLocalCoordinator(bin, dir.path(), flags, dir.path() + "/coordinator.log");
  if (!coordinator.ok()) {
    std::cerr << coordinator.status() << "\n";
    return 1;
  }
  const std::string address = coordinator->address;
  if (idle_workers > 0) {
    const int status = IdleWorkersMemory(address, coordinator->process.pid(), idle_workers);
    coordinator->process.Terminate(absl::Seconds(5));
    return status;
  }
  CoordinatorClient client(address, absl::Minutes(10));
  const auto submit_start = Clock::now();
  const auto submitted = client.Submit(BookkeepingSweepYaml("bench", std::max(sweep_size, trials)), "bench.yaml");
  if (!submitted.ok()) {
    std::cerr << submitted.status() << "\n";
    return 1;
  }
  const double submit_seconds = std::chrono::duration<double>(Clock::now() - submit_start).count();
  // What planning and storing the sweep cost the coordinator: its peak, and what it keeps.
  const int64_t peak_after_submit = ResidentKb(coordinator->process.pid(), "VmHWM:");
  const int64_t resident_after_submit = ResidentKb(coordinator->process.pid());

  std::atomic<int64_t> completed{0}, points{0};
  std::vector<std::vector<double>> handoffs(static_cast<size_t>(workers));
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
      auto stub = v1::WorkerService::NewStub(channel);
      auto context = [] {
        auto c = std::make_unique<grpc::ClientContext>();
        c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        return c;
      };
      v1::RegisterWorkerResponse registered;
      stub->RegisterWorker(context().get(), {}, &registered);
      std::optional<Clock::time_point> idle_since;
      while (true) {
        v1::AcquireLeaseRequest acquire;
        acquire.set_worker_id(registered.worker_id());
        acquire.set_wait_ms(200);
        v1::AcquireLeaseResponse lease;
        if (!stub->AcquireLease(context().get(), acquire, &lease).ok() || !lease.has_lease()) {
          if (completed.load() >= trials) return;
          continue;
        }
        if (idle_since) {
          handoffs[size_t(w)].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - *idle_since).count());
        }
        v1::LeaseRef ref;
        ref.set_worker_id(registered.worker_id());
        ref.set_sweep_id(lease.lease().sweep_id());
        ref.set_trial(lease.lease().trial());
        ref.set_fencing_token(lease.lease().fencing_token());
        for (int step = 0; step < 10; ++step) {
          v1::ReportMetricsRequest report;
          *report.mutable_lease() = ref;
          v1::MetricPoint* point = report.add_points();
          point->set_step(step);
          point->set_lr(0.1);
          point->set_val_loss(1.0 / (step + 1));
          v1::ReportMetricsResponse ignored;
          if (stub->ReportMetrics(context().get(), report, &ignored).ok()) ++points;
        }
        v1::CompleteTrialRequest complete;
        *complete.mutable_lease() = ref;
        v1::CompleteTrialResponse done;
        stub->CompleteTrial(context().get(), complete, &done);
        idle_since = Clock::now();
        if (++completed >= trials) return;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string metrics =
      metrics_out.empty() ? "" : SaveMetrics(dir.path() + "/coordinator.log", metrics_out);
  std::vector<double> all;
  for (const auto& h : handoffs) all.insert(all.end(), h.begin(), h.end());
  coordinator->process.Terminate(absl::Seconds(5));
  nlohmann::ordered_json result = {{"workers", workers},
                                   {"trials", trials},
                                   {"sweep_size", std::max(sweep_size, trials)},
                                   {"seconds", seconds},
                                   {"trials_per_second", double(trials) / seconds},
                                   {"metric_points_per_second", double(points.load()) / seconds},
                                   {"handoff_p50_ms", Percentile(all, 0.50)},
                                   {"handoff_p99_ms", Percentile(all, 0.99)},
                                   {"submit_seconds", submit_seconds},
                                   {"coordinator_peak_mb_submitting", peak_after_submit / 1024.0},
                                   {"coordinator_rss_mb_after_submit",
                                    resident_after_submit / 1024.0}};
  if (!metrics.empty()) {
    // The coordinator's own share of a hand-off: from AcquireLease's arrival to its answer, as
    // its server interceptor measured it. The rest of the client's hand-off is transport and
    // the scheduling of 64 client threads and the server's on the same cores.
    const double server_p50 = HistogramQuantile(metrics, "lrsweep_handoff_duration_seconds", 0.5);
    const double server_p99 = HistogramQuantile(metrics, "lrsweep_handoff_duration_seconds", 0.99);
    result["server_handoff_p50_ms"] = server_p50 * 1000;
    result["server_handoff_p99_ms"] = server_p99 * 1000;
  }
  if (!metrics.empty()) {
    // The coordinator's own share of a hand-off: from AcquireLease's arrival to its answer, as
    // its server interceptor measured it. The rest of the client's hand-off is transport and
    // the scheduling of 64 client threads and the server's on the same cores.
    const double server_p50 = HistogramQuantile(metrics, "lrsweep_handoff_duration_seconds", 0.5);
    const double server_p99 = HistogramQuantile(metrics, "lrsweep_handoff_duration_seconds", 0.99);
    result["server_handoff_p50_ms"] = server_p50 * 1000;
    result["server_handoff_p99_ms"] = server_p99 * 1000;
  }
  std::cout << result.dump() << std::endl;
  return 0;
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
