// The GPU-machine build of `hwlab`: the same `measure`, `compare` and `version` commands as the full
// binary (same sources: tools/hwlab/cmd_*.cpp), without the emulator and the other layers, so that the
// portable binary carried to the lent GPU machines depends on nothing but CUDA, NCCL and cuBLASLt
// there (tools/device/build.sh stages it as build/device-stage/hwlab).
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "tools/hwlab/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"hwlab (GPU-machine build): real-GPU baseline measurements and result comparison"};
  app.require_subcommand(1);
  hwlab::cli::add_version_command(app);
  hwlab::cli::add_measure_command(app, argc, argv);
  hwlab::cli::add_compare_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
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
