// Main of the GPU test binaries: without a CUDA device they say so loudly and return 77, which CTest
// reports as SKIPPED (SKIP_RETURN_CODE), instead of passing silently.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cuda_runtime.h>

#include <cstdio>

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("SKIPPED: no CUDA device\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
