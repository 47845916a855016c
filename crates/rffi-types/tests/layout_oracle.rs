//! The C compiler is the oracle for layout.
//!
//! This test generates a few hundred struct, union, enum and typedef
//! declarations from a fixed seed, compiles them with `cc` into a program that
//! prints every size, alignment, member offset, bitfield position and enum
//! value, and checks that rffi-types computes the same numbers from the same
//! text. A mismatch list names the type, the item, both values and the
//! declaration, so the layout code can be fixed from the failure alone.
//!
//! Groups declared under `#pragma pack(N)` in C are given to rffi as a separate
//! `cdef` with `CdefOptions { pack: Some(N) }` (and `packed: true` for one group
//! wrapped in `#pragma pack(1)`), without the pragma.
//!
//! `RFFI_ORACLE_SEED` overrides the seed to explore other declarations.

use rffi_types::{CdefOptions, Field, TypeId, Types};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

const DEFAULT_SEED: u64 = 0x5eed_1a70_c0ff_ee01;

/// How many mismatching types the failure message shows in full; the rest
/// are only counted there (the report file in the temp dir has them all).
const SHOWN_TYPES: usize = 60;

// ---------------------------------------------------------------- generator

/// splitmix64: small, deterministic and good enough to pick declarations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A value in `lo..=hi`.
    fn range(&mut self, lo: i128, hi: i128) -> i128 {
        lo + (u128::from(self.next()) % ((hi - lo + 1) as u128)) as i128
    }
}

/// Integer types a bitfield may have, with their width in bits (the first
/// twelve are swept through every width).
const BIT_TYPES: &[(&str, usize)] = &[
    ("char", 8),
    ("signed char", 8),
    ("unsigned char", 8),
    ("short", 16),
    ("unsigned short", 16),
    ("int", 32),
    ("unsigned int", 32),
    ("long", 64),
    ("unsigned long", 64),
    ("long long", 64),
    ("unsigned long long", 64),
    ("_Bool", 1),
    ("bool", 1),
    ("signed", 32),
    ("unsigned", 32),
    ("short int", 16),
    ("long int", 64),
    ("int8_t", 8),
    ("uint16_t", 16),
    ("int32_t", 32),
    ("uint64_t", 64),
];
const SWEPT_BIT_TYPES: usize = 12;

const PRIMITIVES: &[&str] = &[
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
    "bool",
    "int8_t",
    "uint8_t",
    "int16_t",
    "uint16_t",
    "int32_t",
    "uint32_t",
    "int64_t",
    "uint64_t",
    "size_t",
    "intptr_t",
    "uintptr_t",
    "ptrdiff_t",
    "wchar_t",
    "const int",
    "unsigned long int",
    "long long int",
    "signed short",
];

const ALIGNS: &[u32] = &[1, 2, 4, 8, 16, 32];

/// A record that later declarations may embed by value.
#[derive(Clone)]
struct Embeddable {
    key: String,
    plain: Vec<String>,
    bits: Vec<String>,
}

/// Members collected while generating one top-level record.
#[derive(Default)]
struct Members {
    next: usize,
    /// Paths `offsetof` can take (`m3`, `m4.m7`).
    plain: Vec<String>,
    /// Paths of named bitfields.
    bits: Vec<String>,
    /// Named members declared directly in the current member list.
    direct_named: usize,
}

impl Members {
    fn name(&mut self) -> String {
        self.next += 1;
        format!("m{}", self.next - 1)
    }
}

struct Chunk {
    text: String,
    pack: Option<u32>,
    packed: bool,
}

impl Chunk {
    fn label(&self, index: usize) -> String {
        match (self.packed, self.pack) {
            (true, _) => format!("cdef #{index} packed=true"),
            (false, Some(n)) => format!("cdef #{index} pack={n}"),
            (false, None) => format!("cdef #{index}"),
        }
    }
}

#[derive(Default)]
struct Program {
    chunks: Vec<Chunk>,
    /// Statements of the C `main`.
    checks: Vec<String>,
    /// Type key (or enumerator / define name) -> the declaration text.
    decls: HashMap<String, String>,
    /// Enumerator -> its enum's key, so the report groups them.
    group_of: HashMap<String, String>,
    records: usize,
}

struct Gen {
    rng: Rng,
    next_id: usize,
    embeddable: Vec<Embeddable>,
    /// Any record type, for pointers (incomplete is fine behind a pointer).
    pointees: Vec<String>,
    enums: Vec<String>,
    /// Enumerators with values 1..=6, usable as array lengths.
    small_consts: Vec<String>,
    scalar_typedefs: Vec<String>,
    enum_values: HashMap<String, i128>,
    /// Tags declared inside the record being generated (`struct in7 {..} m3;`).
    inner_tags: Vec<String>,
    prog: Program,
}

impl Gen {
    fn new(seed: u64) -> Self {
        Gen {
            rng: Rng(seed),
            next_id: 0,
            embeddable: Vec::new(),
            pointees: Vec::new(),
            enums: Vec::new(),
            small_consts: Vec::new(),
            scalar_typedefs: Vec::new(),
            enum_values: HashMap::new(),
            inner_tags: Vec::new(),
            prog: Program::default(),
        }
    }

    fn primitive(&mut self) -> &'static str {
        PRIMITIVES[self.rng.below(PRIMITIVES.len())]
    }

    fn id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn begin_chunk(&mut self, pack: Option<u32>, packed: bool) {
        self.prog.chunks.push(Chunk {
            text: String::new(),
            pack,
            packed,
        });
    }

    /// Appends one declaration to the current chunk and remembers it under `keys`.
    fn declare(&mut self, text: String, keys: &[String]) {
        let index = self.prog.chunks.len() - 1;
        let chunk = self.prog.chunks.last_mut().expect("a chunk is open");
        chunk.text.push_str(&text);
        chunk.text.push('\n');
        let shown = format!("/* {} */ {}", chunk.label(index), text);
        for key in keys {
            self.prog.decls.insert(key.clone(), shown.clone());
        }
    }

    fn check(&mut self, stmt: String) {
        self.prog.checks.push(stmt);
    }

    fn check_size(&mut self, key: &str) {
        self.check(format!("S({key});"));
    }

    // ---- enums, defines, scalar typedefs

    fn enum_decl(&mut self) {
        let id = self.id();
        let key = format!("enum e{id}");
        let (values, text) = loop {
            if let Some(found) = self.try_enum(id) {
                break found;
            }
        };
        let names: Vec<String> = (0..values.len()).map(|i| format!("E{id}_{i}")).collect();
        let mut keys = names.clone();
        keys.push(key.clone());
        self.declare(text, &keys);
        self.check_size(&key);
        for (name, value) in names.iter().zip(&values) {
            self.check(format!("V({name});"));
            self.enum_values.insert(name.clone(), *value);
            self.prog.group_of.insert(name.clone(), key.clone());
            if (1..=6).contains(value) {
                self.small_consts.push(name.clone());
            }
        }
        self.enums.push(key);
    }

    /// One enum whose values exercise a chosen underlying type, or `None` when
    /// the drawn values fit no C type (a negative beside one above `i64::MAX`).
    fn try_enum(&mut self, id: usize) -> Option<(Vec<i128>, String)> {
        let profile = self.rng.below(6);
        let (lo, hi): (i128, i128) = match profile {
            0 => (0, 40),
            1 => (-3000, 3000),
            2 => (1 << 31, (1 << 32) - 1),
            3 => (1 << 32, 1 << 40),
            4 => (-(1 << 33), 1 << 33),
            _ => ((1 << 63) - 10, (1 << 64) - 1),
        };
        let count = 1 + self.rng.below(5);
        let mut values: Vec<i128> = Vec::new();
        let mut items = Vec::new();
        for i in 0..count {
            let prev = values.last().copied();
            let implicit = prev.is_some_and(|p| p < (1 << 64) - 1) && self.rng.chance(35);
            let (value, init) = if implicit {
                (prev.unwrap_or(0) + 1, String::new())
            } else if i > 0 && self.rng.chance(15) && values[0].abs() < 1 << 20 {
                let k = self.rng.range(-5, 20);
                (
                    values[0] + k,
                    format!(" = E{id}_0 + {k}").replace("+ -", "- "),
                )
            } else if i == 0 && self.rng.chance(10) && !self.small_consts.is_empty() {
                let name = self.rng.pick(&self.small_consts).clone();
                // The enumerator of an earlier enum (maybe of an earlier cdef).
                let v = self.enum_values[&name];
                (v * 3, format!(" = {name} * 3"))
            } else {
                let v = self.rng.range(lo, hi);
                (v, format!(" = {}", literal(v, self.rng.chance(50))))
            };
            values.push(value);
            items.push(format!("E{id}_{i}{init}"));
        }
        let min = *values.iter().min()?;
        let max = *values.iter().max()?;
        if max >= 1 << 64 || (min < 0 && max > i128::from(i64::MAX)) {
            return None;
        }
        let text = format!("enum e{id} {{ {} }};", items.join(", "));
        Some((values, text))
    }

    fn define(&mut self) {
        let id = self.id();
        let name = format!("D{id}");
        let value = match self.rng.below(4) {
            0 => self.rng.range(0, 1000),
            1 => self.rng.range(1 << 31, 1 << 40),
            2 => self.rng.range(-100_000, -1),
            _ => self.rng.range(1 << 62, i128::from(i64::MAX)),
        };
        let text = format!("#define {name} {}", literal(value, self.rng.chance(50)));
        self.declare(text, std::slice::from_ref(&name));
        self.check(format!("V({name});"));
    }

    fn scalar_typedef(&mut self) {
        let id = self.id();
        let name = format!("tq{id}");
        let (spec, decl) = match self.rng.below(6) {
            0 | 1 => (self.rng.pick(PRIMITIVES).to_string(), name.clone()),
            2 => {
                let n = 1 + self.rng.below(5);
                (
                    self.rng.pick(PRIMITIVES).to_string(),
                    format!("{name}[{n}]"),
                )
            }
            3 => ("int".to_string(), format!("(*{name})(int, double)")),
            4 if !self.pointees.is_empty() => {
                (self.rng.pick(&self.pointees).clone(), format!("*{name}"))
            }
            _ if !self.enums.is_empty() => (self.rng.pick(&self.enums).clone(), name.clone()),
            _ => ("unsigned short".to_string(), name.clone()),
        };
        self.declare(
            format!("typedef {spec} {decl};"),
            std::slice::from_ref(&name),
        );
        self.check_size(&name);
        self.scalar_typedefs.push(name);
    }

    // ---- records

    /// A bitfield sweep: `ty` at each of `widths`, with fillers and `: 0`.
    fn bit_sweep(&mut self, ty: &str, widths: &[usize], union: bool) {
        let id = self.id();
        let tag = if union { "union" } else { "struct" };
        let key = format!("{tag} b{id}");
        let mut m = Members::default();
        let mut body = String::new();
        if self.rng.chance(50) {
            let filler = self.rng.pick(&["char", "short", "int", "long long"]);
            let _ = write!(body, "{filler} {}; ", m.name());
        }
        for &w in widths {
            if self.rng.chance(15) {
                let _ = write!(body, "{ty} : 0; ");
            }
            if self.rng.chance(10) {
                let _ = write!(body, "{ty} : {w}; ");
                continue;
            }
            let name = m.name();
            let _ = write!(body, "{ty} {name} : {w}; ");
            m.bits.push(name);
            if self.rng.chance(15) {
                let _ = write!(body, "char {}; ", m.name());
            }
        }
        if m.bits.is_empty() {
            let name = m.name();
            let _ = write!(body, "{ty} {name} : 1; ");
            m.bits.push(name);
        }
        self.finish_record(key, format!("{tag} b{id} {{ {body}}};"), m, true);
    }

    /// A random struct or union, embedding earlier ones.
    fn record(&mut self) {
        let id = self.id();
        let union = self.rng.chance(25);
        let tag = if union { "union" } else { "struct" };
        let mut m = Members::default();
        let count = 1 + self.rng.below(7);
        let mut body = self.member_list(&mut m, 0, "", count);
        let flex = !union && self.rng.chance(10);
        if flex {
            if m.direct_named == 0 {
                body = format!("int {}; {body}", m.name());
            }
            let name = m.name();
            let elem = if !self.embeddable.is_empty() && self.rng.chance(30) {
                self.rng.pick(&self.embeddable).key.clone()
            } else {
                self.rng.pick(PRIMITIVES).to_string()
            };
            let _ = write!(body, "{elem} {name}[]; ");
            m.plain.push(name);
        }
        let mut attrs = Vec::new();
        if self.rng.chance(12) {
            attrs.push("__attribute__((packed))".to_string());
        }
        if self.rng.chance(8) {
            let n = self.rng.pick(&[1, 2, 4, 8, 16, 32, 64]);
            attrs.push(format!("__attribute__((aligned({n})))"));
        }
        let attr = attrs.join(" ");
        let before = if !attr.is_empty() && self.rng.chance(50) {
            format!("{attr} ")
        } else {
            String::new()
        };
        let after = if before.is_empty() && !attr.is_empty() {
            format!(" {attr}")
        } else {
            String::new()
        };
        if self.rng.chance(15) {
            // Anonymous record behind a typedef; attributes only before the brace.
            let key = format!("t{id}");
            let text = format!("typedef {tag} {attr}{}{{ {body}}} {key};", sp(&attr));
            self.finish_record(key, text, m, !flex);
            return;
        }
        let key = format!("{tag} {}{id}", &tag[..1]);
        let text = format!("{tag} {before}{}{id} {{ {body}}}{after};", &tag[..1]);
        let alias = self.rng.chance(25).then(|| format!("t{id}"));
        self.finish_record(key.clone(), text, m, !flex);
        if let Some(alias) = alias {
            self.declare(
                format!("typedef {key} {alias};"),
                std::slice::from_ref(&alias),
            );
            self.check_size(&alias);
            if !flex {
                let mut e = self.embeddable.last().expect("just added").clone();
                e.key = alias;
                self.embeddable.push(e);
            }
        }
    }

    fn finish_record(&mut self, key: String, text: String, m: Members, embeddable: bool) {
        let mut keys = std::mem::take(&mut self.inner_tags);
        keys.push(key.clone());
        self.declare(text, &keys);
        self.prog.records += 1;
        self.check_size(&key);
        if embeddable && self.rng.chance(10) {
            self.check_size(&format!("{key}[3]"));
        }
        for path in &m.plain {
            self.check(format!("O({key}, {path});"));
        }
        for path in &m.bits {
            self.check(format!("B({key}, {path});"));
        }
        self.pointees.push(key.clone());
        if embeddable {
            self.embeddable.push(Embeddable {
                key,
                plain: m.plain.into_iter().take(2).collect(),
                bits: m.bits.into_iter().take(1).collect(),
            });
        }
    }

    fn member_list(&mut self, m: &mut Members, depth: u32, prefix: &str, count: usize) -> String {
        let outer_direct = std::mem::take(&mut m.direct_named);
        let mut body = String::new();
        for _ in 0..count {
            body.push_str(&self.member(m, depth, prefix));
            body.push(' ');
        }
        if m.direct_named == 0 {
            let name = m.name();
            body = format!("{} {name}; {body}", self.rng.pick(PRIMITIVES));
            m.plain.push(format!("{prefix}{name}"));
            m.direct_named += 1;
        }
        if depth > 0 {
            m.direct_named = outer_direct;
        }
        body
    }

    fn member(&mut self, m: &mut Members, depth: u32, prefix: &str) -> String {
        let roll = self.rng.below(100);
        if roll < 18 {
            return self.bitfield_member(m, prefix);
        }
        if roll < 24 && depth < 2 {
            // Anonymous struct/union: its members belong to the enclosing record.
            let tag = if self.rng.chance(50) {
                "struct"
            } else {
                "union"
            };
            let n = 1 + self.rng.below(4);
            let body = self.member_list(m, depth + 1, prefix, n);
            return format!("{tag} {{ {body}}};");
        }
        if roll < 30 && depth < 2 {
            return self.nested_member(m, depth, prefix);
        }
        self.plain_member(m, prefix)
    }

    fn bitfield_member(&mut self, m: &mut Members, prefix: &str) -> String {
        let (ty, bits) = *self.rng.pick(BIT_TYPES);
        let width = self.rng.below(bits + 1);
        if width == 0 {
            return format!("{ty} : 0;");
        }
        if self.rng.chance(12) {
            return format!("{ty} : {width};");
        }
        let name = m.name();
        m.bits.push(format!("{prefix}{name}"));
        m.direct_named += 1;
        format!("{ty} {name} : {width};")
    }

    /// `struct { ... } mN;`, sometimes tagged, sometimes an array of them.
    fn nested_member(&mut self, m: &mut Members, depth: u32, prefix: &str) -> String {
        let union = self.rng.chance(40);
        let tag = if union { "union" } else { "struct" };
        let name = m.name();
        m.direct_named += 1;
        let array = self.rng.chance(20);
        let inner_prefix = format!("{prefix}{name}.");
        let (plain_len, bits_len) = (m.plain.len(), m.bits.len());
        m.plain.push(format!("{prefix}{name}"));
        let n = 1 + self.rng.below(4);
        let body = self.member_list(m, depth + 1, &inner_prefix, n);
        let tagged = self.rng.chance(20).then(|| {
            let id = self.id();
            format!("{tag} in{id}")
        });
        let dims = if array {
            // No `offsetof` through an array index: forget the inner paths.
            m.plain.truncate(plain_len + 1);
            m.bits.truncate(bits_len);
            "[2]"
        } else {
            ""
        };
        let head = tagged.clone().unwrap_or_else(|| tag.to_string());
        if let Some(key) = tagged {
            // C declares the tag at file scope; the report shows the enclosing record.
            self.check_size(&key);
            self.pointees.push(key.clone());
            self.inner_tags.push(key);
        }
        format!("{head} {{ {body}}} {name}{dims};")
    }

    fn plain_member(&mut self, m: &mut Members, prefix: &str) -> String {
        let name = m.name();
        let path = format!("{prefix}{name}");
        m.direct_named += 1;
        let (spec, decl, embedded) = self.plain_type();
        if let Some(e) = embedded {
            for p in &e.plain {
                m.plain.push(format!("{path}.{p}"));
            }
            for p in &e.bits {
                m.bits.push(format!("{path}.{p}"));
            }
        }
        m.plain.push(path);
        let attr = if self.rng.chance(6) {
            format!(" __attribute__((aligned({})))", self.rng.pick(ALIGNS))
        } else if self.rng.chance(4) {
            " __attribute__((packed))".to_string()
        } else {
            String::new()
        };
        format!("{spec} {}{attr};", decl.replace('@', &name))
    }

    /// A member type as (specifier, declarator with `@` for the name, the
    /// record embedded by value if any).
    fn plain_type(&mut self) -> (String, String, Option<Embeddable>) {
        let roll = self.rng.below(100);
        let plain = |s: &str| (s.to_string(), "@".to_string(), None);
        match roll {
            0..=29 => plain(self.primitive()),
            30..=39 => {
                let (target, complete) = match self.rng.below(4) {
                    0 => ("void".to_string(), false),
                    1 => ("FILE".to_string(), false),
                    2 if !self.pointees.is_empty() => (self.rng.pick(&self.pointees).clone(), true),
                    _ => (self.rng.pick(PRIMITIVES).to_string(), true),
                };
                // Pointers to arrays only of complete element types.
                let decls: &[&str] = if complete {
                    &["*@", "**@", "(*@)[4]", "*@[2]"]
                } else {
                    &["*@", "**@", "*@[2]"]
                };
                let decl = *self.rng.pick(decls);
                (target, decl.to_string(), None)
            }
            40..=46 => {
                let ret = self
                    .rng
                    .pick(&["void", "int", "double", "char *", "long double"]);
                let n = self.rng.below(4);
                let mut params: Vec<String> = (0..n)
                    .map(|_| self.rng.pick(PRIMITIVES).to_string())
                    .collect();
                if n > 0 && self.rng.chance(20) {
                    params.push("...".to_string());
                }
                if params.is_empty() {
                    params.push("void".to_string());
                }
                let arr = if self.rng.chance(20) { "[3]" } else { "" };
                (
                    ret.to_string(),
                    format!("(*@{arr})({})", params.join(", ")),
                    None,
                )
            }
            47..=60 => {
                let dims = self.dims();
                (
                    self.rng.pick(PRIMITIVES).to_string(),
                    format!("@{dims}"),
                    None,
                )
            }
            61..=74 if !self.embeddable.is_empty() => {
                let e = self.rng.pick(&self.embeddable).clone();
                (e.key.clone(), "@".to_string(), Some(e))
            }
            75..=82 if !self.embeddable.is_empty() => {
                let e = self.rng.pick(&self.embeddable).key.clone();
                let dims = self.dims();
                (e, format!("@{dims}"), None)
            }
            83..=90 if !self.enums.is_empty() => plain(&self.rng.pick(&self.enums).clone()),
            91..=99 if !self.scalar_typedefs.is_empty() => {
                let t = self.rng.pick(&self.scalar_typedefs).clone();
                let decl = if self.rng.chance(25) { "@[2]" } else { "@" };
                (t, decl.to_string(), None)
            }
            _ => plain(self.primitive()),
        }
    }

    /// Array dimensions: one to three, some given as constant expressions.
    fn dims(&mut self) -> String {
        let rank = match self.rng.below(10) {
            0..=5 => 1,
            6..=8 => 2,
            _ => 3,
        };
        let mut out = String::new();
        for _ in 0..rank {
            let len = match self.rng.below(10) {
                0 if !self.small_consts.is_empty() => self.rng.pick(&self.small_consts).clone(),
                1 => "sizeof(short)".to_string(),
                2 => "2 * 3".to_string(),
                _ => (1 + self.rng.below(5)).to_string(),
            };
            let _ = write!(out, "[{len}]");
        }
        out
    }
}

fn sp(attr: &str) -> &'static str {
    if attr.is_empty() {
        ""
    } else {
        " "
    }
}

/// A C literal for `v`, decimal or hex. Negative values stay decimal so that
/// C's unsigned hex literals cannot change their type; values beyond `i64`
/// are hex, the only way to write them without a suffix.
fn literal(v: i128, hex: bool) -> String {
    if (hex && v >= 0) || v > i128::from(i64::MAX) {
        format!("{v:#x}")
    } else {
        v.to_string()
    }
}

/// The whole set of declarations, in cdef chunks, with the checks C performs.
fn generate(seed: u64) -> Program {
    let mut g = Gen::new(seed);

    g.begin_chunk(None, false);
    for _ in 0..6 {
        g.enum_decl();
    }
    for _ in 0..8 {
        g.define();
    }
    for _ in 0..3 {
        g.scalar_typedef();
    }
    for &(ty, bits) in &BIT_TYPES[..SWEPT_BIT_TYPES] {
        let mut widths: Vec<usize> = (1..=bits).collect();
        for i in (1..widths.len()).rev() {
            let j = g.rng.below(i + 1);
            widths.swap(i, j);
        }
        for chunk in widths.chunks(6) {
            let union = g.rng.chance(15);
            g.bit_sweep(ty, chunk, union);
        }
    }
    for _ in 0..45 {
        g.record();
    }

    // Later groups embed the records and use the typedefs of earlier cdefs.
    let plan: &[(Option<u32>, bool, usize)] = &[
        (Some(1), false, 12),
        (Some(2), false, 12),
        (Some(4), false, 12),
        (Some(8), false, 12),
        (None, true, 10),
        (None, false, 55),
        (Some(2), false, 10),
        (None, false, 55),
        (Some(1), false, 10),
        (None, false, 40),
    ];
    for &(pack, packed, count) in plan {
        g.begin_chunk(pack, packed);
        if pack.is_none() && !packed {
            for _ in 0..4 {
                g.enum_decl();
            }
            for _ in 0..3 {
                g.define();
            }
            for _ in 0..3 {
                g.scalar_typedef();
            }
        }
        for _ in 0..count {
            g.record();
        }
    }
    g.prog
}

// ---------------------------------------------------------------- C side

const C_PRELUDE: &str = "#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
";

const C_HELPERS: &str = r#"
static void bits(const char *t, const char *p, const unsigned char *b, size_t n) {
    long first = -1, count = 0;
    for (size_t i = 0; i < n * 8; i++)
        if ((b[i / 8] >> (i % 8)) & 1) {
            if (first < 0) first = (long)i;
            count++;
        }
    printf("B\t%s\t%s\t%ld\t%ld\n", t, p, first, count);
}
#define S(T) printf("S\t%s\t%zu\t%zu\n", #T, sizeof(T), _Alignof(T))
#define O(T, P) printf("O\t%s\t%s\t%zu\n", #T, #P, offsetof(T, P))
/* -1 sets every bit of any integer bitfield (and converts to 1 for _Bool). */
#define B(T, P) do { T v_; memset(&v_, 0, sizeof v_); v_.P = -1; \
    bits(#T, #P, (const unsigned char *)&v_, sizeof v_); } while (0)
#define V(N) printf("V\t%s\t%d\t%llu\t%lld\n", #N, (N) < 0, (unsigned long long)(N), (long long)(N))
"#;

fn c_program(prog: &Program) -> String {
    let mut out = String::from(C_PRELUDE);
    for chunk in &prog.chunks {
        let pack = if chunk.packed { Some(1) } else { chunk.pack };
        if let Some(n) = pack {
            let _ = writeln!(out, "#pragma pack(push, {n})");
        }
        out.push_str(&chunk.text);
        if pack.is_some() {
            out.push_str("#pragma pack(pop)\n");
        }
    }
    out.push_str(C_HELPERS);
    out.push_str("int main(void) {\n");
    for stmt in &prog.checks {
        let _ = writeln!(out, "    {stmt}");
    }
    out.push_str("    return 0;\n}\n");
    out
}

fn unique_temp_dir() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir =
        std::env::temp_dir().join(format!("rffi-layout-oracle-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Compiles and runs the program; `None` when there is no `cc` to ask.
fn run_c(dir: &Path, source: &str) -> Option<String> {
    if Command::new("cc").arg("--version").output().is_err() {
        return None;
    }
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&src, source).expect("write C source");
    let out = Command::new("cc")
        .args(["-std=gnu11", "-w", "-O0", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "the generated C program does not compile (a generator bug), see {}:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().expect("run the C program");
    assert!(run.status.success(), "the C program failed: {run:?}");
    Some(String::from_utf8(run.stdout).expect("C output is ASCII"))
}

// ---------------------------------------------------------------- comparison

struct Mismatch {
    /// The type (or enum, or define, or cdef) the item belongs to.
    key: String,
    kind: &'static str,
    item: String,
    c: String,
    rffi: String,
}

/// Runs one rffi query, turning an error or a panic into the text to report.
fn ask<T, E: std::fmt::Display>(f: impl FnOnce() -> Result<T, E>) -> Result<T, String> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("error: {e}")),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("PANIC: {msg}"))
        }
    }
}

/// A member named `name` of record `id`, looking through anonymous members,
/// with its byte offset from the start of `id`.
fn find_member(
    types: &mut Types,
    id: TypeId,
    name: &str,
) -> Result<Option<(Field, usize)>, String> {
    let fields = types.fields(id).map_err(|e| e.to_string())?;
    let mut anonymous = Vec::new();
    for f in fields {
        if f.name == name {
            let offset = f.offset;
            return Ok(Some((f, offset)));
        }
        if f.name.is_empty() && f.bits.is_none() {
            anonymous.push(f);
        }
    }
    for a in anonymous {
        if let Some((f, offset)) = find_member(types, a.ty, name)? {
            return Ok(Some((f, a.offset + offset)));
        }
    }
    Ok(None)
}

/// rffi's answer for a bitfield at `path`: "first-bit width", as C prints it.
fn bit_position(types: &mut Types, id: TypeId, path: &str) -> Result<String, String> {
    let segments: Vec<&str> = path.split('.').collect();
    let (mut current, mut base) = (id, 0usize);
    for (i, seg) in segments.iter().enumerate() {
        let (field, offset) =
            find_member(types, current, seg)?.ok_or_else(|| format!("no member `{seg}`"))?;
        if i + 1 < segments.len() {
            current = field.ty;
            base += offset;
            continue;
        }
        let bits = field.bits.ok_or("not a bitfield in rffi")?;
        let first = (base + offset) * 8 + bits.shift as usize;
        return Ok(format!("{first} {}", bits.width));
    }
    Err("empty path".to_string())
}

/// rffi's answer for one line of the C program's output, in the same words.
fn answer(types: &mut Types, parts: &[&str]) -> Result<String, String> {
    match parts {
        ["S", key, ..] => {
            let id = ask(|| types.parse_type(key))?;
            let size = ask(|| types.size_of(id))?;
            let align = ask(|| types.align_of(id))?;
            Ok(format!("size={size} align={align}"))
        }
        ["O", key, path, ..] => {
            let id = ask(|| types.parse_type(key))?;
            ask(|| types.offset_of(id, path)).map(|o| o.to_string())
        }
        ["B", key, path, ..] => {
            let id = ask(|| types.parse_type(key))?;
            ask(|| bit_position(types, id, path))
        }
        ["V", name, ..] => {
            ask(|| types.constant(name).ok_or("unknown name")).map(|v| v.to_string())
        }
        _ => Err("unexpected line".to_string()),
    }
}

/// C's answer for one line of its output, and the item it is about.
fn c_answer(parts: &[&str]) -> Option<(String, String)> {
    Some(match parts {
        ["S", _, size, align] => ("layout".to_string(), format!("size={size} align={align}")),
        ["O", _, path, offset] => (format!("offsetof {path}"), offset.to_string()),
        ["B", _, path, first, count] => (
            format!("bitfield {path} (first-bit width)"),
            format!("{first} {count}"),
        ),
        ["V", _, negative, unsigned, signed] => {
            let value = if *negative == "1" { signed } else { unsigned };
            (format!("{} value", parts[1]), value.to_string())
        }
        _ => return None,
    })
}

fn compare(
    types: &mut Types,
    c_output: &str,
    group_of: &HashMap<String, String>,
) -> (Vec<Mismatch>, usize) {
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for line in c_output.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        let (item, c) = c_answer(&parts)
            .unwrap_or_else(|| panic!("unexpected line from the C program: {line:?}"));
        checked += 1;
        let rffi = answer(types, &parts).unwrap_or_else(|e| e);
        if rffi != c {
            let (key, kind) = match parts[0] {
                "S" => (parts[1], "size/align"),
                "O" => (parts[1], "offsetof"),
                "B" => (parts[1], "bitfield"),
                _ => (
                    group_of.get(parts[1]).map_or(parts[1], String::as_str),
                    "value",
                ),
            };
            mismatches.push(Mismatch {
                key: key.to_string(),
                kind,
                item,
                c,
                rffi,
            });
        }
    }
    (mismatches, checked)
}

fn is_error(rffi: &str) -> bool {
    rffi.starts_with("error:") || rffi.starts_with("PANIC")
}

/// The lines of one type's group: a line per wrong value, and one line per
/// distinct rffi error naming all the items that hit it.
fn group_lines(key: &str, group: &[&Mismatch]) -> String {
    let mut out = String::new();
    let mut errors: Vec<(&str, Vec<&str>)> = Vec::new();
    for m in group {
        if !is_error(&m.rffi) {
            let _ = writeln!(out, "{key}: {}  C={}  rffi={}", m.item, m.c, m.rffi);
        } else if let Some(e) = errors.iter_mut().find(|e| e.0 == m.rffi) {
            e.1.push(&m.item);
        } else {
            errors.push((&m.rffi, vec![&m.item]));
        }
    }
    for (error, items) in errors {
        let _ = writeln!(out, "{key}: {}  rffi={error}", items.join(", "));
    }
    out
}

/// The failure text: mismatches grouped by type, each group followed by the
/// declaration. Returns (text for the panic message, full text).
fn report(prog: &Program, mismatches: &[Mismatch], checked: usize) -> (String, String) {
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<&Mismatch>> = HashMap::new();
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for m in mismatches {
        let group = groups.entry(m.key.as_str()).or_default();
        if group.is_empty() {
            order.push(m.key.as_str());
        }
        group.push(m);
        match kinds.iter_mut().find(|k| k.0 == m.kind) {
            Some(k) => k.1 += 1,
            None => kinds.push((m.kind, 1)),
        }
    }
    let by_kind: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let header = format!(
        "layout oracle: {} mismatches in {} types ({}) of {} items checked, {} records generated\n\
         format: <type>: <item>  C=<cc's value>  rffi=<rffi's value>; then the declaration\n",
        mismatches.len(),
        order.len(),
        by_kind.join(", "),
        checked,
        prog.records
    );
    let mut shown = header.clone();
    let mut full = header;
    for (i, key) in order.iter().enumerate() {
        let mut block = group_lines(key, &groups[key]);
        let base = key.split('[').next().unwrap_or(key);
        if let Some(decl) = prog.decls.get(base) {
            let _ = writeln!(block, "    {decl}");
        }
        full.push_str(&block);
        if i < SHOWN_TYPES {
            shown.push_str(&block);
        }
    }
    if order.len() > SHOWN_TYPES {
        let _ = writeln!(shown, "... and {} more types", order.len() - SHOWN_TYPES);
    }
    (shown, full)
}

/// Gives rffi one cdef group. When rffi refuses it, the group is declared
/// again one declaration (one line) at a time, so that one refused construct
/// hides only its own declaration and the refusal names it.
fn declare_chunk(types: &mut Types, label: &str, chunk: &Chunk, mismatches: &mut Vec<Mismatch>) {
    let options = CdefOptions {
        packed: chunk.packed,
        pack: chunk.pack,
        ..CdefOptions::default()
    };
    let before = types.clone();
    let Err(e) = ask(|| types.cdef(&chunk.text, &options)) else {
        return;
    };
    mismatches.push(Mismatch {
        key: label.to_string(),
        kind: "cdef",
        item: "whole group (retried one declaration at a time)".to_string(),
        c: "ok".into(),
        rffi: e,
    });
    *types = before;
    for line in chunk.text.lines() {
        if let Err(e) = ask(|| types.cdef(line, &options)) {
            mismatches.push(Mismatch {
                key: label.to_string(),
                kind: "cdef",
                item: format!("refused `{line}`"),
                c: "ok".into(),
                rffi: e,
            });
        }
    }
}

#[test]
fn layout_matches_the_c_compiler() {
    let seed = std::env::var("RFFI_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let prog = generate(seed);
    assert!(
        prog.records >= 300,
        "only {} records generated",
        prog.records
    );

    let dir = unique_temp_dir();
    let Some(c_output) = run_c(&dir, &c_program(&prog)) else {
        eprintln!("skipping the layout oracle: no `cc` on PATH to compile the C side");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };

    let mut types = Types::new();
    let mut mismatches = Vec::new();
    for (i, chunk) in prog.chunks.iter().enumerate() {
        declare_chunk(&mut types, &chunk.label(i), chunk, &mut mismatches);
    }
    // Silence the default hook: panics are caught and reported as mismatches.
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let (found, checked) = compare(&mut types, &c_output, &prog.group_of);
    panic::set_hook(hook);
    mismatches.extend(found);

    if mismatches.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let (shown, full) = report(&prog, &mismatches, checked);
    let report_path = dir.join("report.txt");
    let _ = std::fs::write(&report_path, &full);
    panic!(
        "{shown}\nfull report: {}\nC program: {}",
        report_path.display(),
        dir.join("layout.c").display()
    );
}
