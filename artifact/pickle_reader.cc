#include "artifact/pickle_reader.h"

#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

using Value = std::shared_ptr<PickleValue>;
using Kind = PickleValue::Kind;

constexpr size_t kMaxDepth = 10000;  // stack entries: data.pkl of a dict of tensors has ~30

Value Make(Kind kind) {
  auto value = std::make_shared<PickleValue>();
  value->kind = kind;
  return value;
}

// torch's storage classes, by the dtype name lrsweep reports.
std::string StorageDtype(const std::string& global) {
  static const auto* names = new std::map<std::string, std::string>{
      {"torch.FloatStorage", "float32"}, {"torch.DoubleStorage", "float64"},
      {"torch.HalfStorage", "float16"},  {"torch.BFloat16Storage", "bfloat16"},
      {"torch.LongStorage", "int64"},    {"torch.IntStorage", "int32"},
      {"torch.ShortStorage", "int16"},   {"torch.CharStorage", "int8"},
      {"torch.ByteStorage", "uint8"},    {"torch.BoolStorage", "bool"}};
  auto found = names->find(global);
  return found == names->end() ? "" : found->second;
}

class Machine {
 public:
  explicit Machine(const std::string& bytes) : bytes_(bytes) {}

  absl::StatusOr<Value> Run() {
    while (pos_ < bytes_.size()) {
      const size_t at = pos_;
      const unsigned char op = static_cast<unsigned char>(bytes_[pos_++]);
      if (op == '.') {
        if (stack_.empty()) return Error(at, "STOP with an empty stack");
        return stack_.back();
      }
      RETURN_IF_ERROR(Step(op, at));
      if (stack_.size() > kMaxDepth) return Error(at, "stack too deep");
    }
    return Error(pos_, "ends without STOP (truncated?)");
  }

 private:
  absl::Status Error(size_t at, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("pickle byte ", at, ": ", what));
  }

  absl::Status Step(unsigned char op, size_t at) {
    switch (op) {
      case 0x80: return Skip(1);           // PROTO
      case 0x95: return Skip(8);           // FRAME
      case '(': marks_.push_back(stack_.size()); return absl::OkStatus();
      case 'N': return Push(Make(Kind::kNone));
      case 0x88: case 0x89: {              // NEWTRUE, NEWFALSE
        Value value = Make(Kind::kBool);
        value->int_value = op == 0x88;
        return Push(value);
      }
      case 'K': return PushInt(1, false);  // BININT1
      case 'M': return PushInt(2, false);  // BININT2
      case 'J': return PushInt(4, true);   // BININT
      case 0x8a: return PushLong1(at);     // LONG1
      case 'G': return PushFloat();        // BINFLOAT
      case 'X': return PushText(4, Kind::kString);  // BINUNICODE
      case 0x8c: return PushText(1, Kind::kString);  // SHORT_BINUNICODE
      case 'B': return PushText(4, Kind::kString);  // BINBYTES
      case 'C': return PushText(1, Kind::kString);  // SHORT_BINBYTES
      default: return StepStructure(op, at);
    }
  }

  absl::Status StepStructure(unsigned char op, size_t at) {
    switch (op) {
      case ']': return Push(Make(Kind::kList));  // EMPTY_LIST
      case '}': return Push(Make(Kind::kDict));  // EMPTY_DICT
      case ')': return Push(Make(Kind::kTuple));  // EMPTY_TUPLE
      case 't': return BuildFromMark(Kind::kTuple, at);  // TUPLE
      case 0x85: return BuildTuple(1, at);
      case 0x86: return BuildTuple(2, at);
      case 0x87: return BuildTuple(3, at);
      case 'a': case 'e': case 's': case 'u': return AddItems(op, at);
      case 'c': return PushGlobal(at);        // GLOBAL
      case 0x93: return StackGlobal(at);      // STACK_GLOBAL
      case 'Q': return PersistentLoad(at);    // BINPERSID
      case 'R': return Reduce(at);            // REDUCE
      case 'b': return Build(at);             // BUILD: state for an object; not needed
      case 'q': return Put(1, at);            // BINPUT
      case 'r': return Put(4, at);            // LONG_BINPUT
      case 0x94: return Memoize(at);          // MEMOIZE
      case 'h': return Get(1, at);            // BINGET
      case 'j': return Get(4, at);            // LONG_BINGET
      default:
        return Error(at, absl::StrCat("opcode 0x", absl::Hex(op),
                                      " is not one torch.save writes"));
    }
  }

  absl::Status Need(size_t n) const {
    if (bytes_.size() - pos_ < n) return Error(pos_, "truncated");
    return absl::OkStatus();
  }
  absl::Status Skip(size_t n) {
    RETURN_IF_ERROR(Need(n));
    pos_ += n;
    return absl::OkStatus();
  }
  uint64_t Little(size_t n) {
    uint64_t value = 0;
    for (size_t i = 0; i < n; ++i) {
      value |= uint64_t{static_cast<unsigned char>(bytes_[pos_ + i])} << (8 * i);
    }
    pos_ += n;
    return value;
  }
  absl::Status Push(Value value) {
    stack_.push_back(std::move(value));
    return absl::OkStatus();
  }
  absl::StatusOr<Value> Pop(size_t at) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) {
      return Error(at, "stack underflow");
    }
    Value value = stack_.back();
    stack_.pop_back();
    return value;
  }

  absl::Status PushInt(size_t n, bool is_signed) {
    RETURN_IF_ERROR(Need(n));
    Value value = Make(Kind::kInt);
    const uint64_t raw = Little(n);
    value->int_value = is_signed ? static_cast<int32_t>(raw) : static_cast<int64_t>(raw);
    return Push(value);
  }

  absl::Status PushLong1(size_t at) {
    RETURN_IF_ERROR(Need(1));
    const size_t n = Little(1);
    if (n > 8) return Error(at, "integer wider than 64 bits");
    RETURN_IF_ERROR(Need(n));
    uint64_t raw = Little(n);
    if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);  // sign
    Value value = Make(Kind::kInt);
    value->int_value = static_cast<int64_t>(raw);
    return Push(value);
  }

  absl::Status PushFloat() {
    RETURN_IF_ERROR(Need(8));
    uint64_t big = 0;
    for (size_t i = 0; i < 8; ++i) big = (big << 8) | static_cast<unsigned char>(bytes_[pos_ + i]);
    pos_ += 8;
    Value value = Make(Kind::kFloat);
    std::memcpy(&value->float_value, &big, sizeof(double));
    return Push(value);
  }

  absl::Status PushText(size_t length_bytes, Kind kind) {
    RETURN_IF_ERROR(Need(length_bytes));
    const size_t n = Little(length_bytes);
    RETURN_IF_ERROR(Need(n));
    Value value = Make(kind);
    value->text = bytes_.substr(pos_, n);
    pos_ += n;
    return Push(value);
  }

  absl::StatusOr<std::string> Line(size_t at) {
    const size_t end = bytes_.find('\n', pos_);
    if (end == std::string::npos) return Error(at, "GLOBAL without a newline");
    std::string line = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return line;
  }

  absl::Status PushGlobal(size_t at) {
    ASSIGN_OR_RETURN(std::string module, Line(at));
    ASSIGN_OR_RETURN(std::string name, Line(at));
    Value value = Make(Kind::kGlobal);
    value->text = absl::StrCat(module, ".", name);
    return Push(value);
  }

  absl::Status StackGlobal(size_t at) {
    ASSIGN_OR_RETURN(Value name, Pop(at));
    ASSIGN_OR_RETURN(Value module, Pop(at));
    Value value = Make(Kind::kGlobal);
    value->text = absl::StrCat(module->text, ".", name->text);
    return Push(value);
  }

  absl::StatusOr<std::vector<Value>> PopToMark(size_t at) {
    if (marks_.empty()) return Error(at, "no MARK");
    const size_t mark = marks_.back();
    marks_.pop_back();
    // Found by fuzz/fuzz_checkpoint_reader: items popped after a MARK leave it above the stack.
    if (mark > stack_.size()) return Error(at, "MARK above the top of the stack");
    std::vector<Value> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }

  absl::Status BuildFromMark(Kind kind, size_t at) {
    ASSIGN_OR_RETURN(std::vector<Value> items, PopToMark(at));
    Value value = Make(kind);
    value->items = std::move(items);
    return Push(value);
  }

  absl::Status BuildTuple(size_t n, size_t at) {
    Value value = Make(Kind::kTuple);
    value->items.resize(n);
    for (size_t i = n; i > 0; --i) {
      ASSIGN_OR_RETURN(value->items[i - 1], Pop(at));
    }
    return Push(value);
  }

  // APPEND, APPENDS, SETITEM, SETITEMS: into the list or dict below the new items.
  absl::Status AddItems(unsigned char op, size_t at) {
    std::vector<Value> items;
    if (op == 'e' || op == 'u') {
      ASSIGN_OR_RETURN(items, PopToMark(at));
    } else {
      const size_t n = op == 's' ? 2 : 1;
      if (stack_.size() < n + 1) return Error(at, "stack underflow");
      items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
      stack_.resize(stack_.size() - n);
    }
    if (stack_.empty()) return Error(at, "nothing to add items to");
    Value& target = stack_.back();
    const bool dict = op == 's' || op == 'u';
    if ((dict && target->kind != Kind::kDict) || (!dict && target->kind != Kind::kList)) {
      return Error(at, dict ? "SETITEM(S) on a non-dict" : "APPEND(S) on a non-list");
    }
    if (dict && items.size() % 2 != 0) return Error(at, "odd number of dict items");
    target->items.insert(target->items.end(), items.begin(), items.end());
    return absl::OkStatus();
  }

  // torch.save's persistent ids: ('storage', <storage class>, key, location, numel).
  absl::Status PersistentLoad(size_t at) {
    ASSIGN_OR_RETURN(Value pid, Pop(at));
    if (pid->kind != Kind::kTuple || pid->items.size() < 2 ||
        pid->items[0]->text != "storage" || pid->items[1]->kind != Kind::kGlobal) {
      return Error(at, "persistent id is not a torch storage");
    }
    Value storage = Make(Kind::kStorage);
    storage->text = StorageDtype(pid->items[1]->text);
    if (storage->text.empty()) {
      return Error(at, absl::StrCat("unknown storage type ", pid->items[1]->text));
    }
    return Push(storage);
  }

  absl::Status Reduce(size_t at) {
    ASSIGN_OR_RETURN(Value args, Pop(at));
    ASSIGN_OR_RETURN(Value callable, Pop(at));
    if (args->kind != Kind::kTuple) return Error(at, "REDUCE arguments are not a tuple");
    const std::string& name = callable->text;
    if (name == "collections.OrderedDict") return Push(Make(Kind::kDict));
    if ((name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") &&
        args->items.size() >= 3 && args->items[0]->kind == Kind::kStorage &&
        args->items[2]->kind == Kind::kTuple) {
      Value tensor = Make(Kind::kTensor);
      tensor->text = args->items[0]->text;
      for (const Value& dim : args->items[2]->items) tensor->shape.push_back(dim->int_value);
      return Push(tensor);
    }
    if (name == "torch._utils._rebuild_parameter" && !args->items.empty() &&
        args->items[0]->kind == Kind::kTensor) {
      return Push(args->items[0]);
    }
    Value call = Make(Kind::kCall);
    call->text = name;
    return Push(call);
  }

  absl::Status Build(size_t at) {
    ASSIGN_OR_RETURN(Value state, Pop(at));
    if (stack_.empty()) return Error(at, "BUILD with nothing to build");
    return absl::OkStatus();
  }

  absl::Status Put(size_t n, size_t at) {
    RETURN_IF_ERROR(Need(n));
    const uint64_t key = Little(n);
    if (stack_.empty()) return Error(at, "PUT with an empty stack");
    memo_[key] = stack_.back();
    return absl::OkStatus();
  }

  absl::Status Memoize(size_t at) {
    if (stack_.empty()) return Error(at, "MEMOIZE with an empty stack");
    const uint64_t key = memo_.size();
    memo_[key] = stack_.back();
    return absl::OkStatus();
  }

  absl::Status Get(size_t n, size_t at) {
    RETURN_IF_ERROR(Need(n));
    auto found = memo_.find(Little(n));
    if (found == memo_.end()) return Error(at, "GET of an unknown memo key");
    return Push(found->second);
  }

  const std::string& bytes_;
  size_t pos_ = 0;
  std::vector<Value> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, Value> memo_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<PickleValue>> ReadPickle(const std::string& bytes) {
  return Machine(bytes).Run();
}

}  // namespace lrsweep
