// The persistent compile cache: cache entries saved to artifact files (save_cache, or
// GYRO_CACHE_DIR automatically) and loaded back in another process, where a miss takes a
// matching saved entry instead of tracing (a warm start: no tracing, no Z3).
//
// Artifact file, integers little-endian:
//   header (48 bytes)
//     0  magic          8  "\x89GYK\r\n\x1a\n"
//     8  major          u16  1; another major is a cache miss (logged), not an error
//    10  minor          u16  0
//    12  header_size    u32  48; the payload starts here
//    16  payload_size   u64  the file is exactly header_size + payload_size bytes
//    24  checksum       u64  XXH3_64bits of the payload
//    32  reserved       16 bytes, zero
//   payload
//     string library_version   another version's entries are cache misses (logged)
//     u32 count, then per entry:
//       u64 code_hash   the function's code (Fingerprints::code: its .gyc image)
//       string name     the function's name, for logs
//       u64 pc          the resume point (zigzag)
//       string key      backend, options, fullgraph and dynamic (compile_key)
//       u64 length + length bytes: the capture (compile_artifact.h)
//   A string is u32 length + UTF-8 bytes.
// A saved entry serves a function whose code hash, resume point and key are the same, when its
// guards (identity guards resolved as compile_artifact.h says) accept the frame. A loaded file
// is checked whole (header, checksum, every entry decoded) before any entry joins the pool, so
// a corrupt file is an error that changes nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "interp/compile_artifact.h"
#include "interp/guard_check.h"

namespace gyro {

struct CompileEntry;
struct CompiledFunctionObject;

inline constexpr uint16_t kCacheArtifactMajor = 1;
inline constexpr uint16_t kCacheArtifactMinor = 0;
inline constexpr std::size_t kCacheArtifactHeaderSize = 48;

class PersistentCache {
 public:
  PersistentCache();  // reads GYRO_CACHE_DIR

  struct SaveReport {
    int saved = 0;
    std::vector<std::string> not_saved;  // "f (file:line) at pc 0: <why>"
  };
  // Writes every entry made since the last reset() that can be saved, with the loaded entries
  // not yet used, to `path` (atomically).
  Expected<SaveReport> save(const std::string& path);
  // Adds the entries of an artifact file to the pool; returns how many can serve this library.
  // `log` receives the misses (another format or library version).
  Expected<int> load(const std::string& path, const std::function<void(std::string)>& log);
  // The same over an image (tests, fuzzers); `origin` names it in errors.
  Expected<int> load_image(std::span<const uint8_t> bytes, const std::string& origin,
                           const std::function<void(std::string)>& log);

  // A new entry of `compiled` at `pc`; with GYRO_CACHE_DIR set, also writes the function's
  // artifact file there (entries that cannot be saved are logged).
  void record(const CompiledFunctionObject& compiled, std::size_t pc,
              const std::shared_ptr<CompileEntry>& entry,
              const std::function<void(std::string)>& log);

  // A miss of `compiled` at `pc`: the first pooled entry for it whose guards accept `subject`,
  // as a capture ready for a backend; null when there is none. `log` hears why saved entries
  // for this code did not serve (another key).
  struct Found {
    std::shared_ptr<const Capture> capture;
    const void* pool_item = nullptr;  // CompileEntry::loaded_from
  };
  std::optional<Found> find(const CompiledFunctionObject& compiled, const GuardSubject& subject,
                            std::size_t pc, const std::function<void(std::string)>& log);

  // What a cache entry is keyed by beside its code and resume point: the backend (a name, or a
  // script backend by fingerprint), the options in a canonical order, fullgraph and dynamic.
  // nullopt for a script backend that cannot be recognized in another process (its entries
  // are neither saved nor served).
  std::optional<std::string> compile_key(const CompiledFunctionObject& compiled);

  // reset(): entries made so far are no longer this process's to save.
  void clear_recorded() { recorded_.clear(); }
  bool empty() const { return pool_.empty(); }

 private:
  struct PoolItem {
    uint64_t code_hash = 0;
    std::string name;
    int64_t pc = 0;
    std::string key;
    std::vector<uint8_t> bytes;  // the encoded capture, for saving again
    std::shared_ptr<const DecodedCapture> decoded;  // checked at load, builtins unset
    std::shared_ptr<const DecodedCapture> ready;    // decoded again with the builtins
  };
  struct Recorded {
    std::weak_ptr<CompileEntry> entry;
    std::shared_ptr<const Code> code;
    std::string name;  // "f (file:line)"
    int64_t pc = 0;
    std::optional<std::string> key;
  };
  // One artifact entry as written: from the pool or encoded from a recorded entry.
  struct Written {
    uint64_t code_hash;
    std::string name;
    int64_t pc;
    std::string key;
    std::span<const uint8_t> bytes;
  };
  static std::vector<uint8_t> write_artifact(std::span<const Written> entries);
  void encode_recorded(std::vector<std::vector<uint8_t>>& storage, std::vector<Written>& out,
                       std::vector<std::string>& not_saved,
                       const std::function<bool(const Recorded&, uint64_t)>& select);
  std::string directory_file(uint64_t code_hash, const std::string& key) const;
  void read_directory_file(uint64_t code_hash, const std::string& key,
                           const std::function<void(std::string)>& log, bool again = false);
  static Status fits_code(const DecodedCapture& decoded, const Code& code);

  Fingerprints fingerprints_;
  std::vector<std::unique_ptr<PoolItem>> pool_;
  std::vector<Recorded> recorded_;
  std::string directory_;                  // GYRO_CACHE_DIR ("" when unset)
  std::set<std::string> directory_read_;  // directory files already read this process
};

}  // namespace gyro
