// TEMPORARY STUB (being written)
#include "backends/eager/kernel.h"
namespace gyro::eager {
Status kernel_softmax(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "softmax"); }
Status kernel_log_softmax(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "log_softmax"); }
Status kernel_layer_norm(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "layer_norm"); }
}
