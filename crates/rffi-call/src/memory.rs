//! Reading and writing C values at raw addresses.
//!
//! Every function here is `unsafe`: the caller promises the address is valid
//! for the access. The cdata layer keeps that promise by bounds-checking
//! against the owner of the memory before it calls in.

use rffi_types::BitField;

use crate::longdouble;
use crate::scalar::Scalar;

/// A C scalar value, widened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Int(i128),
    Float(f64),
    Complex(f64, f64),
    Pointer(usize),
}

fn int_from_bytes(bytes: &[u8], signed: bool) -> i128 {
    let mut buf = [0u8; 16];
    let n = bytes.len().min(16);
    if cfg!(target_endian = "little") {
        buf[..n].copy_from_slice(&bytes[..n]);
    } else {
        buf[16 - n..].copy_from_slice(&bytes[..n]);
    }
    let raw = if cfg!(target_endian = "little") {
        u128::from_le_bytes(buf)
    } else {
        u128::from_be_bytes(buf)
    };
    let bits = (n * 8) as u32;
    if signed && bits < 128 && (raw >> (bits - 1)) & 1 == 1 {
        (raw as i128) - (1i128 << bits)
    } else {
        raw as i128
    }
}

fn int_to_bytes(v: i128, out: &mut [u8]) {
    let n = out.len().min(16);
    if cfg!(target_endian = "little") {
        out[..n].copy_from_slice(&v.to_le_bytes()[..n]);
    } else {
        out[..n].copy_from_slice(&v.to_be_bytes()[16 - n..]);
    }
}

/// Reads `len` bytes at `addr` into a new vector.
///
/// # Safety
/// `addr..addr+len` must be readable.
pub unsafe fn read_bytes(addr: *const u8, len: usize) -> Vec<u8> {
    // SAFETY: the caller guarantees the range is readable.
    unsafe { std::slice::from_raw_parts(addr, len) }.to_vec()
}

/// Copies `bytes` to `addr`.
///
/// # Safety
/// `addr..addr+bytes.len()` must be writable and not overlap `bytes`.
pub unsafe fn write_bytes(addr: *mut u8, bytes: &[u8]) {
    // SAFETY: the caller guarantees the destination range is writable.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr, bytes.len()) }
}

/// The length of the NUL-terminated byte string at `addr`, looking at no
/// more than `limit` bytes when a limit is given.
///
/// # Safety
/// The bytes up to the NUL (or up to `limit`) must be readable.
pub unsafe fn c_string_len(addr: *const u8, limit: Option<usize>) -> usize {
    match limit {
        // SAFETY: the caller guarantees `limit` readable bytes.
        Some(n) => unsafe { libc::strnlen(addr.cast(), n) },
        // SAFETY: the caller guarantees a NUL-terminated string.
        None => unsafe { libc::strlen(addr.cast()) },
    }
}

/// Reads a scalar of kind `s` at `addr` (any alignment).
///
/// # Safety
/// The bytes of the scalar at `addr` must be readable.
pub unsafe fn read(addr: *const u8, s: Scalar) -> Value {
    // The common kinds as one unaligned load each; the rest byte-wise below.
    // SAFETY: the caller guarantees the scalar's bytes are readable, and
    // `read_unaligned` needs no alignment.
    let fast = unsafe {
        match s {
            Scalar::Int {
                size: 4,
                signed: true,
            } => Some(Value::Int(i128::from(addr.cast::<i32>().read_unaligned()))),
            Scalar::Int {
                size: 4,
                signed: false,
            } => Some(Value::Int(i128::from(addr.cast::<u32>().read_unaligned()))),
            Scalar::Int {
                size: 8,
                signed: true,
            } => Some(Value::Int(i128::from(addr.cast::<i64>().read_unaligned()))),
            Scalar::Int {
                size: 8,
                signed: false,
            } => Some(Value::Int(i128::from(addr.cast::<u64>().read_unaligned()))),
            Scalar::F64 => Some(Value::Float(addr.cast::<f64>().read_unaligned())),
            Scalar::Pointer => Some(Value::Pointer(addr.cast::<usize>().read_unaligned())),
            _ => None,
        }
    };
    if let Some(v) = fast {
        return v;
    }
    let size = scalar_size(s);
    let mut buf = [0u8; 16];
    // SAFETY: the caller guarantees `size` readable bytes at `addr`.
    unsafe { std::ptr::copy_nonoverlapping(addr, buf.as_mut_ptr(), size) };
    let bytes = &buf[..size];
    match s {
        Scalar::Int { signed, .. } => Value::Int(int_from_bytes(bytes, signed)),
        Scalar::Pointer => Value::Pointer(int_from_bytes(bytes, false) as usize),
        Scalar::F32 => Value::Float(f32::from_ne_bytes(bytes.try_into().unwrap_or([0; 4])) as f64),
        Scalar::F64 => Value::Float(f64::from_ne_bytes(bytes.try_into().unwrap_or([0; 8]))),
        Scalar::LongDouble => Value::Float(longdouble::decode(buf)),
        Scalar::C32 => {
            let re = f32::from_ne_bytes(buf[0..4].try_into().unwrap_or([0; 4]));
            let im = f32::from_ne_bytes(buf[4..8].try_into().unwrap_or([0; 4]));
            Value::Complex(re as f64, im as f64)
        }
        Scalar::C64 => {
            let re = f64::from_ne_bytes(buf[0..8].try_into().unwrap_or([0; 8]));
            let im = f64::from_ne_bytes(buf[8..16].try_into().unwrap_or([0; 8]));
            Value::Complex(re, im)
        }
    }
}

/// Writes `v` as a scalar of kind `s` at `addr`, converting as a C
/// assignment does (integers truncate, floats round).
///
/// # Safety
/// The bytes of the scalar at `addr` must be writable.
pub unsafe fn write(addr: *mut u8, s: Scalar, v: Value) {
    let mut buf = [0u8; 16];
    let size = scalar_size(s);
    match s {
        Scalar::Int { .. } | Scalar::Pointer => int_to_bytes(as_int(v), &mut buf[..size]),
        Scalar::F32 => buf[..4].copy_from_slice(&(as_float(v) as f32).to_ne_bytes()),
        Scalar::F64 => buf[..8].copy_from_slice(&as_float(v).to_ne_bytes()),
        Scalar::LongDouble => buf = longdouble::encode(as_float(v)),
        Scalar::C32 => {
            let (re, im) = as_complex(v);
            buf[..4].copy_from_slice(&(re as f32).to_ne_bytes());
            buf[4..8].copy_from_slice(&(im as f32).to_ne_bytes());
        }
        Scalar::C64 => {
            let (re, im) = as_complex(v);
            buf[..8].copy_from_slice(&re.to_ne_bytes());
            buf[8..16].copy_from_slice(&im.to_ne_bytes());
        }
    }
    // SAFETY: the caller guarantees `size` writable bytes at `addr`.
    unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), addr, size) };
}

fn as_int(v: Value) -> i128 {
    match v {
        Value::Int(i) => i,
        Value::Pointer(p) => p as i128,
        Value::Float(f) | Value::Complex(f, _) => f as i128,
    }
}

fn as_float(v: Value) -> f64 {
    match v {
        Value::Int(i) => i as f64,
        Value::Pointer(p) => p as f64,
        Value::Float(f) | Value::Complex(f, _) => f,
    }
}

fn as_complex(v: Value) -> (f64, f64) {
    match v {
        Value::Complex(re, im) => (re, im),
        other => (as_float(other), 0.0),
    }
}

/// The number of bytes a scalar occupies.
pub fn scalar_size(s: Scalar) -> usize {
    match s {
        Scalar::Int { size, .. } => size as usize,
        Scalar::Pointer => std::mem::size_of::<usize>(),
        Scalar::F32 => 4,
        Scalar::F64 | Scalar::C32 => 8,
        Scalar::C64 => 16,
        Scalar::LongDouble => rffi_types::target::LONG_DOUBLE.0,
    }
}

fn bit_span(bf: BitField) -> usize {
    (bf.shift + bf.width).div_ceil(8) as usize
}

/// Reads a bitfield of the record at `base`.
///
/// # Safety
/// The bytes holding the bitfield must be readable.
pub unsafe fn read_bits(base: *const u8, offset: usize, bf: BitField, signed: bool) -> i128 {
    let mut buf = [0u8; 16];
    let n = bit_span(bf);
    // SAFETY: the caller guarantees the bytes of the bitfield are readable.
    unsafe { std::ptr::copy_nonoverlapping(base.add(offset), buf.as_mut_ptr(), n) };
    let raw = u128::from_le_bytes(buf) >> bf.shift;
    let mask = (1u128 << bf.width) - 1;
    let v = raw & mask;
    if signed && (v >> (bf.width - 1)) & 1 == 1 {
        v as i128 - (1i128 << bf.width)
    } else {
        v as i128
    }
}

/// Writes the low `width` bits of `v` into a bitfield, keeping its neighbours.
///
/// # Safety
/// The bytes holding the bitfield must be readable and writable.
pub unsafe fn write_bits(base: *mut u8, offset: usize, bf: BitField, v: i128) {
    let mut buf = [0u8; 16];
    let n = bit_span(bf);
    // SAFETY: the caller guarantees the bytes of the bitfield are accessible.
    unsafe { std::ptr::copy_nonoverlapping(base.add(offset), buf.as_mut_ptr(), n) };
    let mask = ((1u128 << bf.width) - 1) << bf.shift;
    let word = (u128::from_le_bytes(buf) & !mask) | (((v as u128) << bf.shift) & mask);
    buf = word.to_le_bytes();
    // SAFETY: as above.
    unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), base.add(offset), n) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_round_trip_and_truncate() {
        let mut cell = [0u8; 8];
        let s = Scalar::Int {
            size: 2,
            signed: true,
        };
        // SAFETY: `cell` has 8 bytes.
        unsafe {
            write(cell.as_mut_ptr(), s, Value::Int(0x1_8001));
            assert_eq!(read(cell.as_ptr(), s), Value::Int(-32767));
            write(
                cell.as_mut_ptr(),
                Scalar::Int {
                    size: 1,
                    signed: false,
                },
                Value::Int(-1),
            );
            assert_eq!(
                read(
                    cell.as_ptr(),
                    Scalar::Int {
                        size: 1,
                        signed: false
                    }
                ),
                Value::Int(255)
            );
            write(cell.as_mut_ptr(), Scalar::F32, Value::Float(1.5));
            assert_eq!(read(cell.as_ptr(), Scalar::F32), Value::Float(1.5));
        }
    }

    #[test]
    fn bitfields_keep_their_neighbours() {
        let mut cell = [0xffu8; 4];
        let bf = BitField { shift: 6, width: 5 };
        // SAFETY: `cell` has 4 bytes; the field spans bytes 0 and 1.
        unsafe {
            write_bits(cell.as_mut_ptr(), 0, bf, 0);
            assert_eq!(u32::from_le_bytes(cell), !(0b11111 << 6));
            write_bits(cell.as_mut_ptr(), 0, bf, -3);
            assert_eq!(read_bits(cell.as_ptr(), 0, bf, true), -3);
            assert_eq!(read_bits(cell.as_ptr(), 0, bf, false), 29);
        }
    }
}
