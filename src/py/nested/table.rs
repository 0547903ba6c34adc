//! The table of a `set` or `frozenset`: laid out as CPython's (open addressing, linear
//! probes then perturbation, the same resizing), so a set iterates and prints in CPython's
//! order wherever that order does not depend on CPython's randomized string hash. Every
//! operation here takes the hashes the items were stored with; hashing new items is
//! [`crate::py::sets`]'s.

use super::{Items, Nest, Obj, is, is_nested, py_eq};
use crate::diag::Result;
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
        if t.items().any(is_nested) {
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
        super::track_set(&s);
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
}

const MINSIZE: usize = 8;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;

#[derive(Debug, Clone, Default)]
enum Slot {
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
    /// Before adding `n` keys of a dict: CPython resizes once, for all of them.
    pub fn reserve_for(&mut self, n: usize) {
        if (self.fill + n) * 5 >= self.mask() * 3 {
            self.resize((self.used + n) * 2);
        }
    }

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

    pub fn contains_hashed(&self, h: i64, key: &Obj) -> Result<bool> {
        Ok(self.find(h, key)?.is_some())
    }

    /// CPython's `set_add_entry`.
    pub fn add_hashed(&mut self, h: i64, key: Obj) -> Result<()> {
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
    pub fn resize(&mut self, minused: usize) {
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

    pub fn discard_hashed(&mut self, h: i64, key: &Obj) -> Result<bool> {
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
