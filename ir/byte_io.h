// Little-endian byte writing and bounds-checked reading, shared by the binary file formats
// (.gyc bytecode, saved objects, compile-cache artifacts). The reader checks every length
// against the bytes that remain before anything is allocated, and its errors name the byte
// offset in the file (`base` is where the span starts in it).
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ir/assert.h"
#include "ir/error.h"

namespace gyro {

class ByteWriter {
 public:
  void u8(uint8_t value) { out_.push_back(value); }
  void u16(uint16_t value) { little_endian(value, 2); }
  void u32(uint32_t value) { little_endian(value, 4); }
  void u64(uint64_t value) { little_endian(value, 8); }
  void varint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<uint8_t>(value | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<uint8_t>(value));
  }
  void string(std::string_view text) {
    u32(checked_u32(text.size()));
    out_.insert(out_.end(), text.begin(), text.end());
  }
  // A count the format stores in a u32; a larger in-memory table cannot be a valid program.
  static uint32_t checked_u32(std::size_t size) {
    GYRO_ASSERT(size <= UINT32_MAX, "{} items do not fit the bytecode format's u32 count", size);
    return static_cast<uint32_t>(size);
  }

  // Starts a section; returns where its length goes, for end_section.
  std::size_t begin_section(uint32_t tag, uint32_t flags) {
    u32(tag);
    u32(flags);
    std::size_t length_at = out_.size();
    u64(0);
    return length_at;
  }
  void end_section(std::size_t length_at) { patch_u64(length_at, out_.size() - length_at - 8); }
  void patch_u64(std::size_t at, uint64_t value) {
    for (int i = 0; i < 8; ++i) out_[at + i] = static_cast<uint8_t>(value >> (8 * i));
  }

  // Ends a container file: the payload (everything after `header_size` bytes) gets its size
  // and checksum (payload_checksum) patched into the header at the given offsets.
  void seal_payload(std::size_t header_size, std::size_t size_offset,
                    std::size_t checksum_offset);

  std::vector<uint8_t>& bytes() { return out_; }

 private:
  void little_endian(uint64_t value, int size) {
    for (int i = 0; i < size; ++i) out_.push_back(static_cast<uint8_t>(value >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

inline uint64_t zigzag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}
inline int64_t unzigzag(uint64_t value) {
  return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

class ByteReader {
 public:
  ByteReader(std::span<const uint8_t> bytes, std::size_t base,
             ErrorKind error_kind = ErrorKind::BytecodeError)
      : bytes_(bytes), base_(base), error_kind_(error_kind) {}

  std::size_t offset() const { return base_ + pos_; }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  template <typename... Args>
  Error error_at(std::size_t offset, fmt::format_string<Args...> format, Args&&... args) const {
    return make_error(error_kind_, "{} at byte {}",
                      fmt::format(format, std::forward<Args>(args)...), offset);
  }

  Expected<std::span<const uint8_t>> take(std::size_t size, std::string_view what) {
    if (size > remaining())
      return make_error(error_kind_,
                        "truncated {} at byte {}: needs {} bytes, {} remain", what, offset(), size,
                        remaining());
    std::span<const uint8_t> out = bytes_.subspan(pos_, size);
    pos_ += size;
    return out;
  }
  Expected<uint8_t> u8(std::string_view what) { return little_endian<uint8_t>(what); }
  Expected<uint16_t> u16(std::string_view what) { return little_endian<uint16_t>(what); }
  Expected<uint32_t> u32(std::string_view what) { return little_endian<uint32_t>(what); }
  Expected<uint64_t> u64(std::string_view what) { return little_endian<uint64_t>(what); }

  // LEB128; at most 10 bytes, and the 10th may only carry the 64th bit.
  Expected<uint64_t> varint(std::string_view what) {
    const std::size_t start = offset();
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      GYRO_ASSIGN_OR_RETURN(uint8_t byte, u8(what));
      if (shift == 63 && (byte & 0x7e)) return error_at(start, "{} overflows 64 bits", what);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    return error_at(start, "{} is longer than 10 bytes", what);
  }

  Expected<std::string> string(std::string_view what) {
    const std::size_t start = offset();
    GYRO_ASSIGN_OR_RETURN(uint32_t size, u32(what));
    if (size > remaining())
      return error_at(start, "{} of {} bytes runs past the end of its section ({} bytes remain)",
                      what, size, remaining());
    GYRO_ASSIGN_OR_RETURN(auto text, take(size, what));
    return std::string(text.begin(), text.end());
  }

  // A u32 count of items that each take at least `min_bytes`: rejected unless that many could
  // fit in what remains, so that reserving `count` items is bounded by the input's size.
  Expected<uint32_t> count(std::string_view what, std::size_t min_bytes) {
    const std::size_t start = offset();
    GYRO_ASSIGN_OR_RETURN(uint32_t value, u32(what));
    // value < 2^32 and min_bytes is small, so the product cannot overflow 64 bits.
    if (uint64_t{value} * min_bytes > remaining())
      return error_at(start, "{} count {} exceeds the {} bytes that remain", what, value,
                      remaining());
    return value;
  }

 private:
  template <typename T>
  Expected<T> little_endian(std::string_view what) {
    GYRO_ASSIGN_OR_RETURN(auto raw, take(sizeof(T), what));
    uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) value |= uint64_t{raw[i]} << (8 * i);
    return static_cast<T>(value);
  }

  std::span<const uint8_t> bytes_;
  std::size_t base_;
  std::size_t pos_ = 0;
  ErrorKind error_kind_;
};

// A section tag for messages: "'CODE'" when its four bytes are printable, "0x..." otherwise.
std::string section_tag_name(uint32_t tag);

// The XXH3-64 checksum every container format (.gyc, .gyo, compile-cache artifacts) keeps of
// its payload.
uint64_t payload_checksum(std::span<const uint8_t> payload);

// A container's payload: the bytes from `payload_start` (where the header ends), which must be
// exactly `payload_size` long and hash to `checksum` (read from byte `checksum_offset`). A
// truncated file, trailing bytes and a checksum mismatch are errors of `kind` naming the byte.
// Builds with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION skip the checksum, so that fuzzers
// reach the structural checks behind it.
Expected<std::span<const uint8_t>> checked_payload(std::span<const uint8_t> bytes,
                                                   std::size_t payload_start,
                                                   uint64_t payload_size, uint64_t checksum,
                                                   std::size_t checksum_offset, ErrorKind kind);

}  // namespace gyro
