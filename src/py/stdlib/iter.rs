//! `itertools` (`chain`, `islice`, `count`, `product`, `groupby`, `combinations`,
//! `permutations`, `accumulate`, `repeat`) and `random` (`random`, `randint`, `choice`,
//! `shuffle`, `sample`, `uniform`, `seed`). Iterators are made into lists at once, as
//! every use in a script consumes them; `count()` alone is endless and stays lazy
//! ([`StdObj::Count`]), for `islice`.

use super::objects::StdObj;
use super::{bad_args, int_arg};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::args::dummy;
use crate::py::{Args, Host, Interp, Obj};
use crate::syntax::ast::BinOp;
use crate::value::Value;
use std::cell::Cell;

pub const ITERTOOLS: &[&str] = &[
    "itertools.chain",
    "itertools.islice",
    "itertools.count",
    "itertools.product",
    "itertools.groupby",
    "itertools.combinations",
    "itertools.permutations",
    "itertools.accumulate",
    "itertools.repeat",
];

pub const RANDOM: &[&str] = &[
    "random.random",
    "random.randint",
    "random.randrange",
    "random.choice",
    "random.shuffle",
    "random.sample",
    "random.uniform",
    "random.seed",
];

thread_local! {
    /// The state of `random`'s generator (xorshift64*), seeded from the process's hasher
    /// keys.
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
        | 1
}

/// The next random number.
fn next_u64() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// `N` random bytes (`uuid4()`).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(8) {
        let r = next_u64().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
    out
}

/// A random number in `0..n` (`n > 0`).
fn below(n: u64) -> u64 {
    next_u64() % n
}

impl<H: Host> Interp<H> {
    pub(super) fn call_iter(&mut self, name: &str, args: &Args) -> Result<Obj> {
        let span = args.span;
        let at = dummy(span);
        let items = |cx: &mut Self, i: usize| -> Result<Vec<Obj>> {
            match args.pos.get(i) {
                Some((o, _)) if let Some(StdObj::Count { .. }) = o.native::<StdObj>() => {
                    Err(Diagnostic::new(
                        ErrorKind::NotSupported,
                        "djq reads an endless itertools.count() only through islice()",
                    )
                    .at(span))
                }
                Some((o, _)) => cx.iter_obj(o, &at),
                None => Err(bad_args(name, args)),
            }
        };
        Ok(match name {
            "itertools.chain" => {
                let mut all = Vec::new();
                for i in 0..args.pos.len() {
                    all.extend(items(self, i)?);
                }
                Obj::list(all)
            }
            "itertools.islice" => {
                let bound = |i: usize| match args.pos.get(i) {
                    Some((Obj::Value(Value::Int(n)), _)) => Ok(Some((*n).max(0) as usize)),
                    Some((Obj::Value(Value::Null), _)) | None => Ok(None),
                    _ => Err(bad_args(name, args)),
                };
                let (start, stop, step) = match args.pos.len() {
                    2 => (0, bound(1)?, 1),
                    3 | 4 => (bound(1)?.unwrap_or(0), bound(2)?, bound(3)?.unwrap_or(1)),
                    _ => return Err(bad_args(name, args)),
                };
                let step = step.max(1);
                if let Some(StdObj::Count {
                    start: from,
                    step: by,
                }) = args.pos[0].0.native::<StdObj>()
                {
                    let stop = stop.ok_or_else(|| bad_args(name, args))?;
                    return Ok(Obj::list(
                        (start..stop)
                            .step_by(step)
                            .map(|k| Obj::int(from + by * k as i64))
                            .collect(),
                    ));
                }
                let all = items(self, 0)?;
                let stop = stop.unwrap_or(all.len()).min(all.len());
                Obj::list(
                    all.get(start.min(stop)..stop)
                        .unwrap_or_default()
                        .iter()
                        .step_by(step)
                        .cloned()
                        .collect(),
                )
            }
            "itertools.count" => {
                let start = if args.pos.is_empty() {
                    0
                } else {
                    int_arg(args, 0, name)?
                };
                let step = if args.pos.len() > 1 {
                    int_arg(args, 1, name)?
                } else {
                    1
                };
                Obj::new_native(StdObj::Count { start, step })
            }
            "itertools.product" => {
                let mut pools = Vec::new();
                for i in 0..args.pos.len() {
                    pools.push(items(self, i)?);
                }
                let repeat = match args.kwarg("repeat") {
                    Some(Obj::Value(Value::Int(n))) => (*n).max(0) as usize,
                    _ => 1,
                };
                let pools: Vec<Vec<Obj>> = (0..repeat).flat_map(|_| pools.clone()).collect();
                let mut out: Vec<Vec<Obj>> = vec![Vec::new()];
                for pool in &pools {
                    out = out
                        .iter()
                        .flat_map(|prefix| {
                            pool.iter().map(move |x| {
                                let mut t = prefix.clone();
                                t.push(x.clone());
                                t
                            })
                        })
                        .collect();
                }
                Obj::list(out.into_iter().map(Obj::tuple).collect())
            }
            "itertools.groupby" => {
                let all = items(self, 0)?;
                let key = args
                    .kwarg("key")
                    .cloned()
                    .or_else(|| args.pos.get(1).map(|(o, _)| o.clone()));
                let mut groups: Vec<(Obj, Vec<Obj>)> = Vec::new();
                for item in all {
                    let k = match &key {
                        Some(f) if !f.is_none() => self.call(
                            f.clone(),
                            Args {
                                pos: vec![(item.clone(), span)],
                                kw: Vec::new(),
                                span,
                            },
                        )?,
                        _ => item.clone(),
                    };
                    match groups.last_mut() {
                        Some((last, members))
                            if self.compare(crate::syntax::ast::CmpOp::Eq, last, &k, span)? =>
                        {
                            members.push(item)
                        }
                        _ => groups.push((k, vec![item])),
                    }
                }
                Obj::list(
                    groups
                        .into_iter()
                        .map(|(k, members)| Obj::tuple(vec![k, Obj::list(members)]))
                        .collect(),
                )
            }
            "itertools.combinations" | "itertools.permutations" => {
                let pool = items(self, 0)?;
                let r = match args.pos.get(1) {
                    Some((Obj::Value(Value::Int(n)), _)) => (*n).max(0) as usize,
                    None => pool.len(),
                    _ => return Err(bad_args(name, args)),
                };
                let mut out = Vec::new();
                choose(
                    pool.len(),
                    r,
                    name == "itertools.permutations",
                    &mut Vec::new(),
                    &mut out,
                );
                Obj::list(
                    out.into_iter()
                        .map(|ix| Obj::tuple(ix.into_iter().map(|i| pool[i].clone()).collect()))
                        .collect(),
                )
            }
            "itertools.accumulate" => {
                let mut out: Vec<Obj> = Vec::new();
                for item in items(self, 0)? {
                    let next = match out.last() {
                        Some(acc) => self.binary(BinOp::Add, acc.clone(), item, span)?,
                        None => item,
                    };
                    out.push(next);
                }
                Obj::list(out)
            }
            "itertools.repeat" => {
                let x = args
                    .pos
                    .first()
                    .map(|(o, _)| o.clone())
                    .ok_or_else(|| bad_args(name, args))?;
                let n = int_arg(args, 1, name)?.max(0) as usize;
                Obj::list(vec![x; n])
            }
            "random.random" => Obj::Value(Value::Float(
                (next_u64() >> 11) as f64 / (1u64 << 53) as f64,
            )),
            "random.uniform" => {
                let num = |i: usize| match args.pos.get(i) {
                    Some((Obj::Value(v), _)) => v.as_number().ok_or_else(|| bad_args(name, args)),
                    _ => Err(bad_args(name, args)),
                };
                let (a, b) = (num(0)?, num(1)?);
                let r = (next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                Obj::Value(Value::Float(a + (b - a) * r))
            }
            "random.randint" | "random.randrange" => {
                let (lo, hi) = match (name, args.pos.len()) {
                    ("random.randrange", 1) => (0, int_arg(args, 0, name)? - 1),
                    ("random.randrange", _) => {
                        (int_arg(args, 0, name)?, int_arg(args, 1, name)? - 1)
                    }
                    _ => (int_arg(args, 0, name)?, int_arg(args, 1, name)?),
                };
                if hi < lo {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!("empty range in randrange({lo}, {})", hi + 1),
                    )
                    .at(span));
                }
                Obj::int(lo + below((hi - lo + 1) as u64) as i64)
            }
            "random.choice" => {
                let pool = items(self, 0)?;
                if pool.is_empty() {
                    return Err(Diagnostic::new(
                        ErrorKind::Index,
                        "Cannot choose from an empty sequence",
                    )
                    .at(span));
                }
                pool[below(pool.len() as u64) as usize].clone()
            }
            "random.sample" => {
                let mut pool = items(self, 0)?;
                let k = int_arg(args, 1, name)?;
                if k < 0 || k as usize > pool.len() {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        "Sample larger than population or is negative",
                    )
                    .at(span));
                }
                shuffle(&mut pool);
                pool.truncate(k as usize);
                Obj::list(pool)
            }
            "random.shuffle" => {
                let Some((Obj::List(list), _)) = args.pos.first() else {
                    return Err(bad_args(name, args));
                };
                shuffle(&mut list.borrow_mut());
                Obj::NONE
            }
            "random.seed" => {
                let n = match args.pos.first() {
                    Some((Obj::Value(Value::Int(n)), _)) => *n as u64,
                    _ => seed(),
                };
                STATE.with(|s| s.set(n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1));
                Obj::NONE
            }
            _ => return Err(bad_args(name, args)),
        })
    }
}

/// Fisher–Yates.
fn shuffle(items: &mut [Obj]) {
    for i in (1..items.len()).rev() {
        items.swap(i, below(i as u64 + 1) as usize);
    }
}

/// Index tuples of `r` of `n` items, in Python's order: increasing (combinations) or every
/// arrangement (permutations).
fn choose(n: usize, r: usize, ordered: bool, prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    if prefix.len() == r {
        out.push(prefix.clone());
        return;
    }
    let from = if ordered {
        0
    } else {
        prefix.last().map_or(0, |l| l + 1)
    };
    for i in from..n {
        if ordered && prefix.contains(&i) {
            continue;
        }
        prefix.push(i);
        choose(n, r, ordered, prefix, out);
        prefix.pop();
    }
}
