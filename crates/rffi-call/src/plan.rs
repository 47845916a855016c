//! Call plans: everything about calling one function type that can be worked
//! out once, so that a call only converts values and jumps.

use std::ffi::c_void;

use libffi::middle::{Cif, CodePtr, Type as FfiType};
use rffi_types::{Type, TypeId, Types};

use crate::direct::Direct;
use crate::error::CallError;
use crate::ffitype::{ffi_type, Position};
use crate::scalar::Scalar;

/// Where one argument lives in a call's argument frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgSlot {
    pub ty: TypeId,
    pub offset: usize,
    pub size: usize,
}

/// The plan for calling functions of one type.
#[derive(Debug)]
pub struct CallPlan {
    cif: Cif,
    args: Vec<ArgSlot>,
    ret: TypeId,
    ret_is_void: bool,
    ret_size: usize,
    ret_scalar: Option<Scalar>,
    frame_size: usize,
    fixed_args: usize,
    variadic: bool,
    passes_pointers: bool,
    direct: Option<Direct>,
}

// SAFETY: a prepared CIF and its libffi types are never written again; ffi_call
// only reads them, so sharing a plan between threads is sound.
unsafe impl Send for CallPlan {}
// SAFETY: as above.
unsafe impl Sync for CallPlan {}

/// The bytes of one call's arguments, on the stack for common calls.
pub struct Frame {
    inline: [u128; Frame::INLINE],
    heap: Vec<u128>,
}

impl Frame {
    const INLINE: usize = 32;

    /// A zeroed frame big enough for `plan`'s arguments (or result).
    pub fn new(bytes: usize) -> Frame {
        let words = bytes.div_ceil(16);
        Frame {
            inline: [0; Frame::INLINE],
            heap: if words > Frame::INLINE {
                vec![0; words]
            } else {
                Vec::new()
            },
        }
    }

    /// How many bytes the frame holds (at least what it was made for).
    pub fn capacity(&self) -> usize {
        if self.heap.is_empty() {
            Frame::INLINE * 16
        } else {
            self.heap.len() * 16
        }
    }

    /// The start of the frame, 16-byte aligned.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        if self.heap.is_empty() {
            self.inline.as_mut_ptr().cast()
        } else {
            self.heap.as_mut_ptr().cast()
        }
    }
}

fn round_up(v: usize, to: usize) -> usize {
    v.div_ceil(to) * to
}

impl CallPlan {
    /// The plan for a function type (or pointer to one), fixed arguments only.
    pub fn new(types: &Types, fn_type: TypeId) -> Result<CallPlan, CallError> {
        CallPlan::build(types, fn_type, &[])
    }

    /// The plan for one call of a variadic function with these extra
    /// argument types (already promoted: `double`, not `float`).
    pub fn variadic(
        types: &Types,
        fn_type: TypeId,
        extra: &[TypeId],
    ) -> Result<CallPlan, CallError> {
        CallPlan::build(types, fn_type, extra)
    }

    fn build(types: &Types, fn_type: TypeId, extra: &[TypeId]) -> Result<CallPlan, CallError> {
        let sig = types
            .function(fn_type)
            .ok_or_else(|| CallError::Libffi(types.cname(fn_type)))?;
        let all: Vec<TypeId> = sig.params.iter().chain(extra).copied().collect();
        let mut ffi_args = Vec::with_capacity(all.len());
        let mut args = Vec::with_capacity(all.len());
        let mut offset = 0;
        for &ty in &all {
            let t = ffi_type(types, ty, Position::Argument)?;
            let (size, align) = ffi_size_align(types, ty, &t);
            offset = round_up(offset, align.max(8));
            args.push(ArgSlot { ty, offset, size });
            offset += size;
            ffi_args.push(t);
        }
        let ret = sig.ret;
        let ret_t = ffi_type(types, ret, Position::Result)?;
        let ret_is_void = matches!(types.get(ret), Type::Void);
        let ret_size = if ret_is_void {
            0
        } else {
            ffi_size_align(types, ret, &ret_t).0
        };
        let cif = if sig.variadic {
            Cif::try_new_variadic(ffi_args, sig.params.len(), ret_t)
        } else {
            Cif::try_new(ffi_args, ret_t)
        }
        .map_err(|_| CallError::Libffi(types.cname(fn_type)))?;
        Ok(CallPlan {
            cif,
            args,
            ret,
            ret_is_void,
            ret_size,
            ret_scalar: Scalar::of(types, ret),
            fixed_args: sig.params.len(),
            variadic: sig.variadic,
            passes_pointers: all.iter().any(|&t| holds_pointer(types, t)),
            frame_size: offset,
            direct: {
                let kinds: Vec<Option<Scalar>> =
                    all.iter().map(|t| Scalar::of(types, *t)).collect();
                let result = if ret_is_void {
                    Some(None)
                } else {
                    Scalar::of(types, ret).map(Some)
                };
                Direct::new(&kinds, result, sig.variadic)
            },
        })
    }

    /// Where each argument goes in the frame.
    pub fn args(&self) -> &[ArgSlot] {
        &self.args
    }

    pub fn ret(&self) -> TypeId {
        self.ret
    }

    pub fn ret_is_void(&self) -> bool {
        self.ret_is_void
    }

    /// The register layout for calling without libffi, when the signature
    /// allows it (see [`Direct`]).
    pub fn direct(&self) -> Option<&Direct> {
        self.direct.as_ref()
    }

    /// The number of declared parameters (the variadic part excluded).
    pub fn fixed_args(&self) -> usize {
        self.fixed_args
    }

    /// Whether the function type ends in `...`.
    pub fn is_variadic(&self) -> bool {
        self.variadic
    }

    /// Whether any argument is a pointer or holds one (a struct or union by
    /// value with a pointer member): what decides if a call hands C an
    /// address to use.
    pub fn passes_pointers(&self) -> bool {
        self.passes_pointers
    }

    /// The result's size in bytes (0 for void).
    pub fn result_size(&self) -> usize {
        self.ret_size
    }

    /// How the result is stored, when it is a scalar.
    pub fn ret_scalar(&self) -> Option<Scalar> {
        self.ret_scalar
    }

    pub(crate) fn raw_cif(&self) -> *mut libffi::low::ffi_cif {
        self.cif.as_raw_ptr()
    }

    /// A zeroed frame for the arguments.
    pub fn frame(&self) -> Frame {
        Frame::new(self.frame_size)
    }

    /// A zeroed buffer for the result, large enough for what libffi writes
    /// (at least a full register for small integers).
    pub fn result_buffer(&self) -> Frame {
        Frame::new(self.ret_size.max(16))
    }

    /// Calls `fnptr` with the arguments stored in `frame`, writing the result
    /// to `ret`, with `errno` restored before and saved after the call.
    ///
    /// # Safety
    /// `fnptr` must be a function of this plan's C type; `frame` must hold
    /// valid values for every argument at the slots of [`args`](Self::args)
    /// (pointers among them valid for what the function does with them); `ret`
    /// must be a buffer from [`result_buffer`](Self::result_buffer).
    pub unsafe fn call(&self, fnptr: *const c_void, frame: &mut Frame, ret: &mut Frame) {
        // SAFETY: the caller's contract, passed on.
        crate::errno::around(|| unsafe { self.call_keeping_errno(fnptr, frame, ret) })
    }

    /// [`call`](Self::call) without saving or restoring `errno`: for a loop
    /// of calls inside one [`crate::errno::around`].
    ///
    /// # Safety
    /// As for [`call`](Self::call).
    pub unsafe fn call_keeping_errno(
        &self,
        fnptr: *const c_void,
        frame: &mut Frame,
        ret: &mut Frame,
    ) {
        let base = frame.as_mut_ptr();
        let mut inline = [std::ptr::null_mut::<c_void>(); 16];
        let mut heap = Vec::new();
        let pointers: &mut [*mut c_void] = if self.args.len() <= inline.len() {
            &mut inline[..self.args.len()]
        } else {
            heap.resize(self.args.len(), std::ptr::null_mut());
            &mut heap
        };
        for (p, slot) in pointers.iter_mut().zip(&self.args) {
            // SAFETY: every slot lies inside the frame, which is frame_size long.
            *p = unsafe { base.add(slot.offset) }.cast();
        }
        let code = CodePtr::from_ptr(fnptr);
        let cif = self.cif.as_raw_ptr();
        let ret = ret.as_mut_ptr().cast();
        // SAFETY: the caller guarantees the function's type matches the CIF,
        // and each pointer addresses a value of its argument's type.
        unsafe {
            libffi::raw::ffi_call(cif, Some(*code.as_safe_fun()), ret, pointers.as_mut_ptr())
        };
    }
}

/// Whether a value of `ty` is a pointer or contains one (as a member of a
/// struct or union, or an item of an array member, at any depth).
pub fn holds_pointer(types: &Types, ty: TypeId) -> bool {
    match types.get(ty) {
        Type::Pointer(_) | Type::Function(_) => true,
        Type::Array(item, _) => holds_pointer(types, *item),
        Type::Record(_) => types
            .record_layout(ty)
            .is_some_and(|l| l.fields.iter().any(|f| holds_pointer(types, f.ty))),
        Type::Void | Type::Prim(_) | Type::Enum(_) => false,
    }
}

/// Size and alignment libffi uses for a type: ours, except for stand-ins,
/// which may be larger.
fn ffi_size_align(types: &Types, ty: TypeId, t: &FfiType) -> (usize, usize) {
    // SAFETY: reading plain fields of a live ffi_type; structure sizes are
    // zero until a CIF is prepared, which is why ours are the fallback.
    let (size, align) = unsafe {
        let raw = &*t.as_raw_ptr();
        (raw.size, raw.alignment as usize)
    };
    let (our_size, our_align) = types.size_align(ty).unwrap_or((8, 8));
    (size.max(our_size), align.max(our_align).max(1))
}
