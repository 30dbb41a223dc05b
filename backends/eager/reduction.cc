// TEMPORARY STUB (being written)
#include "backends/eager/kernel.h"
namespace gyro::eager {
Status kernel_sum(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "sum"); }
Status kernel_mean(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "mean"); }
Status kernel_prod(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "prod"); }
Status kernel_max(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "max"); }
Status kernel_min(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "min"); }
Status kernel_argmax(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "argmax"); }
Status kernel_argmin(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "argmin"); }
Status kernel_var(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "var"); }
Status kernel_std(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "std"); }
Status kernel_all(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "all"); }
Status kernel_any(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "any"); }
Status kernel_logsumexp(KernelCall& call) { return make_error(ErrorKind::NotImplementedError, "logsumexp"); }
}
