// CoordinatorClient: the CLI's connection to lrsweep-coordinator's SweepService.
//
// Every call has a deadline; failures come back as absl::Status with the gRPC code, and an
// unreachable coordinator is UNAVAILABLE with a message saying how to start or point to one.
//
//   ASSIGN_OR_RETURN(std::string address, ResolveCoordinatorAddress(flag_value));
//   CoordinatorClient client(address);
//   ASSIGN_OR_RETURN(v1::SubmitSweepResponse submitted, client.Submit(yaml, "sweep.yaml"));
//
// Thread safety: thread-safe (gRPC stubs are).
#ifndef LRSWEEP_CLI_COORDINATOR_CLIENT_H_
#define LRSWEEP_CLI_COORDINATOR_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lrsweep/v1/lrsweep.grpc.pb.h"
#include "rpc/client_security.h"
#include "sweep/artifact_ref.h"

namespace lrsweep {

inline constexpr char kDefaultCoordinator[] = "127.0.0.1:7077";

// --coordinator if given, else $LRSWEEP_COORDINATOR, else 127.0.0.1:7077.
std::string ResolveCoordinatorAddress(const std::string& flag);

class CoordinatorClient {
 public:
  // `security`: TLS and token (rpc/client_security.h); the default is plaintext, for loopback.
  explicit CoordinatorClient(std::string address, absl::Duration deadline = absl::Seconds(30),
                             ClientSecurity security = {});

  const std::string& address() const { return address_; }

  absl::StatusOr<v1::SubmitSweepResponse> Submit(const std::string& yaml,
                                                 const std::string& file_name,
                                                 const std::vector<ArtifactRef>& artifacts = {},
                                                 const std::string& base_dir = "",
                                                 const std::string& into_sweep_id = "");
  // Which of `sha256` the coordinator lacks, and the largest upload it accepts.
  absl::StatusOr<v1::StatArtifactsResponse> StatArtifacts(const std::vector<std::string>& sha256);
  // Streams the file at `path` (of `size` bytes, digest `sha256`) in 1 MiB chunks.
  absl::Status UploadArtifact(const std::string& sha256, int64_t size, const std::string& path);
  absl::StatusOr<v1::SweepSummary> GetSweep(const std::string& sweep_id);
  absl::StatusOr<v1::ListSweepsResponse> ListSweeps();
  absl::StatusOr<std::vector<v1::TrialInfo>> ListTrials(const std::string& sweep_id);
  // A command trial's attempt log (attempt 0: the latest; tail_bytes 0: all).
  absl::StatusOr<v1::GetTrialLogResponse> GetTrialLog(const std::string& sweep_id, int64_t trial,
                                                      int64_t attempt, int64_t tail_bytes);
  absl::StatusOr<std::vector<v1::MetricPoint>> GetMetrics(const std::string& sweep_id,
                                                          int64_t trial);
  absl::StatusOr<int64_t> Cancel(const std::string& sweep_id);
  // How many trials went back to PENDING.
  absl::StatusOr<int64_t> Retry(const std::string& sweep_id, bool cancelled);
  // Sets the note (when given) and adds and removes tags; the sweep as it is then.
  absl::StatusOr<v1::SweepSummary> Label(const std::string& sweep_id,
                                         const std::optional<std::string>& note,
                                         const std::vector<std::string>& add_tags,
                                         const std::vector<std::string>& remove_tags);
  absl::StatusOr<v1::SpaceFreed> Archive(const std::string& sweep_id);
  absl::StatusOr<v1::SpaceFreed> Delete(const std::string& sweep_id);
  // Calls `on_event` for every event until the stream ends (the sweep ended) or `on_event`
  // returns false.
  absl::Status Watch(const std::string& sweep_id,
                     const std::function<bool(const v1::SweepEvent&)>& on_event);

 private:
  std::unique_ptr<grpc::ClientContext> Context() const;
  absl::Status Check(const grpc::Status& status) const;

  std::string address_;
  absl::Duration deadline_;
  ClientSecurity security_;
  std::unique_ptr<v1::SweepService::Stub> stub_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_COORDINATOR_CLIENT_H_
