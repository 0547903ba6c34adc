//! Statements: assignment, control flow (`if`, `for`, `while`, `break`, `continue`,
//! `try`/`except`/`else`/`finally`, `raise`, `assert`), imports, `with transaction.atomic():`,
//! and small helper functions (`def`, `lambda`) with their local scopes; comprehensions run in
//! a scope of their own, as in Python 3.

use super::args::Args;
use super::obj::{Function, FunctionBody, Obj};
use super::{Host, Interp, Names};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{
    Comprehension, ExceptHandler, Expr, ExprKind, ParamKind, Stmt, StmtKind, WithItem,
};
use std::convert::Infallible;
use std::ops::ControlFlow;
use std::rc::Rc;

/// How a statement ended.
pub enum Flow {
    Next,
    Break,
    Continue,
    Return(Obj),
}

/// Calls nested deeper than this are refused (instead of overflowing the stack).
const MAX_CALL_DEPTH: usize = 100;

impl<H: Host> Interp<H> {
    /// Run one statement (nested statements display nothing).
    pub fn exec(&mut self, stmt: &Stmt) -> Result<Flow> {
        match &stmt.kind {
            StmtKind::Expr(e) => self.eval(e).map(|_| Flow::Next),
            StmtKind::Assign { targets, value } => {
                let v = self.eval(value)?;
                for t in targets {
                    self.assign(t, v.clone())?;
                }
                Ok(Flow::Next)
            }
            StmtKind::AugAssign { target, op, value } => {
                match &target.kind {
                    ExprKind::Name(name) => {
                        let current = self.eval(target)?;
                        let v = self.eval(value)?;
                        let v = self.augmented(*op, current, v, stmt.span)?;
                        self.bind(name, v);
                    }
                    ExprKind::Subscript {
                        value: container,
                        index,
                    } => {
                        let container = self.eval(container)?;
                        let key = self.eval(index)?;
                        let current = self.item(&container, &key, index.span)?;
                        let v = self.eval(value)?;
                        let v = self.augmented(*op, current, v, stmt.span)?;
                        self.set_item(&container, key, v, target.span)?;
                    }
                    _ => return Err(cannot_assign(target)),
                }
                Ok(Flow::Next)
            }
            StmtKind::AnnAssign { target, value, .. } => {
                if let Some(value) = value {
                    let v = self.eval(value)?;
                    self.assign(target, v)?;
                }
                Ok(Flow::Next)
            }
            StmtKind::Import(aliases) => self.exec_import(aliases).map(|()| Flow::Next),
            StmtKind::ImportFrom {
                module,
                level,
                names,
            } => self
                .exec_import_from(module, *level, names, stmt.span)
                .map(|()| Flow::Next),
            StmtKind::Pass => Ok(Flow::Next),
            StmtKind::Break => Ok(Flow::Break),
            StmtKind::Continue => Ok(Flow::Continue),
            StmtKind::Return(value) => Ok(Flow::Return(match value {
                Some(e) => self.eval(e)?,
                None => Obj::NONE,
            })),
            StmtKind::If { test, body, orelse } => {
                let t = self.eval(test)?;
                let branch = if self.truthy(&t, test)? { body } else { orelse };
                self.exec_block(branch)
            }
            StmtKind::For {
                target,
                iter,
                body,
                orelse,
            } => {
                let ended = self.for_each(iter, |s, item| {
                    super::check_interrupt()?;
                    s.assign(target, item)?;
                    Ok(match s.exec_block(body)? {
                        Flow::Break => ControlFlow::Break(Flow::Next),
                        Flow::Return(v) => ControlFlow::Break(Flow::Return(v)),
                        Flow::Next | Flow::Continue => ControlFlow::Continue(()),
                    })
                })?;
                match ended {
                    ControlFlow::Break(flow) => Ok(flow),
                    ControlFlow::Continue(()) => self.exec_block(orelse),
                }
            }
            StmtKind::While { test, body, orelse } => {
                loop {
                    super::check_interrupt()?;
                    let t = self.eval(test)?;
                    if !self.truthy(&t, test)? {
                        break;
                    }
                    match self.exec_block(body)? {
                        Flow::Break => return Ok(Flow::Next),
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Next | Flow::Continue => {}
                    }
                }
                self.exec_block(orelse)
            }
            StmtKind::With { items, body } => self.exec_with(items, body),
            StmtKind::FunctionDef {
                name,
                params,
                body,
                decorators,
            } => {
                let f = super::classes::function(&name.name, params, body);
                let f = self.decorate(f, decorators)?;
                self.bind(&name.name, f);
                Ok(Flow::Next)
            }
            StmtKind::ClassDef {
                name,
                bases,
                body,
                decorators,
            } => {
                let c = self.define_class(&name.name, bases, body, None, false)?;
                let c = match H::class_made(self, &c, body)? {
                    Some(made) => made,
                    None => Obj::Class(c),
                };
                let c = self.decorate(c, decorators)?;
                self.bind(&name.name, c);
                Ok(Flow::Next)
            }
            StmtKind::Try {
                body,
                handlers,
                orelse,
                finalbody,
            } => self.exec_try(body, handlers, orelse, finalbody),
            StmtKind::Raise(value) => Err(match value {
                Some(e) => {
                    let v = self.eval(e)?;
                    self.raised(v, stmt.span)
                }
                None => self.handling.last().cloned().unwrap_or_else(|| {
                    Diagnostic::new(
                        ErrorKind::Python("RuntimeError".into()),
                        "No active exception to reraise",
                    )
                    .at(stmt.span)
                }),
            }),
            StmtKind::Assert { test, msg } => {
                let t = self.eval(test)?;
                if self.truthy(&t, test)? {
                    return Ok(Flow::Next);
                }
                let message = match msg {
                    Some(m) => {
                        let m = self.eval(m)?;
                        self.py_str(&m)?
                    }
                    None => String::new(),
                };
                Err(
                    Diagnostic::new(ErrorKind::Python("AssertionError".into()), message)
                        .at(stmt.span),
                )
            }
            // A statement of models.py that djq read past: its own error, where it is.
            StmtKind::Unread { error, .. } => Err((**error).clone()),
            // An `async def` defines a function that raises when it is called.
            StmtKind::Async(inner) if matches!(inner.kind, StmtKind::FunctionDef { .. }) => {
                let StmtKind::FunctionDef { name, params, .. } = &inner.kind else {
                    unreachable!("matched above")
                };
                let error = Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!("'async def' ({}) is not supported by djq", name.name),
                )
                .at(name.span);
                let raises = Stmt {
                    kind: StmtKind::Unread {
                        defines: None,
                        error: Box::new(error),
                    },
                    span: stmt.span,
                };
                let f = super::classes::function(&name.name, params, &[raises]);
                self.bind(&name.name, f);
                Ok(Flow::Next)
            }
            _ if stmt.unsupported_feature().is_some() => {
                let (feature, span) = stmt.unsupported_feature().expect("checked");
                Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!("{feature} is not supported by djq"),
                )
                .at(span))
            }
            _ => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "this statement is not supported by djq yet",
            )
            .at(stmt.span)),
        }
    }

    /// `with a, b:` — each item a context the host runs the rest in; `as x` binds what it
    /// enters with.
    fn exec_with(&mut self, items: &[WithItem], body: &[Stmt]) -> Result<Flow> {
        let Some((item, rest)) = items.split_first() else {
            return self.exec_block(body);
        };
        let ctx = self.eval(&item.context)?;
        H::with_context(self, &ctx, item.context.span, &mut |s, entered| {
            if let Some(target) = &item.target {
                s.assign(target, entered)?;
            }
            s.exec_with(rest, body)
        })
    }

    /// `try`: the body (run by [`Host::guarded`]: a host may protect it, as Django's layer
    /// does with a savepoint inside a transaction), the first handler that catches its error, `else` when it
    /// completed, `finally` however it ended (its error, `return`, `break` or `continue`
    /// wins).
    fn exec_try(
        &mut self,
        body: &[Stmt],
        handlers: &[ExceptHandler],
        orelse: &[Stmt],
        finalbody: &[Stmt],
    ) -> Result<Flow> {
        // With a `finally` only, the savepoints keep the transaction usable for it.
        let result = match H::guarded(self, &mut |s| s.exec_block(body)) {
            Ok(Flow::Next) => self.exec_block(orelse),
            Ok(flow) => Ok(flow),
            Err(d) => self.handle(d, handlers),
        };
        if finalbody.is_empty() {
            return result;
        }
        match self.exec_block(finalbody)? {
            Flow::Next => result,
            flow => Ok(flow),
        }
    }

    /// Run the first handler that catches `d`, with `d` as the exception being handled (and
    /// bound to its `as` name, which is unbound afterwards, as in Python); `d` again when none
    /// catches it.
    fn handle(&mut self, d: Diagnostic, handlers: &[ExceptHandler]) -> Result<Flow> {
        for h in handlers {
            let classes = match &h.typ {
                Some(t) => Some(self.eval(t)?),
                None => None,
            };
            if !super::exceptions::catches(&d, classes.as_ref(), h.span)? {
                continue;
            }
            if let Some(name) = &h.name {
                self.bind(&name.name, Obj::Exception(Rc::new(d.clone())));
            }
            self.handling.push(d);
            let result = self.exec_block(&h.body);
            self.handling.pop();
            if let Some(name) = &h.name {
                self.unbind(&name.name);
            }
            return result;
        }
        Err(d)
    }

    /// Run statements in order until one breaks, continues or returns.
    pub fn exec_block(&mut self, body: &[Stmt]) -> Result<Flow> {
        for s in body {
            match self.exec(s)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    pub fn assign(&mut self, target: &Expr, v: Obj) -> Result<()> {
        match &target.kind {
            ExprKind::Name(n) => {
                self.bind(n, v);
                Ok(())
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let values = self.iter_obj(&v, target)?;
                if values.len() != items.len() {
                    let msg = if values.len() > items.len() {
                        format!("too many values to unpack (expected {})", items.len())
                    } else {
                        format!(
                            "not enough values to unpack (expected {}, got {})",
                            items.len(),
                            values.len()
                        )
                    };
                    return Err(Diagnostic::new(ErrorKind::Value, msg).at(target.span));
                }
                for (t, v) in items.iter().zip(values) {
                    self.assign(t, v)?;
                }
                Ok(())
            }
            ExprKind::Subscript {
                value: container,
                index,
            } if !matches!(index.kind, ExprKind::Slice { .. }) => {
                let container = self.eval(container)?;
                let key = self.eval(index)?;
                self.set_item(&container, key, v, target.span)
            }
            ExprKind::Attribute { value: owner, attr } => {
                let owner = self.eval(owner)?;
                match self.set_class_attribute(&owner, &attr.name, v, target.span)? {
                    None => Ok(()),
                    Some(v) if matches!(owner, Obj::Native(_)) => {
                        H::set_attribute(self, &owner, &attr.name, v, target.span)
                    }
                    Some(_) => Err(cannot_assign(target)),
                }
            }
            _ => Err(cannot_assign(target)),
        }
    }

    /// Bind a name in the innermost scope (a function's or comprehension's locals, else the
    /// session's globals).
    pub(super) fn bind(&mut self, name: &str, v: Obj) {
        match self.frames.last_mut() {
            Some(frame) => frame.insert(name.to_string(), v),
            None => self.vars.insert(name.to_string(), v),
        };
    }

    /// Bind a global variable (the shell's `_`).
    pub fn set_global(&mut self, name: &str, v: Obj) {
        match self.vars.get_mut(name) {
            Some(slot) => *slot = v,
            None => {
                self.vars.insert(name.to_string(), v);
            }
        }
    }

    /// Remove a name from the innermost scope.
    fn unbind(&mut self, name: &str) {
        match self.frames.last_mut() {
            Some(frame) => frame.remove(name),
            None => self.vars.remove(name),
        };
    }

    /// A name's value: local scopes innermost first, then the session's globals.
    pub fn variable(&self, name: &str) -> Option<&Obj> {
        self.frames
            .iter()
            .rev()
            .find_map(|f| f.get(name))
            .or_else(|| self.vars.get(name))
    }

    /// Run `f` in a new local scope holding `locals`.
    pub fn in_scope<T>(
        &mut self,
        locals: Names,
        f: impl FnOnce(&mut Interp<H>) -> Result<T>,
    ) -> Result<T> {
        self.frames.push(locals);
        let res = f(self);
        self.frames.pop();
        res
    }

    /// Call a `def` or `lambda` function.
    pub fn call_function(&mut self, f: &Function, args: Args) -> Result<Obj> {
        let span = args.span;
        let locals = self.bind_params(f, args)?;
        self.run_function(f, locals).map_err(|d| d.at(span))
    }

    /// Run a function's body with its parameters bound (`locals`).
    pub(super) fn run_function(&mut self, f: &Function, locals: Names) -> Result<Obj> {
        if self.frames.len() >= MAX_CALL_DEPTH {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("calls nested deeper than {MAX_CALL_DEPTH} are not supported by djq"),
            ));
        }
        self.in_scope(locals, |s| match &f.body {
            FunctionBody::Expr(e) => s.eval(e),
            FunctionBody::Block(body) => match s.exec_block(body)? {
                Flow::Return(v) => Ok(v),
                _ => Ok(Obj::NONE),
            },
        })
    }

    pub(super) fn bind_params(&mut self, f: &Function, args: Args) -> Result<Names> {
        let span = args.span;
        let type_error = |msg: String| Diagnostic::new(ErrorKind::Type, msg).at(span);
        let mut locals = Names::default();
        let mut pos = args.pos.into_iter().map(|(o, _)| o);
        let mut kw: Vec<(String, Obj)> = args.kw.into_iter().map(|(k, v, _)| (k, v)).collect();
        let normal = f
            .params
            .iter()
            .filter(|p| p.kind == ParamKind::Normal)
            .count();
        for p in &f.params {
            let name = p.name.name.as_str().to_owned();
            let v = match p.kind {
                ParamKind::VarArgs => Obj::tuple(pos.by_ref().collect()),
                ParamKind::KwArgs => {
                    Obj::dict(kw.drain(..).map(|(k, v)| (Obj::str(k), v)).collect())
                }
                ParamKind::Normal => match pos.next() {
                    Some(v) => v,
                    None => match kw.iter().position(|(k, _)| *k == name) {
                        Some(i) => kw.remove(i).1,
                        None => match &p.default {
                            Some(d) => self.eval(d)?,
                            None => {
                                return Err(type_error(format!(
                                    "{}() missing 1 required positional argument: '{name}'",
                                    f.name
                                )));
                            }
                        },
                    },
                },
            };
            locals.insert(name, v);
        }
        let extra = pos.count();
        if extra > 0 {
            return Err(type_error(format!(
                "{}() takes {normal} positional argument{} but {} were given",
                f.name,
                if normal == 1 { "" } else { "s" },
                normal + extra
            )));
        }
        if let Some((k, _)) = kw.first() {
            return Err(type_error(format!(
                "{}() got an unexpected keyword argument '{k}'",
                f.name
            )));
        }
        Ok(locals)
    }

    /// Run the `for`/`if` clauses of a comprehension in a scope of its own, calling `emit`
    /// for each combination that passes the conditions.
    pub fn comprehension(
        &mut self,
        generators: &[Comprehension],
        emit: &mut dyn FnMut(&mut Interp<H>) -> Result<()>,
    ) -> Result<()> {
        self.in_scope(Names::default(), |s| s.generate(generators, emit))
    }

    fn generate(
        &mut self,
        generators: &[Comprehension],
        emit: &mut dyn FnMut(&mut Interp<H>) -> Result<()>,
    ) -> Result<()> {
        let Some((g, rest)) = generators.split_first() else {
            return emit(self);
        };
        let ControlFlow::Continue(()) = self.for_each(&g.iter, |s, item| {
            s.assign(&g.target, item)?;
            for cond in &g.ifs {
                let c = s.eval(cond)?;
                if !s.truthy(&c, cond)? {
                    return Ok(ControlFlow::<Infallible>::Continue(()));
                }
            }
            s.generate(rest, emit)?;
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(())
    }
}

fn cannot_assign(target: &Expr) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::NotSupported,
        "assigning to this target is not supported by djq yet",
    )
    .at(target.span)
}

/// `break`, `continue` or `return` where Python does not allow them.
pub fn misplaced(flow: &Flow, span: Span) -> Option<Diagnostic> {
    let what = match flow {
        Flow::Next => return None,
        Flow::Break => "'break' outside loop",
        Flow::Continue => "'continue' not properly in loop",
        Flow::Return(_) => "'return' outside function",
    };
    Some(Diagnostic::syntax(what, span))
}
