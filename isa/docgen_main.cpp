// hwlab_isa_docgen: writes or checks the documents derived from the instruction table.
//   hwlab_isa_docgen --write DIR   writes DIR/papers/isa/reference.md and DIR/rtl/generated/hwlab_isa_pkg.sv
//   hwlab_isa_docgen --check DIR   exit 1 when DIR's copies differ from the table (CI), naming the command
//                                  that regenerates them
#include <cstdio>
#include <filesystem>
#include <string>

#include "common/atomic_file.h"
#include "common/error.h"
#include "isa/docgen.h"

namespace {

int usage() {
  std::fputs("usage: hwlab_isa_docgen --write DIR | --check DIR\n", stderr);
  return hwlab::kExitUserError;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return usage();
  const std::string mode = argv[1];
  const std::filesystem::path root = argv[2];
  const std::pair<const char*, std::string> docs[] = {
      {hwlab::isa::kReferencePath, hwlab::isa::reference_markdown()},
      {hwlab::isa::kPackagePath, hwlab::isa::systemverilog_package()},
  };
  try {
    if (mode == "--write") {
      for (const auto& [path, text] : docs) {
        std::filesystem::create_directories((root / path).parent_path());
        hwlab::write_file_atomically((root / path).string(), text);
      }
      return hwlab::kExitOk;
    }
    if (mode != "--check") return usage();
    int stale = 0;
    for (const auto& [path, text] : docs) {
      std::string current;
      try {
        current = hwlab::read_file((root / path).string());
      } catch (const hwlab::UserError&) {
      }
      if (current == text) continue;
      std::fprintf(stderr, "%s is not current with the instruction table (isa/table.cpp, isa/insns/)\n",
                   (root / path).string().c_str());
      ++stale;
    }
    if (stale) {
      std::fputs("regenerate with: cmake --build <build dir> --target isa_docs_update\n", stderr);
      return 1;
    }
    return hwlab::kExitOk;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hwlab_isa_docgen: %s\n", e.what());
    return 1;
  }
}
