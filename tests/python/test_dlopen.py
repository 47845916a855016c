"""Opening libraries: paths, None, short names, flags, errors, closing."""

import pytest

import rffi


@pytest.mark.parametrize("name", ["m", "libm.so.6"])
def test_short_names_and_sonames(backend, name):
    ffi = backend()
    lib = ffi.dlopen(name)
    ffi.cdef("double sqrt(double);")
    assert lib.sqrt(16.0) == 4.0


def test_none_is_the_process(backend):
    ffi = backend()
    ffi.cdef("size_t strlen(const char *);")
    assert ffi.dlopen(None).strlen(b"four") == 4


def test_rtld_flags_on_module_and_ffi(backend):
    ffi = backend()
    module = __import__(backend.__module__.split(".")[0])
    for name in ["RTLD_LAZY", "RTLD_NOW", "RTLD_GLOBAL", "RTLD_LOCAL"]:
        assert getattr(ffi, name) == getattr(rffi, name)
        assert isinstance(getattr(ffi, name), int)
    lib = ffi.dlopen("libm.so.6", ffi.RTLD_LAZY | ffi.RTLD_GLOBAL)
    ffi.cdef("double fabs(double);")
    assert lib.fabs(-2.5) == 2.5
    del module


def test_missing_library_names_it(backend):
    ffi = backend()
    with pytest.raises(OSError) as info:
        ffi.dlopen("/no/such/libnothing.so")
    assert "/no/such/libnothing.so" in str(info.value)
    with pytest.raises(OSError) as info:
        ffi.dlopen("surely_not_a_library_rffi")
    assert "surely_not_a_library_rffi" in str(info.value)


def test_declared_but_missing_symbol(backend):
    ffi = backend()
    ffi.cdef("int no_such_function_rffi(int);")
    lib = ffi.dlopen(None)
    with pytest.raises(AttributeError) as info:
        lib.no_such_function_rffi
    assert str(info.value).startswith(
        "function/symbol 'no_such_function_rffi' not found in library '<None>': "
    )
    with pytest.raises(AttributeError):
        lib.never_declared


def test_dlclose_then_use_raises_in_rffi():
    ffi = rffi.FFI()
    lib = ffi.dlopen("libm.so.6")
    ffi.cdef("double cos(double);")
    assert lib.cos(0.0) == 1.0
    ffi.dlclose(lib)
    with pytest.raises(ValueError, match="closed"):
        lib.cos


def test_dlclose_twice_is_allowed(backend):
    ffi = backend()
    lib = ffi.dlopen("libm.so.6")
    ffi.dlclose(lib)
    ffi.dlclose(lib)


def test_cdef_options_in_cffis_order(backend):
    ffi = backend()
    ffi.cdef("struct s { char c; int i; };", False, True)  # override, packed
    assert ffi.sizeof("struct s") == 5
    ffi.cdef("typedef int num_t;")
    ffi.cdef("typedef double num_t;", True)  # override
    assert ffi.sizeof("num_t") == 8
    assert ffi.cast(cdecl="int", source=7) == 7
    assert ffi.sizeof(cdecl="int") == ffi.alignof(cdecl="int") == 4
    assert ffi.typeof(cdecl="int").cname == "int"
