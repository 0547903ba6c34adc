//! Methods of lists, dicts and `str.join`, and assignment to `container[key]`: the mutable
//! containers scripts build while they loop over querysets.

use super::args::Args;
use super::nested::{position, py_eq};
use super::obj::{DictRef, ListRef, Obj};
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{CmpOp, Expr};
use crate::value::Value;

/// Methods of `list` that djq implements.
pub const LIST_METHODS: &[&str] = &[
    "append", "extend", "insert", "pop", "remove", "index", "count", "sort", "reverse", "copy",
    "clear",
];

/// Methods of `dict` that djq implements.
pub const DICT_METHODS: &[&str] = &[
    "get",
    "items",
    "keys",
    "values",
    "setdefault",
    "update",
    "pop",
    "copy",
    "clear",
];

impl<H: Host> Interp<H> {
    pub fn list_method(&mut self, list: &ListRef, name: &str, args: &Args) -> Result<Obj> {
        let span = args.span;
        let arg = |i: usize| args.pos.get(i).map(|(o, _)| o.clone());
        let needs = |i: usize| {
            arg(i).ok_or_else(|| {
                Diagnostic::new(ErrorKind::Type, format!("{name}() takes an argument")).at(span)
            })
        };
        match name {
            "append" => list.borrow_mut().push(needs(0)?),
            "extend" => {
                let items = self.iter_obj(&needs(0)?, &dummy(span))?;
                list.borrow_mut().extend(items);
            }
            "insert" => {
                let Some(Obj::Value(Value::Int(i))) = arg(0) else {
                    return Err(integer_needed(span));
                };
                let mut items = list.borrow_mut();
                let n = items.len() as i64;
                let at = if i < 0 { (i + n).max(0) } else { i.min(n) };
                items.insert(at as usize, needs(1)?);
            }
            "pop" => {
                let mut items = list.borrow_mut();
                let n = items.len() as i64;
                let i = match arg(0) {
                    None => n - 1,
                    Some(Obj::Value(Value::Int(i))) if i < 0 => i + n,
                    Some(Obj::Value(Value::Int(i))) => i,
                    Some(_) => return Err(integer_needed(span)),
                };
                if items.is_empty() || !(0..n).contains(&i) {
                    let what = if items.is_empty() {
                        "pop from empty list"
                    } else {
                        "pop index out of range"
                    };
                    return Err(Diagnostic::new(ErrorKind::Index, what).at(span));
                }
                return Ok(items.remove(i as usize));
            }
            "remove" | "index" => {
                let x = needs(0)?;
                let found = position(list.borrow().iter(), &x)?;
                let Some(i) = found else {
                    let msg = if name == "remove" {
                        "list.remove(x): x not in list".to_string()
                    } else {
                        format!("{} is not in list", self.repr(&x)?)
                    };
                    return Err(Diagnostic::new(ErrorKind::Value, msg).at(span));
                };
                if name == "index" {
                    return Ok(Obj::int(i as i64));
                }
                list.borrow_mut().remove(i);
            }
            "count" => {
                let x = needs(0)?;
                let mut n = 0;
                for i in list.borrow().iter() {
                    n += usize::from(super::nested::is(i, &x) || py_eq(i, &x)?);
                }
                return Ok(Obj::int(n as i64));
            }
            "sort" => {
                let items = list.borrow().clone();
                let sorted = self.sorted(items, args.kwarg("key"), args.kwarg("reverse"), span)?;
                *list.borrow_mut() = sorted;
            }
            "reverse" => list.borrow_mut().reverse(),
            "copy" => return Ok(Obj::list(list.borrow().clone())),
            "clear" => list.borrow_mut().clear(),
            _ => return Err(self.no_attribute(&Obj::List(list.clone()), name, span)),
        }
        Ok(Obj::NONE)
    }

    pub fn dict_method(&mut self, dict: &DictRef, name: &str, args: &Args) -> Result<Obj> {
        let span = args.span;
        let arg = |i: usize| args.pos.get(i).map(|(o, _)| o.clone());
        let key = arg(0).unwrap_or(Obj::NONE);
        let find = |pairs: &[(Obj, Obj)]| position(pairs.iter().map(|(k, _)| k), &key);
        let pairs = dict.borrow().clone();
        Ok(match name {
            "get" => match find(&pairs)? {
                Some(i) => pairs[i].1.clone(),
                None => arg(1).unwrap_or(Obj::NONE),
            },
            "keys" => Obj::list(pairs.into_iter().map(|(k, _)| k).collect()),
            "values" => Obj::list(pairs.into_iter().map(|(_, v)| v).collect()),
            "items" => Obj::list(
                pairs
                    .into_iter()
                    .map(|(k, v)| Obj::tuple(vec![k, v]))
                    .collect(),
            ),
            "setdefault" => match find(&pairs)? {
                Some(i) => pairs[i].1.clone(),
                None => {
                    let v = arg(1).unwrap_or(Obj::NONE);
                    dict.borrow_mut().push((key, v.clone()));
                    v
                }
            },
            "pop" => match (find(&pairs)?, arg(1)) {
                (Some(i), _) => dict.borrow_mut().remove(i).1,
                (None, Some(default)) => default,
                (None, None) => {
                    return Err(Diagnostic::new(ErrorKind::Key, self.repr(&key)?).at(span));
                }
            },
            "update" => {
                let mut new: Vec<(Obj, Obj)> = match arg(0) {
                    Some(Obj::Dict(other)) => other.borrow().clone(),
                    Some(other) => {
                        let mut kv = Vec::new();
                        for item in self.iter_obj(&other, &dummy(span))? {
                            match item.items().as_deref() {
                                Some([k, v]) => kv.push((k.clone(), v.clone())),
                                _ => {
                                    return Err(Diagnostic::new(
                                        ErrorKind::Type,
                                        "dictionary update sequence element has the wrong length",
                                    )
                                    .at(span));
                                }
                            }
                        }
                        kv
                    }
                    None => Vec::new(),
                };
                new.extend(
                    args.kw
                        .iter()
                        .map(|(k, v, _)| (Obj::str(k.clone()), v.clone())),
                );
                for (k, v) in new {
                    self.set_item(&Obj::Dict(dict.clone()), k, v, span)?;
                }
                Obj::NONE
            }
            "copy" => Obj::dict(pairs),
            "clear" => {
                dict.borrow_mut().clear();
                Obj::NONE
            }
            _ => return Err(self.no_attribute(&Obj::Dict(dict.clone()), name, span)),
        })
    }

    /// `container[key] = value` for lists and dicts.
    pub fn set_item(&mut self, container: &Obj, key: Obj, value: Obj, span: Span) -> Result<()> {
        if let Some(d) = super::stdlib::objects::dict_of(container) {
            return self.set_item(&Obj::Dict(d), key, value, span);
        }
        match (container, &key) {
            (Obj::Dict(d), _) => {
                let at = position(d.borrow().iter().map(|(k, _)| k), &key)?;
                let mut pairs = d.borrow_mut();
                match at {
                    Some(i) => pairs[i].1 = value,
                    None => pairs.push((key, value)),
                }
                Ok(())
            }
            (Obj::List(l), Obj::Value(Value::Int(i))) => {
                let mut items = l.borrow_mut();
                let n = items.len() as i64;
                let j = if *i < 0 { i + n } else { *i };
                if !(0..n).contains(&j) {
                    return Err(Diagnostic::new(
                        ErrorKind::Index,
                        "list assignment index out of range",
                    )
                    .at(span));
                }
                items[j as usize] = value;
                Ok(())
            }
            (Obj::List(_), other) => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "list indices must be integers or slices, not {}",
                    other.type_name()
                ),
            )
            .at(span)),
            (other, _) => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "'{}' object does not support item assignment",
                    other.type_name()
                ),
            )
            .at(span)),
        }
    }

    /// `sep.join(iterable)`.
    pub fn str_join(&mut self, sep: &str, args: &Args) -> Result<Obj> {
        let Some((iterable, at)) = args.pos.first() else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "join() takes exactly one argument (0 given)",
            )
            .at(args.span));
        };
        let mut parts = Vec::new();
        for (i, item) in self
            .iter_obj(iterable, &dummy(*at))?
            .into_iter()
            .enumerate()
        {
            match item {
                Obj::Value(Value::Text(t)) => parts.push(t),
                other => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "sequence item {i}: expected str instance, {} found",
                            other.type_name()
                        ),
                    )
                    .at(args.span));
                }
            }
        }
        Ok(Obj::str(parts.join(sep)))
    }

    /// `sorted(items, key=..., reverse=...)`: a stable sort, as Python's.
    pub fn sorted(
        &mut self,
        items: Vec<Obj>,
        key: Option<&Obj>,
        reverse: Option<&Obj>,
        span: Span,
    ) -> Result<Vec<Obj>> {
        let mut keyed = self.sort_keys(items, key, span)?;
        let reverse = match reverse {
            Some(r) => self.truthy(r, &dummy(span))?,
            None => false,
        };
        let mut err = None;
        keyed.sort_by(|(a, _), (b, _)| {
            let (a, b) = if reverse { (b, a) } else { (a, b) };
            match self.compare(CmpOp::Lt, a, b, span) {
                Ok(true) => std::cmp::Ordering::Less,
                Ok(false) => match self.compare(CmpOp::Lt, b, a, span) {
                    Ok(true) => std::cmp::Ordering::Greater,
                    _ => std::cmp::Ordering::Equal,
                },
                Err(e) => {
                    err.get_or_insert(e);
                    std::cmp::Ordering::Equal
                }
            }
        });
        match err {
            Some(e) => Err(e),
            None => Ok(keyed.into_iter().map(|(_, item)| item).collect()),
        }
    }
}

fn integer_needed(span: Span) -> Diagnostic {
    Diagnostic::new(ErrorKind::Type, "'list' indices must be integers").at(span)
}

/// An expression standing for a span (for errors raised outside any real node).
fn dummy(span: Span) -> Expr {
    super::args::dummy(span)
}

/// Dict entries with later values replacing earlier ones for the same key (in place, as
/// Python's dict keeps the first insertion position).
pub fn dedup_keys(pairs: Vec<(Obj, Obj)>) -> Result<Vec<(Obj, Obj)>> {
    let mut out: Vec<(Obj, Obj)> = Vec::new();
    for (k, v) in pairs {
        match position(out.iter().map(|(old, _)| old), &k)? {
            Some(i) => out[i].1 = v,
            None => out.push((k, v)),
        }
    }
    Ok(out)
}
