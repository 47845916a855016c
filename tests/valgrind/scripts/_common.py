"""Shared by the valgrind scripts: rffi with testlib.h declared and build/libtestlib.so open.
Each script asserts what it computes, so a wrong answer fails it even when valgrind is quiet."""

import os

from rffi import FFI

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def testlib():
    ffi = FFI()
    with open(os.path.join(ROOT, "tests", "c", "testlib.h")) as fh:
        ffi.cdef(fh.read())
    return ffi, ffi.dlopen(os.path.join(ROOT, "build", "libtestlib.so"))
