// Fuzzes the config loader: any bytes must either load as a config or fail with a UserError;
// never crash, hang, leak or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/config/node.h"
#include "common/config/platform.h"
#include "common/config/print.h"
#include "common/config/proposal.h"
#include "common/error.h"
#include "workloads/workload_config.h"

using namespace hwlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    config::ConfigNode tree = config::parse_yaml(text, "fuzz.yaml");
    // Read the tree as every kind, whatever its `kind:` says, so each schema sees every input.
    try {
      auto p = config::read_struct<config::PlatformConfig>(tree, "platform");
      (void)config::to_yaml(p);
      (void)p.max_endpoints();
    } catch (const UserError&) {
    }
    try {
      auto w = workloads::read_workload(tree);
      (void)config::to_json(w).dump();
      (void)w.model.dispatch_bytes_per_token();
    } catch (const UserError&) {
    }
    try {
      (void)config::to_yaml(config::read_struct<config::ProposalConfig>(tree, "proposal"));
    } catch (const UserError&) {
    }
    // Merging a tree onto itself exercises the overlay path.
    config::ConfigNode copy = tree;
    config::merge_into(copy, tree);
  } catch (const UserError&) {
  }
  return 0;
}
