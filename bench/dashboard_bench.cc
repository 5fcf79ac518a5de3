// What the dashboard costs its server as sweeps grow: a real coordinator on SQLite holds a sweep
// of --trials finished trials with --points metric points each (reported through leases, as
// workers do); then every request a page makes is timed and weighed through the dashboard's API
// (no HTTP, so that the figures are the server's own work): the first render of each page, the
// same page again (the sweep's report cached), and the update after one trial changed. One JSON
// line per (page, trials).
//
// Then whether the dashboard slows the workers: --handoff-workers simulated workers run a second
// sweep of --handoff-trials trials (lease, 10 metric reports, complete) three times: with no
// dashboard, with the dashboard served over HTTP and a page open on the large sweep that
// reloads after every change at most once a second, as the browser's page does, and with no
// dashboard again (so that drift of the machine shows); the hand-off latency (a worker done -> its
// next lease) and the throughput of each run are printed side by side.
//
// With --browser, Chromium then opens each page over HTTP from a dashboard whose caches are cold
// (a coordinator just started), and bench/dashboard_paint.js prints its first contentful paint,
// the page rendered with its data, and its charts drawn.
//
//   dashboard_bench --trials 100 --points 1000
//   dashboard_bench --trials 10000 --points 1000 --browser
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <cstdlib>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "bench/bench_sweep.h"
#include "coordinator/coordinator.h"
#include "coordinator/store.h"
#include "dashboard/coordinator_source.h"
#include "dashboard/dashboard_api.h"
#include "dashboard/http_server.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  int64_t trials = 100;
  int64_t points = 1000;
  int handoff_workers = 8;
  int64_t handoff_trials = 2000;
  bool browser = false;
};

// A point every step; validation every 100 steps; the loss falls with a little noise.
std::vector<MetricPoint> History(int64_t points, double lr) {
  std::vector<MetricPoint> history;
  for (int64_t step = 0; step < points; ++step) {
    MetricPoint p;
    p.step = step;
    p.lr = lr;
    p.train_loss = 2.0 * std::exp(-step * lr / 50.0) + 0.01 * std::sin(step * 0.7);
    if ((step + 1) % 100 == 0) p.val_loss = *p.train_loss + 0.05;
    history.push_back(p);
  }
  return history;
}

// Trains every trial of the sweep on one simulated worker: lease, one report, complete.
void FinishEveryTrial(Coordinator& coordinator, int64_t points) {
  const std::string worker = coordinator.RegisterWorker("bench", "cpu", 1)->id;
  for (;;) {
    absl::Notification done;
    std::optional<LeaseGrant> grant;
    coordinator.AcquireLease(worker, absl::ZeroDuration(),
                             [&](absl::StatusOr<std::optional<LeaseGrant>> g) {
                               if (g.ok()) grant = *g;
                               done.Notify();
                             });
    done.WaitForNotification();
    if (!grant) return;
    const LeaseRef lease{worker, grant->sweep_id, grant->trial, grant->fencing_token};
    std::vector<MetricPoint> history = History(points, 0.01 + 0.001 * (grant->trial % 100));
    const MetricPoint last = history.back();
    history.pop_back();
    (void)coordinator.ReportMetrics(lease, history);
    (void)coordinator.CompleteTrial(lease, false, "", {last});
  }
}

struct Timed {
  double ms = 0;
  size_t bytes = 0;
};

Timed Time(DashboardApi& api, const std::string& path, std::map<std::string, std::string> query) {
  const auto start = Clock::now();
  const ApiResponse response = api.Handle({"GET", path, std::move(query)});
  Timed timed;
  timed.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  timed.bytes = response.body.dump().size();
  if (response.status != 200) std::cerr << path << ": " << response.body.dump() << "\n";
  return timed;
}

// The requests of one sweep page as app.js makes them.
Timed SweepPage(DashboardApi& api, const std::string& sweep) {
  Timed total;
  for (const auto& [path, query] :
       std::vector<std::pair<std::string, std::map<std::string, std::string>>>{
           {"/api/v1/sweeps/" + sweep, {}},
           {"/api/v1/sweeps/" + sweep + "/curves", {{"points", "150"}, {"metric", "train_loss"}}},
           {"/api/v1/sweeps/" + sweep + "/trials", {{"sort", "trial"}, {"limit", "50"}}}}) {
    const Timed one = Time(api, path, query);
    total.ms += one.ms;
    total.bytes += one.bytes;
  }
  return total;
}

void Print(const std::string& page, const Flags& flags, const Timed& timed) {
  std::cout << nlohmann::json({{"page", page},
                               {"trials", flags.trials},
                               {"points_per_trial", flags.points},
                               {"ms", std::round(timed.ms * 10) / 10},
                               {"bytes", timed.bytes}})
                   .dump()
            << std::endl;
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, size_t(q * double(values.size())))];
}

// One simulated worker of the hand-off run: lease, 10 reports, complete, until `trials` are done;
// each hand-off's latency in ms is appended to `handoffs`.
void HandOffWorker(Coordinator& coordinator, int64_t trials, std::atomic<int64_t>& completed,
                   std::vector<double>& handoffs) {
  const std::string worker = coordinator.RegisterWorker("bench", "cpu", 1)->id;
  std::optional<Clock::time_point> idle_since;
  while (completed.load() < trials) {
    absl::Notification done;
    std::optional<LeaseGrant> grant;
    coordinator.AcquireLease(worker, absl::Milliseconds(200),
                             [&](absl::StatusOr<std::optional<LeaseGrant>> g) {
                               if (g.ok()) grant = *g;
                               done.Notify();
                             });
    done.WaitForNotification();
    if (!grant) continue;
    if (idle_since) {
      handoffs.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - *idle_since).count());
    }
    const LeaseRef lease{worker, grant->sweep_id, grant->trial, grant->fencing_token};
    for (int64_t step = 0; step < 10; ++step) {
      MetricPoint point;
      point.step = step;
      point.lr = 0.1;
      point.val_loss = 1.0 / double(step + 1);
      (void)coordinator.ReportMetrics(lease, {point});
    }
    (void)coordinator.CompleteTrial(lease, false, "", {});
    idle_since = Clock::now();
    ++completed;
  }
}

// A browser with the sweep page of `sweep` open, as app.js behaves: waits for a change, makes
// the page's requests again, then waits a second before the next (its redraw limit), until `stop`.
void OpenSweepPage(int port, const std::string& sweep, std::atomic<bool>& stop,
                   std::atomic<int64_t>& reloads) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  int64_t version = 0;
  while (!stop.load()) {
    httplib::Result changed =
        client.Get("/api/v1/changes?wait_ms=1000&since=" + std::to_string(version));
    if (!changed || changed->status != 200) continue;
    version = nlohmann::json::parse(changed->body).value("version", version);
    for (const std::string& path :
         {"/api/v1/sweeps/" + sweep, "/api/v1/sweeps/" + sweep + "/curves?points=150",
          "/api/v1/sweeps/" + sweep + "/trials?sort=trial&limit=50"}) {
      (void)client.Get(path);
    }
    ++reloads;
    for (int i = 0; i < 10 && !stop.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

// Runs a fresh sweep of `flags.handoff_trials` on `flags.handoff_workers` workers, with the
// page of `open_sweep` open over HTTP when `api` is not null; prints the hand-off latencies.
void MeasureHandOff(Coordinator& coordinator, const Flags& flags, DashboardApi* api,
                    ChangeCounter* changes, const std::string& open_sweep) {
  const std::string label = api ? "dashboard open" : "dashboard closed";
  (void)coordinator.SubmitSweep(BookkeepingSweepYaml("handoff-" + label, flags.handoff_trials),
                                "handoff.yaml");
  std::unique_ptr<DashboardServer> server;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> reloads{0};
  std::thread browser;
  if (api) {
    server = *DashboardServer::Start({}, api, changes);
    browser = std::thread(OpenSweepPage, server->port(), open_sweep, std::ref(stop),
                          std::ref(reloads));
  }
  std::atomic<int64_t> completed{0};
  std::vector<std::vector<double>> handoffs(size_t(flags.handoff_workers));
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < flags.handoff_workers; ++w) {
    workers.emplace_back(HandOffWorker, std::ref(coordinator), flags.handoff_trials,
                         std::ref(completed), std::ref(handoffs[size_t(w)]));
  }
  for (std::thread& worker : workers) worker.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  if (browser.joinable()) browser.join();
  if (server) server->Stop();
  std::vector<double> all;
  for (const auto& h : handoffs) all.insert(all.end(), h.begin(), h.end());
  std::cout << nlohmann::json({{"handoff", label},
                               {"open_sweep_trials", flags.trials},
                               {"workers", flags.handoff_workers},
                               {"trials", flags.handoff_trials},
                               {"trials_per_second", std::round(flags.handoff_trials / seconds)},
                               {"handoff_p50_ms", std::round(Percentile(all, 0.5) * 100) / 100},
                               {"handoff_p99_ms", std::round(Percentile(all, 0.99) * 100) / 100},
                               {"page_reloads", reloads.load()}})
                   .dump()
            << std::endl;
}

// Serves a dashboard with cold caches and has Chromium time its pages (bench/dashboard_paint.js,
// run from the source tree's root with the browser tests' playwright-core).
void MeasureInBrowser(Coordinator& coordinator, const Flags& flags, const std::string& sweep) {
  ChangeCounter changes;
  CoordinatorDashboardSource source(&coordinator, &changes);
  DashboardApi api(&source, &changes);
  std::unique_ptr<DashboardServer> server = *DashboardServer::Start({}, &api, &changes);
  const std::string command = absl::StrCat(
      "NODE_PATH=tests/browser/node_modules node bench/dashboard_paint.js http://127.0.0.1:",
      server->port(), "/ ", sweep, " 1 ", flags.trials);
  if (std::system(command.c_str()) != 0) std::cerr << "dashboard_paint.js failed\n";
  server->Stop();
}

int Main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"dashboard_bench: the dashboard API's time and bytes per page at a sweep size"};
  app.add_option("--trials", flags.trials)->check(CLI::Range(int64_t{2}, int64_t{1000000}));
  app.add_option("--points", flags.points)->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--handoff-workers", flags.handoff_workers)->check(CLI::Range(1, 1024));
  app.add_option("--handoff-trials", flags.handoff_trials, "0: skip the hand-off run")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000}));
  app.add_flag("--browser", flags.browser,
               "Also time each page in Chromium (run from the source tree's root)");
  CLI11_PARSE(app, argc, argv);
  testing::TempDir dir;
  std::unique_ptr<Store> store = *OpenSqliteStore(dir.path() + "/lrsweep.db");
  CoordinatorOptions options;
  options.checkpoint_dir = dir.path() + "/checkpoints";
  std::unique_ptr<Coordinator> coordinator = *Coordinator::Create(store.get(), options);
  const std::string sweep =
      coordinator->SubmitSweep(BookkeepingSweepYaml("dashboard-bench", flags.trials), "bench.yaml")
          ->sweep_id;
  const auto fill = Clock::now();
  FinishEveryTrial(*coordinator, flags.points);
  std::cerr << "filled " << flags.trials << " trials x " << flags.points << " points in "
            << std::chrono::duration<double>(Clock::now() - fill).count() << " s\n";

  ChangeCounter changes;
  CoordinatorDashboardSource source(coordinator.get(), &changes);
  DashboardApi api(&source, &changes);
  Print("sweeps", flags, Time(api, "/api/v1/sweeps", {}));
  Print("sweep (first)", flags, SweepPage(api, sweep));
  Print("sweep (again)", flags, SweepPage(api, sweep));
  Print("trial", flags, Time(api, "/api/v1/sweeps/" + sweep + "/trials/1", {}));
  Print("workers", flags, Time(api, "/api/v1/workers", {}));
  // An update: one change (as a finished trial makes), then the page's requests again.
  changes.Bump();
  Timed update = Time(api, "/api/v1/changes", {{"since", "0"}});
  const Timed page = SweepPage(api, sweep);
  update.ms += page.ms;
  update.bytes += page.bytes;
  Print("sweep (update)", flags, update);
  if (flags.browser) MeasureInBrowser(*coordinator, flags, sweep);
  if (flags.handoff_trials > 0) {
    MeasureHandOff(*coordinator, flags, nullptr, nullptr, sweep);
    MeasureHandOff(*coordinator, flags, &api, &changes, sweep);
    MeasureHandOff(*coordinator, flags, nullptr, nullptr, sweep);
  }
  return 0;
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
