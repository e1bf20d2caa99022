// Each `hwlab` subcommand lives in its own cmd_<name>.cpp and registers itself here.
// Conventions for every command:
//  - bad arguments, configs or input files throw hwlab::UserError (exit 2, message on stderr);
//  - output files are written with hwlab::write_file_atomically (no partial files on failure);
//  - results go to stdout, diagnostics to stderr.
#pragma once

#include <CLI/CLI.hpp>

namespace hwlab::cli {

void add_version_command(CLI::App& app);
void add_config_command(CLI::App& app);
void add_eplb_command(CLI::App& app);
void add_workload_command(CLI::App& app);
void add_emulate_command(CLI::App& app, int argc, char** argv);
void add_fp8_command(CLI::App& app);
void add_measure_command(CLI::App& app, int argc, char** argv);
void add_compare_command(CLI::App& app);
void add_isa_command(CLI::App& app);
void add_sweep_command(CLI::App& app, int argc, char** argv);
void add_rtl_command(CLI::App& app);

}  // namespace hwlab::cli
