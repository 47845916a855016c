//! The declarations rffi-parse produces: C syntax only, no sizes, no name resolution.
//!
//! Constant expressions (array lengths, enumerator values, bitfield widths,
//! `#define` values) stay unevaluated because they may name enumerators declared
//! in an earlier `cdef`; rffi-types evaluates them once it knows those values.

/// A position in the source text given to the parser, both counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// One top-level declaration of a cdef source, in source order.
#[derive(Clone, Debug, PartialEq)]
pub enum Decl {
    /// `int f(int);` — `ty` is always a [`TypeExpr::Function`].
    Function {
        name: String,
        ty: TypeExpr,
        pos: Pos,
    },
    /// `extern int counter;`, `double gains[4];`. `is_const` is true when the
    /// object itself is const (`const int x;`, `char *const p;`), not when it
    /// merely points to const data (`const char *greeting;`).
    Variable {
        name: String,
        ty: TypeExpr,
        is_const: bool,
        pos: Pos,
    },
    /// `typedef T name;`
    Typedef {
        name: String,
        ty: TypeExpr,
        pos: Pos,
    },
    /// A declaration that only names or defines a tag: `struct ctx;`,
    /// `struct point { int x, y; };`, `enum color { RED };`. Tags defined inside
    /// other declarations appear inline in their [`TypeExpr`] instead.
    Tag { base: BaseType, pos: Pos },
    /// `#define NAME <integer constant expression>`
    Define { name: String, value: Expr, pos: Pos },
    /// A constant whose value only a compiler could give: `static const double
    /// x = 1.5;`, `static char *const p = 0;`. cffi declares the name, and a
    /// `dlopen()` library refuses to read it.
    Constant { name: String, pos: Pos },
    /// A function declared with `extern "Python"` or `extern "Python+C"`:
    /// meaningful only in cffi's API mode. `ty` is its function type.
    ExternPython {
        name: String,
        ty: TypeExpr,
        pos: Pos,
    },
    /// A `#pragma` line, which cffi ignores with a warning; `text` is the line.
    Pragma { text: String, pos: Pos },
}

/// A C type as written: a base type wrapped by declarators.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeExpr {
    Base(BaseType),
    Pointer(Box<TypeExpr>),
    /// `T[N]`, or `T[]` when the length is `None`.
    Array(Box<TypeExpr>, Option<Expr>),
    /// A function type (not a pointer to one). `()` and `(void)` both give no
    /// params; `variadic` is set by a trailing `...`.
    Function {
        ret: Box<TypeExpr>,
        params: Vec<Param>,
        variadic: bool,
    },
}

/// A function parameter; its type is as written (an array parameter stays an array).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Option<String>,
    pub ty: TypeExpr,
}

/// The type named by the declaration specifiers.
#[derive(Clone, Debug, PartialEq)]
pub enum BaseType {
    Void,
    /// A primitive spelled with keywords only, in its canonical spelling, one of
    /// [`KEYWORD_PRIMITIVES`] (`long int` → `"long"`, `unsigned` → `"unsigned int"`).
    Primitive(&'static str),
    /// An identifier used as a type: a typedef of an earlier declaration or one
    /// of [`BUILTIN_TYPE_NAMES`].
    Named(String),
    Record(Box<RecordDecl>),
    Enum(Box<EnumDecl>),
    /// cffi's `...` used as a type: only a compiler could say what it is.
    Dots(DotsKind),
}

/// Which `...` type: `typedef ... t;`, `typedef int... t;` or `typedef float... t;`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DotsKind {
    /// A type of unknown size, which cffi makes an opaque struct.
    Opaque,
    /// An integer type of unknown size and signedness.
    Integer,
    /// A floating-point type of unknown size.
    Float,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Struct,
    Union,
}

/// `struct name { fields }`; `fields` is `None` for a reference or an opaque
/// declaration (`struct ctx`), `Some` for a definition (possibly empty).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordDecl {
    pub kind: RecordKind,
    pub name: Option<String>,
    pub fields: Option<Vec<Field>>,
    pub attrs: Attrs,
    /// The body ends with `...;` (or has a member whose array length is
    /// `...`): only a compiler could lay it out.
    pub partial: bool,
    pub pos: Pos,
}

/// A member of a struct or union. `name` is `None` for anonymous struct/union
/// members and for unnamed bitfields (`int : 0;`).
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Option<String>,
    pub ty: TypeExpr,
    pub bits: Option<Expr>,
    pub attrs: Attrs,
    pub pos: Pos,
}

/// The GCC attributes rffi honours (beyond cffi, which refuses all attributes).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Attrs {
    /// `__attribute__((packed))`
    pub packed: bool,
    /// `__attribute__((aligned(N)))`; `aligned` without argument is the
    /// target's largest alignment, which the parser cannot know, so it gives `None`
    /// inside `Some`: `Some(None)`.
    pub aligned: Option<Option<Expr>>,
}

/// `enum name { A, B = 3 }`; `variants` is `None` for a reference `enum name`.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumDecl {
    pub name: Option<String>,
    pub variants: Option<Vec<Enumerator>>,
    /// The list ends with `...`: there are more enumerators than declared.
    pub partial: bool,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Enumerator {
    pub name: String,
    pub value: Option<Expr>,
    pub pos: Pos,
}

/// An integer constant expression, unevaluated.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// An integer literal with its value and whether it had a `U` suffix.
    Int {
        value: u64,
        unsigned: bool,
    },
    /// A character constant such as `'a'`.
    Char(u32),
    /// An identifier: an enumerator or an earlier `#define`.
    Ident(String, Pos),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `(T)expr`
    Cast(Box<TypeExpr>, Box<Expr>),
    /// `sizeof(T)` / `_Alignof(T)` (sizeof of an expression is not supported).
    SizeOf(Box<TypeExpr>),
    AlignOf(Box<TypeExpr>),
    /// `...` as an array length (`int a[...]`): known only to a compiler.
    Dots,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
    BitNot,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Shl,
    Shr,
    BitAnd,
    BitOr,
    BitXor,
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Primitive types spelled with keywords only, in cffi's canonical spelling.
pub const KEYWORD_PRIMITIVES: &[&str] = &[
    "char",
    "signed char",
    "unsigned char",
    "short",
    "unsigned short",
    "int",
    "unsigned int",
    "long",
    "unsigned long",
    "long long",
    "unsigned long long",
    "float",
    "double",
    "long double",
    "_Bool",
    "float _Complex",
    "double _Complex",
];

/// Identifiers that name types in every cdef, without a typedef: the standard
/// typedefs cffi knows. rffi-types gives each its size and signedness.
pub const BUILTIN_TYPE_NAMES: &[&str] = &[
    "bool",
    "wchar_t",
    "char16_t",
    "char32_t",
    "int8_t",
    "uint8_t",
    "int16_t",
    "uint16_t",
    "int32_t",
    "uint32_t",
    "int64_t",
    "uint64_t",
    "int_least8_t",
    "uint_least8_t",
    "int_least16_t",
    "uint_least16_t",
    "int_least32_t",
    "uint_least32_t",
    "int_least64_t",
    "uint_least64_t",
    "int_fast8_t",
    "uint_fast8_t",
    "int_fast16_t",
    "uint_fast16_t",
    "int_fast32_t",
    "uint_fast32_t",
    "int_fast64_t",
    "uint_fast64_t",
    "intptr_t",
    "uintptr_t",
    "intmax_t",
    "uintmax_t",
    "ptrdiff_t",
    "size_t",
    "ssize_t",
    "FILE",
];
