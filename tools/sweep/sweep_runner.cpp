#include "tools/sweep/sweep_runner.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <fmt/format.h>

namespace hwlab::sweep {

namespace {

using Clock = std::chrono::steady_clock;

// The self-pipe: signal handlers only write a byte to it, the loop polls it with the children's pipes.
int g_wake_fd[2] = {-1, -1};
volatile sig_atomic_t g_stop_signal = 0;

void on_signal(int sig) {
  if (sig != SIGCHLD && !g_stop_signal) g_stop_signal = sig;
  const int saved = errno;
  [[maybe_unused]] const ssize_t n = ::write(g_wake_fd[1], "x", 1);
  errno = saved;
}

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};

struct sigaction g_old_actions[std::size(kSignals)];

struct Child {
  size_t index = 0;
  pid_t pid = -1;
  int fd = -1;  // read end of its stdout + stderr; -1 once at end of file
  JobOutcome outcome;
};

pid_t spawn(const std::string& program, const Job& job, int* read_fd) {
  // Everything the child needs is built before fork: between fork and exec only async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : job.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the sweep died without stopping us
    if (::getppid() != parent) ::_exit(127);
#endif
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execv(program.c_str(), argv.data());
    const char msg[] = "hwlab sweep: cannot execute the child process\n";
    [[maybe_unused]] const ssize_t n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so that a signal to the group cannot miss it (EACCES after exec is fine)
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  *read_fd = fds[0];
  return pid;
}

// Reads what is available; closes the pipe at end of file.
void drain(Child& c) {
  char buf[4096];
  while (c.fd >= 0) {
    const ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.outcome.output.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        ::close(c.fd);
        c.fd = -1;
      }
      return;
    }
  }
}

bool reaped(Child& c, int options) {
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(c.pid, &status, options)) < 0 && errno == EINTR) {
  }
  if (r != c.pid) return false;
  c.outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  c.outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  drain(c);  // the child has exited: what it wrote is in the pipe
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  return true;
}

// SIGTERM to every child's group, SIGKILL after a grace period; reaps them all.
void stop_all(std::vector<Child>& running) {
  for (const auto& c : running) ::kill(-c.pid, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  std::vector<Child*> left;
  for (auto& c : running) left.push_back(&c);
  while (!left.empty()) {
    if (Clock::now() > deadline)
      for (auto* c : left) ::kill(-c->pid, SIGKILL);
    std::vector<Child*> still;
    for (auto* c : left)
      if (!reaped(*c, Clock::now() > deadline ? 0 : WNOHANG)) still.push_back(c);
    left = still;
    if (!left.empty()) ::usleep(20000);
  }
}

class Progress {
 public:
  Progress(size_t total, bool tty) : total_(total), tty_(tty), start_(Clock::now()) {}
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  void draw() {
    if (!tty_) return;
    std::fprintf(stderr, "\r\033[K%s", progress_text(done_, total_, failed_, elapsed(), 30).c_str());
    std::fflush(stderr);
  }
  void finished(const std::string& label, bool ok) {
    ++done_;
    failed_ += ok ? 0 : 1;
    if (tty_) return draw();
    std::fprintf(stderr, "hwlab sweep: %s %s; %s\n", label.c_str(), ok ? "ok" : "FAILED",
                 progress_text(done_, total_, failed_, elapsed(), 0).c_str());
    std::fflush(stderr);
  }
  void clear() {
    if (tty_) std::fputs("\r\033[K", stderr);
  }

 private:
  size_t total_, done_ = 0, failed_ = 0;
  bool tty_;
  Clock::time_point start_;
};

}  // namespace

StopSignals::StopSignals() {
  if (g_wake_fd[0] >= 0) throw std::logic_error("StopSignals: one at a time");
  if (::pipe2(g_wake_fd, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  g_stop_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_NOCLDSTOP;  // no SA_RESTART: a blocked call returns on a signal
  for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &sa, &g_old_actions[i]);
}

StopSignals::~StopSignals() {
  for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &g_old_actions[i], nullptr);
  ::close(g_wake_fd[0]);
  ::close(g_wake_fd[1]);
  g_wake_fd[0] = g_wake_fd[1] = -1;
}

int StopSignals::stop_signal() const { return g_stop_signal; }

RunReport run_jobs(const std::string& program, const std::vector<Job>& jobs, size_t parallel, const JobJudge& judge) {
  if (g_wake_fd[0] < 0) throw std::logic_error("run_jobs needs a live StopSignals");
  Progress progress(jobs.size(), ::isatty(2) != 0);
  std::vector<Child> running;
  size_t next = 0;
  RunReport report;
  while ((next < jobs.size() || !running.empty()) && !g_stop_signal) {
    while (running.size() < std::max<size_t>(parallel, 1) && next < jobs.size()) {
      Child c;
      c.index = next;
      try {
        c.pid = spawn(program, jobs[next], &c.fd);
      } catch (...) {
        stop_all(running);
        progress.clear();
        throw;
      }
      running.push_back(std::move(c));
      ++next;
    }
    progress.draw();
    std::vector<pollfd> fds{{g_wake_fd[0], POLLIN, 0}};
    for (const auto& c : running)
      if (c.fd >= 0) fds.push_back({c.fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 250);  // the timeout also redraws the elapsed time
    char sink[64];
    while (::read(g_wake_fd[0], sink, sizeof sink) > 0) {
    }
    std::vector<Child> still;
    for (auto& c : running) {
      drain(c);
      if (!reaped(c, WNOHANG)) {
        still.push_back(std::move(c));
        continue;
      }
      progress.finished(jobs[c.index].label, judge(c.index, c.outcome));
    }
    running = std::move(still);
  }
  if (g_stop_signal) {
    report.stop_signal = g_stop_signal;
    for (const auto& c : running) report.stopped.push_back(c.index);
    stop_all(running);
  }
  progress.clear();
  return report;
}

size_t available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return static_cast<size_t>(CPU_COUNT(&set));
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<size_t>(n) : 1;
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string progress_text(size_t done, size_t total, size_t failed, double elapsed_s, size_t bar_width) {
  std::string text;
  if (bar_width > 0) {
    const size_t filled = total ? done * bar_width / total : bar_width;
    text = "[" + std::string(filled, '#') + std::string(bar_width - filled, ' ') + "] ";
  }
  text += fmt::format("{}/{} points", done, total);
  if (failed) text += fmt::format(", {} failed", failed);
  text += ", " + format_duration(elapsed_s) + " elapsed";
  // Throughput so far times what is left: with N at once, this already counts the parallelism.
  if (done > 0 && done < total)
    text += ", ~" + format_duration(elapsed_s / static_cast<double>(done) * static_cast<double>(total - done)) + " left";
  return text;
}

}  // namespace hwlab::sweep
