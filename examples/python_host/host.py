"""A Python host over gyro's C API (ctypes + NumPy): NumPy arrays go in and come out through
DLPack without copies, a compiled gyro function runs on them, and the results are checked
against NumPy's own computation of the same model.

Usage: python3 host.py --library path/to/libgyro.so --model model.gy
"""
import argparse
import ctypes
import sys

import numpy as np

# ---- DLPack 0.6's structs, as in dlpack/dlpack.h ----


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int), ("device_id", ctypes.c_int)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensor(ctypes.Structure):
    pass


DELETER = ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensor))
DLManagedTensor._fields_ = [
    ("dl_tensor", DLTensor),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", DELETER),
]

# ---- PyCapsule, the DLPack protocol's carrier ----

_capi = ctypes.pythonapi
_capi.PyCapsule_GetPointer.restype = ctypes.c_void_p
_capi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capi.PyCapsule_SetName.restype = ctypes.c_int
_capi.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capi.PyCapsule_New.restype = ctypes.py_object
_capi.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
# The destructor gets the capsule while it is being freed: passed as a plain pointer, so that
# ctypes does not take a reference to a dying object.
_is_valid = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_IsValid", _capi))
_get_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", _capi))
_DLTENSOR = b"dltensor"
_USED = b"used_dltensor"


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _capsule_destructor(capsule):
    # A capsule nobody consumed still owns its tensor: give it back to gyro.
    if _is_valid(capsule, _DLTENSOR):
        managed = ctypes.cast(_get_pointer(capsule, _DLTENSOR), ctypes.POINTER(DLManagedTensor))
        managed.contents.deleter(managed)


class GyroError(Exception):
    pass


class Gyro:
    """The part of the C API this host uses. PyDLL keeps the GIL held during gyro's calls, so
    that NumPy's DLPack deleters (which gyro calls when it frees a tensor) run with it."""

    def __init__(self, library):
        lib = ctypes.PyDLL(library)
        value_p = ctypes.POINTER(ctypes.c_uint64)
        signatures = {
            "gyro_vm_create": [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)],
            "gyro_vm_destroy": [ctypes.c_void_p],
            "gyro_vm_last_error": [ctypes.c_void_p],
            "gyro_vm_load_file": [ctypes.c_void_p, ctypes.c_char_p, value_p],
            "gyro_module_get": [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_char_p, value_p],
            "gyro_vm_compile": [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, value_p],
            "gyro_vm_call": [ctypes.c_void_p, ctypes.c_uint64, value_p, ctypes.c_size_t,
                             value_p],
            "gyro_value_release": [ctypes.c_void_p, ctypes.c_uint64],
            "gyro_value_from_dlpack": [ctypes.c_void_p, ctypes.c_void_p, value_p],
            "gyro_value_to_dlpack": [ctypes.c_void_p, ctypes.c_uint64,
                                     ctypes.POINTER(ctypes.POINTER(DLManagedTensor))],
            "gyro_abi_version": [],
        }
        for name, argtypes in signatures.items():
            function = getattr(lib, name)
            function.argtypes = argtypes
            function.restype = ctypes.c_int
        lib.gyro_vm_last_error.restype = ctypes.c_char_p
        lib.gyro_vm_destroy.restype = None
        lib.gyro_abi_version.restype = ctypes.c_uint32
        self.lib = lib
        self.vm = ctypes.c_void_p()
        self._check(lib.gyro_vm_create(None, ctypes.byref(self.vm)), "gyro_vm_create")

    def _check(self, status, what):
        if status != 0:
            message = self.lib.gyro_vm_last_error(self.vm).decode() if self.vm else ""
            raise GyroError(f"{what} failed (status {status}): {message}")

    def close(self):
        self.lib.gyro_vm_destroy(self.vm)
        self.vm = ctypes.c_void_p()

    def load_file(self, path):
        module = ctypes.c_uint64()
        self._check(self.lib.gyro_vm_load_file(self.vm, path.encode(), ctypes.byref(module)),
                    f"loading {path}")
        return module.value

    def get(self, module, name):
        out = ctypes.c_uint64()
        self._check(self.lib.gyro_module_get(self.vm, module, name.encode(), ctypes.byref(out)),
                    f"finding {name}")
        return out.value

    def compile(self, function):
        out = ctypes.c_uint64()
        self._check(self.lib.gyro_vm_compile(self.vm, function, None, ctypes.byref(out)),
                    "compile")
        return out.value

    def call(self, function, *args):
        array = (ctypes.c_uint64 * max(len(args), 1))(*args)
        out = ctypes.c_uint64()
        self._check(self.lib.gyro_vm_call(self.vm, function, array, len(args), ctypes.byref(out)),
                    "call")
        return out.value

    def release(self, value):
        self._check(self.lib.gyro_value_release(self.vm, value), "release")

    def from_numpy(self, array):
        """A gyro tensor viewing the array's memory (the array stays alive while gyro uses it)."""
        capsule = array.__dlpack__()
        pointer = _capi.PyCapsule_GetPointer(capsule, _DLTENSOR)
        out = ctypes.c_uint64()
        self._check(self.lib.gyro_value_from_dlpack(self.vm, pointer, ctypes.byref(out)),
                    "gyro_value_from_dlpack")
        _capi.PyCapsule_SetName(capsule, _USED)  # gyro owns the DLManagedTensor now
        return out.value

    def to_numpy(self, value):
        """A NumPy array viewing the gyro tensor's memory (no copy)."""
        managed = ctypes.POINTER(DLManagedTensor)()
        self._check(self.lib.gyro_value_to_dlpack(self.vm, value, ctypes.byref(managed)),
                    "gyro_value_to_dlpack")
        destructor = ctypes.cast(_capsule_destructor, ctypes.c_void_p)
        capsule = _capi.PyCapsule_New(ctypes.cast(managed, ctypes.c_void_p), _DLTENSOR,
                                      destructor)

        class Exported:
            def __dlpack__(self, stream=None):
                return capsule

            def __dlpack_device__(self):
                return (1, 0)  # kDLCPU

        return np.from_dlpack(Exported())


def numpy_step(x):
    """The model in model.gy, in NumPy."""
    weight = np.arange(12.0, dtype=np.float32).reshape(3, 4) / np.float32(10.0)
    return np.maximum(x @ weight + 1.0, 0).sum(1) * 0.5


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    gyro = Gyro(args.library)
    module = gyro.load_file(args.model)
    compiled = gyro.compile(gyro.get(module, "step"))
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    tensor = gyro.from_numpy(x)
    for iteration in range(3):
        x[0, 0] = iteration  # gyro sees the change: it reads NumPy's memory
        result = gyro.call(compiled, tensor)
        out = gyro.to_numpy(result)
        gyro.release(result)  # the array keeps the memory alive on its own
        np.testing.assert_allclose(out, numpy_step(x), rtol=1e-6)
        print(f"step {iteration}: {out.tolist()}")
    gyro.release(tensor)
    gyro.release(compiled)
    gyro.release(module)
    gyro.close()
    print("python host: results match NumPy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
