#include "emulator/metrics.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "common/collective_table.h"

namespace hwlab::emulator {

namespace {

struct Extent {
  sc_time start = sc_core::SC_ZERO_TIME, end = sc_core::SC_ZERO_TIME;
  bool seen = false;
  void add(const TaskSpan& s) {
    start = seen ? std::min(start, s.start) : s.start;
    end = seen ? std::max(end, s.end) : s.end;
    seen = true;
  }
  double us() const { return to_us(end - start); }
};

// Busy times of every link direction and communication engine of a run, in one unit with `total`.
struct LinkBusy {
  std::vector<double> nvlink_tx, nvlink_rx, nic_tx, nic_rx, comm_engine;
  double total = 0;
};

// `link_util`: per kind, mean and max over its resources of busy / total.
nlohmann::json link_utilisation(const LinkBusy& b, bool multi_node) {
  nlohmann::json util = nlohmann::json::object();
  auto add = [&](const char* name, const std::vector<double>& busy) {
    if (busy.empty() || b.total == 0) return;
    double sum = 0, max = 0;
    for (double x : busy) {
      const double u = x / b.total;
      sum += u;
      max = std::max(max, u);
    }
    util[name] = {{"mean", sum / static_cast<double>(busy.size())}, {"max", max}};
  };
  add("nvlink_tx", b.nvlink_tx);
  add("nvlink_rx", b.nvlink_rx);
  if (multi_node) {
    add("nic_tx", b.nic_tx);
    add("nic_rx", b.nic_rx);
  }
  add("comm_engine", b.comm_engine);
  return util;
}

// The packet model: its servers' booked time (in ticks, as sc_time's own division).
LinkBusy packet_busy(const Cluster& c, const sc_time& step) {
  LinkBusy b;
  auto ticks = [](const BandwidthServer& s) { return s.stats().busy.to_double(); };
  for (const auto& sw : c.switches())
    for (int j = 0; j < c.workload().deployment.gpus_per_node; ++j) {
      b.nvlink_tx.push_back(ticks(sw->tx(j)));
      b.nvlink_rx.push_back(ticks(sw->rx(j)));
    }
  for (const auto& nic : c.nics()) {
    b.nic_tx.push_back(ticks(nic->tx()));
    b.nic_rx.push_back(ticks(nic->rx()));
  }
  for (const auto& g : c.gpus())
    for (const auto* s : g->issue_model().servers()) b.comm_engine.push_back(ticks(*s));
  b.total = step.to_double();
  return b;
}

// The flow-level network model: its resources' busy times, the co-processor's DMA pool counted as
// its engines, evenly loaded, beside its reduce unit (the packet model's servers).
LinkBusy flow_busy(const Cluster& c, const FlowEngine& flow, const sc_time& step) {
  const FlowBusy& f = flow.busy();
  LinkBusy b{f.nvlink_tx_us, f.nvlink_rx_us, f.nic_tx_us, f.nic_rx_us, {}, to_us(step)};
  for (size_t g = 0; g < f.nvlink_tx_us.size(); ++g) {
    if (c.coprocessor()) {
      double sends = 0;
      for (FlowRole r : {FlowRole::send_nvlink, FlowRole::send_ib, FlowRole::forward}) sends += f.role_us[static_cast<size_t>(r)][g];
      for (int e = 0; e < c.flow_network().dma_engines; ++e) b.comm_engine.push_back(sends);
      b.comm_engine.push_back(f.role_us[static_cast<size_t>(FlowRole::reduce)][g]);
    } else {
      for (const auto& role : f.role_us) b.comm_engine.push_back(role[g]);
    }
  }
  return b;
}

}  // namespace

RunMetrics collect_metrics(const Cluster& c) {
  const auto& w = c.workload();
  // Phase extents across GPUs: the phase lasts from the first GPU's start to the last GPU's end.
  std::map<std::tuple<int, int, int>, Extent> phases;  // (kind, layer, micro-batch)
  sc_time step = sc_core::SC_ZERO_TIME;
  for (const auto& g : c.gpus())
    for (const auto& s : g->spans()) {
      phases[{static_cast<int>(s.task.kind), s.task.layer, s.task.micro_batch}].add(s);
      step = std::max(step, s.end);
    }
  double sum[4] = {}, count[4] = {};
  for (const auto& [key, extent] : phases) {
    sum[std::get<0>(key)] += extent.us();
    count[std::get<0>(key)] += 1;
  }
  auto mean = [&](TaskKind k) {
    const auto i = static_cast<size_t>(k);
    return count[i] > 0 ? sum[i] / count[i] : 0.0;
  };

  RunMetrics r;
  nlohmann::json& m = r.metrics;
  const double step_us = to_us(step);
  const double tokens = static_cast<double>(w.deployment.gpus()) * w.deployment.tokens_per_gpu *
                        w.deployment.micro_batches;
  m["step_us"] = step_us;
  m["layers"] = c.layers();
  m["layer_us"] = step_us / c.layers();
  m["dispatch_us"] = mean(TaskKind::dispatch);
  m["combine_us"] = mean(TaskKind::combine);
  m["attention_us"] = mean(TaskKind::attention);
  m["gemm_us"] = mean(TaskKind::experts);
  // Through all MoE layers of the model at this layer time (dense layers are not modelled).
  m["tokens_per_s"] = step_us > 0 ? tokens / (step_us / c.layers() * w.model.moe_layers() * 1e-6) : 0.0;
  m["comm_sms"] = c.comm_sms();
  int wrong = 0;
  for (const auto& g : c.gpus()) wrong += g->wrong_deliveries();
  m["wrong_deliveries"] = wrong;
  m["gpus"] = w.deployment.gpus();

  // Bytes each GPU put on links, per phase and link class (means over GPUs, per micro-batch).
  const double phases_run = c.comm_only() ? 1.0 : static_cast<double>(c.layers()) * w.deployment.micro_batches;
  double bytes[2][2] = {};
  for (const auto& g : c.gpus())
    for (int comb = 0; comb < 2; ++comb)
      for (int ib = 0; ib < 2; ++ib) bytes[comb][ib] += static_cast<double>(g->bytes_sent(comb == 1, ib == 1));
  const double n = w.deployment.gpus();
  for (int comb = 0; comb < 2; ++comb) {
    const char* phase = comb ? "combine" : "dispatch";
    const double us = comb ? m["combine_us"].get<double>() : m["dispatch_us"].get<double>();
    const double nvl = bytes[comb][0] / n / phases_run, ib = bytes[comb][1] / n / phases_run;
    m[fmt::format("{}_nvlink_bytes_per_gpu", phase)] = nvl;
    m[fmt::format("{}_ib_bytes_per_gpu", phase)] = ib;
    m[fmt::format("{}_nvlink_GBps", phase)] = us > 0 ? nvl / (us * 1e3) : 0.0;
    m[fmt::format("{}_ib_GBps", phase)] = us > 0 ? ib / (us * 1e3) : 0.0;
    if (us > 0) {
      const auto per_gpu = static_cast<uint64_t>(nvl + ib);
      r.collectives.push_back(make_collective_row(phase, per_gpu, per_gpu / (comb ? 2 : 1),
                                                  comb ? "bfloat16" : "fp8_e4m3", us, w.deployment.gpus(),
                                                  static_cast<uint64_t>(wrong)));
    }
  }

  const FlowEngine* flow = c.flow();
  m["link_util"] = link_utilisation(flow ? flow_busy(c, *flow, step) : packet_busy(c, step), w.deployment.nodes > 1);
  if (flow) {
    // Which resource limited the phases; no queue stalls or RTL figures: the flow model issues no descriptors.
    for (bool combine : {false, true}) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [name, count] : flow->bottlenecks(combine)) list.push_back({{"resource", name}, {"phases", count}});
      r.run[combine ? "flow_combine_bottlenecks" : "flow_dispatch_bottlenecks"] = list;
    }
    return r;
  }
  if (c.registry().functional()) {
    const FunctionalTotals& f = c.registry().functional_totals();
    m["functional_phases"] = f.phases;
    m["functional_token_copies"] = f.token_copies;
    m["functional_wrong_copies"] = f.wrong_copies + f.wrong_destination_lists;
    m["functional_combined_rows"] = f.combined_rows;
    m["functional_wrong_combined_elements"] = f.wrong_combined_elements;
    m["functional_byte_mismatches"] = f.byte_mismatches;
    m["coproc_program_descriptors"] = f.descriptors;
    m["coproc_program_nvlink_bytes"] = f.payload_bytes[1];
    m["coproc_program_ib_bytes"] = f.payload_bytes[2];
  }
  if (c.registry().isa_programs()) {
    // The co-processors ran the ISA programs (proposal.coprocessor.program: isa).
    const ProgramTotals& p = c.registry().program_totals();
    m["coproc_isa_phases"] = p.phases;
    m["coproc_isa_descriptors"] = p.descriptors;
    m["coproc_isa_table_entries"] = p.table_entries;
    m["coproc_isa_plan_mismatches"] = p.plan_mismatches;  // 0: every batch is the plan's window
    if (p.plan_mismatches > 0) r.run["coproc_isa_first_mismatch"] = p.first_mismatch;
    // Mean time per GPU and phase spent in each WAIT after the GPU's own part was through.
    double waited[2] = {0, 0};
    for (const auto& g : c.gpus())
      for (int k = 0; k < 2; ++k) waited[k] += to_us(g->program_engine()->waited(k));
    const double per = static_cast<double>(c.gpus().size()) * static_cast<double>(std::max<int64_t>(1, p.phases));
    m["coproc_isa_dispatch_wait_us"] = waited[0] / per;
    m["coproc_isa_combine_wait_us"] = waited[1] / per;
  }
  if (c.coprocessor()) {
    double stalls = 0;
    CoprocessorRtlStats rtl;  // cycle-level co-processor (model rtl): what the RTL did, and its verdicts
    const CoprocessorRtl* any = nullptr;
    for (const auto& g : c.gpus()) {
      const auto& issue = static_cast<const CoprocessorIssueModel&>(g->issue_model());
      stalls += static_cast<double>(issue.queue_full_stalls());
      if (const CoprocessorRtl* r = issue.rtl()) {
        any = r;
        rtl += r->stats();
      }
    }
    m["coproc_queue_full_stalls"] = stalls;
    if (any) {
      m["coproc_rtl_clock_GHz"] = 1e-9 / any->period().to_seconds();  // of the period in whole ps
      m["coproc_rtl_reduce_units"] = any->units();
      m["coproc_rtl_descriptors"] = rtl.descriptors;
      m["coproc_rtl_decoder_mismatches"] = rtl.decoder_mismatches;
      m["coproc_rtl_decode_cycles"] = rtl.decode_cycles;
      m["coproc_rtl_reduce_jobs"] = rtl.reduce_jobs;
      m["coproc_rtl_reduce_cycles"] = rtl.reduce_cycles;
      m["coproc_rtl_reduce_elements_checked"] = rtl.reduce_elements_checked;
      m["coproc_rtl_reduce_wrong_elements"] = rtl.reduce_wrong_elements;
    }
  }
  return r;
}

std::string trace_json(const Cluster& c) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& g : c.gpus()) {
    events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", g->gpu_id()},
                      {"args", {{"name", fmt::format("gpu{}", g->gpu_id())}}}});
    for (int s = 0; s < 2; ++s)
      events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", g->gpu_id()}, {"tid", s},
                        {"args", {{"name", s == 0 ? "stream A (compute)" : "stream B (MoE / comm)"}}}});
    for (const auto& span : g->spans())
      events.push_back({{"ph", "X"},
                        {"name", fmt::format("{} L{} mb{}", task_name(span.task.kind), span.task.layer,
                                             span.task.micro_batch)},
                        {"cat", task_name(span.task.kind)},
                        {"pid", g->gpu_id()},
                        {"tid", span.stream},
                        {"ts", to_us(span.start)},
                        {"dur", to_us(span.end - span.start)}});
  }
  return nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ns"}}.dump() + "\n";
}

}  // namespace hwlab::emulator
