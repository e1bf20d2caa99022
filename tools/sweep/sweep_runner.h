// Running a sweep's points as child processes: at most `jobs` at once, each a fresh exec of a program
// (never a fork that goes on running our code: the parent may have started TBB threads), each in its
// own process group so that its whole tree can be stopped. While a StopSignals scope lives, SIGINT,
// SIGTERM and SIGHUP do not end the process: run_jobs then stops, every running child group gets
// SIGTERM (SIGKILL after a grace period) and is reaped before run_jobs returns. Progress goes to
// stderr: a bar on a terminal, one line per finished job otherwise.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace hwlab::sweep {

struct Job {
  std::vector<std::string> argv;  // argv[0] is what the child sees as its name
  std::string label;              // for the progress line: "point-003 (workload.deployment.comm_sms=16)"
};

struct JobOutcome {
  int exit_code = -1;  // the child's exit status, -1 when it died of a signal
  int signal = 0;      // the signal that ended it, 0 if it exited
  std::string output;  // what it wrote to stdout and stderr, together
};

struct RunReport {
  int stop_signal = 0;          // the signal that stopped the run, 0 when every job ran
  std::vector<size_t> stopped;  // jobs that were running when it stopped (their children are reaped)
};

// Decides, from a finished job, whether it succeeded (for the progress count of failures).
using JobJudge = std::function<bool(size_t index, const JobOutcome& outcome)>;

// Catches SIGINT, SIGTERM and SIGHUP (and SIGCHLD, to wake run_jobs) for its lifetime, then puts the
// previous handlers back. One at a time.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  int stop_signal() const;  // the first stop signal received, 0 if none
};

// Needs a live StopSignals. Runs `program` (an absolute path, e.g. /proc/self/exe) once per job with stdin from /dev/null and
// stdout + stderr captured. Jobs start in index order; `judge` is called as each one ends (in
// completion order). Throws std::runtime_error if a process or pipe cannot be made.
RunReport run_jobs(const std::string& program, const std::vector<Job>& jobs, size_t parallel, const JobJudge& judge);

// Cores this process may run on (sched_getaffinity), at least 1.
size_t available_cores();

// "0:42", "12:05", "1:02:03".
std::string format_duration(double seconds);

// The progress text, without control characters: "[#####     ] 4/8 points, 1 failed, 0:12 elapsed,
// ~0:12 left". Pure, for tests.
std::string progress_text(size_t done, size_t total, size_t failed, double elapsed_s, size_t bar_width);

}  // namespace hwlab::sweep
