#include "coordinator/token_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

constexpr size_t kMinTokenLength = 16;
constexpr absl::string_view kWorkerService = "/lrsweep.v1.WorkerService/";
constexpr absl::string_view kSweepService = "/lrsweep.v1.SweepService/";
constexpr absl::string_view kHealthService = "/grpc.health.v1.Health/";
constexpr absl::string_view kBearer = "Bearer ";

TokenAuthorizer::Digest DigestOf(absl::string_view token) {
  TokenAuthorizer::Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return digest;
}

// True when `digest` is one of `known`. Every entry is compared, in constant time each.
bool Contains(const std::vector<TokenAuthorizer::Digest>& known,
              const TokenAuthorizer::Digest& digest) {
  bool found = false;
  for (const TokenAuthorizer::Digest& candidate : known) {
    found |= CRYPTO_memcmp(candidate.data(), digest.data(), digest.size()) == 0;
  }
  return found;
}

absl::StatusOr<std::vector<TokenAuthorizer::Digest>> Digests(
    const std::vector<std::string>& tokens, const std::string& what) {
  std::vector<TokenAuthorizer::Digest> digests;
  for (const std::string& token : tokens) {
    if (token.size() < kMinTokenLength) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": a token is ", token.size(), " characters long; use at least ",
          kMinTokenLength, " random ones (lrsweep-coordinator init-secrets DIR makes them)."));
    }
    digests.push_back(DigestOf(token));
  }
  return digests;
}

absl::StatusOr<std::vector<std::string>> TokensInFile(const std::string& path,
                                                      const std::string& flag) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": cannot read the file."));
  }
  std::vector<std::string> tokens;
  for (std::string line; std::getline(in, line);) {
    const absl::string_view token = absl::StripAsciiWhitespace(line);
    if (!token.empty() && token.front() != '#') tokens.emplace_back(token);
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": holds no token (one per line)."));
  }
  return tokens;
}

class TokenAuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit TokenAuthProcessor(TokenAuthorizer tokens) : tokens_(std::move(tokens)) {}

  // Checking a token takes microseconds: no need to hop to another thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed, OutputMetadata* response) override {
    absl::string_view method, authorization;
    for (const auto& [key, value] : metadata) {
      if (key == ":path") method = absl::string_view(value.data(), value.size());
      if (key == "authorization") {
        authorization = absl::string_view(value.data(), value.size());
        consumed->insert({std::string(key.data(), key.size()),
                          std::string(value.data(), value.size())});
      }
    }
    const absl::Status allowed = tokens_.Authorize(method, authorization);
    if (allowed.ok()) return grpc::Status::OK;
    return grpc::Status(static_cast<grpc::StatusCode>(allowed.code()),
                        std::string(allowed.message()));
  }

 private:
  const TokenAuthorizer tokens_;
};

}  // namespace

absl::StatusOr<TokenAuthorizer> TokenAuthorizer::FromFiles(
    const std::vector<std::string>& worker_files, const std::vector<std::string>& user_files) {
  std::vector<std::string> worker, user;
  for (const std::string& file : worker_files) {
    ASSIGN_OR_RETURN(std::vector<std::string> tokens, TokensInFile(file, "--worker-token-file"));
    worker.insert(worker.end(), tokens.begin(), tokens.end());
  }
  for (const std::string& file : user_files) {
    ASSIGN_OR_RETURN(std::vector<std::string> tokens, TokensInFile(file, "--user-token-file"));
    user.insert(user.end(), tokens.begin(), tokens.end());
  }
  return FromTokens(worker, user);
}

absl::StatusOr<TokenAuthorizer> TokenAuthorizer::FromTokens(
    const std::vector<std::string>& worker_tokens, const std::vector<std::string>& user_tokens) {
  ASSIGN_OR_RETURN(std::vector<Digest> worker, Digests(worker_tokens, "worker tokens"));
  ASSIGN_OR_RETURN(std::vector<Digest> user, Digests(user_tokens, "user tokens"));
  for (const Digest& digest : worker) {
    if (Contains(user, digest)) {
      return absl::InvalidArgumentError(
          "the same token is both a worker token and a user token: give each role its own.");
    }
  }
  return TokenAuthorizer(std::move(worker), std::move(user));
}

absl::Status TokenAuthorizer::Authorize(absl::string_view method,
                                        absl::string_view authorization) const {
  if (absl::StartsWith(method, kHealthService)) return absl::OkStatus();
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "this coordinator needs an access token: give --token-file FILE (or $LRSWEEP_TOKEN_FILE, "
        "$LRSWEEP_TOKEN) with a user token for lrsweep, a worker token for lrsweep-worker.");
  }
  if (!absl::StartsWith(authorization, kBearer)) {
    return absl::UnauthenticatedError(
        "the authorization metadata is not \"Bearer <token>\".");
  }
  const Digest digest = DigestOf(authorization.substr(kBearer.size()));
  const bool worker = Contains(worker_, digest);
  const bool user = Contains(user_, digest);
  if (!worker && !user) {
    return absl::UnauthenticatedError(
        "the access token is not one this coordinator knows: check --token-file (or "
        "$LRSWEEP_TOKEN) against the coordinator's --worker-token-file and --user-token-file.");
  }
  if (absl::StartsWith(method, kWorkerService)) {
    if (worker) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat(
        "a user token may not call ", method,
        ": only workers may, with a worker token (--worker-token-file on the coordinator)."));
  }
  if (absl::StartsWith(method, kSweepService)) {
    if (user) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat(
        "a worker token may not call ", method,
        ": submitting, reading and cancelling sweeps needs a user token."));
  }
  return absl::PermissionDeniedError(absl::StrCat("no token may call ", method, "."));
}

std::shared_ptr<grpc::AuthMetadataProcessor> NewTokenAuthProcessor(TokenAuthorizer tokens) {
  return std::make_shared<TokenAuthProcessor>(std::move(tokens));
}

}  // namespace lrsweep
