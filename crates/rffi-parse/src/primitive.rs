//! Keyword type specifiers to the canonical names of [`KEYWORD_PRIMITIVES`].
//!
//! [`KEYWORD_PRIMITIVES`]: crate::ast::KEYWORD_PRIMITIVES

use lang_c::ast::TypeSpecifier;

/// How many times each keyword appears among a declaration's specifiers.
#[derive(Default, Debug)]
pub(crate) struct Keywords {
    char: u32,
    short: u32,
    int: u32,
    long: u32,
    float: u32,
    double: u32,
    signed: u32,
    unsigned: u32,
    bool: u32,
    complex: u32,
}

impl Keywords {
    /// Counts `spec`; `false` when it is not a keyword primitive specifier.
    pub(crate) fn add(&mut self, spec: &TypeSpecifier) -> bool {
        let slot = match spec {
            TypeSpecifier::Char => &mut self.char,
            TypeSpecifier::Short => &mut self.short,
            TypeSpecifier::Int => &mut self.int,
            TypeSpecifier::Long => &mut self.long,
            TypeSpecifier::Float => &mut self.float,
            TypeSpecifier::Double => &mut self.double,
            TypeSpecifier::Signed => &mut self.signed,
            TypeSpecifier::Unsigned => &mut self.unsigned,
            TypeSpecifier::Bool => &mut self.bool,
            TypeSpecifier::Complex => &mut self.complex,
            _ => return false,
        };
        *slot = slot.saturating_add(1);
        true
    }

    /// The canonical name, or `None` for an invalid combination.
    pub(crate) fn canonical(&self) -> Option<&'static str> {
        if self.signed + self.unsigned > 1 || self.short > 1 || self.int > 1 || self.long > 2 {
            return None;
        }
        let others = self.char + self.short + self.float + self.double + self.bool + self.complex;
        if others == 0 {
            return Some(self.integer());
        }
        self.non_int()
    }

    /// Specifiers made only of `int`, `long`, `signed` and `unsigned`.
    fn integer(&self) -> &'static str {
        match (self.unsigned > 0, self.long) {
            (false, 0) => "int",
            (true, 0) => "unsigned int",
            (false, 1) => "long",
            (true, 1) => "unsigned long",
            (false, _) => "long long",
            (true, _) => "unsigned long long",
        }
    }

    fn non_int(&self) -> Option<&'static str> {
        let sign = self.signed + self.unsigned;
        let shape = (
            self.char,
            self.short,
            self.int,
            self.long,
            self.float,
            self.double,
        );
        match (shape, self.bool, self.complex) {
            ((1, 0, 0, 0, 0, 0), 0, 0) => Some(self.char_name()),
            ((0, 1, _, 0, 0, 0), 0, 0) if self.unsigned > 0 => Some("unsigned short"),
            ((0, 1, _, 0, 0, 0), 0, 0) => Some("short"),
            _ if sign > 0 => None,
            ((0, 0, 0, 0, 1, 0), 0, 0) => Some("float"),
            ((0, 0, 0, 0, 0, 1), 0, 0) => Some("double"),
            ((0, 0, 0, 1, 0, 1), 0, 0) => Some("long double"),
            ((0, 0, 0, 0, 0, 0), 1, 0) => Some("_Bool"),
            ((0, 0, 0, 0, 1, 0), 0, 1) => Some("float _Complex"),
            ((0, 0, 0, 0, 0, 1), 0, 1) => Some("double _Complex"),
            _ => None,
        }
    }

    fn char_name(&self) -> &'static str {
        match (self.signed > 0, self.unsigned > 0) {
            (true, _) => "signed char",
            (_, true) => "unsigned char",
            _ => "char",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::KEYWORD_PRIMITIVES;
    use TypeSpecifier::*;

    fn name(specs: Vec<TypeSpecifier>) -> Option<&'static str> {
        let mut k = Keywords::default();
        specs.iter().for_each(|s| assert!(k.add(s)));
        k.canonical()
    }

    #[test]
    fn canonical_spellings() {
        let cases = vec![
            (vec![Long, Int], "long"),
            (vec![Unsigned], "unsigned int"),
            (vec![Short, Int], "short"),
            (vec![Signed, Short], "short"),
            (vec![Signed], "int"),
            (vec![Signed, Char], "signed char"),
            (vec![Unsigned, Char], "unsigned char"),
            (vec![Char], "char"),
            (vec![Long, Unsigned, Int], "unsigned long"),
            (vec![Long, Long, Int], "long long"),
            (vec![Unsigned, Long, Long], "unsigned long long"),
            (vec![Unsigned, Short, Int], "unsigned short"),
            (vec![Long, Double], "long double"),
            (vec![Bool], "_Bool"),
            (vec![Complex, Float], "float _Complex"),
            (vec![Double, Complex], "double _Complex"),
        ];
        for (specs, want) in cases {
            let got = name(specs.clone());
            assert_eq!(got, Some(want), "{specs:?}");
            assert!(KEYWORD_PRIMITIVES.contains(&want));
        }
    }

    #[test]
    fn invalid_combinations() {
        for specs in [
            vec![Long, Char],
            vec![Unsigned, Float],
            vec![Signed, Unsigned],
            vec![Int, Int],
            vec![Long, Long, Long],
            vec![Short, Long],
            vec![Complex],
            vec![Long, Double, Complex],
            vec![Signed, Bool],
            vec![Char, Int],
            vec![Float, Double],
        ] {
            assert_eq!(name(specs.clone()), None, "{specs:?}");
        }
    }
}
