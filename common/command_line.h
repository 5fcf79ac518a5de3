// Command-line parsing shared by the three executables, with lrsweep's exit codes.
//
//   CLI::App app{"lrsweep-worker"};
//   ...add options...
//   if (std::optional<int> exit_code = ParseCommandLine(app, argc, argv)) return *exit_code;
#ifndef LRSWEEP_COMMON_COMMAND_LINE_H_
#define LRSWEEP_COMMON_COMMAND_LINE_H_

#include <optional>

#include "CLI/CLI.hpp"

namespace lrsweep {

// Parses argv into `app`. Returns nullopt to go on; otherwise the process's exit code: 0 after
// --help or --version, 2 (bad input) for a bad flag, after CLI11 printed its message.
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return std::nullopt;
}

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_COMMAND_LINE_H_
