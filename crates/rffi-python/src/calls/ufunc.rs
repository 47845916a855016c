//! `ffi.ufunc(f)`: a C function of scalars as a real `numpy.ufunc`.
//!
//! rffi knows the function's C signature and has its address and call plan,
//! so it can hand numpy an inner loop of its own: numpy does everything a
//! ufunc does (broadcasting, `out=`, `where=`, casting, strided views, 0-d
//! arrays) and calls the loop on runs of elements with the GIL released,
//! since no loop here asks for the C API. The loop walks numpy's strides and
//! calls C once per element: no Python object and no allocation per element.
//!
//! One inner loop per class of signature, each given the function's address
//! and plan through the loop's `data` pointer (a [`Kernel`]):
//! - [`loop_doubles`]: every parameter and the result `double`, the common
//!   case of numeric code (`beta_logpdf`), through the direct invoker, one
//!   instance per number of parameters;
//! - [`loop_registers`]: any other scalar signature the direct invoker
//!   takes, each argument loaded by its own kind into the register image;
//! - [`loop_libffi`]: the rest (`long double`, complex numbers, more
//!   arguments than registers, or `RFFI_FORCE_LIBFFI=1`), through the plan's
//!   libffi CIF with one argument frame per run.
//!
//! `errno`: each run of the loop puts the thread's saved `errno` (what
//! `ffi.errno` reads) back before its first call and saves it after its last,
//! so after a ufunc call `ffi.errno` on the calling thread is what the last C
//! call left, in the order numpy visited the elements, and unchanged when
//! there were none.
//!
//! numpy is imported by the first `ffi.ufunc`, never by `import rffi`.

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::Arc;

use numpy::npyffi::{npy_intp, PyUFuncGenericFunction, PyUFuncObject, NPY_TYPES, PY_UFUNC_API};
use pyo3::exceptions::{PyImportError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use rffi_call::{CallPlan, Direct, Reg, Regs, Returned};
use rffi_types::{PrimClass, Type, TypeId, Types};

use crate::cdata::value::CData;

/// numpy's `PyUFunc_None`: no identity, so no reductions.
const NO_IDENTITY: c_int = -1;
/// The most inputs and outputs a ufunc may have on every numpy rffi meets
/// (numpy 1's `NPY_MAXARGS`; numpy 2 allows 64).
const MAX_ARGS: usize = 32;

/// How one argument or the result is stored in numpy's arrays (and in C).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    LongDouble,
    /// `float _Complex`, numpy's `complex64`.
    C32,
    /// `double _Complex`, numpy's `complex128`.
    C64,
}

impl Kind {
    /// The kind of a C type, or why numpy has no scalar for it.
    fn of(types: &Types, id: TypeId) -> Result<Kind, &'static str> {
        let int = |size: usize, signed: bool| match (size, signed) {
            (1, true) => Ok(Kind::I8),
            (1, false) => Ok(Kind::U8),
            (2, true) => Ok(Kind::I16),
            (2, false) => Ok(Kind::U16),
            (4, true) => Ok(Kind::I32),
            (4, false) => Ok(Kind::U32),
            (8, true) => Ok(Kind::I64),
            (8, false) => Ok(Kind::U64),
            _ => Err("an integer wider than numpy's"),
        };
        match types.get(id) {
            Type::Prim(p) => match p.class() {
                PrimClass::Int { signed } => int(p.size(), signed),
                PrimClass::Bool => Ok(Kind::Bool),
                PrimClass::Float if p.size() == 4 => Ok(Kind::F32),
                PrimClass::Float => Ok(Kind::F64),
                PrimClass::LongDouble => Ok(Kind::LongDouble),
                PrimClass::Char | PrimClass::WideChar { .. } => Err(
                    "a character, not a number (cast the function to a type with \
                     'signed char', 'int8_t', 'uint32_t', ... instead)",
                ),
                PrimClass::Complex if p.size() == 8 => Ok(Kind::C32),
                PrimClass::Complex => Ok(Kind::C64),
            },
            Type::Enum(_) => match types.integer_prim(id) {
                Some(p) => int(p.size(), p.is_signed()),
                None => Err("an enum without an integer type"),
            },
            Type::Void => Err("void"),
            Type::Pointer(_) | Type::Array(..) => Err("a pointer"),
            Type::Record(_) => Err("a struct or union"),
            Type::Function(_) => Err("a function"),
        }
    }

    /// numpy's number for the dtype of this kind.
    fn npy(self) -> NPY_TYPES {
        use NPY_TYPES::*;
        let long_is_64 = std::mem::size_of::<std::ffi::c_long>() == 8;
        match self {
            Kind::Bool => NPY_BOOL,
            Kind::I8 => NPY_BYTE,
            Kind::U8 => NPY_UBYTE,
            Kind::I16 => NPY_SHORT,
            Kind::U16 => NPY_USHORT,
            Kind::I32 => NPY_INT,
            Kind::U32 => NPY_UINT,
            Kind::I64 if long_is_64 => NPY_LONG,
            Kind::I64 => NPY_LONGLONG,
            Kind::U64 if long_is_64 => NPY_ULONG,
            Kind::U64 => NPY_ULONGLONG,
            Kind::F32 => NPY_FLOAT,
            Kind::F64 => NPY_DOUBLE,
            Kind::LongDouble => NPY_LONGDOUBLE,
            Kind::C32 => NPY_CFLOAT,
            Kind::C64 => NPY_CDOUBLE,
        }
    }

    /// Bytes of one value.
    fn size(self) -> usize {
        match self {
            Kind::Bool | Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            Kind::I64 | Kind::U64 | Kind::F64 | Kind::C32 => 8,
            Kind::LongDouble | Kind::C64 => std::mem::size_of::<[u64; 2]>(),
        }
    }

    /// Reads an integer-class value (extended by its own signedness), for
    /// an integer register.
    ///
    /// # Safety
    /// `p` addresses a value of this kind.
    #[inline(always)]
    unsafe fn load_int(self, p: *const u8) -> i64 {
        // SAFETY: the caller's contract; numpy's buffers need not be aligned
        // for us, so every read is unaligned.
        unsafe {
            match self {
                Kind::Bool => i64::from(p.read() != 0),
                Kind::I8 => i64::from(p.cast::<i8>().read()),
                Kind::U8 => i64::from(p.read()),
                Kind::I16 => i64::from(p.cast::<i16>().read_unaligned()),
                Kind::U16 => i64::from(p.cast::<u16>().read_unaligned()),
                Kind::I32 => i64::from(p.cast::<i32>().read_unaligned()),
                Kind::U32 => i64::from(p.cast::<u32>().read_unaligned()),
                Kind::I64 | Kind::U64 => p.cast::<i64>().read_unaligned(),
                Kind::F32 | Kind::F64 | Kind::LongDouble | Kind::C32 | Kind::C64 => 0,
            }
        }
    }

    /// Stores a direct call's result.
    ///
    /// # Safety
    /// `p` addresses writable room for a value of this kind.
    #[inline(always)]
    unsafe fn store(self, p: *mut u8, r: Returned) {
        // SAFETY: the caller's contract. Integers are truncated to their own
        // size, which is what C returned.
        unsafe {
            match (self, r) {
                (Kind::Bool, Returned::Int(i)) => p.write(u8::from(i != 0)),
                (Kind::I8 | Kind::U8, Returned::Int(i)) => p.write(i as u8),
                (Kind::I16 | Kind::U16, Returned::Int(i)) => {
                    p.cast::<u16>().write_unaligned(i as u16)
                }
                (Kind::I32 | Kind::U32, Returned::Int(i)) => {
                    p.cast::<u32>().write_unaligned(i as u32)
                }
                (Kind::I64 | Kind::U64, Returned::Int(i)) => {
                    p.cast::<u64>().write_unaligned(i as u64)
                }
                (Kind::F32, Returned::Float(x)) => p.cast::<f32>().write_unaligned(x as f32),
                (Kind::F64, Returned::Float(x)) => p.cast::<f64>().write_unaligned(x),
                _ => {}
            }
        }
    }

    /// Copies one value as C stores it (a `_Bool` made 0 or 1).
    ///
    /// # Safety
    /// `from` holds a value of this kind, `to` has room for one.
    #[inline(always)]
    unsafe fn copy(self, from: *const u8, to: *mut u8) {
        // SAFETY: the caller's contract.
        unsafe {
            if self == Kind::Bool {
                to.write(u8::from(from.read() != 0));
            } else {
                std::ptr::copy_nonoverlapping(from, to, self.size());
            }
        }
    }
}

/// numpy's inner loop function type.
type InnerLoop = unsafe extern "C" fn(*mut *mut c_char, *mut npy_intp, *mut npy_intp, *mut c_void);

/// Which inner loop a signature gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Doubles,
    Registers,
    Libffi,
}

/// What an inner loop needs, reached through the loop's `data` pointer.
struct Kernel {
    /// The C function's address.
    code: usize,
    /// Its call plan: the libffi CIF and the argument slots.
    plan: Arc<CallPlan>,
    /// The register layout, for the two direct classes.
    direct: Option<Direct>,
    ins: Box<[Kind]>,
    ret: Kind,
}

/// numpy's pointers, sizes and strides of one run of the loop.
struct Run {
    ptrs: [*mut u8; MAX_ARGS],
    steps: [isize; MAX_ARGS],
    n: usize,
}

impl Run {
    /// # Safety
    /// numpy's loop arguments, for a ufunc of `nargs` (at most
    /// [`MAX_ARGS`]) arguments.
    #[inline(always)]
    unsafe fn new(
        args: *mut *mut c_char,
        dims: *mut npy_intp,
        steps: *mut npy_intp,
        nargs: usize,
    ) -> Run {
        let mut run = Run {
            ptrs: [std::ptr::null_mut(); MAX_ARGS],
            steps: [0; MAX_ARGS],
            // SAFETY: numpy passes one dimension (the run's length).
            n: usize::try_from(unsafe { *dims }).unwrap_or(0),
        };
        for i in 0..nargs.min(MAX_ARGS) {
            // SAFETY: numpy passes `nargs` pointers and strides.
            unsafe {
                run.ptrs[i] = (*args.add(i)).cast();
                run.steps[i] = *steps.add(i);
            }
        }
        run
    }

    /// Moves every pointer to the next element.
    #[inline(always)]
    fn advance(&mut self, nargs: usize) {
        for (p, s) in self.ptrs.iter_mut().zip(&self.steps).take(nargs) {
            *p = p.wrapping_offset(*s);
        }
    }
}

/// The kernel behind `data`.
///
/// # Safety
/// `data` is the pointer [`make`] gave numpy, kept alive by the ufunc.
#[inline(always)]
unsafe fn kernel<'a>(data: *mut c_void) -> &'a Kernel {
    // SAFETY: the caller's contract: a Kernel the ufunc's keeper owns.
    unsafe { &*data.cast::<Kernel>() }
}

/// Every parameter and the result `double`, `N` of them: each argument is
/// loaded straight into its vector register. One instance per arity, so the
/// per-element work unrolls and the pointers stay in registers.
///
/// # Safety
/// Called by numpy with the ufunc's `data`, for a function of `N` parameters.
unsafe extern "C" fn loop_doubles<const N: usize>(
    args: *mut *mut c_char,
    dims: *mut npy_intp,
    steps: *mut npy_intp,
    data: *mut c_void,
) {
    // SAFETY: numpy's contract for inner loops; the kernel outlives the ufunc.
    let k = unsafe { kernel(data) };
    let Some(direct) = &k.direct else { return };
    // SAFETY: numpy passes N + 1 pointers and strides and one dimension.
    let (mut ins, in_steps, mut out, out_step, n) = unsafe {
        let ins: [*const u8; N] = std::array::from_fn(|i| (*args.add(i)).cast_const().cast());
        let in_steps: [isize; N] = std::array::from_fn(|i| *steps.add(i));
        let n = usize::try_from(*dims).unwrap_or(0);
        (ins, in_steps, (*args.add(N)).cast::<u8>(), *steps.add(N), n)
    };
    let code = k.code as *const c_void;
    let mut regs = Regs::default();
    rffi_call::errno::around(|| {
        for _ in 0..n {
            for i in 0..N.min(regs.floats.len()) {
                // SAFETY: numpy's pointers address this run's doubles.
                regs.floats[i] = unsafe { ins[i].cast::<f64>().read_unaligned() };
                ins[i] = ins[i].wrapping_offset(in_steps[i]);
            }
            // SAFETY: the plan was built from the function's declared type,
            // which `direct` found scalar and non-variadic; no pointers.
            let r = unsafe { direct.call_keeping_errno(code, &regs) };
            if let Returned::Float(y) = r {
                // SAFETY: the output pointer addresses this run's doubles.
                unsafe { out.cast::<f64>().write_unaligned(y) };
            }
            out = out.wrapping_offset(out_step);
        }
    });
}

/// Any other scalar signature of the direct invoker: each argument loaded
/// by its kind into its register.
///
/// # Safety
/// Called by numpy with the ufunc's `data`.
unsafe extern "C" fn loop_registers(
    args: *mut *mut c_char,
    dims: *mut npy_intp,
    steps: *mut npy_intp,
    data: *mut c_void,
) {
    // SAFETY: numpy's contract for inner loops; the kernel outlives the ufunc.
    let k = unsafe { kernel(data) };
    let Some(direct) = &k.direct else { return };
    let nin = k.ins.len();
    // SAFETY: as above; `make` allows at most MAX_ARGS arguments.
    let mut run = unsafe { Run::new(args, dims, steps, nin + 1) };
    let code = k.code as *const c_void;
    let mut regs = Regs::default();
    let loads = k.ins.iter().zip(direct.args());
    rffi_call::errno::around(|| {
        for _ in 0..run.n {
            for ((kind, reg), p) in loads.clone().zip(&run.ptrs) {
                // SAFETY: numpy's pointers address values of the loop's
                // dtypes, which are the kinds; register numbers come from
                // `Direct`, which keeps them within each register file.
                unsafe {
                    match *reg {
                        Reg::F64(n) => {
                            regs.floats[usize::from(n)] = p.cast::<f64>().read_unaligned()
                        }
                        Reg::F32(n) => {
                            let bits = p.cast::<u32>().read_unaligned();
                            regs.floats[usize::from(n)] = f64::from_bits(u64::from(bits));
                        }
                        Reg::Int { n, .. } => regs.ints[usize::from(n)] = kind.load_int(*p),
                    }
                }
            }
            // SAFETY: the plan was built from the function's declared type,
            // which `direct` found scalar and non-variadic; no pointers.
            let r = unsafe { direct.call_keeping_errno(code, &regs) };
            // SAFETY: the output pointer addresses a value of the result's kind.
            unsafe { k.ret.store(run.ptrs[nin], r) };
            run.advance(nin + 1);
        }
    });
}

/// Signatures the direct invoker does not take: each argument copied into
/// its slot of one libffi frame, reused for the whole run.
///
/// # Safety
/// Called by numpy with the ufunc's `data`.
unsafe extern "C" fn loop_libffi(
    args: *mut *mut c_char,
    dims: *mut npy_intp,
    steps: *mut npy_intp,
    data: *mut c_void,
) {
    // SAFETY: numpy's contract for inner loops; the kernel outlives the ufunc.
    let k = unsafe { kernel(data) };
    let nin = k.ins.len();
    // SAFETY: as above; `make` allows at most MAX_ARGS arguments.
    let mut run = unsafe { Run::new(args, dims, steps, nin + 1) };
    let code = k.code as *const c_void;
    let plan = &k.plan;
    let mut frame = plan.frame();
    let mut result = plan.result_buffer();
    rffi_call::errno::around(|| {
        for _ in 0..run.n {
            let base = frame.as_mut_ptr();
            for ((kind, slot), p) in k.ins.iter().zip(plan.args()).zip(&run.ptrs) {
                // SAFETY: each slot lies in the frame and holds its
                // parameter's C type, of the same size as the kind.
                unsafe { kind.copy(*p, base.add(slot.offset)) };
            }
            // SAFETY: the frame holds a value of every parameter's type and
            // `result` comes from this plan; no pointers are passed.
            unsafe { plan.call_keeping_errno(code, &mut frame, &mut result) };
            // SAFETY: libffi stored the result at the buffer's start (the
            // low bytes of a full register for small integers, on the
            // little-endian targets rffi runs on), and the output pointer
            // has room for one value of the result's kind.
            unsafe { k.ret.copy(result.as_mut_ptr(), run.ptrs[nin]) };
            run.advance(nin + 1);
        }
    });
}

/// What the ufunc keeps alive through its `obj` member, which numpy releases
/// when the ufunc goes: the function's cdata (and so its library) and every
/// array numpy was given a pointer to.
#[pyclass(frozen, module = "rffi")]
struct UfuncParts {
    _function: Py<PyAny>,
    _parts: Parts,
}

struct Parts {
    _kernel: Box<Kernel>,
    functions: Box<[PyUFuncGenericFunction; 1]>,
    data: Box<[*mut c_void; 1]>,
    types: Box<[c_char]>,
    name: CString,
    doc: CString,
}

// SAFETY: nothing here is written after the ufunc is made; numpy only reads
// the arrays, and the kernel's plan is itself Send and Sync.
unsafe impl Send for Parts {}
// SAFETY: as above.
unsafe impl Sync for Parts {}

/// The parameter and result kinds of `f`'s signature, or the TypeError that
/// names what numpy cannot take.
fn kinds_of(f: &CData) -> PyResult<(Vec<Kind>, Kind)> {
    let cname = f.reg.cname(f.ty);
    let sig = f.reg.with(|t| t.function(f.ty).cloned());
    let Some(sig) = sig else {
        return Err(PyTypeError::new_err(format!(
            "ffi.ufunc() expects a C function, not cdata '{cname}'"
        )));
    };
    let refuse = |what: String, why: &str| {
        PyTypeError::new_err(format!(
            "ffi.ufunc(): {what} of '{cname}' is {why}; a ufunc takes only integer, \
             floating-point, complex and _Bool parameters and result"
        ))
    };
    let whole = |why: &str| {
        PyTypeError::new_err(format!(
            "ffi.ufunc(): '{cname}' {why}; a ufunc needs a fixed number (1 to {}) of \
             parameters",
            MAX_ARGS - 1
        ))
    };
    if sig.variadic {
        return Err(whole("is variadic"));
    }
    if sig.params.is_empty() {
        return Err(whole("has no parameters"));
    }
    if sig.params.len() + 1 > MAX_ARGS {
        return Err(whole("has more parameters than numpy allows"));
    }
    let mut ins = Vec::with_capacity(sig.params.len());
    for (i, &p) in sig.params.iter().enumerate() {
        let kind = f.reg.with(|t| Kind::of(t, p));
        ins.push(kind.map_err(|why| {
            let what = format!("parameter {} ('{}')", i + 1, f.reg.cname(p));
            refuse(what, why)
        })?);
    }
    let ret = f.reg.with(|t| Kind::of(t, sig.ret)).map_err(|why| {
        let what = format!("the result ('{}')", f.reg.cname(sig.ret));
        refuse(what, why)
    })?;
    Ok((ins, ret))
}

/// numpy, imported now (the first ufunc), or an ImportError that says why.
fn import_numpy(py: Python<'_>) -> PyResult<()> {
    py.import("numpy").map(drop).map_err(|e| {
        PyImportError::new_err(format!(
            "ffi.ufunc() needs numpy, which could not be imported ({e}); \
             install it with `pip install numpy`"
        ))
    })
}

/// `ffi.ufunc(func, name=None, doc=None)`: a `numpy.ufunc` calling `func`
/// element-wise.
pub fn make(
    py: Python<'_>,
    func: &Bound<'_, PyAny>,
    name: Option<&str>,
    doc: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let cdata = func.cast::<CData>().map_err(|_| {
        let tp = func.get_type().name().map(|n| n.to_string());
        PyTypeError::new_err(format!(
            "ffi.ufunc() expects a function cdata (lib.f or a function pointer), not {}",
            tp.unwrap_or_default()
        ))
    })?;
    let f = crate::cdata::object::CDataGet::cdata(cdata);
    let (ins, ret) = kinds_of(f)?;
    f.live()?;
    if f.addr == 0 {
        return Err(PyValueError::new_err(
            "ffi.ufunc(): the function pointer is NULL",
        ));
    }
    import_numpy(py)?;
    let plan = f.reg.plan(f.ty)?;
    let direct = match crate::base::switches::force_libffi() {
        true => None,
        false => plan.direct().cloned(),
    };
    let class = match &direct {
        None => Class::Libffi,
        Some(_) if ins.iter().all(|k| *k == Kind::F64) && ret == Kind::F64 => Class::Doubles,
        Some(_) => Class::Registers,
    };
    let inner: InnerLoop = match (class, ins.len()) {
        (Class::Doubles, 1) => loop_doubles::<1>,
        (Class::Doubles, 2) => loop_doubles::<2>,
        (Class::Doubles, 3) => loop_doubles::<3>,
        (Class::Doubles, 4) => loop_doubles::<4>,
        (Class::Doubles, 5) => loop_doubles::<5>,
        (Class::Doubles, 6) => loop_doubles::<6>,
        (Class::Doubles, 7) => loop_doubles::<7>,
        (Class::Doubles, 8) => loop_doubles::<8>,
        (Class::Doubles | Class::Registers, _) => loop_registers,
        (Class::Libffi, _) => loop_libffi,
    };
    let name = name
        .map(str::to_string)
        .or_else(|| rffi_call::symbol_name_at(f.addr))
        .unwrap_or_else(|| "c_function".to_string());
    let doc = doc.map(str::to_string).unwrap_or_else(|| {
        format!(
            "The C function '{}' applied element-wise (made by rffi's ffi.ufunc).",
            f.reg.cname(f.ty)
        )
    });
    let nul = |_| PyValueError::new_err("ffi.ufunc(): name and doc may not contain NUL");
    let mut kernel = Box::new(Kernel {
        code: f.addr,
        plan,
        direct,
        ins: ins.clone().into_boxed_slice(),
        ret,
    });
    let types: Box<[c_char]> = ins
        .iter()
        .chain([&ret])
        .map(|k| k.npy() as c_char)
        .collect();
    let mut parts = Parts {
        data: Box::new([(&mut *kernel as *mut Kernel).cast()]),
        _kernel: kernel,
        functions: Box::new([Some(inner)]),
        types,
        name: CString::new(name).map_err(nul)?,
        doc: CString::new(doc).map_err(nul)?,
    };
    let functions = parts.functions.as_mut_ptr();
    let data = parts.data.as_mut_ptr();
    let types = parts.types.as_ptr().cast_mut();
    let (name, doc) = (parts.name.as_ptr(), parts.doc.as_ptr());
    let keeper = Py::new(
        py,
        UfuncParts {
            _function: func.clone().unbind(),
            _parts: parts,
        },
    )?;
    let nin = c_int::try_from(ins.len()).unwrap_or(0);
    // SAFETY: numpy is imported, so its ufunc API table is there; every
    // pointer given addresses memory `keeper` owns (boxes, whose contents do
    // not move when the box does), and `keeper` lives as long as the ufunc
    // (below). One loop, `nin` inputs of the listed dtypes and one output.
    let ufunc = unsafe {
        PY_UFUNC_API.PyUFunc_FromFuncAndData(
            py,
            functions,
            data,
            types,
            1,
            nin,
            1,
            NO_IDENTITY,
            name,
            doc,
            0,
        )
    };
    if ufunc.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: a new ufunc object, ours alone; numpy releases `obj` when it
    // deallocates the ufunc (as for `np.frompyfunc`), so the keeper's
    // reference passes to it.
    unsafe {
        (*ufunc.cast::<PyUFuncObject>()).fields.obj = keeper.into_ptr();
        Ok(Bound::from_owned_ptr(py, ufunc).unbind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rffi_types::{CdefOptions, Symbol};

    /// The kinds of `f`'s parameters and result, declared in `source`.
    fn kinds(source: &str) -> (Vec<Result<Kind, &'static str>>, Result<Kind, &'static str>) {
        let mut types = Types::new();
        types.cdef(source, &CdefOptions::default()).unwrap();
        let Some(Symbol::Function(f)) = types.symbol("f").cloned() else {
            panic!("no f")
        };
        let sig = types.function(f).unwrap().clone();
        let params = sig.params.iter().map(|p| Kind::of(&types, *p)).collect();
        (params, Kind::of(&types, sig.ret))
    }

    #[test]
    fn c_types_map_to_numpy_dtypes_by_size_and_sign() {
        let (params, ret) = kinds(
            "enum e { A = -1, B }; typedef unsigned short u16;
             double f(signed char, unsigned char, short, u16, int, unsigned int, long,
                      unsigned long long, int64_t, size_t, _Bool, float, long double,
                      float _Complex, double _Complex, enum e);",
        );
        let want = [
            Kind::I8,
            Kind::U8,
            Kind::I16,
            Kind::U16,
            Kind::I32,
            Kind::U32,
            Kind::I64,
            Kind::U64,
            Kind::I64,
            Kind::U64,
            Kind::Bool,
            Kind::F32,
            Kind::LongDouble,
            Kind::C32,
            Kind::C64,
            Kind::I32,
        ];
        assert_eq!(params, want.map(Ok));
        assert_eq!(ret, Ok(Kind::F64));
        for k in want {
            let expected = match k.npy() {
                NPY_TYPES::NPY_BOOL | NPY_TYPES::NPY_BYTE | NPY_TYPES::NPY_UBYTE => 1,
                NPY_TYPES::NPY_SHORT | NPY_TYPES::NPY_USHORT => 2,
                NPY_TYPES::NPY_INT | NPY_TYPES::NPY_UINT | NPY_TYPES::NPY_FLOAT => 4,
                NPY_TYPES::NPY_LONGDOUBLE | NPY_TYPES::NPY_CDOUBLE => 16,
                _ => 8,
            };
            assert_eq!(k.size(), expected, "{k:?}");
        }
    }

    #[test]
    fn what_numpy_has_no_scalar_for_is_refused_with_a_reason() {
        let (params, ret) = kinds(
            "struct s { int x; }; void f(char, wchar_t, int *, struct s, int[3], void (*)(void));",
        );
        assert!(params[0].unwrap_err().starts_with("a character"));
        assert!(params[1].unwrap_err().starts_with("a character"));
        assert_eq!(params[2], Err("a pointer"));
        assert_eq!(params[3], Err("a struct or union"));
        assert_eq!(params[4], Err("a pointer"));
        assert_eq!(params[5], Err("a pointer"));
        assert_eq!(ret, Err("void"));
    }

    #[test]
    fn results_are_stored_at_their_own_size() {
        let mut bytes = [0xAAu8; 8];
        // SAFETY: each store writes at most 8 bytes into the 8-byte buffer.
        unsafe {
            Kind::I16.store(bytes.as_mut_ptr(), Returned::Int(-2));
            assert_eq!(bytes[..3], [0xFE, 0xFF, 0xAA]);
            Kind::Bool.store(bytes.as_mut_ptr(), Returned::Int(5));
            assert_eq!(bytes[..2], [1, 0xFF]);
            Kind::F32.store(bytes.as_mut_ptr(), Returned::Float(1.5));
            assert_eq!(
                f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
                1.5
            );
            assert_eq!(Kind::U8.load_int([200u8].as_ptr()), 200);
            assert_eq!(Kind::I8.load_int([200u8].as_ptr()), -56);
            assert_eq!(Kind::Bool.load_int([7u8].as_ptr()), 1);
        }
    }
}
