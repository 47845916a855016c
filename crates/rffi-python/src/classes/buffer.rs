//! `ffi.buffer()` objects (raw bytes of a cdata, with the buffer protocol)
//! and the buffers `ffi.from_buffer()` borrows from Python objects.

use std::ffi::c_void;
use std::os::raw::c_int;

use pyo3::exceptions::{PyBufferError, PyIndexError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PySlice};

use crate::cdata::object::CDataGet;
use crate::cdata::value::CData;
use crate::convert::strings::new_bytes;
use crate::memory::owner::{Kind, Owner};

/// A view on `size` bytes at `addr`, keeping their owner alive.
#[pyclass(name = "buffer", module = "rffi", frozen)]
pub struct Buffer {
    pub addr: usize,
    pub size: usize,
    pub owner: Owner,
}

impl Buffer {
    /// The bytes of `cdata`: `size` of them, or all it covers when negative.
    pub fn of(cdata: &Bound<'_, PyAny>, size: isize) -> PyResult<Buffer> {
        let c = cdata
            .cast::<CData>()
            .map_err(|_| {
                PyTypeError::new_err(format!(
                    "buffer() argument 1 must be rffi.CData, not {}",
                    cdata
                        .get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ))
            })?
            .cdata();
        c.live()?;
        let size = if size < 0 {
            c.byte_size_known().ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "don't know the size pointed to by '{}'",
                    c.reg.cname(c.ty)
                ))
            })?
        } else {
            size as usize
        };
        // cffi makes such buffers (and only warns when the size is larger
        // than the memory); reading them would crash or show what other
        // code keeps there, so they are refused.
        if size > 0 {
            c.refuse_null(c.addr)?;
            if !c.owner.covers(c.addr, size) {
                return Err(PyValueError::new_err(format!(
                    "ffi.buffer(cdata, {size}): cdata '{}' points into memory that holds only {} bytes from there",
                    c.reg.cname(c.ty),
                    c.owner.room_from(c.addr).unwrap_or(0)
                )));
            }
        }
        Ok(Buffer {
            addr: c.addr,
            size,
            owner: match c.owner.kind() {
                Kind::None => Owner::object(cdata.clone().unbind()),
                _ => c.owner.clone(),
            },
        })
    }

    /// The bytes this buffer covers, refused once `ffi.release` let them go.
    fn bytes(&self) -> PyResult<&[u8]> {
        self.owner.check_live()?;
        if self.size == 0 {
            return Ok(&[]);
        }
        // SAFETY: the buffer was made (above, its only constructor) from a
        // cdata whose `size` bytes were checked: outside the NULL page and
        // within its owner's memory when that is known; `owner` keeps that
        // memory as long as this object, and it was not released (just
        // checked). The slice lives only while the caller copies it out,
        // with no Python code run meanwhile.
        Ok(unsafe { std::slice::from_raw_parts(self.addr as *const u8, self.size) })
    }

    fn range(&self, key: &Bound<'_, PyAny>) -> PyResult<(usize, usize)> {
        self.owner.check_live()?;
        if let Ok(slice) = key.cast::<PySlice>() {
            let idx = slice.indices(self.size as isize)?;
            if idx.step != 1 {
                return Err(PyIndexError::new_err(
                    "buffer slices with a step are not supported",
                ));
            }
            let start = idx.start.max(0) as usize;
            let stop = (idx.stop.max(idx.start)) as usize;
            // The slice's `__index__` may have released the memory.
            self.owner.check_live()?;
            return Ok((start, stop));
        }
        let mut i: isize = key.extract()?;
        if i < 0 {
            i += self.size as isize;
        }
        if i < 0 || i as usize >= self.size {
            return Err(PyIndexError::new_err("buffer index out of range"));
        }
        // The key's `__index__` may have released the memory.
        self.owner.check_live()?;
        Ok((i as usize, i as usize + 1))
    }
}

#[pymethods]
impl Buffer {
    /// `ffi.buffer(cdata, size=-1)`: `ffi.buffer` is this class, as in cffi.
    #[new]
    #[pyo3(signature = (cdata, size = -1))]
    fn py_new(cdata: &Bound<'_, PyAny>, size: isize) -> PyResult<Buffer> {
        Buffer::of(cdata, size)
    }

    /// Compared as the bytes they hold, with each other and with other
    /// bytes-like objects, as cffi's buffers compare.
    fn __richcmp__(
        &self,
        other: &Bound<'_, PyAny>,
        op: pyo3::basic::CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let theirs = match other.cast::<Buffer>() {
            Ok(b) => new_bytes(py, b.get().bytes()?)?,
            Err(_) => match pyo3::types::PyMemoryView::from(other) {
                Ok(view) => view.call_method0("tobytes")?.cast_into::<PyBytes>()?,
                Err(_) => return Ok(py.NotImplemented()),
            },
        };
        let ours = new_bytes(py, self.bytes()?)?;
        Ok(ours.rich_compare(theirs, op)?.unbind())
    }

    /// `del b[i]`: C memory has no bytes to remove.
    fn __delitem__(&self, _key: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "'del x[n]' not supported for buffer objects",
        ))
    }

    fn __len__(&self) -> usize {
        self.size
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (a, b) = self.range(key)?;
        new_bytes(py, &self.bytes()?[a..b])
    }

    fn __setitem__(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let (a, b) = self.range(key)?;
        let data: Vec<u8> = match value.cast::<PyBytes>() {
            Ok(bytes) => bytes.as_bytes().to_vec(),
            Err(_) => {
                let view = pyo3::types::PyMemoryView::from(value)
                    .map_err(|_| PyTypeError::new_err("a bytes-like object is required"))?;
                view.call_method0("tobytes")?.extract()?
            }
        };
        if data.len() != b - a {
            return Err(PyValueError::new_err(
                "right operand length must match slice length",
            ));
        }
        self.owner.check_live()?;
        // SAFETY: `a..b` lies within the `size` bytes this buffer covers,
        // which are still live (just checked, and nothing ran since).
        unsafe { std::ptr::copy(data.as_ptr(), (self.addr + a) as *mut u8, data.len()) };
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!(
            "<rffi.buffer object of {} bytes at 0x{:x}>",
            self.size, self.addr
        )
    }

    /// The buffer protocol: a writable, one-dimensional view of unsigned bytes.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let (addr, size) = {
            let b = slf.get();
            b.owner.check_live()?;
            (b.addr, b.size)
        };
        // SAFETY: `view` is the caller's Py_buffer to fill; the memory stays
        // valid while the exporter (`slf`, kept in `view.obj`) lives.
        let rc = unsafe {
            ffi::PyBuffer_FillInfo(
                view,
                slf.as_ptr(),
                addr as *mut c_void,
                size as ffi::Py_ssize_t,
                0,
                flags,
            )
        };
        if rc != 0 {
            return Err(PyErr::fetch(slf.py()));
        }
        // As while a C call uses it: `ffi.release` meanwhile lets the
        // memory go only when the view is released.
        if let Some(m) = slf.get().owner.call_guarded() {
            m.enter_call();
        }
        Ok(())
    }

    unsafe fn __releasebuffer__(slf: Bound<'_, Self>, _view: *mut ffi::Py_buffer) {
        if let Some(m) = slf.get().owner.call_guarded() {
            m.exit_call();
        }
    }
}

/// A Python buffer held for as long as a `from_buffer` cdata lives, so the
/// exporter can neither free nor move it.
#[pyclass(name = "_BufferHold", module = "rffi", frozen)]
pub struct BufferHold {
    view: std::sync::Mutex<HeldView>,
}

struct HeldView(Box<ffi::Py_buffer>);

// SAFETY: the view is only touched when it is released, in `drop`, which
// attaches to the interpreter first.
unsafe impl Send for HeldView {}

/// The memory of `obj`'s buffer: (address, length, read-only), held by the returned object.
pub fn hold(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    writable: bool,
) -> PyResult<(usize, usize, Py<BufferHold>)> {
    let mut view: Box<ffi::Py_buffer> = Box::new(
        // SAFETY: Py_buffer is a plain C struct for which all-zero is a valid empty value.
        unsafe { std::mem::zeroed() },
    );
    let flags = if writable {
        ffi::PyBUF_WRITABLE
    } else {
        ffi::PyBUF_SIMPLE
    };
    // SAFETY: `obj` is a live object and `view` a writable Py_buffer.
    let rc = unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), &mut *view, flags) };
    if rc != 0 {
        let err = PyErr::fetch(py);
        if err.is_instance_of::<PyBufferError>(py) && writable {
            return Err(err);
        }
        return Err(PyTypeError::new_err(format!(
            "a bytes-like object is required, not '{}'",
            obj.get_type().name()?
        )));
    }
    let (addr, len) = (view.buf as usize, view.len as usize);
    let hold = Py::new(
        py,
        BufferHold {
            view: std::sync::Mutex::new(HeldView(view)),
        },
    )?;
    Ok((addr, len, hold))
}

#[pymethods]
impl BufferHold {
    /// The exporter the view holds may refer back to the `from_buffer`
    /// cdata holding this (`b.p = ffi.from_buffer(b)`): the collector sees
    /// it, as cffi's. The cdata, or the exporter, breaks such a cycle.
    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        // Never wait in the collector: the view is only locked to release it.
        let Ok(view) = self.view.try_lock() else {
            return Ok(());
        };
        if view.0.obj.is_null() {
            return Ok(());
        }
        // SAFETY: the collector runs with the GIL held, and the view owns a
        // reference to its exporter, which is lent here for the visit and
        // never dropped (so counted neither up nor down).
        let exporter = std::mem::ManuallyDrop::new(unsafe {
            Bound::<PyAny>::from_owned_ptr(Python::assume_attached(), view.0.obj).unbind()
        });
        visit.call(&*exporter)
    }
}

impl Drop for BufferHold {
    fn drop(&mut self) {
        let view = self.view.get_mut().unwrap_or_else(|e| e.into_inner());
        Python::attach(|_| {
            // SAFETY: the view was filled by PyObject_GetBuffer and is released once, here.
            unsafe { ffi::PyBuffer_Release(&mut *view.0) }
        });
    }
}
