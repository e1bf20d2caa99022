// hwlab: hardware co-design emulator and proposed-ISA testbed. One binary, one subcommand per job.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <yaml-cpp/exceptions.h>

#include "common/error.h"
#include "tools/hwlab/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"hwlab: DeepSeek-V3 MoE hardware co-design emulator and proposed-ISA testbed"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");

  hwlab::cli::add_version_command(app);
  hwlab::cli::add_config_command(app);
  hwlab::cli::add_eplb_command(app);
  hwlab::cli::add_workload_command(app);
  hwlab::cli::add_emulate_command(app, argc, argv);
  hwlab::cli::add_fp8_command(app);
  hwlab::cli::add_measure_command(app, argc, argv);
  hwlab::cli::add_compare_command(app);
  hwlab::cli::add_isa_command(app);
  hwlab::cli::add_sweep_command(app, argc, argv);
  hwlab::cli::add_rtl_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports bad arguments with its own text; they are user errors.
    app.exit(e);
    return hwlab::kExitUserError;
  } catch (const hwlab::UserError& e) {
    std::fprintf(stderr, "hwlab: error: %s\n", e.what());
    return hwlab::kExitUserError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hwlab: internal error: %s\n", e.what());
    return hwlab::kExitInternalError;
  }
  return hwlab::kExitOk;
}
