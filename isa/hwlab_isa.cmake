# The co-processor ISA (isa/README.md): one instruction table and everything derived from it.
# Depends only on hwlab_common and hwlab_numerics.
add_library(hwlab_isa
  operands.cpp
  table.cpp
  instruction.cpp
  encoding.cpp
  program.cpp
  asm_syntax.cpp
  assembler.cpp
  disassembler.cpp
  memory.cpp
  memory_init.cpp
  counters.cpp
  exec_context.cpp
  executor.cpp
  rows.cpp
  logfmt.cpp
  routing_table.cpp
  docgen_reference.cpp
  docgen_sv.cpp
  insns/nop.cpp
  insns/queue.cpp
  insns/fence.cpp
  insns/loop.cpp
  insns/read.cpp
  insns/write.cpp
  insns/multicast.cpp
  insns/forward.cpp
  insns/reduce.cpp
  insns/signal.cpp
  insns/wait.cpp
  insns/cast.cpp
  insns/logfmt_enc.cpp
  insns/logfmt_dec.cpp
  insns/dispatch.cpp
  insns/combine.cpp
  insns/mma_fp8.cpp
  insns/ldtrans.cpp
  insns/wcast.cpp
)
target_link_libraries(hwlab_isa PUBLIC hwlab_common hwlab_numerics)
hwlab_warnings(hwlab_isa)

# The reference and the RTL package are generated at build time into the build tree; the test
# isa:docs_current (tests/CMakeLists.txt) compares the checked-in copies with the table, and the
# target isa_docs_update refreshes them.
add_executable(hwlab_isa_docgen docgen_main.cpp)
target_link_libraries(hwlab_isa_docgen PRIVATE hwlab_isa)
hwlab_warnings(hwlab_isa_docgen)
set(HWLAB_ISA_GENERATED ${CMAKE_CURRENT_BINARY_DIR}/generated)
add_custom_command(
  OUTPUT ${HWLAB_ISA_GENERATED}/papers/isa/reference.md ${HWLAB_ISA_GENERATED}/rtl/generated/hwlab_isa_pkg.sv
  COMMAND hwlab_isa_docgen --write ${HWLAB_ISA_GENERATED}
  DEPENDS hwlab_isa_docgen
  COMMENT "Generating the ISA reference and SystemVerilog package")
add_custom_target(isa_docs ALL
  DEPENDS ${HWLAB_ISA_GENERATED}/papers/isa/reference.md ${HWLAB_ISA_GENERATED}/rtl/generated/hwlab_isa_pkg.sv)
add_custom_target(isa_docs_update
  COMMAND hwlab_isa_docgen --write ${PROJECT_SOURCE_DIR}
  COMMENT "Writing papers/isa/reference.md and rtl/generated/hwlab_isa_pkg.sv into the source tree")

add_subdirectory(moe)
