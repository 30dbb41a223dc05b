// Whole-file I/O for the file formats: a file's bytes memory-mapped (shared by every tensor that
// views them), and writes that replace a file atomically (temp file, fsync, rename), so that a
// reader, in this process or another, sees the old file or the new one, never half of one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "ir/error.h"
#include "ir/ref.h"

namespace gyro {

// A file's contents, mapped copy-on-write: writes through a pointer into the mapping stay in
// this process and never reach the file. Tensors loaded from a file view these bytes directly
// (Storage::wrap_external with retain_for_storage), and the mapping lives until the last goes.
// An empty file maps to an empty span.
class MappedFile : public RefCounted {
 public:
  static void destroy(MappedFile* file);

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  uint8_t* mutable_data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // A Storage::ExternalDeleter and its context that hold one reference to this mapping.
  static void release_storage_reference(void* context);
  void* retain_for_storage() const;

 private:
  friend Expected<Ref<MappedFile>> map_file(const std::string& path);
  MappedFile(uint8_t* data, std::size_t size, std::string path)
      : data_(data), size_(size), path_(std::move(path)) {}
  ~MappedFile();

  uint8_t* data_;
  std::size_t size_;
  std::string path_;
};

// Maps `path`. A missing file is FileNotFoundError, any other failure OSError, each with the
// path and the system's reason ("cannot open w.safetensors: Permission denied").
Expected<Ref<MappedFile>> map_file(const std::string& path);

// Replaces `path` with `bytes` atomically: writes `path.tmp.<pid>.<counter>` in the same
// directory, flushes it to disk, renames it over `path` (and removes it on any failure).
// Concurrent writers of one path each rename a complete file; the last rename wins.
Status write_file_atomically(const std::string& path, std::span<const uint8_t> bytes);
// The same for a file made of `pieces` written one after another, so that a writer can pass
// tensors' memory as it is instead of first copying everything into one buffer.
Status write_file_atomically(const std::string& path,
                             std::span<const std::span<const uint8_t>> pieces);

}  // namespace gyro
