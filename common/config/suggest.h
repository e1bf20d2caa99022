// "Did you mean" for misspelt keys, preset names and enum values.
#pragma once

#include <string>
#include <vector>

namespace hwlab::config {

// Optimal-string-alignment edit distance (insert, delete, substitute, swap of neighbours).
int edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word`, or "" when none is close enough to be a plausible typo.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "", ready to append to a message.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c"
std::string join(const std::vector<std::string>& words, const std::string& separator = ", ");

}  // namespace hwlab::config
