//! Expression evaluation: names, literals, attributes, calls, operators and subscripts.

use super::Session;
use super::nested::{deeper, is, position, py_eq};
use super::obj::{Builtin, Function, FunctionBody, Obj, QsKind, QuerySet, Range};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::query::expr::{Arith, Connector};
use crate::query::{FExpr, QNode};
use crate::syntax::ast::{Arg, BinOp, BoolOp, CmpOp, Expr, ExprKind, FStringPart, UnaryOp};
use crate::value::Value;
use std::convert::Infallible;
use std::ops::ControlFlow;
use std::rc::Rc;

/// Call arguments after evaluation, with the spans errors point at.
#[derive(Clone)]
pub struct Args {
    pub pos: Vec<(Obj, Span)>,
    /// `(name, value, span of the whole keyword argument)`
    pub kw: Vec<(String, Obj, Span)>,
    /// The span of the call.
    pub span: Span,
}

impl Args {
    pub fn kwarg(&self, name: &str) -> Option<&Obj> {
        self.kw
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v)
    }

    pub fn no_kwargs_except(&self, allowed: &[&str], func: &str) -> Result<()> {
        for (n, _, span) in &self.kw {
            if !allowed.contains(&n.as_str()) {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("{func}() got an unexpected keyword argument '{n}'"),
                )
                .at(*span));
            }
        }
        Ok(())
    }

    /// Positional arguments that must all be strings (field names).
    pub fn strings(&self, func: &str) -> Result<Vec<(String, Span)>> {
        self.pos
            .iter()
            .map(|(o, span)| match o {
                Obj::Value(Value::Text(s)) => Ok((s.clone(), *span)),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "{func}() arguments must be strings, not {}",
                        other.type_name()
                    ),
                )
                .at(*span)),
            })
            .collect()
    }
}

/// Names of `django.db.models` (and functions) djq does not implement yet.
const LATER: &[&str] = &["Prefetch", "Func", "Window", "FilteredRelation"];

impl Session {
    pub(super) fn eval(&mut self, e: &Expr) -> Result<Obj> {
        match &e.kind {
            ExprKind::Name(n) => self.lookup_name(n, e.span),
            ExprKind::Int(i) => Ok(Obj::int(*i)),
            ExprKind::Float(f) => Ok(Obj::Value(Value::Float(*f))),
            ExprKind::Str(s) => Ok(Obj::str(s.clone())),
            ExprKind::Bool(b) => Ok(Obj::bool(*b)),
            ExprKind::None => Ok(Obj::NONE),
            ExprKind::FString(parts) => Ok(Obj::str(self.fstring(parts)?)),
            ExprKind::List(items) => Ok(Obj::list(self.eval_all(items)?)),
            ExprKind::Tuple(items) => Ok(Obj::tuple(self.eval_all(items)?)),
            ExprKind::Set(items) => Ok(Obj::list(self.eval_all(items)?)),
            ExprKind::Dict(pairs) => {
                let mut out = Vec::new();
                for (k, v) in pairs {
                    out.push((self.eval(k)?, self.eval(v)?));
                }
                Ok(Obj::dict(dedup_keys(out).map_err(|d| d.at(e.span))?))
            }
            ExprKind::Attribute { value, attr } => {
                let obj = self.eval(value)?;
                self.attribute(obj, &attr.name, attr.span)
            }
            ExprKind::Call { func, args } => {
                let f = self.eval(func)?;
                let args = self.eval_args(args, e.span)?;
                self.call(f, args)
            }
            ExprKind::Subscript { value, index } => {
                let obj = self.eval(value)?;
                self.subscript(obj, index, e.span)
            }
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand)?;
                self.unary(*op, v, e.span)
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.eval(left)?;
                let r = self.eval(right)?;
                self.binary(*op, l, r, e.span)
            }
            ExprKind::Compare { left, ops } => {
                let mut l = self.eval(left)?;
                for (op, right) in ops {
                    let r = self.eval(right)?;
                    if !self.compare(*op, &l, &r, e.span)? {
                        return Ok(Obj::bool(false));
                    }
                    l = r;
                }
                Ok(Obj::bool(true))
            }
            ExprKind::BoolOp { op, values } => {
                let mut last = Obj::NONE;
                for v in values {
                    last = self.eval(v)?;
                    let t = self.truthy(&last, v)?;
                    match op {
                        BoolOp::And if !t => return Ok(last),
                        BoolOp::Or if t => return Ok(last),
                        _ => {}
                    }
                }
                Ok(last)
            }
            ExprKind::IfExp { test, body, orelse } => {
                let t = self.eval(test)?;
                if self.truthy(&t, test)? {
                    self.eval(body)
                } else {
                    self.eval(orelse)
                }
            }
            ExprKind::ListComp { elt, generators }
            | ExprKind::GeneratorExp { elt, generators }
            | ExprKind::SetComp { elt, generators } => {
                let mut out = Vec::new();
                self.comprehension(generators, &mut |s| {
                    out.push(s.eval(elt)?);
                    Ok(())
                })?;
                Ok(Obj::list(out))
            }
            ExprKind::DictComp {
                key,
                value,
                generators,
            } => {
                let mut out = Vec::new();
                self.comprehension(generators, &mut |s| {
                    out.push((s.eval(key)?, s.eval(value)?));
                    Ok(())
                })?;
                Ok(Obj::dict(dedup_keys(out).map_err(|d| d.at(e.span))?))
            }
            ExprKind::Lambda { params, body } => Ok(Obj::Function(Rc::new(Function {
                name: "<lambda>".into(),
                params: params.clone(),
                body: FunctionBody::Expr((**body).clone()),
            }))),
            _ => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "djq does not support this kind of expression yet",
            )
            .at(e.span)),
        }
    }

    /// Evaluate a top-level expression statement: `None` when there is nothing to display,
    /// i.e. for a call of `print` or of accepted boilerplate (`django.setup()`,
    /// `os.environ.setdefault(...)`), which Python's shell does not echo either.
    pub(super) fn eval_displayed(&mut self, e: &Expr) -> Result<Option<Obj>> {
        let ExprKind::Call { func, args } = &e.kind else {
            return self.eval(e).map(Some);
        };
        let f = self.eval(func)?;
        let silent = matches!(
            f,
            Obj::Builtin(Builtin::Print | Builtin::NoOp | Builtin::Dumpdata)
        );
        let args = self.eval_args(args, e.span)?;
        let v = self.call(f, args)?;
        Ok((!silent).then_some(v))
    }

    fn eval_all(&mut self, items: &[Expr]) -> Result<Vec<Obj>> {
        items.iter().map(|i| self.eval(i)).collect()
    }

    fn eval_args(&mut self, args: &[Arg], span: Span) -> Result<Args> {
        let mut out = Args {
            pos: Vec::new(),
            kw: Vec::new(),
            span,
        };
        for a in args {
            match a {
                Arg::Positional(e) => out.pos.push((self.eval(e)?, e.span)),
                Arg::Keyword { name, value } => {
                    let v = self.eval(value)?;
                    out.kw
                        .push((name.name.clone(), v, name.span.to(value.span)));
                }
                Arg::Star(e) => {
                    let v = self.eval(e)?;
                    for item in self.iter_obj(&v, e)? {
                        out.pos.push((item, e.span));
                    }
                }
                Arg::DoubleStar(e) => match self.eval(e)? {
                    Obj::Dict(pairs) => {
                        for (k, v) in pairs.borrow().iter() {
                            let Obj::Value(Value::Text(k)) = k else {
                                return Err(Diagnostic::new(
                                    ErrorKind::Type,
                                    "keywords must be strings",
                                )
                                .at(e.span));
                            };
                            out.kw.push((k.clone(), v.clone(), e.span));
                        }
                    }
                    other => {
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!(
                                "argument after ** must be a mapping, not {}",
                                other.type_name()
                            ),
                        )
                        .at(e.span));
                    }
                },
            }
        }
        Ok(out)
    }

    fn lookup_name(&mut self, n: &str, span: Span) -> Result<Obj> {
        if let Some(v) = self.variable(n) {
            return Ok(v.clone());
        }
        if let Some(m) = self
            .schema
            .user_models()
            .find(|(_, m)| m.name == n)
            .map(|(i, _)| i)
        {
            return Ok(Obj::Model(m));
        }
        if let Some(b) = builtin(n) {
            return Ok(b);
        }
        if LATER.contains(&n) {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("{n} is not supported by djq yet"),
            )
            .at(span));
        }
        let mut d = Diagnostic::new(ErrorKind::Name, format!("name '{n}' is not defined")).at(span);
        let candidates: Vec<&str> = self
            .vars
            .keys()
            .map(String::as_str)
            .chain(self.schema.user_models().map(|(_, m)| m.name.as_str()))
            .collect();
        if let Some(s) = crate::diag::suggest(n, candidates) {
            d = d.with_help(format!("did you mean '{s}'?"));
        }
        Err(d)
    }

    pub(super) fn attribute(&mut self, obj: Obj, name: &str, span: Span) -> Result<Obj> {
        match &obj {
            Obj::Model(m) => match name {
                "objects" => Ok(Obj::Manager(*m)),
                _ if MODEL_EXCEPTIONS.contains(&name) => Ok(Obj::ExceptionClass(format!(
                    "{}.{name}",
                    self.schema.model(*m).name
                ))),
                _ => Err(self.no_attribute(&obj, name, span)),
            },
            Obj::Manager(m) if name == "model" => Ok(Obj::Model(*m)),
            Obj::Manager(_) if name == "_db" => Ok(Obj::NONE),
            Obj::Manager(_) | Obj::QuerySet(_) => {
                let related = matches!(&obj, Obj::QuerySet(qs) if qs.related.is_some())
                    && super::related::RELATED_METHODS.contains(&name);
                let own = (name == "get_queryset" && matches!(obj, Obj::QuerySet(_)))
                    || self.has_custom_method(&obj, name);
                let queryset_only = matches!(obj, Obj::Manager(_))
                    && super::queryset::QUERYSET_ONLY.contains(&name);
                if related || own || (super::queryset::METHODS.contains(&name) && !queryset_only) {
                    Ok(Obj::Method(Rc::new(obj), name.to_string()))
                } else {
                    Err(self.no_attribute(&obj, name, span))
                }
            }
            Obj::Instance(inst) => self.instance_attribute(inst.clone(), name, span),
            Obj::Row(fields) => fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| self.no_attribute(&obj, name, span)),
            Obj::F(_) if matches!(name, "asc" | "desc") => {
                Ok(Obj::Method(Rc::new(obj), name.into()))
            }
            Obj::Module(m) => Ok(module_attribute(m, name)),
            Obj::Value(Value::Text(_)) => Ok(Obj::Method(Rc::new(obj), name.into())),
            Obj::Value(
                v
                @ (Value::Date(_) | Value::DateTime(_) | Value::NaiveDateTime(_) | Value::Time(_)),
            ) => {
                if TEMPORAL_METHODS.contains(&name) {
                    return Ok(Obj::Method(Rc::new(obj.clone()), name.into()));
                }
                temporal_part(v, name).ok_or_else(|| self.no_attribute(&obj, name, span))
            }
            Obj::ExceptionClass(c) if name == "__name__" => {
                Ok(Obj::str(super::exceptions::short_name(c)))
            }
            // ProtectedError.protected_objects / RestrictedError.restricted_objects (a set in
            // Django; a list here).
            Obj::Exception(e)
                if matches!(name, "protected_objects" | "restricted_objects")
                    && matches!(
                        e.kind,
                        crate::diag::ErrorKind::Protected | crate::diag::ErrorKind::Restricted
                    ) =>
            {
                Ok(Obj::list(
                    e.objects
                        .iter()
                        .map(|(m, values)| {
                            Obj::Instance(Rc::new(super::obj::Instance::new(*m, values.clone())))
                        })
                        .collect(),
                ))
            }
            // `e.args`: the message (Django's exceptions carry their message first).
            Obj::Exception(e) if name == "args" => Ok(Obj::tuple(if e.message.is_empty() {
                Vec::new()
            } else {
                vec![Obj::str(e.message.clone())]
            })),
            Obj::Dict(_) if super::containers::DICT_METHODS.contains(&name) => {
                Ok(Obj::Method(Rc::new(obj), name.into()))
            }
            Obj::List(_) if super::containers::LIST_METHODS.contains(&name) => {
                Ok(Obj::Method(Rc::new(obj), name.into()))
            }
            _ => Err(self.no_attribute(&obj, name, span)),
        }
    }

    pub(super) fn no_attribute(&self, obj: &Obj, name: &str, span: Span) -> Diagnostic {
        let owner = match obj {
            Obj::Model(m) => format!("type object '{}'", self.schema.model(*m).name),
            Obj::Instance(i) => format!("'{}' object", self.schema.model(i.model).name),
            other => format!("'{}' object", other.type_name()),
        };
        let mut d = Diagnostic::new(
            ErrorKind::Attribute,
            format!("{owner} has no attribute '{name}'"),
        )
        .at(span);
        if let Obj::Manager(m) = obj
            && super::queryset::QUERYSET_ONLY.contains(&name)
        {
            let model = &self.schema.model(*m).name;
            d = d.with_help(format!(
                "managers have no {name}(), so that no one empties a table by accident: \
                 {model}.objects.all().{name}()"
            ));
        } else if matches!(obj, Obj::Manager(_) | Obj::QuerySet(_))
            && let Some(s) = crate::diag::suggest(name, super::queryset::METHODS.iter().copied())
        {
            d = d.with_help(format!("did you mean '{s}'?"));
        }
        if self.opts.sql_only && obj.is_none() {
            d = d.with_help(
                "--sql-only runs no query: what get(), first(), last() and qs[i] return is None",
            );
        }
        d
    }

    pub(super) fn call(&mut self, f: Obj, args: Args) -> Result<Obj> {
        match f {
            Obj::Method(recv, name) => match &*recv {
                Obj::Manager(_) | Obj::QuerySet(_)
                    if let Some(result) = self.call_custom_method(&recv, &name, &args) =>
                {
                    result
                }
                // `super().get_queryset()` in a models.py manager method.
                Obj::QuerySet(_) if name == "get_queryset" => Ok((*recv).clone()),
                Obj::Manager(m) => {
                    let qs = Rc::new(self.default_queryset(*m)?);
                    self.queryset_method(qs, &name, args)
                }
                Obj::QuerySet(qs) => self.queryset_method(qs.clone(), &name, args),
                Obj::Value(Value::Text(s)) if name == "format" => self.str_format(s, &args),
                Obj::Value(Value::Text(s)) if name == "join" => self.str_join(s, &args),
                Obj::Value(Value::Text(s)) => str_method(s, &name, &args),
                Obj::Value(v) => temporal_method(v, &name, &args),
                Obj::F(fx) => self
                    .order_by_expr(fx, &name, &args)
                    .map(|f| Obj::F(Rc::new(f))),
                Obj::Dict(pairs) => self.dict_method(pairs, &name, &args),
                Obj::List(items) => self.list_method(items, &name, &args),
                Obj::Instance(inst) => self.instance_method(inst, &name, &args),
                other => Err(self.no_attribute(other, &name, args.span)),
            },
            Obj::Builtin(b) => {
                let span = args.span;
                self.call_builtin(b, args).map_err(|d| d.at(span))
            }
            Obj::Function(f) => self.call_function(&f, args),
            Obj::Model(m) => self.new_instance(m, &args).map(Obj::Instance),
            Obj::ExceptionClass(c) => self.new_exception(&c, &args),
            other => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("'{}' object is not callable", other.type_name()),
            )
            .at(args.span)),
        }
    }

    fn call_builtin(&mut self, b: Builtin, args: Args) -> Result<Obj> {
        let span = args.span;
        let one = |args: &Args| -> Result<Obj> {
            args.pos.first().map(|(o, _)| o.clone()).ok_or_else(|| {
                Diagnostic::new(ErrorKind::Type, "expected 1 argument, got 0").at(span)
            })
        };
        match b {
            Builtin::Q => {
                let children = super::functions::q_children(&args, |t| {
                    format!("Q() positional arguments must be Q objects or expressions, not {t}")
                })?;
                let kw = self.leaves(&args)?;
                Ok(Obj::Q(Rc::new(QNode::new(children, kw))))
            }
            Builtin::Aggregate(func) => {
                self.aggregate_expr(func, &args).map(|f| Obj::F(Rc::new(f)))
            }
            Builtin::Func(func) => self.func_expr(func, &args).map(|f| Obj::F(Rc::new(f))),
            Builtin::Value => self.value_expr(&args).map(|f| Obj::F(Rc::new(f))),
            Builtin::Super => self.super_manager(span),
            Builtin::Subquery | Builtin::Exists => self
                .subquery_expr(b == Builtin::Exists, &args)
                .map(|f| Obj::F(Rc::new(f))),
            Builtin::Case => self.case_expr(&args).map(|f| Obj::F(Rc::new(f))),
            Builtin::When => self.when_expr(&args).map(|f| Obj::F(Rc::new(f))),
            Builtin::Field(kind) => self.field_instance(kind, &args),
            Builtin::F | Builtin::OuterRef => match one(&args)? {
                Obj::Value(Value::Text(name)) => Ok(Obj::F(Rc::new(if b == Builtin::F {
                    FExpr::Ref { name, span }
                } else {
                    FExpr::OuterRef {
                        name,
                        depth: 0,
                        span,
                    }
                }))),
                Obj::F(f) if b == Builtin::OuterRef && matches!(*f, FExpr::OuterRef { .. }) => {
                    let mut f = (*f).clone();
                    if let FExpr::OuterRef { depth, .. } = &mut f {
                        *depth += 1;
                    }
                    Ok(Obj::F(Rc::new(f)))
                }
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("F() expects a field name string, not {}", other.type_name()),
                )
                .at(span)),
            },
            Builtin::Dumpdata => self.dumpdata(&args),
            Builtin::Print => {
                args.no_kwargs_except(&["sep", "end", "flush"], "print")?;
                let text_arg = |name: &str, default: &str| -> Result<String> {
                    match args.kwarg(name) {
                        None | Some(Obj::Value(Value::Null)) => Ok(default.into()),
                        Some(Obj::Value(Value::Text(s))) => Ok(s.clone()),
                        Some(other) => Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!("{name} must be None or a string, not {}", other.type_name()),
                        )
                        .at(span)),
                    }
                };
                let (sep, end) = (text_arg("sep", " ")?, text_arg("end", "\n")?);
                let mut parts = Vec::new();
                for (o, _) in &args.pos {
                    parts.push(self.py_str(o)?);
                }
                self.write_out(&(parts.join(&sep) + &end))?;
                // print(..., flush=True) shows the text now, not when the statement ends.
                let flush = match args.kwarg("flush") {
                    Some(o) => self.truthy(o, &dummy(span))?,
                    None => false,
                };
                if flush {
                    self.out.flush().map_err(crate::render::io_error)?;
                }
                Ok(Obj::NONE)
            }
            Builtin::Len => {
                let o = one(&args)?;
                let n = match &o {
                    Obj::Value(Value::Text(s)) => s.chars().count(),
                    Obj::List(v) => v.borrow().len(),
                    Obj::Tuple(v) => v.len(),
                    Obj::Range(r) => usize::try_from(r.len()).unwrap_or(usize::MAX),
                    Obj::Row(v) => v.len(),
                    Obj::Dict(d) => d.borrow().len(),
                    Obj::QuerySet(_) | Obj::Manager(_) => self.iter_obj(&o, &dummy(span))?.len(),
                    other => {
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!("object of type '{}' has no len()", other.type_name()),
                        )
                        .at(span));
                    }
                };
                Ok(Obj::int(n as i64))
            }
            Builtin::Str => Ok(Obj::str(match args.pos.first() {
                Some((o, _)) => self.py_str(o)?,
                None => String::new(),
            })),
            Builtin::Repr => {
                let o = one(&args)?;
                Ok(Obj::str(self.repr(&o)?))
            }
            Builtin::Int => match one(&args)? {
                Obj::Value(Value::Int(i)) => Ok(Obj::int(i)),
                Obj::Value(Value::Float(f)) => Ok(Obj::int(f.trunc() as i64)),
                Obj::Value(Value::Bool(b)) => Ok(Obj::int(b as i64)),
                Obj::Value(Value::Text(s)) => s.trim().parse::<i64>().map(Obj::int).map_err(|_| {
                    Diagnostic::new(
                        ErrorKind::Value,
                        format!("invalid literal for int() with base 10: '{s}'"),
                    )
                    .at(span)
                }),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "int() argument must be a string or a number, not '{}'",
                        other.type_name()
                    ),
                )
                .at(span)),
            },
            Builtin::Float => match one(&args)? {
                Obj::Value(Value::Int(i)) => Ok(Obj::Value(Value::Float(i as f64))),
                Obj::Value(Value::Float(f)) => Ok(Obj::Value(Value::Float(f))),
                Obj::Value(Value::Text(s)) => s
                    .trim()
                    .parse::<f64>()
                    .map(|f| Obj::Value(Value::Float(f)))
                    .map_err(|_| {
                        Diagnostic::new(
                            ErrorKind::Value,
                            format!("could not convert string to float: '{s}'"),
                        )
                        .at(span)
                    }),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "float() argument must be a string or a real number, not '{}'",
                        other.type_name()
                    ),
                )
                .at(span)),
            },
            Builtin::Bool => {
                let o = one(&args)?;
                Ok(Obj::bool(self.truthy(&o, &dummy(span))?))
            }
            Builtin::List | Builtin::Tuple => {
                let items = match args.pos.first() {
                    // A queryset nothing else holds (`list(Book.objects.all())`): no one can
                    // see its result cache, so its rows go straight into the list instead of
                    // into a cache of the same size as well.
                    Some((Obj::QuerySet(qs), _))
                        if Rc::strong_count(qs) == 1
                            && qs.chunk_size.is_none()
                            && qs.cache.get().is_none() =>
                    {
                        self.fetch_all(qs).map_err(|d| d.at(span))?
                    }
                    Some((o, _)) => self.iter_obj(o, &dummy(span))?,
                    None => Vec::new(),
                };
                Ok(if b == Builtin::List {
                    Obj::list(items)
                } else {
                    Obj::tuple(items)
                })
            }
            Builtin::Range => {
                let ints: Vec<i64> = args
                    .pos
                    .iter()
                    .map(|(o, s)| match o {
                        Obj::Value(Value::Int(i)) => Ok(*i),
                        other => Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!(
                                "'{}' object cannot be interpreted as an integer",
                                other.type_name()
                            ),
                        )
                        .at(*s)),
                    })
                    .collect::<Result<_>>()?;
                let (start, stop, step) = match ints.as_slice() {
                    [stop] => (0, *stop, 1),
                    [a, b] => (*a, *b, 1),
                    [_, _, 0] => {
                        return Err(Diagnostic::new(
                            ErrorKind::Value,
                            "range() arg 3 must not be zero",
                        )
                        .at(span));
                    }
                    [a, b, c] => (*a, *b, *c),
                    _ => {
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!("range expected at most 3 arguments, got {}", ints.len()),
                        )
                        .at(span));
                    }
                };
                Ok(Obj::Range(Range { start, stop, step }))
            }
            Builtin::Sum => {
                let items = self.iter_obj(&one(&args)?, &dummy(span))?;
                let mut acc = Obj::int(0);
                for it in items {
                    acc = self.binary(BinOp::Add, acc, it, span)?;
                }
                Ok(acc)
            }
            Builtin::Min | Builtin::Max => {
                args.no_kwargs_except(
                    &["key", "default"],
                    if b == Builtin::Min { "min" } else { "max" },
                )?;
                let items = if args.pos.len() == 1 {
                    self.iter_obj(&args.pos[0].0, &dummy(span))?
                } else {
                    args.pos.iter().map(|(o, _)| o.clone()).collect()
                };
                let want = if b == Builtin::Min {
                    CmpOp::Lt
                } else {
                    CmpOp::Gt
                };
                let mut best: Option<(Obj, Obj)> = None;
                for (k, item) in self.sort_keys(items, args.kwarg("key"), span)? {
                    let better = match &best {
                        None => true,
                        Some((best_key, _)) => self.compare(want, &k, best_key, span)?,
                    };
                    if better {
                        best = Some((k, item));
                    }
                }
                match (best, args.kwarg("default")) {
                    (Some((_, item)), _) => Ok(item),
                    (None, Some(default)) => Ok(default.clone()),
                    (None, None) => Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "{}() iterable argument is empty",
                            if b == Builtin::Min { "min" } else { "max" }
                        ),
                    )
                    .at(span)),
                }
            }
            Builtin::Sorted => {
                args.no_kwargs_except(&["key", "reverse"], "sorted")?;
                let items = self.iter_obj(&one(&args)?, &dummy(span))?;
                let sorted = self.sorted(items, args.kwarg("key"), args.kwarg("reverse"), span)?;
                Ok(Obj::list(sorted))
            }
            Builtin::Reversed => {
                let mut items = self.iter_obj(&one(&args)?, &dummy(span))?;
                items.reverse();
                Ok(Obj::list(items))
            }
            Builtin::Any | Builtin::All => {
                let want = b == Builtin::Any;
                for item in self.iter_obj(&one(&args)?, &dummy(span))? {
                    if self.truthy(&item, &dummy(span))? == want {
                        return Ok(Obj::bool(want));
                    }
                }
                Ok(Obj::bool(!want))
            }
            Builtin::Enumerate => {
                let items = self.iter_obj(&one(&args)?, &dummy(span))?;
                let start = match args.kwarg("start").or(args.pos.get(1).map(|(o, _)| o)) {
                    None => 0,
                    Some(Obj::Value(Value::Int(i))) => *i,
                    Some(other) => {
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!(
                                "'{}' object cannot be interpreted as an integer",
                                other.type_name()
                            ),
                        )
                        .at(span));
                    }
                };
                Ok(Obj::list(
                    items
                        .into_iter()
                        .zip(start..)
                        .map(|(o, i)| Obj::tuple(vec![Obj::int(i), o]))
                        .collect(),
                ))
            }
            Builtin::Zip => {
                let lists: Vec<Vec<Obj>> = args
                    .pos
                    .iter()
                    .map(|(o, _)| self.iter_obj(o, &dummy(span)))
                    .collect::<Result<_>>()?;
                let n = lists.iter().map(Vec::len).min().unwrap_or(0);
                Ok(Obj::list(
                    (0..n)
                        .map(|i| Obj::tuple(lists.iter().map(|l| l[i].clone()).collect()))
                        .collect(),
                ))
            }
            Builtin::Abs => match one(&args)? {
                Obj::Value(Value::Int(i)) => Ok(Obj::int(i.abs())),
                Obj::Value(Value::Float(f)) => Ok(Obj::Value(Value::Float(f.abs()))),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("bad operand type for abs(): '{}'", other.type_name()),
                )
                .at(span)),
            },
            Builtin::Round => match (one(&args)?, args.pos.get(1).map(|(o, _)| o.clone())) {
                (Obj::Value(Value::Float(f)), None) => Ok(Obj::int(f.round_ties_even() as i64)),
                (Obj::Value(Value::Float(f)), Some(Obj::Value(Value::Int(n)))) => {
                    let m = 10f64.powi(n as i32);
                    Ok(Obj::Value(Value::Float((f * m).round_ties_even() / m)))
                }
                (Obj::Value(Value::Int(i)), _) => Ok(Obj::int(i)),
                (other, _) => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("type {} doesn't define __round__ method", other.type_name()),
                )
                .at(span)),
            },
            Builtin::Date | Builtin::DateTime => {
                let ints: Vec<i64> = args
                    .pos
                    .iter()
                    .filter_map(|(o, _)| match o {
                        Obj::Value(Value::Int(i)) => Some(*i),
                        _ => None,
                    })
                    .collect();
                let bad = || Diagnostic::new(ErrorKind::Value, "invalid date arguments").at(span);
                let (y, m, d) = match ints.as_slice() {
                    [y, m, d, ..] => (*y as i32, *m as u32, *d as u32),
                    _ => return Err(bad()),
                };
                let date = chrono::NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)?;
                if b == Builtin::Date {
                    return Ok(Obj::Value(Value::Date(date)));
                }
                let g = |i: usize| ints.get(i).copied().unwrap_or(0) as u32;
                let dt = date
                    .and_hms_micro_opt(g(3), g(4), g(5), g(6))
                    .ok_or_else(bad)?;
                Ok(Obj::Value(Value::NaiveDateTime(dt)))
            }
            Builtin::Dict => {
                let mut pairs: Vec<(Obj, Obj)> = match args.pos.first() {
                    None => Vec::new(),
                    Some((Obj::Dict(d), _)) => d.borrow().clone(),
                    Some((o, s)) => {
                        let mut pairs = Vec::new();
                        for item in self.iter_obj(o, &dummy(*s))? {
                            match item.items().as_deref() {
                                Some([k, v]) => pairs.push((k.clone(), v.clone())),
                                _ => {
                                    return Err(Diagnostic::new(
                                        ErrorKind::Type,
                                        "cannot convert dictionary update sequence element to a sequence of length 2",
                                    )
                                    .at(*s));
                                }
                            }
                        }
                        pairs
                    }
                };
                for (k, v, _) in &args.kw {
                    pairs.push((Obj::str(k.clone()), v.clone()));
                }
                Ok(Obj::dict(dedup_keys(pairs).map_err(|d| d.at(args.span))?))
            }
            Builtin::Getattr => {
                let (obj, name) = match (args.pos.first(), args.pos.get(1)) {
                    (Some((o, _)), Some((Obj::Value(Value::Text(n)), _))) => (o.clone(), n.clone()),
                    _ => {
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            "getattr() takes an object and an attribute name",
                        )
                        .at(span));
                    }
                };
                match (self.attribute(obj, &name, span), args.pos.get(2)) {
                    (Err(d), Some((default, _))) if d.kind == ErrorKind::Attribute => {
                        Ok(default.clone())
                    }
                    (res, _) => res,
                }
            }
            Builtin::Isinstance => match (args.pos.first(), args.pos.get(1)) {
                (Some((o, _)), Some((cls, _))) => {
                    Ok(Obj::bool(is_instance(o, cls).map_err(|d| d.at(span))?))
                }
                _ => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("isinstance expected 2 arguments, got {}", args.pos.len()),
                )
                .at(span)),
            },
            Builtin::Type => match one(&args)? {
                Obj::Exception(e) => Ok(super::exceptions::type_of(&e)),
                _ => Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "type() of anything but an exception is not supported by djq yet",
                )
                .at(span)),
            },
            // `transaction.atomic()` outside a `with` statement does nothing.
            Builtin::NoOp | Builtin::Atomic => Ok(Obj::NONE),
        }
    }

    /// Each item with its sort key: `key(item)`, or the item itself without a key function.
    pub(super) fn sort_keys(
        &mut self,
        items: Vec<Obj>,
        key: Option<&Obj>,
        span: Span,
    ) -> Result<Vec<(Obj, Obj)>> {
        items
            .into_iter()
            .map(|item| {
                let k = match key {
                    None | Some(Obj::Value(Value::Null)) => item.clone(),
                    Some(f) => self.call(
                        f.clone(),
                        Args {
                            pos: vec![(item.clone(), span)],
                            kw: Vec::new(),
                            span,
                        },
                    )?,
                };
                Ok((k, item))
            })
            .collect()
    }

    /// Keyword arguments as Q leaves.
    pub(super) fn leaves(&mut self, args: &Args) -> Result<Vec<crate::query::QChild>> {
        args.kw
            .iter()
            .map(|(k, v, span)| {
                Ok(crate::query::QChild::Leaf {
                    key: k.clone(),
                    value: self.operand(v, *span)?,
                    span: *span,
                })
            })
            .collect()
    }

    fn subscript(&mut self, obj: Obj, index: &Expr, span: Span) -> Result<Obj> {
        if let Obj::Manager(m) = obj {
            return self.subscript(
                Obj::QuerySet(Rc::new(self.manager_queryset(m))),
                index,
                span,
            );
        }
        if let Obj::QuerySet(qs) = &obj {
            return self.queryset_subscript(qs, index, span);
        }
        if let ExprKind::Slice { lower, upper, step } = &index.kind {
            let mut bound = |e: &Option<Box<Expr>>| -> Result<Option<i64>> {
                match e {
                    None => Ok(None),
                    Some(e) => match self.eval(e)? {
                        Obj::Value(Value::Int(i)) => Ok(Some(i)),
                        Obj::Value(Value::Null) => Ok(None),
                        _ => Err(Diagnostic::new(
                            ErrorKind::Type,
                            "slice indices must be integers or None or have an __index__ method",
                        )
                        .at(e.span)),
                    },
                }
            };
            let (lo, hi, step) = (bound(lower)?, bound(upper)?, bound(step)?.unwrap_or(1));
            if step == 0 {
                return Err(
                    Diagnostic::new(ErrorKind::Value, "slice step cannot be zero").at(index.span),
                );
            }
            return match &obj {
                Obj::List(v) => Ok(Obj::list(pick(&v.borrow(), lo, hi, step))),
                Obj::Tuple(v) => Ok(Obj::tuple(pick(v, lo, hi, step))),
                Obj::Range(r) => Ok(Obj::Range(slice_range(*r, lo, hi, step))),
                Obj::Value(Value::Text(s)) => {
                    let chars: Vec<char> = s.chars().collect();
                    Ok(Obj::str(
                        pick(&chars, lo, hi, step).into_iter().collect::<String>(),
                    ))
                }
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("'{}' object is not subscriptable", other.type_name()),
                )
                .at(span)),
            };
        }
        let idx = self.eval(index)?;
        self.item(&obj, &idx, index.span)
    }

    /// `obj[key]` for lists, tuples, dicts and strings.
    pub(super) fn item(&mut self, obj: &Obj, idx: &Obj, span: Span) -> Result<Obj> {
        match (obj, idx) {
            (Obj::List(_) | Obj::Tuple(_) | Obj::Row(_), Obj::Value(Value::Int(i))) => {
                let v = obj.items().unwrap_or_default();
                let n = v.len() as i64;
                let j = if *i < 0 { i + n } else { *i };
                v.get(j as usize)
                    .cloned()
                    .filter(|_| j >= 0 && j < n)
                    .ok_or_else(|| {
                        Diagnostic::new(ErrorKind::Index, "list index out of range").at(span)
                    })
            }
            (Obj::Dict(pairs), key) => position(pairs.borrow().iter().map(|(k, _)| k), key)?
                .map(|i| pairs.borrow()[i].1.clone())
                .ok_or_else(|| {
                    Diagnostic::new(ErrorKind::Key, self.repr(key).unwrap_or_default()).at(span)
                }),
            (Obj::Value(Value::Text(s)), Obj::Value(Value::Int(i))) => {
                let chars: Vec<char> = s.chars().collect();
                let n = chars.len() as i64;
                let j = if *i < 0 { i + n } else { *i };
                chars
                    .get(j as usize)
                    .filter(|_| j >= 0)
                    .map(|c| Obj::str(c.to_string()))
                    .ok_or_else(|| {
                        Diagnostic::new(ErrorKind::Index, "string index out of range").at(span)
                    })
            }
            (Obj::Range(r), Obj::Value(Value::Int(i))) => {
                let n = r.len();
                let j = if *i < 0 { i.saturating_add(n) } else { *i };
                if (0..n).contains(&j) {
                    Ok(Obj::int(r.get(j)))
                } else {
                    Err(
                        Diagnostic::new(ErrorKind::Index, "range object index out of range")
                            .at(span),
                    )
                }
            }
            _ => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("'{}' object is not subscriptable", obj.type_name()),
            )
            .at(span)),
        }
    }

    fn unary(&mut self, op: UnaryOp, v: Obj, span: Span) -> Result<Obj> {
        match (op, v) {
            (UnaryOp::Invert, Obj::Q(q)) => Ok(Obj::Q(Rc::new((*q).clone().negate()))),
            (UnaryOp::Invert, Obj::F(f)) if matches!(*f, FExpr::Subquery { exists: true, .. }) => {
                let mut f = (*f).clone();
                if let FExpr::Subquery { negated, .. } = &mut f {
                    *negated = !*negated;
                }
                Ok(Obj::F(Rc::new(f)))
            }
            (UnaryOp::Not, v) => Ok(Obj::bool(!self.truthy(&v, &dummy(span))?)),
            (UnaryOp::Neg, Obj::Value(Value::Int(i))) => Ok(Obj::int(-i)),
            (UnaryOp::Neg, Obj::Value(Value::Float(f))) => Ok(Obj::Value(Value::Float(-f))),
            (UnaryOp::Neg, Obj::F(f)) => Ok(Obj::F(Rc::new(FExpr::Combined {
                op: Arith::Mul,
                lhs: Box::new((*f).clone()),
                rhs: Box::new(FExpr::Value(Value::Int(-1))),
            }))),
            (UnaryOp::Neg, Obj::Value(Value::Decimal(d))) => Ok(Obj::Value(Value::Decimal(-d))),
            (UnaryOp::Pos, v @ Obj::Value(Value::Int(_) | Value::Float(_) | Value::Decimal(_))) => {
                Ok(v)
            }
            (UnaryOp::Invert, Obj::Value(Value::Int(i))) => Ok(Obj::int(!i)),
            (op, v) => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "bad operand type for unary {}: '{}'",
                    unary_symbol(op),
                    v.type_name()
                ),
            )
            .at(span)),
        }
    }

    pub(super) fn binary(&mut self, op: BinOp, l: Obj, r: Obj, span: Span) -> Result<Obj> {
        match (op, &l, &r) {
            (BinOp::Mod, Obj::Value(Value::Text(template)), values) => {
                return self.percent_format(template, values, span);
            }
            // `q1 | q2`; Django's `Combinable.__and__/__or__` on conditional expressions makes
            // `Q(a) & Q(b)` of them.
            (BinOp::BitOr | BinOp::BitAnd, Obj::Q(_) | Obj::F(_), Obj::Q(_) | Obj::F(_)) => {
                let node = |o: &Obj| match super::functions::q_child(o, span) {
                    Some(crate::query::QChild::Node(n)) => n,
                    Some(child) => QNode::new(vec![child], Vec::new()),
                    None => unreachable!("a Q or an expression"),
                };
                let conn = if op == BinOp::BitOr {
                    Connector::Or
                } else {
                    Connector::And
                };
                return Ok(Obj::Q(Rc::new(node(&l).combine(node(&r), conn))));
            }
            (BinOp::BitOr | BinOp::BitAnd, Obj::QuerySet(a), Obj::QuerySet(b)) => {
                if a.query.model != b.query.model {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        "Cannot combine queries on two different base models.",
                    )
                    .at(span));
                }
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "combining querysets with | and & is not supported by djq yet",
                )
                .at(span));
            }
            _ => {}
        }
        if matches!(l, Obj::F(_)) || matches!(r, Obj::F(_)) {
            let arith = arith(op).ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::NotSupported,
                    "this operator is not supported on F() expressions",
                )
                .at(span)
            })?;
            let side = |o: &Obj| -> Result<FExpr> {
                match o {
                    Obj::F(f) => Ok((**f).clone()),
                    Obj::Value(v) => Ok(FExpr::Value(v.clone())),
                    other => Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("unsupported operand type for F(): '{}'", other.type_name()),
                    )
                    .at(span)),
                }
            };
            return Ok(Obj::F(Rc::new(FExpr::Combined {
                op: arith,
                lhs: Box::new(side(&l)?),
                rhs: Box::new(side(&r)?),
            })));
        }
        match (&l, &r) {
            (Obj::Value(a), Obj::Value(b)) => {
                scalar_binary(op, a, b).map(Obj::Value).ok_or_else(|| {
                    zero_division(op, a, b)
                        .or_else(|| int_overflow(op, a, b))
                        .or_else(|| repeated_too_long(op, a, b))
                        .map_or_else(|| unsupported(op, &l, &r, span), |d| d.at(span))
                })
            }
            (Obj::List(a), Obj::List(b)) if op == BinOp::Add => Ok(Obj::list(
                a.borrow()
                    .iter()
                    .chain(b.borrow().iter())
                    .cloned()
                    .collect(),
            )),
            (Obj::Tuple(a), Obj::Tuple(b)) if op == BinOp::Add => {
                Ok(Obj::tuple(a.iter().chain(b.iter()).cloned().collect()))
            }
            _ => Err(unsupported(op, &l, &r, span)),
        }
    }

    pub(super) fn compare(&mut self, op: CmpOp, l: &Obj, r: &Obj, span: Span) -> Result<bool> {
        use std::cmp::Ordering;
        match op {
            CmpOp::Eq => return py_eq(l, r).map_err(|d| d.at(span)),
            CmpOp::NotEq => return py_eq(l, r).map(|e| !e).map_err(|d| d.at(span)),
            CmpOp::Is => return Ok(is(l, r)),
            CmpOp::IsNot => return Ok(!is(l, r)),
            CmpOp::In | CmpOp::NotIn => {
                let found = match r {
                    Obj::Value(Value::Text(hay)) => match l {
                        Obj::Value(Value::Text(needle)) => hay.contains(needle.as_str()),
                        _ => false,
                    },
                    Obj::Dict(pairs) => position(pairs.borrow().iter().map(|(k, _)| k), l)
                        .map_err(|d| d.at(span))?
                        .is_some(),
                    Obj::Range(r) => match l {
                        Obj::Value(Value::Int(i)) => r.contains(*i),
                        Obj::Value(Value::Bool(b)) => r.contains(i64::from(*b)),
                        _ => false,
                    },
                    other => position(self.iter_obj(other, &dummy(span))?.iter(), l)
                        .map_err(|d| d.at(span))?
                        .is_some(),
                };
                return Ok(found == (op == CmpOp::In));
            }
            _ => {}
        }
        let ord = match (l, r) {
            (Obj::Value(a), Obj::Value(b)) => scalar_cmp(a, b),
            (Obj::List(_), Obj::List(_)) | (Obj::Tuple(_), Obj::Tuple(_)) => {
                // Lexicographic: the first unequal items decide, else the lengths.
                let (a, b) = (l.items().unwrap_or_default(), r.items().unwrap_or_default());
                let _level = deeper("in comparison").map_err(|d| d.at(span))?;
                for (x, y) in a.iter().zip(&b) {
                    if !(is(x, y) || py_eq(x, y).map_err(|d| d.at(span))?) {
                        return self.compare(op, x, y, span);
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            _ => None,
        }
        .ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "'{}' not supported between instances of '{}' and '{}'",
                    cmp_symbol(op),
                    l.type_name(),
                    r.type_name()
                ),
            )
            .at(span)
        })?;
        Ok(match op {
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::LtE => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            _ => ord != Ordering::Less,
        })
    }

    pub(super) fn truthy(&mut self, o: &Obj, at: &Expr) -> Result<bool> {
        Ok(match o {
            Obj::Value(v) => match v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Int(i) => *i != 0,
                Value::Float(f) => *f != 0.0,
                Value::Text(s) => !s.is_empty(),
                Value::Decimal(d) => !d.is_zero(),
                _ => true,
            },
            Obj::List(v) => !v.borrow().is_empty(),
            Obj::Tuple(v) => !v.is_empty(),
            Obj::Row(v) => !v.is_empty(),
            Obj::Dict(d) => !d.borrow().is_empty(),
            Obj::Range(r) => !r.is_empty(),
            Obj::QuerySet(_) => !self.iter_obj(o, at)?.is_empty(),
            _ => true,
        })
    }

    /// Iterate an iterable (evaluating querysets).
    /// Python's `for` over the value of `e`: `each` gets the items in turn until it breaks.
    /// A queryset's `iterator()` streams ([`Session::stream`]); anything else is iterated
    /// over the list of its items.
    pub(super) fn for_each<B>(
        &mut self,
        e: &Expr,
        mut each: impl FnMut(&mut Session, Obj) -> Result<ControlFlow<B>>,
    ) -> Result<ControlFlow<B>> {
        let o = self.eval(e)?;
        if let Obj::QuerySet(qs) = &o
            && let Some(chunk_size) = qs.chunk_size
        {
            return self.stream(qs, chunk_size, e.span, each);
        }
        // A range makes its numbers one at a time.
        if let Obj::Range(r) = o {
            for k in 0..r.len() {
                if let ControlFlow::Break(b) = each(self, Obj::int(r.get(k)))? {
                    return Ok(ControlFlow::Break(b));
                }
            }
            return Ok(ControlFlow::Continue(()));
        }
        for item in self.iter_obj(&o, e)? {
            if let ControlFlow::Break(b) = each(self, item)? {
                return Ok(ControlFlow::Break(b));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    pub(super) fn iter_obj(&mut self, o: &Obj, at: &Expr) -> Result<Vec<Obj>> {
        match o {
            Obj::List(_) | Obj::Tuple(_) | Obj::Row(_) => Ok(o.items().unwrap_or_default()),
            Obj::Dict(d) => Ok(d.borrow().iter().map(|(k, _)| k.clone()).collect()),
            Obj::Range(r) => {
                if r.len() > MAX_RANGE {
                    return Err(Diagnostic::new(
                        ErrorKind::Python("MemoryError".into()),
                        format!(
                            "{} has {} numbers, more than djq makes a list of ({MAX_RANGE})",
                            r.repr(),
                            r.len()
                        ),
                    )
                    .at(at.span)
                    .with_help(
                        "loop over it with `for`: a range makes its numbers one at a time",
                    ));
                }
                Ok((0..r.len()).map(|k| Obj::int(r.get(k))).collect())
            }
            Obj::Value(Value::Text(s)) => Ok(s.chars().map(|c| Obj::str(c.to_string())).collect()),
            Obj::QuerySet(qs) => match qs.chunk_size {
                // `iterator()`: run again, as a new generator would be.
                Some(chunk_size) => {
                    let mut items = Vec::new();
                    let ControlFlow::Continue(()) =
                        self.stream(qs, chunk_size, at.span, |_, item| {
                            items.push(item);
                            Ok(ControlFlow::<Infallible>::Continue(()))
                        })?;
                    Ok(items)
                }
                None => Ok(self.evaluate(qs).map_err(|d| d.at(at.span))?.to_vec()),
            },
            Obj::Manager(m) => Err(Diagnostic::new(
                ErrorKind::Type,
                "'Manager' object is not iterable",
            )
            .at(at.span)
            .with_help(format!("use {}.objects.all()", self.schema.model(*m).name))),
            other => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("'{}' object is not iterable", other.type_name()),
            )
            .at(at.span)),
        }
    }

    fn fstring(&mut self, parts: &[FStringPart]) -> Result<String> {
        let mut s = String::new();
        for p in parts {
            match p {
                FStringPart::Literal(t) => s.push_str(t),
                FStringPart::Field {
                    expr,
                    conversion,
                    spec,
                } => {
                    let v = self.eval(expr)?;
                    let spec = self.fstring(spec)?;
                    let text = self.format_field(&v, *conversion, &spec, expr.span)?;
                    s.push_str(&text);
                }
            }
        }
        Ok(s)
    }

    pub(super) fn manager_queryset(&self, model: crate::schema::ModelId) -> QuerySet {
        QuerySet::new(
            crate::query::Query::new(&self.schema, model),
            QsKind::Instances,
        )
    }
}

/// `isinstance(o, cls)` for model classes, the builtin types and tuples of them.
fn is_instance(o: &Obj, cls: &Obj) -> Result<bool> {
    Ok(match cls {
        Obj::Tuple(classes) => {
            for c in classes.iter() {
                if is_instance(o, c)? {
                    return Ok(true);
                }
            }
            false
        }
        Obj::Model(m) => matches!(o, Obj::Instance(i) if i.model == *m),
        Obj::ExceptionClass(c) => matches!(o, Obj::Exception(e)
            if super::exceptions::is_subclass(&super::exceptions::class_of(&e.kind), c)),
        Obj::Builtin(b) => match (b, o) {
            (Builtin::Str, Obj::Value(Value::Text(_)))
            | (Builtin::Bool, Obj::Value(Value::Bool(_)))
            | (Builtin::Int, Obj::Value(Value::Int(_) | Value::Bool(_)))
            | (Builtin::Float, Obj::Value(Value::Float(_)))
            | (Builtin::List, Obj::List(_))
            | (Builtin::Tuple, Obj::Tuple(_))
            | (Builtin::Dict, Obj::Dict(_)) => true,
            (
                Builtin::Str
                | Builtin::Bool
                | Builtin::Int
                | Builtin::Float
                | Builtin::List
                | Builtin::Tuple
                | Builtin::Dict,
                _,
            ) => false,
            _ => return Err(isinstance_arg()),
        },
        _ => return Err(isinstance_arg()),
    })
}

fn isinstance_arg() -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        "isinstance() arg 2 must be a type, a tuple of types, or a union",
    )
}

/// Dict entries with later values replacing earlier ones for the same key (in place, as
/// Python's dict keeps the first insertion position).
fn dedup_keys(pairs: Vec<(Obj, Obj)>) -> Result<Vec<(Obj, Obj)>> {
    let mut out: Vec<(Obj, Obj)> = Vec::new();
    for (k, v) in pairs {
        match position(out.iter().map(|(old, _)| old), &k)? {
            Some(i) => out[i].1 = v,
            None => out.push((k, v)),
        }
    }
    Ok(out)
}

/// `items[lo:hi:step]` with Python's rules for missing and negative bounds.
pub(super) fn pick<T: Clone>(items: &[T], lo: Option<i64>, hi: Option<i64>, step: i64) -> Vec<T> {
    let (first, count) = slice_indices(items.len() as i64, lo, hi, step);
    (0..count)
        .map(|k| items[(first + k * step) as usize].clone())
        .collect()
}

/// Python's `slice.indices(n)`: the first index a slice takes and how many, by `step`.
fn slice_indices(n: i64, lo: Option<i64>, hi: Option<i64>, step: i64) -> (i64, i64) {
    let clamp = |i: i64, min: i64, max: i64| (if i < 0 { i + n } else { i }).clamp(min, max);
    let (first, end) = if step > 0 {
        (
            lo.map_or(0, |v| clamp(v, 0, n)),
            hi.map_or(n, |v| clamp(v, 0, n)),
        )
    } else {
        (
            lo.map_or(n - 1, |v| clamp(v, -1, n - 1)),
            hi.map_or(-1, |v| clamp(v, -1, n - 1)),
        )
    };
    let count = if step > 0 {
        (end - first + step - 1) / step
    } else {
        (first - end - step - 1) / -step
    };
    (first, count.max(0))
}

/// `range(...)[lo:hi:step]`: a range again, as in Python.
fn slice_range(r: Range, lo: Option<i64>, hi: Option<i64>, step: i64) -> Range {
    let (first, count) = slice_indices(r.len(), lo, hi, step);
    let start = r.get(first);
    let by = r.step.saturating_mul(step);
    let stop = (i128::from(start) + i128::from(count) * i128::from(by))
        .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    Range {
        start,
        stop,
        step: by,
    }
}

/// An expression standing for a span (for errors raised outside any real node).
pub(super) fn dummy(span: Span) -> Expr {
    Expr {
        kind: ExprKind::None,
        span,
    }
}

/// The exception classes every model class carries.
const MODEL_EXCEPTIONS: [&str; 2] = ["DoesNotExist", "MultipleObjectsReturned"];
/// What a model class answers to: its manager and its exception classes.
pub const MODEL_ATTRIBUTES: [&str; 3] = ["objects", MODEL_EXCEPTIONS[0], MODEL_EXCEPTIONS[1]];

/// Builtins bound to a fixed name. Aggregates, database functions, field classes and
/// exception classes come from their own registries, modules from [`MODULES`].
const BUILTINS: &[(&str, Builtin)] = {
    use Builtin::*;
    &[
        ("Q", Q),
        ("F", F),
        ("Value", Value),
        ("Case", Case),
        ("When", When),
        ("OuterRef", OuterRef),
        ("super", Super),
        ("Subquery", Subquery),
        ("Exists", Exists),
        ("print", Print),
        ("len", Len),
        ("str", Str),
        ("repr", Repr),
        ("int", Int),
        ("float", Float),
        ("bool", Bool),
        ("list", List),
        ("tuple", Tuple),
        ("dict", Dict),
        ("range", Range),
        ("sum", Sum),
        ("min", Min),
        ("max", Max),
        ("sorted", Sorted),
        ("reversed", Reversed),
        ("any", Any),
        ("all", All),
        ("enumerate", Enumerate),
        ("zip", Zip),
        ("isinstance", Isinstance),
        ("getattr", Getattr),
        ("type", Type),
        ("abs", Abs),
        ("round", Round),
        ("date", Date),
        ("datetime", DateTime),
        ("dumpdata", Dumpdata),
    ]
};

/// Modules and namespaces in scope by name.
const MODULES: &[&str] = &[
    "os",
    "django",
    "models",
    "transaction",
    "timezone",
    "settings",
    "sys",
];

fn builtin(n: &str) -> Option<Obj> {
    if let Some((_, b)) = BUILTINS.iter().find(|(name, _)| *name == n) {
        return Some(Obj::Builtin(*b));
    }
    if let Some(a) = crate::query::expr::AggFunc::from_name(n) {
        return Some(Obj::Builtin(Builtin::Aggregate(a)));
    }
    if let Some(f) = crate::query::func::FuncKind::from_name(n) {
        return Some(Obj::Builtin(Builtin::Func(f)));
    }
    if n.ends_with("Field")
        && let Some(kind) = crate::schema::FieldKind::from_django_name(n)
    {
        return Some(Obj::Builtin(Builtin::Field(kind)));
    }
    if MODULES.contains(&n) {
        return Some(Obj::Module(n.to_string()));
    }
    super::exceptions::is_class(n).then(|| Obj::ExceptionClass(n.to_string()))
}

/// The names [`builtin`] resolves (field classes apart), for completion.
pub(super) fn builtin_names() -> Vec<String> {
    let mut names: Vec<String> = BUILTINS.iter().map(|(n, _)| n.to_string()).collect();
    names.extend(
        crate::query::expr::AggFunc::ALL
            .iter()
            .map(|a| a.name().to_string()),
    );
    names.extend(crate::query::func::FuncKind::class_names());
    names.extend(MODULES.iter().map(|m| m.to_string()));
    names.extend(super::exceptions::class_names().map(str::to_string));
    names
}

pub(super) fn module_attribute(module: &str, name: &str) -> Obj {
    match (module, name) {
        ("models", n) => builtin(n).unwrap_or_else(|| Obj::Module(format!("models.{n}"))),
        ("datetime", "date") => Obj::Builtin(Builtin::Date),
        ("datetime", "datetime") => Obj::Builtin(Builtin::DateTime),
        ("transaction" | "django.db.transaction", "atomic") => Obj::Builtin(Builtin::Atomic),
        (_, "setup" | "setdefault") => Obj::Builtin(Builtin::NoOp),
        (m, n) => Obj::Module(format!("{m}.{n}")),
    }
}

/// Methods of Python's `date`, `datetime` and `time` that djq implements.
const TEMPORAL_METHODS: &[&str] = &["isoformat", "strftime", "date", "weekday", "isoweekday"];

/// The attributes of Python's `date`, `datetime` and `time` objects.
fn temporal_part(v: &Value, name: &str) -> Option<Obj> {
    use chrono::{Datelike, Timelike};
    let (date, time) = temporal_split(v)?;
    let n = match name {
        "year" => i64::from(date?.year()),
        "month" => i64::from(date?.month()),
        "day" => i64::from(date?.day()),
        "hour" => i64::from(time?.hour()),
        "minute" => i64::from(time?.minute()),
        "second" => i64::from(time?.second()),
        "microsecond" => i64::from(time?.nanosecond() / 1000),
        _ => return None,
    };
    Some(Obj::int(n))
}

/// A date, datetime or time value as its date part and its time part.
pub(super) fn temporal_split(
    v: &Value,
) -> Option<(Option<chrono::NaiveDate>, Option<chrono::NaiveTime>)> {
    Some(match v {
        Value::Date(d) => (Some(*d), None),
        Value::DateTime(dt) => (Some(dt.date_naive()), Some(dt.time())),
        Value::NaiveDateTime(dt) => (Some(dt.date()), Some(dt.time())),
        Value::Time(t) => (None, Some(*t)),
        _ => return None,
    })
}

/// `d.isoformat()`, `d.strftime(fmt)`, `dt.date()`, `d.weekday()`, `d.isoweekday()`.
fn temporal_method(v: &Value, name: &str, args: &Args) -> Result<Obj> {
    use chrono::Datelike;
    let (date, time) = temporal_split(v).unwrap_or((None, None));
    let no_attr = || {
        let owner = Obj::Value(v.clone()).type_name();
        Diagnostic::new(
            ErrorKind::Attribute,
            format!("'{owner}' object has no attribute '{name}'"),
        )
        .at(args.span)
    };
    Ok(match (name, date) {
        ("isoformat", _) => Obj::str(v.to_python_str().replacen(' ', "T", 1)),
        ("strftime", _) => {
            let Some((Obj::Value(Value::Text(fmt)), _)) = args.pos.first() else {
                return Err(
                    Diagnostic::new(ErrorKind::Type, "strftime() argument 1 must be str")
                        .at(args.span),
                );
            };
            Obj::str(super::format::strftime(v, fmt).ok_or_else(|| {
                Diagnostic::new(ErrorKind::Value, format!("Invalid format string '{fmt}'"))
                    .at(args.span)
            })?)
        }
        ("date", Some(d)) if time.is_some() => Obj::Value(Value::Date(d)),
        ("weekday", Some(d)) => Obj::int(i64::from(d.weekday().num_days_from_monday())),
        ("isoweekday", Some(d)) => Obj::int(i64::from(d.weekday().number_from_monday())),
        _ => return Err(no_attr()),
    })
}

fn str_method(s: &str, name: &str, args: &Args) -> Result<Obj> {
    let arg = |i: usize| -> Option<String> {
        match args.pos.get(i) {
            Some((Obj::Value(Value::Text(t)), _)) => Some(t.clone()),
            _ => None,
        }
    };
    Ok(match name {
        "upper" => Obj::str(s.to_uppercase()),
        "lower" => Obj::str(s.to_lowercase()),
        "strip" | "lstrip" | "rstrip" => {
            let chars: Vec<char> = arg(0).map_or_else(Vec::new, |c| c.chars().collect());
            let strip = |c: char| {
                if chars.is_empty() {
                    c.is_whitespace()
                } else {
                    chars.contains(&c)
                }
            };
            Obj::str(match name {
                "lstrip" => s.trim_start_matches(strip),
                "rstrip" => s.trim_end_matches(strip),
                _ => s.trim_matches(strip),
            })
        }
        "capitalize" => {
            let mut c = s.chars();
            Obj::str(c.next().map_or(String::new(), |f| {
                f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
            }))
        }
        "zfill" | "ljust" | "rjust" | "center" => {
            let width = match args.pos.first() {
                Some((Obj::Value(Value::Int(w)), _)) => usize::try_from(*w).unwrap_or(0),
                _ => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("{name}() takes an integer width"),
                    )
                    .at(args.span));
                }
            };
            if width > MAX_TEXT {
                return Err(Diagnostic::new(
                    ErrorKind::Python("MemoryError".into()),
                    format!(
                        "{name}() width {width} would make a string longer than djq allows ({MAX_TEXT_SAID})"
                    ),
                )
                .at(args.span));
            }
            let fill = arg(1).and_then(|f| f.chars().next()).unwrap_or(' ');
            let n = width.saturating_sub(s.chars().count());
            let pad = |k: usize, c: char| c.to_string().repeat(k);
            Obj::str(match name {
                "zfill" => match s.strip_prefix(['-', '+']) {
                    Some(digits) => format!("{}{}{digits}", &s[..1], pad(n, '0')),
                    None => format!("{}{s}", pad(n, '0')),
                },
                "ljust" => format!("{s}{}", pad(n, fill)),
                "rjust" => format!("{}{s}", pad(n, fill)),
                // CPython: the odd fill character goes left when margin and width are odd.
                _ => {
                    let left = n / 2 + (n & width & 1);
                    format!("{}{s}{}", pad(left, fill), pad(n - left, fill))
                }
            })
        }
        "count" => Obj::int(arg(0).map_or(0, |p| {
            if p.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(p.as_str()).count()
            }
        }) as i64),
        "find" => Obj::int(
            arg(0)
                .and_then(|p| s.find(p.as_str()))
                .map_or(-1, |i| s[..i].chars().count() as i64),
        ),
        "isdigit" => Obj::bool(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())),
        "isalpha" => Obj::bool(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "title" => Obj::str(
            s.split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    c.next().map_or(String::new(), |f| {
                        f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
                    })
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "startswith" => Obj::bool(arg(0).is_some_and(|p| s.starts_with(&p))),
        "endswith" => Obj::bool(arg(0).is_some_and(|p| s.ends_with(&p))),
        "replace" => Obj::str(s.replace(&arg(0).unwrap_or_default(), &arg(1).unwrap_or_default())),
        "split" => Obj::list(match arg(0) {
            Some(sep) => s.split(sep.as_str()).map(Obj::str).collect(),
            None => s.split_whitespace().map(Obj::str).collect(),
        }),
        _ => {
            return Err(Diagnostic::new(
                ErrorKind::Attribute,
                format!("'str' object has no attribute '{name}'"),
            )
            .at(args.span));
        }
    })
}

fn arith(op: BinOp) -> Option<Arith> {
    Some(match op {
        BinOp::Add => Arith::Add,
        BinOp::Sub => Arith::Sub,
        BinOp::Mul => Arith::Mul,
        BinOp::Div => Arith::Div,
        BinOp::Mod => Arith::Mod,
        BinOp::Pow => Arith::Pow,
        _ => return None,
    })
}

pub(super) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Decimal(d) => rust_decimal::prelude::ToPrimitive::to_f64(d),
        Value::Bool(b) => Some(*b as i64 as f64),
        _ => None,
    }
}

/// Python arithmetic on scalars.
fn scalar_binary(op: BinOp, a: &Value, b: &Value) -> Option<Value> {
    use Value::*;
    let ai = match a {
        Int(i) => Some(*i),
        Bool(b) => Some(*b as i64),
        _ => None,
    };
    let bi = match b {
        Int(i) => Some(*i),
        Bool(b) => Some(*b as i64),
        _ => None,
    };
    if let (Some(x), Some(y)) = (ai, bi) {
        return Some(match op {
            BinOp::Add => Int(x.checked_add(y)?),
            BinOp::Sub => Int(x.checked_sub(y)?),
            BinOp::Mul => Int(x.checked_mul(y)?),
            BinOp::Div => Float(x as f64 / y as f64).then_nonzero(y)?,
            BinOp::FloorDiv if y != 0 => {
                let q = x / y;
                Int(if x % y != 0 && ((x < 0) != (y < 0)) {
                    q - 1
                } else {
                    q
                })
            }
            BinOp::Mod if y != 0 => Int(((x % y) + y) % y),
            BinOp::Pow if y >= 0 => Int(x.checked_pow(u32::try_from(y).ok()?)?),
            BinOp::Pow if x != 0 => Float((x as f64).powf(y as f64)),
            BinOp::BitOr => Int(x | y),
            BinOp::BitAnd => Int(x & y),
            BinOp::BitXor => Int(x ^ y),
            _ => return None,
        });
    }
    if matches!(a, Decimal(_)) || matches!(b, Decimal(_)) {
        return decimal_binary(op, a, b).map(Decimal);
    }
    if let (Some(x), Some(y)) = (as_f64(a), as_f64(b)) {
        return Some(Float(match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div if y != 0.0 => x / y,
            BinOp::FloorDiv if y != 0.0 => (x / y).floor(),
            BinOp::Mod if y != 0.0 => x - y * (x / y).floor(),
            BinOp::Pow => x.powf(y),
            _ => return None,
        }));
    }
    match (op, a, b) {
        (BinOp::Add, Text(x), Text(y)) => {
            (x.len() + y.len() <= MAX_TEXT).then(|| Text(format!("{x}{y}")))
        }
        (BinOp::Mul, Text(x), Int(n)) | (BinOp::Mul, Int(n), Text(x)) => {
            let n = (*n).max(0) as usize;
            (x.len().checked_mul(n)? <= MAX_TEXT).then(|| Text(x.repeat(n)))
        }
        _ => None,
    }
}

/// Arithmetic with a `Decimal` operand: Decimal with int or Decimal (never with float,
/// which Python refuses).
fn decimal_binary(op: BinOp, a: &Value, b: &Value) -> Option<rust_decimal::Decimal> {
    let dec = |v: &Value| match v {
        Value::Decimal(d) => Some(*d),
        Value::Int(i) => Some(rust_decimal::Decimal::from(*i)),
        Value::Bool(b) => Some(rust_decimal::Decimal::from(u8::from(*b))),
        _ => None,
    };
    let (x, y) = (dec(a)?, dec(b)?);
    match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        // Python keeps the "ideal" exponent (the dividend's scale minus the divisor's)
        // when the quotient is exact at that scale.
        BinOp::Div => x.checked_div(y).map(|q| {
            let mut q = q.normalize();
            let ideal = x.scale().saturating_sub(y.scale());
            if q.scale() < ideal {
                q.rescale(ideal);
            }
            q
        }),
        // Python's Decimal `//` truncates toward zero and `%` keeps the dividend's sign.
        BinOp::FloorDiv => x.checked_div(y).map(|q| q.trunc()),
        BinOp::Mod => x.checked_rem(y),
        _ => None,
    }
}

trait ThenNonzero {
    fn then_nonzero(self, divisor: i64) -> Option<Value>;
}

impl ThenNonzero for Value {
    fn then_nonzero(self, divisor: i64) -> Option<Value> {
        (divisor != 0).then_some(self)
    }
}

fn scalar_cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    use Value::*;
    if let (Some(x), Some(y)) = (as_f64(a), as_f64(b)) {
        return x.partial_cmp(&y);
    }
    match (a, b) {
        (Text(x), Text(y)) => Some(x.cmp(y)),
        (Date(x), Date(y)) => Some(x.cmp(y)),
        (DateTime(x), DateTime(y)) => Some(x.cmp(y)),
        (Decimal(x), Decimal(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Python's ZeroDivisionError for `/`, `//` and `%` by a zero int or float.
fn zero_division(op: BinOp, a: &Value, b: &Value) -> Option<Diagnostic> {
    let float = matches!(a, Value::Float(_)) || matches!(b, Value::Float(_));
    let zero = match b {
        Value::Int(0) | Value::Bool(false) => true,
        Value::Float(f) => *f == 0.0,
        _ => false,
    };
    if !zero || !matches!(a, Value::Int(_) | Value::Bool(_) | Value::Float(_)) {
        return None;
    }
    let message = match (op, float) {
        (BinOp::Div, false) => "division by zero",
        (BinOp::FloorDiv, false) => "integer division or modulo by zero",
        (BinOp::Mod, false) => "integer modulo by zero",
        (BinOp::Div, true) => "float division by zero",
        (BinOp::FloorDiv, true) => "float floor division by zero",
        (BinOp::Mod, true) => "float modulo",
        _ => return None,
    };
    Some(Diagnostic::new(
        ErrorKind::Python("ZeroDivisionError".into()),
        message,
    ))
}

/// The most numbers of a `range()` made into a list (`list(range(n))`, `sorted()`, ...); a
/// `for` loop over a range of any length makes its numbers one at a time.
const MAX_RANGE: i64 = 10_000_000;

/// The longest string `+`, `*`, padding and format widths make, in bytes (256 MiB): a
/// shell's strings stay far below it, and a few strings past it would take gigabytes.
pub(super) const MAX_TEXT: usize = 1 << 28;

/// [`MAX_TEXT`] as messages say it.
pub(super) const MAX_TEXT_SAID: &str = "256 MiB";

/// The MemoryError of a string repeated or joined past [`MAX_TEXT`].
fn repeated_too_long(op: BinOp, a: &Value, b: &Value) -> Option<Diagnostic> {
    let what = match (op, a, b) {
        (BinOp::Mul, Value::Text(_), Value::Int(_))
        | (BinOp::Mul, Value::Int(_), Value::Text(_)) => "repeated",
        (BinOp::Add, Value::Text(_), Value::Text(_)) => "joined",
        _ => return None,
    };
    Some(Diagnostic::new(
        ErrorKind::Python("MemoryError".into()),
        format!("the {what} string would be longer than djq allows ({MAX_TEXT_SAID})"),
    ))
}

fn int_overflow(op: BinOp, a: &Value, b: &Value) -> Option<Diagnostic> {
    let int = |v: &Value| matches!(v, Value::Int(_) | Value::Bool(_));
    if !int(a) || !int(b) {
        return None;
    }
    if op == BinOp::Pow && matches!(b, Value::Int(n) if *n < 0) {
        return Some(Diagnostic::new(
            ErrorKind::Python("ZeroDivisionError".into()),
            "0.0 cannot be raised to a negative power",
        ));
    }
    matches!(
        op,
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::FloorDiv | BinOp::Mod | BinOp::Pow
    )
    .then(|| {
        Diagnostic::new(
            ErrorKind::Python("OverflowError".into()),
            "integer result out of range: djq's integers are 64-bit",
        )
    })
}

fn unsupported(op: BinOp, l: &Obj, r: &Obj, span: Span) -> Diagnostic {
    let (left, right) = (l.type_name(), r.type_name());
    let message = match (op, left.as_str()) {
        // CPython's own words for a sequence concatenated with another type.
        (BinOp::Add, "str" | "list" | "tuple") => {
            format!("can only concatenate {left} (not \"{right}\") to {left}")
        }
        _ => format!(
            "unsupported operand type(s) for {}: '{left}' and '{right}'",
            binop_symbol(op)
        ),
    };
    Diagnostic::new(ErrorKind::Type, message).at(span)
}

fn binop_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "** or pow()",
        BinOp::BitOr => "|",
        BinOp::BitAnd => "&",
        BinOp::BitXor => "^",
        BinOp::LShift => "<<",
        BinOp::RShift => ">>",
    }
}

fn unary_symbol(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Invert => "~",
        UnaryOp::Neg => "-",
        UnaryOp::Pos => "+",
        UnaryOp::Not => "not",
    }
}

fn cmp_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::LtE => "<=",
        CmpOp::Gt => ">",
        _ => ">=",
    }
}
