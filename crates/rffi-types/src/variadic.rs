//! C's default argument promotions: the type a value travels as in the `...`
//! part of a variadic call (C11 6.5.2.2, paragraphs 6 and 7).

use crate::error::{ErrorKind, Result, TypeError};
use crate::model::Type;
use crate::prim::{Prim, PrimClass};
use crate::{TypeId, Types};

/// The type a value of `ty` is passed as after `...`: integers narrower than
/// `int` (`_Bool`, `char`, `short`, `char16_t`, enums based on them) become
/// `int`, `float` becomes `double`, an enum its integer type, an array a
/// pointer to its item and a function a pointer to it; everything else
/// travels as itself. `void` and types of unknown size cannot be passed.
///
/// ```
/// use rffi_types::{variadic_promotion, CdefOptions, Types};
/// let mut types = Types::new();
/// types.cdef("enum e { A, B }; struct s { int x; };", &CdefOptions::default())?;
/// let promote = |types: &mut Types, t: &str| {
///     let id = types.parse_type(t)?;
///     let to = variadic_promotion(types, id)?;
///     Ok::<_, rffi_types::TypeError>(types.cname(to))
/// };
/// assert_eq!(promote(&mut types, "short")?, "int");
/// assert_eq!(promote(&mut types, "unsigned char")?, "int");
/// assert_eq!(promote(&mut types, "float")?, "double");
/// assert_eq!(promote(&mut types, "enum e")?, "unsigned int");
/// assert_eq!(promote(&mut types, "char[4]")?, "char *");
/// assert_eq!(promote(&mut types, "unsigned long")?, "unsigned long");
/// assert_eq!(promote(&mut types, "struct s")?, "struct s");
/// assert!(promote(&mut types, "void").is_err());
/// # Ok::<(), rffi_types::TypeError>(())
/// ```
pub fn variadic_promotion(types: &mut Types, ty: TypeId) -> Result<TypeId> {
    let refuse = |types: &Types, why: &str| {
        Err(TypeError::new(
            ErrorKind::Unsupported,
            format!(
                "'{}' cannot be passed in the variadic part of a call: {why}",
                types.cname(ty)
            ),
        ))
    };
    match types.get(ty).clone() {
        Type::Void => refuse(types, "it has no value"),
        Type::Prim(p) => Ok(match promote_prim(p) {
            Some(to) => types.prim(to),
            None => ty,
        }),
        Type::Enum(e) => {
            let base = types.enum_def(e).base;
            Ok(types.prim(promote_prim(base).unwrap_or(base)))
        }
        Type::Array(item, _) => Ok(types.pointer_to(item)),
        Type::Function(_) => Ok(types.pointer_to(ty)),
        Type::Pointer(_) => Ok(ty),
        Type::Record(_) => match types.size_of(ty) {
            Ok(_) => Ok(ty),
            Err(_) => refuse(types, "its size is unknown"),
        },
    }
}

/// The promoted primitive, when it differs from `p`.
fn promote_prim(p: Prim) -> Option<Prim> {
    match p.class() {
        PrimClass::Float if p.size() < Prim::DOUBLE.size() => Some(Prim::DOUBLE),
        PrimClass::Int { .. } | PrimClass::Char | PrimClass::WideChar { .. } | PrimClass::Bool
            if p.size() < Prim::INT.size() =>
        {
            // Every value of a narrower type fits in `int`, signed or not.
            Some(Prim::INT)
        }
        _ => None,
    }
}
