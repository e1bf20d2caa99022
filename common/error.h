// Errors a user can cause (bad argument, config, assembly, trace) versus programming errors.
// A UserError carries a message already formatted as "file:line:column: what was expected, what was
// found"; the `hwlab` front end prints it and exits with status 2. Anything else is an internal error
// (status 1). Programming errors assert.
#pragma once

#include <stdexcept>
#include <string>

namespace hwlab {

// Where in a user's input something was found. line and column are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:column", "file:line" or "file", whichever is known.
  std::string str() const;
};

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
  UserError(const SourceLocation& where, const std::string& message)
      : std::runtime_error(where.str() + ": " + message) {}
};

// Exit statuses of every hwlab command.
enum ExitCode : int { kExitOk = 0, kExitInternalError = 1, kExitUserError = 2 };

}  // namespace hwlab
