//! Expression evaluation: names, literals, attributes, calls, subscripts, iteration and
//! truth; operators are [`super::ops`], builtins [`super::builtins`].

use super::args::Args;
use super::containers::dedup_keys;
use super::nested::position;
use super::obj::{Function, FunctionBody, Obj, Range};
use super::stdlib::objects::StdObj;
use super::{Host, Interp, MAX_RANGE};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{Arg, BoolOp, Expr, ExprKind, FStringPart};
use crate::value::Value;
use std::ops::ControlFlow;
use std::rc::Rc;

impl<H: Host> Interp<H> {
    pub fn eval(&mut self, e: &Expr) -> Result<Obj> {
        match &e.kind {
            ExprKind::Name(n) => self.lookup_name(n, e.span),
            ExprKind::Int(i) => Ok(Obj::int(*i)),
            ExprKind::Float(f) => Ok(Obj::Value(Value::Float(*f))),
            ExprKind::Str(s) => Ok(Obj::str(s.as_str())),
            ExprKind::Bool(b) => Ok(Obj::bool(*b)),
            ExprKind::None => Ok(Obj::NONE),
            ExprKind::FString(parts) => Ok(Obj::str(self.fstring(parts)?)),
            ExprKind::List(items) => Ok(Obj::list(self.eval_display(items)?)),
            ExprKind::Tuple(items) => Ok(Obj::tuple(self.eval_display(items)?)),
            ExprKind::Set(items) => self.set_display(items),
            ExprKind::Dict(pairs) => {
                let mut out = Vec::new();
                for (k, v) in pairs {
                    match k {
                        Some(k) => out.push((self.eval(k)?, self.eval(v)?)),
                        None => out.extend(self.mapping_items(v)?),
                    }
                }
                Ok(Obj::dict(dedup_keys(out).map_err(|d| d.at(e.span))?))
            }
            ExprKind::Attribute { value, attr } => {
                let obj = self.eval(value)?;
                self.attribute(obj, &attr.name, attr.span)
            }
            ExprKind::Call { func, args } => self.eval_call(func, args, e.span).map(|(v, _)| v),
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
            ExprKind::SetComp { elt, generators } => self.set_comprehension(elt, generators),
            ExprKind::ListComp { elt, generators } | ExprKind::GeneratorExp { elt, generators } => {
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
            ExprKind::NamedExpr { target, value } => {
                let v = self.eval(value)?;
                self.bind(&target.name, v.clone());
                Ok(v)
            }
            kind => Err(match kind.unsupported_feature() {
                Some(feature) => Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!("{feature} is not supported by djq"),
                ),
                None => Diagnostic::new(
                    ErrorKind::NotSupported,
                    "djq does not support this kind of expression yet",
                ),
            }
            .at(e.span)),
        }
    }

    /// Evaluate a top-level expression statement: `None` when there is nothing to display,
    /// i.e. for a call of `print` or of accepted boilerplate (`django.setup()`,
    /// `os.environ.setdefault(...)`), which Python's shell does not echo either.
    pub fn eval_displayed(&mut self, e: &Expr) -> Result<Option<Obj>> {
        let ExprKind::Call { func, args } = &e.kind else {
            return self.eval(e).map(Some);
        };
        let (v, silent) = self.eval_call(func, args, e.span)?;
        Ok((!silent).then_some(v))
    }

    /// `func(args)`, and whether the shell shows nothing of it (see
    /// [`Self::eval_displayed`]). `recv.name(...)` of a host's method is called without the
    /// bound method made first.
    fn eval_call(&mut self, func: &Expr, args: &[Arg], span: Span) -> Result<(Obj, bool)> {
        let f = match &func.kind {
            ExprKind::Attribute { value, attr } => {
                let recv = self.eval(value)?;
                let name = attr.name.as_str();
                if name != "__class__" && H::is_method(self, &recv, name) {
                    let args = self.eval_args(args, span)?;
                    return Ok((H::call_method(self, recv, name, args)?, false));
                }
                self.attribute(recv, name, attr.span)?
            }
            _ => self.eval(func)?,
        };
        let silent = matches!(
            f,
            Obj::Builtin(super::Builtin::Print | super::Builtin::NoOp)
        ) || super::stdlib::objects::is_boilerplate(&f)
            || self.host.is_silent(&f);
        let args = self.eval_args(args, span)?;
        Ok((self.call(f, args)?, silent))
    }

    pub fn eval_all(&mut self, items: &[Expr]) -> Result<Vec<Obj>> {
        items.iter().map(|i| self.eval(i)).collect()
    }

    /// The items of a list, tuple or set display: `*iterable` gives its items.
    pub fn eval_display(&mut self, items: &[Expr]) -> Result<Vec<Obj>> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            match &i.kind {
                ExprKind::Starred(inner) => {
                    let v = self.eval(inner)?;
                    let items = self.iter_obj(&v, inner).map_err(|d| {
                        if d.message.ends_with("is not iterable") {
                            Diagnostic::new(
                                ErrorKind::Type,
                                format!("Value after * must be an iterable, not {}", v.type_name()),
                            )
                            .at(inner.span)
                        } else {
                            d
                        }
                    })?;
                    out.extend(items);
                }
                _ => out.push(self.eval(i)?),
            }
        }
        Ok(out)
    }

    /// The pairs of `**mapping` in a dict display.
    fn mapping_items(&mut self, e: &Expr) -> Result<Vec<(Obj, Obj)>> {
        match self.eval(e)? {
            Obj::Dict(d) => Ok(d.borrow().clone()),
            other => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("'{}' object is not a mapping", other.type_name()),
            )
            .at(e.span)),
        }
    }

    pub fn eval_args(&mut self, args: &[Arg], span: Span) -> Result<Args> {
        // Made at their size (`*`/`**` arguments may add more).
        let keywords = args
            .iter()
            .filter(|a| matches!(a, Arg::Keyword { .. }))
            .count();
        let mut out = Args {
            pos: Vec::with_capacity(args.len() - keywords),
            kw: Vec::with_capacity(keywords),
            span,
        };
        for a in args {
            match a {
                Arg::Positional(e) => out.pos.push((self.eval_arg(e)?, e.span)),
                Arg::Keyword { name, value } => {
                    let v = self.eval_arg(value)?;
                    out.kw
                        .push((name.name.as_str().to_owned(), v, name.span.to(value.span)));
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

    /// An argument's value: a literal (`'title'`, `400`, most arguments) made here, without
    /// a call of [`Self::eval`] (whose entry and exit cost more than the literal).
    #[inline]
    fn eval_arg(&mut self, e: &Expr) -> Result<Obj> {
        match &e.kind {
            ExprKind::Str(s) => Ok(Obj::str(s.as_str())),
            ExprKind::Int(i) => Ok(Obj::int(*i)),
            _ => self.eval(e),
        }
    }

    fn lookup_name(&mut self, n: &str, span: Span) -> Result<Obj> {
        if let Some(v) = self.variable(n) {
            if let Obj::Wrapper(w) = v
                && let super::classes::Wrapper::Failed(d) = &**w
            {
                return Err((**d).clone());
            }
            return Ok(v.clone());
        }
        if let Some(b) = super::builtins::builtin(n) {
            return Ok(b);
        }
        if let Some(v) = H::name(self, n, span)? {
            return Ok(v);
        }
        let mut d = Diagnostic::new(ErrorKind::Name, format!("name '{n}' is not defined")).at(span);
        let host_names = self.host.names();
        let candidates: Vec<&str> = self
            .vars
            .keys()
            .map(String::as_str)
            .chain(host_names.iter().map(String::as_str))
            .collect();
        if let Some(s) = crate::diag::suggest(n, candidates) {
            d = d.with_help(format!("did you mean '{s}'?"));
        }
        Err(d)
    }

    pub fn attribute(&mut self, obj: Obj, name: &str, span: Span) -> Result<Obj> {
        if let Some(v) = self.class_attribute(&obj, name, span)? {
            return Ok(v);
        }
        // `x.__class__` is `type(x)` (a native object's is its host's answer to that).
        if name == "__class__" {
            return Ok(self.py_type(&obj));
        }
        match &obj {
            Obj::Native(_) | Obj::Exception(_) => {
                if let Some(v) = super::stdlib::objects::StdObj::attribute(&obj, name) {
                    return Ok(v);
                }
                if let Some(v) = H::attribute(self, &obj, name, span)? {
                    return Ok(v);
                }
            }
            _ => {}
        }
        match &obj {
            Obj::Row(fields) => fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| self.no_attribute(&obj, name, span)),
            Obj::Module(m) => self.get_module_attribute(m, name, span),
            Obj::Builtin(b) if let Some(v) = super::stdlib::class_attribute(*b, name) => Ok(v),
            Obj::Exception(e)
                if name == "name"
                    && let Some(n) = super::exceptions::import_name(e) =>
            {
                Ok(Obj::str(n))
            }
            Obj::Value(Value::Text(_)) if super::methods::STR_METHODS.contains(&name) => {
                Ok(Obj::Method(Rc::new(obj), name.into()))
            }
            Obj::Value(v) if let Some(a) = super::stdlib::value_attribute(v, name) => Ok(a),
            Obj::Value(v) if super::methods::temporal_split(v).is_some() => {
                if super::methods::TEMPORAL_METHODS.contains(&name) {
                    return Ok(Obj::Method(Rc::new(obj.clone()), name.into()));
                }
                super::methods::temporal_part(v, name)
                    .ok_or_else(|| self.no_attribute(&obj, name, span))
            }
            Obj::ExceptionClass(c) if name == "__name__" => {
                Ok(Obj::str(super::exceptions::short_name(c)))
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
            Obj::Set(s) if super::sets::has_method(s, name) => {
                Ok(Obj::Method(Rc::new(obj), name.into()))
            }
            Obj::Builtin(_) | Obj::Type(_) | Obj::Function(_)
                if let Some(v) = self.type_attribute(&obj, name) =>
            {
                Ok(v)
            }
            _ => Err(self.no_attribute(&obj, name, span)),
        }
    }

    /// The AttributeError of `obj.name`.
    pub fn no_attribute(&self, obj: &Obj, name: &str, span: Span) -> Diagnostic {
        let owner = match obj {
            Obj::Native(n) => format!("'{}' object", self.host.type_name(&**n)),
            other => format!("'{}' object", other.type_name()),
        };
        let d = Diagnostic::new(
            ErrorKind::Attribute,
            format!("{owner} has no attribute '{name}'"),
        )
        .at(span);
        self.host.attribute_help(obj, name, d)
    }

    pub fn call(&mut self, f: Obj, args: Args) -> Result<Obj> {
        match f {
            Obj::Method(recv, name) => match &*recv {
                Obj::Value(Value::Text(s)) if name == "format" => self.str_format(s, &args),
                Obj::Value(Value::Text(s)) if name == "join" => self.str_join(s, &args),
                Obj::Value(Value::Text(s)) => super::methods::str_method(s, &name, &args),
                Obj::Value(v) if let Some(r) = self.value_method(v, &name, &args) => r,
                Obj::Native(n) if let Some(o) = n.as_any().downcast_ref::<StdObj>() => {
                    self.std_method(o, &name, &args)
                }
                Obj::Value(v) => super::methods::temporal_method(v, &name, &args),
                Obj::Dict(pairs) => self.dict_method(pairs, &name, &args),
                Obj::List(items) => self.list_method(items, &name, &args),
                Obj::Set(set) => self.set_method(set, &name, &args),
                Obj::Builtin(_) => self.call_unbound(&recv, &name, args),
                Obj::Wrapper(_) => self.call_wrapper_method(&recv, &name, args),
                _ => H::call_method(self, Rc::unwrap_or_clone(recv), &name, args),
            },
            Obj::Builtin(b) => {
                let span = args.span;
                self.call_builtin(b, args).map_err(|d| d.at(span))
            }
            Obj::Function(f) => self.call_function(&f, args),
            Obj::ExceptionClass(c) => self.new_exception(&c, &args),
            Obj::Native(ref n) if let Some(o) = n.as_any().downcast_ref::<StdObj>() => self
                .std_call(o, &args)
                .unwrap_or_else(|| Err(super::stdlib::objects::not_callable(o, args.span))),
            Obj::Native(_) => H::call(self, &f, args),
            Obj::Class(_) | Obj::Object(_) | Obj::Wrapper(_) => self.call_class_obj(&f, args),
            other => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("'{}' object is not callable", other.type_name()),
            )
            .at(args.span)),
        }
    }

    /// `obj[index]`.
    pub fn subscript(&mut self, obj: Obj, index: &Expr, span: Span) -> Result<Obj> {
        if let Some(r) = self.std_subscript(&obj, index) {
            return r;
        }
        if let Obj::Native(_) = obj {
            return H::subscript(self, obj, index, span);
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
    pub fn item(&mut self, obj: &Obj, idx: &Obj, span: Span) -> Result<Obj> {
        match (obj, idx) {
            (Obj::List(_) | Obj::Tuple(_) | Obj::Row(_), Obj::Value(Value::Int(i))) => {
                // The one item, without copying the sequence.
                let at = |n: usize| {
                    let n = n as i64;
                    let j = if *i < 0 { i + n } else { *i };
                    (0..n).contains(&j).then_some(j as usize)
                };
                let found = match obj {
                    Obj::List(l) => {
                        let l = l.borrow();
                        at(l.len()).map(|j| l[j].clone())
                    }
                    Obj::Tuple(t) => at(t.len()).map(|j| t[j].clone()),
                    Obj::Row(r) => at(r.len()).map(|j| r[j].1.clone()),
                    _ => None,
                };
                found.ok_or_else(|| {
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

    pub fn truthy(&mut self, o: &Obj, at: &Expr) -> Result<bool> {
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
            Obj::Set(s) => !s.is_empty(),
            Obj::Range(r) => !r.is_empty(),
            Obj::Native(_) => H::truthy(self, o, at.span)?,
            _ => true,
        })
    }

    /// Python's `for` over the value of `e`: `each` gets the items in turn until it breaks.
    /// A native object may make its items as it goes ([`Host::stream`]: a queryset's
    /// `iterator()`); anything else is iterated over the list of its items.
    pub fn for_each<B>(
        &mut self,
        e: &Expr,
        mut each: impl FnMut(&mut Interp<H>, Obj) -> Result<ControlFlow<B>>,
    ) -> Result<ControlFlow<B>> {
        let o = self.eval(e)?;
        if let Obj::Native(_) = &o
            && let Some(done) = H::stream(self, &o, e.span, &mut each)
        {
            return done;
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

    pub fn iter_obj(&mut self, o: &Obj, at: &Expr) -> Result<Vec<Obj>> {
        match o {
            Obj::List(_) | Obj::Tuple(_) | Obj::Row(_) => Ok(o.items().unwrap_or_default()),
            Obj::Dict(d) => Ok(d.borrow().iter().map(|(k, _)| k.clone()).collect()),
            Obj::Set(s) => Ok(s.to_vec()),
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
            Obj::Native(n)
                if let Some(items) =
                    n.as_any().downcast_ref::<StdObj>().and_then(StdObj::items) =>
            {
                Ok(items)
            }
            Obj::Native(_) => match H::items(self, o, at.span)? {
                Some(items) => Ok(items),
                None => Err(not_iterable(o, at.span)),
            },
            other => Err(not_iterable(other, at.span)),
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
}

/// `items[lo:hi:step]` with Python's rules for missing and negative bounds.
pub fn pick<T: Clone>(items: &[T], lo: Option<i64>, hi: Option<i64>, step: i64) -> Vec<T> {
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

/// The TypeError of iterating what is not iterable.
fn not_iterable(o: &Obj, span: Span) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        format!("'{}' object is not iterable", o.type_name()),
    )
    .at(span)
}
