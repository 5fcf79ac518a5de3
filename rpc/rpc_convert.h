// Conversions between lrsweep's domain types (sweep/) and lrsweep.v1 messages, both ways where
// both sides need them. Enums are tied to their proto twins by static_asserts, and every
// conversion has a round-trip test (tests/unit/rpc_convert_test.cc).
//
//   *response->add_trials() = ToProto(trial);
//   LeaseRef lease = FromProto(request.lease());
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_RPC_RPC_CONVERT_H_
#define LRSWEEP_RPC_RPC_CONVERT_H_

#include <vector>

#include "lrsweep/v1/lrsweep.pb.h"
#include "rpc/status.h"
#include "sweep/artifact_ref.h"
#include "sweep/lease.h"
#include "sweep/records.h"
#include "sweep/views.h"

namespace lrsweep {

v1::TrialState ToProto(TrialState state);
TrialState FromProto(v1::TrialState state);
v1::SweepState ToProto(SweepState state);
SweepState FromProto(v1::SweepState state);
v1::Directive ToProto(Directive directive);
Directive FromProto(v1::Directive directive);
v1::WorkerState ToProto(WorkerState state);
v1::MetricPoint ToProto(const MetricPoint& point);
MetricPoint FromProto(const v1::MetricPoint& point);
std::vector<MetricPoint> FromProto(
    const google::protobuf::RepeatedPtrField<v1::MetricPoint>& points);
v1::TrialInfo ToProto(const TrialRecord& trial);
TrialRecord FromProto(const v1::TrialInfo& trial);
v1::SweepSummary ToProto(const SweepView& sweep);
v1::SpaceFreed ToProto(const SpaceFreed& freed);
v1::WorkerInfo ToProto(const WorkerView& worker);
LeaseRef FromProto(const v1::LeaseRef& lease);
v1::LeaseRef ToProto(const LeaseRef& lease);
// What a lease tells a worker about a committed checkpoint (not where the coordinator keeps it).
v1::CheckpointRef ToProto(const CheckpointRecord& checkpoint);
CheckpointRecord FromProto(const v1::CheckpointRef& checkpoint);
v1::Lease ToProto(const LeaseGrant& grant);
LeaseGrant FromProto(const v1::Lease& lease);
v1::Artifact ToProto(const ArtifactRef& ref);
ArtifactRef FromProto(const v1::Artifact& artifact);

}  // namespace lrsweep

#endif  // LRSWEEP_RPC_RPC_CONVERT_H_
