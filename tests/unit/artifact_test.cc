// Reading torch.save files without LibTorch (artifact/torch_file.h) and pinning the files a
// sweep names (artifact/local_artifacts.h), on files exported by PyTorch at test time.
#include <filesystem>
#include <fstream>

#include "artifact/local_artifacts.h"
#include "artifact/pickle_reader.h"
#include "artifact/torch_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::UserModelDir;

std::string File(const std::string& name) { return UserModelDir() + "/" + name; }

TEST(TensorFileTest, ReadsShapesAndDtypesOfADictOfTensors) {
  absl::StatusOr<TensorFileSummary> summary = ReadTensorFileSummary(File("cls-train.pt"));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->examples, 1200);
  EXPECT_THAT(summary->input_shape, ElementsAre(1200, 4, 16));
  EXPECT_EQ(summary->input_dtype, "float32");
  EXPECT_THAT(summary->target_shape, ElementsAre(1200));
  EXPECT_EQ(summary->target_dtype, "int64");
  EXPECT_TRUE(summary->ClassIndexTargets());

  absl::StatusOr<TensorFileSummary> regression = ReadTensorFileSummary(File("reg-train.pt"));
  ASSERT_TRUE(regression.ok()) << regression.status();
  EXPECT_THAT(regression->target_shape, ElementsAre(1000, 2));
  EXPECT_FALSE(regression->ClassIndexTargets());
}

TEST(TensorFileTest, NamesTheFileAndTheKeyOfWhatIsWrong) {
  struct Case {
    const char* file;
    const char* says;
  };
  for (const Case& c : {Case{"broken/not-a-dict.pt", "holds no dict of tensors"},
                        Case{"broken/no-targets.pt", "no key 'targets' (it has 'inputs')"},
                        Case{"broken/mismatch.pt", "disagree on the number of examples"},
                        Case{"broken/list-targets.pt", "key 'targets' is not a tensor"},
                        Case{"broken/legacy.pt", "_use_new_zipfile_serialization=False"},
                        Case{"tagger.pt", "not a torch.save dict of tensors"},
                        Case{"does-not-exist.pt", "cannot be opened"}}) {
    absl::StatusOr<TensorFileSummary> summary = ReadTensorFileSummary(File(c.file));
    ASSERT_FALSE(summary.ok()) << c.file;
    EXPECT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument) << c.file;
    EXPECT_THAT(std::string(summary.status().message()), AllOf(HasSubstr(c.file), HasSubstr(c.says)));
  }
}

// Every truncation of a real data.pkl, and every single-byte corruption, is an error or a
// summary: never a crash or a hang.
TEST(TensorFileTest, TruncatedOrCorruptedPicklesAreErrorsNotCrashes) {
  // The pickle of cls-train.pt, rebuilt: the same opcodes torch.save writes.
  const std::string pickle =
      std::string("\x80\x02}q\x00(X\x06\x00\x00\x00inputsq\x01" "ctorch._utils\n_rebuild_tensor_v2\n"
                  "q\x02((X\x07\x00\x00\x00storageq\x03" "ctorch\nFloatStorage\nq\x04"
                  "X\x01\x00\x00\x00" "0q\x05X\x03\x00\x00\x00" "cpuq\x06K\x1etq\x07QK\x00K\x0a"
                  "K\x03\x86q\x08K\x03K\x01\x86q\x09\x89" "ccollections\nOrderedDict\nq\x0a)Rq\x0b"
                  "tq\x0cRq\x0dX\x07\x00\x00\x00targetsq\x0eh\x02((h\x03" "ctorch\nLongStorage\n"
                  "q\x0fX\x01\x00\x00\x00" "1q\x10h\x06K\x0atq\x11QK\x00K\x0a\x85q\x12K\x01\x85q\x13"
                  "\x89h\x0a)Rq\x14tq\x15Rq\x16u.",
                  254);
  absl::StatusOr<TensorFileSummary> whole = SummarizeTensorPickle(pickle, "t.pt");
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->examples, 10);
  EXPECT_THAT(whole->input_shape, ElementsAre(10, 3));
  for (size_t n = 0; n < pickle.size(); ++n) {
    EXPECT_FALSE(SummarizeTensorPickle(pickle.substr(0, n), "t.pt").ok()) << n;
  }
  for (size_t i = 0; i < pickle.size(); ++i) {
    for (char value : {'\x00', '\xff', 'q', 't', 'u', '.'}) {
      std::string corrupted = pickle;
      corrupted[i] = value;
      SummarizeTensorPickle(corrupted, "t.pt").IgnoreError();  // must return
    }
  }
}

TEST(LocalArtifactsTest, PinsEachFileByDigestRelativeToTheSweepFile) {
  TempDir dir;
  std::filesystem::copy_file(File("tagger.pt"), dir.path() + "/model.pt");
  std::filesystem::copy_file(File("cls-train.pt"), dir.path() + "/train.pt");
  const std::string sweep_file = dir.Write("sweep.yaml", R"(name: mine
train:
  model: {type: torchscript, path: model.pt}
  data: {type: tensors, train: train.pt, test: )" + File("cls-test.pt") + R"(}
  epochs: 1
schedule: {type: constant, lr: 0.01}
)");
  absl::StatusOr<SweepSpec> sweep = LoadSweepFile(sweep_file);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  absl::StatusOr<LocalArtifacts> local = ReadLocalArtifacts(*sweep);
  ASSERT_TRUE(local.ok()) << local.status();
  ASSERT_EQ(local->manifest.size(), 3u);
  const ArtifactRef& model = local->manifest.at("model.pt");
  EXPECT_EQ(model.sha256.size(), 64u);
  EXPECT_EQ(model.bytes, static_cast<int64_t>(std::filesystem::file_size(File("tagger.pt"))));
  EXPECT_FALSE(model.tensors.has_value());
  EXPECT_EQ(local->manifest.at("train.pt").tensors->examples, 1200);
  EXPECT_EQ(local->local_paths.at("train.pt"), dir.path() + "/train.pt");
  EXPECT_EQ(local->manifest.at(File("cls-test.pt")).tensors->examples, 300);
}

TEST(LocalArtifactsTest, ABadFileIsReportedAtItsLineInTheSweep) {
  TempDir dir;
  const std::string sweep_file = dir.Write("sweep.yaml", R"(name: mine
train:
  model: {type: torchscript, path: )" + File("tagger.pt") + R"(}
  data:
    type: tensors
    train: )" + File("broken/no-targets.pt") + R"(
  epochs: 1
schedule: {type: constant, lr: 0.01}
)");
  absl::StatusOr<SweepSpec> sweep = LoadSweepFile(sweep_file);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  absl::StatusOr<LocalArtifacts> local = ReadLocalArtifacts(*sweep);
  ASSERT_FALSE(local.ok());
  EXPECT_EQ(local.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(local.status().message()),
              AllOf(HasSubstr("sweep.yaml:6:12"), HasSubstr("train.data.train"),
                    HasSubstr("no key 'targets'")));
}

TEST(LocalArtifactsTest, UploadFalseNeedsAnAbsolutePathAndAMissingFileSaysSo) {
  TempDir dir;
  const std::string relative = dir.Write("relative.yaml", R"(name: mine
train:
  model: {type: torchscript, path: model.pt, upload: false}
  data: {type: synthetic}
  epochs: 1
schedule: {type: constant, lr: 0.01}
)");
  absl::StatusOr<SweepSpec> sweep = LoadSweepFile(relative);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  absl::StatusOr<LocalArtifacts> local = ReadLocalArtifacts(*sweep);
  ASSERT_FALSE(local.ok());
  EXPECT_THAT(std::string(local.status().message()), HasSubstr("must be absolute"));

  const std::string missing = dir.Write("missing.yaml", R"(name: mine
train:
  model: {type: torchscript, path: nothere.pt}
  data: {type: synthetic}
  epochs: 1
schedule: {type: constant, lr: 0.01}
)");
  sweep = LoadSweepFile(missing);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  local = ReadLocalArtifacts(*sweep);
  ASSERT_FALSE(local.ok());
  EXPECT_THAT(std::string(local.status().message()),
              AllOf(HasSubstr("missing.yaml:3:36"), HasSubstr("cannot read")));
}

}  // namespace
}  // namespace lrsweep
