//! `long double` to and from `f64`, bit by bit (Rust has no such type).
//! x86-64 stores the x87 80-bit extended format in 16 bytes; aarch64 Linux
//! uses IEEE binary128. Values are exact from f64 and rounded back to f64.

const F64_BIAS: i32 = 1023;
const WIDE_BIAS: i32 = 16383;

/// Sign, unbiased exponent and a 64-bit significand with the leading one at
/// bit 63, or a special value.
enum Parts {
    Zero(bool),
    Inf(bool),
    Nan,
    Finite { neg: bool, exp: i32, sig: u64 },
}

fn split_f64(v: f64) -> Parts {
    let bits = v.to_bits();
    let neg = bits >> 63 != 0;
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    match (exp, frac) {
        (0, 0) => Parts::Zero(neg),
        (0x7ff, 0) => Parts::Inf(neg),
        (0x7ff, _) => Parts::Nan,
        (0, f) => {
            let lead = 63 - f.leading_zeros() as i32;
            Parts::Finite {
                neg,
                exp: lead - 1074,
                sig: f << (63 - lead),
            }
        }
        (e, f) => Parts::Finite {
            neg,
            exp: e - F64_BIAS,
            sig: (1 << 63) | (f << 11),
        },
    }
}

fn join_f64(p: Parts) -> f64 {
    match p {
        Parts::Zero(neg) => {
            if neg {
                -0.0
            } else {
                0.0
            }
        }
        Parts::Inf(neg) => {
            if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        Parts::Nan => f64::NAN,
        Parts::Finite { neg, exp, sig } => {
            // sig * 2^(exp - 63), scaled in two steps so neither overflows early.
            let mut v = sig as f64;
            let mut e = exp - 63;
            while e > 0 {
                let step = e.min(1000);
                v *= 2f64.powi(step);
                e -= step;
            }
            while e < 0 {
                let step = (-e).min(1000);
                v /= 2f64.powi(step);
                e += step;
            }
            if neg {
                -v
            } else {
                v
            }
        }
    }
}

/// The 16 bytes of a `long double` holding `v`.
pub fn encode(v: f64) -> [u8; 16] {
    let (neg, exp, sig) = match split_f64(v) {
        Parts::Zero(neg) => (neg, -WIDE_BIAS, 0),
        Parts::Inf(neg) => (neg, WIDE_BIAS + 1, 0),
        Parts::Nan => (false, WIDE_BIAS + 1, 1 << 62),
        Parts::Finite { neg, exp, sig } => (neg, exp, sig),
    };
    let biased = (exp + WIDE_BIAS) as u128;
    let sign = u128::from(neg);
    let bits: u128 = if cfg!(target_arch = "x86_64") || cfg!(target_arch = "x86") {
        // Explicit integer bit: the significand is stored whole.
        let sig = if biased == 0x7fff && sig == 0 {
            1 << 63
        } else if biased == 0x7fff {
            sig | (1 << 63)
        } else {
            sig
        };
        (sign << 79) | (biased << 64) | u128::from(sig)
    } else {
        // binary128: the leading one is implicit, 112 fraction bits.
        let frac = u128::from(sig & !(1 << 63)) << 49;
        (sign << 127) | (biased << 112) | frac
    };
    bits.to_le_bytes()
}

/// The `f64` nearest to the `long double` in `bytes`.
pub fn decode(bytes: [u8; 16]) -> f64 {
    let bits = u128::from_le_bytes(bytes);
    let (neg, biased, sig) = if cfg!(target_arch = "x86_64") || cfg!(target_arch = "x86") {
        (
            (bits >> 79) & 1 != 0,
            ((bits >> 64) & 0x7fff) as i32,
            bits as u64,
        )
    } else {
        let biased = ((bits >> 112) & 0x7fff) as i32;
        let frac = (bits >> 49) as u64 & ((1 << 63) - 1);
        let lead = if biased == 0 { 0 } else { 1 << 63 };
        ((bits >> 127) != 0, biased, lead | frac)
    };
    let parts = if biased == 0x7fff {
        if sig << 1 == 0 {
            Parts::Inf(neg)
        } else {
            Parts::Nan
        }
    } else if sig == 0 {
        Parts::Zero(neg)
    } else {
        let shift = sig.leading_zeros() as i32;
        let exp = if biased == 0 {
            1 - WIDE_BIAS
        } else {
            biased - WIDE_BIAS
        };
        Parts::Finite {
            neg,
            exp: exp - shift,
            sig: sig << shift,
        }
    };
    join_f64(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -2.5,
            1e300,
            -1e-300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            std::f64::consts::PI,
        ] {
            assert_eq!(decode(encode(v)).to_bits(), v.to_bits(), "{v}");
        }
        assert!(decode(encode(f64::NAN)).is_nan());
        assert_eq!(decode(encode(f64::INFINITY)), f64::INFINITY);
        assert_eq!(decode(encode(f64::NEG_INFINITY)), f64::NEG_INFINITY);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn one_is_the_x87_pattern() {
        let b = encode(1.0);
        assert_eq!(u64::from_le_bytes(b[..8].try_into().unwrap()), 1 << 63);
        assert_eq!(u16::from_le_bytes([b[8], b[9]]), 0x3fff);
    }
}
