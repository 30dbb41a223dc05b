// The .gyc file: round trips of a full code tree, and a precise error for each malformed input.
#include "ir/bytecode_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <string>
#include <vector>

#include "ir/code_builder.h"
#include "tests/unit/test_support.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

double from_bits(uint64_t bits) { return std::bit_cast<double>(bits); }

// Floats whose bits a text or lossy encoding would change.
const std::vector<double>& tricky_floats() {
  static const std::vector<double> values = {
      -0.0, 0.0, 1.5, kInf, -kInf, 5e-324,
      from_bits(0x7ff800000000beefULL),  // quiet NaN with a payload
      from_bits(0xfff8000000000001ULL),  // negative NaN
      from_bits(0x7ff0000000000001ULL),  // signalling NaN
  };
  return values;
}

// def outer(x, *rest): def inner(): return x; return inner — under a module whose constants
// cover every kind, whose lines go backwards and far, and whose tuple shares `inner`.
std::shared_ptr<const Code> sample_tree() {
  CodeBuilder inner("inner", "sample.gy", 3);
  inner.set_line(4);
  inner.emit(Opcode::LOAD_DEREF, inner.free_var("x"));
  inner.emit(Opcode::RETURN_VALUE);
  std::shared_ptr<const Code> inner_code = inner.finish().value();

  CodeBuilder outer("outer", "sample.gy", 2);
  outer.set_parameters({"x", "rest"}, /*varargs=*/true);
  outer.set_line(3);
  outer.emit(Opcode::LOAD_CLOSURE, outer.cell("x"));
  outer.emit(Opcode::BUILD_TUPLE, 1);
  outer.emit(Opcode::LOAD_CONST, outer.constant(Constant::code(inner_code)));
  outer.emit(Opcode::MAKE_FUNCTION, 2);
  outer.set_line(5);
  outer.emit(Opcode::RETURN_VALUE);
  std::shared_ptr<const Code> outer_code = outer.finish().value();

  CodeBuilder top("<module>", "sample.gy", 1);
  std::vector<Constant> constants = {
      Constant(),
      Constant::boolean(true),
      Constant::boolean(false),
      Constant::integer(0),
      Constant::integer(-1),
      Constant::integer(kInt64Min),
      Constant::integer(kInt64Max),
      Constant::string(""),
      Constant::string(std::string("nul\0inside", 10)),
      Constant::string("h\xc3\xa9llo \xe2\x98\x83"),
      Constant::tuple({}),
      Constant::tuple({Constant::integer(1),
                       Constant::tuple({Constant::real(2.5), Constant::string("a"), Constant(),
                                        Constant::ellipsis()}),
                       Constant::tuple({Constant::code(inner_code)})}),
  };
  for (double value : tricky_floats()) constants.push_back(Constant::real(value));
  int line = 10;
  for (const Constant& constant : constants) {
    top.set_line(line);
    line = line == 10 ? 7 : line + 1000;  // backwards once, then large steps
    top.emit(Opcode::LOAD_CONST, top.constant(constant));
    top.emit(Opcode::POP_TOP);
  }
  Label skip = top.new_label();
  top.emit(Opcode::LOAD_NAME, top.name("flag"));
  top.emit_jump(Opcode::POP_JUMP_IF_FALSE, skip);
  top.emit(Opcode::NOP);
  top.bind(skip);
  top.set_line(-3);  // lines are plain ints; negative ones survive too
  top.emit(Opcode::LOAD_CONST, top.constant(Constant::code(outer_code)));
  top.emit(Opcode::MAKE_FUNCTION, 0);
  top.emit(Opcode::STORE_NAME, top.name("outer"));
  top.emit(Opcode::LOAD_CONST, top.constant(Constant()));
  top.emit(Opcode::RETURN_VALUE);
  return top.finish().value();
}

Module sample_module() { return Module{"sample", sample_tree()}; }

// def f(): return None
Module tiny_module() {
  CodeBuilder builder("f", "t.gy");
  builder.emit(Opcode::LOAD_CONST, builder.constant(Constant()));
  builder.emit(Opcode::RETURN_VALUE);
  return Module{"m", builder.finish().value()};
}

void put_u64(std::vector<uint8_t>& bytes, std::size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

// After editing a version 1.x file's payload: a header that matches it again, so that the
// structural checks, not the size or checksum checks, are what a test exercises.
void refresh_header(std::vector<uint8_t>& file) {
  const std::size_t payload_size = file.size() - kBytecodeHeaderSize;
  put_u64(file, kBytecodePayloadSizeOffset, payload_size);
  put_u64(file, kBytecodeChecksumOffset,
          bytecode_checksum(std::span<const uint8_t>(file).subspan(kBytecodeHeaderSize)));
}

// Hand-written payload bytes, for inputs the writer never produces.
class Bytes {
 public:
  Bytes& u8(uint8_t value) {
    data.push_back(value);
    return *this;
  }
  Bytes& u32(uint32_t value) {
    for (int i = 0; i < 4; ++i) data.push_back(static_cast<uint8_t>(value >> (8 * i)));
    return *this;
  }
  Bytes& u64(uint64_t value) {
    for (int i = 0; i < 8; ++i) data.push_back(static_cast<uint8_t>(value >> (8 * i)));
    return *this;
  }
  Bytes& str(const std::string& text) {
    u32(static_cast<uint32_t>(text.size()));
    // Byte by byte: GCC 12 at -O3 with -march=native on some CPUs warns falsely
    // (-Wstringop-overflow) about a range insert after the push_backs above.
    for (char c : text) data.push_back(static_cast<uint8_t>(c));
    return *this;
  }
  Bytes& append(const Bytes& other) {
    data.insert(data.end(), other.data.begin(), other.data.end());
    return *this;
  }
  Bytes& section(uint32_t tag, uint32_t flags, const Bytes& body) {
    u32(tag).u32(flags).u64(body.data.size());
    return append(body);
  }
  std::vector<uint8_t> data;
};

Bytes module_section(uint32_t top = 0) {
  return Bytes().section(kSectionModule, 0, Bytes().str("m").u32(top));
}

// A code body up to its instruction count: name "f", no arguments, no flags.
Bytes code_prefix() { return Bytes().str("f").str("t.gy").u32(1).u32(0).u32(0); }

// A whole code body: `instructions` as (opcode, arg), a zero line delta each, `constants` as
// already-encoded bytes (`constant_count` of them), no names.
Bytes code_body(const std::vector<std::pair<int, uint32_t>>& instructions,
                uint32_t constant_count, const Bytes& constants) {
  Bytes body = code_prefix();
  body.u32(static_cast<uint32_t>(instructions.size()));
  for (auto [opcode, arg] : instructions) body.u8(static_cast<uint8_t>(opcode)).u32(arg);
  body.u32(static_cast<uint32_t>(instructions.size()));
  for (std::size_t i = 0; i < instructions.size(); ++i) body.u8(0);
  body.u32(constant_count).append(constants);
  for (int list = 0; list < 4; ++list) body.u32(0);
  return body;
}

constexpr int kLoadConst = static_cast<int>(Opcode::LOAD_CONST);
constexpr int kReturn = static_cast<int>(Opcode::RETURN_VALUE);

// return constants[0], whose encoding is `constant`.
Bytes return_constant_code(const Bytes& constant) {
  return code_body({{kLoadConst, 0}, {kReturn, 0}}, 1, constant);
}

// A version 1.x file around `payload`, with a correct size and checksum.
std::vector<uint8_t> file_with(const Bytes& payload) {
  std::vector<uint8_t> file = write_bytecode(tiny_module());
  file.resize(kBytecodeHeaderSize);
  file.insert(file.end(), payload.data.begin(), payload.data.end());
  refresh_header(file);
  return file;
}

std::vector<uint8_t> file_with_code(const Bytes& code) {
  return file_with(Bytes().append(module_section()).section(kSectionCode, 0, code));
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(BytecodeFile, RoundTripsANestedTreeWithEveryConstantKind) {
  Module module = sample_module();
  std::vector<uint8_t> bytes = write_bytecode(module);
  Expected<Module> loaded = read_bytecode(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(loaded->name, "sample");
  EXPECT_EQ(*loaded->top, *module.top);

  // The verifier ran on every loaded code: max_stack is recomputed, not stored.
  std::vector<const Code*> original = all_codes(*module.top);
  std::vector<const Code*> copy = all_codes(*loaded->top);
  ASSERT_EQ(original.size(), copy.size());
  for (std::size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(copy[i]->max_stack, original[i]->max_stack) << copy[i]->name;
    EXPECT_GT(copy[i]->max_stack, 0) << copy[i]->name;
  }
  // Writing is deterministic: the loaded tree writes the same bytes.
  EXPECT_EQ(write_bytecode(*loaded), bytes);
}

TEST(BytecodeFile, KeepsCellsFreeVariablesAndVarargs) {
  Expected<Module> loaded = read_bytecode(write_bytecode(sample_module()));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const Code* outer = nullptr;
  const Code* inner = nullptr;
  for (const Code* code : all_codes(*loaded->top)) {
    if (code->name == "outer") outer = code;
    if (code->name == "inner") inner = code;
  }
  ASSERT_NE(outer, nullptr);
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(outer->local_names, (std::vector<std::string>{"x", "rest"}));
  EXPECT_EQ(outer->cell_names, std::vector<std::string>{"x"});
  EXPECT_EQ(outer->arg_count, 2);
  EXPECT_EQ(outer->flags, static_cast<uint32_t>(kVarargs));
  EXPECT_EQ(inner->free_names, std::vector<std::string>{"x"});
  EXPECT_EQ(inner->first_line, 3);
  EXPECT_EQ(inner->lines, (std::vector<int>{4, 4}));
}

TEST(BytecodeFile, WritesASharedCodeOnceAndLoadsItShared) {
  Expected<Module> loaded = read_bytecode(write_bytecode(sample_module()));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const Code* in_outer = nullptr;
  const Code* in_tuple = nullptr;
  for (const Constant& constant : loaded->top->constants) {
    if (constant.kind() == Constant::Kind::kCode) {
      for (const Constant& inner : constant.as_code()->constants)
        if (inner.kind() == Constant::Kind::kCode) in_outer = inner.as_code().get();
    }
    if (constant.kind() == Constant::Kind::kTuple && constant.items().size() == 3)
      in_tuple = constant.items()[2].items()[0].as_code().get();
  }
  ASSERT_NE(in_outer, nullptr);
  EXPECT_EQ(in_outer, in_tuple);
}

TEST(BytecodeFile, FloatConstantsAreBitExact) {
  Expected<Module> loaded = read_bytecode(write_bytecode(sample_module()));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  std::vector<uint64_t> bits;
  for (const Constant& constant : loaded->top->constants)
    if (constant.kind() == Constant::Kind::kFloat)
      bits.push_back(std::bit_cast<uint64_t>(constant.as_float()));
  std::vector<uint64_t> expected;
  for (double value : tricky_floats()) expected.push_back(std::bit_cast<uint64_t>(value));
  EXPECT_EQ(bits, expected);
}

TEST(BytecodeFile, RoundTripsThroughAFile) {
  const std::string path = ::testing::TempDir() + "bytecode_file_test.gyc";
  Module module = sample_module();
  Status written = write_bytecode_file(path, module);
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  Expected<Module> loaded = read_bytecode_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(*loaded->top, *module.top);

  // Content errors name the file.
  std::vector<uint8_t> bytes = write_bytecode(module);
  bytes.push_back(0);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), file), bytes.size());
  ASSERT_EQ(std::fclose(file), 0);
  EXPECT_TRUE(fails_with(read_bytecode_file(path), ErrorKind::BytecodeError,
                         path + ": trailing garbage"));
  std::remove(path.c_str());
}

TEST(BytecodeFile, ReportsIoErrorsWithThePath) {
  const std::string missing = ::testing::TempDir() + "no_such_dir/missing.gyc";
  EXPECT_TRUE(fails_with(read_bytecode_file(missing), ErrorKind::FileNotFoundError,
                         "cannot open " + missing + ": No such file or directory"));
  EXPECT_TRUE(fails_with(write_bytecode_file(missing, tiny_module()),
                         ErrorKind::FileNotFoundError,
                         "cannot write " + missing + ": No such file or directory"));
}

// ---------------------------------------------------------------------------------------------
// The container: header, size, checksum, sections

TEST(BytecodeFile, EveryTruncationFailsCleanly) {
  std::vector<uint8_t> bytes = write_bytecode(tiny_module());
  ASSERT_TRUE(read_bytecode(bytes).ok());
  for (std::size_t size = 0; size < bytes.size(); ++size)
    EXPECT_TRUE(fails_with(read_bytecode(std::span<const uint8_t>(bytes.data(), size)),
                           ErrorKind::BytecodeError, "truncated"))
        << "prefix of " << size << " bytes";
}

TEST(BytecodeFile, EveryTruncatedPayloadWithAMatchingHeaderFailsCleanly) {
  // The header is made to agree with each shortened payload, so the section and field
  // parsers meet the end of their bytes at every possible point.
  std::vector<uint8_t> bytes = write_bytecode(sample_module());
  for (std::size_t size = kBytecodeHeaderSize; size < bytes.size(); ++size) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + size);
    refresh_header(cut);
    Expected<Module> loaded = read_bytecode(cut);
    EXPECT_FALSE(loaded.ok()) << "payload of " << size - kBytecodeHeaderSize << " bytes";
    if (!loaded.ok()) {
      EXPECT_EQ(loaded.error().kind, ErrorKind::BytecodeError);
    }
  }
}

TEST(BytecodeFile, ChecksumCatchesEveryCorruptedPayloadByte) {
  const std::vector<uint8_t> bytes = write_bytecode(tiny_module());
  for (std::size_t at = kBytecodeHeaderSize; at < bytes.size(); ++at)
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> corrupt = bytes;
      corrupt[at] ^= flip;
      EXPECT_TRUE(fails_with(read_bytecode(corrupt), ErrorKind::BytecodeError,
                             "checksum mismatch"))
          << "byte " << at << " ^ " << int{flip};
    }
}

TEST(BytecodeFile, RejectsAWrongMagic) {
  std::vector<uint8_t> bytes = write_bytecode(tiny_module());
  bytes[1] = 'P';
  EXPECT_TRUE(fails_with(read_bytecode(bytes), ErrorKind::BytecodeError,
                         "not a gyro bytecode file: bad magic at byte 1"));
  const std::string text = "def f(): pass\n";
  EXPECT_TRUE(fails_with(
      read_bytecode(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())),
      ErrorKind::BytecodeError, "bad magic at byte 0"));
  EXPECT_TRUE(fails_with(read_bytecode({}), ErrorKind::BytecodeError,
                         "truncated header at byte 0"));
}

TEST(BytecodeFile, RejectsAnotherMajorVersionAndAcceptsANewerMinor) {
  std::vector<uint8_t> bytes = write_bytecode(tiny_module());
  bytes[kBytecodeMajorOffset] = 2;
  bytes[kBytecodeMajorOffset + 2] = 3;
  EXPECT_TRUE(fails_with(read_bytecode(bytes), ErrorKind::BytecodeError,
                         "unsupported bytecode version 2.3 (this gyro reads 1.x)"));
  bytes[kBytecodeMajorOffset] = 1;
  EXPECT_TRUE(read_bytecode(bytes).ok());
}

TEST(BytecodeFile, SkipsHeaderFieldsANewerMinorAppends) {
  std::vector<uint8_t> bytes = write_bytecode(tiny_module());
  bytes.insert(bytes.begin() + kBytecodeHeaderSize, 8, 0xab);
  bytes[12] = kBytecodeHeaderSize + 8;
  EXPECT_TRUE(read_bytecode(bytes).ok());
  bytes[12] = 40;
  EXPECT_TRUE(fails_with(read_bytecode(bytes), ErrorKind::BytecodeError,
                         "header size 40 is below the 48 bytes of version 1.0 at byte 12"));
  bytes[12] = 0xff;  // a header longer than the file
  EXPECT_TRUE(fails_with(read_bytecode(bytes), ErrorKind::BytecodeError, "truncated header"));
}

TEST(BytecodeFile, RejectsUnknownRequiredFeaturesAndIgnoresOptionalOnes) {
  std::vector<uint8_t> bytes = write_bytecode(tiny_module());
  put_u64(bytes, kBytecodeRequiredFeaturesOffset + 8, 0xffff);  // optional features
  EXPECT_TRUE(read_bytecode(bytes).ok());
  put_u64(bytes, kBytecodeRequiredFeaturesOffset, 1u << 3);
  EXPECT_TRUE(fails_with(read_bytecode(bytes), ErrorKind::BytecodeError,
                         "requires unknown features 0x8"));
}

TEST(BytecodeFile, RejectsTrailingGarbage) {
  std::vector<uint8_t> bytes = write_bytecode(tiny_module());
  const std::size_t end = bytes.size();
  bytes.push_back(0);
  EXPECT_TRUE(fails_with(read_bytecode(bytes), ErrorKind::BytecodeError,
                         "trailing garbage: 1 bytes after the payload, which ends at byte " +
                             std::to_string(end)));
}

TEST(BytecodeFile, SkipsUnknownSkippableSectionsOnly) {
  Module module = tiny_module();
  const std::vector<uint8_t> bytes = write_bytecode(module);
  const Bytes extra = Bytes().u8(1).u8(2).u8(3);
  auto with_section = [&](uint32_t flags) {
    std::vector<uint8_t> file = bytes;
    Bytes section = Bytes().section(0x41525458, flags, extra);  // "XTRA"
    file.insert(file.end(), section.data.begin(), section.data.end());
    refresh_header(file);
    return file;
  };
  Expected<Module> loaded = read_bytecode(with_section(kSectionSkippable));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(*loaded->top, *module.top);
  EXPECT_TRUE(fails_with(read_bytecode(with_section(0)), ErrorKind::BytecodeError,
                         "unknown section 'XTRA' that is not marked skippable at byte " +
                             std::to_string(bytes.size())));
  EXPECT_TRUE(fails_with(read_bytecode(with_section(kSectionSkippable | 4)),
                         ErrorKind::BytecodeError, "reserved flag bits 0x4"));
}

TEST(BytecodeFile, RejectsASectionLongerThanThePayload) {
  std::vector<uint8_t> file = file_with(Bytes().u32(kSectionCode).u32(0).u64(1000).u8(0));
  EXPECT_TRUE(fails_with(read_bytecode(file), ErrorKind::BytecodeError,
                         "truncated section 'CODE' at byte 48: its length is 1000 bytes, 1 "
                         "remain"));
}

TEST(BytecodeFile, RequiresExactlyOneModuleSectionNamingADefinedCode) {
  const Bytes code = return_constant_code(Bytes().u8(0));
  EXPECT_TRUE(read_bytecode(file_with_code(code)).ok());
  EXPECT_TRUE(fails_with(read_bytecode(file_with(Bytes().section(kSectionCode, 0, code))),
                         ErrorKind::BytecodeError, "no module section"));
  EXPECT_TRUE(fails_with(
      read_bytecode(file_with(
          Bytes().append(module_section()).append(module_section()).section(kSectionCode, 0,
                                                                            code))),
      ErrorKind::BytecodeError, "a second module section (the first is at byte 48)"));
  EXPECT_TRUE(fails_with(
      read_bytecode(file_with(Bytes().append(module_section(1)).section(kSectionCode, 0, code))),
      ErrorKind::BytecodeError, "names top code 1, but the file has 1 code sections"));
  // A module without a top code writes, and is rejected on load.
  EXPECT_TRUE(fails_with(read_bytecode(write_bytecode(Module{"m", nullptr})),
                         ErrorKind::BytecodeError, "the file has 0 code sections"));
}

// ---------------------------------------------------------------------------------------------
// Code sections

TEST(BytecodeFile, AHandWrittenCodeSectionLoads) {
  Expected<Module> loaded = read_bytecode(file_with_code(return_constant_code(Bytes().u8(0))));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(*loaded->top, *tiny_module().top);
  EXPECT_EQ(loaded->top->max_stack, 1);
}

TEST(BytecodeFile, RejectsAnInvalidOpcodeByteEvenWithAValidChecksum) {
  std::vector<uint8_t> bytes = write_bytecode(tiny_module());
  const uint8_t instructions[] = {kLoadConst, 0, 0, 0, 0, kReturn, 0, 0, 0, 0};
  auto found = std::search(bytes.begin(), bytes.end(), std::begin(instructions),
                           std::end(instructions));
  ASSERT_NE(found, bytes.end());
  const std::size_t at = static_cast<std::size_t>(found - bytes.begin()) + 5;
  for (int opcode : {kNumOpcodes, 0xff}) {
    std::vector<uint8_t> corrupt = bytes;
    corrupt[at] = static_cast<uint8_t>(opcode);
    refresh_header(corrupt);
    EXPECT_TRUE(fails_with(read_bytecode(corrupt), ErrorKind::BytecodeError,
                           fmt::format("invalid opcode byte {:#04x} in instruction 1 at byte {}",
                                       opcode, at)));
  }
}

TEST(BytecodeFile, ChecksCountsAgainstTheRemainingBytesBeforeAllocating) {
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(code_prefix().u32(0xffffffff))),
                         ErrorKind::BytecodeError,
                         "instruction count 4294967295 exceeds the 0 bytes that remain"));
  // Two bytes short of two instructions.
  EXPECT_TRUE(fails_with(
      read_bytecode(file_with_code(code_prefix().u32(2).u8(kReturn).u32(0).u8(kReturn).u8(0))),
      ErrorKind::BytecodeError, "instruction count 2 exceeds the 7 bytes that remain"));
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(
                             code_prefix().u32(1).u8(kReturn).u32(0).u32(0x7fffffff))),
                         ErrorKind::BytecodeError, "line count 2147483647 exceeds"));
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(code_body({}, 0xfffffff0, Bytes()))),
                         ErrorKind::BytecodeError, "constant count 4294967280 exceeds"));
  EXPECT_TRUE(fails_with(
      read_bytecode(file_with_code(return_constant_code(Bytes().u8(6).u32(1u << 30)))),
      ErrorKind::BytecodeError, "tuple item count 1073741824 exceeds"));
  Bytes many_names = code_prefix().u32(0).u32(0).u32(0).u32(0xffffffff);
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(many_names)), ErrorKind::BytecodeError,
                         "name count 4294967295 exceeds"));
}

TEST(BytecodeFile, RejectsStringsWithBadLengths) {
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(Bytes().u32(0xffffffff).u8('f'))),
                         ErrorKind::BytecodeError,
                         "code name of 4294967295 bytes runs past the end of its section (1 "
                         "bytes remain) at byte 89"));
  EXPECT_TRUE(fails_with(
      read_bytecode(file_with_code(return_constant_code(Bytes().u8(4).u32(1000).u8('x')))),
      ErrorKind::BytecodeError, "string constant of 1000 bytes runs past the end"));
}

TEST(BytecodeFile, AnEllipsisConstantIsKindSevenWithNoPayload) {
  Expected<Module> loaded = read_bytecode(file_with_code(return_constant_code(Bytes().u8(7))));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  ASSERT_EQ(loaded->top->constants.size(), 1u);
  EXPECT_EQ(loaded->top->constants[0], Constant::ellipsis());
}

TEST(BytecodeFile, RejectsBadConstants) {
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(return_constant_code(Bytes().u8(9)))),
                         ErrorKind::BytecodeError, "unknown constant kind 9"));
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(return_constant_code(Bytes().u8(1).u8(2)))),
                         ErrorKind::BytecodeError, "bool constant 2 is not 0 or 1"));
}

TEST(BytecodeFile, RejectsCodeReferencesToCodesNotYetDefined) {
  // A code that names itself (or anything later) could make a cycle.
  EXPECT_TRUE(fails_with(
      read_bytecode(file_with_code(return_constant_code(Bytes().u8(5).u32(0)))),
      ErrorKind::BytecodeError,
      "code section 0 at byte 73: code constant refers to code 0, but only 0 code sections "
      "precede it"));
  const Bytes child = return_constant_code(Bytes().u8(0));
  const Bytes parent = return_constant_code(Bytes().u8(5).u32(0));
  Expected<Module> loaded = read_bytecode(file_with(Bytes()
                                                        .append(module_section(1))
                                                        .section(kSectionCode, 0, child)
                                                        .section(kSectionCode, 0, parent)));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(loaded->top->constants[0].as_code()->constants[0].kind(), Constant::Kind::kNone);
  EXPECT_TRUE(fails_with(read_bytecode(file_with(Bytes()
                                                     .append(module_section(1))
                                                     .section(kSectionCode, 0, parent)
                                                     .section(kSectionCode, 0, child))),
                         ErrorKind::BytecodeError, "refers to code 0, but only 0"));
}

TEST(BytecodeFile, LimitsTupleNesting) {
  auto nested = [](int depth) {
    Bytes constant;
    for (int i = 0; i < depth; ++i) constant.u8(6).u32(1);
    return constant.u8(0);
  };
  Expected<Module> deepest = read_bytecode(file_with_code(return_constant_code(
      nested(kMaxConstantDepth))));
  ASSERT_TRUE(deepest.ok()) << deepest.error().to_string();
  EXPECT_TRUE(fails_with(
      read_bytecode(file_with_code(return_constant_code(nested(kMaxConstantDepth + 1)))),
      ErrorKind::BytecodeError, "tuple constants nest deeper than 32"));
}

TEST(BytecodeFile, RejectsBadLineDeltas) {
  auto with_delta = [](const Bytes& delta) {
    Bytes body = code_prefix().u32(1).u8(kReturn).u32(0).u32(1).append(delta);
    return body.u32(0).u32(0).u32(0).u32(0).u32(0);
  };
  Bytes too_long;
  for (int i = 0; i < 10; ++i) too_long.u8(0x80);
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(with_delta(too_long.u8(0)))),
                         ErrorKind::BytecodeError, "line delta is longer than 10 bytes"));
  Bytes overflow;
  for (int i = 0; i < 9; ++i) overflow.u8(0xff);
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(with_delta(overflow.u8(0x02)))),
                         ErrorKind::BytecodeError, "line delta overflows 64 bits"));
  // zigzag 2^32 * 2 = 2^33: delta 2^32 takes line 1 past INT_MAX.
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(with_delta(
                             Bytes().u8(0x80).u8(0x80).u8(0x80).u8(0x80).u8(0x20)))),
                         ErrorKind::BytecodeError, "line delta 4294967296 takes line 1 out of range"));
}

TEST(BytecodeFile, RejectsExtraBytesInsideASection) {
  Bytes code = return_constant_code(Bytes().u8(0)).u8(0xee);
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(code)), ErrorKind::BytecodeError,
                         "1 unexpected bytes at the end of section 'CODE'"));
}

TEST(BytecodeFile, RunsTheVerifierOnEveryLoadedCode) {
  // BINARY_OP on an empty stack.
  const Bytes code =
      code_body({{static_cast<int>(Opcode::BINARY_OP), 0}, {kReturn, 0}}, 0, Bytes());
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(code)), ErrorKind::BytecodeError,
                         "code section 0 at byte 73: code 'f', offset 0 (BINARY_OP): stack "
                         "underflow: needs 2 values, has 0"));
  // A line table of the wrong length is the verifier's to reject.
  Bytes short_lines = code_prefix().u32(1).u8(kReturn).u32(0).u32(0);
  short_lines.u32(0).u32(0).u32(0).u32(0).u32(0);
  EXPECT_TRUE(fails_with(read_bytecode(file_with_code(short_lines)), ErrorKind::BytecodeError,
                         "line table has 0 entries for 1 instructions"));
}

}  // namespace
