/* gyro's stable C API: VMs, modules, values, calls, compilation and DLPack tensors. */
#ifndef GYRO_H_
#define GYRO_H_

/*
 * Conventions (docs/embedding.md has the guide):
 * - Every function returns a gyro_status (or a plain value where it cannot fail). On an error
 *   the VM's last error for the calling thread says what and where: gyro_vm_last_error().
 *   No C++ exception ever leaves a function of this API.
 * - Values are handles (gyro_value, 0 is never a value) owned by the caller: each one a
 *   function writes to an `out` parameter must be released with gyro_value_release(). A
 *   released or unknown handle is an error (GYRO_ERROR_INVALID_ARGUMENT), never a crash.
 *   Handles belong to their VM and all die with it.
 * - Borrowed pointers (strings gyro returns) stay valid as long as the text says.
 * - Threads: a VM may be called from several threads; one runs script code at a time (the
 *   VM's lock, like CPython's GIL). gyro_vm_interrupt() may be called from any thread.
 * - Structs with a `struct_size` first field grow at their end: fill them with the matching
 *   *_init function, so that a newer library gives the fields you do not know their defaults.
 */

#include <stddef.h>
#include <stdint.h>

#include <dlpack/dlpack.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GYRO_BUILDING_LIBRARY)
#define GYRO_API __attribute__((visibility("default")))
#else
#define GYRO_API
#endif

/* Bumped when a function's signature or a struct's existing fields change. */
#define GYRO_ABI_VERSION 1

/* In C++ the enums get int32_t as their type, so that any value a C caller passes is one. */
#ifdef __cplusplus
#define GYRO_ENUM_TYPE : int32_t
#else
#define GYRO_ENUM_TYPE
#endif

typedef enum gyro_status GYRO_ENUM_TYPE {
  GYRO_OK = 0,
  GYRO_ERROR_INVALID_ARGUMENT = 1, /* a null or released handle, a bad enum, a null pointer */
  GYRO_ERROR_EXCEPTION = 2,        /* the program raised: gyro_vm_exception_type() says which */
  GYRO_ERROR_SYNTAX = 3,           /* source or bytecode that does not compile or verify */
  GYRO_ERROR_NOT_FOUND = 4,        /* no such global, attribute, backend or config knob */
  GYRO_ERROR_TYPE = 5,             /* a value of another kind than the function needs */
  GYRO_ERROR_IO = 6,               /* a file could not be read */
  GYRO_ERROR_UNSUPPORTED = 7,      /* a DLPack device or dtype gyro does not take */
  GYRO_ERROR_INTERNAL = 8          /* out of memory, or a bug: the message says which */
} gyro_status;

typedef enum gyro_kind GYRO_ENUM_TYPE {
  GYRO_KIND_NONE = 0,
  GYRO_KIND_BOOL = 1,
  GYRO_KIND_INT = 2,
  GYRO_KIND_FLOAT = 3,
  GYRO_KIND_STR = 4,
  GYRO_KIND_TENSOR = 5,
  GYRO_KIND_LIST = 6,
  GYRO_KIND_TUPLE = 7,
  GYRO_KIND_DICT = 8,
  GYRO_KIND_CALLABLE = 9, /* functions, compiled functions, builtins, classes, methods */
  GYRO_KIND_OTHER = 10    /* instances and everything else */
} gyro_kind;

typedef struct gyro_vm gyro_vm;
typedef uint64_t gyro_value;

/* GYRO_ABI_VERSION of the library linked (compare with the header's at startup). */
GYRO_API uint32_t gyro_abi_version(void);
/* "major.minor.patch" of the library. Static storage. */
GYRO_API const char* gyro_version(void);
/* "GYRO_ERROR_TYPE" and so on. Static storage. */
GYRO_API const char* gyro_status_name(gyro_status status);

/* ---- VMs ---- */

/* Where print() output goes (NULL: stdout). `text` is not NUL-terminated. */
typedef void (*gyro_write_fn)(void* user_data, const char* text, size_t length);
/* One GYRO_LOGS line: its channel ("graph", "recompiles"...) and text (no newline). */
typedef void (*gyro_log_fn)(void* user_data, const char* channel, const char* text,
                            size_t length);

/* A step of a compile, for hosts that show progress: `phase` is "trace" (symbolic evaluation
 * and guards), "backend" (the backend compiling the graph) or "done". */
typedef void (*gyro_progress_fn)(void* user_data, const char* phase, const char* function);

typedef struct gyro_config {
  size_t struct_size;
  gyro_write_fn write; /* default NULL: stdout */
  void* write_user_data;
  gyro_log_fn log; /* default NULL: stderr */
  void* log_user_data;
  const char* logs;         /* channels to turn on, as GYRO_LOGS; default NULL: the variable's */
  uint64_t step_budget;     /* instructions per call before RuntimeError; default 0: none */
  int32_t max_call_depth;   /* default 1000 */
  int32_t file_access;      /* default 1; 0: builtins that touch files raise OSError */
  int32_t install_prelude;  /* default 1: Module, Linear, ... (gyro.nn) as builtins */
  gyro_progress_fn progress; /* default NULL: no progress reports */
  void* progress_user_data;
  const char* dump_dir; /* each new graph as .txt and .dot; default NULL: GYRO_DUMP_DIR's */
} gyro_config;

/* Sets every field that fits in `struct_size` bytes to its default. */
GYRO_API void gyro_config_init(gyro_config* config, size_t struct_size);
/* A new VM (`config` NULL: the defaults). The caller owns *vm: gyro_vm_destroy. */
GYRO_API gyro_status gyro_vm_create(const gyro_config* config, gyro_vm** vm);
/* Frees the VM and every handle of it. NULL is ignored. */
GYRO_API void gyro_vm_destroy(gyro_vm* vm);
/* The calling thread's last error on this VM ("" after a success). Valid until this thread's
 * next call on the VM. Never NULL (a null vm gives a static message). */
GYRO_API const char* gyro_vm_last_error(const gyro_vm* vm);
/* After GYRO_ERROR_EXCEPTION: the exception's class name ("ValueError"), else "". Same
 * lifetime as gyro_vm_last_error. */
GYRO_API const char* gyro_vm_exception_type(const gyro_vm* vm);
/* Makes the running (or the next) call raise KeyboardInterrupt. Any thread. */
GYRO_API gyro_status gyro_vm_interrupt(gyro_vm* vm);
/* Sets a compile knob (`config.<name>` in scripts: recompile_limit, automatic_dynamic_shapes,
 * ...) from text: "8", "true", "False". GYRO_ERROR_NOT_FOUND for an unknown name. */
GYRO_API gyro_status gyro_vm_set_config(gyro_vm* vm, const char* name, const char* value);
/* Frees the reference cycles nothing reaches; *freed (may be NULL) gets how many objects. */
GYRO_API gyro_status gyro_vm_collect(gyro_vm* vm, int64_t* freed);

/* ---- Modules ---- */

/* Runs a module's top level; *module (may be NULL) gets its globals (a dict). Script source
 * (.gy), text assembly (.gya) and binary bytecode (.gyc); gyro_vm_load_file picks by the
 * extension. `name` names the file in errors and tracebacks. */
GYRO_API gyro_status gyro_vm_load_script(gyro_vm* vm, const char* source, size_t length,
                                         const char* name, gyro_value* module);
GYRO_API gyro_status gyro_vm_load_assembly(gyro_vm* vm, const char* text, size_t length,
                                           const char* name, gyro_value* module);
GYRO_API gyro_status gyro_vm_load_bytecode(gyro_vm* vm, const uint8_t* bytes, size_t length,
                                           const char* name, gyro_value* module);
GYRO_API gyro_status gyro_vm_load_file(gyro_vm* vm, const char* path, gyro_value* module);
/* module[name]: a global of a module (any dict works). */
GYRO_API gyro_status gyro_module_get(gyro_vm* vm, gyro_value module, const char* name,
                                     gyro_value* out);
GYRO_API gyro_status gyro_module_set(gyro_vm* vm, gyro_value module, const char* name,
                                     gyro_value value);
/* Makes `value` a builtin: every module loaded afterwards sees `name`. */
GYRO_API gyro_status gyro_vm_set_builtin(gyro_vm* vm, const char* name, gyro_value value);

/* ---- Values ---- */

GYRO_API gyro_status gyro_value_kind(gyro_vm* vm, gyro_value value, gyro_kind* kind);
/* A second handle to the same object. */
GYRO_API gyro_status gyro_value_copy(gyro_vm* vm, gyro_value value, gyro_value* out);
/* Ends a handle. Releasing 0 does nothing; releasing a handle twice is an error. */
GYRO_API gyro_status gyro_value_release(gyro_vm* vm, gyro_value value);

GYRO_API gyro_status gyro_value_none(gyro_vm* vm, gyro_value* out);
GYRO_API gyro_status gyro_value_from_bool(gyro_vm* vm, int32_t value, gyro_value* out);
GYRO_API gyro_status gyro_value_from_int(gyro_vm* vm, int64_t value, gyro_value* out);
GYRO_API gyro_status gyro_value_from_float(gyro_vm* vm, double value, gyro_value* out);
/* UTF-8, `length` bytes (no NUL needed). */
GYRO_API gyro_status gyro_value_from_str(gyro_vm* vm, const char* text, size_t length,
                                         gyro_value* out);
/* A list or tuple of the items (the items' handles stay the caller's). */
GYRO_API gyro_status gyro_value_new_list(gyro_vm* vm, const gyro_value* items, size_t count,
                                         gyro_value* out);
GYRO_API gyro_status gyro_value_new_tuple(gyro_vm* vm, const gyro_value* items, size_t count,
                                          gyro_value* out);

/* Conversions: GYRO_ERROR_TYPE for another kind. to_int takes bools; to_float ints too. */
GYRO_API gyro_status gyro_value_to_bool(gyro_vm* vm, gyro_value value, int32_t* out);
GYRO_API gyro_status gyro_value_to_int(gyro_vm* vm, gyro_value value, int64_t* out);
GYRO_API gyro_status gyro_value_to_float(gyro_vm* vm, gyro_value value, double* out);
/* A str's UTF-8 bytes, NUL-terminated; valid while the handle is. */
GYRO_API gyro_status gyro_value_to_str(gyro_vm* vm, gyro_value value, const char** text,
                                       size_t* length);
/* repr(value) as a new str value. */
GYRO_API gyro_status gyro_value_repr(gyro_vm* vm, gyro_value value, gyro_value* out);
/* len() of a list, tuple, dict or str; an item of a list or tuple (negative counts from the
 * end, as in Python; IndexError past it). */
GYRO_API gyro_status gyro_value_length(gyro_vm* vm, gyro_value value, int64_t* length);
GYRO_API gyro_status gyro_value_item(gyro_vm* vm, gyro_value value, int64_t index,
                                     gyro_value* out);
GYRO_API gyro_status gyro_value_get_attr(gyro_vm* vm, gyro_value value, const char* name,
                                         gyro_value* out);
GYRO_API gyro_status gyro_value_set_attr(gyro_vm* vm, gyro_value value, const char* name,
                                         gyro_value attribute);

/* ---- Calls ---- */

/* callable(*args, **kwargs): `kw_names[i]` = `kw_values[i]`. Arrays may be NULL when their
 * count is 0. GYRO_ERROR_EXCEPTION when the call raised. */
GYRO_API gyro_status gyro_vm_call(gyro_vm* vm, gyro_value callable, const gyro_value* args,
                                  size_t arg_count, gyro_value* result);
GYRO_API gyro_status gyro_vm_call_kw(gyro_vm* vm, gyro_value callable, const gyro_value* args,
                                     size_t arg_count, const char* const* kw_names,
                                     const gyro_value* kw_values, size_t kw_count,
                                     gyro_value* result);

/* A function written by the host. `args` are borrowed for the call; on GYRO_OK *result must
 * hold a handle the function made (gyro takes it over). To raise, return the status of
 * gyro_vm_raise(). */
typedef gyro_status (*gyro_host_fn)(gyro_vm* vm, void* user_data, const gyro_value* args,
                                    size_t arg_count, gyro_value* result);
/* A callable value running `fn`; `destroy(user_data)` (may be NULL) runs when it is freed.
 * Compiled code breaks its graph at a host function, as Dynamo does at unknown C code. */
GYRO_API gyro_status gyro_value_from_host_function(gyro_vm* vm, const char* name, gyro_host_fn fn,
                                                   void* user_data, void (*destroy)(void*),
                                                   gyro_value* out);
/* From a host function: raises `exception_type` (a builtin exception class name such as
 * "ValueError") with `message`, and returns GYRO_ERROR_EXCEPTION for it to return. */
GYRO_API gyro_status gyro_vm_raise(gyro_vm* vm, const char* exception_type, const char* message);

/* ---- Compilation ---- */

typedef struct gyro_compile_options {
  size_t struct_size;
  const char* backend; /* default NULL: "vectorized"; or "eager", "aot_eager", a registered one */
  int32_t fullgraph;   /* default 0; 1: a graph break raises GraphBreakError */
  int32_t dynamic;     /* default -1: automatic; 0: static shapes; 1: symbolic from the start */
} gyro_compile_options;

GYRO_API void gyro_compile_options_init(gyro_compile_options* options, size_t struct_size);
/* compile(function, ...) as in scripts: a callable that traces, guards and caches graphs. */
GYRO_API gyro_status gyro_vm_compile(gyro_vm* vm, gyro_value function,
                                     const gyro_compile_options* options, gyro_value* out);

/* What compiling did since the VM was made (or since gyro_vm_reset_stats); the rows of
 * interp/compile_stats.def, in its order. */
typedef struct gyro_stats {
  size_t struct_size;
  int64_t graphs;          /* cache entries made, traced or loaded from the compile cache */
  int64_t graph_breaks;    /* traces that stopped at a graph break or gave the frame to the VM */
  int64_t recompiles;      /* traces of a resume point that had entries already */
  int64_t cache_hits;      /* compiled calls and resumes an entry's guards accepted */
  int64_t cache_misses;    /* lookups no entry's guards accepted */
  int64_t z3_queries;      /* questions Z3 answered while pruning shape guards */
  double trace_seconds;    /* symbolic evaluation, guards and their pruning */
  double z3_seconds;       /* Z3, of the time tracing */
  double backend_seconds;  /* backends compiling graphs */
  int64_t guards;          /* guards of the entries made, after pruning */
  int64_t guard_checks;    /* entries whose guards a lookup ran */
  double run_seconds;      /* compiled graphs running; only with the time_graph_runs knob */
} gyro_stats;

/* Fills the fields that fit in stats->struct_size (set it to sizeof(gyro_stats)). */
GYRO_API gyro_status gyro_vm_stats(gyro_vm* vm, gyro_stats* stats);
GYRO_API gyro_status gyro_vm_reset_stats(gyro_vm* vm);
/* explain(function)(*args): the graphs, breaks and guards of one call compiled afresh, as
 * text in a new str value. */
GYRO_API gyro_status gyro_vm_explain(gyro_vm* vm, gyro_value function, const gyro_value* args,
                                     size_t arg_count, gyro_value* text);

/* ---- Host backends ---- */

/* A graph backend written by the host. gyro calls `compile` once per new graph, with the
 * graph as JSON (docs/backends.md, "The graph as JSON"), and the backend puts its compiled
 * state in *compiled; a backend that leaves it NULL has gyro run the graph on its `eager`
 * backend (one that only looks at graphs, as Dynamo's debugging backends do). `run` gets
 * each call's inputs as DLPack views, borrowed for the call, and writes one DLManagedTensor
 * per output, which gyro takes over. `release` (may be NULL) frees a compiled state once no
 * cache entry uses it. A failing callback returns an error status, after
 * gyro_backend_set_error() says why; the script sees a RuntimeError with that message. The
 * callbacks run under the calling VM's lock, on whichever host thread called. */
typedef struct gyro_backend {
  size_t struct_size;
  const char* name; /* what compile(backend=) and gyro_compile_options.backend say */
  void* user_data;
  gyro_status (*compile)(void* user_data, const char* graph_json, size_t length,
                         void** compiled);
  gyro_status (*run)(void* user_data, void* compiled, DLManagedTensor* const* inputs,
                     size_t input_count, DLManagedTensor** outputs, size_t output_count);
  void (*release)(void* user_data, void* compiled);
} gyro_backend;

GYRO_API void gyro_backend_init(gyro_backend* backend, size_t struct_size);
/* Registers a backend for the whole process (every VM sees it; a name is registered once).
 * `vm` (may be NULL) receives the error message when registration fails. */
GYRO_API gyro_status gyro_register_backend(gyro_vm* vm, const gyro_backend* backend);
/* From a backend callback: the message of the error it is about to return. */
GYRO_API void gyro_backend_set_error(const char* message);

/* ---- Tensors (DLPack, no copies) ---- */

/* A tensor over the DLPack tensor's memory. On GYRO_OK gyro owns `tensor` and calls its
 * deleter when the last gyro tensor viewing that memory is freed; on an error the caller
 * still owns it. CPU tensors of float32, float64, int64 or bool (kDLBool, code 6 from DLPack
 * 0.8, 8 bits, each byte 0 or 1), with any non-negative strides. */
GYRO_API gyro_status gyro_value_from_dlpack(gyro_vm* vm, DLManagedTensor* tensor,
                                            gyro_value* out);
/* A DLPack tensor viewing the value's memory (no copy). The caller owns *tensor and calls
 * (*tensor)->deleter(*tensor) when done; until then the memory stays alive, whatever happens
 * to the value or the VM. Writes through it are seen by gyro and the other way round. */
GYRO_API gyro_status gyro_value_to_dlpack(gyro_vm* vm, gyro_value value, DLManagedTensor** tensor);

#ifdef __cplusplus
}
#endif

#endif /* GYRO_H_ */
