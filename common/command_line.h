// Command-line parsing shared by the three executables, with lrsweep's exit codes.
//
//   CLI::App app{"lrsweep-worker"};
//   ...add options...
//   if (std::optional<int> exit_code = ParseCommandLine(app, argc, argv)) return *exit_code;
#ifndef LRSWEEP_COMMON_COMMAND_LINE_H_
#define LRSWEEP_COMMON_COMMAND_LINE_H_

#include <cctype>
#include <optional>
#include <string>

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

// Empty when `value` is HOST:PORT (HOST a name, an IPv4 address or [IPv6]; PORT 0-65535, or
// 1-65535 when `allow_zero` is false); else what is wrong with it.
inline std::string CheckHostPort(const std::string& value, bool allow_zero) {
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return "'" + value + "' is not HOST:PORT (e.g. 127.0.0.1:7077)";
  }
  const std::string host = value.substr(0, colon), port = value.substr(colon + 1);
  if (host.find(':') != std::string::npos && (host.front() != '[' || host.back() != ']')) {
    return "'" + value + "': write an IPv6 host in brackets, e.g. [::1]:7077";
  }
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  const long number = digits ? std::stol(port) : -1;
  if (number < (allow_zero ? 0 : 1) || number > 65535) {
    return "'" + value + "': the port must be a number from " + (allow_zero ? "0" : "1") +
           " to 65535";
  }
  return "";
}

// CLI11 validator of CheckHostPort.
inline CLI::Validator HostPortValidator(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& value) { return CheckHostPort(value, allow_zero); }, "HOST:PORT");
}

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_COMMAND_LINE_H_
