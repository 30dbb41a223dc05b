// The container checks every binary format shares: payload size and checksum.
#include "ir/byte_io.h"

#include <xxhash.h>

namespace gyro {

std::string section_tag_name(uint32_t tag) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const auto ch = static_cast<unsigned char>(tag >> (8 * i));
    if (ch < 0x20 || ch > 0x7e) return fmt::format("{:#010x}", tag);
    text += static_cast<char>(ch);
  }
  return "'" + text + "'";
}

uint64_t payload_checksum(std::span<const uint8_t> payload) {
  return XXH3_64bits(payload.data(), payload.size());
}

void ByteWriter::seal_payload(std::size_t header_size, std::size_t size_offset,
                              std::size_t checksum_offset) {
  GYRO_ASSERT(out_.size() >= header_size, "the payload starts past the end");
  std::span<const uint8_t> payload(out_.data() + header_size, out_.size() - header_size);
  patch_u64(size_offset, payload.size());
  patch_u64(checksum_offset, payload_checksum(payload));
}

Expected<std::span<const uint8_t>> checked_payload(std::span<const uint8_t> bytes,
                                                   std::size_t payload_start,
                                                   uint64_t payload_size, uint64_t checksum,
                                                   std::size_t checksum_offset, ErrorKind kind) {
  GYRO_ASSERT(payload_start <= bytes.size(), "the header ends past the file");
  const std::size_t present = bytes.size() - payload_start;
  if (payload_size > present)
    return make_error(kind, "truncated payload at byte {}: the header says {} bytes, {} are present",
                      bytes.size(), payload_size, present);
  if (payload_size < present)
    return make_error(kind, "trailing garbage: {} bytes after the payload, which ends at byte {}",
                      present - payload_size, payload_start + payload_size);
  std::span<const uint8_t> payload = bytes.subspan(payload_start);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  if (uint64_t actual = payload_checksum(payload); actual != checksum)
    return make_error(kind,
                      "checksum mismatch: the header (byte {}) says {:#018x}, the payload hashes "
                      "to {:#018x}; the file is corrupt",
                      checksum_offset, checksum, actual);
#else
  (void)checksum;
  (void)checksum_offset;
#endif
  return payload;
}

}  // namespace gyro
