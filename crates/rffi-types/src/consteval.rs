//! Evaluation of integer constant expressions: array lengths, enumerator
//! values, bitfield widths and `#define`s.

use rffi_parse::{BinaryOp, Expr, UnaryOp};

use crate::error::{ErrorKind, Result, TypeError};
use crate::registry::Types;

fn bad(msg: impl Into<String>) -> TypeError {
    TypeError::new(ErrorKind::Declaration, msg)
}

impl Types {
    /// The value of a constant expression; identifiers are enumerators and
    /// `#define`s declared so far.
    pub fn eval(&mut self, e: &Expr) -> Result<i128> {
        match e {
            Expr::Int { value, .. } => Ok(i128::from(*value)),
            Expr::Char(c) => Ok(i128::from(*c)),
            Expr::Ident(name, _) => self
                .constant(name)
                .ok_or_else(|| bad(format!("unknown constant '{name}'"))),
            Expr::Unary(op, a) => {
                let a = self.eval(a)?;
                Ok(match op {
                    UnaryOp::Neg => -a,
                    UnaryOp::Plus => a,
                    UnaryOp::BitNot => !a,
                    UnaryOp::Not => i128::from(a == 0),
                })
            }
            Expr::Binary(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                binary(*op, a, b)
            }
            Expr::Conditional(c, a, b) => {
                if self.eval(c)? != 0 {
                    self.eval(a)
                } else {
                    self.eval(b)
                }
            }
            Expr::Cast(ty, a) => {
                let value = self.eval(a)?;
                let id = self.resolve(ty, None)?;
                let prim = self
                    .integer_prim(id)
                    .ok_or_else(|| bad("a constant can only be cast to an integer type"))?;
                Ok(truncate(value, prim.size(), prim.is_signed()))
            }
            Expr::SizeOf(ty) => {
                let id = self.resolve(ty, None)?;
                Ok(self.size_of(id)? as i128)
            }
            Expr::AlignOf(ty) => {
                let id = self.resolve(ty, None)?;
                Ok(self.align_of(id)? as i128)
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

fn binary(op: BinaryOp, a: i128, b: i128) -> Result<i128> {
    use BinaryOp::*;
    let overflow = || bad("overflow in constant expression");
    Ok(match op {
        Add => a.checked_add(b).ok_or_else(overflow)?,
        Sub => a.checked_sub(b).ok_or_else(overflow)?,
        Mul => a.checked_mul(b).ok_or_else(overflow)?,
        Div | Rem if b == 0 => return Err(bad("division by zero in constant expression")),
        Div => a / b,
        Rem => a % b,
        Shl | Shr if !(0..128).contains(&b) => return Err(bad("shift count out of range")),
        Shl => a.checked_shl(b as u32).ok_or_else(overflow)?,
        Shr => a >> b,
        BitAnd => a & b,
        BitOr => a | b,
        BitXor => a ^ b,
        And => i128::from(a != 0 && b != 0),
        Or => i128::from(a != 0 || b != 0),
        Eq => i128::from(a == b),
        Ne => i128::from(a != b),
        Lt => i128::from(a < b),
        Le => i128::from(a <= b),
        Gt => i128::from(a > b),
        Ge => i128::from(a >= b),
    })
}

/// Keeps the low `size` bytes of `v`, read back as signed or unsigned, as a C
/// conversion to an integer type of that size does.
pub fn truncate(v: i128, size: usize, signed: bool) -> i128 {
    let bits = (size * 8) as u32;
    if bits >= 128 {
        return v;
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
    }

    #[test]
    fn operators() {
        assert_eq!(binary(BinaryOp::Shl, 1, 3).unwrap(), 8);
        assert_eq!(binary(BinaryOp::Rem, -7, 2).unwrap(), -1);
        assert!(binary(BinaryOp::Div, 1, 0).is_err());
        assert!(binary(BinaryOp::Shl, 1, 200).is_err());
        assert_eq!(binary(BinaryOp::Ge, 3, 3).unwrap(), 1);
    }
}
