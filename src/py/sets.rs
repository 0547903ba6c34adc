//! Python's `set` and `frozenset`: a hash table laid out as CPython's (open addressing,
//! linear probes then perturbation, the same resizing), so a set iterates and prints in
//! CPython's order wherever CPython's order does not depend on its randomized string hash
//! (`{3, 1, 2}` is `{1, 2, 3}`). The operators (`| & - ^`, `<= < >= >`, `in`, `==`) and the
//! methods build their results the way CPython's do, for the same reason.

use super::args::{Args, dummy};
use super::hash::{frozenset_hash, hash};
use super::nested::{Items, Nest, is, py_eq};
use super::obj::Obj;
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{BinOp, CmpOp, Comprehension, Expr, ExprKind, UnaryOp};
use std::cell::RefCell;
use std::rc::Rc;

/// A set as names hold it: shared (and mutable, unless frozen).
pub type SetRef = Rc<Nest<SetObj>>;

/// A `set` or a `frozenset`.
#[derive(Debug)]
pub struct SetObj {
    pub frozen: bool,
    pub table: RefCell<Table>,
}

impl Items for SetObj {
    fn take_nested(&mut self) -> Vec<Obj> {
        let t = self.table.get_mut();
        if t.items().any(super::nested::is_nested) {
            std::mem::take(&mut t.slots)
                .into_iter()
                .filter_map(|s| match s {
                    Slot::Full(_, o) => Some(o),
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        }
    }
}

impl SetObj {
    pub fn make(frozen: bool, table: Table) -> Obj {
        let s = Rc::new(Nest::new(SetObj {
            frozen,
            table: RefCell::new(table),
        }));
        super::nested::track_set(&s);
        Obj::Set(s)
    }

    /// The items, in iteration order.
    pub fn to_vec(&self) -> Vec<Obj> {
        self.table.borrow().items().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.table.borrow().used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn type_name(&self) -> &'static str {
        if self.frozen { "frozenset" } else { "set" }
    }

    /// CPython's `frozenset.__hash__`.
    pub fn frozen_hash(&self) -> i64 {
        frozenset_hash(self.table.borrow().entries().map(|(h, _)| h))
    }
}

const MINSIZE: usize = 8;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;

#[derive(Debug, Clone, Default)]
pub enum Slot {
    #[default]
    Empty,
    Dummy,
    Full(i64, Obj),
}

/// CPython's set table: `fill` counts full and dummy slots, `used` full ones.
#[derive(Debug, Clone)]
pub struct Table {
    slots: Vec<Slot>,
    fill: usize,
    used: usize,
    /// Where `pop()` looks first.
    finger: usize,
}

impl Default for Table {
    fn default() -> Table {
        Table {
            slots: vec![Slot::Empty; MINSIZE],
            fill: 0,
            used: 0,
            finger: 0,
        }
    }
}

impl Table {
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    pub fn len(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// `(hash, item)` in table order.
    pub fn entries(&self) -> impl Iterator<Item = (i64, &Obj)> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Full(h, o) => Some((*h, o)),
            _ => None,
        })
    }

    pub fn items(&self) -> impl Iterator<Item = &Obj> {
        self.entries().map(|(_, o)| o)
    }

    /// The slot holding an item equal to `key`.
    fn find(&self, h: i64, key: &Obj) -> Result<Option<usize>> {
        let mask = self.mask();
        let mut perturb = h as u64;
        let mut i = h as u64 as usize & mask;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                match &self.slots[j] {
                    Slot::Empty => return Ok(None),
                    Slot::Full(h2, o) if *h2 == h && (is(o, key) || py_eq(o, key)?) => {
                        return Ok(Some(j));
                    }
                    _ => {}
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        }
    }

    pub fn contains(&self, key: &Obj) -> Result<bool> {
        let h = hash(key)?;
        self.contains_hashed(h, key)
    }

    fn contains_hashed(&self, h: i64, key: &Obj) -> Result<bool> {
        Ok(self.find(h, key)?.is_some())
    }

    pub fn add(&mut self, key: Obj) -> Result<()> {
        let h = hash(&key)?;
        self.add_hashed(h, key)
    }

    /// CPython's `set_add_entry`.
    fn add_hashed(&mut self, h: i64, key: Obj) -> Result<()> {
        let mask = self.mask();
        let mut perturb = h as u64;
        let mut i = h as u64 as usize & mask;
        let mut free = None;
        let at = 'search: loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                match &self.slots[j] {
                    Slot::Empty => break 'search j,
                    Slot::Full(h2, o) if *h2 == h && (is(o, &key) || py_eq(o, &key)?) => {
                        return Ok(());
                    }
                    Slot::Dummy if free.is_none() => free = Some(j),
                    _ => {}
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        };
        if let Some(j) = free {
            self.slots[j] = Slot::Full(h, key);
            self.used += 1;
            return Ok(());
        }
        self.slots[at] = Slot::Full(h, key);
        self.fill += 1;
        self.used += 1;
        if self.fill * 5 >= mask * 3 {
            self.resize(if self.used > 50_000 {
                self.used * 2
            } else {
                self.used * 4
            });
        }
        Ok(())
    }

    /// CPython's `set_table_resize`: a table of the smallest power of two above `minused`.
    fn resize(&mut self, minused: usize) {
        let mut size = MINSIZE;
        while size <= minused {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.slots, vec![Slot::Empty; size]);
        self.fill = 0;
        self.used = 0;
        for s in old {
            if let Slot::Full(h, o) = s {
                self.insert_clean(h, o);
            }
        }
    }

    /// Put an item known to be absent into a table without dummies.
    fn insert_clean(&mut self, h: i64, key: Obj) {
        let mask = self.mask();
        let mut perturb = h as u64;
        let mut i = h as u64 as usize & mask;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                if matches!(self.slots[j], Slot::Empty) {
                    self.slots[j] = Slot::Full(h, key);
                    self.fill += 1;
                    self.used += 1;
                    return;
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        }
    }

    /// Remove `key`; whether it was there.
    pub fn discard(&mut self, key: &Obj) -> Result<bool> {
        let h = hash(key)?;
        self.discard_hashed(h, key)
    }

    fn discard_hashed(&mut self, h: i64, key: &Obj) -> Result<bool> {
        match self.find(h, key)? {
            Some(j) => {
                self.slots[j] = Slot::Dummy;
                self.used -= 1;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// CPython's `set.pop()`: the first item from the finger on.
    pub fn pop(&mut self) -> Option<Obj> {
        if self.used == 0 {
            return None;
        }
        let mask = self.mask();
        let mut j = self.finger & mask;
        while !matches!(self.slots[j], Slot::Full(..)) {
            j = (j + 1) & mask;
        }
        let Slot::Full(_, o) = std::mem::replace(&mut self.slots[j], Slot::Dummy) else {
            unreachable!("a full slot")
        };
        self.used -= 1;
        self.finger = j + 1;
        Some(o)
    }

    pub fn clear(&mut self) {
        *self = Table::default();
    }

    /// CPython's `set_merge`: add every item of `other`.
    pub fn merge(&mut self, other: &Table) -> Result<()> {
        if other.used == 0 {
            return Ok(());
        }
        if (self.fill + other.used) * 5 >= self.mask() * 3 {
            self.resize((self.used + other.used) * 2);
        }
        if self.fill == 0 && self.mask() == other.mask() && other.fill == other.used {
            self.slots.clone_from(&other.slots);
            self.fill = other.fill;
            self.used = other.used;
            return Ok(());
        }
        if self.fill == 0 {
            for (h, o) in other.entries() {
                self.insert_clean(h, o.clone());
            }
            return Ok(());
        }
        for (h, o) in other.entries() {
            self.add_hashed(h, o.clone())?;
        }
        Ok(())
    }

    /// Add the keys of a dict (CPython resizes once first).
    pub fn add_keys(&mut self, keys: Vec<Obj>) -> Result<()> {
        if (self.fill + keys.len()) * 5 >= self.mask() * 3 {
            self.resize((self.used + keys.len()) * 2);
        }
        self.add_all(keys)
    }

    pub fn add_all(&mut self, items: Vec<Obj>) -> Result<()> {
        for o in items {
            self.add(o)?;
        }
        Ok(())
    }

    /// `a & b` of two tables (CPython iterates the smaller and looks up in the larger).
    pub fn intersection(&self, other: &Table) -> Result<Table> {
        let (small, large) = if other.used > self.used {
            (self, other)
        } else {
            (other, self)
        };
        let mut out = Table::default();
        for (h, o) in small.entries() {
            if large.contains_hashed(h, o)? {
                out.add_hashed(h, o.clone())?;
            }
        }
        Ok(out)
    }

    /// The items of `self` also in `items` (any iterable's, hashed).
    pub fn intersection_items(&self, items: &[Obj]) -> Result<Table> {
        let mut out = Table::default();
        for o in items {
            let h = hash(o)?;
            if self.contains_hashed(h, o)? {
                out.add_hashed(h, o.clone())?;
            }
        }
        Ok(out)
    }

    /// `a - b` of two tables (CPython copies `a` and discards when `b` is much smaller).
    pub fn difference(&self, other: &Table) -> Result<Table> {
        if (self.used >> 2) > other.used {
            let mut out = self.copy()?;
            for (h, o) in other.entries() {
                out.discard_hashed(h, o)?;
            }
            return Ok(out);
        }
        let mut out = Table::default();
        for (h, o) in self.entries() {
            if !other.contains_hashed(h, o)? {
                out.add_hashed(h, o.clone())?;
            }
        }
        Ok(out)
    }

    /// Remove every item of `items`.
    pub fn discard_all(&mut self, items: &[Obj]) -> Result<()> {
        for o in items {
            self.discard(o)?;
        }
        Ok(())
    }

    /// CPython's `set_symmetric_difference_update` with the items of a set.
    pub fn symmetric_update(&mut self, other: &Table) -> Result<()> {
        for (h, o) in other.entries() {
            if !self.discard_hashed(h, o)? {
                self.add_hashed(h, o.clone())?;
            }
        }
        Ok(())
    }

    /// A copy, as CPython's `set.copy()` lays it out.
    pub fn copy(&self) -> Result<Table> {
        let mut out = Table::default();
        out.merge(self)?;
        Ok(out)
    }

    /// Whether every item is in `other`.
    pub fn is_subset(&self, other: &Table) -> Result<bool> {
        if self.used > other.used {
            return Ok(false);
        }
        for (h, o) in self.entries() {
            if !other.contains_hashed(h, o)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Python's `==` of two sets.
    pub fn equals(&self, other: &Table) -> Result<bool> {
        Ok(self.used == other.used && self.is_subset(other)?)
    }

    /// Whether no item is in `other`.
    pub fn is_disjoint(&self, other: &Table) -> Result<bool> {
        let (small, large) = if other.used > self.used {
            (self, other)
        } else {
            (other, self)
        };
        for (h, o) in small.entries() {
            if large.contains_hashed(h, o)? {
                return Ok(false);
            }
        }
        Ok(true)
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
