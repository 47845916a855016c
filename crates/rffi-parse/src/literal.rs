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
