# Co-processor blocks (rtl/README.md, "Co-processor blocks"): the descriptor decoder and the streaming
# reduce unit, Verilated twice --
#   hwlab_rtl_coproc     C++ models with FST tracing, for the bit-exact benches (tests/rtl/coproc.cmake)
#   hwlab_rtl_coproc_sc  SystemC models and their timing-aware wrappers (RtlDescDecoder, RtlReduceUnit)
#                        for the emulator's co-processor
# Verilated code is compiled at -O1: it builds in a fraction of the -O3 time and the benches stay fast.
set(_coproc ${CMAKE_CURRENT_LIST_DIR})
set(HWLAB_RTL_COPROC_DECODER_SV ${HWLAB_RTL_DIR}/generated/hwlab_isa_pkg.sv ${_coproc}/hwlab_desc_decoder.sv
    CACHE INTERNAL "RTL of the descriptor decoder, package first")
set(HWLAB_RTL_COPROC_REDUCE_SV ${_coproc}/hwlab_fp32_add.sv ${_coproc}/hwlab_reduce_unit.sv
    CACHE INTERNAL "RTL of the streaming reduce unit")

# Bench models: Vhwlab_desc_decoder, Vhwlab_reduce_unit.
add_library(hwlab_rtl_coproc STATIC)
verilate(hwlab_rtl_coproc PREFIX Vhwlab_desc_decoder TOP_MODULE hwlab_desc_decoder TRACE_FST
         SOURCES ${HWLAB_RTL_COPROC_DECODER_SV} VERILATOR_ARGS -Wno-fatal)
verilate(hwlab_rtl_coproc PREFIX Vhwlab_reduce_unit TOP_MODULE hwlab_reduce_unit TRACE_FST
         SOURCES ${HWLAB_RTL_COPROC_REDUCE_SV} VERILATOR_ARGS -Wno-fatal)
target_compile_options(hwlab_rtl_coproc PRIVATE -O1 -w)
target_compile_definitions(hwlab_rtl_coproc PUBLIC VM_TRACE=1 VM_TRACE_FST=1)
find_package(ZLIB REQUIRED)  # FST traces
target_link_libraries(hwlab_rtl_coproc PUBLIC ZLIB::ZLIB)

# SystemC models, then the wrappers over them. SystemC comes from pkg-config (emulator/CMakeLists.txt
# has the why); the imported target is GLOBAL so that the emulator can link these from its own folder.
find_package(PkgConfig REQUIRED)
pkg_check_modules(HWLAB_RTL_SYSTEMC REQUIRED IMPORTED_TARGET GLOBAL systemc)
add_library(hwlab_rtl_coproc_sc_models STATIC)
verilate(hwlab_rtl_coproc_sc_models SYSTEMC PREFIX Vhwlab_desc_decoder_sc TOP_MODULE hwlab_desc_decoder
         SOURCES ${HWLAB_RTL_COPROC_DECODER_SV} VERILATOR_ARGS -Wno-fatal)
verilate(hwlab_rtl_coproc_sc_models SYSTEMC PREFIX Vhwlab_reduce_unit_sc TOP_MODULE hwlab_reduce_unit
         SOURCES ${HWLAB_RTL_COPROC_REDUCE_SV} VERILATOR_ARGS -Wno-fatal)
target_compile_options(hwlab_rtl_coproc_sc_models PRIVATE -O1 -w)
# verilated.h has inline code under VM_SC: every file that includes it must agree.
target_compile_definitions(hwlab_rtl_coproc_sc_models PUBLIC VM_SC=1)
target_link_libraries(hwlab_rtl_coproc_sc_models PUBLIC PkgConfig::HWLAB_RTL_SYSTEMC)

add_library(hwlab_rtl_coproc_sc STATIC ${_coproc}/rtl_desc_decoder.cpp ${_coproc}/rtl_reduce_unit.cpp)
target_link_libraries(hwlab_rtl_coproc_sc PUBLIC hwlab_isa PkgConfig::HWLAB_RTL_SYSTEMC
                                          PRIVATE hwlab_rtl_coproc_sc_models)
target_include_directories(hwlab_rtl_coproc_sc PUBLIC ${PROJECT_SOURCE_DIR})
# Verilator's headers and output are not ours to warn about (-isystem wins over the models' -I).
target_include_directories(hwlab_rtl_coproc_sc SYSTEM PRIVATE ${VERILATOR_ROOT}/include
  ${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/hwlab_rtl_coproc_sc_models.dir/Vhwlab_desc_decoder_sc.dir
  ${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/hwlab_rtl_coproc_sc_models.dir/Vhwlab_reduce_unit_sc.dir)
hwlab_warnings(hwlab_rtl_coproc_sc)
