// The dashboard's JSON API (`/api/v1/...`), free of HTTP: a request is a method, a path and its
// query parameters; the answer is a status code and a JSON body. The pages use it, and so can
// scripts (docs/dashboard.md lists every route and shape).
//
//   DashboardApi api(&source, &changes);
//   ApiResponse r = api.Handle({"GET", "/api/v1/sweeps/s-1/trials", {{"sort", "score"}}});
//   // r.status == 200, r.body["trials"][0]["trial"] ...
//
// Errors are {"error": {"code": "NOT_FOUND", "message": "..."}} with the HTTP status of the
// canonical code: 400 for a malformed query parameter (the message names it and says what is
// allowed), 404 for an unknown route, sweep or trial, 405 for a wrong method.
//
// Curves are thinned on the server (LTTB, downsample.h) to at most `points` per curve, and the
// trial table is paged, so a sweep of 10,000 trials answers in pages, not in one body. A sweep's
// report (ranking, families, diagnoses) is rebuilt only when the coordinator changed something.
//
// Thread safety: thread-safe; Handle may be called from many threads.
#ifndef LRSWEEP_DASHBOARD_DASHBOARD_API_H_
#define LRSWEEP_DASHBOARD_DASHBOARD_API_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dashboard/change_counter.h"
#include "dashboard/dashboard_source.h"
#include "nlohmann/json.hpp"
#include "report/diagnoses.h"

namespace lrsweep {

struct ApiRequest {
  std::string method;  // "GET" or "POST"
  std::string path;    // "/api/v1/sweeps", without the query
  std::map<std::string, std::string> query;
};

struct ApiResponse {
  int status = 200;
  nlohmann::ordered_json body;
};

// The HTTP status of a canonical code (INVALID_ARGUMENT 400, UNAUTHENTICATED 401,
// PERMISSION_DENIED 403, NOT_FOUND 404, FAILED_PRECONDITION 409, UNIMPLEMENTED 501,
// UNAVAILABLE 503, others 500).
int HttpStatusOf(const absl::Status& status);
// The error body for `status`.
ApiResponse ErrorResponse(const absl::Status& status);

struct DashboardApiOptions {
  // How long `GET /api/v1/changes` waits for a change before answering with the same version.
  absl::Duration longest_change_wait = absl::Seconds(20);
  // A sweep page with more finished trials than this still to diagnose (each one's whole history
  // is read) is answered at once without them; they are diagnosed in the background and the page
  // is told of the change when they are done.
  int64_t diagnose_inline_limit = 256;
};

class DashboardApi {
 public:
  // `source` and `changes` are not owned and must outlive the API.
  DashboardApi(DashboardSource* source, ChangeCounter* changes, DashboardApiOptions options = {});
  ~DashboardApi();

  ApiResponse Handle(const ApiRequest& request);

 private:
  struct CachedReport {
    // The change counter's version for a running sweep; for an ended one, its state and counts,
    // which no other sweep's changes move (a large finished sweep left open while another runs is
    // not rebuilt at every change of the other).
    std::string key;
    nlohmann::ordered_json report;
  };
  // The diagnoses of a sweep's final trials by trial: final trials never change, so each curve
  // is read and diagnosed once, not at every change of a large sweep.
  // Keyed by trial, with the attempt they were made at: a retried trial runs a new attempt, and
  // its diagnoses are made again once it ends.
  struct AttemptDiagnoses {
    int64_t attempts = 0;
    std::vector<Diagnosis> diagnoses;
  };
  using FinalDiagnoses = std::map<int64_t, AttemptDiagnoses>;
  absl::StatusOr<nlohmann::ordered_json> Route(const ApiRequest& request);
  absl::StatusOr<nlohmann::ordered_json> SweepList(const ApiRequest& request);
  // POST .../labels, .../archive and .../delete.
  absl::StatusOr<nlohmann::ordered_json> SweepAction(const std::string& sweep_id,
                                                     const std::string& action,
                                                     const ApiRequest& request);
  absl::StatusOr<nlohmann::ordered_json> SweepPage(const std::string& sweep_id,
                                                   const ApiRequest& request);
  absl::StatusOr<nlohmann::ordered_json> TrialTable(const std::string& sweep_id,
                                                    const ApiRequest& request);
  absl::StatusOr<nlohmann::ordered_json> TrialPage(const std::string& sweep_id,
                                                   const std::string& trial,
                                                   const ApiRequest& request);
  absl::StatusOr<nlohmann::ordered_json> TrialLogPage(const std::string& sweep_id,
                                                      const std::string& trial,
                                                      const ApiRequest& request);
  absl::StatusOr<nlohmann::ordered_json> SweepCurves(const std::string& sweep_id,
                                                     const ApiRequest& request);
  nlohmann::ordered_json WorkerList() ABSL_LOCKS_EXCLUDED(mu_);
  // A training worker's steps/s, from its trial's step now and at an earlier call at least a
  // second ago (null until there are two such samples of the same trial).
  std::optional<double> StepsPerSecond(const WorkerView& worker, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<nlohmann::ordered_json> Changes(const ApiRequest& request);
  // The sweep's report as JSON, rebuilt when its cache key (CachedReport) moved.
  absl::StatusOr<nlohmann::ordered_json> ReportOf(const SweepView& sweep)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The diagnoses of `trials` that are final, in their order: cached, or read and diagnosed now.
  // When more than options_.diagnose_inline_limit are not cached, only the cached ones, and the
  // others are diagnosed in the background; `pending` says how many are left out.
  absl::StatusOr<std::vector<Diagnosis>> DiagnosesOf(const std::string& sweep_id,
                                                    const std::vector<TrialRecord>& trials,
                                                    int64_t* pending) ABSL_LOCKS_EXCLUDED(mu_);
  // Reads and diagnoses `trials` into the cache, marks the reports built without them stale,
  // then bumps the change counter (so pages refresh). Runs on its own thread; stops early when the API is destroyed.
  void DiagnoseInBackground(std::string sweep_id, std::vector<TrialRecord> trials)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Caches the diagnoses of one final trial, read from its history now.
  absl::StatusOr<std::vector<Diagnosis>> Diagnose(const std::string& sweep_id,
                                                  const TrialRecord& trial)
      ABSL_LOCKS_EXCLUDED(mu_);

  DashboardSource* const source_;
  ChangeCounter* const changes_;
  const DashboardApiOptions options_;
  absl::Mutex mu_;
  std::map<std::string, CachedReport> reports_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, FinalDiagnoses> diagnoses_ ABSL_GUARDED_BY(mu_);
  // Background diagnoses by sweep; joined by the destructor, which sets stopping_ first.
  std::map<std::string, std::thread> diagnosing_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> diagnosed_ ABSL_GUARDED_BY(mu_);  // whose background run has ended
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // By sweep: background runs ended; part of a report's cache key.
  std::map<std::string, int64_t> diagnosis_runs_ended_ ABSL_GUARDED_BY(mu_);
  struct StepSample {
    std::string sweep_id;
    int64_t trial = -1;
    int64_t step = 0;
    absl::Time time;
    std::optional<double> rate;  // steps/s between the previous sample and this one
  };
  std::map<std::string, StepSample> step_samples_ ABSL_GUARDED_BY(mu_);  // by worker
};

}  // namespace lrsweep

#endif  // LRSWEEP_DASHBOARD_DASHBOARD_API_H_
