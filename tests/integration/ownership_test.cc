// One owner for a port and for a data dir: a second coordinator, or a second `lrsweep run` in
// the same folder, is refused with a message that names the owner, and the first goes on.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/local_cluster.h"

namespace lrsweep::testing {
namespace {

using ::testing::HasSubstr;

// A sweep of one trial that trains in a fraction of a second.
constexpr char kTinySweep[] = R"(name: tiny
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 64, val_fraction: 0.25}
  steps: 4
  batch_size: 16
schedule: {type: constant, lr: 0.1}
)";

TEST(OwnershipTest, ASecondCoordinatorOnTheSamePortIsRefused) {
  LocalCluster cluster;
  TempDir other;
  const CommandResult second = RunBinary(
      "lrsweep-coordinator", "--listen " + cluster.address() + " --data-dir " + other.path());
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("cannot listen on " + cluster.address() + ": address in use"));
  // The first coordinator still owns the port and answers.
  const CommandResult status = RunLrsweep("status --coordinator " + cluster.address());
  EXPECT_EQ(status.exit_code, 0) << status.err;
}

TEST(OwnershipTest, ASecondCoordinatorOnTheSameDataDirIsRefusedWithTheHoldersPidAndAddress) {
  LocalCluster cluster;
  const CommandResult second =
      RunBinary("lrsweep-coordinator", "--listen 127.0.0.1:0 --data-dir " + cluster.dir());
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("data dir " + cluster.dir() + " is in use by pid " +
                                    std::to_string(cluster.CoordinatorPid())));
  EXPECT_THAT(second.err, HasSubstr("serving on " + cluster.address()));
  EXPECT_EQ(RunLrsweep("status --coordinator " + cluster.address()).exit_code, 0);
}

TEST(OwnershipTest, ACoordinatorKilledWithSigkillLeavesNoStaleLock) {
  LocalCluster cluster;
  cluster.CrashAndRestartCoordinator();  // same data dir and port, right after kill -9
  EXPECT_EQ(RunLrsweep("status --coordinator " + cluster.address()).exit_code, 0);
}

TEST(OwnershipTest, ASecondRunInTheSameFolderIsRefusedAndTheFirstIsUntouched) {
  // The first owner of the folder: a coordinator on its data dir, as a running `lrsweep run`
  // would have.
  TempDir folder;
  const std::string data_dir = folder.path() + "/lrsweep-data";
  const std::string sweep = folder.Write("tiny.yaml", kTinySweep);
  absl::StatusOr<ChildProcess> owner = ChildProcess::Start(
      {LocalCluster::Bin() + "/lrsweep-coordinator", "--listen", "127.0.0.1:0", "--data-dir",
       data_dir, "--port-file", folder.path() + "/port"},
      folder.path() + "/owner.log");
  ASSERT_TRUE(owner.ok()) << owner.status();
  for (int i = 0; i < 1000 && !std::filesystem::exists(folder.path() + "/port"); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(std::filesystem::exists(folder.path() + "/port"));
  const CommandResult second =
      RunLrsweep("run " + sweep + " --workers 1 --data-dir " + data_dir);
  EXPECT_NE(second.exit_code, 0);
  EXPECT_THAT(second.err, HasSubstr("is in use by pid " + std::to_string(owner->pid())));
  EXPECT_TRUE(owner->Running());
}

TEST(OwnershipTest, AWorkerThatStopsNormallySaysGoodbyeAndIsShownAsStopped) {
  LocalCluster cluster;
  const int worker = cluster.StartWorker();
  std::string status;
  for (int i = 0; i < 100 && status.find("waiting") == std::string::npos; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    status = RunLrsweep("status --coordinator " + cluster.address()).out;
  }
  ASSERT_THAT(status, HasSubstr("waiting"));
  cluster.KillWorker(worker, SIGTERM);
  for (int i = 0; i < 100 && status.find("stopped") == std::string::npos; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    status = RunLrsweep("status --coordinator " + cluster.address()).out;
  }
  EXPECT_THAT(status, HasSubstr("stopped"));
  EXPECT_THAT(status, ::testing::Not(HasSubstr("lost")));
  EXPECT_THAT(cluster.WorkerLog(worker), HasSubstr("unregistered"));
}

// A loopback port nothing listens on now.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST(OwnershipTest, AWorkerStartedBeforeItsCoordinatorSaysSoAndJoinsWhenItComes) {
  TempDir dir;
  const std::string address = absl::StrCat("127.0.0.1:", FreePort());
  absl::StatusOr<ChildProcess> worker = ChildProcess::Start(
      {LocalCluster::Bin() + "/lrsweep-worker", "--coordinator", address, "--checkpoint-dir",
       dir.path() + "/worker"},
      dir.path() + "/worker.log");
  ASSERT_TRUE(worker.ok());
  std::string log;
  for (int i = 0; i < 100 && log.find("cannot reach the coordinator") == std::string::npos; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    log = ReadBinaryFile(dir.path() + "/worker.log").value_or("");
  }
  EXPECT_THAT(log, HasSubstr("cannot reach the coordinator at " + address));
  EXPECT_THAT(log, HasSubstr("retrying"));

  absl::StatusOr<ChildProcess> coordinator = ChildProcess::Start(
      {LocalCluster::Bin() + "/lrsweep-coordinator", "--listen", address, "--data-dir",
       dir.path() + "/data", "--heartbeat-ms", "100"},
      dir.path() + "/coordinator.log");
  ASSERT_TRUE(coordinator.ok());
  CoordinatorClient client(address, absl::Seconds(5));
  absl::StatusOr<v1::SubmitSweepResponse> submitted = absl::UnavailableError("not yet");
  for (int i = 0; i < 100 && !submitted.ok(); ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    submitted = client.Submit(kTinySweep, "early.yaml");
  }
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  bool finished = false;
  for (int i = 0; i < 300 && !finished; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    absl::StatusOr<v1::SweepSummary> sweep = client.GetSweep(submitted->sweep_id());
    finished = sweep.ok() && sweep->state() == v1::SWEEP_FINISHED;
  }
  EXPECT_TRUE(finished) << *ReadBinaryFile(dir.path() + "/worker.log");
}

}  // namespace
}  // namespace lrsweep::testing
