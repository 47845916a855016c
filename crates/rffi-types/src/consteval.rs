//! Evaluation of integer constant expressions: array lengths, enumerator
//! values, bitfield widths and `#define`s.
//!
//! Arithmetic is exact, as cffi's (Python integers), but no result may leave
//! the values C's widest integer types hold: `long long` when every operand is
//! signed, `long long` or `unsigned long long` otherwise. What would overflow
//! there, such as `LLONG_MIN / -1`, is refused as GCC refuses it ("integer
//! overflow in expression"), never wrapped.

use std::ops::RangeInclusive;

use rffi_parse::{BinaryOp, Expr, UnaryOp};

use crate::error::{ErrorKind, Result, TypeError};
use crate::registry::Types;

fn bad(msg: impl Into<String>) -> TypeError {
    TypeError::new(ErrorKind::Declaration, msg)
}

/// The values of `long long`.
const SIGNED: RangeInclusive<i128> = i64::MIN as i128..=i64::MAX as i128;
/// The values of `long long` and `unsigned long long` together.
const ANY: RangeInclusive<i128> = i64::MIN as i128..=u64::MAX as i128;

/// A value and whether C would give it an unsigned type.
#[derive(Clone, Copy, Debug)]
struct Value {
    v: i128,
    unsigned: bool,
}

impl Value {
    fn signed(v: i128) -> Value {
        Value { v, unsigned: false }
    }

    /// A value already in range (a literal, a declared constant): unsigned
    /// when only `unsigned long long` holds it, as C types such a literal.
    fn of(v: i128, unsigned: bool) -> Value {
        Value {
            v,
            unsigned: unsigned || v > i64::MAX as i128,
        }
    }
}

/// `v`, if it is in range for its signedness.
fn checked(v: Option<i128>, unsigned: bool) -> Result<Value> {
    let range = if unsigned { ANY } else { SIGNED };
    match v {
        Some(v) if range.contains(&v) => Ok(Value { v, unsigned }),
        _ => Err(bad("integer overflow in constant expression")),
    }
}

impl Types {
    /// The value of a constant expression; identifiers are enumerators and
    /// `#define`s declared so far.
    pub fn eval(&mut self, e: &Expr) -> Result<i128> {
        self.value(e).map(|v| v.v)
    }

    fn value(&mut self, e: &Expr) -> Result<Value> {
        match e {
            Expr::Int { value, unsigned } => Ok(Value::of(i128::from(*value), *unsigned)),
            Expr::Char(c) => Ok(Value::signed(i128::from(*c))),
            Expr::Ident(name, _) => self
                .constant(name)
                .map(|v| Value::of(v, false))
                .ok_or_else(|| bad(format!("unknown constant '{name}'"))),
            Expr::Unary(op, a) => {
                let a = self.value(a)?;
                match op {
                    UnaryOp::Neg => checked(a.v.checked_neg(), a.unsigned),
                    UnaryOp::Plus => Ok(a),
                    UnaryOp::BitNot => checked(Some(!a.v), a.unsigned),
                    UnaryOp::Not => Ok(Value::signed(i128::from(a.v == 0))),
                }
            }
            Expr::Binary(op, a, b) => {
                let a = self.value(a)?;
                let b = self.value(b)?;
                binary(*op, a, b)
            }
            Expr::Conditional(c, a, b) => {
                if self.value(c)?.v != 0 {
                    self.value(a)
                } else {
                    self.value(b)
                }
            }
            Expr::Cast(ty, a) => {
                let value = self.value(a)?.v;
                let id = self.resolve(ty, None)?;
                let prim = self
                    .integer_prim(id)
                    .ok_or_else(|| bad("a constant can only be cast to an integer type"))?;
                let v = truncate(value, prim.size(), prim.is_signed());
                checked(Some(v), !prim.is_signed())
            }
            // Sizes count as signed, as in cffi, so `sizeof(int) - 8` is -4.
            Expr::SizeOf(ty) => {
                let id = self.resolve(ty, None)?;
                Ok(Value::signed(self.size_of(id)? as i128))
            }
            Expr::AlignOf(ty) => {
                let id = self.resolve(ty, None)?;
                Ok(Value::signed(self.align_of(id)? as i128))
            }
            Expr::Dots => Err(bad("'...' has no value outside a compiled module")),
        }
    }

    /// Evaluates to a count (array length, bitfield width) that must fit `usize`.
    pub(crate) fn eval_count(&mut self, e: &Expr, what: &str) -> Result<usize> {
        let v = self.eval(e)?;
        if v < 0 {
            return Err(TypeError::new(
                ErrorKind::BadValue,
                format!("negative {what}"),
            ));
        }
        usize::try_from(v)
            .map_err(|_| TypeError::new(ErrorKind::BadValue, format!("{what} too large")))
    }
}

fn binary(op: BinaryOp, a: Value, b: Value) -> Result<Value> {
    use BinaryOp::*;
    let unsigned = a.unsigned || b.unsigned;
    let (x, y) = (a.v, b.v);
    let truth = |t: bool| Ok(Value::signed(i128::from(t)));
    match op {
        Add => checked(x.checked_add(y), unsigned),
        Sub => checked(x.checked_sub(y), unsigned),
        Mul => checked(x.checked_mul(y), unsigned),
        Div | Rem if y == 0 => Err(bad("division by zero in constant expression")),
        Div => checked(x.checked_div(y), unsigned),
        Rem => checked(x.checked_rem(y), unsigned),
        // The count must be below the width of `long long`; the type of the
        // result is that of the left operand.
        Shl | Shr if !(0..64).contains(&y) => Err(bad("shift count out of range")),
        Shl => checked(x.checked_mul(1i128 << y), a.unsigned),
        Shr => checked(Some(x >> y), a.unsigned),
        BitAnd => checked(Some(x & y), unsigned),
        BitOr => checked(Some(x | y), unsigned),
        BitXor => checked(Some(x ^ y), unsigned),
        And => truth(x != 0 && y != 0),
        Or => truth(x != 0 || y != 0),
        Eq => truth(x == y),
        Ne => truth(x != y),
        Lt => truth(x < y),
        Le => truth(x <= y),
        Gt => truth(x > y),
        Ge => truth(x >= y),
    }
}

/// Keeps the low `size` bytes of `v`, read back as signed or unsigned, as a C
/// conversion to an integer type of that size does.
pub fn truncate(v: i128, size: usize, signed: bool) -> i128 {
    let bits = match size.checked_mul(8).map(u32::try_from) {
        Some(Ok(bits)) if bits < 128 => bits,
        _ => return v,
    };
    if bits == 0 {
        return 0;
    }
    let mask = (1i128 << bits) - 1;
    let low = v & mask;
    if signed && low >> (bits - 1) != 0 {
        low - (1i128 << bits)
    } else {
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_wraps_like_c() {
        assert_eq!(truncate(256 + 5, 1, false), 5);
        assert_eq!(truncate(255, 1, true), -1);
        assert_eq!(truncate(-1, 4, false), 0xffff_ffff);
        assert_eq!(truncate(1 << 40, 4, true), 0);
        assert_eq!(truncate(5, 0, true), 0);
        assert_eq!(truncate(-5, usize::MAX, true), -5);
    }

    fn op(op: BinaryOp, a: i128, b: i128) -> Result<i128> {
        binary(op, Value::of(a, false), Value::of(b, false)).map(|v| v.v)
    }

    #[test]
    fn operators() {
        assert_eq!(op(BinaryOp::Shl, 1, 3).unwrap(), 8);
        assert_eq!(op(BinaryOp::Rem, -7, 2).unwrap(), -1);
        assert!(op(BinaryOp::Div, 1, 0).is_err());
        assert!(op(BinaryOp::Shl, 1, 200).is_err());
        assert!(op(BinaryOp::Shl, 1, 64).is_err());
        assert_eq!(op(BinaryOp::Ge, 3, 3).unwrap(), 1);
    }

    #[test]
    fn signed_overflow_is_refused_on_every_operator() {
        let min = i64::MIN as i128;
        let max = i64::MAX as i128;
        assert!(op(BinaryOp::Div, min, -1).is_err());
        assert_eq!(op(BinaryOp::Rem, min, -1).unwrap(), 0);
        assert!(op(BinaryOp::Mul, max, 2).is_err());
        assert!(op(BinaryOp::Add, max, 1).is_err());
        assert!(op(BinaryOp::Sub, min, 1).is_err());
        assert!(op(BinaryOp::Shl, 1, 63).is_err());
        assert_eq!(op(BinaryOp::Shl, 1, 62).unwrap(), 1 << 62);
        assert!(op(BinaryOp::Shr, 1, -1).is_err());
        assert!(checked((min).checked_neg(), false).is_err());
        // Unsigned operands reach `unsigned long long`, and no further.
        let u = |v: i128| Value::of(v, true);
        let one_shl_63 = binary(BinaryOp::Shl, u(1), Value::of(63, false)).unwrap();
        assert_eq!(one_shl_63.v, 1 << 63);
        assert!(binary(BinaryOp::Mul, u(1 << 63), u(2)).is_err());
        assert!(binary(BinaryOp::Add, u(u64::MAX as i128), u(1)).is_err());
        assert_eq!(binary(BinaryOp::Sub, u(0), u(1)).unwrap().v, -1);
    }
}
