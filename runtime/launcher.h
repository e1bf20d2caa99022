// How the ranks of a measurement come to exist: one process per GPU.
//  - `hwlab measure ... --gpus N` on one host: the parent forks/execs itself N times with the hidden
//    arguments --rank r --world N --local-rank r, and hands every child NCCL's unique id through the
//    environment (HWLAB_NCCL_UNIQUE_ID, hex); it waits for all, and if one fails it stops the others.
//  - several hosts: each host runs `--gpus N --nodes M --node-rank k --coordinator host:port`
//    (ranks k*N .. k*N+N-1), or one process per GPU under mpirun / srun (rank, world and local rank
//    from OMPI_*, PMI_* / MPI_LOCALRANKID or SLURM_* variables) with --coordinator host:port.
//    Rank 0 creates the unique id and serves it over TCP at the coordinator address; the others
//    fetch it. NCCL's own bootstrap and transports (IB verbs between hosts) do the rest.
// CPU-only code: it runs (and is tested) without a GPU; the unique id is an opaque blob here.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hwlab::runtime {

inline constexpr size_t kUniqueIdBytes = 128;  // NCCL_UNIQUE_ID_BYTES
inline constexpr const char* kUniqueIdEnv = "HWLAB_NCCL_UNIQUE_ID";

// Where this process stands. `rank < 0` means "not a rank yet": the caller is the launcher.
struct RankPlacement {
  int rank = -1, world = 1, local_rank = 0;
  std::string source;  // "single", "launcher", "--rank", "OpenMPI", "PMI", "Slurm"
};

struct LaunchOptions {
  int gpus = 1;                // processes to start on this host
  int nodes = 1, node_rank = 0;
  int rank = -1, world = -1, local_rank = -1;  // hidden/explicit rank arguments
  std::string coordinator;     // host:port for multi-host id exchange
};

// Decides from the options and the environment `env` (a copy of the relevant variables) whether this
// process is a rank (and which) or must launch ranks. Throws UserError on inconsistent arguments
// (rank outside the world, --nodes without --coordinator, ...).
RankPlacement place_rank(const LaunchOptions& o, const std::map<std::string, std::string>& env);
// The variables place_rank reads, from the real environment.
std::map<std::string, std::string> rank_environment();

std::string to_hex(const std::vector<uint8_t>& bytes);
std::vector<uint8_t> from_hex(const std::string& hex);  // throws UserError on bad text

// Starts `ranks.size()` copies of /proc/self/exe with `args` plus the per-rank extra arguments and
// `env_add` in their environment; waits for all. Returns 0 if all exit 0, otherwise the first
// non-zero status (after stopping the remaining children with SIGTERM, then SIGKILL after 10 s).
int run_local_ranks(const std::vector<std::string>& args, const std::vector<std::vector<std::string>>& rank_args,
                    const std::map<std::string, std::string>& env_add);

// Rank 0 of a multi-host run: listens on the coordinator's port and sends `blob` to `clients`
// connections. Throws std::runtime_error on socket errors or when not all clients came in `timeout`.
void serve_blob(const std::string& coordinator, const std::vector<uint8_t>& blob, int clients,
                std::chrono::seconds timeout);
// The other ranks: connects (retrying until `timeout`) and reads the blob of `bytes` bytes.
std::vector<uint8_t> fetch_blob(const std::string& coordinator, size_t bytes, std::chrono::seconds timeout);

// "host:port" -> (host, port); throws UserError naming --coordinator.
std::pair<std::string, int> split_host_port(const std::string& coordinator);

}  // namespace hwlab::runtime
