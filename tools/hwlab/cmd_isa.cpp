// `hwlab isa`: the co-processor ISA's tools (isa/README.md).
//
//   hwlab isa asm FILE.s -o FILE.bin        assemble (64-byte descriptors)
//   hwlab isa disasm FILE.bin [-o FILE.s]   disassemble (to stdout by default)
//   hwlab isa run FILE.s|FILE.bin [--memory init.yaml] [--dump GPU:OFFSET:BYTES[:TYPE]]...
//                                           execute; prints per-instruction and per-link-class counters
//   hwlab isa doc [--sv]                    the ISA reference (or the SystemVerilog package)
//   hwlab isa moe [WORKLOAD] [--set K=V]... [--layer L] -o PREFIX
//                                           a workload's routing as a DISPATCH/COMBINE program
//                                           (PREFIX.s) with its memory image and stand-in data (PREFIX.yaml)
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "isa/assembler.h"
#include "isa/disassembler.h"
#include "isa/docgen.h"
#include "isa/executor.h"
#include "isa/memory_init.h"
#include "isa/moe/moe_programs.h"
#include "tools/hwlab/commands.h"
#include "workloads/expert_layout.h"
#include "workloads/run_configs.h"
#include "workloads/token_router.h"

namespace hwlab::cli {
namespace {

struct IsaOptions {
  std::string input, output, memory;
  std::vector<std::string> dumps;
  uint64_t max_steps = uint64_t{1} << 26;
  bool sv = false;
  std::string workload = "dsv3-prefill";
  std::vector<std::string> overrides;
  int layer = 0;
};

bool is_binary(const std::string& path) { return path.size() >= 4 && path.compare(path.size() - 4, 4, ".bin") == 0; }

isa::Program load_program(const std::string& path) {
  return is_binary(path) ? isa::from_binary(read_file(path), path) : isa::assemble_file(path);
}

void run(const IsaOptions& o) {
  std::vector<isa::DumpRequest> dumps;
  for (const std::string& d : o.dumps) dumps.push_back(isa::parse_dump(d));
  const isa::Program program = load_program(o.input);
  isa::MemoryImage image;
  if (!o.memory.empty()) image = isa::load_memory_image(o.memory);
  isa::Memory memory;
  isa::apply(image, memory);
  isa::ExecutorOptions options;
  options.max_steps = o.max_steps;
  isa::Executor executor(memory, image.windows, options);
  executor.run(program);
  std::string out = executor.counters().table();
  for (const isa::DumpRequest& d : dumps) out += isa::dump_memory(memory, d);
  std::fputs(out.c_str(), stdout);
}

void moe(const IsaOptions& o) {
  const auto run_configs = workloads::load_run_configs({{config::ConfigKind::workload, o.workload}}, o.overrides);
  const workloads::WorkloadConfig& w = *run_configs.workload;
  if (o.layer < 0 || o.layer >= w.model.moe_layers())
    throw UserError("--layer " + std::to_string(o.layer) + ": expected an MoE layer in [0, " +
                    std::to_string(w.model.moe_layers()) + ")");
  const workloads::TokenRouter router(w);
  const workloads::ExpertLayout layout(w, router.history_loads(o.layer));
  const isa::moe::MoePrograms m = isa::moe::generate_moe_programs(w, layout, router.route_micro_batch(o.layer, 0));
  isa::MemoryImage image = m.image;
  for (isa::MemoryRegion& r : isa::moe::example_data(m)) image.regions.push_back(std::move(r));
  const std::string header = "# " + w.name + ", MoE layer " + std::to_string(o.layer) + ", micro-batch 0: " +
                             std::to_string(m.gpus) + " GPUs x " + std::to_string(m.tokens_per_gpu) +
                             " tokens, hidden " + std::to_string(m.hidden) + " (hwlab isa moe)\n";
  write_file_atomically(o.output + ".s", header + isa::disassemble(isa::moe::merged_program(m)));
  write_file_atomically(o.output + ".yaml", header + isa::moe::memory_image_yaml(image));
}

}  // namespace

void add_isa_command(CLI::App& app) {
  auto* isa_cmd = app.add_subcommand("isa", "Communication co-processor ISA: assemble, disassemble, run, document");
  isa_cmd->require_subcommand(1);
  auto o = std::make_shared<IsaOptions>();

  auto* asm_cmd = isa_cmd->add_subcommand("asm", "Assemble a program into 64-byte descriptors");
  asm_cmd->add_option("file", o->input, "assembly source (.s)")->required();
  asm_cmd->add_option("-o,--out", o->output, "binary output (.bin)")->required();
  asm_cmd->callback([o] { write_file_atomically(o->output, isa::to_binary(isa::assemble_file(o->input))); });

  auto* dis_cmd = isa_cmd->add_subcommand("disasm", "Disassemble a binary program (assembles back to the same bytes)");
  dis_cmd->add_option("file", o->input, "binary program (.bin)")->required();
  dis_cmd->add_option("-o,--out", o->output, "write the text here instead of stdout");
  dis_cmd->callback([o] {
    const std::string text = isa::disassemble(isa::from_binary(read_file(o->input), o->input));
    if (o->output.empty()) std::fputs(text.c_str(), stdout);
    else write_file_atomically(o->output, text);
  });

  auto* run_cmd = isa_cmd->add_subcommand("run", "Execute a program on the functional multi-GPU executor");
  run_cmd->add_option("file", o->input, "program: assembly (.s) or binary (.bin)")->required();
  run_cmd->add_option("--memory", o->memory, "memory image: windows and initial regions (YAML)");
  run_cmd->add_option("--dump", o->dumps, "print memory after the run: GPU:OFFSET:BYTES[:TYPE], e.g. n1.g0:0x0:64:bf16");
  run_cmd->add_option("--max-steps", o->max_steps, "stop after this many executed descriptors");
  run_cmd->callback([o] { run(*o); });

  auto* moe_cmd = isa_cmd->add_subcommand("moe", "Generate the DISPATCH/COMBINE program of a workload's routing");
  moe_cmd->add_option("workload", o->workload, "workload preset or YAML file (default dsv3-prefill)");
  moe_cmd->add_option("--set", o->overrides, "override a key: workload.model.hidden_size=64 (repeatable)");
  moe_cmd->add_option("--layer", o->layer, "MoE layer (default 0)");
  moe_cmd->add_option("-o,--out", o->output, "output prefix: writes PREFIX.s and PREFIX.yaml")->required();
  moe_cmd->callback([o] { moe(*o); });

  auto* doc_cmd = isa_cmd->add_subcommand("doc", "Print the ISA reference (Markdown), derived from the instruction table");
  doc_cmd->add_flag("--sv", o->sv, "print the SystemVerilog package of opcodes and field offsets instead");
  doc_cmd->callback([o] {
    std::fputs((o->sv ? isa::systemverilog_package() : isa::reference_markdown()).c_str(), stdout);
  });
}

}  // namespace hwlab::cli
