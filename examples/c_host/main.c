/* A C host: loads a gyro script, passes a tensor it owns through DLPack (no copy), calls a
 * compiled function in a loop while changing its data in place, and prints the compile stats.
 * Usage: c_host MODEL.gy */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gyro/gyro.h>

/* Stops with the VM's message when a call fails. */
static void check(gyro_vm* vm, gyro_status status, const char* what) {
  if (status == GYRO_OK) return;
  fprintf(stderr, "%s failed: %s\n%s\n", what, gyro_status_name(status),
          vm ? gyro_vm_last_error(vm) : "");
  exit(1);
}

/* The host's tensor: 2 rows of 3 floats, handed to gyro through DLPack. */
typedef struct {
  float data[6];
  int64_t shape[2];
  DLManagedTensor managed;
  int released;
} HostTensor;

static void release_host_tensor(DLManagedTensor* managed) {
  ((HostTensor*)managed->manager_ctx)->released = 1;  /* gyro is done with the memory */
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL.gy\n", argv[0]);
    return 2;
  }
  if (gyro_abi_version() != GYRO_ABI_VERSION) {
    fprintf(stderr, "libgyro has ABI %u, this host was built for %u\n", gyro_abi_version(),
            GYRO_ABI_VERSION);
    return 1;
  }
  gyro_vm* vm = NULL;
  check(NULL, gyro_vm_create(NULL, &vm), "gyro_vm_create");
  gyro_value module = 0, step = 0, compiled = 0, input = 0;
  check(vm, gyro_vm_load_file(vm, argv[1], &module), "loading the model");
  check(vm, gyro_module_get(vm, module, "step", &step), "finding step()");
  gyro_compile_options options;
  gyro_compile_options_init(&options, sizeof(options));
  check(vm, gyro_vm_compile(vm, step, &options, &compiled), "compiling step()");

  HostTensor host;
  memset(&host, 0, sizeof(host));
  for (int i = 0; i < 6; ++i) host.data[i] = (float)i;
  host.shape[0] = 2;
  host.shape[1] = 3;
  host.managed.dl_tensor.data = host.data;
  host.managed.dl_tensor.device.device_type = kDLCPU;
  host.managed.dl_tensor.ndim = 2;
  host.managed.dl_tensor.dtype.code = kDLFloat;
  host.managed.dl_tensor.dtype.bits = 32;
  host.managed.dl_tensor.dtype.lanes = 1;
  host.managed.dl_tensor.shape = host.shape;
  host.managed.manager_ctx = &host;
  host.managed.deleter = release_host_tensor;
  check(vm, gyro_value_from_dlpack(vm, &host.managed, &input), "passing the input");

  for (int iteration = 0; iteration < 5; ++iteration) {
    host.data[0] = (float)iteration; /* gyro reads the host's memory: no copy in between */
    gyro_value result = 0;
    check(vm, gyro_vm_call(vm, compiled, &input, 1, &result), "calling step()");
    DLManagedTensor* out = NULL;
    check(vm, gyro_value_to_dlpack(vm, result, &out), "reading the result");
    /* The result's memory as DLPack describes it: a base, an offset, and strides (NULL for
     * row-major), all in elements but the offset. */
    const float* values = (const float*)((const char*)out->dl_tensor.data +
                                         out->dl_tensor.byte_offset);
    const int64_t stride = out->dl_tensor.strides ? out->dl_tensor.strides[0] : 1;
    printf("step %d: [%.2f, %.2f]\n", iteration, values[0], values[stride]);
    out->deleter(out);
    check(vm, gyro_value_release(vm, result), "releasing the result");
  }

  gyro_stats stats;
  memset(&stats, 0, sizeof(stats));
  stats.struct_size = sizeof(stats);
  check(vm, gyro_vm_stats(vm, &stats), "reading the stats");
  printf("graphs %lld, graph breaks %lld, recompiles %lld, cache hits %lld, misses %lld\n",
         (long long)stats.graphs, (long long)stats.graph_breaks, (long long)stats.recompiles,
         (long long)stats.cache_hits, (long long)stats.cache_misses);

  check(vm, gyro_value_release(vm, input), "releasing the input");
  printf("gyro released the host's tensor: %s\n", host.released ? "yes" : "no");
  gyro_vm_destroy(vm); /* every other handle goes with it */
  return 0;
}
