//! Canonical C spelling of types, exactly as cffi prints them
//! (`char * *`, `int *[3]`, `int(*)(int, double)`).
//!
//! A spelling is built around a hole `&` where the declarator goes: `int *&`
//! is a pointer, `int(*&)[5]` a pointer to an array. Wrapping a type replaces
//! the hole; the last step removes it.

use crate::model::Type;
use crate::model::TypeId;
use crate::registry::Types;

const HOLE: &str = "&";

impl Types {
    /// The canonical spelling of a type (cffi's `ctype.cname`).
    pub fn cname(&self, id: TypeId) -> String {
        self.template(id).replace(HOLE, "").trim_end().to_string()
    }

    /// The spelling with `replace_with` put where a declarator would go, as
    /// cffi's `getctype(cdecl, replace_with)` does: `("int[3]", "x")` → `int x[3]`.
    pub fn cname_with(&self, id: TypeId, replace_with: &str) -> String {
        let r = replace_with.trim();
        let inner = if r.is_empty() || r.starts_with(['&', '[', '(']) {
            r.to_string()
        } else {
            format!(" {r}")
        };
        let template = self.template(id);
        let inner = if r.starts_with('*') && template.contains("&[") {
            format!("({r})")
        } else {
            inner
        };
        template.replacen(HOLE, &inner, 1).trim_end().to_string()
    }

    fn template(&self, id: TypeId) -> String {
        match self.get(id) {
            Type::Void => format!("void{HOLE}"),
            Type::Prim(p) => format!("{}{HOLE}", p.name()),
            Type::Record(r) => format!("{}{HOLE}", self.record(*r).name),
            Type::Enum(e) => format!("{}{HOLE}", self.enum_def(*e).name),
            Type::Pointer(inner) => {
                let wrapped = matches!(self.get(*inner), Type::Array(..) | Type::Function(_));
                let with = if wrapped { "(*&)" } else { " *&" };
                self.template(*inner).replacen(HOLE, with, 1)
            }
            Type::Array(item, len) => {
                let suffix = match len {
                    Some(n) => format!("&[{n}]"),
                    None => "&[]".to_string(),
                };
                self.template(*item).replacen(HOLE, &suffix, 1)
            }
            Type::Function(f) => {
                let mut args: Vec<String> = f.params.iter().map(|p| self.cname(*p)).collect();
                if f.variadic {
                    args.push("...".to_string());
                }
                let suffix = format!("{HOLE}({})", args.join(", "));
                self.template(f.ret).replacen(HOLE, &suffix, 1)
            }
        }
    }
}
