#include <cstdio>

#include "common/version.h"
#include "tools/hwlab/commands.h"

namespace hwlab::cli {

void add_version_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the hwlab version and the git commit it was built from");
  cmd->callback([] { std::printf("hwlab %s (commit %s)\n", version(), git_commit()); });
}

}  // namespace hwlab::cli
