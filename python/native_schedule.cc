// lrsweep._native: the C++ schedule library (schedule/schedule.h) for the Python client, so that
// a user's training script applies exactly the LR the worker plans and `lrsweep schedule` prints.
//
//   >>> from lrsweep import _native
//   >>> s = _native.Schedule('{"type": "cosine", "lr": 0.1}', total_steps=100, steps_per_epoch=10)
//   >>> s.lr(); s.step(); s.lr()
//
// Errors (a schedule that does not parse or resolve, a state of another schedule) raise
// ValueError with the key path. Not thread-safe: one Schedule per training loop.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "common/yaml_reader.h"
#include "nlohmann/json.hpp"
#include "schedule/schedule.h"
#include "schedule/schedule_parser.h"
#include "schedule/schedule_state.h"

namespace py = pybind11;

namespace lrsweep {
namespace {

template <typename T>
T OrRaise(absl::StatusOr<T> value) {
  if (!value.ok()) throw py::value_error(std::string(value.status().message()));
  return *std::move(value);
}

void OrRaise(const absl::Status& status) {
  if (!status.ok()) throw py::value_error(std::string(status.message()));
}

Schedule MakeSchedule(const std::string& spec_json, int64_t total_steps,
                      int64_t steps_per_epoch) {
  // JSON is YAML: the sweep file's parser (and its checks) reads the mapping.
  const YAML::Node node = OrRaise(ParseYaml(spec_json, "schedule"));
  const ScheduleSpec spec = OrRaise(ParseScheduleSpec(node, YamlReader("schedule"), "schedule"));
  return OrRaise(Schedule::Create(spec, Horizon{total_steps, steps_per_epoch}));
}

std::string SaveState(const Schedule& schedule) {
  return ScheduleStateToJson(schedule.SaveState()).dump();
}

void RestoreState(Schedule& schedule, const std::string& text) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw py::value_error(std::string("schedule state: ") + e.what());
  }
  OrRaise(schedule.RestoreState(OrRaise(ScheduleStateFromJson(json))));
}

}  // namespace
}  // namespace lrsweep

PYBIND11_MODULE(_native, module) {
  using lrsweep::Schedule;
  module.doc() = "lrsweep's C++ schedule library";
  py::class_<Schedule>(module, "Schedule")
      .def(py::init(&lrsweep::MakeSchedule), py::arg("spec_json"), py::arg("total_steps"),
           py::arg("steps_per_epoch") = 0)
      .def("lr", &Schedule::lr, "LR for the optimizer step about to be taken")
      .def("momentum", &Schedule::momentum, "momentum / beta1 for that step, or None")
      .def("cycles_momentum", &Schedule::cycles_momentum)
      .def("step", &Schedule::Step, "advance by one optimizer step")
      .def("observe_metric", &Schedule::ObserveMetric, py::arg("value"))
      .def("planned_lr_at", &Schedule::PlannedLrAt, py::arg("step"))
      .def_property_readonly("step_count", &Schedule::step)
      .def_property_readonly("total_ticks", &Schedule::total_ticks)
      .def_property_readonly("warmup_ticks", &Schedule::warmup_ticks)
      .def("spec_json",
           [](const Schedule& schedule) {
             return lrsweep::ScheduleSpecToJson(schedule.spec()).dump();
           },
           "the resolved schedule mapping")
      .def("save_state", &lrsweep::SaveState)
      .def("restore_state", &lrsweep::RestoreState, py::arg("state_json"));
}
