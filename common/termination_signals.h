// SIGTERM / SIGINT handling for the long-running processes, without signal handlers.
//
// Call BlockTerminationSignals() first thing in main(), before any thread exists, so that every
// thread inherits the block; then one thread waits for the signal synchronously with
// WaitForTerminationSignal() and starts an orderly shutdown. No code runs in signal context.
//
//   int main() {
//     BlockTerminationSignals();
//     StartServer();
//     WaitForTerminationSignal();  // returns on SIGTERM or SIGINT
//     Shutdown();
//   }
#ifndef LRSWEEP_COMMON_TERMINATION_SIGNALS_H_
#define LRSWEEP_COMMON_TERMINATION_SIGNALS_H_

#include <pthread.h>
#include <signal.h>

namespace lrsweep {

inline sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

inline void BlockTerminationSignals() {
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
inline int WaitForTerminationSignal() {
  const sigset_t set = TerminationSignals();
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number;
}

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_TERMINATION_SIGNALS_H_
