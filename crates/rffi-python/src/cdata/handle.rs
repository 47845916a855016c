//! `ffi.new_handle` / `ffi.from_handle`: a `void *` standing for a Python object.

use crate::model::registry::node;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;

use crate::cdata::object::CDataGet;
use crate::cdata::value::{CData, Origin};
use crate::memory::owner::{Memory, Owner};
use crate::model::registry::Registry;

/// Live handles by address. An address is a private allocation of the handle,
/// so it is unique while the handle lives and never reused before removal.
fn live() -> &'static Mutex<HashMap<usize, Py<PyAny>>> {
    static LIVE: OnceLock<Mutex<HashMap<usize, Py<PyAny>>>> = OnceLock::new();
    LIVE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Keeps the object while the handle cdata lives; forgets it after.
struct Entry {
    mem: Arc<Memory>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        let removed = live()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.mem.addr());
        drop(removed);
    }
}

/// Shows the garbage collector the object behind a handle whose memory
/// `m` is (the caller checked that one cdata alone holds it): the entry in
/// the table of live handles is the handle's own reference, so a cycle
/// through the object (`o.h = ffi.new_handle(o)`) can be collected.
pub fn traverse(m: &Memory, visit: &crate::base::gc::Visit) -> Result<(), std::ffi::c_int> {
    let Some(entry) = m.kept_as::<Entry>() else {
        return Ok(());
    };
    // Never wait in the collector: the table is only locked for a moment.
    if let Ok(table) = live().try_lock() {
        visit.call(table.get(&entry.mem.addr()))?;
    }
    Ok(())
}

/// The garbage collector breaks a cycle through a handle: as cffi, the
/// handle then stands for `None` until it goes.
pub fn clear(py: Python<'_>, m: &Memory) {
    let Some(entry) = m.kept_as::<Entry>() else {
        return;
    };
    let old = live()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(&entry.mem.addr())
        .map(|slot| std::mem::replace(slot, py.None()));
    // Dropped outside the lock: freeing it may run Python code.
    drop(old);
}

pub fn new_handle(reg: &Arc<Registry>, obj: &Bound<'_, PyAny>) -> PyResult<CData> {
    let mem = Memory::zeroed(1, 1)?;
    let addr = mem.addr();
    live()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(addr, obj.clone().unbind());
    let void_ptr = reg.parse("void *")?;
    Ok(CData::made(
        node(reg, void_ptr, Origin::Handle, false),
        addr,
        Owner::keep_python(Entry { mem }),
    ))
}

/// The repr of the object behind a live handle, for the handle's own repr.
pub fn describe(py: Python<'_>, addr: usize) -> PyResult<String> {
    let obj = live()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&addr)
        .map(|o| o.clone_ref(py));
    match obj {
        Some(o) => Ok(o.bind(py).repr()?.to_string()),
        None => Ok("<released object>".to_string()),
    }
}

pub fn from_handle(py: Python<'_>, p: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let Ok(c) = p.cast::<CData>() else {
        return Err(PyTypeError::new_err("expected a 'cdata' object"));
    };
    let addr = c.cdata().addr;
    if addr == 0 {
        return Err(PyRuntimeError::new_err(
            "cannot use from_handle() on NULL pointer",
        ));
    }
    match live().lock().unwrap_or_else(|e| e.into_inner()).get(&addr) {
        Some(obj) => Ok(obj.clone_ref(py)),
        None => Err(PyRuntimeError::new_err(format!(
            "from_handle(): 0x{addr:x} is not a live handle made by new_handle()"
        ))),
    }
}
