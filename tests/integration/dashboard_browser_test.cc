// The dashboard in a real browser while a real `lrsweep run` trains: tests/browser/
// dashboard_check.js drives Debian's chromium (playwright-core) through every page and checks that
// nothing logs an error, the ranking sorts on a click, a finishing trial appears without a reload
// and the trial page draws its curves. Screenshots of the pages are kept beside the binaries.
#include <filesystem>
#include <fstream>

#include "absl/time/clock.h"
#include "cli/child_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

// The URL `lrsweep run` prints once its coordinator serves the dashboard ("" after 30 s).
std::string WaitForDashboardUrl(const std::string& log) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
      const size_t at = line.find("dashboard: http://");
      if (at != std::string::npos) {
        const std::string rest = line.substr(at + 11);
        return rest.substr(0, rest.find(' '));
      }
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return "";
}

TEST(DashboardBrowserTest, EveryPageWorksLiveWhileASweepRuns) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "chromium is not installed (deploy/install-deps.sh installs it)";
  }
  const std::string source = testing::Setting("LRSWEEP_SOURCE_DIR", LRSWEEP_SOURCE_DIR_DEFAULT);
  const std::string bin = testing::Setting("LRSWEEP_BIN", LRSWEEP_BIN_DEFAULT);
  ASSERT_TRUE(std::filesystem::exists(source + "/tests/browser/node_modules/playwright-core"))
      << "run deploy/install-deps.sh: it installs the browser tests' driver";
  testing::TempDir dir;
  const std::string log = dir.path() + "/run.log";
  absl::StatusOr<ChildProcess> run = ChildProcess::Start(
      {bin + "/lrsweep", "run", source + "/tests/browser/dashboard-sweep.yaml", "--workers", "1",
       "--data-dir", dir.path() + "/data"},
      log);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string url = WaitForDashboardUrl(log);
  ASSERT_FALSE(url.empty()) << "no dashboard URL in the run's output";
  const testing::CommandResult check = testing::RunCommand(
      "cd " + source + "/tests/browser && timeout 240 node dashboard_check.js " + url + " " + bin);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_THAT(check.out, ::testing::HasSubstr("a finishing trial showed without a reload"))
      << check.out << check.err;
  for (const char* page : {"sweeps", "sweep", "trial", "workers"}) {
    EXPECT_TRUE(std::filesystem::exists(bin + "/dashboard-" + page + ".png")) << page;
  }
  run->Terminate(absl::Seconds(20));
}

}  // namespace
}  // namespace lrsweep
