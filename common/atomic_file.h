// Output files appear whole or not at all: content goes to a temporary file in the same folder,
// which is renamed over the target only once it is completely written and flushed.
#pragma once

#include <string>
#include <string_view>

namespace hwlab {

// Writes `content` to `path` atomically. Throws UserError when the folder is missing or not writable.
void write_file_atomically(const std::string& path, std::string_view content);

// Reads a whole file. Throws UserError naming the path when it cannot be opened.
std::string read_file(const std::string& path);

}  // namespace hwlab
