// Tool version and the git commit it was built from (stamped at build time).
#pragma once

namespace hwlab {
const char* version();
const char* git_commit();
}  // namespace hwlab
