# asan preset: AddressSanitizer + UndefinedBehaviorSanitizer on every project target.
# fuzz preset: every target is built with -fsanitize=fuzzer-no-link so that libFuzzer sees coverage.
if(HWLAB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(HWLAB_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HWLAB_FUZZ needs clang (libFuzzer); configure with the 'fuzz' preset")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Under ASan + UBSan, targets that are argument parsing, printing and test scaffolding (the command
# files, whose header-only CLI11 is compiled into each, and the Catch2 test files) build at -O0: their
# -O1 code generation was a third of the asan build. The code they drive, the libraries, keeps -O1.
function(hwlab_sanitized_at_o0 target)
  if(HWLAB_SANITIZE)
    target_compile_options(${target} PRIVATE -O0)
  endif()
endfunction()
