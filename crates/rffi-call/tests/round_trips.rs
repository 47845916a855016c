//! Property tests: values written to C memory read back as C would give them.

use proptest::prelude::*;
use rffi_call::{longdouble, memory, Scalar, Value};
use rffi_types::truncate;

fn round_trip(s: Scalar, v: Value) -> Value {
    let mut cell = [0u8; 16];
    // SAFETY: `cell` has room for every scalar.
    unsafe {
        memory::write(cell.as_mut_ptr(), s, v);
        memory::read(cell.as_ptr(), s)
    }
}

proptest! {
    #[test]
    fn integers_truncate_like_c(v in any::<i64>(), size in prop::sample::select(vec![1u8, 2, 4, 8]), signed: bool) {
        let got = round_trip(Scalar::Int { size, signed }, Value::Int(i128::from(v)));
        prop_assert_eq!(got, Value::Int(truncate(i128::from(v), size as usize, signed)));
    }

    #[test]
    fn doubles_are_exact(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        prop_assume!(!f.is_nan());
        prop_assert_eq!(round_trip(Scalar::F64, Value::Float(f)), Value::Float(f));
        prop_assert_eq!(longdouble::decode(longdouble::encode(f)).to_bits(), f.to_bits());
    }

    #[test]
    fn floats_round_through_f32(f in any::<f32>()) {
        prop_assume!(!f.is_nan());
        prop_assert_eq!(round_trip(Scalar::F32, Value::Float(f64::from(f))), Value::Float(f64::from(f)));
    }

    #[test]
    fn bitfields_keep_neighbours(word in any::<u64>(), shift in 0u32..8, width in 1u32..=56, v in any::<i64>(), signed: bool) {
        let mut cell = word.to_le_bytes().to_vec();
        cell.extend([0u8; 8]);
        let bf = rffi_types::BitField { shift, width };
        // SAFETY: `cell` has 16 bytes; the field spans at most 8.
        let read = unsafe {
            memory::write_bits(cell.as_mut_ptr(), 0, bf, i128::from(v));
            memory::read_bits(cell.as_ptr(), 0, bf, signed)
        };
        let mask = (1u128 << width) - 1;
        let low = (v as i128 as u128) & mask;
        let expected = if signed && (low >> (width - 1)) & 1 == 1 { low as i128 - (1i128 << width) } else { low as i128 };
        prop_assert_eq!(read, expected);
        let after = u128::from_le_bytes(cell[..16].try_into().unwrap());
        let field_mask = mask << shift;
        prop_assert_eq!(after & !field_mask, u128::from(word) & !field_mask);
    }
}
