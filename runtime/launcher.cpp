#include "runtime/launcher.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"

extern char** environ;

namespace hwlab::runtime {

namespace {

constexpr char kMagic[4] = {'H', 'W', 'L', 'B'};

int env_int(const std::map<std::string, std::string>& env, const char* name, int fallback) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return fallback;
  try {
    return std::stoi(it->second);
  } catch (const std::exception&) {
    throw UserError(fmt::format("environment variable {}: expected an integer, found '{}'", name, it->second));
  }
}

// Closes a socket when it goes out of scope.
struct Socket {
  int fd = -1;
  explicit Socket(int f) : fd(f) {}
  ~Socket() {
    if (fd >= 0) close(fd);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
};

void write_all(int fd, const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = send(fd, p, bytes, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(fmt::format("coordinator: send failed: {}", std::strerror(errno)));
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

void read_all(int fd, void* data, size_t bytes) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    const ssize_t n = recv(fd, p, bytes, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("coordinator: connection closed before the unique id arrived");
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

// The children of run_local_ranks(), for the signal handler: a launcher stopped by SIGTERM/SIGINT
// (a timeout, Ctrl-C) stops its ranks too instead of leaving them waiting on each other.
constexpr int kMaxChildren = 64;
volatile sig_atomic_t g_children[kMaxChildren];
volatile sig_atomic_t g_child_count = 0;

extern "C" void stop_children(int sig) {
  for (int i = 0; i < g_child_count; ++i)
    if (g_children[i] > 0) kill(static_cast<pid_t>(g_children[i]), SIGTERM);
  _exit(128 + sig);
}

}  // namespace

std::pair<std::string, int> split_host_port(const std::string& c) {
  const size_t colon = c.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == c.size())
    throw UserError(fmt::format("--coordinator: expected host:port, found '{}'", c));
  const std::string port_text = c.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5)
    throw UserError(fmt::format("--coordinator: expected a port number after ':', found '{}'", port_text));
  const int port = std::stoi(port_text);
  if (port < 1 || port > 65535) throw UserError(fmt::format("--coordinator: port {} is outside 1..65535", port));
  return {c.substr(0, colon), port};
}

std::map<std::string, std::string> rank_environment() {
  std::map<std::string, std::string> env;
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "PMI_RANK",
                           "PMI_SIZE", "MPI_LOCALRANKID", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID",
                           "HWLAB_COORDINATOR", kUniqueIdEnv})
    if (const char* v = std::getenv(name)) env[name] = v;
  return env;
}

RankPlacement place_rank(const LaunchOptions& o, const std::map<std::string, std::string>& env) {
  RankPlacement p;
  if (o.gpus < 1) throw UserError(fmt::format("--gpus: expected at least 1, found {}", o.gpus));
  if (o.nodes < 1) throw UserError(fmt::format("--nodes: expected at least 1, found {}", o.nodes));
  if (o.node_rank < 0 || o.node_rank >= o.nodes)
    throw UserError(fmt::format("--node-rank: expected 0 to {}, found {}", o.nodes - 1, o.node_rank));
  const bool has_coordinator = !o.coordinator.empty() || env.count("HWLAB_COORDINATOR");
  if (o.rank >= 0 || o.world >= 0) {
    if (o.rank < 0 || o.world < 1 || o.rank >= o.world)
      throw UserError(fmt::format("--rank {} --world {}: expected 0 <= rank < world", o.rank, o.world));
    p.rank = o.rank;
    p.world = o.world;
    p.local_rank = o.local_rank >= 0 ? o.local_rank : o.rank;
    p.source = "--rank";
    return p;
  }
  if (env.count("OMPI_COMM_WORLD_RANK")) {
    p.rank = env_int(env, "OMPI_COMM_WORLD_RANK", 0);
    p.world = env_int(env, "OMPI_COMM_WORLD_SIZE", 1);
    p.local_rank = env_int(env, "OMPI_COMM_WORLD_LOCAL_RANK", 0);
    p.source = "OpenMPI";
  } else if (env.count("PMI_RANK")) {
    p.rank = env_int(env, "PMI_RANK", 0);
    p.world = env_int(env, "PMI_SIZE", 1);
    p.local_rank = env_int(env, "MPI_LOCALRANKID", 0);
    p.source = "PMI";
  } else if (env.count("SLURM_PROCID") && env_int(env, "SLURM_NTASKS", 1) > 1) {
    p.rank = env_int(env, "SLURM_PROCID", 0);
    p.world = env_int(env, "SLURM_NTASKS", 1);
    p.local_rank = env_int(env, "SLURM_LOCALID", 0);
    p.source = "Slurm";
  }
  if (!p.source.empty()) {
    if (p.world > 1 && !has_coordinator)
      throw UserError(fmt::format("{} started {} ranks: give rank 0's address as --coordinator host:port (or "
                                  "HWLAB_COORDINATOR) so the ranks can share NCCL's unique id",
                                  p.source, p.world));
    if (p.rank < 0 || p.rank >= p.world)
      throw UserError(fmt::format("{}: rank {} outside a world of {}", p.source, p.rank, p.world));
    return p;
  }
  if (o.nodes > 1 && !has_coordinator)
    throw UserError("--nodes above 1 needs --coordinator host:port (rank 0's host)");
  p.world = o.gpus * o.nodes;
  if (p.world == 1) {
    p.rank = 0;
    p.source = "single";
  } else {
    p.source = "launcher";
  }
  return p;
}

std::string to_hex(const std::vector<uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::vector<uint8_t> from_hex(const std::string& hex) {
  auto nibble = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw UserError(fmt::format("{}: expected hexadecimal digits, found '{}'", kUniqueIdEnv, c));
  };
  if (hex.size() % 2) throw UserError(fmt::format("{}: odd number of hexadecimal digits", kUniqueIdEnv));
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
  return out;
}

int run_local_ranks(const std::vector<std::string>& args, const std::vector<std::vector<std::string>>& rank_args,
                    const std::map<std::string, std::string>& env_add) {
  std::vector<pid_t> children;
  for (const auto& extra : rank_args) {
    std::vector<std::string> argv_s = args;
    argv_s.insert(argv_s.end(), extra.begin(), extra.end());
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
    if (pid == 0) {
      for (const auto& [k, v] : env_add) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : argv_s) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv("/proc/self/exe", argv.data());
      std::fprintf(stderr, "hwlab: cannot start a rank: exec /proc/self/exe: %s\n", std::strerror(errno));
      _exit(1);
    }
    children.push_back(pid);
    if (g_child_count < kMaxChildren) g_children[g_child_count++] = pid;
  }
  signal(SIGTERM, stop_children);
  signal(SIGINT, stop_children);
  int first_failure = 0;
  size_t running = children.size();
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  while (running > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, first_failure ? WNOHANG : 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pid == 0) {  // children still stopping after a failure
      if (std::chrono::steady_clock::now() > stop_deadline)
        for (pid_t c : children)
          if (c > 0) kill(c, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    for (pid_t& c : children)
      if (c == pid) c = -1;
    for (int i = 0; i < g_child_count; ++i)
      if (g_children[i] == pid) g_children[i] = -1;
    --running;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (code != 0 && first_failure == 0) {
      first_failure = code;
      for (pid_t c : children)
        if (c > 0) kill(c, SIGTERM);
      stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
  }
  return first_failure;
}

void serve_blob(const std::string& coordinator, const std::vector<uint8_t>& blob, int clients,
                std::chrono::seconds timeout) {
  const auto [host, port] = split_host_port(coordinator);
  Socket server(socket(AF_INET, SOCK_STREAM, 0));
  if (server.fd < 0) throw std::runtime_error(fmt::format("coordinator: socket: {}", std::strerror(errno)));
  const int one = 1;
  setsockopt(server.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(server.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw std::runtime_error(fmt::format("coordinator: cannot listen on port {}: {}", port, std::strerror(errno)));
  if (listen(server.fd, 128) != 0) throw std::runtime_error(fmt::format("coordinator: listen: {}", std::strerror(errno)));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int served = 0; served < clients;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error(fmt::format("coordinator: only {} of {} ranks connected within {} s", served, clients,
                                           timeout.count()));
    timeval tv{static_cast<time_t>(left.count() / 1000), static_cast<suseconds_t>((left.count() % 1000) * 1000)};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(server.fd, &set);
    const int ready = select(server.fd + 1, &set, nullptr, nullptr, &tv);
    if (ready <= 0) continue;
    Socket client(accept(server.fd, nullptr, nullptr));
    if (client.fd < 0) continue;
    write_all(client.fd, kMagic, sizeof(kMagic));
    write_all(client.fd, blob.data(), blob.size());
    ++served;
  }
}

std::vector<uint8_t> fetch_blob(const std::string& coordinator, size_t bytes, std::chrono::seconds timeout) {
  const auto [host, port] = split_host_port(coordinator);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_error = "no attempt";
  while (std::chrono::steady_clock::now() < deadline) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    if (rc != 0) {
      last_error = gai_strerror(rc);
    } else {
      Socket s(socket(found->ai_family, found->ai_socktype, found->ai_protocol));
      const int connected = s.fd >= 0 ? connect(s.fd, found->ai_addr, found->ai_addrlen) : -1;
      if (connected != 0) last_error = std::strerror(errno);
      freeaddrinfo(found);
      if (connected == 0) {
        char magic[4];
        read_all(s.fd, magic, sizeof(magic));
        if (std::memcmp(magic, kMagic, sizeof(magic)) != 0)
          throw std::runtime_error(fmt::format("coordinator {}: not an hwlab coordinator", coordinator));
        std::vector<uint8_t> blob(bytes);
        read_all(s.fd, blob.data(), bytes);
        return blob;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw std::runtime_error(
      fmt::format("coordinator {}: no answer within {} s ({})", coordinator, timeout.count(), last_error));
}

}  // namespace hwlab::runtime
