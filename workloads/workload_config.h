// The workload config: a MoE model (DeepSeek-V3 by default), how it is deployed (prefill or decode,
// parallelism, tokens per GPU), how tokens are routed, and how experts are placed on GPUs.
#pragma once

#include <cstdint>
#include <string>

#include "common/config/fields.h"

namespace hwlab::workloads {

using config::at_least;
using config::between;
using config::positive;

struct AttentionSpec {
  int num_heads = 0, q_lora_rank = 0, kv_lora_rank = 0, qk_nope_head_dim = 0, qk_rope_head_dim = 0, v_head_dim = 0;

  template <class V>
  void fields(V& v) {
    v.required("num_heads", num_heads, "attention heads", at_least(1));
    v.required("q_lora_rank", q_lora_rank, "MLA query compression rank", at_least(0));
    v.required("kv_lora_rank", kv_lora_rank, "MLA key-value compression rank", at_least(1));
    v.required("qk_nope_head_dim", qk_nope_head_dim, "query/key head dimension without RoPE", at_least(1));
    v.required("qk_rope_head_dim", qk_rope_head_dim, "query/key head dimension with RoPE", at_least(0));
    v.required("v_head_dim", v_head_dim, "value head dimension", at_least(1));
  }
};

enum class DispatchDtype { fp8_e4m3, bf16 };
inline const config::Choices<DispatchDtype>& dispatch_dtype_choices() {
  static const config::Choices<DispatchDtype> c = {{"fp8-e4m3", DispatchDtype::fp8_e4m3}, {"bf16", DispatchDtype::bf16}};
  return c;
}

struct ModelSpec {
  std::string name;
  int hidden_size = 0;
  int num_layers = 0;
  int num_dense_layers = 0;
  int routed_experts = 0;
  int shared_experts = 0;
  int experts_per_token = 0;
  int expert_groups = 0;
  int max_groups_per_token = 0;
  int expert_intermediate_size = 0;
  int dense_intermediate_size = 0;
  AttentionSpec attention;
  DispatchDtype dispatch_dtype = DispatchDtype::fp8_e4m3;
  int dispatch_scale_block = 0;

  template <class V>
  void fields(V& v) {
    v.required("name", name, "model name");
    v.required("hidden_size", hidden_size, "hidden dimension (channels per token)", at_least(1));
    v.required("num_layers", num_layers, "transformer layers", at_least(1));
    v.required("num_dense_layers", num_dense_layers, "leading layers with a dense FFN instead of MoE", at_least(0));
    v.required("routed_experts", routed_experts, "routed experts per MoE layer", at_least(1));
    v.required("shared_experts", shared_experts, "shared experts per MoE layer", at_least(0));
    v.required("experts_per_token", experts_per_token, "routed experts each token selects (top-k)", at_least(1));
    v.required("expert_groups", expert_groups, "groups for node-limited routing", at_least(1));
    v.required("max_groups_per_token", max_groups_per_token,
               "groups (nodes) a token may reach: M of node-limited routing", at_least(1));
    v.required("expert_intermediate_size", expert_intermediate_size, "FFN width of one expert", at_least(1));
    v.required("dense_intermediate_size", dense_intermediate_size, "FFN width of the dense layers", at_least(1));
    v.section("attention", attention, "multi-head latent attention");
    v.choice("dispatch_dtype", dispatch_dtype, dispatch_dtype_choices(), "payload type of dispatch");
    v.required("dispatch_scale_block", dispatch_scale_block, "channels per FP32 scale of an FP8 dispatch payload",
               at_least(1));
  }

  int moe_layers() const { return num_layers - num_dense_layers; }
  // Bytes of one token's dispatch payload: FP8 values plus one FP32 scale per block, or BF16 values.
  int64_t dispatch_bytes_per_token() const;
  // Bytes of one token's combine payload: BF16 values.
  int64_t combine_bytes_per_token() const { return 2LL * hidden_size; }
};

enum class Phase { prefill, decode };
inline const config::Choices<Phase>& phase_choices() {
  static const config::Choices<Phase> c = {{"prefill", Phase::prefill}, {"decode", Phase::decode}};
  return c;
}

// Where the shared expert runs: on every GPU beside attention (prefill), or on its own GPUs,
// reached like a routed expert that every token selects (decode, DeepSeek-V3 report §3.4.2).
enum class SharedExpertMode { local, routed };
inline const config::Choices<SharedExpertMode>& shared_expert_mode_choices() {
  static const config::Choices<SharedExpertMode> c = {{"local", SharedExpertMode::local},
                                                      {"routed", SharedExpertMode::routed}};
  return c;
}

// How a token reaches GPUs on other nodes. nvlink-forwarding: one IB transfer per (token, node) to
// the GPU with the sender's in-node index, which forwards over NVLink (DeepSeek-V3 prefill, DeepEP
// normal kernels). direct-ib: one IB transfer per (token, remote GPU) (decode, DeepEP low-latency).
enum class InternodePath { nvlink_forwarding, direct_ib };
inline const config::Choices<InternodePath>& internode_path_choices() {
  static const config::Choices<InternodePath> c = {{"nvlink-forwarding", InternodePath::nvlink_forwarding},
                                                   {"direct-ib", InternodePath::direct_ib}};
  return c;
}

struct DeploymentSpec {
  Phase phase = Phase::prefill;
  int nodes = 0;
  int gpus_per_node = 0;
  int attention_tp = 0;
  int attention_dp = 0;
  int expert_parallel = 0;
  int redundant_experts = 0;
  SharedExpertMode shared_expert = SharedExpertMode::local;
  int shared_expert_gpus = 0;
  int micro_batches = 0;
  int tokens_per_gpu = 0;
  int context_tokens = 0;
  int comm_sms = 0;
  InternodePath internode_path = InternodePath::nvlink_forwarding;

  template <class V>
  void fields(V& v) {
    v.choice("phase", phase, phase_choices(), "inference phase");
    v.required("nodes", nodes, "nodes in the deployment unit", at_least(1));
    v.required("gpus_per_node", gpus_per_node, "GPUs per node", at_least(1));
    v.required("attention_tp", attention_tp, "tensor parallelism of attention (with sequence parallelism)", at_least(1));
    v.required("attention_dp", attention_dp, "data parallelism of attention", at_least(1));
    v.required("expert_parallel", expert_parallel, "GPUs the MoE layer is spread over (EP)", at_least(1));
    v.required("redundant_experts", redundant_experts, "extra replicas of high-load experts", at_least(0));
    v.choice("shared_expert", shared_expert, shared_expert_mode_choices(), "where the shared expert runs");
    v.required("shared_expert_gpus", shared_expert_gpus, "GPUs hosting only shared experts (routed mode)", at_least(0));
    v.required("micro_batches", micro_batches, "micro-batches overlapped", between(1, 2));
    v.required("tokens_per_gpu", tokens_per_gpu, "tokens each GPU dispatches per micro-batch", at_least(1));
    v.required("context_tokens", context_tokens,
               "attention context: prefill sequence length (causal), decode KV-cache length per sequence", at_least(1));
    v.required("comm_sms", comm_sms, "SMs given to dispatch/combine in the SM-driven baseline", at_least(0));
    v.choice("internode_path", internode_path, internode_path_choices(), "how tokens reach other nodes");
  }

  int gpus() const { return nodes * gpus_per_node; }
  // GPUs that host routed experts (the rest host shared experts only).
  int routed_expert_gpus() const { return expert_parallel - shared_expert_gpus; }
};

enum class Popularity { uniform, zipf, hot_experts, trace };
inline const config::Choices<Popularity>& popularity_choices() {
  static const config::Choices<Popularity> c = {{"uniform", Popularity::uniform},
                                                {"zipf", Popularity::zipf},
                                                {"hot-experts", Popularity::hot_experts},
                                                {"trace", Popularity::trace}};
  return c;
}

struct RoutingSpec {
  Popularity popularity = Popularity::uniform;
  double zipf_exponent = 1.0;
  int hot_expert_count = 8;
  double hot_expert_weight = 8.0;
  bool shuffle_popularity = true;
  uint64_t seed = 1;
  std::string trace_file;

  template <class V>
  void fields(V& v) {
    v.choice("popularity", popularity, popularity_choices(), "how often each expert is chosen");
    v.optional("zipf_exponent", zipf_exponent, 1.0, "zipf: weight of popularity rank r is 1/(r+1)^s", positive());
    v.optional("hot_expert_count", hot_expert_count, 8, "hot-experts: how many experts are hot", at_least(1));
    v.optional("hot_expert_weight", hot_expert_weight, 8.0, "hot-experts: weight of a hot expert over a cold one",
               positive());
    v.optional("shuffle_popularity", shuffle_popularity, true,
               "popularity ranks by a seeded permutation (not expert-id order)");
    v.required("seed", seed, "seed of the routing generator", at_least(0));
    v.optional("trace_file", trace_file, std::string(),
               "trace: DeepEP-style topk_idx (.npy int64 [tokens, k] or .csv), relative to this file");
  }
};

enum class PlacementPolicy { eplb_auto, eplb_hierarchical, eplb_global, contiguous };
inline const config::Choices<PlacementPolicy>& placement_policy_choices() {
  static const config::Choices<PlacementPolicy> c = {{"eplb-auto", PlacementPolicy::eplb_auto},
                                                     {"eplb-hierarchical", PlacementPolicy::eplb_hierarchical},
                                                     {"eplb-global", PlacementPolicy::eplb_global},
                                                     {"contiguous", PlacementPolicy::contiguous}};
  return c;
}

struct PlacementSpec {
  PlacementPolicy policy = PlacementPolicy::eplb_auto;
  int history_tokens_per_gpu = 0;

  template <class V>
  void fields(V& v) {
    v.choice("policy", policy, placement_policy_choices(),
             "expert placement (eplb-auto: hierarchical when groups divide nodes, else global)");
    v.required("history_tokens_per_gpu", history_tokens_per_gpu,
               "tokens per GPU of an earlier batch whose expert loads EPLB balances", at_least(1));
  }
};

struct WorkloadConfig {
  std::string name;
  std::string description;
  ModelSpec model;
  DeploymentSpec deployment;
  RoutingSpec routing;
  PlacementSpec placement;

  template <class V>
  void fields(V& v) {
    v.passthrough("kind");
    v.required("name", name, "preset name");
    v.optional("description", description, std::string(), "where the figures come from");
    v.section("model", model, "the MoE model");
    v.section("deployment", deployment, "how the model is deployed");
    v.section("routing", routing, "how tokens choose experts");
    v.section("placement", placement, "how experts are placed on GPUs");
  }
  void check(const config::Checker& c) const;

  // Physical expert slots (routed experts plus redundant replicas) and slots per routed-expert GPU.
  int physical_experts() const { return model.routed_experts + deployment.redundant_experts; }
  int experts_per_gpu() const { return physical_experts() / deployment.routed_expert_gpus(); }
};

// Reads a workload tree; a relative trace_file is resolved against the folder of the file that set it.
WorkloadConfig read_workload(const config::ConfigNode& tree);

}  // namespace hwlab::workloads
