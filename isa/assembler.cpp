// Two passes over the lines (includes spliced in): the first finds labels and counts descriptors,
// the second evaluates constants in order and builds the instructions.
#include "isa/assembler.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/config/suggest.h"
#include "isa/asm_syntax.h"

namespace hwlab::isa {
namespace {

using assembly::LineCursor;
using assembly::SymbolTable;

struct Line {
  std::string text;  // without the comment
  SourceLocation where;
};

// Cuts the comment off a line: '#', ';' or '//' outside a quoted string.
std::string strip_comment(std::string_view line) {
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '#' || c == ';' || (c == '/' && i + 1 < line.size() && line[i + 1] == '/'))
      return std::string(line.substr(0, i));
  }
  return std::string(line);
}

bool is_label_name(std::string_view s) {
  return !s.empty() && s.find('.') == std::string_view::npos;
}

class Assembler {
 public:
  explicit Assembler(const AssembleOptions& options) : options_(options) {}

  Program run(std::string_view source, const std::string& file_name) {
    splice(source, file_name, {});
    find_labels();
    Program program;
    for (const Line& line : lines_) assemble_line(line, program);
    return program;
  }

 private:
  void splice(std::string_view text, const std::string& file, std::vector<std::string> stack) {
    stack.push_back(file);
    int number = 0;
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      ++number;
      Line line{strip_comment(text.substr(start, end - start)), SourceLocation{file, number, 1}};
      start = end + 1;
      LineCursor c(line.text, line.where);
      const int col = (c.skip_space(), c.column());
      if (c.identifier(true) == ".include") {
        const std::string name = c.quoted_string();
        if (!c.at_end()) c.fail("expected the end of the line after the file name, found " + c.found());
        include(name, c.at(col), stack);
        continue;
      }
      lines_.push_back(std::move(line));
      if (end == text.size()) break;
    }
  }

  void include(const std::string& name, const SourceLocation& where, const std::vector<std::string>& stack) {
    if (!options_.read_include) throw UserError(where, ".include is not available here");
    if (static_cast<int>(stack.size()) > options_.max_include_depth)
      throw UserError(where, fmt::format(".include nested deeper than {} files", options_.max_include_depth));
    std::filesystem::path path(name);
    if (path.is_relative()) path = std::filesystem::path(stack.back()).parent_path() / path;
    const std::string resolved = path.lexically_normal().string();
    if (std::find(stack.begin(), stack.end(), resolved) != stack.end())
      throw UserError(where, fmt::format(".include \"{}\" includes itself", name));
    std::string text;
    try {
      text = options_.read_include(resolved);
    } catch (const UserError& e) {
      throw UserError(where, fmt::format(".include \"{}\": {}", name, e.what()));
    }
    splice(text, resolved, stack);
  }

  // Labels: every "name:" at the start of a line (several allowed); the value is the index of the
  // next descriptor.
  void find_labels() {
    int next_index = 0;
    for (const Line& line : lines_) {
      LineCursor c(line.text, line.where);
      for (;;) {
        c.skip_space();
        const int col = c.column();
        const std::string_view word = c.identifier(true);
        if (word.empty()) break;
        if (c.rest().substr(0, 1) == ":" && is_label_name(word)) {
          c.accept(':');
          define(std::string(word), next_index, c.at(col));
          continue;
        }
        if (word[0] != '.') ++next_index;
        break;
      }
    }
  }

  void define(const std::string& name, int64_t value, const SourceLocation& where) {
    const auto it = symbols_.find(name);
    if (it != symbols_.end())
      throw UserError(where, fmt::format("'{}' is already defined at {}", name, it->second.defined_at.str()));
    if (find_mnemonic(name))
      throw UserError(where, fmt::format("'{}' is a mnemonic and cannot name a symbol", name));
    symbols_[name] = {value, where};
  }

  void assemble_line(const Line& line, Program& program) {
    LineCursor c(line.text, line.where);
    for (;;) {  // skip the labels found in the first pass
      c.skip_space();
      const LineCursor saved = c;
      const std::string_view word = c.identifier(true);
      if (!word.empty() && c.rest().substr(0, 1) == ":" && is_label_name(word)) {
        c.accept(':');
        continue;
      }
      c = saved;
      break;
    }
    if (c.at_end()) return;
    const int col = c.column();
    const std::string_view word = c.identifier(true);
    if (word.empty()) c.fail("expected a mnemonic, a label or a directive, found " + c.found());
    if (word == ".equ" || word == ".set") return equ(c);
    if (word[0] == '.') c.fail_at(col, fmt::format("unknown directive '{}': expected .equ or .include", word));
    const InstructionSpec* spec = find_mnemonic(word);
    if (!spec)
      c.fail_at(col, fmt::format("unknown mnemonic '{}'{}", word, config::did_you_mean(std::string(word), mnemonics())));
    Instruction insn = operands(c, *spec, c.at(col));
    insn.index = static_cast<int>(program.descriptors.size());
    program.descriptors.push_back(insn);
  }

  void equ(LineCursor& c) {
    c.skip_space();
    const int col = c.column();
    const std::string name(c.identifier());
    if (name.empty()) c.fail("expected a constant name, found " + c.found());
    if (!c.accept(',') && !c.accept('=')) c.fail("expected ',' and a value, found " + c.found());
    const int64_t value = c.expression(symbols_);
    if (!c.at_end()) c.fail("expected the end of the line, found " + c.found());
    define(name, value, c.at(col));
  }

  Instruction operands(LineCursor& c, const InstructionSpec& spec, const SourceLocation& at) {
    Instruction insn;
    insn.spec = &spec;
    insn.where = at;
    std::vector<int> given(spec.fields.size(), 0);  // column where each field was set
    size_t positional = 0;
    bool named_seen = false;
    try {
      if (!c.at_end()) {
        do {
          c.skip_space();
          const int col = c.column();
          const LineCursor saved = c;
          const std::string_view name = c.identifier();
          size_t index;
          if (!name.empty() && c.accept('=')) {
            const int i = spec.field_index(name);
            if (i < 0) {
              std::vector<std::string> names;
              for (const auto& f : spec.fields) names.emplace_back(f.name);
              c.fail_at(col, fmt::format("{} has no operand '{}'{}", spec.mnemonic, name,
                                         config::did_you_mean(std::string(name), names)));
            }
            index = static_cast<size_t>(i);
            named_seen = true;
          } else {
            c = saved;
            if (named_seen) c.fail("expected name=value: positional operands come before named ones");
            if (positional >= spec.fields.size())
              c.fail(fmt::format("{} takes {} operands, found more", spec.mnemonic, spec.fields.size()));
            index = positional++;
          }
          if (given[index])
            c.fail_at(col, fmt::format("operand {} is given twice", spec.fields[index].name));
          given[index] = col;
          insn.values[index] = assembly::parse_operand(c, spec.fields[index], symbols_);
        } while (c.accept(','));
        if (!c.at_end()) c.fail("expected ',' or the end of the line, found " + c.found());
      }
      for (size_t i = 0; i < spec.fields.size(); ++i)
        if (!given[i]) c.fail(fmt::format("missing operand {}", spec.fields[i].name));
      const std::string why = validate(insn);
      if (!why.empty()) c.fail_at(at.column, why);
    } catch (const UserError& e) {
      throw UserError(std::string(e.what()) + " (syntax: " + assembly::syntax_of(spec) + ")");
    }
    return insn;
  }

  const AssembleOptions& options_;
  std::vector<Line> lines_;
  SymbolTable symbols_;
};

}  // namespace

Program assemble(std::string_view source, const std::string& file_name, const AssembleOptions& options) {
  return Assembler(options).run(source, file_name);
}

Program assemble_file(const std::string& path) {
  AssembleOptions options;
  options.read_include = [](const std::string& p) { return read_file(p); };
  return assemble(read_file(path), path, options);
}

}  // namespace hwlab::isa
