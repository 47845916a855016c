//! Direct calls: scalar signatures called through a typed function pointer,
//! without libffi.
//!
//! On x86-64 System V and aarch64 (Linux), integer-class arguments take the
//! integer registers in order and float-class arguments take the vector
//! registers in order, whatever their interleaving. So one pointer type with
//! six `i64` and eight `f64` parameters can call any function whose scalar
//! arguments fit those registers: the callee reads the registers it declares
//! and ignores the rest, which the caller may clobber anyway. A `float`
//! travels in the low half of its vector register, so it is passed as the
//! `f64` with those bits; small integers are passed sign- or zero-extended to
//! 64 bits, as C compilers do. Variadic functions are excluded: they need the
//! count of vector registers in `al`, which only libffi sets.

use std::ffi::c_void;

use crate::scalar::Scalar;

/// Integer registers a direct call fills.
pub const INT_REGS: usize = 6;
/// Vector registers a direct call fills.
pub const FLOAT_REGS: usize = 8;

/// The register an argument travels in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    /// Integer register `n`, holding an integer of this size and signedness
    /// (pointers are 8 bytes, unsigned).
    Int { n: u8, size: u8, signed: bool },
    /// Vector register `n` holding a `double`.
    F64(u8),
    /// Vector register `n` holding a `float` in its low half.
    F32(u8),
}

/// Where the result comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegResult {
    Void,
    Int { size: u8, signed: bool },
    F64,
    F32,
}

/// The register image of one direct call.
#[derive(Clone, Copy, Debug, Default)]
pub struct Regs {
    pub ints: [i64; INT_REGS],
    pub floats: [f64; FLOAT_REGS],
}

impl Regs {
    /// Puts an integer (or pointer) value in its register, extended to 64
    /// bits by the argument's own signedness.
    pub fn set_int(&mut self, reg: Reg, value: i128) {
        if let Reg::Int { n, size, signed } = reg {
            self.ints[n as usize] = extend(value, size, signed);
        }
    }

    /// Puts a floating value in its register, as a `float` or a `double`.
    pub fn set_float(&mut self, reg: Reg, value: f64) {
        match reg {
            Reg::F64(n) => self.floats[n as usize] = value,
            Reg::F32(n) => {
                self.floats[n as usize] = f64::from_bits(u64::from((value as f32).to_bits()))
            }
            Reg::Int { .. } => {}
        }
    }
}

fn extend(value: i128, size: u8, signed: bool) -> i64 {
    let bits = u32::from(size) * 8;
    if bits >= 64 {
        return value as i64;
    }
    let low = (value as u64) & ((1u64 << bits) - 1);
    if signed && (low >> (bits - 1)) & 1 == 1 {
        (low | !((1u64 << bits) - 1)) as i64
    } else {
        low as i64
    }
}

/// The register layout of a scalar signature, when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Direct {
    args: Vec<Reg>,
    result: RegResult,
}

/// A direct call's raw result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Returned {
    Void,
    Int(i128),
    Float(f64),
}

/// A function taking every argument register, returning `R`.
type RegFn<R> =
    unsafe extern "C" fn(i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, f64) -> R;
type IntFn = RegFn<i64>;
type FloatFn = RegFn<f64>;

const SUPPORTED: bool = cfg!(all(
    not(windows),
    any(target_arch = "x86_64", target_arch = "aarch64")
));

impl Direct {
    /// The layout for these argument and result kinds (`None` result: void),
    /// or `None` when the signature needs libffi.
    pub fn new(
        args: &[Option<Scalar>],
        result: Option<Option<Scalar>>,
        variadic: bool,
    ) -> Option<Direct> {
        if !SUPPORTED || variadic {
            return None;
        }
        let (mut ints, mut floats) = (0u8, 0u8);
        let mut regs = Vec::with_capacity(args.len());
        for arg in args {
            let reg = match (*arg)? {
                Scalar::Int { size, signed } => {
                    ints += 1;
                    Reg::Int {
                        n: ints - 1,
                        size,
                        signed,
                    }
                }
                Scalar::Pointer => {
                    ints += 1;
                    Reg::Int {
                        n: ints - 1,
                        size: 8,
                        signed: false,
                    }
                }
                Scalar::F64 => {
                    floats += 1;
                    Reg::F64(floats - 1)
                }
                Scalar::F32 => {
                    floats += 1;
                    Reg::F32(floats - 1)
                }
                Scalar::LongDouble | Scalar::C32 | Scalar::C64 => return None,
            };
            regs.push(reg);
        }
        if usize::from(ints) > INT_REGS || usize::from(floats) > FLOAT_REGS {
            return None;
        }
        let result = match result? {
            None => RegResult::Void,
            Some(Scalar::Int { size, signed }) => RegResult::Int { size, signed },
            Some(Scalar::Pointer) => RegResult::Int {
                size: 8,
                signed: false,
            },
            Some(Scalar::F64) => RegResult::F64,
            Some(Scalar::F32) => RegResult::F32,
            Some(_) => return None,
        };
        Some(Direct { args: regs, result })
    }

    /// The register of each argument, in order.
    pub fn args(&self) -> &[Reg] {
        &self.args
    }

    pub fn result(&self) -> RegResult {
        self.result
    }

    /// Calls `fnptr` with the registers in `regs`, with `errno` restored
    /// before and saved after, as for libffi calls.
    ///
    /// # Safety
    /// `fnptr` must be a non-variadic function whose C type has this
    /// layout, and pointer arguments must be valid for what it does.
    pub unsafe fn call(&self, fnptr: *const c_void, regs: &Regs) -> Returned {
        // SAFETY: the caller's contract, passed on.
        crate::errno::around(|| unsafe { self.call_keeping_errno(fnptr, regs) })
    }

    /// [`call`](Self::call) without saving or restoring `errno`: for a loop
    /// of calls inside one [`crate::errno::around`].
    ///
    /// # Safety
    /// As for [`call`](Self::call).
    #[inline]
    pub unsafe fn call_keeping_errno(&self, fnptr: *const c_void, regs: &Regs) -> Returned {
        let i = &regs.ints;
        let f = &regs.floats;
        match self.result {
            RegResult::F64 | RegResult::F32 => {
                // SAFETY: see the module comment: the callee's parameters are a
                // prefix of each register file, and its result is in the
                // vector register this pointer type reads.
                let fun: FloatFn = unsafe { std::mem::transmute::<*const c_void, FloatFn>(fnptr) };
                // SAFETY: as above; the caller guarantees the function type.
                let r = unsafe {
                    fun(
                        i[0], i[1], i[2], i[3], i[4], i[5], f[0], f[1], f[2], f[3], f[4], f[5],
                        f[6], f[7],
                    )
                };
                if self.result == RegResult::F32 {
                    Returned::Float(f64::from(f32::from_bits(r.to_bits() as u32)))
                } else {
                    Returned::Float(r)
                }
            }
            RegResult::Int { .. } | RegResult::Void => {
                // SAFETY: as above, with the result in the first integer register.
                let fun: IntFn = unsafe { std::mem::transmute::<*const c_void, IntFn>(fnptr) };
                // SAFETY: as above; the caller guarantees the function type.
                let r = unsafe {
                    fun(
                        i[0], i[1], i[2], i[3], i[4], i[5], f[0], f[1], f[2], f[3], f[4], f[5],
                        f[6], f[7],
                    )
                };
                match self.result {
                    RegResult::Int { size, signed } => Returned::Int(
                        i128::from(extend(i128::from(r), size, signed))
                            & unsigned_mask(size, signed),
                    ),
                    _ => Returned::Void,
                }
            }
        }
    }
}

/// Unsigned results of 8 bytes must not read back negative.
fn unsigned_mask(size: u8, signed: bool) -> i128 {
    if signed {
        -1
    } else {
        (1i128 << (u32::from(size) * 8)) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_are_assigned_per_class() {
        let int = Some(Scalar::Int {
            size: 4,
            signed: true,
        });
        let d = Direct::new(
            &[int, Some(Scalar::F64), int, Some(Scalar::F32)],
            Some(Some(Scalar::F64)),
            false,
        );
        let d = d.expect("scalar signature");
        assert_eq!(
            d.args(),
            [
                Reg::Int {
                    n: 0,
                    size: 4,
                    signed: true
                },
                Reg::F64(0),
                Reg::Int {
                    n: 1,
                    size: 4,
                    signed: true
                },
                Reg::F32(1)
            ]
        );
        assert!(Direct::new(&[int], Some(None), true).is_none());
        assert!(Direct::new(&[None], Some(None), false).is_none());
        assert!(Direct::new(&[int; 7], Some(None), false).is_none());
        assert!(Direct::new(&[Some(Scalar::LongDouble)], Some(None), false).is_none());
        assert!(Direct::new(&[], None, false).is_none());
    }

    #[test]
    fn small_integers_are_extended_by_their_own_sign() {
        assert_eq!(extend(-1, 4, true), -1);
        assert_eq!(extend(0xffff_ffff, 4, false), 0xffff_ffff);
        assert_eq!(extend(0x1_0000_0005, 4, true), 5);
        assert_eq!(extend(0x80, 1, true), -128);
    }
}
