// `hwlab measure moe --workload W [--comm sm|nccl|copy-engine] [--comm-sms K|K1,K2|LO:HI] [--gpus N]`:
// one MoE layer of the workload on the GPUs present (folded when the deployment has more ranks than
// GPUs, see runtime/fold_map.h), with the workload's own routing and placement.
//  1. Checks (every run): every received row and every expert slot's count (each SM count of the
//     sweep), combine against the CPU reference (first and last SM count), cuBLASLt against an FP32
//     reference; any wrong value makes the command exit 1 after writing its table.
//  2. Copy ceilings: a 256 MiB copy to the next GPU (or locally) by the copy engine and by SMs.
//  3. Dispatch and combine alone for each SM count (one micro-batch, median of the slowest rank).
//  4. Expert GEMMs alone on the whole GPU, then confined to the SMs the communication leaves (green
//     contexts), with the SM ids each partition really used.
//  5. The layer: every micro-batch's dispatch -> experts -> combine, micro-batches overlapped on two
//     streams (communication in its partition, GEMMs in theirs), and once serially for comparison.
#include <cstdio>
#include <set>

#include <fmt/format.h>

#include "common/collective_table.h"
#include "common/error.h"
#include "kernels/checks.h"
#include "runtime/expert_stage.h"
#include "runtime/moe_exchange.h"
#include "runtime/moe_state.h"
#include "runtime/result_assembly.h"
#include "workloads/run_configs.h"
#include "workloads/token_router.h"

namespace hwlab::runtime {

namespace {

using nlohmann::json;

struct Inputs {
  workloads::WorkloadConfig workload;
  std::unique_ptr<workloads::TokenRouter> router;
  std::unique_ptr<workloads::ExpertLayout> layout;
  std::vector<std::vector<workloads::Routing>> routing;  // [micro-batch][rank]
};

Inputs route(const workloads::WorkloadConfig& w, int layer) {
  Inputs in;
  in.workload = w;
  in.router = std::make_unique<workloads::TokenRouter>(w);
  in.layout = std::make_unique<workloads::ExpertLayout>(w, in.router->history_loads(layer));
  for (int m = 0; m < w.deployment.micro_batches; ++m) in.routing.push_back(in.router->route_micro_batch(layer, m));
  return in;
}

uint64_t plan_hash(const ExchangePlan& p) {
  uint64_t h = 1469598103934665603ull;
  for (const GpuExchange& g : p.gpus) {
    const auto* b = reinterpret_cast<const uint8_t*>(g.send_meta.data());
    for (size_t i = 0; i < g.send_meta.size() * sizeof(kernels::TokenMeta); ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  return h;
}

// Per-iteration event pairs on one lane; times gathered from every rank, slowest rank per iteration.
class Timer {
 public:
  Timer(const Lane& lane, int iterations) : n_(iterations), lane_(lane) {
    for (int i = 0; i < 2 * iterations; ++i) events_.push_back(lane.make_event());
  }
  ~Timer() {
    for (auto e : events_) cudaEventDestroy(e);
  }
  void start(int i, cudaStream_t s) { HWLAB_CUDA_CHECK(cudaEventRecord(events_[static_cast<size_t>(2 * i)], s)); }
  void stop(int i, cudaStream_t s) { HWLAB_CUDA_CHECK(cudaEventRecord(events_[static_cast<size_t>(2 * i + 1)], s)); }
  // Median over iterations of the slowest rank, in microseconds. Call after the stream drained.
  double median_us(Communicator& comm) {
    std::vector<float> mine;
    Lane::Use use(lane_);
    for (int i = 0; i < n_; ++i)
      mine.push_back(1000.0f * elapsed_ms(events_[static_cast<size_t>(2 * i)], events_[static_cast<size_t>(2 * i + 1)]));
    return median(slowest_per_iteration(comm.allgather_values(mine), comm.world(), n_));
  }

 private:
  int n_;
  Lane lane_;
  std::vector<cudaEvent_t> events_;
};

double GBps(int64_t bytes, double us) { return us > 0 ? static_cast<double>(bytes) / (us * 1e3) : 0.0; }

int count_bits(const std::vector<unsigned>& bitmap) {
  int n = 0;
  for (unsigned w : bitmap) n += __builtin_popcount(w);
  return n;
}

int sms_seen(const Lane& lane, int blocks) {
  kernels::DeviceArray<unsigned> bitmap(8, "SM probe bitmap");
  {
    Lane::Use use(lane);
    HWLAB_CUDA_CHECK(cudaMemsetAsync(bitmap.get(), 0, bitmap.bytes(), lane.stream));
    kernels::launch_sm_probe(blocks, bitmap.get(), lane.stream);
    HWLAB_CUDA_CHECK(cudaStreamSynchronize(lane.stream));
  }
  std::vector<unsigned> host(8);
  HWLAB_CUDA_CHECK(cudaMemcpy(host.data(), bitmap.get(), 32, cudaMemcpyDeviceToHost));
  return count_bits(host);
}

json copy_ceilings(MoeState& st, const Lane& lane, int sms_small) {
  constexpr size_t kBytes = 256ull << 20;
  PeerArena probe(st.comm, 2 * kBytes, "copy-ceiling buffers");
  const int next = (st.me + 1) % st.gpus;
  // Between GPUs: my first half into the next GPU's second half; alone: first half into second half.
  uint8_t* dst = probe.base(next) + kBytes;
  const uint8_t* src = probe.mine();
  const int iters = 5;
  json out;
  auto measure = [&](const char* name, auto&& issue) {
    Timer t(lane, iters);
    Lane::Use use(lane);
    for (int i = 0; i < iters; ++i) {
      st.barrier(lane.stream);
      t.start(i, lane.stream);
      issue();
      st.barrier(lane.stream);
      t.stop(i, lane.stream);
    }
    st.comm.sync(lane.stream, "copy ceiling");
    st.check_barrier();
    out[name] = GBps(static_cast<int64_t>(kBytes), t.median_us(st.comm));
  };
  const int all = st.session.prop.multiProcessorCount;
  measure("copy_engine_GBps", [&] { HWLAB_CUDA_CHECK(cudaMemcpyAsync(dst, src, kBytes, cudaMemcpyDeviceToDevice, lane.stream)); });
  measure("sm_all_GBps", [&] { kernels::launch_copy_sm(dst, src, kBytes, all, lane.stream); });
  measure(fmt::format("sm_{}_GBps", sms_small).c_str(),
          [&] { kernels::launch_copy_sm(dst, src, kBytes, sms_small, lane.stream); });
  out["to_peer"] = st.gpus > 1 ? 1 : 0;
  return out;
}

std::string row_text(const char* what, double us, double GBps_all, double GBps_link) {
  return fmt::format("  {:<34} {:>12.1f} us {:>10.1f} GB/s {:>10.1f} GB/s over links\n", what, us, GBps_all, GBps_link);
}

int moe_rank(const MoeOptions& o, const workloads::WorkloadConfig& w, CommMode mode, CombineMethod combine_method,
             std::vector<int> sms_list, RankSession& s) {
  const int P = s.world(), all_sms = s.prop.multiProcessorCount;
  if (P > w.deployment.gpus())
    throw UserError(fmt::format("{} GPUs for a deployment of {} ranks: use at most {}", P, w.deployment.gpus(),
                                w.deployment.gpus()));
  if (mode != CommMode::nccl && P > kernels::kMaxPeers)
    throw UserError(fmt::format("--comm {} exchanges through peer memory within one NVLink domain (at most {} GPUs); "
                                "use --comm nccl for {}",
                                comm_mode_name(mode), kernels::kMaxPeers, P));
  for (int& k : sms_list) k = std::min(k, all_sms);
  const Inputs in = route(w, o.layer);
  std::vector<ExchangePlan> plans;
  for (const auto& r : in.routing) plans.push_back(build_exchange_plan(w, *in.layout, r, P));
  const bool gemm_on = !o.no_gemm;
  const bool shared_local = w.deployment.shared_expert == workloads::SharedExpertMode::local && w.model.shared_experts > 0;
  if (s.leader()) {
    int64_t total = 0;
    for (const auto& p : plans)
      total += moe_memory(p, 0, gemm_on, mode != CommMode::sm, w.model.expert_intermediate_size).total();
    std::printf("hwlab measure moe: %s on %d x %s, %s exchange%s, %d micro-batch(es); %s\n", w.name.c_str(), P,
                s.prop.name, comm_mode_name(mode),
                mode == CommMode::sm ? fmt::format(" ({} combine)", combine_method_name(combine_method)).c_str() : "",
                w.deployment.micro_batches,
                plans[0].fold.folded()
                    ? fmt::format("folded: {} ranks on {} GPU(s)", plans[0].fold.logical_ranks(), P).c_str()
                    : "one rank per GPU");
    std::printf("  device memory planned on GPU 0: %.2f GiB\n", static_cast<double>(total) / (1 << 30));
    std::fflush(stdout);
  }
  MoeState st(s, std::move(plans), mode, combine_method);

  // Lanes: the whole GPU, and (when green contexts work) the two partitions for each SM count.
  Lane full = primary_lane(all_sms);
  const ExchangePlan& plan0 = st.mb[0].plan;
  const int64_t d_all = dispatch_bytes_max(plan0, false), d_link = dispatch_bytes_max(plan0, true);
  const int64_t c_all = combine_bytes_max(plan0, false), c_link = combine_bytes_max(plan0, true);

  json metrics;
  json wrong = {{"dispatch_rows", 0}, {"slot_counts", 0}, {"combine_elements", 0}, {"gemm_elements", 0}};
  auto add_wrong = [&](const char* key, uint64_t n) {
    wrong[key] = wrong[key].get<uint64_t>() + n;
  };

  // 1. Checks.
  for (size_t i = 0; i < sms_list.size(); ++i) {
    const bool combine_too = i == 0 || i + 1 == sms_list.size();
    for (int m = 0; m < static_cast<int>(st.mb.size()); ++m) {
      if (m > 0 && !combine_too) continue;
      const ExchangeCheck c = check_exchange(st, m, sms_list[i], full, w, *in.layout, in.routing[static_cast<size_t>(m)],
                                             combine_too, 2048);
      add_wrong("dispatch_rows", c.dispatch_wrong_rows);
      add_wrong("slot_counts", c.slot_count_wrong);
      add_wrong("combine_elements", c.combine_wrong);
    }
    if (mode != CommMode::sm) break;  // the SM count does not change the other exchanges
  }
  std::unique_ptr<ExpertStage> experts;
  if (gemm_on) {
    experts = std::make_unique<ExpertStage>(st, w.model.expert_intermediate_size, shared_local,
                                            parse_block_scaling(o.gemm_scales) ? kernels::Fp8Scaling::block
                                                                               : kernels::Fp8Scaling::tensor);
    const ExpertStage::Check c = experts->check(st, 0, full);
    add_wrong("gemm_elements", c.wrong);
    metrics["gemm_rel_err"] = c.rel_err;
  }
  if (o.repeat_hash > 0) {
    std::set<uint64_t> gpu_hashes, host_hashes;
    for (int r = 0; r < o.repeat_hash; ++r) {
      const Inputs again = route(w, o.layer);
      host_hashes.insert(plan_hash(build_exchange_plan(w, *again.layout, again.routing[0], P)));
      gpu_hashes.insert(exchange_hash(st, 0, sms_list[0], full));
    }
    const auto all_hashes = st.comm.allgather_values(std::vector<uint64_t>{*gpu_hashes.begin()});
    metrics["repeat_hash"] = {{"runs", o.repeat_hash},
                              {"distinct_gpu_hashes", static_cast<int>(gpu_hashes.size())},
                              {"distinct_plan_hashes", static_cast<int>(host_hashes.size())}};
    if (s.leader())
      std::printf("  repeat-and-hash: %d runs, GPU 0 hash %016llx, %zu distinct on GPU 0, %zu distinct plans\n",
                  o.repeat_hash, static_cast<unsigned long long>(all_hashes[0]), gpu_hashes.size(), host_hashes.size());
    if (gpu_hashes.size() != 1 || host_hashes.size() != 1) add_wrong("dispatch_rows", 1);
  }
  // Wrong counts of every GPU.
  uint64_t my_wrong[4] = {wrong["dispatch_rows"], wrong["slot_counts"], wrong["combine_elements"], wrong["gemm_elements"]};
  const auto wrongs = st.comm.allgather(my_wrong, sizeof(my_wrong));
  uint64_t total_wrong[4] = {0, 0, 0, 0};
  for (int r = 0; r < P; ++r)
    for (int k = 0; k < 4; ++k) total_wrong[k] += reinterpret_cast<const uint64_t*>(wrongs.data())[r * 4 + k];
  metrics["wrong"] = {{"dispatch_rows", total_wrong[0]}, {"slot_counts", total_wrong[1]},
                      {"combine_elements", total_wrong[2]}, {"gemm_elements", total_wrong[3]}};
  const uint64_t wrong_sum = total_wrong[0] + total_wrong[1] + total_wrong[2] + total_wrong[3];

  // 2. Copy ceilings.
  metrics["copy"] = copy_ceilings(st, full, std::min(20, all_sms));

  // 3. Dispatch and combine alone, per SM count. The headline figures (top-level metrics, the
  // collective rows) are those at the workload's comm_sms when it is among the counts, else the first.
  const int iters = o.common.iterations;
  int headline_k = sms_list[0];
  for (int k : sms_list)
    if (k == w.deployment.comm_sms) headline_k = k;
  {
    // Combine's weighted rows (expert side) once, so that the timed transfers move real rows.
    Timer tw(full, iters);
    for (int r = 0; r < iters; ++r) {
      tw.start(r, full.stream);
      weight_expert_outputs(st, 0, all_sms, full);
      tw.stop(r, full.stream);
    }
    st.comm.sync(full.stream, "weighting timing");
    metrics["expert_weighting_us"] = tw.median_us(st.comm);
  }
  json by_sms;
  std::vector<CollectiveRow> rows;
  std::string report;
  for (size_t i = 0; i < sms_list.size(); ++i) {
    const int k = sms_list[i];
    for (int r = 0; r < o.common.warmup; ++r) {
      Lane::Use use(full);
      st.barrier(full.stream);
      dispatch(st, 0, k, full);
      combine(st, 0, k, full);
    }
    Timer td(full, iters), tc(full, iters);
    for (int r = 0; r < iters; ++r) {
      {
        Lane::Use use(full);
        st.barrier(full.stream);
        td.start(r, full.stream);
      }
      dispatch(st, 0, k, full);
      {
        Lane::Use use(full);
        td.stop(r, full.stream);
        st.barrier(full.stream);
        tc.start(r, full.stream);
      }
      combine(st, 0, k, full);
      Lane::Use use(full);
      tc.stop(r, full.stream);
    }
    st.comm.sync(full.stream, "dispatch/combine timing");
    st.check_barrier();
    const double dus = td.median_us(st.comm), cus = tc.median_us(st.comm);
    by_sms[std::to_string(k)] = {{"dispatch_us", dus},
                                 {"combine_us", cus},
                                 {"dispatch_GBps", GBps(d_all, dus)},
                                 {"combine_GBps", GBps(c_all, cus)},
                                 {"dispatch_link_GBps", GBps(d_link, dus)},
                                 {"combine_link_GBps", GBps(c_link, cus)}};
    if (k == headline_k) {
      metrics["dispatch_us"] = dus;
      metrics["combine_us"] = cus;
      metrics["dispatch_GBps"] = GBps(d_all, dus);
      metrics["combine_GBps"] = GBps(c_all, cus);
      metrics["dispatch_link_GBps"] = GBps(d_link, dus);
      metrics["combine_link_GBps"] = GBps(c_link, cus);
      auto drow = make_collective_row("dispatch", static_cast<uint64_t>(d_all),
                                      static_cast<uint64_t>(d_all / plan0.dispatch_row_bytes), "fp8_e4m3", dus, P,
                                      total_wrong[0] + total_wrong[1]);
      auto crow = make_collective_row("combine", static_cast<uint64_t>(c_all), static_cast<uint64_t>(c_all / 2),
                                      "bfloat16", cus, P, total_wrong[2]);
      rows.push_back(drow);
      rows.push_back(crow);
    }
    const std::string tag = mode == CommMode::sm ? fmt::format("{} SMs", k) : comm_mode_name(mode);
    report += row_text(("dispatch, " + tag).c_str(), dus, GBps(d_all, dus), GBps(d_link, dus));
    report += row_text(("combine,  " + tag).c_str(), cus, GBps(c_all, cus), GBps(c_link, cus));
    if (mode != CommMode::sm) break;
  }
  if (mode == CommMode::sm) {
    metrics["comm_sms"] = headline_k;
    metrics["by_comm_sms"] = by_sms;
  } else if (mode == CommMode::copy_engine) {
    metrics["comm_sms"] = 0;
  }

  // 4 and 5: GEMMs and the layer.
  if (gemm_on) {
    const int m_count = static_cast<int>(st.mb.size());
    double flops0 = experts->flops(st, 0);
    Timer tg(full, iters);
    for (int r = 0; r < o.common.warmup + iters; ++r) {
      Lane::Use use(full);
      if (r >= o.common.warmup) tg.start(r - o.common.warmup, full.stream);
      experts->run(st, 0, full);
      if (r >= o.common.warmup) tg.stop(r - o.common.warmup, full.stream);
    }
    st.comm.sync(full.stream, "GEMM timing");
    const double gus = tg.median_us(st.comm);
    metrics["gemm_us"] = gus;
    metrics["gemm_tflops"] = flops0 / (gus * 1e6);
    metrics["gemm_sms"] = all_sms;

    // GEMMs with k SMs withheld, for every k of the sweep (green contexts).
    std::string why;
    if (o.green_contexts) {
      json by_k;
      for (int kk : sms_list) {
        std::unique_ptr<SmPartition> pk = SmPartition::create(s.device, kk, &why);
        if (!pk) break;
        Timer tk(pk->gemm, iters);
        for (int r = 0; r < o.common.warmup + iters; ++r) {
          Lane::Use use(pk->gemm);
          if (r >= o.common.warmup) tk.start(r - o.common.warmup, pk->gemm.stream);
          experts->run(st, 0, pk->gemm);
          if (r >= o.common.warmup) tk.stop(r - o.common.warmup, pk->gemm.stream);
        }
        st.comm.sync(pk->gemm.stream, "confined GEMM sweep");
        const double us = tk.median_us(st.comm);
        by_k[std::to_string(kk)] = {{"gemm_sms", pk->gemm.sms}, {"gemm_us", us}, {"gemm_tflops", flops0 / (us * 1e6)}};
        report += fmt::format("  {:<34} {:>12.1f} us {:>10.1f} TFLOP/s ({} SMs for GEMMs, {} asked withheld)\n",
                              "expert GEMMs, confined", us, flops0 / (us * 1e6), pk->gemm.sms, kk);
      }
      if (!by_k.empty()) metrics["gemm_confined_by_comm_sms"] = by_k;
    }
    const int k = mode == CommMode::sm ? headline_k : (mode == CommMode::nccl ? 16 : 8);
    std::unique_ptr<SmPartition> part;
    if (o.green_contexts) part = SmPartition::create(s.device, k, &why);
    const Lane& gemm_lane = part ? part->gemm : full;
    // Communication always gets a stream of its own (NCCL on the primary context).
    Lane comm_primary = primary_lane(all_sms);
    const Lane& comm_lane = part && mode != CommMode::nccl ? part->comm : comm_primary;
    if (part) {
      metrics["green_context"] = {{"gemm_sms", part->gemm.sms},
                                  {"comm_sms", part->comm.sms},
                                  {"gemm_sms_seen", sms_seen(part->gemm, 4 * all_sms)},
                                  {"comm_sms_seen", sms_seen(part->comm, 4 * all_sms)},
                                  {"all_sms_seen", sms_seen(full, 4 * all_sms)}};
      Timer tq(gemm_lane, iters);
      for (int r = 0; r < o.common.warmup + iters; ++r) {
        Lane::Use use(gemm_lane);
        if (r >= o.common.warmup) tq.start(r - o.common.warmup, gemm_lane.stream);
        experts->run(st, 0, gemm_lane);
        if (r >= o.common.warmup) tq.stop(r - o.common.warmup, gemm_lane.stream);
      }
      st.comm.sync(gemm_lane.stream, "confined GEMM timing");
      const double qus = tq.median_us(st.comm);
      metrics["gemm_confined_us"] = qus;
      metrics["gemm_confined_sms"] = part->gemm.sms;
      metrics["gemm_confined_tflops"] = flops0 / (qus * 1e6);
    } else if (s.leader()) {
      std::printf("  green contexts not used: %s\n", o.green_contexts ? why.c_str() : "--no-green-contexts");
    }
    const int comm_k = mode == CommMode::sm ? headline_k : all_sms;

    // Overlapped layer: communication lane and GEMM lane, micro-batches pipelined.
    std::vector<cudaEvent_t> dispatched, computed;
    for (int m = 0; m < m_count; ++m) {
      dispatched.push_back(comm_lane.make_event(false));
      computed.push_back(gemm_lane.make_event(false));
    }
    Timer tl(comm_lane, iters), ts(full, iters);
    for (int r = 0; r < o.common.warmup + iters; ++r) {
      const bool timed = r >= o.common.warmup;
      {
        Lane::Use use(comm_lane);
        st.barrier(comm_lane.stream);
        if (timed) tl.start(r - o.common.warmup, comm_lane.stream);
      }
      for (int m = 0; m < m_count; ++m) {
        dispatch(st, m, comm_k, comm_lane);
        Lane::Use use(comm_lane);
        HWLAB_CUDA_CHECK(cudaEventRecord(dispatched[static_cast<size_t>(m)], comm_lane.stream));
      }
      for (int m = 0; m < m_count; ++m) {
        {
          Lane::Use use(gemm_lane);
          HWLAB_CUDA_CHECK(cudaStreamWaitEvent(gemm_lane.stream, dispatched[static_cast<size_t>(m)], 0));
        }
        experts->run(st, m, gemm_lane);
        Lane::Use use(gemm_lane);
        HWLAB_CUDA_CHECK(cudaEventRecord(computed[static_cast<size_t>(m)], gemm_lane.stream));
      }
      for (int m = 0; m < m_count; ++m) {
        {
          Lane::Use use(comm_lane);
          HWLAB_CUDA_CHECK(cudaStreamWaitEvent(comm_lane.stream, computed[static_cast<size_t>(m)], 0));
        }
        combine(st, m, comm_k, comm_lane);
      }
      Lane::Use use(comm_lane);
      if (timed) tl.stop(r - o.common.warmup, comm_lane.stream);
    }
    st.comm.sync(comm_lane.stream, "layer timing");
    st.check_barrier();
    const double lus = tl.median_us(st.comm);
    // Serial layer on the whole GPU: each micro-batch's dispatch, experts, combine in turn.
    for (int r = 0; r < o.common.warmup + iters; ++r) {
      const bool timed = r >= o.common.warmup;
      {
        Lane::Use use(full);
        st.barrier(full.stream);
        if (timed) ts.start(r - o.common.warmup, full.stream);
      }
      for (int m = 0; m < m_count; ++m) {
        dispatch(st, m, comm_k, full);
        experts->run(st, m, full);
        combine(st, m, comm_k, full);
      }
      Lane::Use use(full);
      if (timed) ts.stop(r - o.common.warmup, full.stream);
    }
    st.comm.sync(full.stream, "serial layer timing");
    st.check_barrier();
    const double sus = ts.median_us(st.comm);
    for (auto e : dispatched) cudaEventDestroy(e);
    for (auto e : computed) cudaEventDestroy(e);
    const double tokens = static_cast<double>(w.deployment.gpus()) * w.deployment.tokens_per_gpu * m_count;
    metrics["layer_us"] = lus;
    metrics["layer_serial_us"] = sus;
    metrics["tokens_per_s"] = tokens / (lus * 1e-6);
    metrics["micro_batches"] = m_count;
    report += fmt::format("  {:<34} {:>12.1f} us {:>10.1f} TFLOP/s (whole GPU, {} SMs; {}-scaled FP8)\n",
                          "expert GEMMs, micro-batch 0", gus, flops0 / (gus * 1e6), all_sms, o.gemm_scales);
    report += fmt::format("  {:<34} {:>12.1f} us ({} micro-batches overlapped; serial {:.1f} us)\n", "MoE layer", lus,
                          m_count, sus);
  }
  metrics["fold"] = fold_metrics(plan0);

  if (s.leader()) {
    std::printf("%s", report.c_str());
    const json& c = metrics["copy"];
    std::printf("  copy ceilings (%s): copy engine %.1f GB/s, SMs (all) %.1f GB/s\n",
                P > 1 ? "to the next GPU" : "local", c["copy_engine_GBps"].get<double>(), c["sm_all_GBps"].get<double>());
    std::printf("  wrong: dispatch rows %llu, slot counts %llu, combine elements %llu, GEMM elements %llu\n",
                static_cast<unsigned long long>(total_wrong[0]), static_cast<unsigned long long>(total_wrong[1]),
                static_cast<unsigned long long>(total_wrong[2]), static_cast<unsigned long long>(total_wrong[3]));
    std::fputs(format_collective_table(rows, "dispatch / combine (busiest GPU's bytes)").c_str(), stdout);
    std::fflush(stdout);
    if (!o.common.out.empty()) {
      const std::string platform = o.platform.empty() ? platform_for_device(s.prop.name) : o.platform;
      Result r = measured_result(platform_json(platform), workload_json(w), s.device_info, metrics, rows, s.command_line);
      r.run["comm"] = comm_mode_name(mode);
      if (mode == CommMode::sm) r.run["sm_combine"] = combine_method_name(combine_method);
      if (gemm_on) r.run["gemm_scales"] = o.gemm_scales;
      r.run["layer"] = o.layer;
      r.run["seed"] = w.routing.seed;
      r.run["fold"] = fmt::format("logical rank r on GPU floor(r * {} / {})", P, w.deployment.gpus());
      write_result(o.common.out, r);
    }
  }
  if (wrong_sum > 0) {
    if (s.leader()) std::fprintf(stderr, "hwlab: error: %llu wrong value(s)\n", static_cast<unsigned long long>(wrong_sum));
    return kExitInternalError;
  }
  return kExitOk;
}

}  // namespace

int run_measure_moe(const MoeOptions& o) {
  const CommMode mode = parse_comm_mode(o.comm);
  const CombineMethod combine_method = parse_combine_method(o.sm_combine);
  parse_block_scaling(o.gemm_scales);  // bad values stop here, before any rank starts
  auto run = workloads::load_run_configs({{config::ConfigKind::workload, o.workload}}, o.overrides);
  const workloads::WorkloadConfig w = *run.workload;
  if (o.layer < 0 || o.layer >= w.model.moe_layers())
    throw UserError(fmt::format("--layer {}: expected an MoE layer in [0, {})", o.layer, w.model.moe_layers()));
  if (o.repeat_hash < 0) throw UserError(fmt::format("--repeat-hash: expected 0 or more, found {}", o.repeat_hash));
  std::vector<int> sms = o.comm_sms.empty() ? std::vector<int>{w.deployment.comm_sms > 0 ? w.deployment.comm_sms : 20}
                                            : parse_sm_counts(o.comm_sms);
  if (!o.platform.empty()) platform_json(o.platform);
  return run_ranks(o.common, [&](RankSession& s) { return moe_rank(o, w, mode, combine_method, sms, s); });
}

}  // namespace hwlab::runtime
