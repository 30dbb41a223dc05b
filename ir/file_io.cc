// Memory-mapped reads and atomic writes (POSIX: mmap, fsync, rename).
#include "ir/file_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace gyro {
namespace {

Error io_error(std::string_view action, const std::string& path, int error_number) {
  ErrorKind kind = error_number == ENOENT ? ErrorKind::FileNotFoundError : ErrorKind::OSError;
  return make_error(kind, "cannot {} {}: {}", action, path, std::strerror(error_number));
}

// Closes a descriptor on every path out of a function.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, reporting the error close() can return (NFS reports write errors there).
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

}  // namespace

void MappedFile::destroy(MappedFile* file) { delete file; }

MappedFile::~MappedFile() {
  if (size_ > 0) ::munmap(data_, size_);
}

void MappedFile::release_storage_reference(void* context) {
  auto* file = static_cast<MappedFile*>(context);
  if (file->release()) destroy(file);
}

void* MappedFile::retain_for_storage() const {
  retain();
  return const_cast<MappedFile*>(this);
}

Expected<Ref<MappedFile>> map_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then rejected as not a regular
  // file); it changes nothing for the regular files read here.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) return io_error("open", path, errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return io_error("stat", path, errno);
  if (!S_ISREG(info.st_mode))
    return make_error(ErrorKind::OSError, "cannot read {}: not a regular file", path);
  auto size = static_cast<std::size_t>(info.st_size);
  uint8_t* data = nullptr;
  if (size > 0) {
    void* mapped = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0);
    if (mapped == MAP_FAILED) return io_error("map", path, errno);
    data = static_cast<uint8_t*>(mapped);
  }
  return Ref<MappedFile>(new MappedFile(data, size, path));
}

Status write_file_atomically(const std::string& path, std::span<const uint8_t> bytes) {
  const std::span<const uint8_t> pieces[] = {bytes};
  return write_file_atomically(path, pieces);
}

Status write_file_atomically(const std::string& path,
                             std::span<const std::span<const uint8_t>> pieces) {
  static std::atomic<uint64_t> counter{0};
  const std::string temp =
      fmt::format("{}.tmp.{}.{}", path, static_cast<long>(::getpid()), counter.fetch_add(1));
  FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  // Errors name `path`, not the temp file: that is the file the caller asked for, and the temp
  // name (pid, counter) would make messages differ from run to run.
  if (fd.get() < 0) return io_error("write", path, errno);
  auto fail = [&](std::string_view action, const std::string& name) {
    Error error = io_error(action, name, errno);
    ::unlink(temp.c_str());
    return error;
  };
  for (std::span<const uint8_t> bytes : pieces) {
    std::size_t written = 0;
    while (written < bytes.size()) {
      ssize_t count = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) return fail("write", path);
      written += static_cast<std::size_t>(count);
    }
  }
  // The data reaches the disk before the rename does, so a crash leaves the old file or the
  // whole new one.
  if (::fsync(fd.get()) != 0) return fail("write", path);
  if (fd.close() != 0) return fail("write", path);
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("replace", path);
  return {};
}

}  // namespace gyro
