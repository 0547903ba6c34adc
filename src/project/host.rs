//! The runtime settings files run in: djq's Python ([`crate::py`]) with the project
//! folder as its module search root, and this host, whose only objects are the libraries
//! settings read their database from ([`super::libs`]). It knows nothing of Django's ORM:
//! settings define values, and [`super::settings`] reads them.

use super::libs::{self, Lib};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Each, Flow, Host, Interp, Module, Obj};
use crate::syntax::ast::{BinOp, Expr, UnaryOp};
use std::ops::ControlFlow;
use std::rc::Rc;

/// The settings runtime's host.
pub struct SettingsHost;

/// An interpreter for settings files.
pub type SettingsRuntime = Interp<SettingsHost>;

fn not_supported(what: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::NotSupported,
        format!("{what} is not supported in settings files by djq yet"),
    )
    .at(span)
}

impl Host for SettingsHost {
    fn name(_cx: &mut Interp<Self>, _name: &str, _span: Span) -> Result<Option<Obj>> {
        Ok(None)
    }

    fn names(&self) -> Vec<String> {
        Vec::new()
    }

    fn module(&self, name: &str) -> Option<Module> {
        libs::module(name)
    }

    fn attribute(
        _cx: &mut Interp<Self>,
        obj: &Obj,
        name: &str,
        _span: Span,
    ) -> Result<Option<Obj>> {
        Ok(match obj.native::<Lib>() {
            Some(Lib::Env(_) | Lib::EnvClass) if libs::ENV_METHODS.contains(&name) => {
                Some(Obj::Method(Rc::new(obj.clone()), name.into()))
            }
            _ => None,
        })
    }

    fn set_attribute(
        _cx: &mut Interp<Self>,
        _obj: &Obj,
        name: &str,
        _value: Obj,
        span: Span,
    ) -> Result<()> {
        Err(not_supported(&format!("setting attribute '{name}'"), span))
    }

    fn call(cx: &mut Interp<Self>, f: &Obj, args: Args) -> Result<Obj> {
        match f.native_rc::<Lib>() {
            Some(lib) => libs::call(cx, &lib, &args),
            None => Err(Diagnostic::new(ErrorKind::Type, "object is not callable").at(args.span)),
        }
    }

    fn call_method(cx: &mut Interp<Self>, recv: Obj, name: &str, args: Args) -> Result<Obj> {
        let lib = recv.native_rc::<Lib>();
        lib.and_then(|lib| libs::call_method(cx, &lib, name, &args))
            .unwrap_or_else(|| {
                Err(Diagnostic::new(
                    ErrorKind::Attribute,
                    format!("'{}' object has no attribute '{name}'", recv.type_name()),
                )
                .at(args.span))
            })
    }

    fn unary(_cx: &mut Interp<Self>, _op: UnaryOp, _v: &Obj, _span: Span) -> Option<Result<Obj>> {
        None
    }

    fn binary(
        _cx: &mut Interp<Self>,
        _op: BinOp,
        _l: &Obj,
        _r: &Obj,
        _span: Span,
    ) -> Option<Result<Obj>> {
        None
    }

    fn truthy(_cx: &mut Interp<Self>, _o: &Obj, _span: Span) -> Result<bool> {
        Ok(true)
    }

    fn len(_cx: &mut Interp<Self>, _o: &Obj, _span: Span) -> Result<Option<usize>> {
        Ok(None)
    }

    fn items(_cx: &mut Interp<Self>, _o: &Obj, _span: Span) -> Result<Option<Vec<Obj>>> {
        Ok(None)
    }

    fn stream<B>(
        _cx: &mut Interp<Self>,
        _o: &Obj,
        _span: Span,
        _each: &mut Each<'_, Self, B>,
    ) -> Option<Result<ControlFlow<B>>> {
        None
    }

    fn subscript(_cx: &mut Interp<Self>, obj: Obj, _index: &Expr, span: Span) -> Result<Obj> {
        Err(Diagnostic::new(
            ErrorKind::Type,
            format!("'{}' object is not subscriptable", obj.type_name()),
        )
        .at(span))
    }

    fn take_items(_cx: &mut Interp<Self>, _o: &Obj, _span: Span) -> Option<Result<Vec<Obj>>> {
        None
    }

    fn str(cx: &mut Interp<Self>, o: &Obj) -> Result<String> {
        Self::repr(cx, o)
    }

    fn repr(_cx: &mut Interp<Self>, o: &Obj) -> Result<String> {
        Ok(match o.native::<Lib>() {
            Some(Lib::DbUrl(name)) => format!("<function {name}>"),
            Some(Lib::EnvClass) => "<class 'environ.environ.Env'>".into(),
            Some(Lib::Env(_)) => "<environ.environ.Env object>".into(),
            None => format!("<{}>", o.type_name()),
        })
    }

    fn is_instance(&self, _o: &Obj, _cls: &Obj) -> Option<bool> {
        None
    }

    fn guarded(
        cx: &mut Interp<Self>,
        body: &mut dyn FnMut(&mut Interp<Self>) -> Result<Flow>,
    ) -> Result<Flow> {
        body(cx)
    }

    fn with_context(
        _cx: &mut Interp<Self>,
        _ctx: &Obj,
        span: Span,
        _body: &mut dyn FnMut(&mut Interp<Self>, Obj) -> Result<Flow>,
    ) -> Result<Flow> {
        Err(not_supported("a `with` statement", span))
    }

    fn is_silent(&self, _f: &Obj) -> bool {
        false
    }

    fn is_method(_cx: &Interp<Self>, recv: &Obj, name: &str) -> bool {
        matches!(recv.native::<Lib>(), Some(Lib::Env(_) | Lib::EnvClass))
            && libs::ENV_METHODS.contains(&name)
    }
}

/// A fresh settings runtime finding modules under `root`.
pub fn runtime(root: std::path::PathBuf) -> SettingsRuntime {
    let mut rt = Interp::with_host(SettingsHost, Box::new(std::io::sink()));
    rt.set_module_root(root);
    rt
}
