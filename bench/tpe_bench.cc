// tpe_bench: the cost of one TPE suggestion with N completed configurations (method: tpe), the
// figure bench/tpe.sh sets against Optuna's TPESampler on the same space.
//
//   build/bin/tpe_bench --observations 10000 --suggestions 20
//
// Prints one JSON line: {"observations": N, "ms_per_suggestion": ...}.
#include <chrono>
#include <cmath>
#include <iostream>

#include "CLI/CLI.hpp"
#include "nlohmann/json.hpp"
#include "search/tpe_sampler.h"
#include "sweep/sweep_spec.h"

namespace {

// The space bench/optuna_tpe.py samples: a family, a log-uniform peak LR, a uniform warmup.
constexpr char kSweep[] = R"(name: tpe-bench
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 100, val_fraction: 0.2}
  steps: 100
  batch_size: 10
method: tpe
count: 100000
parameters:
  schedule.type: [constant, cosine, linear]
  schedule.lr: {distribution: log_uniform, min: 1.0e-4, max: 1.0}
  schedule.warmup.fraction: {distribution: uniform, min: 0.0, max: 0.2}
)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Milliseconds per TPE suggestion with N completed configurations"};
  int64_t observations = 10000;
  int64_t suggestions = 20;
  app.add_option("--observations", observations, "Completed configurations")->capture_default_str();
  app.add_option("--suggestions", suggestions, "Suggestions timed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  absl::StatusOr<lrsweep::SweepSpec> spec = lrsweep::ParseSweep(kSweep, "tpe-bench.yaml");
  if (!spec.ok()) {
    std::cerr << spec.status() << "\n";
    return 1;
  }
  const lrsweep::TpeSampler sampler(*spec);
  std::vector<lrsweep::TpeObservation> history;
  for (int64_t n = 0; n < observations; ++n) {
    lrsweep::ChosenConfiguration c = sampler.Suggest({}, static_cast<uint64_t>(n));
    const double distance = std::log10(*c.values[1].number) + 1.5;
    history.push_back({c, distance * distance + *c.values[2].number});
  }
  const auto start = std::chrono::steady_clock::now();
  for (int64_t n = 0; n < suggestions; ++n) {
    sampler.Suggest(history, static_cast<uint64_t>(1000000 + n));
  }
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start).count();
  std::cout << nlohmann::json{{"observations", observations},
                              {"ms_per_suggestion", ms / static_cast<double>(suggestions)}}
                   .dump()
            << "\n";
  return 0;
}
