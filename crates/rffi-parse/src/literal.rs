//! Integer and character literals to their values.

use lang_c::ast::{Integer, IntegerBase};

/// The value of an integer literal; `None` when it does not fit in 64 bits or
/// is imaginary.
pub(crate) fn integer(lit: &Integer) -> Option<u64> {
    if lit.suffix.imaginary {
        return None;
    }
    let radix = match lit.base {
        IntegerBase::Decimal => 10,
        IntegerBase::Octal => 8,
        IntegerBase::Hexadecimal => 16,
        IntegerBase::Binary => 2,
    };
    if lit.number.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(&lit.number, radix).ok()
}

/// The value of a character constant such as `'a'`, `'\n'`, `L'\x41'`;
/// `None` for multi-character constants and bad escapes.
pub(crate) fn character(text: &str) -> Option<u32> {
    let quoted = text.trim_start_matches(['L', 'u', 'U', '8']);
    let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
    let (value, rest) = match inner.strip_prefix('\\') {
        Some(escape) => escaped(escape)?,
        None => {
            let c = inner.chars().next()?;
            (u32::from(c), &inner[c.len_utf8()..])
        }
    };
    rest.is_empty().then_some(value)
}

/// An escape sequence (after its backslash): its value and the text after it.
fn escaped(text: &str) -> Option<(u32, &str)> {
    let c = text.chars().next()?;
    let simple = match c {
        'n' => Some(10),
        't' => Some(9),
        'r' => Some(13),
        'a' => Some(7),
        'b' => Some(8),
        'f' => Some(12),
        'v' => Some(11),
        '\\' | '\'' | '"' | '?' => Some(u32::from(c)),
        _ => None,
    };
    if let Some(v) = simple {
        return Some((v, &text[1..]));
    }
    match c {
        'x' => digits(&text[1..], 16, usize::MAX),
        '0'..='7' => digits(text, 8, 3),
        _ => None,
    }
}

fn digits(text: &str, radix: u32, max: usize) -> Option<(u32, &str)> {
    let len = text
        .chars()
        .take(max)
        .take_while(|c| c.is_digit(radix))
        .count();
    let value = u32::from_str_radix(text.get(..len)?, radix).ok()?;
    Some((value, &text[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lang_c::ast::{IntegerSize, IntegerSuffix};

    fn int(base: IntegerBase, number: &str) -> Option<u64> {
        integer(&Integer {
            base,
            number: number.into(),
            suffix: IntegerSuffix {
                size: IntegerSize::Int,
                unsigned: false,
                imaginary: false,
            },
        })
    }

    #[test]
    fn integers_in_every_base() {
        assert_eq!(int(IntegerBase::Decimal, "42"), Some(42));
        assert_eq!(int(IntegerBase::Octal, "17"), Some(15));
        assert_eq!(int(IntegerBase::Hexadecimal, "1F"), Some(31));
        assert_eq!(int(IntegerBase::Binary, "101"), Some(5));
        assert_eq!(
            int(IntegerBase::Decimal, "18446744073709551615"),
            Some(u64::MAX)
        );
        assert_eq!(int(IntegerBase::Decimal, "18446744073709551616"), None);
    }

    #[test]
    fn characters_and_escapes() {
        assert_eq!(character("'a'"), Some(97));
        assert_eq!(character("'\\n'"), Some(10));
        assert_eq!(character("'\\''"), Some(39));
        assert_eq!(character("'\\0'"), Some(0));
        assert_eq!(character("'\\101'"), Some(65));
        assert_eq!(character("'\\x41'"), Some(65));
        assert_eq!(character("L'a'"), Some(97));
        assert_eq!(character("'ab'"), None);
        assert_eq!(character("'\\q'"), None);
        assert_eq!(character("'\\xFFFFFFFFFF'"), None);
    }
}

/// A `#define` value that is a plain integer literal, maybe negated and maybe
/// in parentheses (`10`, `-3`, `(-3)`, `0x10UL`), read without lang-c: most
/// defines look like this, and a lang-c run per define is slow. `None` for
/// anything else, which then goes through lang-c.
pub(crate) fn simple_define_value(text: &str) -> Option<crate::ast::Expr> {
    use crate::ast::{Expr, UnaryOp};
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(text)
        .trim();
    let (negative, literal) = match inner.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, inner),
    };
    let (value, unsigned) = integer_literal(literal)?;
    let int = Expr::Int { value, unsigned };
    Some(if negative {
        Expr::Unary(UnaryOp::Neg, Box::new(int))
    } else {
        int
    })
}

/// `0x1fUL` and friends: the value and whether a `U` suffix was present.
fn integer_literal(text: &str) -> Option<(u64, bool)> {
    if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let number = text.trim_end_matches(['u', 'U', 'l', 'L']);
    let suffix = text[number.len()..].to_ascii_lowercase();
    if !["", "u", "l", "ul", "lu", "ll", "ull", "llu"].contains(&suffix.as_str()) {
        return None;
    }
    let lower = number.to_ascii_lowercase();
    let (radix, digits) = if let Some(hex) = lower.strip_prefix("0x") {
        (16, hex)
    } else if let Some(bin) = lower.strip_prefix("0b") {
        (2, bin)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let value = u64::from_str_radix(digits, radix).ok()?;
    Some((value, suffix.contains('u')))
}

#[cfg(test)]
mod define_tests {
    use super::simple_define_value;
    use crate::ast::{Expr, UnaryOp};

    #[test]
    fn plain_define_values_are_read_directly() {
        let int = |value, unsigned| Expr::Int { value, unsigned };
        assert_eq!(simple_define_value("10"), Some(int(10, false)));
        assert_eq!(simple_define_value("0x10UL"), Some(int(16, true)));
        assert_eq!(simple_define_value("017"), Some(int(15, false)));
        assert_eq!(simple_define_value("0"), Some(int(0, false)));
        assert_eq!(simple_define_value("5llu"), Some(int(5, true)));
        let neg = Expr::Unary(UnaryOp::Neg, Box::new(int(3, false)));
        assert_eq!(simple_define_value("(-3)"), Some(neg.clone()));
        assert_eq!(simple_define_value("- 3"), Some(neg));
        for other in ["1 << 4", "1.5", "0x", "09", "1uu", "A", "(1)(2)", "\"s\""] {
            assert_eq!(simple_define_value(other), None, "{other}");
        }
    }
}
