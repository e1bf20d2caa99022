// Documents derived from the instruction table: the ISA reference (papers/isa/reference.md) and the
// SystemVerilog package of opcodes and field offsets for the RTL (rtl/generated/hwlab_isa_pkg.sv).
// Both are pure functions of the table, so the checked-in copies can be compared with a fresh build.
#pragma once

#include <string>

namespace hwlab::isa {

std::string reference_markdown();
std::string systemverilog_package();

// Where the checked-in copies live, relative to the source root.
inline constexpr const char* kReferencePath = "papers/isa/reference.md";
inline constexpr const char* kPackagePath = "rtl/generated/hwlab_isa_pkg.sv";

}  // namespace hwlab::isa
