//! Describing rffi types to libffi.

use libffi::middle::Type as FfiType;
use rffi_types::{Type, TypeId, Types};

use crate::error::CallError;
use crate::scalar::Scalar;

/// Where a type is used, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    Argument,
    Result,
}

impl Position {
    fn text(self) -> &'static str {
        match self {
            Position::Argument => "argument",
            Position::Result => "return value",
        }
    }
}

fn unsupported(types: &Types, id: TypeId, pos: Position, reason: &str) -> CallError {
    CallError::Unsupported {
        ctype: types.cname(id),
        position: pos.text(),
        reason: reason.to_string(),
    }
}

/// The libffi description of a type passed or returned by value.
pub fn ffi_type(types: &Types, id: TypeId, pos: Position) -> Result<FfiType, CallError> {
    if let Some(s) = Scalar::of(types, id) {
        return Ok(scalar_type(s));
    }
    match types.get(id) {
        Type::Void if pos == Position::Result => Ok(FfiType::void()),
        Type::Function(_) => Ok(FfiType::pointer()),
        Type::Record(_) => record_type(types, id, pos),
        _ => Err(unsupported(
            types,
            id,
            pos,
            "it has no value that can be passed",
        )),
    }
}

fn scalar_type(s: Scalar) -> FfiType {
    match s {
        Scalar::Int {
            size: 1,
            signed: true,
        } => FfiType::i8(),
        Scalar::Int { size: 1, .. } => FfiType::u8(),
        Scalar::Int {
            size: 2,
            signed: true,
        } => FfiType::i16(),
        Scalar::Int { size: 2, .. } => FfiType::u16(),
        Scalar::Int {
            size: 4,
            signed: true,
        } => FfiType::i32(),
        Scalar::Int { size: 4, .. } => FfiType::u32(),
        Scalar::Int { signed: true, .. } => FfiType::i64(),
        Scalar::Int { .. } => FfiType::u64(),
        Scalar::F32 => FfiType::f32(),
        Scalar::F64 => FfiType::f64(),
        Scalar::LongDouble => FfiType::longdouble(),
        #[cfg(not(windows))]
        Scalar::C32 => FfiType::c32(),
        #[cfg(not(windows))]
        Scalar::C64 => FfiType::c64(),
        // libffi has no complex types on Windows; GCC passes and returns
        // `_Complex` values there as a struct of the two parts.
        #[cfg(windows)]
        Scalar::C32 => FfiType::structure(vec![FfiType::f32(), FfiType::f32()]),
        #[cfg(windows)]
        Scalar::C64 => FfiType::structure(vec![FfiType::f64(), FfiType::f64()]),
        Scalar::Pointer => FfiType::pointer(),
    }
}

/// A struct libffi can lay out itself when all its members are plain and
/// naturally aligned; otherwise (unions, bitfields, packing) a stand-in with
/// the same size and the same register classes.
fn record_type(types: &Types, id: TypeId, pos: Position) -> Result<FfiType, CallError> {
    let layout = types
        .record_layout(id)
        .ok_or_else(|| unsupported(types, id, pos, "the type is opaque"))?;
    if layout.size == 0 {
        return Err(unsupported(types, id, pos, "it is empty"));
    }
    if layout.flexible {
        return Err(unsupported(types, id, pos, "it ends in a flexible array"));
    }
    let mut leaves = Vec::new();
    collect_leaves(types, id, 0, &mut leaves);
    if let Some(mut natural) = natural_struct(types, id) {
        let offsets = natural
            .struct_offsets(libffi::low::ffi_abi_FFI_DEFAULT_ABI)
            .map_err(|_| unsupported(types, id, pos, "libffi refused its layout"))?;
        let ours: Vec<usize> = leaves.iter().map(|l| l.0).collect();
        // SAFETY: `struct_offsets` has initialised the size of this struct type.
        let size = unsafe { (*natural.as_raw_ptr()).size };
        if offsets == ours && size == layout.size {
            return Ok(natural);
        }
    }
    stand_in(types, id, pos, layout.size, layout.align, &leaves)
}

/// The struct of the scalar leaves in order, when it has no unions or bitfields.
fn natural_struct(types: &Types, id: TypeId) -> Option<FfiType> {
    let mut elements = Vec::new();
    natural_elements(types, id, &mut elements)?;
    Some(FfiType::structure(elements))
}

fn natural_elements(types: &Types, id: TypeId, out: &mut Vec<FfiType>) -> Option<()> {
    if let Some(s) = Scalar::of(types, id) {
        out.push(scalar_type(s));
        return Some(());
    }
    match types.get(id) {
        Type::Array(item, Some(n)) => {
            for _ in 0..*n {
                natural_elements(types, *item, out)?;
            }
            Some(())
        }
        Type::Record(r) if types.record(*r).kind == rffi_types::RecordKind::Struct => {
            let layout = types.record_layout(id)?;
            for f in &layout.fields {
                if f.bits.is_some() {
                    return None;
                }
                natural_elements(types, f.ty, out)?;
            }
            Some(())
        }
        _ => None,
    }
}

/// Every scalar inside a value with its offset, all members of unions included.
fn collect_leaves(types: &Types, id: TypeId, base: usize, out: &mut Vec<(usize, Scalar)>) {
    if let Some(s) = Scalar::of(types, id) {
        out.push((base, s));
        return;
    }
    match types.get(id) {
        Type::Array(item, Some(n)) => {
            let step = types.size_of(*item).unwrap_or(0);
            for i in 0..*n {
                collect_leaves(types, *item, base + i * step, out);
            }
        }
        Type::Record(_) => {
            if let Some(layout) = types.record_layout(id) {
                for f in &layout.fields {
                    match (f.bits, Scalar::of(types, f.ty)) {
                        (Some(_), Some(s)) => out.push((base + f.offset, s)),
                        _ => collect_leaves(types, f.ty, base + f.offset, out),
                    }
                }
            }
        }
        _ => {}
    }
}

/// x86-64 System V passes aggregates of up to 16 bytes in registers chosen per
/// eightbyte: SSE when only floats live there, INTEGER otherwise. A struct of
/// one element per eightbyte with the same classes travels the same way; a
/// larger aggregate goes to memory, where only size and alignment matter.
fn stand_in(
    types: &Types,
    id: TypeId,
    pos: Position,
    size: usize,
    align: usize,
    leaves: &[(usize, Scalar)],
) -> Result<FfiType, CallError> {
    if !cfg!(all(target_arch = "x86_64", not(windows))) {
        return Err(unsupported(
            types,
            id,
            pos,
            "unions, bitfields and packed structs by value are only supported on x86-64",
        ));
    }
    let misaligned = leaves
        .iter()
        .any(|&(off, s)| off % crate::memory::scalar_size(s).clamp(1, 8) != 0);
    if align > 8
        || leaves
            .iter()
            .any(|l| matches!(l.1, Scalar::LongDouble | Scalar::C64 | Scalar::C32))
    {
        return Err(unsupported(
            types,
            id,
            pos,
            "its alignment or members have no stand-in",
        ));
    }
    if size > 16 {
        let unit = align.max(1);
        let element = scalar_type(Scalar::Int {
            size: unit as u8,
            signed: false,
        });
        return Ok(FfiType::structure(vec![element; size / unit]));
    }
    if misaligned {
        return Err(unsupported(types, id, pos, "a small packed struct with misaligned members is passed in memory, which libffi cannot express"));
    }
    let mut elements = Vec::new();
    for chunk in 0..size.div_ceil(8) {
        let lo = chunk * 8;
        let len = (size - lo).min(8);
        let inside: Vec<Scalar> = leaves
            .iter()
            .filter(|(off, s)| *off < lo + 8 && off + crate::memory::scalar_size(*s) > lo)
            .map(|l| l.1)
            .collect();
        let all_float = !inside.is_empty()
            && inside
                .iter()
                .all(|s| matches!(s, Scalar::F32 | Scalar::F64));
        match (all_float, len) {
            (true, 8) if inside.iter().all(|s| *s == Scalar::F32) => {
                elements.push(FfiType::f32());
                elements.push(FfiType::f32());
            }
            (true, 8) => elements.push(FfiType::f64()),
            (true, _) => elements.push(FfiType::f32()),
            (false, n) => {
                let unit = align.clamp(1, 8);
                let element = scalar_type(Scalar::Int {
                    size: unit as u8,
                    signed: false,
                });
                elements.extend((0..n / unit).map(|_| element.clone()));
            }
        }
    }
    Ok(FfiType::structure(elements))
}
