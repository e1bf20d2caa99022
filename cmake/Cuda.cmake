# CUDA is optional: the GPU targets build when nvcc is found, the CPU-only parts never need it.
set(HWLAB_HAVE_CUDA OFF)
if(HWLAB_CUDA AND NOT HWLAB_FUZZ AND NOT HWLAB_SANITIZE)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    enable_language(CUDA)
    # Hopper only: wgmma and the FP8 paths under test need sm_90a.
    set(CMAKE_CUDA_ARCHITECTURES 90a)
    set(CMAKE_CUDA_STANDARD 17)
    find_package(CUDAToolkit REQUIRED)
    set(HWLAB_HAVE_CUDA ON)
  endif()
endif()
message(STATUS "hwlab: CUDA targets ${HWLAB_HAVE_CUDA}")

# Portable binaries for the lent GPU machines (preset `device`).
option(HWLAB_DEVICE_PORTABLE "Static libstdc++/yaml-cpp, header-only fmt, RPATH $ORIGIN" OFF)
include(${CMAKE_CURRENT_LIST_DIR}/DevicePortable.cmake)
