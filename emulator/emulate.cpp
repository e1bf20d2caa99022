#include "emulator/emulate.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <malloc.h>
#include <memory>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/config/print.h"
#include "common/error.h"
#include "common/version.h"
#include "emulator/metrics.h"

namespace hwlab::emulator {

namespace {

nlohmann::json plain(const nlohmann::ordered_json& j) { return nlohmann::json::parse(j.dump()); }

// Runs in the child: elaborate, simulate, measure.
// A run that stops (watchdog, deadlock) reports through `report_stop`, which does not return: its
// SystemC threads are still suspended on their own stacks, and neither unwinding them nor throwing
// over them is safe under AddressSanitizer (SystemC's coroutines hide those stacks from it).
EmulationOutput run_here(const workloads::RunConfigs& run, const EmulationOptions& options, bool want_trace,
                         const std::function<void(const std::string&)>& report_stop) {
  if (!run.platform || !run.workload) throw UserError("an emulation needs a platform and a workload");
  auto owned = std::make_unique<Cluster>("cluster", *run.platform, *run.workload, run.proposal, options);
  Cluster& cluster = *owned;
  const std::string stopped = cluster.run();
  if (!stopped.empty()) report_stop(stopped);
  RunMetrics m = collect_metrics(cluster);
  EmulationOutput out;
  Result& r = out.result;
  r.source = "emulated";
  r.tool_version = version();
  r.git_commit = git_commit();
  r.platform = plain(config::to_json(*run.platform));
  r.workload = plain(config::to_json(*run.workload));
  r.proposal = run.proposal ? plain(config::to_json(*run.proposal)) : nlohmann::json();
  r.metrics = std::move(m.metrics);
  r.collectives = std::move(m.collectives);
  r.run = {{"simulated_us", to_us(sc_core::sc_time_stamp())},
           {"options", {{"layers", cluster.layers()}, {"comm_only", options.comm_only},
                       {"functional", options.functional}}}};
  for (auto& [key, value] : m.run.items()) r.run[key] = value;
  if (want_trace) out.trace = trace_json(cluster);
  return out;
}

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(120);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void write_frame(int fd, char tag, const std::string& body) {
  const uint64_t size = body.size();
  write_all(fd, std::string(1, tag) + std::string(reinterpret_cast<const char*>(&size), sizeof size) + body);
}

}  // namespace

EmulationOutput emulate(const workloads::RunConfigs& run, const EmulationOptions& options, bool want_trace) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    // The phase plans and routings of a run are built and dropped layer after layer: keep freed
    // memory in this short-lived process instead of handing it back to the kernel and faulting
    // it in again (page faults were a tenth of a decode step's time).
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
    ::mallopt(M_TOP_PAD, 64 << 20);
    try {
      EmulationOutput out = run_here(run, options, want_trace, [&](const std::string& report) {
        write_frame(fds[1], 'U', report);
        ::close(fds[1]);
        _exit(0);
      });
      write_frame(fds[1], 'R', to_json_text(out.result));
      write_frame(fds[1], 'T', out.trace);
    } catch (const UserError& e) {
      write_frame(fds[1], 'U', e.what());
    } catch (const std::exception& e) {
      write_frame(fds[1], 'I', e.what());
    }
    ::close(fds[1]);
    _exit(0);
  }
  ::close(fds[1]);
  std::string data;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    throw std::runtime_error(fmt::format("the emulation process died of signal {} ({})", WTERMSIG(status),
                                         strsignal(WTERMSIG(status))));
  EmulationOutput out;
  size_t pos = 0;
  bool have_result = false;
  while (pos + 9 <= data.size()) {
    const char tag = data[pos];
    uint64_t size = 0;
    std::memcpy(&size, data.data() + pos + 1, sizeof size);
    const std::string body = data.substr(pos + 9, size);
    pos += 9 + size;
    if (tag == 'U') throw UserError(body);
    if (tag == 'I') throw std::runtime_error(body);
    if (tag == 'R') {
      out.result = parse_result(body, "<emulation>");
      have_result = true;
    }
    if (tag == 'T') out.trace = body;
  }
  if (!have_result)
    throw std::runtime_error(fmt::format("the emulation process exited with status {} and no result",
                                         WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  return out;
}

}  // namespace hwlab::emulator

// libsystemc's own main() calls sc_main(); hwlab has its own main and elaborates models itself, but
// the shared library still needs the symbol to link. It is never called.
int sc_main(int, char**) { return 1; }
