#include "worker/script_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace lrsweep {
namespace {

// A line longer than this is handed over in pieces: a program printing a progress bar without
// newlines must not grow the worker's memory without bound.
constexpr size_t kMaxLine = 1 << 20;

// The worker's environment with `extra` set over it, as execve wants it.
std::vector<std::string> MergedEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const size_t equals = text.find('=');
    if (equals != std::string::npos) merged[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& [key, value] : extra) merged[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : merged) out.push_back(absl::StrCat(key, "=", value));
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecChild(pid_t parent, int out_fd, int err_fd, int report_fd,
                            const char* workdir, char* const* argv, char* const* envp) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the worker died before prctl
  // The worker blocks termination signals in its threads to handle them in one place; the
  // program must receive them.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  int failure = 0;
  if (chdir(workdir) != 0) {
    failure = errno;
  } else {
    execvpe(argv[0], argv, envp);
    failure = errno;
  }
  const int message[2] = {failure, 0};
  (void)!write(report_fd, message, sizeof(message));
  _exit(127);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScriptProcess>> ScriptProcess::Start(
    const std::vector<std::string>& argv_strings, const std::string& workdir,
    const std::map<std::string, std::string>& env) {
  if (argv_strings.empty()) return absl::InvalidArgumentError("train.command: empty");
  if (access(workdir.c_str(), X_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("train.workdir: ", workdir, ": ",
                                                   std::strerror(errno),
                                                   " on this worker (is it on a shared file "
                                                   "system every worker mounts?)"));
  }
  std::vector<std::string> argv_copy = argv_strings;
  std::vector<std::string> env_strings = MergedEnvironment(env);
  std::vector<char*> argv = Pointers(argv_copy);
  std::vector<char*> envp = Pointers(env_strings);
  int out[2], err[2], report[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    return absl::ResourceExhaustedError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::ResourceExhaustedError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) ExecChild(parent, out[1], err[1], report[1], workdir.c_str(), argv.data(), envp.data());
  setpgid(pid, pid);  // also here, so that signalling the group never races the child's setpgid
  close(out[1]);
  close(err[1]);
  close(report[1]);
  int message[2] = {0, 0};
  const ssize_t got = read(report[0], message, sizeof(message));  // EOF: exec succeeded
  close(report[0]);
  auto process = std::unique_ptr<ScriptProcess>(new ScriptProcess(pid, out[0], err[0]));
  if (got > 0) {
    process->Wait(absl::Seconds(5));
    return absl::InvalidArgumentError(absl::StrCat("train.command: cannot run '", argv_strings[0],
                                                   "' in ", workdir, ": ",
                                                   std::strerror(message[0])));
  }
  return process;
}

ScriptProcess::ScriptProcess(pid_t pid, int out_fd, int err_fd) : pid_(pid), fds_{out_fd, err_fd} {
  for (int fd : fds_) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

ScriptProcess::~ScriptProcess() {
  if (!exit_code_) Wait(absl::ZeroDuration());
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
}

void ScriptProcess::SignalGroup(int signal) {
  // Also once the leader is reaped: what it started may still run in its group (a pid is not
  // reused while a group of that id has members).
  killpg(pid_, signal);
}

bool ScriptProcess::Drain(int fd, std::string* buffer) {
  char chunk[65536];
  while (true) {
    const ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got > 0) {
      buffer->append(chunk, static_cast<size_t>(got));
      if (buffer->size() > 4 * kMaxLine) return true;  // let lines be taken first
      continue;
    }
    if (got == 0) return false;
    return errno == EAGAIN || errno == EINTR;
  }
}

bool ScriptProcess::PopLine(std::string* buffer, bool is_stderr, bool at_eof, Line* line) {
  size_t newline = buffer->find('\n');
  if (newline == std::string::npos && buffer->size() >= kMaxLine) newline = kMaxLine;
  if (newline == std::string::npos && !(at_eof && !buffer->empty())) return false;
  const size_t length = newline == std::string::npos ? buffer->size() : newline;
  line->is_stderr = is_stderr;
  line->text = buffer->substr(0, length);
  if (!line->text.empty() && line->text.back() == '\r') line->text.pop_back();
  buffer->erase(0, std::min(buffer->size(), length + 1));
  return true;
}

ScriptProcess::Event ScriptProcess::NextLine(absl::Duration timeout, Line* line) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    for (int i = 0; i < 2; ++i) {
      if (PopLine(&buffers_[i], i == 1, fds_[i] < 0, line)) return Event::kLine;
    }
    if (fds_[0] < 0 && fds_[1] < 0) return Event::kEnded;
    pollfd polls[2];
    nfds_t count = 0;
    int which[2];
    for (int i = 0; i < 2; ++i) {
      if (fds_[i] < 0) continue;
      polls[count] = {fds_[i], POLLIN, 0};
      which[count++] = i;
    }
    const int wait_ms = static_cast<int>(
        std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
    const int ready = poll(polls, count, wait_ms);
    if (ready == 0) return Event::kTimeout;
    if (ready < 0 && errno != EINTR) return Event::kTimeout;
    for (nfds_t k = 0; ready > 0 && k < count; ++k) {
      if (polls[k].revents == 0) continue;
      const int i = which[k];
      if (!Drain(fds_[i], &buffers_[i])) {
        close(fds_[i]);
        fds_[i] = -1;
      }
    }
  }
}

bool ScriptProcess::Exited() {
  if (exit_code_) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

int ScriptProcess::Wait(absl::Duration timeout) {
  if (exit_code_) return *exit_code_;
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (done < 0 && errno != EINTR) {
      exit_code_ = 128 + SIGKILL;
      return *exit_code_;
    }
    if (absl::Now() >= deadline) {
      killpg(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return *exit_code_;
}

}  // namespace lrsweep
