# Co-processor blocks (rtl/coproc): lint, the bit-exact benches against isa/, and the SystemC models.
#   rtl:lint_coproc        verilator --lint-only -Wall on each block
#   test_rtl_coproc:*      decoder vs isa::decode, reduce unit vs REDUCE (Executor), random back-pressure;
#                          HWLAB_RTL_VECTORS=N for a full run, HWLAB_RTL_TRACE=file.fst for the first
#                          failing vector's waveform
#   test_rtl_coproc_sc:*   the Verilated SystemC models through RtlDescDecoder / RtlReduceUnit: results
#                          and cycle counts
if(NOT TARGET hwlab_rtl_coproc)
  return()
endif()

add_test(NAME rtl:lint_coproc
         COMMAND sh -c "\"$0\" --lint-only -Wall --top-module hwlab_desc_decoder $1 $2 && \
\"$0\" --lint-only -Wall --top-module hwlab_reduce_unit $3 $4"
                 ${VERILATOR_BIN} ${HWLAB_RTL_COPROC_DECODER_SV} ${HWLAB_RTL_COPROC_REDUCE_SV})
set_tests_properties(rtl:lint_coproc PROPERTIES LABELS cpu)

hwlab_test(test_rtl_coproc
  coproc/test_decoder.cpp
  coproc/test_reduce.cpp
  ${PROJECT_SOURCE_DIR}/tests/isa_core/random_program.cpp
)
target_link_libraries(test_rtl_coproc PRIVATE hwlab_rtl_coproc hwlab_isa)
# Verilator's headers and output are not ours to warn about (-isystem wins over the models' -I).
target_include_directories(test_rtl_coproc SYSTEM PRIVATE ${VERILATOR_ROOT}/include
  ${PROJECT_BINARY_DIR}/rtl/CMakeFiles/hwlab_rtl_coproc.dir/Vhwlab_desc_decoder.dir
  ${PROJECT_BINARY_DIR}/rtl/CMakeFiles/hwlab_rtl_coproc.dir/Vhwlab_reduce_unit.dir)

hwlab_test(test_rtl_coproc_sc coproc/test_coproc_sc.cpp)
target_link_libraries(test_rtl_coproc_sc PRIVATE hwlab_rtl_coproc_sc hwlab_isa)
# SystemC's headers are not ours to warn about.
target_compile_options(test_rtl_coproc_sc PRIVATE -Wno-conversion -Wno-shadow -Wno-pedantic)
