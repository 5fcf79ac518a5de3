// Writes the seed inputs of the fuzz targets that sweeps/ does not provide: a valid checkpoint
// file and checkpoint-folder archive (fuzz_checkpoint_reader), and one well-formed request of
// every RPC (fuzz_rpc_requests: the RPC's number, then the message).
//
//   fuzz_seeds OUT_DIR     writes OUT_DIR/checkpoint_reader/* and OUT_DIR/rpc_requests/*
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "lrsweep/v1/lrsweep.pb.h"
#include "worker/checkpoint_folder.h"
#include "worker/checkpoint_format.h"

namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

void WriteRequest(const fs::path& dir, int which, const google::protobuf::Message& message) {
  Write(dir / ("rpc-" + std::to_string(which)), std::string(1, static_cast<char>(which)) +
                                                    message.SerializeAsString());
}

lrsweep::v1::LeaseRef Lease() {
  lrsweep::v1::LeaseRef lease;
  lease.set_worker_id("w-1");
  lease.set_sweep_id("fuzz-000001");
  lease.set_trial(0);
  lease.set_fencing_token(1);
  return lease;
}

namespace v1 = lrsweep::v1;

// The requests that name a sweep, and the two that need none of the fixture's state.
void WriteSweepRequests(const fs::path& dir) {
  v1::GetSweepRequest get;
  get.set_sweep_id("fuzz-000001");
  WriteRequest(dir, 0, get);
  v1::ListTrialsRequest list;
  list.set_sweep_id("fuzz-000001");
  WriteRequest(dir, 1, list);
  v1::GetMetricsRequest metrics;
  metrics.set_sweep_id("fuzz-000001");
  WriteRequest(dir, 2, metrics);
  v1::GetTrialLogRequest log;
  log.set_sweep_id("fuzz-000001");
  log.set_tail_bytes(100);
  WriteRequest(dir, 3, log);
  v1::StatArtifactsRequest stat;
  stat.add_sha256(std::string(64, 'a'));
  WriteRequest(dir, 4, stat);
  v1::SubmitSweepRequest submit;
  submit.set_yaml("name: s\ntrain: {steps: 4, batch_size: 8, data: {type: synthetic}}\n"
                  "schedule: {type: cosine, lr: 0.1}\n");
  submit.set_base_dir("/tmp");
  WriteRequest(dir, 14, submit);
  v1::CancelSweepRequest cancel;
  cancel.set_sweep_id("fuzz-000001");
  WriteRequest(dir, 15, cancel);
  v1::LabelSweepRequest label;
  label.set_sweep_id("fuzz-000001");
  label.set_set_note(true);
  label.set_note("a note");
  label.add_add_tags("baseline");
  label.add_remove_tags("old");
  WriteRequest(dir, 18, label);
  v1::ArchiveSweepRequest archive;
  archive.set_sweep_id("fuzz-000001");
  WriteRequest(dir, 19, archive);
  v1::DeleteSweepRequest remove;
  remove.set_sweep_id("fuzz-000001");
  WriteRequest(dir, 20, remove);
}

// The requests a worker sends.
void WriteWorkerRequests(const fs::path& dir) {
  v1::RegisterWorkerRequest worker;
  worker.set_name("w");
  worker.set_device("cpu");
  worker.set_threads(1);
  WriteRequest(dir, 5, worker);
  v1::HeartbeatRequest heartbeat;
  *heartbeat.mutable_lease() = Lease();
  WriteRequest(dir, 6, heartbeat);
  v1::ReportMetricsRequest report;
  *report.mutable_lease() = Lease();
  v1::MetricPoint* point = report.add_points();
  point->set_step(1);
  point->set_lr(0.1);
  point->set_train_loss(2.3);
  WriteRequest(dir, 7, report);
  v1::AppendTrialLogRequest append;
  *append.mutable_lease() = Lease();
  append.set_text("line\n");
  WriteRequest(dir, 8, append);
  v1::CompleteTrialRequest complete;
  *complete.mutable_lease() = Lease();
  *complete.add_points() = *point;
  WriteRequest(dir, 9, complete);
  v1::FailTrialRequest fail;
  *fail.mutable_lease() = Lease();
  fail.set_reason("boom");
  WriteRequest(dir, 10, fail);
  v1::PreemptTrialRequest preempt;
  *preempt.mutable_lease() = Lease();
  WriteRequest(dir, 11, preempt);
  v1::RegisterCheckpointRequest checkpoint;
  *checkpoint.mutable_lease() = Lease();
  checkpoint.set_step(2);
  checkpoint.set_size(10);
  checkpoint.set_sha256(std::string(64, 'b'));
  checkpoint.set_shared_path("fuzz-000001/0/step-2-a1.ckpt");
  WriteRequest(dir, 12, checkpoint);
  v1::UnregisterWorkerRequest unregister;
  unregister.set_worker_id("w-1");
  WriteRequest(dir, 13, unregister);
  v1::AcquireLeaseRequest acquire;
  acquire.set_worker_id("w-1");
  WriteRequest(dir, 16, acquire);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seeds OUT_DIR\n";
    return 2;
  }
  const fs::path out = argv[1];
  Write(out / "checkpoint_reader" / "checkpoint",
        lrsweep::EncodeCheckpoint(R"({"trial": 1, "step": 5, "schedule": {"step": 5}})",
                                  std::string("\x80\x02}q\x00.", 6)));
  const fs::path folder = out / "scratch" / "folder";
  Write(folder / "state.pt", "payload");
  auto archive = lrsweep::PackCheckpointFolder(folder.string(), {"s-1", 1, 5, 1, 0.5, 1.0});
  if (archive.ok()) Write(out / "checkpoint_reader" / "folder-archive", *archive);
  fs::remove_all(out / "scratch");
  WriteSweepRequests(out / "rpc_requests");
  WriteWorkerRequests(out / "rpc_requests");
  return 0;
}
