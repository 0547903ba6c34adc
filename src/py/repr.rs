//! Python's `str()` and `repr()` of objects; a native object's are its host's.

use super::nested::{Writing, deeper};
use super::obj::Obj;
use super::stdlib::objects::StdObj;
use super::{Host, Interp};
use crate::diag::Result;
use crate::value::Value;

impl<H: Host> Interp<H> {
    /// Python's `str()`.
    pub fn py_str(&mut self, o: &Obj) -> Result<String> {
        match o {
            Obj::Value(Value::Json(doc)) => self.repr(&super::stdlib::json::from_json(doc)),
            Obj::Value(v) => Ok(v.to_python_str()),
            Obj::Native(n) if let Some(s) = n.as_any().downcast_ref::<StdObj>() => self.std_str(s),
            Obj::Native(_) | Obj::Object(_) if let Some(s) = self.class_text(o, "__str__")? => {
                Ok(s)
            }
            Obj::Native(_) => H::str(self, o),
            Obj::Object(inst) if let Some(v) = &inst.value => Ok(v.to_python_str()),
            Obj::Exception(e) => Ok(e.message.clone()),
            other => self.repr(other),
        }
    }

    /// Python's `repr()`; a container inside itself is `[...]`/`{...}`.
    pub fn repr(&mut self, o: &Obj) -> Result<String> {
        let Ok(_writing) = Writing::enter(o) else {
            return Ok(match o {
                Obj::Set(s) => return Ok(format!("{}(...)", s.type_name())),
                Obj::Dict(_) => "{...}",
                Obj::Tuple(_) => "(...)",
                Obj::Row(_) => "...",
                _ => "[...]",
            }
            .into());
        };
        let _level = deeper("while getting the repr of an object")?;
        if let Some(s) = self.class_text(o, "__repr__")? {
            return Ok(s);
        }
        Ok(match o {
            Obj::Value(Value::Json(doc)) => self.repr(&super::stdlib::json::from_json(doc))?,
            Obj::Value(v) => value_repr(v),
            Obj::List(items) => {
                let items = items.borrow().clone();
                format!("[{}]", self.repr_items(&items)?)
            }
            Obj::Range(r) => r.repr(),
            Obj::Tuple(items) if items.len() == 1 => format!("({},)", self.repr_items(items)?),
            Obj::Tuple(items) => format!("({})", self.repr_items(items)?),
            Obj::Row(fields) => {
                let mut parts = Vec::new();
                for (name, v) in fields.iter() {
                    parts.push(format!("{name}={}", self.repr(v)?));
                }
                format!("Row({})", parts.join(", "))
            }
            Obj::Dict(pairs) => {
                let mut parts = Vec::new();
                let pairs = pairs.borrow().clone();
                for (k, v) in &pairs {
                    parts.push(format!("{}: {}", self.repr(k)?, self.repr(v)?));
                }
                format!("{{{}}}", parts.join(", "))
            }
            Obj::Builtin(super::Builtin::Std(name)) => {
                format!(
                    "<built-in function {}>",
                    name.rsplit('.').next().unwrap_or(name)
                )
            }
            Obj::Set(set) => {
                let items = set.to_vec();
                match (set.frozen, items.is_empty()) {
                    (false, true) => "set()".into(),
                    (true, true) => "frozenset()".into(),
                    (false, false) => format!("{{{}}}", self.repr_items(&items)?),
                    (true, false) => format!("frozenset({{{}}})", self.repr_items(&items)?),
                }
            }
            Obj::Type(path) => format!("<class '{path}'>"),
            Obj::Builtin(b) => super::introspect::builtin_repr(*b),
            Obj::Function(f) => format!("<function {}>", f.name),
            Obj::Method(recv, n) => match &**recv {
                // `str.lower`: a method of a builtin type, unbound.
                Obj::Builtin(b) => format!(
                    "<method '{n}' of '{}' objects>",
                    super::builtins::builtin_name(*b)
                ),
                _ => format!("<bound method {n}>"),
            },
            Obj::Module(m) => format!("<module '{m}'>"),
            Obj::ExceptionClass(c) => format!("<class '{c}'>"),
            Obj::Exception(e) => super::exceptions::repr(e),
            Obj::Native(n) if let Some(s) = n.as_any().downcast_ref::<StdObj>() => {
                self.std_repr(s)?
            }
            Obj::Native(_) => H::repr(self, o)?,
            Obj::Object(inst) if let Some(v) = &inst.value => value_repr(v),
            Obj::Class(_) | Obj::Object(_) | Obj::Wrapper(_) => format!("<{}>", o.type_name()),
        })
    }

    pub fn repr_items(&mut self, items: &[Obj]) -> Result<String> {
        let mut parts = Vec::new();
        for i in items {
            parts.push(self.repr(i)?);
        }
        Ok(parts.join(", "))
    }
}

/// Python's `repr()` of a scalar.
pub fn value_repr(v: &Value) -> String {
    use chrono::{Datelike, Timelike};
    /// `[h, m, s, us]` without a zero microsecond, then without a zero second, as CPython.
    fn clock(t: &chrono::NaiveTime) -> Vec<u32> {
        let mut parts = vec![t.hour(), t.minute(), t.second(), t.nanosecond() / 1000];
        for _ in 0..2 {
            if parts.last() == Some(&0) {
                parts.pop();
            }
        }
        parts
    }
    let join = |parts: Vec<String>| parts.join(", ");
    let datetime = |dt: &chrono::NaiveDateTime| {
        let date = [
            dt.year().to_string(),
            dt.month().to_string(),
            dt.day().to_string(),
        ];
        let time = clock(&dt.time()).into_iter().map(|p| p.to_string());
        join(date.into_iter().chain(time).collect())
    };
    match v {
        Value::Text(_) => crate::value::python_repr(v),
        Value::Date(d) => format!("datetime.date({}, {}, {})", d.year(), d.month(), d.day()),
        Value::DateTime(dt) => format!(
            "datetime.datetime({}, tzinfo=datetime.timezone.utc)",
            datetime(&dt.naive_utc())
        ),
        Value::NaiveDateTime(dt) => format!("datetime.datetime({})", datetime(dt)),
        Value::OffsetDateTime(dt) => format!(
            "datetime.datetime({}, tzinfo={})",
            datetime(&dt.naive_local()),
            super::stdlib::objects::zone_repr(dt.offset().local_minus_utc())
        ),
        Value::Time(t) => format!(
            "datetime.time({})",
            join(clock(t).into_iter().map(|p| p.to_string()).collect())
        ),
        Value::Duration(us) => crate::value::python_timedelta_repr(*us),
        Value::Decimal(d) => format!("Decimal('{d}')"),
        Value::Uuid(u) => format!("UUID('{u}')"),
        other => other.to_python_str(),
    }
}
