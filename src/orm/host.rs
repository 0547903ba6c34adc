//! Django's object layer as the runtime's [`Host`]: what the interpreter asks about
//! Django's objects — the names Python does not bind (model classes, `Q`, `F`, aggregates,
//! database functions, field classes, `transaction`), their attributes, calls, operators,
//! iteration, `str()` and `repr()` — answered here, each by the module that owns it.

use super::names::{MODEL_EXCEPTIONS, django_name};
use super::obj::{Atomic, DjangoFn, DjangoObj, Instance, ModelBase, QuerySet, make};
use super::{Orm, Session};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Flow, Host, Native, Obj};
use crate::query::expr::{Arith, Connector};
use crate::query::{FExpr, Operand, QChild, QNode};
use crate::syntax::ast::{BinOp, Expr, UnaryOp};
use crate::value::Value;
use std::convert::Infallible;
use std::ops::ControlFlow;
use std::rc::Rc;

fn method(obj: &Obj, name: &str) -> Obj {
    Obj::Method(Rc::new(obj.clone()), name.into())
}

/// A receiver whose methods are a chain's: a manager, or a queryset.
enum Chain<'a> {
    Manager(super::obj::Manager),
    QuerySet(&'a QuerySet),
}

/// Which of a chain's receivers `o` is, if it is one: asked of every method call, with one
/// look at the object's type.
fn chain_receiver(o: &Obj) -> Option<Chain<'_>> {
    let Obj::Native(n) = o else { return None };
    let any = n.as_any();
    match any.downcast_ref::<QuerySet>() {
        Some(qs) => Some(Chain::QuerySet(qs)),
        None => any
            .downcast_ref::<super::obj::Manager>()
            .map(|m| Chain::Manager(*m)),
    }
}

impl Host for Orm {
    fn name(cx: &mut Session, n: &str, span: Span) -> Result<Option<Obj>> {
        if let Some((m, shadowed)) = super::modules::model_named(&cx.host.schema, n) {
            if !shadowed.is_empty() && !cx.host.shadow_noticed.iter().any(|s| s == n) {
                cx.host.shadow_noticed.push(n.to_string());
                cx.flush()?;
                eprintln!(
                    "{}",
                    super::modules::shadow_notice(&cx.host.schema, m, &shadowed)
                );
            }
            return Ok(Some(cx.host.made.model(m)));
        }
        if let Some(v) = django_name(n) {
            return Ok(Some(v));
        }
        if let Some(app) = super::modules::app_named(&cx.host.schema, n) {
            return Ok(Some(app));
        }
        if super::modules::LATER_EXPRESSIONS.contains(&n) {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("{n} is not supported by djq yet"),
            )
            .at(span));
        }
        Ok(None)
    }

    fn names(&self) -> Vec<String> {
        self.schema
            .user_models()
            .map(|(_, m)| m.name.clone())
            .collect()
    }

    fn module(&self, name: &str) -> Option<crate::py::Module> {
        self.django_module(name)
    }

    fn attribute(cx: &mut Session, obj: &Obj, name: &str, span: Span) -> Result<Option<Obj>> {
        // Model classes first: `Book.objects` starts most statements (the methods of a chain
        // are called without their attribute being made: `Host::is_method`).
        if let Some(m) = obj.model_class() {
            return match name {
                _ if let Some(manager) = cx.model_manager(m, name) => Ok(Some(manager)),
                _ if let Some(meta) = cx.meta_attribute(obj, name)? => Ok(Some(meta)),
                _ if let Some(tags) = cx.tags_of_model(m, name) => Ok(Some(tags)),
                // `type(instance).__name__`.
                "__name__" | "__qualname__" => {
                    Ok(Some(Obj::str(cx.host.schema.model(m).name.clone())))
                }
                _ if MODEL_EXCEPTIONS.contains(&name) => Ok(Some(Obj::ExceptionClass(format!(
                    "{}.{name}",
                    cx.host.schema.model(m).name
                )))),
                _ => Err(Diagnostic::new(
                    ErrorKind::Attribute,
                    format!(
                        "type object '{}' has no attribute '{name}'",
                        cx.host.schema.model(m).name
                    ),
                )
                .at(span)),
            };
        }
        // Then managers and querysets.
        let qs = obj.native::<QuerySet>();
        if let Some(qs) = qs
            && name == "query"
        {
            return cx.query_text(qs).map(Some);
        }
        if let Some(m) = obj.manager() {
            match name {
                "model" => return Ok(Some(make::model(m))),
                "_db" => return Ok(Some(Obj::NONE)),
                _ => {}
            }
        }
        if obj.native::<super::taggit::TagsOfModel>().is_some()
            && (super::queryset::is_method(name) || name == "most_common")
        {
            return Ok(Some(method(obj, name)));
        }
        if obj.manager().is_some() || qs.is_some() {
            if Self::is_method(cx, obj, name) {
                return Ok(Some(method(obj, name)));
            }
            return cx.manager_attribute(obj, name);
        }
        if let Some(v) = cx.py_lookup_attribute(obj, name) {
            return v.map(Some);
        }
        if let Some(v) = super::choices::attribute(obj, name) {
            return Ok(Some(v));
        }
        if let Some(v) = cx.module_object_attribute(obj, name) {
            return v.map(Some);
        }
        if let Some(v) = cx.meta_attribute(obj, name)? {
            return Ok(Some(v));
        }
        if let Some(inst) = obj.instance() {
            if name == "__class__" {
                return Ok(Some(make::model(inst.model)));
            }
            return cx.instance_attribute(inst, name, span).map(Some);
        }
        if obj.f().is_some() && (matches!(name, "asc" | "desc") || Arith::bitwise(name).is_some()) {
            return Ok(Some(method(obj, name)));
        }
        if let Obj::Exception(e) = obj
            && let Some(v) = cx.validation_attribute(e, name)?
        {
            return Ok(Some(v));
        }
        // ProtectedError.protected_objects / RestrictedError.restricted_objects (a set in
        // Django; a list here).
        if let Obj::Exception(e) = obj
            && matches!(name, "protected_objects" | "restricted_objects")
            && matches!(e.kind, ErrorKind::Protected | ErrorKind::Restricted)
        {
            return Ok(Some(Obj::list(
                e.objects
                    .iter()
                    .map(|(m, values)| make::instance(Rc::new(Instance::new(*m, values.clone()))))
                    .collect(),
            )));
        }
        Ok(None)
    }

    fn attribute_help(&self, obj: &Obj, name: &str, mut d: Diagnostic) -> Diagnostic {
        if let Some(m) = obj.manager()
            && super::queryset::QUERYSET_ONLY.contains(&name)
        {
            let model = &self.schema.model(m).name;
            d = d.with_help(format!(
                "managers have no {name}(), so that no one empties a table by accident: \
                 {model}.objects.all().{name}()"
            ));
        } else if (obj.manager().is_some() || obj.queryset().is_some())
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

    fn set_attribute(
        cx: &mut Session,
        obj: &Obj,
        name: &str,
        value: Obj,
        span: Span,
    ) -> Result<()> {
        if let Some(done) = cx.set_module_object_attribute(obj, name, &value, span) {
            return done;
        }
        if cx.set_manager_attribute(obj, name, &value)? {
            return Ok(());
        }
        match obj.instance() {
            Some(inst) => cx.set_attribute(&inst, name, value, span),
            None => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "assigning to this target is not supported by djq yet",
            )
            .at(span)),
        }
    }

    fn instantiate_native(
        cx: &mut Session,
        class: &std::rc::Rc<crate::py::obj::Class>,
        base: &Obj,
        args: &Args,
    ) -> Option<Result<Obj>> {
        let Some(super::obj::DjangoFn::Aggregate(func)) = base.django_fn() else {
            return None;
        };
        Some(cx.aggregate_subclass(func, class, args).map(make::f))
    }

    fn call(cx: &mut Session, f: &Obj, args: Args) -> Result<Obj> {
        // Django's callables first (`Q`, `F`, `Count`): most calls are theirs.
        if let Some(func) = f.django_fn() {
            let span = args.span;
            return cx.call_django(func, args).map_err(|d| d.at(span));
        }
        if let Some(made) = super::choices::call(f, &args) {
            return made;
        }
        if let Some(made) = cx.py_lookup_call(f, &args) {
            return made;
        }
        if let Some(m) = f.model_class() {
            return cx.new_instance(m, &args).map(make::instance);
        }
        if let Some(class) = f.native::<super::contenttypes::FieldClass>() {
            return class.call(cx, &args);
        }
        Err(Diagnostic::new(
            ErrorKind::Type,
            format!("'{}' object is not callable", f.type_name()),
        )
        .at(args.span))
    }

    /// A manager's or queryset's method (but `qs.query`, `manager.model` and `manager._db`,
    /// its attributes).
    fn is_method(cx: &Session, obj: &Obj, name: &str) -> bool {
        let (qs, manager) = match chain_receiver(obj) {
            Some(Chain::QuerySet(qs)) => (Some(qs), false),
            Some(Chain::Manager(_)) => (None, true),
            None => return false,
        };
        if (qs.is_some() && name == "query") || (manager && matches!(name, "model" | "_db")) {
            return false;
        }
        // Django's own methods first: looking for models.py's is the longer search.
        let queryset_only = manager && super::queryset::QUERYSET_ONLY.contains(&name);
        (super::queryset::is_method(name) && !queryset_only)
            || (qs.is_some_and(|qs| qs.related.is_some())
                && super::related::RELATED_METHODS.contains(&name))
            || qs.is_some_and(|qs| super::taggit::has_method(qs, name))
            || (name == "get_queryset" && qs.is_some())
            || cx.has_custom_method(obj, name)
    }

    fn call_method(cx: &mut Session, recv: Obj, name: &str, args: Args) -> Result<Obj> {
        // Managers and querysets first: every method of a chain comes here.
        let (manager, custom) = match chain_receiver(&recv) {
            // A plain manager (the `objects` of a model that declares none) has no models.py
            // methods: only its `get_queryset`, `__init__` and ContentType's manager's own
            // methods are more than its queryset's.
            Some(Chain::Manager(super::obj::Manager(m, index))) => (
                true,
                index.is_some()
                    || matches!(name, "get_queryset" | "__init__")
                    || cx.is_content_type(m),
            ),
            // A queryset of Django's own QuerySet class (most are) has no models.py methods,
            // and its `__init__` is Django's.
            Some(Chain::QuerySet(qs)) => (false, qs.manager.is_some() || name == "__init__"),
            None => return cx.call_other_method(recv, name, args),
        };
        if custom && let Some(result) = cx.call_custom_method(&recv, name, &args) {
            return result;
        }
        if manager {
            let qs = cx.get_queryset(&recv)?;
            return cx.queryset_method(qs, name, args);
        }
        // `super().get_queryset()` in a models.py manager method.
        if name == "get_queryset" {
            return Ok(recv);
        }
        // Taken from the receiver, a queryset held by nothing else is changed, not copied
        // (its type known above, it is not checked again).
        let Obj::Native(n) = recv else {
            unreachable!("a queryset")
        };
        let Ok(qs) = n.into_any().downcast::<QuerySet>() else {
            unreachable!("a queryset")
        };
        cx.queryset_method(qs, name, args)
    }

    fn unary(cx: &mut Session, op: UnaryOp, v: &Obj, _span: Span) -> Option<Result<Obj>> {
        let _ = cx;
        match op {
            UnaryOp::Invert if let Some(q) = v.q() => Some(Ok(make::q(q.clone().negate()))),
            UnaryOp::Invert if let Some(f @ FExpr::Subquery { exists: true, .. }) = v.f() => {
                let mut f = f.clone();
                if let FExpr::Subquery { negated, .. } = &mut f {
                    *negated = !*negated;
                }
                Some(Ok(make::f(f)))
            }
            // `~~F('flag')` is `F('flag')` again (NegatedExpression.__invert__).
            UnaryOp::Invert if let Some(FExpr::Negated(inner)) = v.f() => {
                Some(Ok(make::f((**inner).clone())))
            }
            UnaryOp::Invert if let Some(f) = v.f() => {
                Some(Ok(make::f(FExpr::Negated(Box::new(f.clone())))))
            }
            UnaryOp::Neg if let Some(f) = v.f() => Some(Ok(make::f(FExpr::Combined {
                op: Arith::Mul,
                lhs: Box::new(f.clone()),
                rhs: Box::new(FExpr::Value(Value::Int(-1))),
            }))),
            _ => None,
        }
    }

    fn binary(cx: &mut Session, op: BinOp, l: &Obj, r: &Obj, span: Span) -> Option<Result<Obj>> {
        let _ = cx;
        let expression = |o: &Obj| o.q().is_some() || o.f().is_some();
        // `q1 | q2`; Django's `Combinable.__and__/__or__` on conditional expressions makes
        // `Q(a) & Q(b)` of them.
        if matches!(op, BinOp::BitOr | BinOp::BitAnd) && expression(l) && expression(r) {
            let node = |o: &Obj| match super::functions::q_child(o.clone(), span) {
                Ok(QChild::Node(n)) => n,
                Ok(child) => QNode::new(vec![child], Vec::new()),
                Err(_) => unreachable!("a Q or an expression"),
            };
            let conn = if op == BinOp::BitOr {
                Connector::Or
            } else {
                Connector::And
            };
            return Some(Ok(make::q(node(l).combine(node(r), conn))));
        }
        if matches!(op, BinOp::BitOr | BinOp::BitAnd)
            && let (Some(a), Some(b)) = (l.queryset(), r.queryset())
        {
            if a.query.model != b.query.model {
                return Some(Err(Diagnostic::new(
                    ErrorKind::Type,
                    "Cannot combine queries on two different base models.",
                )
                .at(span)));
            }
            return Some(Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "combining querysets with | and & is not supported by djq yet",
            )
            .at(span)));
        }
        if l.f().is_none() && r.f().is_none() {
            return None;
        }
        let Some(arith) = arith(op) else {
            return Some(Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "this operator is not supported on F() expressions",
            )
            .at(span)));
        };
        let side = |o: &Obj| -> Result<FExpr> {
            match o {
                o if let Some(f) = o.f() => Ok(f.clone()),
                Obj::Value(v) => Ok(FExpr::Value(v.clone())),
                o if let Some(s) = super::functions::queryset_subquery(o, span) => Ok(s),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("unsupported operand type for F(): '{}'", other.type_name()),
                )
                .at(span)),
            }
        };
        Some((|| {
            Ok(make::f(FExpr::Combined {
                op: arith,
                lhs: Box::new(side(l)?),
                rhs: Box::new(side(r)?),
            }))
        })())
    }

    fn truthy(cx: &mut Session, o: &Obj, span: Span) -> Result<bool> {
        if o.queryset().is_some() || o.native::<super::raw::RawQuerySet>().is_some() {
            return Ok(!Self::items(cx, o, span)?.unwrap_or_default().is_empty());
        }
        Ok(true)
    }

    fn len(cx: &mut Session, o: &Obj, span: Span) -> Result<Option<usize>> {
        if let Some(members) = super::choices::items(o) {
            return Ok(Some(members.len()));
        }
        if o.queryset().is_some()
            || o.manager().is_some()
            || o.native::<super::raw::RawQuerySet>().is_some()
        {
            return Ok(Self::items(cx, o, span)?.map(|items| items.len()));
        }
        Ok(None)
    }

    fn items(cx: &mut Session, o: &Obj, span: Span) -> Result<Option<Vec<Obj>>> {
        if let Some(members) = super::choices::items(o) {
            return Ok(Some(members));
        }
        if let Some(qs) = o.queryset() {
            return match qs.chunk_size {
                // `iterator()`: run again, as a new generator would be.
                Some(chunk_size) => {
                    let mut items = Vec::new();
                    let ControlFlow::Continue(()) =
                        cx.stream(&qs, chunk_size, span, |_, item| {
                            items.push(item);
                            Ok(ControlFlow::<Infallible>::Continue(()))
                        })?;
                    Ok(Some(items))
                }
                None => Ok(Some(cx.evaluate(&qs).map_err(|d| d.at(span))?.to_vec())),
            };
        }
        if let Some(raw) = o.native::<super::raw::RawQuerySet>() {
            return cx.raw_items(raw, span).map(Some);
        }
        if let Some(m) = o.manager() {
            return Err(
                Diagnostic::new(ErrorKind::Type, "'Manager' object is not iterable")
                    .at(span)
                    .with_help(format!(
                        "use {}.objects.all()",
                        cx.host.schema.model(m).name
                    )),
            );
        }
        Ok(None)
    }

    fn stream<B>(
        cx: &mut Session,
        o: &Obj,
        span: Span,
        each: &mut crate::py::Each<'_, Orm, B>,
    ) -> Option<Result<ControlFlow<B>>> {
        let qs = o.queryset()?;
        let chunk_size = qs.chunk_size?;
        Some(cx.stream(&qs, chunk_size, span, each))
    }

    fn subscript(cx: &mut Session, obj: Obj, index: &Expr, span: Span) -> Result<Obj> {
        // A queryset first (`qs[:10]` ends many statements): taken, so one held by nothing
        // else is changed, not copied.
        let obj = match obj.into_native::<QuerySet>() {
            Ok(qs) => return cx.queryset_subscript(qs, index, span),
            Err(obj) => obj,
        };
        // Django's `RawQuerySet.__getitem__`: `list(self)[k]`, the whole query run.
        if let Some(raw) = obj.native::<super::raw::RawQuerySet>() {
            let items = cx.raw_items(raw, span)?;
            return cx.subscript(Obj::list(items), index, span);
        }
        if super::choices::items(&obj).is_some() {
            let key = cx.eval(index)?;
            if let Some(found) = super::choices::subscript(&obj, &key) {
                return found.map_err(|d| d.at(span));
            }
        }
        if let Some(f @ (FExpr::Ref { .. } | FExpr::OuterRef { .. })) = obj.f() {
            return Ok(make::f(cx.f_subscript(f, index, span)?));
        }
        if obj.manager().is_some() {
            let qs = cx.get_queryset(&obj)?;
            return cx.queryset_subscript(qs, index, span);
        }
        Err(Diagnostic::new(
            ErrorKind::Type,
            format!("'{}' object is not subscriptable", obj.type_name()),
        )
        .at(span))
    }

    fn take_items(cx: &mut Session, o: &Obj, span: Span) -> Option<Result<Vec<Obj>>> {
        // A queryset nothing else holds (`list(Book.objects.all())`): no one can see its
        // result cache, so its rows go straight into the list instead of into a cache of
        // the same size as well.
        let Obj::Native(n) = o else { return None };
        if Rc::strong_count(n) != 1 {
            return None;
        }
        let qs = o.native::<QuerySet>()?;
        if qs.chunk_size.is_some() || qs.cache.get().is_some() {
            return None;
        }
        Some(cx.fetch_all(qs).map_err(|d| d.at(span)))
    }

    fn str(cx: &mut Session, o: &Obj) -> Result<String> {
        if let Some(text) = super::choices::text(o, false) {
            return Ok(text);
        }
        if let Some(q) = o.q() {
            return Ok(super::repr::q_str(&cx.host.schema, q));
        }
        if let Some(f) = o.f() {
            return Ok(super::repr::expr_str(&cx.host.schema, f));
        }
        if let Some(text) = Session::query_str(o) {
            return text;
        }
        if let Some(zone) = o.native::<super::tz::ZoneInfo>() {
            return Ok(zone.0.to_string());
        }
        let Some(inst) = o.instance() else {
            return cx.repr(o);
        };
        if cx.is_content_type(inst.model) {
            return cx.content_type_str(&inst);
        }
        let model = cx.host.schema.model(inst.model);
        let name = model.name.clone();
        let pk = match cx.composite_pk_value(&inst) {
            Some(pk) => cx.repr(&pk)?,
            None => (inst.get(&model.pk_field().attname()).unwrap_or(Value::Null)).to_python_str(),
        };
        Ok(format!("{name} object ({pk})"))
    }

    fn repr(cx: &mut Session, o: &Obj) -> Result<String> {
        if let Some(text) = super::choices::text(o, true) {
            return Ok(text);
        }
        if let Some(raw) = o.native::<super::raw::RawQuerySet>() {
            return Ok(format!("<RawQuerySet: {}>", raw.text()));
        }
        if let Some(zone) = o.native::<super::tz::ZoneInfo>() {
            return Ok(format!("zoneinfo.ZoneInfo(key='{}')", zone.0));
        }
        let schema = &cx.host.schema;
        if let Some(inst) = o.instance() {
            let name = schema.model(inst.model).name.clone();
            return Ok(format!("<{name}: {}>", cx.py_str(o)?));
        }
        if let Some(qs) = o.queryset() {
            // Django's `list(self[:21])`: from the cache when evaluated.
            let items = match qs.cache.get() {
                Some(items) => items,
                None => {
                    let mut q = (*qs).clone();
                    q.query.set_limits(None, Some(21));
                    Rc::new(cx.fetch_all(&q)?)
                }
            };
            let mut shown = cx.repr_items(&items[..items.len().min(20)])?;
            if items.len() > 20 {
                shown.push_str(", '...(remaining elements truncated)...'");
            }
            return Ok(format!("<QuerySet [{shown}]>"));
        }
        Ok(if let Some(m) = o.model_class() {
            format!("<class '{}'>", schema.model(m).name)
        } else if let Some(super::obj::Manager(m, index)) = o.manager_ref() {
            let model = schema.model(m);
            // No index: the implicit `objects`, or the plain `_base_manager` of a model
            // that declares managers.
            let plain = if model.managers.is_empty() {
                "objects"
            } else {
                "_base_manager"
            };
            let (class, name) = index.map_or(("Manager", plain), |i| {
                (
                    model.managers[i].class.as_str(),
                    model.managers[i].name.as_str(),
                )
            });
            let module = if class == "Manager" {
                "django.db.models.manager".to_string()
            } else {
                format!("{}.models", model.app_label)
            };
            format!("<{module}.{class} object ({}.{name})>", model.name)
        } else if let Some(q) = o.q() {
            super::repr::q_repr(schema, q)
        } else if let Some(f) = o.f() {
            super::repr::expr_repr(schema, f)
        } else if let Some(ty) = o.field_instance() {
            format!("<django.db.models.fields.{}>", ty.kind.django_name())
        } else if o.native::<ModelBase>().is_some() {
            "<class 'django.db.models.base.Model'>".into()
        } else if let Some(class) = o.native::<super::contenttypes::FieldClass>() {
            class.repr()
        } else if let Some(f) = o.django_fn() {
            format!("<built-in function {f:?}>")
        } else {
            format!("<{} object>", o.type_name())
        })
    }

    fn type_name(&self, o: &dyn Native) -> String {
        if let Some(f) = o.as_any().downcast_ref::<super::meta::MetaField>() {
            return super::meta::internal_type(&self.schema, *f);
        }
        if let Some(class) = super::managers::class_name(&self.schema, o) {
            return class;
        }
        match o.as_any().downcast_ref::<Instance>() {
            Some(inst) => self.schema.model(inst.model).name.clone(),
            None => o.type_name().into_owned(),
        }
    }

    fn is_instance(&self, o: &Obj, cls: &Obj) -> Option<bool> {
        if cls.native::<ModelBase>().is_some() {
            return Some(o.instance().is_some());
        }
        let m = cls.model_class()?;
        // A multi-table child's or a proxy's instance is an instance of its ancestors.
        Some(
            o.instance()
                .is_some_and(|i| self.schema.is_subclass(i.model, m)),
        )
    }

    fn is_subclass(&self, c: &Obj, base: &Obj) -> Option<bool> {
        base.native::<ModelBase>()?;
        Some(c.model_class().is_some() || c.native::<ModelBase>().is_some())
    }

    fn guarded(
        cx: &mut Session,
        body: &mut dyn FnMut(&mut Session) -> Result<Flow>,
    ) -> Result<Flow> {
        cx.catching(body)
    }

    fn with_context(
        cx: &mut Session,
        ctx: &Obj,
        span: Span,
        body: &mut dyn FnMut(&mut Session, Obj) -> Result<Flow>,
    ) -> Result<Flow> {
        if ctx.django_fn() != Some(DjangoFn::Atomic) && ctx.native::<Atomic>().is_none() {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "djq supports `with transaction.atomic():` only",
            )
            .at(span));
        }
        // Django's `Atomic.__enter__` returns None.
        cx.atomic(|s| body(s, Obj::NONE))
    }

    fn is_silent(&self, f: &Obj) -> bool {
        f.django_fn() == Some(DjangoFn::Dumpdata)
    }

    fn type_of(cx: &mut Session, o: &Obj) -> Obj {
        super::help::type_of(cx, o)
    }

    fn dir(cx: &mut Session, o: &Obj) -> Vec<String> {
        super::help::dir(cx, o)
    }

    fn help(cx: &mut Session, o: &Obj) -> Option<String> {
        super::help::help(cx, o)
    }

    fn module_defined(cx: &mut Session, module: &str, name: &str) -> Option<Obj> {
        let label = super::modules::defining_app(module)?;
        let m = cx
            .host
            .schema
            .user_models()
            .find(|(_, m)| m.app_label == label && m.module.is_some())
            .map(|(i, _)| i)?;
        let scope = cx.model_module(m)?;
        scope.names.borrow().get(name).cloned()
    }

    fn class_made(
        _cx: &mut Session,
        class: &Rc<crate::py::classes::Class>,
        body: &[crate::syntax::ast::Stmt],
    ) -> Result<Option<Obj>> {
        super::choices::made(class, body)
    }

    fn class_of(cx: &mut Session, o: &Obj) -> Option<(Rc<crate::py::classes::Class>, bool)> {
        // A model class first: `Book.objects` starts most statements.
        if let Some(m) = o.model_class() {
            return cx.model_python_class(m).map(|c| (c, false));
        }
        if let Some(c) = cx.lookup_class_of(o) {
            return Some((c, false));
        }
        cx.python_class_of(o)
    }
}

/// The arithmetic of an operator on expressions.
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

impl Session {
    /// A method of an object that is neither a manager nor a queryset.
    fn call_other_method(&mut self, recv: Obj, name: &str, args: Args) -> Result<Obj> {
        if let Some(result) = self.meta_method(&recv, name, &args) {
            return result;
        }
        if let Some(&tags) = recv.native::<super::taggit::TagsOfModel>() {
            return self.tags_of_model_method(tags, name, args);
        }
        if let Some(fx) = recv.f() {
            let fx = fx.clone();
            if let Some(op) = Arith::bitwise(name) {
                return self.bitwise_expr(fx, op, &args).map(make::f);
            }
            return self.order_by_expr(&fx, name, &args).map(make::f);
        }
        if let Some(inst) = recv.instance() {
            return self.instance_method(&inst, name, &args);
        }
        if let Some(result) = self.py_lookup_method(&recv, name, &args) {
            return result;
        }
        Err(self.no_attribute(&recv, name, args.span))
    }

    /// Call one of Django's callables.
    fn call_django(&mut self, f: DjangoFn, args: Args) -> Result<Obj> {
        let span = args.span;
        let one = |args: &Args| -> Result<Obj> {
            args.pos.first().map(|(o, _)| o.clone()).ok_or_else(|| {
                Diagnostic::new(ErrorKind::Type, "expected 1 argument, got 0").at(span)
            })
        };
        match f {
            DjangoFn::Q => {
                super::functions::refuse_dict_filter(&args)?;
                let children = super::functions::q_children(args.pos, |t| {
                    format!("Q() positional arguments must be Q objects or expressions, not {t}")
                })?;
                let kw = self.leaves(args.kw)?;
                Ok(make::q(QNode::new(children, kw)))
            }
            DjangoFn::Aggregate(func) => self.aggregate_expr(func, &args).map(make::f),
            DjangoFn::Func(func) => self.func_expr(func, &args).map(make::f),
            DjangoFn::Window => self.window_expr(&args).map(make::f),
            DjangoFn::WindowFunc(func) => self.window_func_expr(func, &args).map(make::f),
            DjangoFn::Frame(rows) => self.frame_expr(rows, &args).map(make::f),
            DjangoFn::Value => self.value_expr(&args).map(make::f),
            DjangoFn::Super => self.super_manager(span),
            DjangoFn::Subquery | DjangoFn::Exists => self
                .subquery_expr(f == DjangoFn::Exists, &args)
                .map(make::f),
            DjangoFn::Case => self.case_expr(&args).map(make::f),
            DjangoFn::When => self.when_expr(&args).map(make::f),
            DjangoFn::Field(kind) => self.field_instance(kind, &args),
            DjangoFn::F | DjangoFn::OuterRef => match &one(&args)? {
                Obj::Value(Value::Text(name)) => Ok(make::f(if f == DjangoFn::F {
                    FExpr::Ref {
                        name: name.clone(),
                        span,
                    }
                } else {
                    FExpr::OuterRef {
                        name: name.clone(),
                        depth: 0,
                        span,
                    }
                })),
                o if f == DjangoFn::OuterRef
                    && let Some(outer @ FExpr::OuterRef { .. }) = o.f() =>
                {
                    let mut outer = outer.clone();
                    if let FExpr::OuterRef { depth, .. } = &mut outer {
                        *depth += 1;
                    }
                    Ok(make::f(outer))
                }
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("F() expects a field name string, not {}", other.type_name()),
                )
                .at(span)),
            },
            DjangoFn::Dumpdata => self.dumpdata(&args),
            DjangoFn::Prefetch => self.prefetch_object(&args),
            DjangoFn::FilteredRelation => self.filtered_relation_object(&args),
            // `transaction.atomic()`: the context manager a `with` statement enters.
            DjangoFn::Atomic if args.pos.is_empty() && args.kw.is_empty() => {
                Ok(Obj::new_native(Atomic))
            }
            DjangoFn::ResetQueries
            | DjangoFn::Now
            | DjangoFn::LocalTime
            | DjangoFn::MakeAware
            | DjangoFn::MakeNaive
            | DjangoFn::IsAware
            | DjangoFn::IsNaive
            | DjangoFn::CurrentTimezone
            | DjangoFn::CurrentTimezoneName
            | DjangoFn::Slugify
            | DjangoFn::GetLanguage
            | DjangoFn::GetUserModel
            | DjangoFn::Lookup(_) => self.call_module_fn(f, &args),
            DjangoFn::MakePassword | DjangoFn::CheckPassword | DjangoFn::IsPasswordUsable => {
                self.call_hasher(f, args)
            }
            DjangoFn::Atomic => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "arguments of transaction.atomic() are not supported by djq yet",
            )
            .at(span)),
        }
    }

    /// Keyword arguments as Q leaves.
    pub(super) fn leaves(&mut self, kw: Vec<(String, Obj, Span)>) -> Result<Vec<QChild>> {
        // A loop: `collect::<Result<_>>()` moved each (large) child several times.
        let mut leaves = Vec::with_capacity(kw.len());
        for (key, v, span) in kw {
            let value = match v {
                Obj::Value(v) => Operand::Value(v),
                other => self.operand(&other, span)?,
            };
            leaves.push(QChild::Leaf { key, value, span });
        }
        Ok(leaves)
    }

    #[inline]
    pub(super) fn manager_queryset(&self, model: crate::schema::ModelId) -> QuerySet {
        QuerySet::new(
            crate::query::Query::new(&self.host.schema, model),
            super::obj::QsKind::Instances,
        )
    }
}
