# Verilator test benches of the FP8 dot-product-accumulate unit (rtl/fp8_dpa; rtl/README.md):
#   test_rtl_fp8_dpa         every variant against isa/numerics, crafted + random vectors
#                            (HWLAB_RTL_VECTORS=N random vectors per variant, default 20000)
#   test_rtl_fp8_dpa_traced  the same bench over the traced models (HWLAB_RTL_TRACE=file.fst),
#                            built only on request
#   rtl:lint_fp8_dpa         verilator --lint-only -Wall on the top module with each variant's
#                            parameters (-G overrides from fp8_dpa_variants.h)
if(NOT TARGET hwlab_rtl_fp8_dpa)
  return()
endif()
# The bench's sources (fp8_dpa/test_fp8_dpa.cpp says which file does what); both benches build them.
set(HWLAB_FP8_DPA_TEST_SOURCES
  fp8_dpa/fp8_dpa_bench.cpp
  fp8_dpa/fp8_dpa_vectors.cpp
  fp8_dpa/test_fp8_dpa_crafted.cpp
  fp8_dpa/test_fp8_dpa_random.cpp
  fp8_dpa/test_fp8_dpa_variants.cpp
  fp8_dpa/test_fp8_dpa.cpp
)
hwlab_test(test_rtl_fp8_dpa ${HWLAB_FP8_DPA_TEST_SOURCES})
target_link_libraries(test_rtl_fp8_dpa PRIVATE hwlab_rtl_fp8_dpa hwlab_numerics)

add_executable(test_rtl_fp8_dpa_traced EXCLUDE_FROM_ALL ${HWLAB_FP8_DPA_TEST_SOURCES}
               $<TARGET_OBJECTS:hwlab_catch_main>)
target_link_libraries(test_rtl_fp8_dpa_traced PRIVATE hwlab_rtl_fp8_dpa_traced hwlab_numerics Catch2::Catch2)
hwlab_warnings(test_rtl_fp8_dpa_traced)

find_program(HWLAB_VERILATOR_EXE verilator)
add_test(NAME rtl:lint_fp8_dpa
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/fp8_dpa/lint.sh ${HWLAB_VERILATOR_EXE}
                 ${HWLAB_FP8_DPA_DIR} ${HWLAB_FP8_DPA_LINT_SPECS})
set_tests_properties(rtl:lint_fp8_dpa PROPERTIES LABELS cpu)
