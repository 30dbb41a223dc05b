// Whole-object save/load (.gyo, torch.save/torch.load's analogue): a gyro object graph to
// bytes and back, shared references, cycles and tensor storage sharing preserved.
//
// What can be saved: None, bool, int, float, str, list, tuple, dict (insertion order), dense
// tensors (views keep their sizes, strides and offset; views of one storage load as views of
// one storage), dtype objects, classes (by reference: module and name), instances of script
// classes (their class by reference, their attribute dict `vars(obj)` by value), bound
// methods of such instances (the instance and the method's name), and compiled functions made
// from such a method (`Module.compile()`: the instance, the method's name, the backend's name,
// fullgraph, dynamic and options). An object referenced twice is saved once and loads as one
// object. Anything else (functions, builtins, iterators, sparse tensors, exceptions, a
// compiled function whose backend is a script callable...) is a TypeError naming the path to
// it: "cannot save obj.layers[2].fn: a function". A class must be the global of its name in
// the module that defined it (not nested in a function or class).
//
// Loading never runs code from the file: instances are made of the class found by name (no
// __init__ call) and their dict filled; a class is looked up in the globals of its module
// (`__main__`: the running program's; `gyro.nn`: the prelude's; `builtins`: the builtins).
// A compiled function loads as a fresh wrapper (no cache entries) around the loaded
// instance's method: it compiles again on its first call.
//
// Layout, all integers little-endian:
//
//   header (32 bytes in version 1.0; header_size lets a newer minor version append fields)
//     0  magic         8   "\x89GYO\r\n\x1a\n" (high bit, CRLF and ^Z catch text-mode and
//                          transfer mangling, as PNG's)
//     8  major         u16 1; any other major is rejected
//    10  minor         u16 0; files of any 1.x load
//    12  header_size   u32 >= 32; the payload starts at this offset
//    16  payload_size  u64 the file is exactly header_size + payload_size bytes
//    24  checksum      u64 XXH3_64bits of the payload
//   payload: sections, each {u32 tag, u32 flags (bit 0: skippable), u64 length, length bytes}
//     'OBJS' (exactly once)  the object table:
//        u32 count, value root, then `count` records (objects 0 .. count-1)
//     'TNSR' (at most once; present when a record is a tensor)  a safetensors image
//        (ir/safetensors.h) holding each storage as a 1-D tensor of its dtype named by its
//        index ("0", "1", ...): the span of elements its views reach, so a view's offset
//        counts from the span's first element
//   Unknown sections with the skippable flag are ignored; any other, and any flag bit besides
//   bit 0, is rejected.
//
//   A varint is LEB128 (at most 10 bytes); a string is u32 length + UTF-8 bytes.
//   A value is a u8 tag then: 0 None; 1 False; 2 True; 3 int: zigzag varint; 4 float: u64
//   IEEE bits (-0.0 and NaN payloads survive); 5 object: varint index into the table.
//   A record is a u8 kind then:
//     0 str       string
//     1 list      u32 n, n values
//     2 tuple     u32 n, n values
//     3 dict      u32 n, n x (value key, value value), in insertion order
//     4 tensor    varint storage, u8 dtype, u8 rank (<= 8), rank x varint size, rank x varint
//                 stride, varint offset (elements; every element the view reaches lies inside
//                 its storage, whose dtype is the tensor's)
//     5 dtype     u8 dtype (0 bool, 1 int64, 2 float32, 3 float64: dtypes.def order)
//     6 class     string module, string name
//     7 instance  value class (a class record), value dict (a dict record with str keys)
//     8 method    value self (an instance record), string name (a function on its class)
//     9 compiled  value self (an instance record), string method name, string backend (a
//                 registered backend), u8 fullgraph (0/1), u8 dynamic (0 False, 1 True,
//                 2 None), value options (None or a dict record)
//   Lists, dicts and instances are made empty first and filled last, so they may refer to
//   any object (cycles pass through them); every other record may refer to a list, dict or
//   instance anywhere in the table, and to other records only before itself (a tuple's items
//   exist before the tuple, as in memory). Appending a record kind is a minor version;
//   renumbering one needs a new major version.
//
// Loading checks every length, count, index, offset, dtype and kind before it uses or
// allocates anything (counts against the bytes that remain), and runs without recursion.
// Content errors are ValueError (a missing class AttributeError, an unknown backend
// ValueError) naming the origin and what is wrong: "f.gyo: object 12 refers to object 40,
// but the table has 20". A failed load leaves nothing behind: the objects made so far are
// emptied (breaking any cycle among them) and dropped. Builds with
// FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION skip the checksum so that fuzzers reach the
// structural checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "interp/interpreter.h"
#include "interp/value.h"
#include "ir/error.h"

namespace gyro {

inline constexpr uint16_t kSavedObjectMajor = 1;
inline constexpr uint16_t kSavedObjectMinor = 0;
inline constexpr std::size_t kSavedObjectHeaderSize = 32;
// Offsets of header fields, for tools and tests that patch a file.
inline constexpr std::size_t kSavedObjectMajorOffset = 8;
inline constexpr std::size_t kSavedObjectHeaderSizeOffset = 12;
inline constexpr std::size_t kSavedObjectPayloadSizeOffset = 16;
inline constexpr std::size_t kSavedObjectChecksumOffset = 24;

// Like any work with an interpreter's values, these run on the thread that holds its host lock
// (the script builtins do; a host takes an Interpreter::HostLock).

// The file image of `object`. `root_name` starts the paths in errors ("obj.layers[2]").
// TypeError for a value that cannot be saved; class lookups use `vm`'s modules.
Expected<std::vector<uint8_t>> save_object(Interpreter& vm, const Value& object,
                                           std::string_view root_name = "obj");

// The object an image holds, made on `vm` (its classes looked up there). `origin` names the
// image in errors ("f.gyo"). Bytes without the .gyo magic that parse as a safetensors file
// give the dict of its tensors (name -> tensor, in data order).
Expected<Value> load_object(Interpreter& vm, std::span<const uint8_t> bytes,
                            std::string_view origin);

// The same through files: saving writes atomically (ir/file_io.h); I/O failures are OSError
// or FileNotFoundError.
Status save_object_file(Interpreter& vm, const Value& object, const std::string& path,
                        std::string_view root_name = "obj");
Expected<Value> load_object_file(Interpreter& vm, const std::string& path);

// The payload checksum the header carries (XXH3_64bits), for tests that patch a payload.
uint64_t saved_object_checksum(std::span<const uint8_t> payload);

}  // namespace gyro
