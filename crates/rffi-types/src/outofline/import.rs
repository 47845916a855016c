//! Copying types from the registry of an included FFI.
//!
//! A module built after `ffi.include(other)` marks the structs and unions it shares
//! with `other` as external: cffi takes the very ctype object of the included FFI.
//! rffi's types belong to one registry, so the record is copied with everything its
//! members reach, under the same C name, which is how rffi matches types of two FFIs.

use std::collections::HashMap;

use rffi_parse::RecordKind;

use crate::model::*;
use crate::registry::Types;

/// What was copied from which included registry (by its position among the
/// includes), so that a record copied twice is one record here.
#[derive(Default)]
pub(super) struct Imported {
    records: HashMap<(usize, RecordId), RecordId>,
    enums: HashMap<(usize, EnumId), EnumId>,
}

/// The struct or union that an `_struct_unions` name (`tag`, `$typedef_name`)
/// designates in a registry, if it has one.
pub(super) fn find_record(from: &Types, kind: RecordKind, name: &str) -> Option<RecordId> {
    match name.strip_prefix('$') {
        Some(typedef_name) => from
            .records
            .iter()
            .position(|r| r.kind == kind && r.tag.is_none() && r.name == typedef_name)
            .map(|i| RecordId(i as u32)),
        None => from.record_tags.get(&(kind, name.to_string())).copied(),
    }
}

impl Types {
    /// The type of this registry that is `id` of `from`.
    pub(super) fn import_type(
        &mut self,
        from: &Types,
        key: usize,
        id: TypeId,
        memo: &mut Imported,
    ) -> TypeId {
        match from.get(id).clone() {
            Type::Void => self.void(),
            Type::Prim(p) => self.prim(p),
            Type::Pointer(to) => {
                let to = self.import_type(from, key, to, memo);
                self.pointer_to(to)
            }
            Type::Array(item, len) => {
                let item = self.import_type(from, key, item, memo);
                self.array_of(item, len)
            }
            Type::Function(f) => {
                let ret = self.import_type(from, key, f.ret, memo);
                let params = f
                    .params
                    .iter()
                    .map(|p| self.import_type(from, key, *p, memo))
                    .collect();
                self.intern(Type::Function(FuncType {
                    ret,
                    params,
                    variadic: f.variadic,
                }))
            }
            Type::Record(r) => {
                let mine = self.import_record(from, key, r, memo);
                self.intern(Type::Record(mine))
            }
            Type::Enum(e) => {
                let mine = self.import_enum(from, key, e, memo);
                self.intern(Type::Enum(mine))
            }
        }
    }

    pub(super) fn import_record(
        &mut self,
        from: &Types,
        key: usize,
        rid: RecordId,
        memo: &mut Imported,
    ) -> RecordId {
        if let Some(&mine) = memo.records.get(&(key, rid)) {
            return mine;
        }
        let theirs = from.record(rid).clone();
        let existing = theirs
            .tag
            .as_ref()
            .and_then(|tag| self.record_tags.get(&(theirs.kind, tag.clone())).copied());
        let mine = existing.unwrap_or_else(|| {
            let mine = RecordId(self.records.len() as u32);
            self.records.push(Record {
                layout: None,
                ..theirs.clone()
            });
            if let Some(tag) = &theirs.tag {
                self.record_tags.insert((theirs.kind, tag.clone()), mine);
            }
            mine
        });
        // Before the members, which may point back to this record.
        memo.records.insert((key, rid), mine);
        if let (None, Some(layout)) = (&self.records[mine.0 as usize].layout, &theirs.layout) {
            let fields = layout
                .fields
                .iter()
                .map(|f| Field {
                    ty: self.import_type(from, key, f.ty, memo),
                    ..f.clone()
                })
                .collect();
            self.records[mine.0 as usize].layout = Some(RecordLayout {
                fields,
                ..layout.clone()
            });
        }
        mine
    }

    fn import_enum(
        &mut self,
        from: &Types,
        key: usize,
        eid: EnumId,
        memo: &mut Imported,
    ) -> EnumId {
        if let Some(&mine) = memo.enums.get(&(key, eid)) {
            return mine;
        }
        let theirs = from.enum_def(eid).clone();
        let existing = theirs
            .tag
            .as_ref()
            .and_then(|tag| self.enum_tags.get(tag).copied());
        let mine = existing.unwrap_or_else(|| {
            let mine = EnumId(self.enums.len() as u32);
            if let Some(tag) = &theirs.tag {
                self.enum_tags.insert(tag.clone(), mine);
            }
            self.enums.push(theirs);
            mine
        });
        memo.enums.insert((key, eid), mine);
        mine
    }
}
