// The HTML report in a real browser: headless Chromium (Debian's) opens the file offline, every
// chart renders, no script error is reported, and a screenshot is kept for people to look at.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "report/report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

SweepReport SampleReport() {
  SweepView view;
  view.record.id = "browser-1";
  view.record.name = "browser check";
  view.record.metric_name = "val_accuracy";
  view.record.maximize = true;
  std::vector<TrialRecord> trials;
  std::map<int64_t, std::vector<MetricPoint>> histories;
  const char* families[] = {"constant", "cosine", "onecycle"};
  int64_t index = 0;
  for (int f = 0; f < 3; ++f) {
    for (double lr : {0.01, 0.03, 0.1}) {
      for (int seed = 0; seed < 2; ++seed, ++index) {
        TrialRecord trial;
        trial.trial = index;
        trial.config = index / 2;
        trial.seed = seed;
        trial.state = TrialState::kCompleted;
        trial.score = 0.8 + 0.03 * f + 0.2 * lr + 0.002 * seed;
        trial.total_steps = 200;
        trial.params_json = nlohmann::json({{"schedule.type", families[f]}, {"schedule.lr", lr}}).dump();
        nlohmann::json schedule = {{"type", families[f]}, {"lr", lr}};
        if (f == 1) schedule["eta_min"] = 1e-4;
        nlohmann::json plan = {{"base_lr", lr}, {"total_steps", 200}, {"steps_per_epoch", 50},
                               {"schedule", schedule}};
        // The cosine trials' peak LRs come from the range test below (trial 18).
        if (f == 1) {
          plan["relative_lr"] = {{"anchor", "steepest"}, {"factor", lr / 0.01}, {"pick", 0.01},
                                 {"range_test_trial", 18}};
        }
        trial.plan_json = plan.dump();
        std::vector<MetricPoint>& history = histories[index];
        for (int64_t s = 0; s < 200; ++s) {
          MetricPoint p;
          p.step = s;
          p.lr = lr;
          p.train_loss = 0.3 + 2.0 * std::exp(-s / 50.0);
          if ((s + 1) % 50 == 0) p.val_loss = 0.35 + 2.0 * std::exp(-s / 50.0);
          history.push_back(p);
        }
        trials.push_back(trial);
      }
    }
  }
  // An LR range test: the loss falls, bottoms out near lr 0.1 and blows up.
  TrialRecord test;
  test.trial = index;
  test.config = 9;
  test.state = TrialState::kStopped;
  test.total_steps = 100;
  test.step = 95;
  test.plan_json = nlohmann::json({{"range_test", {{"setup", "cnn, sgd, batch 128"},
                                                   {"min_lr", 1e-5},
                                                   {"max_lr", 1.0},
                                                   {"steps", 100}}}})
                       .dump();
  for (int64_t s = 0; s < 95; ++s) {
    MetricPoint p;
    p.step = s;
    p.lr = 1e-5 * std::pow(10.0, 5.0 * s / 99.0);
    const double x = std::log10(p.lr);
    p.train_loss = x < -1 ? 2.3 - std::tanh(x + 3.0) : 1.3 + 40 * (x + 1) * (x + 1);
    histories[index].push_back(p);
  }
  trials.push_back(test);
  return BuildReport(view, trials, histories);
}

std::string RunChromium(const std::string& args) {
  const std::string command =
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--virtual-time-budget=15000 " + args + " 2>/dev/null";
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

TEST(ReportBrowserTest, EveryChartRendersOfflineWithoutErrors) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "chromium is not installed (deploy/install-deps.sh installs it)";
  }
  testing::TempDir dir;
  const std::string html = dir.Write("report.html", RenderHtml(SampleReport()));
  const std::string profile = "--user-data-dir=" + dir.path() + "/profile ";
  const std::string dom = RunChromium(profile + "--dump-dom file://" + html);
  ASSERT_THAT(dom, HasSubstr("data-rendered=\"true\"")) << "the charts did not finish rendering";
  EXPECT_THAT(dom, HasSubstr("<pre id=\"errors\"></pre>")) << "a chart reported an error";
  for (int chart = 1; chart <= 6; ++chart) {  // the sixth: the LR range test
    const std::string id = "id=\"chart" + std::to_string(chart) + "\"";
    const size_t at = dom.find(id);
    ASSERT_NE(at, std::string::npos) << id;
    const size_t next = dom.find("class=\"chart\"", at + 1);
    const std::string section = dom.substr(at, next == std::string::npos ? std::string::npos : next - at);
    EXPECT_THAT(section, HasSubstr("<svg")) << "chart " << chart << " drew nothing";
    EXPECT_THAT(section, HasSubstr("class=\"marks\"")) << "chart " << chart;
  }
  // The tables are real tables with their headers and rows, the best row marked.
  for (const char* section : {"id=\"ranking\"", "id=\"families\"", "id=\"stable-lr\"",
                              "id=\"verdict\"", "id=\"range-tests\""}) {
    EXPECT_THAT(dom, HasSubstr(section));
  }
  EXPECT_THAT(dom, HasSubstr("<th>schedule.lr</th>")) << "swept values are columns";
  EXPECT_THAT(dom, HasSubstr("<tr class=\"best\">"));
  EXPECT_THAT(dom, ::testing::Not(HasSubstr("<pre id=\"summary\">")));
  // The parallel-coordinates chart names the categories of schedule.type on its axis.
  const size_t parallel = dom.find("id=\"chart4\"");
  ASSERT_NE(parallel, std::string::npos);
  EXPECT_THAT(dom.substr(parallel, dom.find("id=\"chart5\"") - parallel),
              ::testing::AllOf(HasSubstr(">onecycle<"), HasSubstr(">constant<")));
  // Kept next to the test binary for a person to look at.
  const std::string screenshot =
      (std::filesystem::path(testing::Setting("LRSWEEP_BIN", LRSWEEP_BIN_DEFAULT)) /
       "report-screenshot.png").string();
  RunChromium(profile + "--window-size=1200,3200 --screenshot=" + screenshot + " file://" + html);
  EXPECT_TRUE(std::filesystem::exists(screenshot));
}

}  // namespace
}  // namespace lrsweep
