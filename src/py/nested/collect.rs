//! Collecting reference cycles: a list or dict that holds itself, directly or through other
//! containers (`a.append(a)`), keeps itself alive through `Rc`. As CPython's gc does, every
//! list and dict is registered when made; once enough have been made since the last look,
//! [`collect`] finds the containers that only the registered containers refer to
//! (CPython's trial deletion: a container's references minus those from other containers
//! is what the rest of the program holds), and empties them, which frees the cycle.
//!
//! It only ever frees what nothing else can reach: a reference it cannot see through (a
//! tuple held twice, a container borrowed at that moment, anything outside lists, dicts,
//! sets and the tuples, rows and bound methods inside them) counts as held from outside.

use super::{DictRef, ListRef, Obj, SetRef};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::{Rc, Weak};

/// A registered container.
enum Entry {
    List(Weak<<ListRef as std::ops::Deref>::Target>),
    Dict(Weak<<DictRef as std::ops::Deref>::Target>),
    Set(Weak<<SetRef as std::ops::Deref>::Target>),
}

/// A registered container, alive for the length of a collection.
enum Node {
    List(ListRef),
    Dict(DictRef),
    Set(SetRef),
}

impl Node {
    fn key(&self) -> usize {
        match self {
            Node::List(l) => Rc::as_ptr(l).cast::<()>() as usize,
            Node::Dict(d) => Rc::as_ptr(d).cast::<()>() as usize,
            Node::Set(s) => Rc::as_ptr(s).cast::<()>() as usize,
        }
    }

    fn strong_count(&self) -> usize {
        match self {
            Node::List(l) => Rc::strong_count(l),
            Node::Dict(d) => Rc::strong_count(d),
            Node::Set(s) => Rc::strong_count(s),
        }
    }

    /// Call `each` with the objects this container holds; `false` when it is borrowed
    /// for writing right now (its items cannot be looked at).
    fn items(&self, each: &mut dyn FnMut(&Obj)) -> bool {
        match self {
            Node::List(l) => match l.try_borrow() {
                Ok(items) => items.iter().for_each(each),
                Err(_) => return false,
            },
            Node::Dict(d) => match d.try_borrow() {
                Ok(pairs) => pairs.iter().for_each(|(k, v)| {
                    each(k);
                    each(v);
                }),
                Err(_) => return false,
            },
            Node::Set(s) => match s.table.try_borrow() {
                Ok(table) => table.items().for_each(each),
                Err(_) => return false,
            },
        }
        true
    }

    /// Empty the container (its items are returned, to be dropped after every container
    /// has been emptied).
    fn empty(&self, into: &mut Vec<Obj>) {
        match self {
            Node::List(l) => {
                if let Ok(mut items) = l.try_borrow_mut() {
                    into.append(&mut items);
                }
            }
            Node::Dict(d) => {
                if let Ok(mut pairs) = d.try_borrow_mut() {
                    into.extend(pairs.drain(..).flat_map(|(k, v)| [k, v]));
                }
            }
            Node::Set(s) => {
                if let Ok(mut table) = s.table.try_borrow_mut() {
                    into.extend(table.items().cloned());
                    table.clear();
                }
            }
        }
    }

    fn entry(&self) -> Entry {
        match self {
            Node::List(l) => Entry::List(Rc::downgrade(l)),
            Node::Dict(d) => Entry::Dict(Rc::downgrade(d)),
            Node::Set(s) => Entry::Set(Rc::downgrade(s)),
        }
    }
}

/// Registered containers by address.
type Index = HashMap<usize, usize, BuildHasherDefault<AddressHasher>>;

/// Hashes a container's address: already unique, only its low bits (alignment) are zeros.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64 >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

thread_local! {
    static REGISTRY: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    /// Containers made since the last collection, and how many containers and items the
    /// last collection looked at (the next waits for a quarter as many new containers).
    static MADE: Cell<usize> = const { Cell::new(0) };
    static LOOKED_AT: Cell<usize> = const { Cell::new(0) };
    static COLLECTING: Cell<bool> = const { Cell::new(false) };
}

/// Containers made between collections at least (more when the last collection looked at
/// over four times as many containers and items, so the work stays at a few items looked
/// at per container made).
const THRESHOLD: usize = 10_000;

/// Register a new list.
pub fn list(l: &ListRef) {
    register(Entry::List(Rc::downgrade(l)));
}

/// Register a new dict.
pub fn dict(d: &DictRef) {
    register(Entry::Dict(Rc::downgrade(d)));
}

/// Register a new set (a set holds no list or dict, but it may hold a bound method of one).
pub fn set(s: &SetRef) {
    register(Entry::Set(Rc::downgrade(s)));
}

fn register(e: Entry) {
    // While the thread is shutting down there is nothing left to collect for.
    if REGISTRY.try_with(|r| r.borrow_mut().push(e)).is_err() {
        return;
    }
    let made = MADE.with(|m| {
        m.set(m.get() + 1);
        m.get()
    });
    if made >= THRESHOLD.max(LOOKED_AT.with(Cell::get) / 4) && !COLLECTING.with(Cell::get) {
        collect();
    }
}

/// Free the reference cycles nothing outside them refers to; returns how many containers
/// it emptied.
pub fn collect() -> usize {
    COLLECTING.with(|c| c.set(true));
    let nodes: Vec<Node> = REGISTRY.with(|r| {
        r.borrow_mut()
            .drain(..)
            .filter_map(|e| match e {
                Entry::List(w) => w.upgrade().map(Node::List),
                Entry::Dict(w) => w.upgrade().map(Node::Dict),
                Entry::Set(w) => w.upgrade().map(Node::Set),
            })
            .collect()
    });
    let index: Index = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.key(), i))
        .collect();
    // References from outside the containers: all of them (less the one held here) ...
    let mut outside: Vec<usize> = nodes.iter().map(|n| n.strong_count() - 1).collect();
    let mut opaque = vec![false; nodes.len()];
    let mut looked_at = nodes.len();
    // ... less those from registered containers.
    for (i, n) in nodes.iter().enumerate() {
        opaque[i] = !n.items(&mut |o| {
            looked_at += 1;
            children(o, &index, &mut |j| outside[j] -= 1);
        });
    }
    // Whatever is held from outside is reachable, and so is whatever it holds.
    let mut reachable: Vec<bool> = (0..nodes.len())
        .map(|i| outside[i] > 0 || opaque[i])
        .collect();
    let mut stack: Vec<usize> = (0..nodes.len()).filter(|&i| reachable[i]).collect();
    while let Some(i) = stack.pop() {
        nodes[i].items(&mut |o| {
            children(o, &index, &mut |j| {
                if !reachable[j] {
                    reachable[j] = true;
                    stack.push(j);
                }
            });
        });
    }
    let mut freed = Vec::new();
    let mut emptied = 0;
    for (n, _) in nodes.iter().zip(&reachable).filter(|(_, r)| !**r) {
        n.empty(&mut freed);
        emptied += 1;
    }
    let survivors: Vec<Entry> = nodes
        .iter()
        .zip(&reachable)
        .filter(|(_, r)| **r)
        .map(|(n, _)| n.entry())
        .collect();
    LOOKED_AT.with(|l| l.set(looked_at));
    MADE.with(|m| m.set(0));
    REGISTRY.with(|r| r.borrow_mut().extend(survivors));
    drop(freed);
    drop(nodes);
    COLLECTING.with(|c| c.set(false));
    emptied
}

/// Call `each` with the index of every registered container `o` holds directly, or through
/// tuples, rows and bound methods that only `o`'s holder holds (however deep: no recursion).
fn children(o: &Obj, index: &Index, each: &mut dyn FnMut(usize)) {
    let key = |p: *const ()| index.get(&(p as usize)).copied();
    match o {
        Obj::List(l) => key(Rc::as_ptr(l).cast()).into_iter().for_each(each),
        Obj::Dict(d) => key(Rc::as_ptr(d).cast()).into_iter().for_each(each),
        Obj::Set(s) => key(Rc::as_ptr(s).cast()).into_iter().for_each(each),
        Obj::Tuple(_) | Obj::Row(_) | Obj::Method(..) => {
            // Held once (by `o`'s holder) only, then its items are that holder's: the clone
            // in `todo` makes the second reference.
            let mut todo = vec![o.clone()];
            while let Some(o) = todo.pop() {
                match &o {
                    Obj::List(_) | Obj::Dict(_) | Obj::Set(_) => children(&o, index, each),
                    Obj::Tuple(t) if Rc::strong_count(t) == 2 => todo.extend(t.iter().cloned()),
                    Obj::Row(r) if Rc::strong_count(r) == 2 => {
                        todo.extend(r.iter().map(|(_, x)| x.clone()));
                    }
                    Obj::Method(recv, _) if Rc::strong_count(recv) == 2 => {
                        todo.push((**recv).clone());
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list that holds itself, through a tuple.
    fn cycle() -> (Obj, Weak<<ListRef as std::ops::Deref>::Target>) {
        let l = Obj::list(vec![Obj::int(1)]);
        let Obj::List(cell) = &l else { unreachable!() };
        let t = Obj::tuple(vec![l.clone(), Obj::str("x")]);
        cell.borrow_mut().push(t);
        let weak = Rc::downgrade(cell);
        (l, weak)
    }

    #[test]
    fn frees_cycles_nothing_else_holds_and_keeps_the_rest() {
        collect();
        let (held, held_weak) = cycle();
        let (dropped, dropped_weak) = cycle();
        drop(dropped);
        // A dict inside itself, and a list that only a held list holds.
        let d = Obj::dict(Vec::new());
        if let Obj::Dict(cell) = &d {
            cell.borrow_mut().push((Obj::str("me"), d.clone()));
        }
        drop(d);
        let inner = Obj::list(vec![Obj::int(2)]);
        let outer = Obj::list(vec![inner]);
        assert!(
            dropped_weak.upgrade().is_some(),
            "the cycle keeps itself alive"
        );
        assert_eq!(collect(), 2);
        assert!(dropped_weak.upgrade().is_none());
        assert!(held_weak.upgrade().is_some());
        let Obj::List(cell) = &held else {
            unreachable!()
        };
        assert_eq!(cell.borrow().len(), 2, "a held cycle is left as it is");
        let Obj::List(o) = &outer else { unreachable!() };
        assert_eq!(o.borrow().len(), 1);
        cell.borrow_mut().clear();
    }

    #[test]
    fn what_a_container_being_written_holds_is_kept() {
        collect();
        // l holds m, m holds l; while l is borrowed for writing, its items cannot be seen.
        let l = Obj::list(Vec::new());
        let m = Obj::list(vec![l.clone()]);
        let Obj::List(cell) = &l else { unreachable!() };
        let weak = Rc::downgrade(cell);
        let mut writing = cell.borrow_mut();
        writing.push(m);
        assert_eq!(collect(), 0);
        drop(writing);
        drop(l);
        assert!(weak.upgrade().is_some());
        assert_eq!(collect(), 2);
        assert!(weak.upgrade().is_none());
    }
}
