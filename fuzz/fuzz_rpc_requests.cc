// Fuzzes the coordinator's handling of every unary RPC with what a malformed or hostile client
// could send: the first byte picks the RPC, the rest is parsed as its request message and given
// to the same gRPC-free step the server runs (coordinator/service_steps.h), against a real
// Coordinator on SQLite in a temp dir that holds one sweep, a registered worker and a lease.
// Every outcome must be a Status (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ...), never a
// crash, and the coordinator must keep answering.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "coordinator/coordinator.h"
#include "coordinator/service_steps.h"
#include "coordinator/store.h"

namespace lrsweep {
namespace {

constexpr char kSweep[] = R"(name: fuzz
train: {model: {type: mlp, hidden: [4]}, data: {type: synthetic, train_examples: 64}, steps: 4,
        batch_size: 8}
schedule: {type: cosine, lr: 0.1}
parameters: {schedule.lr: [0.1, 0.2]}
)";

struct Fixture {
  std::string dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Coordinator> coordinator;
  std::unique_ptr<ArtifactStore> artifacts;
  std::unique_ptr<TrialLogStore> logs;
};

Fixture& Get() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    f->dir = std::filesystem::temp_directory_path() / ("lrsweep-fuzz-rpc-" + std::to_string(getpid()));
    std::filesystem::create_directories(f->dir);
    static const std::string* dir = &f->dir;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*dir, ignored);
    });
    f->store = *OpenSqliteStore(f->dir + "/lrsweep.db");
    CoordinatorOptions options;
    options.checkpoint_dir = f->dir + "/checkpoints";
    f->coordinator = *Coordinator::Create(f->store.get(), options);
    f->artifacts = std::make_unique<ArtifactStore>(f->dir + "/artifacts", 1 << 20);
    f->logs = std::make_unique<TrialLogStore>(f->dir + "/logs", 1 << 16);
    (void)f->coordinator->SubmitSweep(kSweep, "fuzz.yaml");
    (void)f->coordinator->RegisterWorker("fuzz", "cpu", 1);
    return f;
  }();
  return *fixture;
}

template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request* request) {
  return request->ParseFromArray(data, static_cast<int>(size));
}

// One request of the RPC `which`; the status is the point (it must exist, not crash).
void Handle(int which, const uint8_t* data, size_t size, Fixture& f) {
  Coordinator* c = f.coordinator.get();
  switch (which) {
#define LRSWEEP_FUZZ_CASE(n, Request, call) \
  case n: {                                 \
    v1::Request request;                    \
    if (Parse(data, size, &request)) (void)(call); \
    return;                                 \
  }
    LRSWEEP_FUZZ_CASE(0, GetSweepRequest, ([&] { v1::GetSweepResponse r; return HandleGetSweep(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(1, ListTrialsRequest, ([&] { v1::ListTrialsResponse r; return HandleListTrials(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(2, GetMetricsRequest, ([&] { v1::GetMetricsResponse r; return HandleGetMetrics(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(3, GetTrialLogRequest, ([&] { v1::GetTrialLogResponse r; return HandleGetTrialLog(c, f.logs.get(), request, &r); }()))
    LRSWEEP_FUZZ_CASE(4, StatArtifactsRequest, ([&] { v1::StatArtifactsResponse r; return HandleStatArtifacts(f.artifacts.get(), request, &r); }()))
    LRSWEEP_FUZZ_CASE(5, RegisterWorkerRequest, ([&] { v1::RegisterWorkerResponse r; return HandleRegisterWorker(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(6, HeartbeatRequest, ([&] { v1::HeartbeatResponse r; return HandleHeartbeat(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(7, ReportMetricsRequest, ([&] { v1::ReportMetricsResponse r; return HandleReportMetrics(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(8, AppendTrialLogRequest, HandleAppendTrialLog(c, f.logs.get(), request))
    LRSWEEP_FUZZ_CASE(9, CompleteTrialRequest, HandleCompleteTrial(c, request))
    LRSWEEP_FUZZ_CASE(10, FailTrialRequest, HandleFailTrial(c, request))
    LRSWEEP_FUZZ_CASE(11, PreemptTrialRequest, HandlePreemptTrial(c, request))
    LRSWEEP_FUZZ_CASE(12, RegisterCheckpointRequest, ([&] { v1::RegisterCheckpointResponse r; return HandleRegisterCheckpoint(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(13, UnregisterWorkerRequest, HandleUnregisterWorker(c, request))
    LRSWEEP_FUZZ_CASE(15, CancelSweepRequest, ([&] { v1::CancelSweepResponse r; return HandleCancelSweep(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(17, RetrySweepRequest, ([&] { v1::RetrySweepResponse r; return HandleRetrySweep(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(18, LabelSweepRequest, ([&] { v1::LabelSweepResponse r; return HandleLabelSweep(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(19, ArchiveSweepRequest, ([&] { v1::ArchiveSweepResponse r; return HandleArchiveSweep(c, request, &r); }()))
    LRSWEEP_FUZZ_CASE(20, DeleteSweepRequest, ([&] { v1::DeleteSweepResponse r; return HandleDeleteSweep(c, f.logs.get(), request, &r); }()))
#undef LRSWEEP_FUZZ_CASE
    case 14: {
      v1::SubmitSweepRequest request;
      if (!Parse(data, size, &request)) return;
      // Bounded per input (fuzz_sweep_parser covers the planner at large): at most 64 trials.
      if (request.yaml().find("max_trials") != std::string::npos) return;
      request.set_yaml(request.yaml() + "\nmax_trials: 64\n");
      v1::SubmitSweepResponse response;
      (void)HandleSubmitSweep(c, f.artifacts.get(), request, &response);
      return;
    }
    case 16: {
      v1::AcquireLeaseRequest request;
      if (!Parse(data, size, &request)) return;
      request.set_wait_ms(0);  // never park: answer at once
      v1::AcquireLeaseResponse response;
      HandleAcquireLease(c, request, &response, [](const absl::Status&) {});
      return;
    }
  }
}

}  // namespace
}  // namespace lrsweep

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  lrsweep::Fixture& fixture = lrsweep::Get();
  lrsweep::Handle(data[0] % 21, data + 1, size - 1, fixture);
  return 0;
}
