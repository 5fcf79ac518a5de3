// What every gRPC caller and server of lrsweep shares: status mapping, message limits, channels
// and deadlines.
//
// absl::Status and grpc::Status have the same canonical codes, so conversion keeps the code and
// the message; a machine-readable reason (common/status_reason.h, such as LEASE_LOST) travels in
// the status details as an lrsweep.v1.ErrorDetail, so the client sees IsLeaseLost() true
// without reading the message.
//
//   return ToGrpcStatus(coordinator->CancelSweep(id).status());     // a server
//   auto channel = NewChannel("127.0.0.1:7077");                     // a client
//   grpc::ClientContext context;
//   SetDeadline(context, absl::Seconds(20));
//   absl::Status status = FromGrpcStatus(stub->Heartbeat(&context, request, &response));
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_RPC_STATUS_H_
#define LRSWEEP_RPC_STATUS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace lrsweep {

// Message size limit of every server and channel (a 100,000-trial ListTrials fits).
inline constexpr int kMaxMessageBytes = 256 * 1024 * 1024;

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// An insecure channel with lrsweep's message limits, reconnecting within a second of the
// coordinator's return. rpc/client_security.h has the TLS one.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address);
// The arguments of every lrsweep channel: message limits and a short reconnect backoff.
grpc::ChannelArguments ChannelArgumentsWithLimits();
// Applies lrsweep's message limits to a server.
void ApplyServerLimits(grpc::ServerBuilder& builder);
void SetDeadline(grpc::ClientContext& context, absl::Duration timeout);

}  // namespace lrsweep

#endif  // LRSWEEP_RPC_STATUS_H_
