//! What calling one function pointer type needs, worked out once: the plan,
//! the shapes of the arguments and result, and the fast path's converters
//! (how each argument is read into which register). Data only: the calls
//! themselves are made in `calls`.

use std::sync::Arc;

use rffi_call::{CallPlan, Direct, Reg};
use rffi_types::TypeId;

use rffi_types::Shape;

/// What calling one function pointer type needs, worked out on the first
/// call and kept in the cdata: the plan and the shape of every argument and
/// of the result, so later calls look nothing up.
pub struct CallSite {
    pub(crate) plan: Arc<CallPlan>,
    pub(crate) args: Box<[Shape]>,
    pub(crate) ret: Shape,
    /// The fast path's converters, when the signature and the invoker allow it.
    pub(crate) fast: Option<FastSig>,
}

impl CallSite {
    /// The fast path's converters and registers, if it applies.
    #[inline]
    pub fn fast(&self) -> Option<(&FastSig, &Direct)> {
        Some((self.fast.as_ref()?, self.plan.direct()?))
    }
}

/// How the fast path reads one argument, and the register (by index in its
/// file) it fills.
#[derive(Clone, Copy, Debug)]
pub enum FastArg {
    /// An exact float, as a `double`.
    F64(usize),
    /// An exact float, as a `float` in the low half of its register.
    F32(usize),
    /// An exact int within `min..=max`: stored as is, which is also its
    /// sign or zero extension to 64 bits since it fits its C type.
    Int { n: usize, min: i64, max: i64 },
    /// An exact int from 0 to `u64::MAX` (an 8-byte unsigned type).
    Unsigned64(usize),
    /// A cdata pointer or array whose items are `item`, or any pointer or
    /// array when the parameter is `void *`.
    Pointer {
        n: usize,
        item: TypeId,
        to_void: bool,
    },
}

/// How the fast path builds the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastRet {
    None,
    Float,
    Int,
    /// A pointer, enum, char or bool: built by the general reader.
    General,
}

/// The fast converters of one function type.
#[derive(Debug)]
pub struct FastSig {
    pub(crate) args: Box<[FastArg]>,
    pub(crate) ret: FastRet,
}

impl FastSig {
    /// The fast converters for a direct call with these argument shapes and
    /// registers, or `None` when some argument kind has no fast reader.
    pub fn new(direct: &Direct, shapes: &[Shape], ret: Shape) -> Option<FastSig> {
        let args = direct
            .args()
            .iter()
            .zip(shapes)
            .map(|(reg, shape)| fast_arg(*reg, *shape))
            .collect::<Option<Box<[FastArg]>>>()?;
        let ret = match ret {
            Shape::Void => FastRet::None,
            Shape::Float { size: 4 | 8 } => FastRet::Float,
            Shape::Int { is_enum: false, .. } => FastRet::Int,
            _ => FastRet::General,
        };
        Some(FastSig { args, ret })
    }
}

fn fast_arg(reg: Reg, shape: Shape) -> Option<FastArg> {
    Some(match (reg, shape) {
        (Reg::F64(n), Shape::Float { .. }) => FastArg::F64(usize::from(n)),
        (Reg::F32(n), Shape::Float { .. }) => FastArg::F32(usize::from(n)),
        (
            Reg::Int { n, .. },
            Shape::Int {
                size,
                signed,
                is_enum: false,
            },
        ) => {
            let n = usize::from(n);
            let bits = u32::from(size) * 8;
            match (signed, bits) {
                (false, 64) => FastArg::Unsigned64(n),
                (true, 64) => FastArg::Int {
                    n,
                    min: i64::MIN,
                    max: i64::MAX,
                },
                (true, b) if b < 64 => FastArg::Int {
                    n,
                    min: -(1i64 << (b - 1)),
                    max: (1i64 << (b - 1)) - 1,
                },
                (false, b) if b < 64 => FastArg::Int {
                    n,
                    min: 0,
                    max: (1i64 << b) - 1,
                },
                _ => return None,
            }
        }
        (Reg::Int { n, .. }, Shape::Pointer { item }) => FastArg::Pointer {
            n: usize::from(n),
            item,
            to_void: false,
        },
        _ => return None,
    })
}

/// Marks `void *` parameters, whose shape alone does not tell (it needs the
/// item's shape, which the caller looks up once).
pub fn mark_void_pointers(sig: &mut FastSig, item_is_void: impl Fn(TypeId) -> bool) {
    for arg in sig.args.iter_mut() {
        if let FastArg::Pointer { item, to_void, .. } = arg {
            *to_void = item_is_void(*item);
        }
    }
}
