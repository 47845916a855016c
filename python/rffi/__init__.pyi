# Type stubs of the rffi package: what rffi._rffi exports, re-exported by rffi/__init__.py.
# tests/python/test_stubs.py runs mypy's stubtest on them, so they fail the tests as soon as
# they drift from the compiled module. Grow them together with rffi._rffi.

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Literal, NoReturn, TypeAlias, final, overload

from typing_extensions import Buffer as _ReadableBuffer
from typing_extensions import disjoint_base

__version__: str

__all__ = [
    "Allocator",
    "CData",
    "CDefError",
    "CField",
    "CType",
    "FFI",
    "FFIError",
    "Lib",
    "RTLD_DEEPBIND",
    "RTLD_GLOBAL",
    "RTLD_LAZY",
    "RTLD_LOCAL",
    "RTLD_NODELETE",
    "RTLD_NOLOAD",
    "RTLD_NOW",
    "VerificationMissing",
    "buffer",
    "error",
    "install_as_cffi",
    "make_stubs",
    "__version__",
]

# Flags for FFI.dlopen, with the values of this platform's <dlfcn.h>.
RTLD_LAZY: int
RTLD_NOW: int
RTLD_GLOBAL: int
RTLD_LOCAL: int
RTLD_NODELETE: int
RTLD_NOLOAD: int
RTLD_DEEPBIND: int

class FFIError(Exception):
    """Raised for conflicting declarations and failures inside the call machinery."""

class CDefError(Exception):
    """Raised for C text that cannot be parsed or declared (cdef sources and type strings)."""

class VerificationMissing(Exception):
    """Raised when a type declared with cffi's `...` is used: only API mode could complete it."""

error = FFIError

def make_stubs(csource: str, name: str = "Lib") -> str:
    """The text of a typed stub module (.pyi) for the library that `csource` (cdef text)
    declares: class `name` with a method per function, an attribute per global variable and
    a `Final[int]` per integer constant and enumerator. Also `python -m rffi stubs DECLS.h`."""

def install_as_cffi() -> None:
    """From now on `import cffi` and `import _cffi_backend` in this process give rffi's
    cffi-compatible modules (rffi.cffi and rffi._cffi_backend), so a package that imports cffi
    runs on rffi unedited. Call it before anything imports cffi: entries of the real cffi
    already in sys.modules are replaced, with a RuntimeWarning."""

_Kind: TypeAlias = Literal["void", "primitive", "pointer", "array", "struct", "union", "enum", "function"]

@final
class CType:
    """A C type, as returned by FFI.typeof. Attributes that do not apply to the kind of type
    raise AttributeError (for example `item` on a primitive)."""

    @property
    def kind(self) -> _Kind: ...
    @property
    def cname(self) -> str: ...
    @property
    def item(self) -> CType:
        """The pointed-to type of a pointer, or the item type of an array."""
    @property
    def length(self) -> int | None:
        """The length of an array type; None for `T[]`."""
    @property
    def fields(self) -> list[tuple[str, CField]] | None:
        """The members of a struct or union in declaration order; None while it is opaque."""
    @property
    def args(self) -> tuple[CType, ...]:
        """The fixed parameter types of a function type."""
    @property
    def result(self) -> CType: ...
    @property
    def ellipsis(self) -> bool:
        """True for a variadic function type."""
    @property
    def abi(self) -> int: ...
    @property
    def elements(self) -> dict[int, str]:
        """An enum's values mapped to their names."""
    @property
    def relements(self) -> dict[str, int]:
        """An enum's names mapped to their values."""

@final
class CField:
    """A member of a struct or union, as listed by CType.fields."""

    @property
    def offset(self) -> int: ...
    @property
    def type(self) -> CType: ...
    @property
    def bitshift(self) -> int:
        """The bit position inside its storage unit for a bitfield, -1 otherwise."""
    @property
    def bitsize(self) -> int:
        """The width in bits of a bitfield, -1 otherwise."""
    @property
    def flags(self) -> int: ...

@final
class CData:
    """A C value seen from Python: a type, an address and what keeps the memory alive.

    What an operation does depends on the C type: indexing and slicing for pointers and
    arrays, attribute access for structs and unions (directly or through a pointer), calling
    for function pointers, int()/float() for primitive values, and so on.
    """

    # Fields of structs and unions. The extension type implements attribute lookup as
    # __getattribute__, so that is what the stub declares; type checkers treat it as __getattr__.
    def __getattribute__(self, name: str, /) -> Any: ...
    def __setattr__(self, name: str, value: Any, /) -> None: ...
    def __getitem__(self, key: int | slice, /) -> Any: ...
    def __setitem__(self, key: int | slice, value: Any, /) -> None: ...
    def __delitem__(self, key: int | slice, /) -> NoReturn:
        """Always raises TypeError: C memory has no items to remove."""
    def __call__(self, *args: Any) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __bool__(self) -> bool: ...
    def __int__(self) -> int: ...
    def __float__(self) -> float: ...
    def __complex__(self) -> complex: ...
    def __hash__(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __lt__(self, value: CData | int | float, /) -> bool: ...
    def __le__(self, value: CData | int | float, /) -> bool: ...
    def __gt__(self, value: CData | int | float, /) -> bool: ...
    def __ge__(self, value: CData | int | float, /) -> bool: ...
    def __add__(self, value: int, /) -> CData: ...
    def __radd__(self, value: int, /) -> CData: ...
    @overload
    def __sub__(self, value: CData, /) -> int: ...
    @overload
    def __sub__(self, value: int, /) -> CData: ...
    def __enter__(self) -> CData:
        """`with ffi.new(...) as p:` releases p (FFI.release) when the block ends. Only cdata
        from FFI.new, FFI.gc, FFI.from_buffer or an allocator can be used this way."""
    def __exit__(self, *_exc: object) -> bool: ...

@final
class Allocator:
    """What FFI.new_allocator returns: called like FFI.new."""

    def __call__(self, cdecl: str | CType, init: Any = None) -> CData: ...

@final
class Lib:
    """A library opened by FFI.dlopen. Declared functions, global variables, enum values and
    #define constants are its attributes, looked up when first used."""

    def __getattribute__(self, name: str, /) -> Any: ...
    def __setattr__(self, name: str, value: Any, /) -> None: ...
    def __dir__(self) -> list[str]: ...

@final
class buffer:
    """The raw bytes of a cdata (FFI.buffer). Supports len(), indexing and slicing (giving
    bytes), slice assignment, and the buffer protocol (bytes(b), memoryview(b)). Buffers
    compare (==, <, ...) as the bytes they hold, with each other and with bytes-like objects."""

    def __new__(cls, cdata: CData, size: int = ...) -> buffer:
        """The bytes of `cdata`: `size` of them, or all it covers when size is negative."""
    def __len__(self) -> int: ...
    def __delitem__(self, key: int | slice, /) -> NoReturn:
        """Always raises TypeError: C memory has no bytes to remove."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __lt__(self, value: _ReadableBuffer, /) -> bool: ...
    def __le__(self, value: _ReadableBuffer, /) -> bool: ...
    def __gt__(self, value: _ReadableBuffer, /) -> bool: ...
    def __ge__(self, value: _ReadableBuffer, /) -> bool: ...
    def __getitem__(self, key: int | slice, /) -> bytes: ...
    def __setitem__(self, key: int | slice, value: _ReadableBuffer, /) -> None: ...
    if sys.version_info >= (3, 12):
        def __buffer__(self, flags: int, /) -> memoryview: ...

_CDataType: TypeAlias = CData
_CTypeType: TypeAlias = CType
_BufferType: TypeAlias = buffer
_CDecl: TypeAlias = str | CType

# Objects with the buffer protocol. Before Python 3.12 typeshed and numpy only declare
# __buffer__ for some of them (numpy arrays lack it), so the stub accepts anything there.
if sys.version_info >= (3, 12):
    _BufferLike: TypeAlias = _ReadableBuffer
else:
    _BufferLike: TypeAlias = Any

@disjoint_base
class FFI:
    """The entry point, as cffi.FFI in ABI mode: declare C with cdef, open libraries with
    dlopen, and make, convert and inspect C data."""

    # Class attributes, so that `ffi.CData` works in isinstance() and in annotations.
    CData: TypeAlias = _CDataType
    CType: TypeAlias = _CTypeType
    error: TypeAlias = FFIError
    # As in cffi, ffi.buffer is the buffer class: ffi.buffer(cdata, size=-1) makes one.
    buffer: TypeAlias = _BufferType

    # The dlopen flags again, as cffi has them on FFI objects.
    RTLD_LAZY: int
    RTLD_NOW: int
    RTLD_GLOBAL: int
    RTLD_LOCAL: int
    RTLD_NODELETE: int
    RTLD_NOLOAD: int
    RTLD_DEEPBIND: int

    def __init__(self) -> None: ...
    @property
    def NULL(self) -> _CDataType:
        """A `void *` cdata with the value NULL."""
    @property
    def errno(self) -> int:
        """The errno saved just after the last C call of this thread; setting it sets the
        value C code sees at the start of the next call."""
    @errno.setter
    def errno(self, value: int) -> None: ...
    def cdef(
        self, csource: str, override: bool = False, packed: bool = False, pack: int | None = None
    ) -> None:
        """Declare the functions, types, globals and integer constants in C source text."""
    def dlopen(self, name: str | os.PathLike[str] | None, flags: int = 0) -> Lib:
        """Open a shared library: a path, a short name such as "m", or None for the
        symbols already loaded in the process."""
    def dlclose(self, lib: Lib) -> None: ...
    def new(self, cdecl: _CDecl, init: Any = None) -> _CDataType:
        """Allocate zeroed C memory for a pointer's item or an array, owned by the result."""
    def cast(self, cdecl: _CDecl, source: Any) -> _CDataType: ...
    @overload
    def callback(
        self,
        cdecl: _CDecl,
        python_callable: Callable[..., Any],
        error: Any = None,
        onerror: Callable[[type[BaseException], BaseException, Any], Any] | None = None,
    ) -> _CDataType:
        """A C function pointer of type `cdecl` that calls `python_callable`. It stays valid
        while the returned cdata lives. If the callable raises, C gets `error` (or zero) and
        the exception is printed, or given to `onerror(type, value, traceback)`, whose return
        value, if not None, is used as the result."""
    @overload
    def callback(
        self,
        cdecl: _CDecl,
        python_callable: None = None,
        error: Any = None,
        onerror: Callable[[type[BaseException], BaseException, Any], Any] | None = None,
    ) -> Callable[[Callable[..., Any]], _CDataType]:
        """Without a callable: a decorator that makes the callback."""
    def new_handle(self, x: object) -> _CDataType:
        """A `void *` that stands for `obj` (and keeps it alive) while the cdata lives."""
    def from_handle(self, x: _CDataType) -> Any:
        """The object behind a `void *` made by new_handle."""
    @overload
    def from_buffer(
        self, cdecl: _BufferLike, python_buffer: None = None, require_writable: bool = False
    ) -> _CDataType:
        """`ffi.from_buffer(obj)`: the bytes of obj as a `char[]` cdata."""
    @overload
    def from_buffer(
        self, cdecl: _CDecl, python_buffer: _BufferLike, require_writable: bool = False
    ) -> _CDataType: ...
    # The defaults of size and maxlen are -1 ("all of it"); the compiled module reports
    # negative defaults as `...`, so the stub writes `...` too.
    def string(self, cdata: _CDataType, maxlen: int = ...) -> bytes | str: ...
    def unpack(self, cdata: _CDataType, length: int) -> bytes | str | list[Any]: ...
    def sizeof(self, cdecl: _CDecl | _CDataType) -> int: ...
    def alignof(self, cdecl: _CDecl | _CDataType) -> int: ...
    def offsetof(self, cdecl: _CDecl, *fields: str | int) -> int: ...
    def typeof(self, cdecl: _CDecl | _CDataType) -> _CTypeType: ...
    @overload
    def addressof(self, cdata: Lib, name: str, /) -> _CDataType: ...
    @overload
    def addressof(self, cdata: _CDataType, *fields_or_indexes: str | int) -> _CDataType: ...
    def getctype(self, cdecl: _CDecl, replace_with: str = "") -> str: ...
    def gc(
        self, cdata: _CDataType, destructor: Callable[[Any], object] | None, size: int = 0
    ) -> _CDataType | None:
        """A new cdata for the same C value that calls `destructor(cdata)` once, when it is
        collected or released. `gc(p, None)` removes the destructor of `p` (a cdata that gc
        returned) and returns None. `size` is accepted for cffi compatibility and ignored."""
    def release(self, cdata: _CDataType) -> None:
        """Free the memory of `cdata` (from new, gc, from_buffer or an allocator) now. Using
        it, or any cdata derived from it, afterwards raises ValueError."""
    def ufunc(self, func: _CDataType, name: str | None = None, doc: str | None = None) -> Any:
        """rffi only: the C function `func`, whose parameters and result are integer,
        floating-point, complex or _Bool scalars, as a numpy.ufunc (numpy is imported now). Its inner
        loop calls C once per element with the GIL released; it keeps `func` (and its
        library) alive. `name` defaults to the function's symbol name."""
    def new_allocator(
        self,
        alloc: Callable[[int], _CDataType] | None = None,
        free: Callable[[_CDataType], object] | None = None,
        should_clear_after_alloc: bool = True,
    ) -> Allocator:
        """An object called like `new`: memory comes from `alloc(size)` (a cdata pointer;
        NULL raises MemoryError) and goes back through `free(that cdata)`."""
    def init_once(self, func: Callable[[], Any], tag: object) -> Any:
        """Call `func()` the first time with this `tag`, and return its result then and on
        every later call with the same tag. Concurrent first calls wait for one another."""
    def def_extern(self, *args: Any, **kwargs: Any) -> Any:
        """Always raises ValueError: `extern "Python"` needs cffi's API mode."""
    def include(self, other: FFI) -> None:
        """Declare here everything `other` declared, so its types can be used in `cdef`."""
    def list_types(self) -> tuple[list[str], list[str], list[str]]:
        """The declared (typedef names, struct tags, union tags), each sorted."""
    def integer_const(self, name: str) -> int:
        """The value of an enumerator or an integer `#define` (AttributeError if none)."""
    def memmove(
        self, dest: _CDataType | _BufferLike, src: _CDataType | _BufferLike, n: int
    ) -> None: ...
