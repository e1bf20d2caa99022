#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "common/atomic_file.h"
#include "common/error.h"

namespace fs = std::filesystem;
using hwlab::SourceLocation;

TEST_CASE("SourceLocation prints only what is known", "[common]") {
  CHECK(SourceLocation{"a.yaml", 3, 7}.str() == "a.yaml:3:7");
  CHECK(SourceLocation{"a.yaml", 3, 0}.str() == "a.yaml:3");
  CHECK(SourceLocation{"a.yaml", 0, 0}.str() == "a.yaml");
  CHECK(hwlab::UserError(SourceLocation{"x", 1, 2}, "bad").what() == std::string("x:1:2: bad"));
}

TEST_CASE("write_file_atomically replaces whole files and leaves nothing on failure", "[common]") {
  fs::path dir = fs::temp_directory_path() / "hwlab_test_atomic";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path = (dir / "out.json").string();
  hwlab::write_file_atomically(path, "first");
  hwlab::write_file_atomically(path, "second");
  CHECK(hwlab::read_file(path) == "second");
  // Only the target remains: no temporary left behind.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 1);

  CHECK_THROWS_AS(hwlab::write_file_atomically((dir / "missing" / "x").string(), "y"), hwlab::UserError);
  CHECK_THROWS_AS(hwlab::read_file((dir / "nope").string()), hwlab::UserError);
  fs::remove_all(dir);
}
