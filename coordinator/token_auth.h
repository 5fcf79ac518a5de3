// Who may call what: bearer tokens checked against the method's service, in one place.
//
// A coordinator started with tokens knows two kinds: worker tokens may call only WorkerService
// (register, lease, heartbeat, report, checkpoints); user tokens may call only SweepService
// (submit, read, watch, cancel). The standard health service (grpc.health.v1) needs no token, so
// schedulers and load balancers can probe the port. Anything else is refused.
//
//   ASSIGN_OR_RETURN(TokenAuthorizer tokens, TokenAuthorizer::FromFiles(worker_files, user_files));
//   absl::Status allowed = tokens.Authorize("/lrsweep.v1.SweepService/CancelSweep",
//                                           "Bearer 3f1c...");   // OK, UNAUTHENTICATED or
//                                                                 // PERMISSION_DENIED
//   builder_credentials->SetAuthMetadataProcessor(NewTokenAuthProcessor(std::move(tokens)));
//
// Tokens are kept only as SHA-256 digests and compared in constant time (CRYPTO_memcmp over
// digests of equal length), so neither the time an answer takes nor the process's memory tells
// an attacker how much of a guess was right. Messages never contain the token presented.
//
// Thread safety: a TokenAuthorizer is immutable after construction; Authorize may be called from
// any number of threads.
#ifndef LRSWEEP_COORDINATOR_TOKEN_AUTH_H_
#define LRSWEEP_COORDINATOR_TOKEN_AUTH_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/auth_metadata_processor.h"

namespace lrsweep {

enum class CallerRole { kWorker, kUser };

class TokenAuthorizer {
 public:
  using Digest = std::array<unsigned char, 32>;

  // Tokens of each role, given as files whose every non-empty line is a token (several lines:
  // rotation), or as environment variables holding one token. INVALID_ARGUMENT naming the file
  // when it cannot be read, holds no token, or a token is shorter than 16 characters.
  static absl::StatusOr<TokenAuthorizer> FromFiles(const std::vector<std::string>& worker_files,
                                                   const std::vector<std::string>& user_files);
  // From tokens themselves (tests, environment variables). Same checks as FromFiles.
  static absl::StatusOr<TokenAuthorizer> FromTokens(const std::vector<std::string>& worker_tokens,
                                                    const std::vector<std::string>& user_tokens);

  // OK when `authorization` ("Bearer <token>", the metadata AccessTokenCredentials sends) holds a
  // token whose role may call `method` ("/package.Service/Method"); UNAUTHENTICATED when there is
  // no token or it is unknown; PERMISSION_DENIED when the token is known but its role may not
  // call the method.
  absl::Status Authorize(absl::string_view method, absl::string_view authorization) const;

  size_t worker_token_count() const { return worker_.size(); }
  size_t user_token_count() const { return user_.size(); }

 private:
  TokenAuthorizer(std::vector<Digest> worker, std::vector<Digest> user)
      : worker_(std::move(worker)), user_(std::move(user)) {}

  std::vector<Digest> worker_;
  std::vector<Digest> user_;
};

// The gRPC side: an AuthMetadataProcessor that calls `tokens.Authorize` with the call's ":path"
// and "authorization" metadata, and consumes the token so handlers never see it.
std::shared_ptr<grpc::AuthMetadataProcessor> NewTokenAuthProcessor(TokenAuthorizer tokens);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_TOKEN_AUTH_H_
