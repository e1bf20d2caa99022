# Portable executables for the lent GPU machines (HWLAB_DEVICE_PORTABLE=ON, preset `device`): those
# machines have CUDA, NCCL and cuBLASLt but none of our Debian libraries, and no way to install them.
# So: libstdc++/libgcc static, yaml-cpp static (libyaml-cpp.a), fmt header-only, cudart static;
# TBB (Debian ships no static TBB) and any other shared library of ours is carried next to the
# binaries by tools/device/build.sh, found through RPATH $ORIGIN; libnccl and libcublasLt stay
# shared and come from the device (tools/device/check-and-measure.sh sets LD_LIBRARY_PATH).
# The imported targets are defined before find_package() runs, which then finds them all present
# and leaves them alone.
if(NOT HWLAB_DEVICE_PORTABLE)
  return()
endif()
message(STATUS "hwlab: portable device build (static libstdc++, yaml-cpp; header-only fmt; RPATH \$ORIGIN)")
string(APPEND CMAKE_EXE_LINKER_FLAGS " -static-libstdc++ -static-libgcc")
set(CMAKE_BUILD_WITH_INSTALL_RPATH ON)
set(CMAKE_INSTALL_RPATH "\$ORIGIN")
set(CMAKE_CUDA_RUNTIME_LIBRARY Static)

find_library(HWLAB_YAML_CPP_STATIC NAMES libyaml-cpp.a REQUIRED)
add_library(yaml-cpp STATIC IMPORTED GLOBAL)
set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION ${HWLAB_YAML_CPP_STATIC})

foreach(fmt_target fmt::fmt fmt::fmt-header-only)
  add_library(${fmt_target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${fmt_target} PROPERTIES INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)
endforeach()
