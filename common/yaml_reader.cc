#include "common/yaml_reader.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/suggest.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"

namespace lrsweep {
namespace {

std::string KeyText(const YAML::Node& key) {
  return key.IsScalar() ? key.Scalar() : DescribeNode(key);
}

}  // namespace

namespace {

constexpr uintmax_t kMaxYamlBytes = uintmax_t{4} << 20;

absl::Status TooLarge(absl::string_view file, uintmax_t bytes) {
  return absl::InvalidArgumentError(absl::StrCat(
      file, ": ", bytes / (1 << 20), " MiB; a sweep or schedule file is at most ",
      kMaxYamlBytes / (1 << 20), " MiB (they are a few KB): is this the right file?"));
}

// The length of the UTF-8 sequence at text[i], or 0 when it is not one (overlong forms,
// surrogates and code points past U+10FFFF included).
size_t Utf8SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) length = 2, code = lead & 0x1F;
  else if ((lead & 0xF0) == 0xE0) length = 3, code = lead & 0x0F;
  else if ((lead & 0xF8) == 0xF0) length = 4, code = lead & 0x07;
  else return 0;
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

// YAML is Unicode text, and every name and value ends up in JSON (trial plans, reports), which
// must be valid UTF-8: bytes of another encoding are refused where they are.
absl::Status CheckUtf8(absl::string_view text, absl::string_view file) {
  int64_t line = 1, column = 1;
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          file, ":", line, ":", column, ": not UTF-8 text (byte 0x",
          absl::Hex(static_cast<unsigned char>(text[i]), absl::kZeroPad2),
          "); save the file as UTF-8"));
    }
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += length;
  }
  return absl::OkStatus();
}

// Finds an alias used inside the node its anchor names (`&a [1, *a]`). yaml-cpp builds such a
// node as a cycle, and every walk over it (the key checks, a parameter's value turned into JSON)
// would then run until its budget or the stack ran out. Works on the parser's events, where the
// anchors still open are known, before any tree is built.
class AliasCycleFinder : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> cycle;  // where the alias is
  std::string anchor;               // and the name of its anchor

  void OnAnchor(const YAML::Mark&, const std::string& name) override { names_.push_back(name); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (cycle || open_.count(anchor) == 0) return;
    cycle = mark;
    this->anchor = anchor <= names_.size() ? names_[anchor - 1] : "";
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapEnd() override { Close(); }
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}

 private:
  void Open(YAML::anchor_t anchor) {
    collections_.push_back(anchor);
    if (anchor != YAML::NullAnchor) open_.insert(anchor);
  }
  void Close() {
    if (collections_.empty()) return;
    open_.erase(collections_.back());
    collections_.pop_back();
  }

  std::vector<YAML::anchor_t> collections_;  // the anchor of each collection still open, or 0
  std::set<YAML::anchor_t> open_;
  std::vector<std::string> names_;  // anchor ids count up from 1 in the order anchors appear
};

absl::Status CheckNoAliasCycle(const std::string& text, absl::string_view file) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  AliasCycleFinder finder;
  parser.HandleNextDocument(finder);
  if (!finder.cycle) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      file, ":", finder.cycle->line + 1, ":", finder.cycle->column + 1, ": alias *",
      finder.anchor, " is used inside the node its anchor &", finder.anchor, " names, which "
      "would make that node contain itself; copy the values instead of the alias."));
}

// yaml-cpp keeps every pair of a mapping and answers lookups with the first, so a repeated key
// would silently drop the later block. Walks the tree without recursion (deep nesting cannot
// exhaust the stack) and with a budget: aliases of aliases could make the tree exponentially
// larger than its text, and every later walk (each trial's parameters, say) would pay for it.
// Without aliases a node takes at least two bytes of text, so twice the text's length is room
// for any ordinary reuse of an anchor.
absl::Status CheckDuplicateKeys(const YAML::Node& root, absl::string_view file,
                                size_t text_bytes) {
  const int64_t max_visits = 10000 + 2 * static_cast<int64_t>(text_bytes);
  std::vector<YAML::Node> pending = {root};
  int64_t visits = 0;
  while (!pending.empty()) {
    const YAML::Node node = pending.back();
    pending.pop_back();
    if (++visits > max_visits) {
      return absl::InvalidArgumentError(absl::StrCat(
          file, ": more than ", max_visits, " YAML nodes (counting each use of an alias) in ",
          text_bytes, " bytes; a "
          "sweep file is a few hundred. Remove the nested anchors and aliases."));
    }
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) pending.push_back(item);
      continue;
    }
    if (!node.IsMap()) continue;
    std::map<std::string, YAML::Mark> seen;
    for (const auto& pair : node) {
      pending.push_back(pair.second);
      if (!pair.first.IsScalar()) continue;
      const YAML::Mark mark = pair.first.Mark();
      auto [first, inserted] = seen.emplace(pair.first.Scalar(), mark);
      if (inserted) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          file, ":", mark.line + 1, ":", mark.column + 1, ": key '", pair.first.Scalar(),
          "' appears twice in one mapping (first at line ", first->second.line + 1, ", column ",
          first->second.column + 1, "); YAML keeps only the first. Merge the two into one, or "
          "make the second a new list item (- ...) if it is another grid."));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<YAML::Node> ParseYaml(absl::string_view text, absl::string_view file) {
  if (text.size() > kMaxYamlBytes) return TooLarge(file, text.size());
  if (absl::Status utf8 = CheckUtf8(text, file); !utf8.ok()) return utf8;
  try {
    const std::string copy(text);
    if (absl::Status cycle = CheckNoAliasCycle(copy, file); !cycle.ok()) return cycle;
    YAML::Node root = YAML::Load(copy);
    if (absl::Status duplicates = CheckDuplicateKeys(root, file, text.size());
        !duplicates.ok()) {
      return duplicates;
    }
    return root;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": YAML syntax error: ",
                                                   e.msg, ". Fix the YAML at that position."));
  }
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory; give the YAML file itself (e.g. ", path,
                     "/sweep.yaml)"));
  }
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (!error && size > kMaxYamlBytes) return TooLarge(path, size);
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot open file. Check the path and its permissions."));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseYaml(*text, path);
}

std::string JoinPath(absl::string_view parent, absl::string_view key) {
  if (parent.empty()) return std::string(key);
  return absl::StrCat(parent, ".", key);
}

bool IsScalarNode(const YAML::Node& node) { return node.IsDefined() && node.IsScalar(); }
bool IsSequenceNode(const YAML::Node& node) { return node.IsDefined() && node.IsSequence(); }
bool IsMapNode(const YAML::Node& node) { return node.IsDefined() && node.IsMap(); }

std::string DescribeNode(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return absl::StrCat("'", node.Scalar(), "'");
}

std::string YamlReader::Location(const YAML::Node& node) const {
  if (!node.IsDefined() || node.Mark().is_null()) return file_;
  return absl::StrCat(file_, ":", node.Mark().line + 1, ":", node.Mark().column + 1);
}

absl::Status YamlReader::Error(const YAML::Node& node, absl::string_view path,
                               absl::string_view message) const {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(Location(node), ": ", message));
  return absl::InvalidArgumentError(absl::StrCat(Location(node), ": ", path, ": ", message));
}

absl::StatusOr<double> YamlReader::Double(const YAML::Node& node, absl::string_view path) const {
  if (IsScalarNode(node)) {
    try {
      const double value = node.as<double>();
      if (std::isnan(value)) return Error(node, path, "expected a number, got NaN");
      return value;
    } catch (const YAML::Exception&) {
    }
  }
  return Error(node, path, absl::StrCat("expected a number, got ", DescribeNode(node)));
}

absl::StatusOr<int64_t> YamlReader::Int(const YAML::Node& node, absl::string_view path) const {
  if (IsScalarNode(node)) {
    try {
      return node.as<int64_t>();
    } catch (const YAML::Exception&) {
    }
  }
  return Error(node, path, absl::StrCat("expected a whole number, got ", DescribeNode(node)));
}

absl::StatusOr<bool> YamlReader::Bool(const YAML::Node& node, absl::string_view path) const {
  if (IsScalarNode(node)) {
    try {
      return node.as<bool>();
    } catch (const YAML::Exception&) {
    }
  }
  return Error(node, path, absl::StrCat("expected true or false, got ", DescribeNode(node)));
}

absl::StatusOr<std::string> YamlReader::String(const YAML::Node& node,
                                               absl::string_view path) const {
  if (IsScalarNode(node)) return node.Scalar();
  return Error(node, path, absl::StrCat("expected a string, got ", DescribeNode(node)));
}

absl::StatusOr<std::vector<int64_t>> YamlReader::IntList(const YAML::Node& node,
                                                         absl::string_view path) const {
  if (!IsSequenceNode(node)) {
    return Error(node, path,
                 absl::StrCat("expected a list of whole numbers, got ", DescribeNode(node)));
  }
  std::vector<int64_t> values;
  for (size_t i = 0; i < node.size(); ++i) {
    absl::StatusOr<int64_t> value = Int(node[i], absl::StrCat(path, "[", i, "]"));
    if (!value.ok()) return value.status();
    values.push_back(*value);
  }
  return values;
}

absl::StatusOr<std::vector<double>> YamlReader::DoubleList(const YAML::Node& node,
                                                           absl::string_view path) const {
  if (!IsSequenceNode(node)) {
    return Error(node, path, absl::StrCat("expected a list of numbers, got ", DescribeNode(node)));
  }
  std::vector<double> values;
  for (size_t i = 0; i < node.size(); ++i) {
    absl::StatusOr<double> value = Double(node[i], absl::StrCat(path, "[", i, "]"));
    if (!value.ok()) return value.status();
    values.push_back(*value);
  }
  return values;
}

absl::Status YamlReader::RequireMap(const YAML::Node& node, absl::string_view path) const {
  if (IsMapNode(node)) return absl::OkStatus();
  return Error(node, path,
               absl::StrCat("expected a mapping (key: value lines), got ", DescribeNode(node)));
}

absl::Status YamlReader::CheckKeys(const YAML::Node& node, absl::string_view path,
                                   const std::vector<std::string>& allowed) const {
  if (absl::Status status = RequireMap(node, path); !status.ok()) return status;
  for (const auto& entry : node) {
    const std::string key = KeyText(entry.first);
    bool known = false;
    for (const std::string& name : allowed) known = known || name == key;
    if (!known) {
      // Keys put in place by a sweep's parameter override carry no position; their value does.
      const YAML::Node& where = entry.first.Mark().is_null() ? entry.second : entry.first;
      return Error(where, JoinPath(path, key),
                   absl::StrCat("unknown key '", key, "'", path.empty() ? "" : " in ",
                                path.empty() ? "" : path, ".", DidYouMean(key, allowed)));
    }
  }
  return absl::OkStatus();
}

nlohmann::ordered_json YamlToJson(const YAML::Node& node) {
  if (!node.IsDefined()) return nullptr;
  if (node.IsSequence()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const YAML::Node& item : node) list.push_back(YamlToJson(item));
    return list;
  }
  if (node.IsMap()) {
    nlohmann::ordered_json map = nlohmann::ordered_json::object();
    for (const auto& entry : node) map[entry.first.Scalar()] = YamlToJson(entry.second);
    return map;
  }
  if (!node.IsScalar()) return nullptr;
  const std::string& text = node.Scalar();
  // Unquoted: a number or bool as YAML reads it. Only text that starts like a number (a digit, a
  // sign, or the '.' of .5 and .inf) is tried as one: the conversions throw on anything else, and
  // a throw per word made planning a large sweep slow.
  const bool may_be_number = !text.empty() && (absl::ascii_isdigit(text[0]) || text[0] == '-' ||
                                               text[0] == '+' || text[0] == '.');
  if (node.Tag() != "!" && may_be_number) {
    try {
      size_t used = 0;
      const long long as_int = std::stoll(text, &used);
      if (used == text.size()) return as_int;
    } catch (...) {
    }
    try {
      return node.as<double>();
    } catch (...) {
    }
  }
  if (node.Tag() != "!" && (text == "true" || text == "false")) return text == "true";
  return text;
}

}  // namespace lrsweep
