// .gyc writer and loader: one byte writer, one bounds-checked byte reader, sections over them.
#include "ir/bytecode_file.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <xxhash.h>

#include "ir/assert.h"
#include "ir/byte_io.h"
#include "ir/file_io.h"
#include "ir/verifier.h"

namespace gyro {

namespace {

constexpr uint8_t kMagic[8] = {0x89, 'G', 'Y', 'C', '\r', '\n', 0x1a, '\n'};
// Version 1.0 defines no required feature; a bit here means a newer writer needs this reader to
// understand something it cannot.
constexpr uint64_t kKnownRequiredFeatures = 0;
// Written where a code constant has no code to name (a null or cyclic reference); the loader
// rejects it as out of range rather than the writer failing.
constexpr uint32_t kNoCode = UINT32_MAX;

// Constant tags on disk are Constant::Kind values; reordering the enum would silently change
// the meaning of existing files, so it breaks the build instead.
static_assert(static_cast<int>(Constant::Kind::kNone) == 0 &&
                  static_cast<int>(Constant::Kind::kBool) == 1 &&
                  static_cast<int>(Constant::Kind::kInt) == 2 &&
                  static_cast<int>(Constant::Kind::kFloat) == 3 &&
                  static_cast<int>(Constant::Kind::kString) == 4 &&
                  static_cast<int>(Constant::Kind::kCode) == 5 &&
                  static_cast<int>(Constant::Kind::kTuple) == 6 &&
                  static_cast<int>(Constant::Kind::kEllipsis) == 7,
              "the .gyc constant tags changed: bump kBytecodeMajor and update bytecode_file.h");

// Each instruction is an opcode byte and a u32 operand.
constexpr std::size_t kInstructionBytes = 5;

// ---------------------------------------------------------------------------------------------
// Writing

// The code objects a code's constants name directly, tuples included, in constant order.
std::vector<const Code*> child_codes(const Code& code) {
  std::vector<const Code*> children;
  std::vector<const Constant*> pending;
  for (auto it = code.constants.rbegin(); it != code.constants.rend(); ++it)
    pending.push_back(&*it);
  while (!pending.empty()) {
    const Constant* constant = pending.back();
    pending.pop_back();
    if (constant->kind() == Constant::Kind::kCode && constant->as_code())
      children.push_back(constant->as_code().get());
    if (constant->kind() == Constant::Kind::kTuple)
      for (auto it = constant->items().rbegin(); it != constant->items().rend(); ++it)
        pending.push_back(&*it);
  }
  return children;
}

// Every code reachable from `top`, children before parents (post-order), each once. Iterative,
// so a deep tree of nested functions cannot overflow the native stack.
std::vector<const Code*> code_table(const Code& top) {
  struct Frame {
    const Code* code;
    std::vector<const Code*> children;
    std::size_t next = 0;
  };
  std::vector<const Code*> order;
  std::unordered_set<const Code*> entered;
  std::vector<Frame> stack;
  stack.push_back({&top, child_codes(top)});
  entered.insert(&top);
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (frame.next < frame.children.size()) {
      const Code* child = frame.children[frame.next++];
      // An entered child is either done or (only through a const_cast cycle) an ancestor;
      // either way it is not written again.
      if (entered.insert(child).second) stack.push_back({child, child_codes(*child)});
      continue;
    }
    order.push_back(frame.code);
    stack.pop_back();
  }
  return order;
}

class CodeWriter {
 public:
  CodeWriter(ByteWriter& out, const std::unordered_map<const Code*, uint32_t>& index)
      : out_(out), index_(index) {}

  void write(const Code& code) {
    out_.string(code.name);
    out_.string(code.filename);
    out_.u32(static_cast<uint32_t>(code.first_line));
    out_.u32(static_cast<uint32_t>(code.arg_count));
    out_.u32(code.flags);
    out_.u32(ByteWriter::checked_u32(code.instructions.size()));
    for (const Instruction& instruction : code.instructions) {
      out_.u8(static_cast<uint8_t>(instruction.opcode));
      out_.u32(instruction.arg);
    }
    // The line count is stored rather than implied so that a code whose table is the wrong
    // length loads as written, and the verifier rejects it as it would in memory.
    out_.u32(ByteWriter::checked_u32(code.lines.size()));
    int64_t previous = code.first_line;
    for (int line : code.lines) {
      out_.varint(zigzag(int64_t{line} - previous));
      previous = line;
    }
    out_.u32(ByteWriter::checked_u32(code.constants.size()));
    for (const Constant& constant : code.constants) write_constant(constant);
    for (const auto* list : {&code.names, &code.local_names, &code.cell_names, &code.free_names}) {
      out_.u32(ByteWriter::checked_u32(list->size()));
      for (const std::string& name : *list) out_.string(name);
    }
  }

 private:
  void write_constant(const Constant& constant) {
    out_.u8(static_cast<uint8_t>(constant.kind()));
    switch (constant.kind()) {
      case Constant::Kind::kNone:
      case Constant::Kind::kEllipsis:
        return;
      case Constant::Kind::kBool:
        out_.u8(constant.as_bool() ? 1 : 0);
        return;
      case Constant::Kind::kInt:
        out_.u64(static_cast<uint64_t>(constant.as_int()));
        return;
      case Constant::Kind::kFloat:
        out_.u64(std::bit_cast<uint64_t>(constant.as_float()));
        return;
      case Constant::Kind::kString:
        out_.string(constant.as_string());
        return;
      case Constant::Kind::kCode: {
        auto it = index_.find(constant.as_code().get());
        out_.u32(it == index_.end() ? kNoCode : it->second);
        return;
      }
      case Constant::Kind::kTuple:
        out_.u32(ByteWriter::checked_u32(constant.items().size()));
        for (const Constant& item : constant.items()) write_constant(item);
        return;
    }
    GYRO_UNREACHABLE("bad constant kind");
  }

  ByteWriter& out_;
  const std::unordered_map<const Code*, uint32_t>& index_;
};

// ---------------------------------------------------------------------------------------------
// Reading

// Reads a span front to back; every read checks remaining() first, and every error names the
// absolute file offset (base_ is where the span starts in the file).
class Loader {
 public:
  Expected<Module> load(ByteReader& payload) {
    while (!payload.at_end()) GYRO_TRY(read_section(payload));
    if (!module_offset_)
      return make_error(ErrorKind::BytecodeError, "the payload has no module section");
    if (top_ >= codes_.size())
      return make_error(ErrorKind::BytecodeError,
                        "the module section at byte {} names top code {}, but the file has {} "
                        "code sections",
                        *module_offset_, top_, codes_.size());
    return Module{std::move(module_name_), codes_[top_]};
  }

 private:
  Status read_section(ByteReader& payload) {
    const std::size_t start = payload.offset();
    GYRO_ASSIGN_OR_RETURN(uint32_t tag, payload.u32("section tag"));
    GYRO_ASSIGN_OR_RETURN(uint32_t flags, payload.u32("section flags"));
    GYRO_ASSIGN_OR_RETURN(uint64_t length, payload.u64("section length"));
    if (flags & ~kSectionSkippable)
      return payload.error_at(start, "section {} has reserved flag bits {:#x} set",
                              section_tag_name(tag),
                              flags & ~kSectionSkippable);
    if (length > payload.remaining())
      return make_error(ErrorKind::BytecodeError,
                        "truncated section {} at byte {}: its length is {} bytes, {} remain",
                        section_tag_name(tag), start, length, payload.remaining());
    const std::size_t body_offset = payload.offset();
    GYRO_ASSIGN_OR_RETURN(auto body_bytes,
                          payload.take(static_cast<std::size_t>(length), "section body"));
    ByteReader body(body_bytes, body_offset);
    switch (tag) {
      case kSectionModule:
        GYRO_TRY(read_module(body, start));
        break;
      case kSectionCode:
        GYRO_TRY(read_code(body, start));
        break;
      default:
        if (flags & kSectionSkippable) return {};
        return payload.error_at(start, "unknown section {} that is not marked skippable",
                                section_tag_name(tag));
    }
    if (!body.at_end())
      return body.error_at(body.offset(), "{} unexpected bytes at the end of section {}",
                           body.remaining(), section_tag_name(tag));
    return {};
  }

  Status read_module(ByteReader& body, std::size_t start) {
    if (module_offset_)
      return body.error_at(start, "a second module section (the first is at byte {})",
                           *module_offset_);
    module_offset_ = start;
    GYRO_ASSIGN_OR_RETURN(module_name_, body.string("module name"));
    GYRO_ASSIGN_OR_RETURN(top_, body.u32("top code index"));
    return {};
  }

  Status read_code(ByteReader& body, std::size_t start) {
    const std::size_t index = codes_.size();
    auto code = std::make_shared<Code>();
    Status status = read_code_fields(body, *code);
    // The verifier runs here, after the code's children, which already passed it (references
    // only reach earlier sections).
    if (status.ok()) status = verify(*code);
    if (!status.ok())
      return make_error(ErrorKind::BytecodeError, "code section {} at byte {}: {}", index, start,
                        status.error().message);
    codes_.push_back(std::move(code));
    return {};
  }

  Status read_code_fields(ByteReader& body, Code& code) {
    GYRO_ASSIGN_OR_RETURN(code.name, body.string("code name"));
    GYRO_ASSIGN_OR_RETURN(code.filename, body.string("filename"));
    GYRO_ASSIGN_OR_RETURN(uint32_t first_line, body.u32("first line"));
    code.first_line = static_cast<int32_t>(first_line);  // two's complement, as written
    const std::size_t arg_count_offset = body.offset();
    GYRO_ASSIGN_OR_RETURN(uint32_t arg_count, body.u32("arg count"));
    if (arg_count > static_cast<uint32_t>(INT_MAX))
      return body.error_at(arg_count_offset, "arg count {} is out of range", arg_count);
    code.arg_count = static_cast<int>(arg_count);
    GYRO_ASSIGN_OR_RETURN(code.flags, body.u32("code flags"));

    const std::size_t instructions_offset = body.offset();
    GYRO_ASSIGN_OR_RETURN(uint32_t instruction_count, body.count("instruction", kInstructionBytes));
    if (instruction_count > kMaxInstructions)
      return body.error_at(instructions_offset, "{} instructions exceed the limit of {}",
                           instruction_count, kMaxInstructions);
    code.instructions.reserve(instruction_count);
    for (uint32_t i = 0; i < instruction_count; ++i) {
      const std::size_t opcode_offset = body.offset();
      GYRO_ASSIGN_OR_RETURN(uint8_t opcode, body.u8("opcode"));
      if (opcode >= kNumOpcodes)
        return body.error_at(opcode_offset, "invalid opcode byte {:#04x} in instruction {}", opcode,
                             i);
      GYRO_ASSIGN_OR_RETURN(uint32_t arg, body.u32("operand"));
      code.instructions.push_back({static_cast<Opcode>(opcode), arg});
    }

    GYRO_ASSIGN_OR_RETURN(uint32_t line_count, body.count("line", 1));
    code.lines.reserve(line_count);
    int64_t line = code.first_line;
    for (uint32_t i = 0; i < line_count; ++i) {
      const std::size_t delta_offset = body.offset();
      GYRO_ASSIGN_OR_RETURN(uint64_t encoded, body.varint("line delta"));
      const int64_t delta = unzigzag(encoded);
      // |line| < 2^31, so checking |delta| first keeps the sum far from int64 overflow.
      constexpr int64_t kMaxDelta = int64_t{1} << 33;
      if (delta > kMaxDelta || delta < -kMaxDelta || line + delta > INT_MAX ||
          line + delta < INT_MIN)
        return body.error_at(delta_offset, "line delta {} takes line {} out of range", delta, line);
      line += delta;
      code.lines.push_back(static_cast<int>(line));
    }

    GYRO_ASSIGN_OR_RETURN(uint32_t constant_count, body.count("constant", 1));
    code.constants.reserve(constant_count);
    for (uint32_t i = 0; i < constant_count; ++i) {
      GYRO_ASSIGN_OR_RETURN(Constant constant, read_constant(body, 0));
      code.constants.push_back(std::move(constant));
    }

    const std::pair<std::vector<std::string>*, std::string_view> lists[] = {
        {&code.names, "name"},
        {&code.local_names, "local name"},
        {&code.cell_names, "cell name"},
        {&code.free_names, "free name"}};
    for (auto [list, what] : lists) {
      GYRO_ASSIGN_OR_RETURN(uint32_t size, body.count(what, 4));
      list->reserve(size);
      for (uint32_t i = 0; i < size; ++i) {
        GYRO_ASSIGN_OR_RETURN(std::string name, body.string(what));
        list->push_back(std::move(name));
      }
    }
    return {};
  }

  // Recursion is bounded by kMaxConstantDepth.
  Expected<Constant> read_constant(ByteReader& body, int depth) {
    const std::size_t start = body.offset();
    GYRO_ASSIGN_OR_RETURN(uint8_t kind, body.u8("constant kind"));
    switch (kind) {
      case static_cast<uint8_t>(Constant::Kind::kNone):
        return Constant();
      case static_cast<uint8_t>(Constant::Kind::kEllipsis):
        return Constant::ellipsis();
      case static_cast<uint8_t>(Constant::Kind::kBool): {
        GYRO_ASSIGN_OR_RETURN(uint8_t value, body.u8("bool constant"));
        if (value > 1) return body.error_at(start, "bool constant {} is not 0 or 1", value);
        return Constant::boolean(value == 1);
      }
      case static_cast<uint8_t>(Constant::Kind::kInt): {
        GYRO_ASSIGN_OR_RETURN(uint64_t value, body.u64("int constant"));
        return Constant::integer(static_cast<int64_t>(value));
      }
      case static_cast<uint8_t>(Constant::Kind::kFloat): {
        GYRO_ASSIGN_OR_RETURN(uint64_t bits, body.u64("float constant"));
        return Constant::real(std::bit_cast<double>(bits));
      }
      case static_cast<uint8_t>(Constant::Kind::kString): {
        GYRO_ASSIGN_OR_RETURN(std::string value, body.string("string constant"));
        return Constant::string(std::move(value));
      }
      case static_cast<uint8_t>(Constant::Kind::kCode): {
        GYRO_ASSIGN_OR_RETURN(uint32_t index, body.u32("code constant"));
        if (index >= codes_.size())
          return body.error_at(start,
                               "code constant refers to code {}, but only {} code sections "
                               "precede it (a code must come after the codes it contains)",
                               index, codes_.size());
        return Constant::code(codes_[index]);
      }
      case static_cast<uint8_t>(Constant::Kind::kTuple): {
        if (depth >= kMaxConstantDepth)
          return body.error_at(start, "tuple constants nest deeper than {}", kMaxConstantDepth);
        GYRO_ASSIGN_OR_RETURN(uint32_t size, body.count("tuple item", 1));
        std::vector<Constant> items;
        items.reserve(size);
        for (uint32_t i = 0; i < size; ++i) {
          GYRO_ASSIGN_OR_RETURN(Constant item, read_constant(body, depth + 1));
          items.push_back(std::move(item));
        }
        return Constant::tuple(std::move(items));
      }
      default:
        return body.error_at(start, "unknown constant kind {}", kind);
    }
  }

  std::vector<std::shared_ptr<const Code>> codes_;
  std::optional<std::size_t> module_offset_;
  std::string module_name_;
  uint32_t top_ = 0;
};

}  // namespace

uint64_t bytecode_checksum(std::span<const uint8_t> payload) { return payload_checksum(payload); }

std::vector<uint8_t> write_bytecode(const Module& module) {
  std::vector<const Code*> table;
  if (module.top) table = code_table(*module.top);
  std::unordered_map<const Code*, uint32_t> index;
  for (std::size_t i = 0; i < table.size(); ++i)
    index.emplace(table[i], ByteWriter::checked_u32(i));

  ByteWriter out;
  // Byte by byte: GCC 12 misreads a range insert into the empty vector as an overflow.
  for (uint8_t byte : kMagic) out.u8(byte);
  out.u16(kBytecodeMajor);
  out.u16(kBytecodeMinor);
  out.u32(static_cast<uint32_t>(kBytecodeHeaderSize));
  out.u64(0);  // required features
  out.u64(0);  // optional features
  out.u64(0);  // payload size, patched below
  out.u64(0);  // checksum, patched below
  GYRO_ASSERT(out.bytes().size() == kBytecodeHeaderSize, "header layout drifted");

  std::size_t length_at = out.begin_section(kSectionModule, 0);
  out.string(module.name);
  out.u32(table.empty() ? kNoCode : index.at(table.back()));  // the top code comes last
  out.end_section(length_at);
  CodeWriter code_writer(out, index);
  for (const Code* code : table) {
    length_at = out.begin_section(kSectionCode, 0);
    code_writer.write(*code);
    out.end_section(length_at);
  }

  out.seal_payload(kBytecodeHeaderSize, kBytecodePayloadSizeOffset, kBytecodeChecksumOffset);
  return std::move(out.bytes());
}

Expected<Module> read_bytecode(std::span<const uint8_t> bytes) {
  // The magic first, even on a short file, so that a foreign file says so rather than
  // "truncated".
  const std::size_t magic_size = std::min(bytes.size(), sizeof(kMagic));
  for (std::size_t i = 0; i < magic_size; ++i)
    if (bytes[i] != kMagic[i])
      return make_error(ErrorKind::BytecodeError,
                        "not a gyro bytecode file: bad magic at byte {} (expected "
                        "\\x89GYC\\r\\n\\x1a\\n)",
                        i);

  ByteReader header(bytes, 0);
  GYRO_TRY(header.take(sizeof(kMagic), "header"));
  GYRO_ASSIGN_OR_RETURN(uint16_t major, header.u16("header"));
  GYRO_ASSIGN_OR_RETURN(uint16_t minor, header.u16("header"));
  if (major != kBytecodeMajor)
    return make_error(ErrorKind::BytecodeError,
                      "unsupported bytecode version {}.{} (this gyro reads {}.x)", major, minor,
                      kBytecodeMajor);
  const std::size_t header_size_offset = header.offset();
  GYRO_ASSIGN_OR_RETURN(uint32_t header_size, header.u32("header"));
  if (header_size < kBytecodeHeaderSize)
    return header.error_at(header_size_offset,
                           "header size {} is below the {} bytes of version "
                           "{}.0",
                           header_size, kBytecodeHeaderSize, kBytecodeMajor);
  GYRO_ASSIGN_OR_RETURN(uint64_t required, header.u64("header"));
  if (required & ~kKnownRequiredFeatures)
    return header.error_at(kBytecodeRequiredFeaturesOffset,
                           "the file requires unknown features {:#x} (written by a newer gyro?)",
                           required & ~kKnownRequiredFeatures);
  GYRO_TRY(header.u64("header"));  // optional features: nothing to do with unknown ones
  GYRO_ASSIGN_OR_RETURN(uint64_t payload_size, header.u64("header"));
  GYRO_ASSIGN_OR_RETURN(uint64_t checksum, header.u64("header"));
  // Fields a newer minor version appended.
  GYRO_TRY(header.take(header_size - kBytecodeHeaderSize, "header"));

  GYRO_ASSIGN_OR_RETURN(std::span<const uint8_t> payload,
                        checked_payload(bytes, header.offset(), payload_size, checksum,
                                        kBytecodeChecksumOffset, ErrorKind::BytecodeError));

  ByteReader reader(payload, header.offset());
  Loader loader;
  return loader.load(reader);
}

Expected<Module> read_bytecode_file(const std::string& path) {
  GYRO_ASSIGN_OR_RETURN(Ref<MappedFile> file, map_file(path));
  Expected<Module> module = read_bytecode(file->bytes());
  if (!module.ok()) {
    Error error = std::move(module).error();
    error.message = path + ": " + error.message;
    return error;
  }
  return module;
}

// Atomic, as every file gyro writes: a process loading the file never sees half of it.
Status write_bytecode_file(const std::string& path, const Module& module) {
  return write_file_atomically(path, write_bytecode(module));
}

}  // namespace gyro
