// The binary bytecode file (.gyc): writes a Module's code tree to bytes and loads it back.
//
// Layout, all integers little-endian:
//
//   header (48 bytes in version 1.0; header_size lets a newer minor version append fields)
//     0  magic              8  "\x89GYC\r\n\x1a\n" (high bit, CRLF and ^Z catch text-mode
//                              and transfer mangling, as PNG's)
//     8  major              u16  1; any other major is rejected
//    10  minor              u16  1 (1.1 added the ellipsis constant); files of any 1.x load
//    12  header_size        u32  >= 48; the payload starts at this offset
//    16  required_features  u64  any bit this reader does not know -> rejected (none known)
//    24  optional_features  u64  ignored
//    32  payload_size       u64  the file is exactly header_size + payload_size bytes
//    40  checksum           u64  XXH3_64bits of the payload
//   payload: sections, each {u32 tag, u32 flags (bit 0: skippable), u64 length, length bytes}
//     'MODL' (once)  string name, u32 index of the top code in the code table
//     'CODE' (one per code object; the code table, in file order) with the fields
//        string name, string filename, i32 first_line, u32 arg_count, u32 flags,
//        u32 n, n x {u8 opcode, u32 arg},
//        n line deltas (zigzag varint; each from the previous line, the first from first_line),
//        u32 count + constants, u32 count + strings for each of names, local_names,
//        cell_names, free_names.
//     A constant is a u8 kind (Constant::Kind order: 0 none, 1 bool, 2 int, 3 float, 4 string,
//     5 code, 6 tuple, 7 ellipsis (since 1.1)) then: bool u8 0/1; int i64; float u64 (the IEEE bits, so -0.0 and NaN
//     payloads survive); string; code u32 table index, which must name an earlier code (so
//     children come before parents and no cycle can be written); tuple u32 count + constants,
//     nested at most kMaxConstantDepth deep.
//     A string is u32 byte length + bytes.
//   Opcode bytes are Opcode values (opcodes.def order) and constant kinds are Constant::Kind
//   values: appending either is a minor version (an older reader rejects the new tag as
//   unknown, with its offset); reordering or removing one needs a new major version.
//   Unknown sections with the skippable flag are ignored; any other unknown section, and any
//   flag bit besides bit 0, is rejected.
//
// Loading checks every length and count against the bytes that remain before it allocates,
// then runs the verifier over each code object (children first), so a loaded Module is as safe
// to run as one from CodeBuilder. Every malformed input is a BytecodeError naming the problem
// and its byte offset in the file. Builds with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION skip
// the checksum so that fuzzers reach the structural checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ir/code.h"
#include "ir/error.h"

namespace gyro {

inline constexpr uint16_t kBytecodeMajor = 1;
inline constexpr uint16_t kBytecodeMinor = 1;
inline constexpr std::size_t kBytecodeHeaderSize = 48;
// Offsets of header fields, for tools and tests that patch a file.
inline constexpr std::size_t kBytecodeMajorOffset = 8;
inline constexpr std::size_t kBytecodeRequiredFeaturesOffset = 16;
inline constexpr std::size_t kBytecodePayloadSizeOffset = 32;
inline constexpr std::size_t kBytecodeChecksumOffset = 40;
// Section tags: four ASCII characters, readable in a hex dump.
inline constexpr uint32_t kSectionModule = 0x4c444f4d;  // "MODL"
inline constexpr uint32_t kSectionCode = 0x45444f43;    // "CODE"
inline constexpr uint32_t kSectionSkippable = 1u << 0;
// Tuple constants nest at most this deep (bounds the loader's recursion).
inline constexpr int kMaxConstantDepth = 32;

// Serializes `module` and every code object reachable from its top code (each shared code
// once). Writing cannot fail; a tree the loader would reject (a null code constant, tuples
// nested deeper than kMaxConstantDepth) is written anyway and rejected on load.
std::vector<uint8_t> write_bytecode(const Module& module);

// Parses and verifies a .gyc image. Errors are BytecodeError with the byte offset.
Expected<Module> read_bytecode(std::span<const uint8_t> bytes);

// The same through a file (mapped; written atomically). I/O failures are OSError or
// FileNotFoundError ("cannot open PATH: reason"); content errors are BytecodeError prefixed
// with the path.
Expected<Module> read_bytecode_file(const std::string& path);
Status write_bytecode_file(const std::string& path, const Module& module);

// The payload checksum the header carries (XXH3_64bits).
uint64_t bytecode_checksum(std::span<const uint8_t> payload);

}  // namespace gyro
