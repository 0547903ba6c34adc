//! Python's `set` and `frozenset` as the interpreter uses them: displays and
//! comprehensions, `set()`/`frozenset()`, the operators (`| & - ^`, `<= < >= >`) and the
//! methods, each building its result the way CPython's does (so that it iterates in
//! CPython's order); the table itself is [`super::nested::table`]'s, hashing
//! [`super::hash`]'s.

use super::args::{Args, dummy};
use super::hash::hash;
use super::nested::{SetObj, SetRef, Table};
use super::obj::Obj;
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{BinOp, CmpOp, Comprehension, Expr, ExprKind, UnaryOp};

/// The operations on a set's table that hash new items.
pub trait Hashing {
    fn contains(&self, key: &Obj) -> Result<bool>;
    fn add(&mut self, key: Obj) -> Result<()>;
    /// Remove `key`; whether it was there.
    fn discard(&mut self, key: &Obj) -> Result<bool>;
    fn add_all(&mut self, items: Vec<Obj>) -> Result<()>;
    /// Add the keys of a dict.
    fn add_keys(&mut self, keys: Vec<Obj>) -> Result<()>;
    /// The items of `self` also in `items` (any iterable's, in its order).
    fn intersection_items(&self, items: &[Obj]) -> Result<Table>;
    /// Remove every item of `items`.
    fn discard_all(&mut self, items: &[Obj]) -> Result<()>;
}

impl Hashing for Table {
    fn contains(&self, key: &Obj) -> Result<bool> {
        self.contains_hashed(hash(key)?, key)
    }

    fn add(&mut self, key: Obj) -> Result<()> {
        self.add_hashed(hash(&key)?, key)
    }

    fn discard(&mut self, key: &Obj) -> Result<bool> {
        self.discard_hashed(hash(key)?, key)
    }

    fn add_all(&mut self, items: Vec<Obj>) -> Result<()> {
        for o in items {
            self.add(o)?;
        }
        Ok(())
    }

    fn add_keys(&mut self, keys: Vec<Obj>) -> Result<()> {
        self.reserve_for(keys.len());
        self.add_all(keys)
    }

    fn intersection_items(&self, items: &[Obj]) -> Result<Table> {
        let mut out = Table::default();
        for o in items {
            let h = hash(o)?;
            if self.contains_hashed(h, o)? {
                out.add_hashed(h, o.clone())?;
            }
        }
        Ok(out)
    }

    fn discard_all(&mut self, items: &[Obj]) -> Result<()> {
        for o in items {
            self.discard(o)?;
        }
        Ok(())
    }
}

/// Methods of `frozenset` (and of `set`, with [`SET_ONLY_METHODS`]).
pub const FROZENSET_METHODS: &[&str] = &[
    "copy",
    "difference",
    "intersection",
    "isdisjoint",
    "issubset",
    "issuperset",
    "symmetric_difference",
    "union",
];

/// Methods only a (mutable) `set` has.
pub const SET_ONLY_METHODS: &[&str] = &[
    "add",
    "clear",
    "difference_update",
    "discard",
    "intersection_update",
    "pop",
    "remove",
    "symmetric_difference_update",
    "update",
];

/// Whether `name` is a method of `s`.
pub fn has_method(s: &SetObj, name: &str) -> bool {
    FROZENSET_METHODS.contains(&name) || (!s.frozen && SET_ONLY_METHODS.contains(&name))
}

impl<H: Host> Interp<H> {
    /// `{a, *b}`.
    pub fn set_display(&mut self, items: &[Expr]) -> Result<Obj> {
        // CPython compiles a display of more than two constants to a frozenset constant
        // (built from the items, then built again from its own order when the compiler
        // merges constants), merged into a new set: a layout of its own.
        if items.len() > 2 && items.iter().all(is_constant) {
            let mut first = Table::default();
            for i in items {
                let v = self.eval(i)?;
                first.add(v).map_err(|d| d.at(i.span))?;
            }
            let mut constant = Table::default();
            constant.add_all(first.items().cloned().collect())?;
            let mut table = Table::default();
            table.merge(&constant)?;
            return Ok(SetObj::make(false, table));
        }
        let mut table = Table::default();
        for i in items {
            match &i.kind {
                ExprKind::Starred(inner) => {
                    let v = self.eval(inner)?;
                    self.update_table(&mut table, &v, inner.span)?;
                }
                _ => {
                    let v = self.eval(i)?;
                    table.add(v).map_err(|d| d.at(i.span))?;
                }
            }
        }
        Ok(SetObj::make(false, table))
    }

    /// `{elt for ...}`.
    pub fn set_comprehension(&mut self, elt: &Expr, generators: &[Comprehension]) -> Result<Obj> {
        let mut table = Table::default();
        self.comprehension(generators, &mut |s| {
            let v = s.eval(elt)?;
            table.add(v).map_err(|d| d.at(elt.span))
        })?;
        Ok(SetObj::make(false, table))
    }

    /// `set(iterable)` / `frozenset(iterable)`.
    pub fn make_set(&mut self, frozen: bool, args: &Args) -> Result<Obj> {
        let name = if frozen { "frozenset" } else { "set" };
        args.no_kwargs_except(&[], name)?;
        match args.pos.as_slice() {
            [] => Ok(SetObj::make(frozen, Table::default())),
            // frozenset(f) is f itself.
            [(o @ Obj::Set(s), _)] if frozen && s.frozen => Ok(o.clone()),
            [(o, span)] => {
                let mut table = Table::default();
                self.update_table(&mut table, o, *span)?;
                Ok(SetObj::make(frozen, table))
            }
            many => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("{name} expected at most 1 argument, got {}", many.len()),
            )
            .at(args.span)),
        }
    }

    /// CPython's `set_update_internal`: add the items of any iterable.
    fn update_table(&mut self, table: &mut Table, other: &Obj, span: Span) -> Result<()> {
        match other {
            Obj::Set(s) => {
                let other = s.table.borrow().clone();
                table.merge(&other)
            }
            Obj::Dict(d) => {
                let keys = d.borrow().iter().map(|(k, _)| k.clone()).collect();
                table.add_keys(keys)
            }
            _ => {
                let items = self.iter_obj(other, &dummy(span))?;
                table.add_all(items)
            }
        }
        .map_err(|d| d.at(span))
    }

    /// The table of a set, or of a new set of an iterable's items.
    fn table_of(&mut self, o: &Obj, span: Span) -> Result<Table> {
        match o {
            Obj::Set(s) => Ok(s.table.borrow().clone()),
            other => {
                let mut t = Table::default();
                self.update_table(&mut t, other, span)?;
                Ok(t)
            }
        }
    }

    /// `a | b`, `a & b`, `a - b`, `a ^ b` of two sets; `None` when either is not a set.
    pub fn set_binary(&mut self, op: BinOp, l: &Obj, r: &Obj, span: Span) -> Option<Result<Obj>> {
        let (Obj::Set(a), Obj::Set(b)) = (l, r) else {
            return None;
        };
        let (x, y) = (a.table.borrow().clone(), b.table.borrow().clone());
        let table = match op {
            BinOp::BitOr => x.copy().and_then(|mut t| t.merge(&y).map(|()| t)),
            BinOp::BitAnd => x.intersection(&y),
            BinOp::Sub => x.difference(&y),
            // CPython copies the right side and updates it with the left.
            BinOp::BitXor => y
                .copy()
                .and_then(|mut t| t.symmetric_update(&x).map(|()| t)),
            _ => return None,
        };
        Some(
            table
                .map(|t| SetObj::make(a.frozen, t))
                .map_err(|d| d.at(span)),
        )
    }

    /// `a |= b`, `a &= b`, `a -= b`, `a ^= b` of a set and a set: `a` changed in place
    /// (seen by every name bound to it), as CPython's in-place operators do; `None` when
    /// `a` is not a mutable set or `b` not a set.
    pub fn set_inplace(&mut self, op: BinOp, l: &Obj, r: &Obj, span: Span) -> Option<Result<()>> {
        let (Obj::Set(a), Obj::Set(b)) = (l, r) else {
            return None;
        };
        if a.frozen {
            return None;
        }
        let other = b.table.borrow().clone();
        let mut mine = a.table.borrow().clone();
        let done = match op {
            BinOp::BitOr => mine.merge(&other),
            BinOp::BitAnd => mine.intersection(&other).map(|t| mine = t),
            BinOp::Sub => other
                .entries()
                .try_for_each(|(h, o)| mine.discard_hashed(h, o).map(|_| ())),
            BinOp::BitXor => mine.symmetric_update(&other),
            _ => return None,
        };
        Some(
            done.map(|()| *a.table.borrow_mut() = mine)
                .map_err(|d| d.at(span)),
        )
    }

    /// `a <= b`, `a < b`, `a >= b`, `a > b` of two sets (subset and superset).
    pub fn set_compare(&mut self, op: CmpOp, l: &Obj, r: &Obj) -> Option<Result<bool>> {
        let (Obj::Set(a), Obj::Set(b)) = (l, r) else {
            return None;
        };
        let (x, y) = (a.table.borrow().clone(), b.table.borrow().clone());
        Some(match op {
            CmpOp::LtE => x.is_subset(&y),
            CmpOp::Lt => Ok(x.len() < y.len()).and_then(|p| Ok(p && x.is_subset(&y)?)),
            CmpOp::GtE => y.is_subset(&x),
            CmpOp::Gt => Ok(y.len() < x.len()).and_then(|p| Ok(p && y.is_subset(&x)?)),
            _ => return None,
        })
    }

    /// A method of a set or frozenset.
    pub fn set_method(&mut self, set: &SetRef, name: &str, args: &Args) -> Result<Obj> {
        let span = args.span;
        let kind = set.type_name();
        let one = |what: &str| -> Result<Obj> {
            match args.pos.as_slice() {
                [(o, _)] => Ok(o.clone()),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "{kind}.{what}() takes exactly one argument ({} given)",
                        other.len()
                    ),
                )
                .at(span)),
            }
        };
        if !has_method(set, name) {
            return Err(self.no_attribute(&Obj::Set(set.clone()), name, span));
        }
        args.no_kwargs_except(&[], &format!("{kind}.{name}"))?;
        let mine = set.table.borrow().clone();
        let mut others = Vec::new();
        if matches!(
            name,
            "symmetric_difference"
                | "symmetric_difference_update"
                | "issubset"
                | "issuperset"
                | "isdisjoint"
        ) {
            for (o, at) in &args.pos {
                others.push(self.table_of(o, *at)?);
            }
        }
        let result = |t: Table| Ok(SetObj::make(set.frozen, t));
        let store = |t: Table| {
            *set.table.borrow_mut() = t;
            Ok(Obj::NONE)
        };
        match name {
            "add" => {
                let v = one(name)?;
                set.table.borrow_mut().add(v).map_err(|d| d.at(span))?;
                Ok(Obj::NONE)
            }
            "discard" | "remove" => {
                let v = one(name)?;
                let found = set.table.borrow_mut().discard(&v).map_err(|d| d.at(span))?;
                if !found && name == "remove" {
                    return Err(Diagnostic::new(ErrorKind::Key, self.repr(&v)?).at(span));
                }
                Ok(Obj::NONE)
            }
            "pop" => {
                set.table.borrow_mut().pop().ok_or_else(|| {
                    Diagnostic::new(ErrorKind::Key, "'pop from an empty set'").at(span)
                })
            }
            "clear" => store(Table::default()),
            "copy" if set.frozen => Ok(Obj::Set(set.clone())),
            "copy" => result(mine.copy()?),
            "union" | "update" => {
                let mut t = if name == "union" { mine.copy()? } else { mine };
                for (o, at) in &args.pos {
                    self.update_table(&mut t, o, *at)?;
                }
                if name == "union" { result(t) } else { store(t) }
            }
            "intersection" | "intersection_update" => {
                let mut t = mine.copy()?;
                for (o, at) in &args.pos {
                    t = match o {
                        Obj::Set(other) => t.intersection(&other.table.borrow().clone()),
                        other => {
                            let items = self.iter_obj(other, &dummy(*at))?;
                            t.intersection_items(&items)
                        }
                    }
                    .map_err(|d| d.at(span))?;
                }
                if name == "intersection" {
                    result(t)
                } else {
                    store(t)
                }
            }
            "difference" | "difference_update" => {
                let mut t = match args.pos.as_slice() {
                    [(Obj::Set(other), _)] if name == "difference" => {
                        mine.difference(&other.table.borrow().clone())?
                    }
                    _ => mine.copy()?,
                };
                let single_set =
                    name == "difference" && matches!(args.pos.as_slice(), [(Obj::Set(_), _)]);
                if !single_set {
                    for (o, at) in &args.pos {
                        let items = self.iter_obj(o, &dummy(*at))?;
                        t.discard_all(&items).map_err(|d| d.at(span))?;
                    }
                }
                if name == "difference" {
                    result(t)
                } else {
                    store(t)
                }
            }
            "symmetric_difference" | "symmetric_difference_update" => {
                one(name)?;
                let other = &others[0];
                if name == "symmetric_difference" {
                    let mut t = other.copy()?;
                    t.symmetric_update(&mine)?;
                    result(t)
                } else {
                    let mut t = mine;
                    t.symmetric_update(other)?;
                    store(t)
                }
            }
            "issubset" => Ok(Obj::bool(
                mine.is_subset(&others_one(&others, kind, name, span)?)?,
            )),
            "issuperset" => Ok(Obj::bool(
                others_one(&others, kind, name, span)?.is_subset(&mine)?,
            )),
            "isdisjoint" => Ok(Obj::bool(
                mine.is_disjoint(&others_one(&others, kind, name, span)?)?,
            )),
            _ => Err(self.no_attribute(&Obj::Set(set.clone()), name, span)),
        }
    }
}

/// Whether CPython's compiler folds `e` to a constant (numbers, strings, None, booleans,
/// signed numbers and tuples of constants).
fn is_constant(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::None => true,
        ExprKind::Unary { op, operand } => {
            *op != UnaryOp::Not && matches!(operand.kind, ExprKind::Int(_) | ExprKind::Float(_))
        }
        ExprKind::Tuple(items) => items.iter().all(is_constant),
        _ => false,
    }
}

/// The one argument of `issubset`, `issuperset` and `isdisjoint`, as a table.
fn others_one(others: &[Table], kind: &str, name: &str, span: Span) -> Result<Table> {
    match others {
        [t] => Ok(t.clone()),
        _ => Err(Diagnostic::new(
            ErrorKind::Type,
            format!(
                "{kind}.{name}() takes exactly one argument ({} given)",
                others.len()
            ),
        )
        .at(span)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn a_set_in_a_cycle_through_a_bound_method_is_collected() {
        crate::py::nested::collect::collect();
        let s = SetObj::make(false, Table::default());
        let l = Obj::list(vec![s.clone()]);
        let Obj::Set(set) = &s else { unreachable!() };
        let weak = Rc::downgrade(set);
        set.table
            .borrow_mut()
            .add(Obj::Method(Rc::new(l.clone()), "append".into()))
            .expect("a bound method hashes");
        drop((s, l));
        assert!(weak.upgrade().is_some(), "the cycle keeps itself alive");
        assert!(crate::py::nested::collect::collect() >= 2);
        assert!(weak.upgrade().is_none());
    }

    #[test]
    fn unhashable_items_are_refused_and_equal_numbers_are_one_item() {
        let mut t = Table::default();
        let e = t.add(Obj::list(Vec::new())).unwrap_err();
        assert_eq!(e.message, "unhashable type: 'list'");
        t.add(Obj::int(1)).unwrap();
        t.add(Obj::Value(crate::value::Value::Float(1.0))).unwrap();
        t.add(Obj::bool(true)).unwrap();
        assert_eq!(t.len(), 1);
    }
}
