#include "common/config/print.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace hwlab::config {

std::string YamlPrinter::scalar(double v) {
  // Shortest text that reads back as the same double; always with a '.' or exponent so that the
  // value is visibly a number with a unit rather than a count.
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

std::string YamlPrinter::scalar(const std::string& v) {
  bool plain = !v.empty();
  for (char c : v) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/' ||
              c == ' ' || c == '(' || c == ')' || c == ',' || c == '+';
    plain = plain && ok;
  }
  // Words YAML would turn into something other than a string, and leading/trailing blanks.
  static const char* special[] = {"true", "false", "null", "yes", "no", "on", "off", "~"};
  for (const char* w : special) plain = plain && v != w;
  if (plain && (v.front() == ' ' || v.back() == ' ' || v.front() == '-' || std::isdigit(static_cast<unsigned char>(v.front())) || v.front() == '.'))
    plain = false;
  if (plain) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

void YamlPrinter::line(const char* key, const std::string& value, const std::string& doc) {
  std::string l = std::string(static_cast<size_t>(indent_), ' ') + key + ":";
  if (!value.empty()) l += " " + value;
  if (!doc.empty()) {
    if (l.size() < 40) l.append(40 - l.size(), ' ');
    l += "  # " + doc;
  }
  text += l + "\n";
}

}  // namespace hwlab::config
