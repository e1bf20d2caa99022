// cuBLASLt is dlopen'ed on its first use (kernels/cublaslt_loader.cpp), not at program start: a
// process that never multiplies (every emulation) does not pay its ~0.34 s / 200 MB start-up.
// Runs without a GPU: the version query needs only the library.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "kernels/gemm_fp8.h"

namespace {

bool mapped(const std::string& library) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(library) != std::string::npos;
}

}  // namespace

TEST_CASE("cuBLASLt is loaded on first use, not at start", "[kernels][cpu]") {
  REQUIRE_FALSE(mapped("libcublasLt"));
  const std::string version = hwlab::kernels::Fp8Gemm::version();
  INFO(version);
  CHECK(version.rfind("cuBLASLt ", 0) == 0);
  CHECK(std::stoul(version.substr(9)) >= 130000);  // CUDA 13's cuBLASLt: 13xxxx
  CHECK(mapped("libcublasLt"));
}
