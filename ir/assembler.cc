// Assembler: a line-oriented parser for code blocks, with a small recursive-descent reader for
// constants (Python literals and <code #N> references).
#include "ir/assembler.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "ir/verifier.h"

namespace gyro {

namespace {

// A parsed constant whose code references are still table indices.
struct ConstantText {
  Constant value;  // for everything but code references and tuples
  std::optional<std::size_t> code_index;
  std::vector<ConstantText> items;
  bool is_tuple = false;
};

struct CodeText {
  int source_line = 0;  // where "code #N" stands, for errors
  Code code;
  std::vector<ConstantText> constants;
};

class Assembler {
 public:
  Assembler(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  Expected<std::shared_ptr<const Code>> run() {
    GYRO_TRY(parse_blocks());
    if (blocks_.empty()) return error_at(1, "no code block");
    built_.assign(blocks_.size(), nullptr);
    state_.assign(blocks_.size(), 0);
    GYRO_ASSIGN_OR_RETURN(auto root, build(0));
    return std::shared_ptr<const Code>(root);
  }

 private:
  template <typename... Args>
  Error error_at(int line, fmt::format_string<Args...> format, Args&&... args) const {
    return make_error(ErrorKind::BytecodeError, "{}:{}: {}", source_, line,
                      fmt::format(format, std::forward<Args>(args)...));
  }

  // ---- Cursor over one line ----
  struct Cursor {
    std::string_view line;
    std::size_t pos = 0;
    void skip_spaces() {
      while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    }
    bool done() {
      skip_spaces();
      return pos >= line.size();
    }
    bool accept(std::string_view word) {
      skip_spaces();
      if (line.substr(pos, word.size()) != word) return false;
      pos += word.size();
      return true;
    }
    std::string_view word() {  // up to the next space
      skip_spaces();
      std::size_t start = pos;
      while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
      return line.substr(start, pos - start);
    }
    char peek() {
      skip_spaces();
      return pos < line.size() ? line[pos] : '\0';
    }
  };

  Expected<int64_t> parse_int(std::string_view text, int line) const {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
      return error_at(line, "expected an integer, found '{}'", text);
    return value;
  }

  Expected<std::string> parse_string(Cursor& cursor, int line) const {
    char quote = cursor.peek();
    if (quote != '\'' && quote != '"') return error_at(line, "expected a quoted string");
    ++cursor.pos;
    std::string out;
    while (cursor.pos < cursor.line.size() && cursor.line[cursor.pos] != quote) {
      char ch = cursor.line[cursor.pos++];
      if (ch != '\\') {
        out += ch;
        continue;
      }
      if (cursor.pos >= cursor.line.size()) break;
      char escape = cursor.line[cursor.pos++];
      switch (escape) {
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case '\\':
        case '\'':
        case '"':
          out += escape;
          break;
        case 'x': {
          if (cursor.pos + 2 > cursor.line.size())
            return error_at(line, "truncated \\x escape in a string");
          int value = 0;
          auto hex = cursor.line.substr(cursor.pos, 2);
          auto [end, ec] = std::from_chars(hex.data(), hex.data() + 2, value, 16);
          if (ec != std::errc() || end != hex.data() + 2)
            return error_at(line, "bad \\x escape '\\x{}'", hex);
          out += static_cast<char>(value);
          cursor.pos += 2;
          break;
        }
        default:
          return error_at(line, "unknown escape '\\{}' in a string", escape);
      }
    }
    if (cursor.pos >= cursor.line.size()) return error_at(line, "unterminated string");
    ++cursor.pos;  // closing quote
    return out;
  }

  Expected<ConstantText> parse_constant(Cursor& cursor, int line, int depth) const {
    if (depth > 64) return error_at(line, "constants nested deeper than 64");
    ConstantText result;
    char next = cursor.peek();
    if (next == '\'' || next == '"') {
      GYRO_ASSIGN_OR_RETURN(std::string text, parse_string(cursor, line));
      result.value = Constant::string(std::move(text));
      return result;
    }
    if (next == '(') {
      ++cursor.pos;
      result.is_tuple = true;
      while (cursor.peek() != ')') {
        GYRO_ASSIGN_OR_RETURN(ConstantText item, parse_constant(cursor, line, depth + 1));
        result.items.push_back(std::move(item));
        if (!cursor.accept(",") && cursor.peek() != ')')
          return error_at(line, "expected ',' or ')' in a tuple constant");
      }
      ++cursor.pos;
      return result;
    }
    if (cursor.accept("<code")) {
      if (!cursor.accept("#")) return error_at(line, "expected '#N' after '<code'");
      std::size_t start = cursor.pos;
      while (cursor.pos < cursor.line.size() &&
             std::isdigit(static_cast<unsigned char>(cursor.line[cursor.pos])))
        ++cursor.pos;
      GYRO_ASSIGN_OR_RETURN(int64_t index,
                            parse_int(cursor.line.substr(start, cursor.pos - start), line));
      // The name may itself hold brackets (<lambda>): find the '>' that balances "<code".
      int depth = 1;
      while (cursor.pos < cursor.line.size() && depth > 0) {
        char c = cursor.line[cursor.pos++];
        depth += c == '<' ? 1 : c == '>' ? -1 : 0;
      }
      if (depth != 0) return error_at(line, "unterminated '<code #{}'", index);
      result.code_index = static_cast<std::size_t>(index);
      return result;
    }
    // A bare literal runs up to the next ',' or ')'.
    cursor.skip_spaces();
    std::size_t start = cursor.pos;
    while (cursor.pos < cursor.line.size() && cursor.line[cursor.pos] != ',' &&
           cursor.line[cursor.pos] != ')' && cursor.line[cursor.pos] != ' ')
      ++cursor.pos;
    std::string_view literal = cursor.line.substr(start, cursor.pos - start);
    if (literal == "None") return result;
    if (literal == "Ellipsis") {
      result.value = Constant::ellipsis();
      return result;
    }
    if (literal == "True" || literal == "False") {
      result.value = Constant::boolean(literal == "True");
      return result;
    }
    if (literal == "inf" || literal == "-inf" || literal == "nan") {
      double value = literal == "nan" ? std::numeric_limits<double>::quiet_NaN()
                                      : (literal[0] == '-' ? -1.0 : 1.0) *
                                            std::numeric_limits<double>::infinity();
      result.value = Constant::real(value);
      return result;
    }
    if (literal.empty()) return error_at(line, "expected a constant");
    if (literal.find_first_of(".eE") == std::string_view::npos) {
      GYRO_ASSIGN_OR_RETURN(int64_t value, parse_int(literal, line));
      result.value = Constant::integer(value);
      return result;
    }
    double value = 0;
    auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), value);
    if (ec != std::errc() || end != literal.data() + literal.size())
      return error_at(line, "bad constant '{}'", literal);
    result.value = Constant::real(value);
    return result;
  }

  Expected<std::vector<std::string>> parse_name_list(Cursor& cursor, int line) const {
    std::vector<std::string> names;
    while (!cursor.done()) {
      GYRO_ASSIGN_OR_RETURN(std::string name, parse_string(cursor, line));
      names.push_back(std::move(name));
      if (!cursor.accept(",") && !cursor.done())
        return error_at(line, "expected ',' between names");
    }
    return names;
  }

  // Resolves a symbolic operand (a name or an operator symbol) against the block's tables.
  Expected<uint32_t> parse_operand(std::string_view token, Opcode opcode, const Code& code,
                                   int line) const {
    if (!token.empty() && (std::isdigit(static_cast<unsigned char>(token[0])))) {
      GYRO_ASSIGN_OR_RETURN(int64_t value, parse_int(token, line));
      if (value < 0 || value > std::numeric_limits<uint32_t>::max())
        return error_at(line, "operand {} is out of range", value);
      return static_cast<uint32_t>(value);
    }
    auto find_in = [&](const std::vector<std::string>& list,
                       std::size_t base) -> Expected<uint32_t> {
      for (std::size_t i = 0; i < list.size(); ++i)
        if (list[i] == token) return static_cast<uint32_t>(base + i);
      return error_at(line, "'{}' is not declared for {}", token, opcode_name(opcode));
    };
    switch (operand_kind(opcode)) {
      case OperandKind::kLocal:
        return find_in(code.local_names, 0);
      case OperandKind::kName:
        return find_in(code.names, 0);
      case OperandKind::kCell: {
        auto cell = find_in(code.cell_names, 0);
        if (cell.ok()) return cell;
        return find_in(code.free_names, code.cell_names.size());
      }
      case OperandKind::kBinop:
        if (auto op = binop_from_symbol(token)) return static_cast<uint32_t>(*op);
        break;
      case OperandKind::kCompare:
        if (auto op = compare_from_symbol(token)) return static_cast<uint32_t>(*op);
        break;
      case OperandKind::kFlag:
        if (token == "is" || token == "in") return 0u;
        break;
      case OperandKind::kNone:
      case OperandKind::kConst:
      case OperandKind::kJump:
      case OperandKind::kCount:
      case OperandKind::kFunctionFlags:
        break;
    }
    return error_at(line, "bad operand '{}' for {}", token, opcode_name(opcode));
  }

  Status parse_instruction(Cursor& cursor, CodeText& block, int& current_line, int line) const {
    // Leading columns: [source line] [>>] offset.
    std::vector<int64_t> numbers;
    while (true) {
      char next = cursor.peek();
      if (next == '>') {
        if (!cursor.accept(">>")) return error_at(line, "expected '>>'");
        continue;
      }
      if (!std::isdigit(static_cast<unsigned char>(next))) break;
      GYRO_ASSIGN_OR_RETURN(int64_t value, parse_int(cursor.word(), line));
      numbers.push_back(value);
    }
    if (numbers.empty() || numbers.size() > 2)
      return error_at(line, "expected '[line] offset OPCODE [operand]'");
    if (numbers.size() == 2) current_line = static_cast<int>(numbers[0]);
    std::size_t offset = block.code.instructions.size();
    if (numbers.back() != static_cast<int64_t>(offset))
      return error_at(line, "offset {} out of sequence (expected {})", numbers.back(), offset);
    std::string_view name = cursor.word();
    auto opcode = opcode_from_name(name);
    if (!opcode) return error_at(line, "unknown opcode '{}'", name);
    uint32_t arg = 0;
    if (operand_kind(*opcode) != OperandKind::kNone) {
      if (cursor.done() || cursor.peek() == '(') return error_at(line, "{} needs an operand", name);
      GYRO_ASSIGN_OR_RETURN(arg, parse_operand(cursor.word(), *opcode, block.code, line));
    }
    if (!cursor.done() && cursor.peek() != '(')
      return error_at(line, "unexpected text after the operand of {}", name);
    block.code.instructions.push_back({*opcode, arg});
    block.code.lines.push_back(current_line);
    return {};
  }

  Status parse_header(Cursor& cursor, CodeText& block, int line) const {
    // file 'f' line N args N flags N stack N
    if (!cursor.accept("file")) return error_at(line, "expected 'file'");
    GYRO_ASSIGN_OR_RETURN(block.code.filename, parse_string(cursor, line));
    for (const char* field : {"line", "args", "flags", "stack"}) {
      if (!cursor.accept(field)) return error_at(line, "expected '{}'", field);
      GYRO_ASSIGN_OR_RETURN(int64_t value, parse_int(cursor.word(), line));
      if (value < 0 || value > std::numeric_limits<int32_t>::max())
        return error_at(line, "'{}' {} is out of range", field, value);
      if (std::string_view(field) == "line") block.code.first_line = static_cast<int>(value);
      if (std::string_view(field) == "args") block.code.arg_count = static_cast<int>(value);
      if (std::string_view(field) == "flags") block.code.flags = static_cast<uint32_t>(value);
    }
    return {};
  }

  Status parse_blocks() {
    std::size_t start = 0;
    int line = 0;
    CodeText* block = nullptr;
    int current_line = 0;
    while (start <= text_.size()) {
      std::size_t end = text_.find('\n', start);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view raw = text_.substr(start, end - start);
      start = end + 1;
      ++line;
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      Cursor cursor{raw};
      if (cursor.done() || cursor.peek() == ';') continue;  // blank or comment
      if (!block) {
        if (!cursor.accept("code")) return error_at(line, "expected 'code #N 'name''");
        if (!cursor.accept("#")) return error_at(line, "expected '#N' after 'code'");
        GYRO_ASSIGN_OR_RETURN(int64_t index, parse_int(cursor.word(), line));
        if (index != static_cast<int64_t>(blocks_.size()))
          return error_at(line, "code #{} out of sequence (expected #{})", index, blocks_.size());
        blocks_.push_back({line, {}, {}});
        block = &blocks_.back();
        GYRO_ASSIGN_OR_RETURN(block->code.name, parse_string(cursor, line));
        continue;
      }
      if (cursor.accept("end")) {
        if (block->code.instructions.empty())
          return error_at(line, "code block has no instructions");
        block = nullptr;
        continue;
      }
      if (cursor.accept("file")) {
        cursor.pos = 0;
        GYRO_TRY(parse_header(cursor, *block, line));
        current_line = block->code.first_line;
        continue;
      }
      if (cursor.accept("consts:")) {
        while (!cursor.done()) {
          GYRO_ASSIGN_OR_RETURN(ConstantText constant, parse_constant(cursor, line, 0));
          block->constants.push_back(std::move(constant));
          if (!cursor.accept(",") && !cursor.done())
            return error_at(line, "expected ',' between constants");
        }
        continue;
      }
      bool matched = false;
      for (auto [label, list] :
           {std::pair{"names:", &block->code.names}, std::pair{"locals:", &block->code.local_names},
            std::pair{"cells:", &block->code.cell_names},
            std::pair{"frees:", &block->code.free_names}}) {
        if (cursor.accept(label)) {
          GYRO_ASSIGN_OR_RETURN(*list, parse_name_list(cursor, line));
          matched = true;
          break;
        }
      }
      if (matched) continue;
      GYRO_TRY(parse_instruction(cursor, *block, current_line, line));
    }
    if (block) return error_at(line, "code #{} has no 'end'", blocks_.size() - 1);
    return {};
  }

  Expected<Constant> resolve(const ConstantText& text, int line) {
    if (text.code_index) {
      GYRO_ASSIGN_OR_RETURN(auto code, build(*text.code_index, line));
      return Constant::code(code);
    }
    if (text.is_tuple) {
      std::vector<Constant> items;
      for (const ConstantText& item : text.items) {
        GYRO_ASSIGN_OR_RETURN(Constant value, resolve(item, line));
        items.push_back(std::move(value));
      }
      return Constant::tuple(std::move(items));
    }
    return text.value;
  }

  // Builds block `index` after the blocks its constants refer to; a cycle is an error.
  Expected<std::shared_ptr<const Code>> build(std::size_t index, int from_line = 1) {
    if (index >= blocks_.size())
      return error_at(from_line, "reference to code #{}, which is not defined", index);
    if (built_[index]) return built_[index];
    CodeText& block = blocks_[index];
    if (state_[index] == 1)
      return error_at(block.source_line, "code #{} contains itself through its constants", index);
    state_[index] = 1;
    for (const ConstantText& text : block.constants) {
      GYRO_ASSIGN_OR_RETURN(Constant value, resolve(text, block.source_line));
      block.code.constants.push_back(std::move(value));
    }
    auto code = std::make_shared<Code>(std::move(block.code));
    Status verified = verify(*code);
    if (!verified.ok()) return error_at(block.source_line, "{}", verified.error().message);
    built_[index] = code;
    return built_[index];
  }

  std::string_view text_;
  std::string_view source_;
  std::vector<CodeText> blocks_;
  std::vector<std::shared_ptr<const Code>> built_;
  std::vector<int> state_;
};

}  // namespace

Expected<std::shared_ptr<const Code>> assemble(std::string_view text,
                                               std::string_view source_name) {
  return Assembler(text, source_name).run();
}

}  // namespace gyro
