//! Django 6.1's fetch modes (`django.db.models.fetch_modes`): `QuerySet.fetch_mode(mode)`
//! decides what reading a field or relation its instances have not loaded does — a deferred
//! field, a foreign key's object, a reverse one-to-one, a generic foreign key.
//! `FETCH_ONE` (the default) queries for that instance; `FETCH_PEERS` loads it for every
//! instance of the same fetch at once (a `prefetch_related` of the name over them);
//! `FETCH_RAISE` raises `FieldFetchBlocked`.

use super::Session;
use super::obj::{DjangoObj, Fetch, FetchMode, Instance, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// The names `django.db.models` binds.
pub(super) const NAMES: [(&str, FetchMode); 3] = [
    ("FETCH_ONE", FetchMode::One),
    ("FETCH_PEERS", FetchMode::Peers),
    ("FETCH_RAISE", FetchMode::Raise),
];

impl FetchMode {
    /// `fetch_mode(mode)`'s argument.
    pub(super) fn of_args(args: &Args) -> Result<FetchMode> {
        let arg = match (args.pos.first(), args.kwarg("fetch_mode")) {
            (Some((o, _)), None) | (None, Some(o)) => o,
            _ => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "QuerySet.fetch_mode() missing 1 required positional argument: 'fetch_mode'",
                )
                .at(args.span));
            }
        };
        arg.native::<FetchMode>().copied().ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::Attribute,
                format!(
                    "'{}' object has no attribute 'track_peers'",
                    arg.type_name()
                ),
            )
            .at(args.span)
        })
    }
}

impl Fetch {
    /// Give the instances `objs` of one fetch their mode (and each other as peers).
    pub(super) fn mark(mode: FetchMode, objs: &[Obj]) {
        if mode == FetchMode::One {
            return;
        }
        let fetch = Rc::new(Fetch {
            mode,
            peers: RefCell::new(Vec::new()),
        });
        for inst in objs.iter().filter_map(|o| o.instance()) {
            if mode == FetchMode::Peers {
                fetch.peers.borrow_mut().push(Rc::downgrade(&inst));
            }
            inst.set_fetch(fetch.clone());
        }
    }
}

impl Session {
    /// Before `inst` loads `name` (a relation's object, or a deferred field) on its own:
    /// `FETCH_RAISE` raises; `FETCH_PEERS` loads it for the instance's live peers at once
    /// (`Ok(true)`: the caller reads what was loaded, or loads it itself when nothing was).
    /// `relation`: a relation (loaded as `prefetch_related(name)` does), not a field.
    pub(super) fn fetch_for_peers(
        &mut self,
        inst: &Instance,
        name: &str,
        relation: bool,
        span: Span,
    ) -> Result<bool> {
        let Some(fetch) = inst.fetch() else {
            return Ok(false);
        };
        match fetch.mode {
            FetchMode::One => Ok(false),
            FetchMode::Raise => Err(Diagnostic::new(
                ErrorKind::Python("FieldFetchBlocked".into()),
                format!(
                    "Fetching of {}.{name} blocked.",
                    self.host.schema.model(inst.model).name
                ),
            )
            .at(span)),
            FetchMode::Peers => {
                let peers: Vec<Obj> = (fetch.peers.borrow().iter())
                    .filter_map(Weak::upgrade)
                    .filter(|p| p.related(name).is_none())
                    .map(make::instance)
                    .collect();
                if peers.len() < 2 {
                    return Ok(false);
                }
                if !relation {
                    return Err(Diagnostic::new(
                        ErrorKind::NotSupported,
                        "loading a deferred field of FETCH_PEERS instances is not supported by djq yet",
                    )
                    .at(span));
                }
                self.prefetch_named(&peers, name).map_err(|d| d.at(span))?;
                Ok(true)
            }
        }
    }
}
