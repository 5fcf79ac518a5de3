// Conversions between lrsweep's records and lrsweep.v1 messages, and between absl::Status and
// grpc::Status (their canonical codes map one to one).
//
//   return ToGrpcStatus(coordinator->CancelSweep(id).status());
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_COORDINATOR_RPC_CONVERT_H_
#define LRSWEEP_COORDINATOR_RPC_CONVERT_H_

#include <vector>

#include "absl/status/status.h"
#include "coordinator/coordinator.h"
#include "coordinator/records.h"
#include "grpcpp/grpcpp.h"
#include "lrsweep/v1/lrsweep.pb.h"

namespace lrsweep {

// Message size limit of every server and channel (a 100,000-trial ListTrials fits).
inline constexpr int kMaxMessageBytes = 256 * 1024 * 1024;

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

v1::TrialState ToProto(TrialState state);
TrialState FromProto(v1::TrialState state);
v1::MetricPoint ToProto(const MetricPoint& point);
MetricPoint FromProto(const v1::MetricPoint& point);
std::vector<MetricPoint> FromProto(
    const google::protobuf::RepeatedPtrField<v1::MetricPoint>& points);
v1::TrialInfo ToProto(const TrialRecord& trial);
TrialRecord FromProto(const v1::TrialInfo& trial);
v1::SweepSummary ToProto(const SweepView& sweep);
v1::WorkerInfo ToProto(const WorkerView& worker);
LeaseRef FromProto(const v1::LeaseRef& lease);
v1::LeaseRef ToProto(const LeaseRef& lease);
// What a lease tells a worker about a committed checkpoint (not where the coordinator keeps it).
v1::CheckpointRef ToProto(const CheckpointRecord& checkpoint);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_RPC_CONVERT_H_
