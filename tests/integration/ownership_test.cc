// One owner for a port and for a data dir: a second coordinator, or a second `lrsweep run` in
// the same folder, is refused with a message that names the owner, and the first goes on.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/local_cluster.h"

namespace lrsweep::testing {
namespace {

using ::testing::HasSubstr;

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
  const std::string sweep = folder.Write("tiny.yaml", R"(name: tiny
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 64, val_fraction: 0.25}
  steps: 4
  batch_size: 16
schedule: {type: constant, lr: 0.1}
)");
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

}  // namespace
}  // namespace lrsweep::testing
