//! Containers inside containers: lists, tuples, named rows, dicts and sets may nest to any
//! depth and even hold themselves (`a.append(a)`), as in Python. This module owns what keeps
//! that from overflowing the stack, and the table a set keeps its items in ([`table`]):
//!
//! - [`Nest`] wraps a container's items and frees them level by level when the container is
//!   dropped (CPython's "trashcan"), instead of recursing once per level;
//! - [`deeper`] guards every traversal that recurses into items (`==`, ordering, `repr()`):
//!   past [`LIMIT`] levels it raises Python's RecursionError;
//! - [`py_eq`] and [`is`] are Python's `==` and `is` on objects, with the identity shortcut
//!   that makes a list holding itself equal to itself;
//! - [`collect`] frees reference cycles nothing else refers to, as CPython's gc does;
//! - [`Writing`] marks the containers whose `repr()` or JSON is being written, so one inside
//!   itself shows as `[...]`, `(...)` or `{...}` (or is refused, in JSON).

pub mod collect;
pub mod table;

pub use collect::{dict as track_dict, list as track_list, set as track_set};
pub use table::{SetObj, SetRef, Table};

pub use super::obj::{DictRef, ListRef, Obj};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::value::Value;
use std::cell::{Cell, RefCell};
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

/// How many containers deep a traversal may go: Python's recursion limit. A thread whose
/// stack runs low first (a test's 2 MiB thread, a debug build's large frames) stops earlier,
/// with [`RED_ZONE`] bytes of stack left.
pub const LIMIT: usize = 1000;

/// The stack a traversal keeps in reserve: below it, the next level is a RecursionError.
const RED_ZONE: usize = 256 * 1024;

/// A container's items: dropping them hands nested containers to [`bury`], so freeing a
/// list nested a million levels deep takes constant stack.
#[derive(Debug, Default)]
pub struct Nest<T: Items>(T);

impl<T: Items> Nest<T> {
    pub fn new(items: T) -> Nest<T> {
        Nest(items)
    }
}

impl<T: Items> Deref for Nest<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Items> DerefMut for Nest<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Items> Drop for Nest<T> {
    fn drop(&mut self) {
        bury(self.0.take_nested());
    }
}

/// What a [`Nest`] holds.
pub trait Items {
    /// Take out the items whose own drop could recurse (when there are any).
    fn take_nested(&mut self) -> Vec<Obj>;
}

impl Items for Vec<Obj> {
    fn take_nested(&mut self) -> Vec<Obj> {
        if self.iter().any(is_nested) {
            std::mem::take(self)
        } else {
            Vec::new()
        }
    }
}

impl Items for Vec<(String, Obj)> {
    fn take_nested(&mut self) -> Vec<Obj> {
        if self.iter().any(|(_, o)| is_nested(o)) {
            std::mem::take(self).into_iter().map(|(_, o)| o).collect()
        } else {
            Vec::new()
        }
    }
}

impl Items for Vec<(Obj, Obj)> {
    fn take_nested(&mut self) -> Vec<Obj> {
        if self.iter().any(|(k, v)| is_nested(k) || is_nested(v)) {
            std::mem::take(self)
                .into_iter()
                .flat_map(|(k, v)| [k, v])
                .collect()
        } else {
            Vec::new()
        }
    }
}

impl<T: Items> Items for RefCell<T> {
    fn take_nested(&mut self) -> Vec<Obj> {
        self.get_mut().take_nested()
    }
}

/// Whether dropping `o` may drop a container.
pub fn is_nested(o: &Obj) -> bool {
    matches!(
        o,
        Obj::List(_) | Obj::Tuple(_) | Obj::Row(_) | Obj::Dict(_) | Obj::Set(_) | Obj::Method(..)
    )
}

thread_local! {
    /// Objects waiting to be dropped, and whether a [`bury`] further up is dropping them.
    static PIT: RefCell<Vec<Obj>> = const { RefCell::new(Vec::new()) };
    static DIGGING: Cell<bool> = const { Cell::new(false) };
}

/// Drop `objs` one at a time; containers they free while this runs add their own items here
/// instead of recursing.
fn bury(objs: Vec<Obj>) {
    if objs.is_empty() {
        return;
    }
    // While the thread is shutting down the pit is gone: drop in place.
    if PIT.try_with(|p| p.borrow_mut().extend(objs)).is_err() || DIGGING.replace(true) {
        return;
    }
    while let Some(o) = PIT.with(|p| p.borrow_mut().pop()) {
        drop(o);
    }
    DIGGING.set(false);
}

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// One level of a recursive traversal; leaving it (dropping this) goes back up.
pub struct Deeper(());

impl Drop for Deeper {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Go one container deeper, or raise RecursionError `while` (Python's wording: "in
/// comparison", "while getting the repr of an object").
pub fn deeper(while_: &str) -> Result<Deeper> {
    DEPTH.with(|d| {
        if d.get() >= LIMIT || stack_left().is_some_and(|left| left < RED_ZONE) {
            return Err(Diagnostic::new(
                ErrorKind::Python("RecursionError".into()),
                format!("maximum recursion depth exceeded {while_}"),
            ));
        }
        d.set(d.get() + 1);
        Ok(Deeper(()))
    })
}

/// Bytes of stack left below the caller on this thread, where the platform tells.
#[cfg(target_os = "linux")]
fn stack_left() -> Option<usize> {
    thread_local! {
        /// The lowest address of this thread's stack (0: unknown).
        static LOW: usize = stack_low();
    }
    let low = LOW.with(|l| *l);
    let here = &low as *const usize as usize;
    (low != 0).then(|| here.saturating_sub(low))
}

#[cfg(not(target_os = "linux"))]
fn stack_left() -> Option<usize> {
    None
}

/// `pthread_getattr_np`'s stack address of the running thread (the main thread's too).
#[cfg(target_os = "linux")]
fn stack_low() -> usize {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    let mut addr: *mut libc::c_void = std::ptr::null_mut();
    let mut size: libc::size_t = 0;
    // SAFETY: `attr` is initialized by pthread_getattr_np before it is read, and destroyed
    // once; `addr` and `size` are plain out-parameters.
    unsafe {
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return 0;
        }
        let ok = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        if ok { addr as usize } else { 0 }
    }
}

thread_local! {
    static WRITING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// A container whose `repr()` or JSON is being written (CPython's `Py_ReprEnter`).
pub struct Writing(Option<usize>);

/// The container is already being written further up: it is inside itself.
pub struct InsideItself;

impl Writing {
    /// Start writing `o` (for anything but a container, a guard that does nothing).
    pub fn enter(o: &Obj) -> std::result::Result<Writing, InsideItself> {
        let key = match o {
            Obj::List(l) => Rc::as_ptr(l).cast::<()>() as usize,
            Obj::Dict(d) => Rc::as_ptr(d).cast::<()>() as usize,
            Obj::Tuple(t) => Rc::as_ptr(t).cast::<()>() as usize,
            Obj::Row(r) => Rc::as_ptr(r).cast::<()>() as usize,
            Obj::Set(s) => Rc::as_ptr(s).cast::<()>() as usize,
            _ => return Ok(Writing(None)),
        };
        WRITING.with(|w| {
            let mut w = w.borrow_mut();
            if w.contains(&key) {
                return Err(InsideItself);
            }
            w.push(key);
            Ok(Writing(Some(key)))
        })
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        if let Some(key) = self.0 {
            WRITING.with(|w| w.borrow_mut().retain(|k| *k != key));
        }
    }
}

/// Python's `is`: the same container, function or exception; None and booleans are
/// singletons; other values are compared by value.
pub fn is(a: &Obj, b: &Obj) -> bool {
    match (a, b) {
        (Obj::List(x), Obj::List(y)) => Rc::ptr_eq(x, y),
        (Obj::Tuple(x), Obj::Tuple(y)) => Rc::ptr_eq(x, y),
        (Obj::Row(x), Obj::Row(y)) => Rc::ptr_eq(x, y),
        (Obj::Dict(x), Obj::Dict(y)) => Rc::ptr_eq(x, y),
        (Obj::Set(x), Obj::Set(y)) => Rc::ptr_eq(x, y),
        (Obj::Builtin(x), Obj::Builtin(y)) => x == y,
        (Obj::Type(x), Obj::Type(y)) => x == y,
        (Obj::Native(x), Obj::Native(y)) => {
            Rc::ptr_eq(x, y) || (x.is_singleton() && x.equals(&**y))
        }
        (Obj::Function(x), Obj::Function(y)) => Rc::ptr_eq(x, y),
        (Obj::Exception(x), Obj::Exception(y)) => Rc::ptr_eq(x, y),
        (Obj::Class(x), Obj::Class(y)) => Rc::ptr_eq(x, y),
        (Obj::Object(x), Obj::Object(y)) => Rc::ptr_eq(x, y),
        (Obj::Value(x @ (Value::Null | Value::Bool(_))), Obj::Value(y)) => x == y,
        _ => false,
    }
}

/// Python's `==`. Containers compare item by item (an item that `is` the other equals it
/// without looking inside); querysets, functions and exceptions only equal themselves.
pub fn py_eq(a: &Obj, b: &Obj) -> Result<bool> {
    // An enum member is its value.
    if let (x @ std::borrow::Cow::Owned(_), y) | (x, y @ std::borrow::Cow::Owned(_)) =
        (crate::py::obj::as_plain(a), crate::py::obj::as_plain(b))
    {
        return py_eq(&x, &y);
    }
    Ok(match (a, b) {
        (Obj::Value(x), Obj::Value(y)) => match (x.as_number(), y.as_number()) {
            (Some(p), Some(q)) => p == q,
            // Aware datetimes are equal at the same instant, whatever their zones.
            _ => match (x.instant(), y.instant()) {
                (Some(p), Some(q)) => p == q,
                _ => x == y,
            },
        },
        (Obj::List(x), Obj::List(y)) => {
            Rc::ptr_eq(x, y) || items_eq(x.borrow().iter(), y.borrow().iter())?
        }
        (Obj::Tuple(_) | Obj::Row(_), Obj::Tuple(_) | Obj::Row(_)) => {
            is(a, b) || items_eq(tuple_items(a).into_iter(), tuple_items(b).into_iter())?
        }
        (Obj::Dict(x), Obj::Dict(y)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            let (x, y) = (x.borrow(), y.borrow());
            if x.len() != y.len() {
                return Ok(false);
            }
            let _level = deeper("in comparison")?;
            for (k, v) in x.iter() {
                let mut found = None;
                for (k2, v2) in y.iter() {
                    if is(k, k2) || py_eq(k, k2)? {
                        found = Some(v2);
                        break;
                    }
                }
                match found {
                    Some(v2) if is(v, v2) || py_eq(v, v2)? => {}
                    _ => return Ok(false),
                }
            }
            true
        }
        // Ranges are equal when they give the same numbers.
        (Obj::Range(x), Obj::Range(y)) => {
            let n = x.len();
            n == y.len() && (n == 0 || (x.start == y.start && (n == 1 || x.step == y.step)))
        }
        (Obj::Set(x), Obj::Set(y)) => {
            Rc::ptr_eq(x, y) || {
                let _level = deeper("in comparison")?;
                x.table.borrow().equals(&y.table.borrow())?
            }
        }
        (Obj::Method(x, n), Obj::Method(y, m)) => n == m && is(x, y),
        (Obj::Native(x), Obj::Native(y)) => Rc::ptr_eq(x, y) || x.equals(&**y),
        (Obj::Builtin(x), Obj::Builtin(y)) => x == y,
        (Obj::Module(x), Obj::Module(y)) | (Obj::ExceptionClass(x), Obj::ExceptionClass(y)) => {
            x == y
        }
        _ => is(a, b),
    })
}

/// The position of the first of `items` that equals `x` (`list.index`, `in`, dict keys).
pub fn position<'a>(items: impl IntoIterator<Item = &'a Obj>, x: &Obj) -> Result<Option<usize>> {
    for (i, item) in items.into_iter().enumerate() {
        if is(item, x) || py_eq(item, x)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// A tuple's or named row's items.
fn tuple_items(o: &Obj) -> Vec<&Obj> {
    match o {
        Obj::Tuple(t) => t.iter().collect(),
        Obj::Row(r) => r.iter().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    }
}

fn items_eq<'a>(
    a: impl ExactSizeIterator<Item = &'a Obj>,
    b: impl ExactSizeIterator<Item = &'a Obj>,
) -> Result<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    let _level = deeper("in comparison")?;
    for (x, y) in a.zip(b) {
        if !(is(x, y) || py_eq(x, y)?) {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_a_million_levels_deep_drop_in_constant_stack() {
        let mut o = Obj::list(Vec::new());
        for i in 0..1_000_000 {
            o = match i % 4 {
                0 => Obj::list(vec![o]),
                1 => Obj::tuple(vec![Obj::int(i), o]),
                2 => Obj::dict(vec![(Obj::str("k"), o)]),
                _ => Obj::row(vec![("x".into(), o)]),
            };
        }
        drop(o);
    }

    #[test]
    fn a_list_inside_itself_equals_itself_and_is_written_once() {
        let a = Obj::list(Vec::new());
        let Obj::List(cell) = &a else { unreachable!() };
        cell.borrow_mut().push(a.clone());
        assert!(py_eq(&a, &a.clone()).unwrap());
        assert_eq!(position([&a], &a).unwrap(), Some(0));
        let outer = Writing::enter(&a);
        assert!(outer.is_ok());
        assert!(Writing::enter(&a).is_err());
        drop(outer);
        assert!(Writing::enter(&a).is_ok());
        // Break the cycle so the test does not leak.
        cell.borrow_mut().clear();
    }

    #[test]
    fn comparing_two_lists_inside_themselves_is_a_recursion_error() {
        let make = || {
            let l = Obj::list(Vec::new());
            if let Obj::List(cell) = &l {
                cell.borrow_mut().push(l.clone());
            }
            l
        };
        let (a, b) = (make(), make());
        let e = py_eq(&a, &b).unwrap_err();
        assert_eq!(e.message, "maximum recursion depth exceeded in comparison");
        for l in [a, b] {
            if let Obj::List(cell) = l {
                cell.borrow_mut().clear();
            }
        }
    }
}
