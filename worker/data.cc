#include "worker/data.h"

#include <zlib.h>

#include <map>
#include <mutex>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

constexpr double kFashionMnistMean = 0.2860;
constexpr double kFashionMnistStd = 0.3530;
constexpr uint64_t kSplitSeed = 0x5eed;

uint32_t BigEndian(const unsigned char* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string ShapeText(const torch::Tensor& tensor) {
  std::ostringstream out;
  out << tensor.sizes();
  return out.str();
}

Dataset Take(const Dataset& data, const std::vector<int64_t>& order, int64_t begin, int64_t end) {
  std::vector<int64_t> indices(order.begin() + begin, order.begin() + end);
  torch::Tensor index = torch::tensor(indices, torch::kInt64);
  return {data.inputs.index_select(0, index), data.targets.index_select(0, index)};
}

// Splits `train` into train and validation by a seeded shuffle.
void SplitValidation(Dataset all, double val_fraction, DataSplits* splits) {
  const int64_t n = all.size();
  const int64_t val = std::llround(static_cast<double>(n) * val_fraction);
  const std::vector<int64_t> order = Permutation(n, kSplitSeed);
  splits->val = Take(all, order, 0, val);
  splits->train = Take(all, order, val, n);
}

absl::StatusOr<Dataset> LoadFashionMnistPart(const std::string& dir, const std::string& prefix) {
  ASSIGN_OR_RETURN(torch::Tensor images, ReadIdxFile(dir + "/" + prefix + "-images-idx3-ubyte.gz"));
  ASSIGN_OR_RETURN(torch::Tensor labels, ReadIdxFile(dir + "/" + prefix + "-labels-idx1-ubyte.gz"));
  if (images.dim() != 3 || labels.dim() != 1 || images.size(0) != labels.size(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": ", prefix, " images and labels do not match"));
  }
  Dataset data;
  data.inputs = (images.unsqueeze(1).to(torch::kFloat32).div(255.0) - kFashionMnistMean) /
                kFashionMnistStd;
  data.targets = labels.to(torch::kInt64);
  return data;
}

absl::StatusOr<DataSplits> LoadFashionMnist(const DataSpec& spec) {
  DataSplits splits;
  ASSIGN_OR_RETURN(Dataset train, LoadFashionMnistPart(spec.path, "train"));
  ASSIGN_OR_RETURN(splits.test, LoadFashionMnistPart(spec.path, "t10k"));
  SplitValidation(std::move(train), spec.val_fraction, &splits);
  splits.num_classes = 10;
  return splits;
}

// Class prototypes plus noise: learnable, not trivially separable.
DataSplits MakeSynthetic(const DataSpec& spec) {
  torch::Generator generator = at::detail::createCPUGenerator(static_cast<uint64_t>(spec.seed));
  const auto options = torch::TensorOptions().dtype(torch::kFloat32);
  // Prototypes 0.12 apart per pixel under unit noise: separable, but only after some training.
  const torch::Tensor prototypes =
      0.12 * torch::randn({spec.num_classes, 1, 28, 28}, generator, options);
  auto make = [&](int64_t n) {
    Dataset data;
    data.targets = torch::randint(spec.num_classes, {n}, generator, torch::kInt64);
    data.inputs = prototypes.index_select(0, data.targets) +
                  torch::randn({n, 1, 28, 28}, generator, options);
    return data;
  };
  DataSplits splits;
  Dataset train = make(spec.train_examples);
  splits.test = make(spec.test_examples);
  SplitValidation(std::move(train), spec.val_fraction, &splits);
  splits.num_classes = spec.num_classes;
  return splits;
}

absl::StatusOr<torch::Tensor> TensorAt(const c10::impl::GenericDict& dict, const char* key,
                                       const std::string& label) {
  for (const auto& entry : dict) {
    if (!entry.key().isString() || entry.key().toStringRef() != key) continue;
    if (!entry.value().isTensor()) {
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": key '", key, "' is not a tensor (save a torch.Tensor there)"));
    }
    return entry.value().toTensor();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      label, ": the dict has no key '", key, "'; save {\"inputs\": x, \"targets\": y}"));
}

const std::string& LocalPath(const LocalFiles& files, const ArtifactRef& ref) {
  static const std::string* none = new std::string;
  auto found = files.find(ref.sha256);
  return found == files.end() ? *none : found->second;
}

absl::StatusOr<DataSplits> LoadTensors(const DataSpec& spec, const LocalFiles& files) {
  DataSplits splits;
  ASSIGN_OR_RETURN(Dataset train, LoadTensorsFile(LocalPath(files, *spec.train_file),
                                                  spec.train_file->path));
  if (spec.val_file) {
    ASSIGN_OR_RETURN(splits.val, LoadTensorsFile(LocalPath(files, *spec.val_file),
                                                 spec.val_file->path));
    splits.train = std::move(train);
  } else {
    SplitValidation(std::move(train), spec.val_fraction, &splits);
  }
  if (spec.test_file) {
    ASSIGN_OR_RETURN(splits.test, LoadTensorsFile(LocalPath(files, *spec.test_file),
                                                  spec.test_file->path));
  }
  splits.num_classes = 0;
  return splits;
}

std::string CacheKey(const DataSpec& spec, const torch::Device& device) {
  if (spec.type != "tensors") {
    return absl::StrCat(spec.type, "|", spec.path, "|", spec.val_fraction, "|",
                        spec.train_examples, "|", spec.test_examples, "|", spec.num_classes, "|",
                        spec.seed, "|", device.str());
  }
  std::string key = absl::StrCat("tensors|", spec.val_fraction, "|", device.str());
  for (const std::optional<ArtifactRef>* file : {&spec.train_file, &spec.val_file,
                                                 &spec.test_file}) {
    absl::StrAppend(&key, "|", *file ? (*file)->sha256 : "-");
  }
  return key;
}

void MoveTo(const torch::Device& device, DataSplits* splits) {
  for (Dataset* data : {&splits->train, &splits->val, &splits->test}) {
    if (!data->inputs.defined()) continue;
    data->inputs = data->inputs.to(device);
    data->targets = data->targets.to(device);
  }
}

}  // namespace

std::vector<int64_t> Permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

absl::StatusOr<torch::Tensor> ReadIdxFile(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": cannot open. Install Debian's dataset-fashion-mnist or set data.path."));
  }
  std::vector<unsigned char> bytes;
  unsigned char buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof(buffer))) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
  const bool read_error = n < 0;
  gzclose(file);
  if (read_error || bytes.size() < 8) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": truncated or not gzip/IDX"));
  }
  const uint32_t magic = BigEndian(bytes.data());
  const int dims = static_cast<int>(magic & 0xff);
  if ((magic >> 8) != 0x08 || dims < 1 || dims > 3 || bytes.size() < 4 + 4 * size_t(dims)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not an unsigned-byte IDX file"));
  }
  std::vector<int64_t> shape;
  size_t count = 1;
  for (int d = 0; d < dims; ++d) {
    shape.push_back(BigEndian(bytes.data() + 4 + 4 * d));
    count *= static_cast<size_t>(shape.back());
  }
  const size_t offset = 4 + 4 * static_cast<size_t>(dims);
  if (bytes.size() != offset + count) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected ", offset + count,
                                                   " bytes, found ", bytes.size(), " (truncated?)"));
  }
  return torch::from_blob(bytes.data() + offset, shape, torch::kUInt8).clone();
}

absl::StatusOr<Dataset> LoadTensorsFile(const std::string& path, const std::string& label) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(label, ": cannot open ", path));
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  c10::IValue root;
  try {
    root = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": not a torch.save file LibTorch can read: ", FirstLine(e.what())));
  }
  if (!root.isGenericDict()) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": holds a ", root.tagKind(), ", not a dict of tensors; save {\"inputs\": x, "
        "\"targets\": y} with torch.save"));
  }
  const c10::impl::GenericDict dict = root.toGenericDict();
  Dataset data;
  ASSIGN_OR_RETURN(data.inputs, TensorAt(dict, "inputs", label));
  ASSIGN_OR_RETURN(data.targets, TensorAt(dict, "targets", label));
  if (data.inputs.dim() == 0 || data.targets.dim() == 0 ||
      data.inputs.size(0) != data.targets.size(0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": 'inputs' ", ShapeText(data.inputs), " and 'targets' ", ShapeText(data.targets),
        " disagree on the number of examples (the first dimension)"));
  }
  data.inputs = data.inputs.contiguous();
  data.targets = data.targets.contiguous();
  return data;
}

absl::StatusOr<std::shared_ptr<const DataSplits>> LoadData(const DataSpec& spec,
                                                           const torch::Device& device,
                                                           const LocalFiles& files) {
  static std::mutex mu;
  static auto* cache = new std::map<std::string, std::shared_ptr<const DataSplits>>;
  const std::string key = CacheKey(spec, device);
  std::lock_guard<std::mutex> lock(mu);
  auto found = cache->find(key);
  if (found != cache->end()) return found->second;
  DataSplits splits;
  if (spec.type == "fashion_mnist") {
    ASSIGN_OR_RETURN(splits, LoadFashionMnist(spec));
  } else if (spec.type == "tensors") {
    for (auto it = cache->begin(); it != cache->end();) {  // one user dataset at a time
      it = absl::StartsWith(it->first, "tensors|") ? cache->erase(it) : std::next(it);
    }
    ASSIGN_OR_RETURN(splits, LoadTensors(spec, files));
  } else {
    splits = MakeSynthetic(spec);
  }
  MoveTo(device, &splits);
  auto shared = std::make_shared<const DataSplits>(std::move(splits));
  (*cache)[key] = shared;
  return shared;
}

}  // namespace lrsweep
