// Turning a typed config back into text: JSON (for result files) and commented YAML (`config show`).
// Both walk the same fields(V&) as the Reader, so what is printed is exactly what is read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config/fields.h"

namespace hwlab::config {

class JsonWriter {
 public:
  nlohmann::ordered_json json = nlohmann::ordered_json::object();

  template <class T>
  void required(const char* key, T& v, const char*, Bounds = {}) { json[key] = v; }
  template <class T>
  void optional(const char* key, T& v, const T&, const char*, Bounds = {}) { json[key] = v; }
  void optional(const char* key, bool& v, bool, const char*) { json[key] = v; }
  void optional(const char* key, std::string& v, const std::string&, const char*) { json[key] = v; }
  template <class E>
  void choice(const char* key, E& v, const Choices<E>& c, const char*) { json[key] = choice_name(c, v); }
  template <class E>
  void optional_choice(const char* key, E& v, E, const Choices<E>& c, const char*) { json[key] = choice_name(c, v); }
  template <class S>
  void section(const char* key, S& s, const char*) {
    JsonWriter w;
    s.fields(w);
    json[key] = std::move(w.json);
  }
  template <class S>
  void optional_section(const char* key, std::optional<S>& s, const char* doc) {
    if (s) section(key, *s, doc);
    else json[key] = nullptr;
  }
  void passthrough(const char*) {}
};

// The struct as an ordered JSON object (keys in declaration order).
template <class T>
nlohmann::ordered_json to_json(T value) {
  JsonWriter w;
  value.fields(w);
  return std::move(w.json);
}

// Commented YAML: every key with its resolved value and its documentation; parses back to the same
// config.
class YamlPrinter {
 public:
  explicit YamlPrinter(int indent = 0) : indent_(indent) {}
  std::string text;

  template <class T>
  void required(const char* key, T& v, const char* doc, Bounds = {}) { line(key, scalar(v), doc); }
  template <class T>
  void optional(const char* key, T& v, const T&, const char* doc, Bounds = {}) { line(key, scalar(v), doc); }
  void optional(const char* key, bool& v, bool, const char* doc) { line(key, scalar(v), doc); }
  void optional(const char* key, std::string& v, const std::string&, const char* doc) { line(key, scalar(v), doc); }
  template <class E>
  void choice(const char* key, E& v, const Choices<E>& c, const char* doc) {
    line(key, choice_name(c, v), doc + std::string(" [") + names(c) + "]");
  }
  template <class E>
  void optional_choice(const char* key, E& v, E, const Choices<E>& c, const char* doc) { choice(key, v, c, doc); }
  template <class S>
  void section(const char* key, S& s, const char* doc) {
    line(key, "", doc);
    YamlPrinter sub(indent_ + 2);
    s.fields(sub);
    text += sub.text;
  }
  template <class S>
  void optional_section(const char* key, std::optional<S>& s, const char* doc) {
    if (s) section(key, *s, doc);
    else line(key, "null", doc);
  }
  void passthrough(const char*) {}

 private:
  static std::string scalar(int v) { return std::to_string(v); }
  static std::string scalar(int64_t v) { return std::to_string(v); }
  static std::string scalar(uint64_t v) { return std::to_string(v); }
  static std::string scalar(bool v) { return v ? "true" : "false"; }
  static std::string scalar(double v);
  static std::string scalar(const std::string& v);  // quoted when YAML would read it as anything else
  static std::string scalar(const std::vector<int>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
  }
  template <class E>
  static std::string names(const Choices<E>& c) {
    std::string s;
    for (size_t i = 0; i < c.size(); ++i) s += (i ? " | " : "") + std::string(c[i].name);
    return s;
  }
  void line(const char* key, const std::string& value, const std::string& doc);

  int indent_;
};

template <class T>
std::string to_yaml(T value) {
  YamlPrinter p;
  value.fields(p);
  return p.text;
}

}  // namespace hwlab::config
