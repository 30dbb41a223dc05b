// The persistent compile cache: artifact files written and checked, the pool of loaded
// entries, and finding a saved entry for a miss (see persistent_cache.h).
#include "interp/persistent_cache.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <xxhash.h>

#include "interp/compile_api.h"
#include "interp/objects.h"
#include "interp/python_ops.h"
#include "ir/byte_io.h"
#include "ir/file_io.h"
#include "ir/verifier.h"
#include "ir/version.h"

namespace gyro {

namespace {

constexpr uint8_t kMagic[8] = {0x89, 'G', 'Y', 'K', '\r', '\n', 0x1a, '\n'};

std::string option_text(const Value& value) {
  if (value.is_bool()) return value.as_bool() ? "True" : "False";
  if (value.is_int()) return std::to_string(value.as_int());
  if (value.is_float()) return fmt::format("{}", value.as_float());
  if (value.is(ObjectKind::Str)) return "'" + value.as<StrObject>().text + "'";
  return std::string(type_name(value));
}

std::string code_name(const Code& code) {
  return fmt::format("{} ({}:{})", code.name, code.filename, code.first_line);
}

}  // namespace

std::optional<std::string> PersistentCache::compile_key(const CompiledFunctionObject& compiled) {
  std::string backend;
  if (compiled.backend.is(ObjectKind::Str)) {
    backend = compiled.backend.as<StrObject>().text;
  } else {
    // A script backend by content: a function's fingerprint, or an instance's class's
    // (CompileCounter() in another process is the same backend; another class, one that might
    // refuse a graph this one accepted, is not).
    std::optional<uint64_t> fingerprint;
    const Value& callable = compiled.backend;
    if (callable.is(ObjectKind::Function)) {
      fingerprint = fingerprints_.function(callable.as<FunctionObject>());
    } else if (callable.is(ObjectKind::Instance) &&
               callable.as<InstanceObject>().cls.is(ObjectKind::Class)) {
      // By class: an instance's attributes are its state (CompileCounter's counts), not what
      // it does with a graph.
      fingerprint = fingerprints_.of_class(callable.as<InstanceObject>().cls.as<ClassObject>());
    }
    if (!fingerprint) return std::nullopt;
    backend = fmt::format("script backend {} {:016x}", type_name(callable), *fingerprint);
  }
  std::vector<std::string> options;
  if (compiled.options.is(ObjectKind::Dict))
    compiled.options.as<DictObject>().table.for_each([&](const Value& key, const Value& value) {
      options.push_back(option_text(key) + ": " + option_text(value));
    });
  std::sort(options.begin(), options.end());
  std::string dynamic = !compiled.dynamic ? "None" : *compiled.dynamic ? "True" : "False";
  return fmt::format("backend={} options={{{}}} fullgraph={} dynamic={}", backend,
                     fmt::join(options, ", "), compiled.fullgraph ? "True" : "False", dynamic);
}

PersistentCache::PersistentCache() {
  if (const char* directory = std::getenv("GYRO_CACHE_DIR")) directory_ = directory;
}

std::vector<uint8_t> PersistentCache::write_artifact(std::span<const Written> entries) {
  ByteWriter payload;
  payload.string(kGyroVersion);
  payload.u32(ByteWriter::checked_u32(entries.size()));
  for (const Written& entry : entries) {
    payload.u64(entry.code_hash);
    payload.string(entry.name);
    payload.u64(zigzag(entry.pc));
    payload.string(entry.key);
    payload.u64(entry.bytes.size());
    payload.bytes().insert(payload.bytes().end(), entry.bytes.begin(), entry.bytes.end());
  }
  ByteWriter file;
  for (uint8_t byte : kMagic) file.u8(byte);
  file.u16(kCacheArtifactMajor);
  file.u16(kCacheArtifactMinor);
  file.u32(kCacheArtifactHeaderSize);
  file.u64(payload.bytes().size());
  file.u64(payload_checksum(payload.bytes()));
  file.u64(0);
  file.u64(0);
  file.bytes().insert(file.bytes().end(), payload.bytes().begin(), payload.bytes().end());
  return std::move(file.bytes());
}

void PersistentCache::encode_recorded(
    std::vector<std::vector<uint8_t>>& storage, std::vector<Written>& out,
    std::vector<std::string>& not_saved,
    const std::function<bool(const Recorded&, uint64_t)>& select) {
  storage.reserve(recorded_.size());  // `out` holds spans into it
  for (const Recorded& recorded : recorded_) {
    auto entry = recorded.entry.lock();
    if (!entry) continue;
    const uint64_t hash = fingerprints_.code(recorded.code);
    if (!select(recorded, hash)) continue;
    if (!recorded.key) {
      not_saved.push_back(fmt::format("{} at pc {}: its script backend cannot be recognized in "
                                      "another process",
                                      recorded.name, recorded.pc));
      continue;
    }
    auto bytes = encode_capture(*entry->capture, fingerprints_);
    if (!bytes.ok()) {
      not_saved.push_back(
          fmt::format("{} at pc {}: {}", recorded.name, recorded.pc, bytes.error().message));
      continue;
    }
    storage.push_back(std::move(*bytes));
    out.push_back({hash, recorded.name, recorded.pc, *recorded.key, storage.back()});
  }
}

Expected<PersistentCache::SaveReport> PersistentCache::save(const std::string& path) {
  SaveReport report;
  std::vector<Written> entries;
  for (const auto& item : pool_)
    entries.push_back({item->code_hash, item->name, item->pc, item->key, item->bytes});
  std::vector<std::vector<uint8_t>> storage;
  encode_recorded(storage, entries, report.not_saved,
                  [](const Recorded&, uint64_t) { return true; });
  report.saved = static_cast<int>(entries.size());
  GYRO_TRY(write_file_atomically(path, write_artifact(entries)));
  return report;
}

Expected<int> PersistentCache::load(const std::string& path,
                                    const std::function<void(std::string)>& log) {
  GYRO_ASSIGN_OR_RETURN(Ref<MappedFile> file, map_file(path));
  return load_image(file->bytes(), path, log);
}

Expected<int> PersistentCache::load_image(std::span<const uint8_t> bytes,
                                          const std::string& origin,
                                          const std::function<void(std::string)>& log) {
  auto fail = [&](Error error) {
    error.message = origin + ": " + error.message;
    return error;
  };
  ByteReader header(bytes, 0, ErrorKind::ValueError);
  auto magic = header.take(sizeof(kMagic), "magic");
  if (!magic.ok()) return fail(std::move(magic).error());
  if (std::memcmp(magic->data(), kMagic, sizeof(kMagic)) != 0)
    return fail(make_error(ErrorKind::ValueError, "not a gyro compile-cache artifact (bad magic)"));
  auto major = header.u16("major version");
  auto minor = header.u16("minor version");
  auto header_size = header.u32("header size");
  auto payload_size = header.u64("payload size");
  auto checksum = header.u64("checksum");
  if (!checksum.ok()) return fail(std::move(checksum).error());
  if (*major != kCacheArtifactMajor) {
    log(fmt::format("{}: artifact format {}.{}, this library reads {}.x: every entry is a miss",
                    origin, *major, *minor, kCacheArtifactMajor));
    return 0;
  }
  if (*header_size < kCacheArtifactHeaderSize || *header_size > bytes.size())
    return fail(make_error(ErrorKind::ValueError, "header size {} at byte 12 is out of range",
                           *header_size));
  auto payload = checked_payload(bytes, *header_size, *payload_size, *checksum, 24,
                                 ErrorKind::ValueError);
  if (!payload.ok()) return fail(std::move(payload).error());
  ByteReader reader(*payload, *header_size, ErrorKind::ValueError);
  auto version = reader.string("library version");
  if (!version.ok()) return fail(std::move(version).error());
  if (*version != kGyroVersion) {
    log(fmt::format("{}: written by gyro {}, this is gyro {}: every entry is a miss", origin,
                    *version, kGyroVersion));
    return 0;
  }
  // Every entry is decoded before any joins the pool: a corrupt file changes nothing.
  std::vector<std::unique_ptr<PoolItem>> items;
  auto read_entries = [&]() -> Status {
    GYRO_ASSIGN_OR_RETURN(uint32_t count, reader.count("entry count", 8 + 4 + 8 + 4 + 8));
    for (uint32_t i = 0; i < count; ++i) {
      auto item = std::make_unique<PoolItem>();
      GYRO_ASSIGN_OR_RETURN(item->code_hash, reader.u64("code hash"));
      GYRO_ASSIGN_OR_RETURN(item->name, reader.string("function name"));
      GYRO_ASSIGN_OR_RETURN(uint64_t pc, reader.u64("resume point"));
      item->pc = unzigzag(pc);
      if (item->pc < 0) return reader.error_at(reader.offset() - 8, "negative resume point");
      GYRO_ASSIGN_OR_RETURN(item->key, reader.string("key"));
      GYRO_ASSIGN_OR_RETURN(uint64_t length, reader.u64("entry length"));
      if (length > reader.remaining())
        return reader.error_at(reader.offset() - 8, "entry of {} bytes, {} remain", length,
                               reader.remaining());
      const std::size_t at = reader.offset();
      GYRO_ASSIGN_OR_RETURN(auto blob, reader.take(length, "entry"));
      GYRO_ASSIGN_OR_RETURN(DecodedCapture decoded, decode_capture(blob, at));
      item->bytes.assign(blob.begin(), blob.end());
      item->decoded = std::make_shared<const DecodedCapture>(std::move(decoded));
      items.push_back(std::move(item));
    }
    if (!reader.at_end())
      return reader.error_at(reader.offset(), "{} bytes after the last entry", reader.remaining());
    return {};
  };
  if (Status status = read_entries(); !status.ok()) return fail(status.error());
  const int count = static_cast<int>(items.size());
  // An entry already in the pool (the same file loaded twice, or read again from the cache
  // directory) is not added again.
  for (auto& item : items) {
    const bool known = std::any_of(pool_.begin(), pool_.end(), [&](const auto& other) {
      return other->code_hash == item->code_hash && other->pc == item->pc &&
             other->key == item->key && other->bytes == item->bytes;
    });
    if (!known) pool_.push_back(std::move(item));
  }
  return count;
}

std::string PersistentCache::directory_file(uint64_t code_hash, const std::string& key) const {
  uint64_t key_hash = XXH3_64bits_withSeed(key.data(), key.size(), code_hash);
  return fmt::format("{}/{:016x}.gyrocache", directory_, key_hash);
}

void PersistentCache::read_directory_file(uint64_t code_hash, const std::string& key,
                                          const std::function<void(std::string)>& log,
                                          bool again) {
  const std::string path = directory_file(code_hash, key);
  if (!directory_read_.insert(path).second && !again) return;
  auto file = map_file(path);
  if (!file.ok()) {
    if (file.error().kind != ErrorKind::FileNotFoundError) log(file.error().message);
    return;
  }
  // A damaged file in the cache directory is a miss (it is rewritten on the next compile).
  auto loaded = load_image((*file)->bytes(), path, log);
  if (!loaded.ok()) log(loaded.error().message + "; ignored");
}

void PersistentCache::record(const CompiledFunctionObject& compiled, std::size_t pc,
                             const std::shared_ptr<CompileEntry>& entry,
                             const std::function<void(std::string)>& log) {
  // Entries dropped since (a function freed, a cache entry replaced) are forgotten here too.
  std::erase_if(recorded_, [](const Recorded& recorded) { return recorded.entry.expired(); });
  const auto& code = compiled.function.as<FunctionObject>().code;
  recorded_.push_back({entry, code, code_name(*code), static_cast<int64_t>(pc),
                       compile_key(compiled)});
  const Recorded& added = recorded_.back();
  if (directory_.empty() || !added.key) return;
  const uint64_t hash = fingerprints_.code(code);
  // Read again: another process may have added entries since (they are kept, not overwritten).
  read_directory_file(hash, *added.key, log, /*again=*/true);
  // The function's file holds every entry this process and earlier ones saved for it.
  std::vector<Written> entries;
  for (const auto& item : pool_)
    if (item->code_hash == hash && item->key == *added.key)
      entries.push_back({item->code_hash, item->name, item->pc, item->key, item->bytes});
  std::vector<std::vector<uint8_t>> storage;
  std::vector<std::string> not_saved;
  encode_recorded(storage, entries, not_saved, [&](const Recorded& recorded, uint64_t code_hash) {
    return code_hash == hash && recorded.key == added.key;
  });
  for (const std::string& reason : not_saved) log("not saved: " + reason);
  if (entries.empty()) return;
  Status written =
      write_file_atomically(directory_file(hash, *added.key), write_artifact(entries));
  if (!written.ok()) log(written.error().message);
}

Status PersistentCache::fits_code(const DecodedCapture& decoded, const Code& code) {
  const Capture& capture = decoded.capture;
  if (capture.locals.size() > code.local_names.size())
    return make_error(ErrorKind::ValueError, "plans for {} locals, the code has {}",
                      capture.locals.size(), code.local_names.size());
  if (capture.resume_pc < 0) {
    if (!capture.stack.empty())
      return make_error(ErrorKind::ValueError, "a stack plan without a resume point");
    return {};
  }
  GYRO_ASSIGN_OR_RETURN(std::vector<FlowDepth> depths, flow_depths(code));
  if (static_cast<std::size_t>(capture.resume_pc) >= depths.size())
    return make_error(ErrorKind::ValueError, "resume point {} is past the code's {} instructions",
                      capture.resume_pc, depths.size());
  const FlowDepth& at = depths[static_cast<std::size_t>(capture.resume_pc)];
  if (at.stack != static_cast<int>(capture.stack.size()) || at.blocks != 0)
    return make_error(ErrorKind::ValueError,
                      "resume point {} holds {} stack values inside {} try blocks, the entry "
                      "plans {}",
                      capture.resume_pc, at.stack, at.blocks, capture.stack.size());
  return {};
}

std::optional<PersistentCache::Found> PersistentCache::find(
    const CompiledFunctionObject& compiled, const GuardSubject& subject, std::size_t pc,
    const std::function<void(std::string)>& log) {
  if (pool_.empty() && directory_.empty()) return std::nullopt;
  const auto& code = compiled.function.as<FunctionObject>().code;
  const uint64_t hash = fingerprints_.code(code);
  const std::optional<std::string> maybe_key = compile_key(compiled);
  if (!maybe_key) return std::nullopt;
  const std::string& key = *maybe_key;
  if (!directory_.empty()) read_directory_file(hash, key, log);
  for (const auto& item : pool_) {
    if (item->code_hash != hash || item->pc != static_cast<int64_t>(pc)) continue;
    if (item->key != key) {
      log(fmt::format("saved entry of {} at pc {} is a miss: saved with {}, compiled with {}",
                      item->name, pc, item->key, key));
      continue;
    }
    const bool installed = std::any_of(
        compiled.entries.begin(), compiled.entries.end(),
        [&](const auto& entry) { return entry->loaded_from == item.get(); });
    if (installed) continue;
    if (!item->ready) {
      // The bytes decoded once already; only builtin names can fail now (another library).
      auto ready = decode_capture(item->bytes, 0, subject.builtins);
      if (!ready.ok()) {
        log(fmt::format("saved entry of {} is a miss: {}", item->name, ready.error().message));
        continue;
      }
      // The frame the entry resumes must be one this code can have: as many locals, and at
      // the resume point the stack depth the verifier found there (a damaged entry with a
      // matching code hash could otherwise write past the frame).
      if (Status fits = fits_code(*ready, *code); !fits.ok()) {
        log(fmt::format("saved entry of {} is a miss: {}", item->name, fits.error().message));
        continue;
      }
      item->ready = std::make_shared<const DecodedCapture>(std::move(*ready));
    }
    const DecodedCapture& decoded = *item->ready;
    std::vector<Value> keys = source_keys(decoded.capture.sources);
    SourceLoader loader(decoded.capture.sources, keys, subject);
    auto capture = resolve_capture(decoded, loader, fingerprints_);
    if (!capture || !guards_pass(capture->guards, loader)) continue;
    return Found{std::make_shared<const Capture>(std::move(*capture)), item.get()};
  }
  return std::nullopt;
}

}  // namespace gyro
