#include "runtime/rank_session.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "kernels/cuda_check.h"
#include "kernels/gemm_fp8.h"
#include "runtime/nic_discovery.h"

namespace hwlab::runtime {

std::string driver_version() {
  if (void* nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)) {
    using Init = int (*)();
    using Version = int (*)(char*, unsigned);
    auto init = reinterpret_cast<Init>(dlsym(nvml, "nvmlInit_v2"));
    auto get = reinterpret_cast<Version>(dlsym(nvml, "nvmlSystemGetDriverVersion"));
    auto shutdown = reinterpret_cast<Init>(dlsym(nvml, "nvmlShutdown"));
    char text[96] = {};
    const bool ok = init && get && init() == 0 && get(text, sizeof(text)) == 0;
    if (init && shutdown && ok) shutdown();
    dlclose(nvml);
    if (ok) return text;
  }
  int v = 0;
  cudaDriverGetVersion(&v);
  return fmt::format("CUDA driver API {}.{}", v / 1000, (v % 1000) / 10);
}

std::string platform_for_device(const std::string& name) {
  if (name.find("H200") != std::string::npos) return "h200";
  if (name.find("H800") != std::string::npos) return "h800";
  return "h100";
}

float elapsed_ms(cudaEvent_t start, cudaEvent_t stop) {
  float ms = 0;
  HWLAB_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  return ms;
}

namespace {

int no_cuda_device() {
  std::fprintf(stderr, "hwlab: error: no CUDA device\n");
  return kExitUserError;
}

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

// This process is the launcher: start the ranks of this host and wait for them.
int launch(const CommonMeasureOptions& o, const RankPlacement& p) {
  const int present = device_count();
  if (present == 0) return no_cuda_device();
  if (present < o.launch.gpus)
    throw UserError(fmt::format("--gpus {}: this host has {} CUDA device(s)", o.launch.gpus, present));
  std::map<std::string, std::string> env;
  if (o.launch.nodes == 1) env[kUniqueIdEnv] = to_hex(new_unique_id());
  std::vector<std::vector<std::string>> rank_args;
  for (int i = 0; i < o.launch.gpus; ++i) {
    const int rank = o.launch.node_rank * o.launch.gpus + i;
    rank_args.push_back({"--rank", std::to_string(rank), "--world", std::to_string(p.world), "--local-rank",
                         std::to_string(i)});
  }
  // NVLink multicast stays off for every rank (it can take shared hosts' GPUs out of service).
  env["NCCL_NVLS_ENABLE"] = "0";
  return run_local_ranks(o.argv, rank_args, env);
}

std::vector<uint8_t> obtain_unique_id(const CommonMeasureOptions& o, const RankPlacement& p,
                                      const std::map<std::string, std::string>& env) {
  if (p.world == 1) return new_unique_id();
  if (auto it = env.find(kUniqueIdEnv); it != env.end() && o.launch.nodes == 1) return from_hex(it->second);
  std::string coordinator = o.launch.coordinator;
  if (coordinator.empty())
    if (auto it = env.find("HWLAB_COORDINATOR"); it != env.end()) coordinator = it->second;
  if (coordinator.empty())
    throw UserError(fmt::format("rank {} of {}: no NCCL unique id: give --coordinator host:port", p.rank, p.world));
  const std::chrono::seconds timeout(o.timeout_s);
  if (p.rank == 0) {
    auto id = new_unique_id();
    serve_blob(coordinator, id, p.world - 1, timeout);
    return id;
  }
  return fetch_blob(coordinator, kUniqueIdBytes, timeout);
}

void fill_device_info(RankSession& s) {
  const std::string mine = s.prop.name;
  std::vector<char> name(128, 0);
  std::copy_n(mine.begin(), std::min<size_t>(mine.size(), 127), name.begin());
  const auto all = s.comm->allgather(name.data(), name.size());
  std::set<std::string> distinct;
  nlohmann::json gpus = nlohmann::json::array();
  for (int r = 0; r < s.world(); ++r) {
    const std::string n(reinterpret_cast<const char*>(all.data()) + 128 * r);
    distinct.insert(n);
    gpus.push_back(n);
  }
  std::string joined;
  for (const auto& n : distinct) joined += (joined.empty() ? "" : " + ") + n;
  s.device_info.name = joined;
  s.device_info.count = s.world();
  s.device_info.driver = driver_version();
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  const NicReport nics = discover_nics();
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  s.device_info.extra = {{"nccl", nccl_version()},
                         {"cuda_runtime", fmt::format("{}.{}", runtime / 1000, (runtime % 1000) / 10)},
                         {"cublaslt", kernels::Fp8Gemm::version()},
                         {"sm_count", s.prop.multiProcessorCount},
                         {"memory_GiB", static_cast<double>(s.prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0)},
                         {"gpus", gpus},
                         {"nics", nic_json(nics)},
                         {"host", host}};
}

}  // namespace

int run_ranks(const CommonMeasureOptions& o, const std::function<int(RankSession&)>& body) {
  check_common(o);
  const auto env = rank_environment();
  const RankPlacement placement = place_rank(o.launch, env);
  if (placement.rank < 0) return launch(o, placement);

  const int present = device_count();
  if (present == 0) return no_cuda_device();
  RankSession s;
  s.placement = placement;
  for (const auto& a : o.argv) s.command_line += (s.command_line.empty() ? "" : " ") + a;
  if (placement.local_rank >= present)
    throw UserError(fmt::format("rank {}: local rank {} but this host has {} CUDA device(s)", placement.rank,
                                placement.local_rank, present));
  s.device = placement.local_rank;
  try {
    HWLAB_CUDA_CHECK(cudaSetDevice(s.device));
    HWLAB_CUDA_CHECK(cudaGetDeviceProperties(&s.prop, s.device));
    s.comm = std::make_unique<Communicator>(obtain_unique_id(o, placement, env), placement.rank, placement.world,
                                            o.timeout_s);
    fill_device_info(s);
    return body(s);
  } catch (const UserError&) {
    throw;
  } catch (const RankFailure& e) {
    std::fprintf(stderr, "hwlab: error: %s\n", e.what());
    return kExitInternalError;
  } catch (const std::exception& e) {
    // CUDA errors and the like: name the rank, abort the communicator so peers do not wait forever.
    std::fprintf(stderr, "hwlab: error: rank %d: %s\n", placement.rank, e.what());
    if (s.comm) {
      try {
        s.comm->fail(e.what());
      } catch (const RankFailure&) {
      }
    }
    return kExitInternalError;
  }
}

}  // namespace hwlab::runtime
