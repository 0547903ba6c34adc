//! Deleting rows: `obj.delete()` and `qs.delete()` through Django's deletion `Collector` —
//! what each relation's `on_delete` asks for (CASCADE collects, PROTECT and RESTRICT refuse,
//! SET_NULL and SET_DEFAULT update, DO_NOTHING leaves it to the database), "fast deletes"
//! (one DELETE for related rows nothing else depends on), the order models are deleted in,
//! and the `(total, {"app.Model": count})` Django returns. Relations introspected without
//! `--models` are DO_NOTHING: the database's own constraints decide.

use super::Session;
use super::obj::DjangoObj;
use super::obj::{Instance, QsKind, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::py::Obj;
use crate::query::{Operand, QChild, QNode, Query};
use crate::schema::{ModelId, OnDelete};
use crate::value::Value;
use std::rc::Rc;

/// Django's `GET_ITERATOR_CHUNK_SIZE`: primary keys per `DELETE ... IN (...)`.
const CHUNK: usize = 100;

/// What is to be deleted or updated, collected before anything runs.
#[derive(Default)]
struct Collector {
    /// Instances to delete, by model in the order models were first seen.
    data: Vec<(ModelId, Vec<Rc<Instance>>)>,
    /// `(model, must be deleted after)`: a row's referrers go first.
    dependencies: Vec<(ModelId, ModelId)>,
    /// Queries whose rows are deleted with one statement each.
    fast_deletes: Vec<Query>,
    /// Why a model's rows are collected (`CASCADE via Book.author`), for the shell's preview.
    reasons: Vec<(ModelId, String)>,
    /// SET_NULL / SET_DEFAULT: `(model, field, value, rows)`.
    field_updates: Vec<(ModelId, usize, Value, Query)>,
    /// RESTRICT: `("'Model.field'", referred model, referring model, referrers)`: rows
    /// that block the delete unless they are deleted too.
    restricted: Vec<(String, ModelId, ModelId, Vec<Rc<Instance>>)>,
}

/// How a referring model's rows refer to the model being deleted: a foreign key
/// (`fields[i]`) or a multi-column `ForeignObject` (`foreign_objects[i]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Via {
    Field(usize),
    ForeignObject(usize),
}

/// A relation whose rows refer to a model: the referring model and how.
type Rel = (ModelId, Via);

/// The objects handed to `collect`: a queryset, or instances already fetched.
enum Objs {
    Query(Box<Query>),
    Instances(Vec<Rc<Instance>>),
    /// A multi-table child's parent rows: their GenericRelations' rows stay (Django
    /// collects parents without `bulk_related_objects`; the child's copies of those
    /// relations, on its own content type, are collected with the child).
    Parents(Vec<Rc<Instance>>),
}

impl Session {
    /// `obj.delete()`.
    pub(super) fn delete_instance(&mut self, inst: &Rc<Instance>, args: &Args) -> Result<Obj> {
        args.no_kwargs_except(&["using", "keep_parents"], "delete")?;
        let model = self.host.schema.model(inst.model);
        let (pk_set, attname) = match self.pk_operand(inst) {
            Operand::List(key) => (!key.contains(&Operand::Value(Value::Null)), "pk".into()),
            pk => (
                pk != Operand::Value(Value::Null),
                model.pk_field().attname(),
            ),
        };
        if !pk_set {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                format!(
                    "{} object can't be deleted because its {attname} attribute is set to None.",
                    model.name,
                ),
            )
            .at(args.span));
        }
        let mut c = Collector::default();
        self.collect(
            &mut c,
            inst.model,
            Objs::Instances(vec![inst.clone()]),
            None,
            false,
        )
        .and_then(|()| self.check_restricted(&c))
        .and_then(|()| self.confirm_delete(&c))
        .and_then(|()| self.run_collector(c))
        .map_err(|d| d.at(args.span))
    }

    /// `qs.delete()`.
    pub(super) fn delete_queryset(&mut self, qs: &QuerySet, args: &Args) -> Result<Obj> {
        let refuse = |msg: &str| Err(Diagnostic::new(ErrorKind::Type, msg).at(args.span));
        if qs.query.is_sliced() {
            return refuse("Cannot use 'limit' or 'offset' with delete().");
        }
        if !qs.query.distinct_fields.is_empty() {
            return refuse("Cannot call delete() after .distinct(*fields).");
        }
        if qs.kind != QsKind::Instances {
            return refuse("Cannot call delete() after .values() or .values_list()");
        }
        if qs.query.combinator.is_some() {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "Calling QuerySet.delete() after a set operation is not supported.",
            )
            .at(args.span));
        }
        let mut q = qs.query.clone();
        q.clear_ordering(true, true);
        q.select_related = crate::query::SelectRelated::None;
        let mut c = Collector::default();
        self.collect(&mut c, q.model, Objs::Query(Box::new(q)), None, false)
            .and_then(|()| self.check_restricted(&c))
            .and_then(|()| self.confirm_delete(&c))
            .and_then(|()| self.run_collector(c))
            .map_err(|d| d.at(args.span))
    }

    /// Relations whose rows refer to `model`: `(referring model, its foreign key field)`
    /// (Django's `get_candidate_relations_to_delete`, through tables included; a proxy's
    /// fields are its concrete model's relations, not its own), in the order of the app
    /// registry (the order models.py declares their models).
    fn referrers(&self, model: ModelId) -> Vec<Rel> {
        let mut out = Vec::new();
        for (id, m) in self.host.schema.models.iter().enumerate() {
            if m.proxy_for.is_some() {
                continue;
            }
            for (i, f) in m.fields.iter().enumerate() {
                if f.relation.as_ref().is_some_and(|r| r.to == model) {
                    out.push((id, Via::Field(i)));
                }
            }
            for (i, fo) in m.foreign_objects.iter().enumerate() {
                if fo.to == model {
                    out.push((id, Via::ForeignObject(i)));
                }
            }
        }
        let schema = &self.host.schema;
        out.sort_by_key(|&(id, via)| (schema.model(id).declared.unwrap_or(usize::MAX), id, via));
        out
    }

    fn on_delete(&self, (model, via): Rel) -> OnDelete {
        let m = self.host.schema.model(model);
        match via {
            Via::Field(i) => {
                (m.fields[i].relation.as_ref()).map_or(OnDelete::DoNothing, |r| r.on_delete)
            }
            Via::ForeignObject(i) => m.foreign_objects[i].on_delete,
        }
    }

    /// A relation's name (`Book.author`) and whether it may be NULL.
    fn rel_name(&self, (model, via): Rel) -> (String, bool) {
        let m = self.host.schema.model(model);
        match via {
            Via::Field(i) => (format!("{}.{}", m.name, m.fields[i].name), m.fields[i].null),
            Via::ForeignObject(i) => {
                let fo = &m.foreign_objects[i];
                (format!("{}.{}", m.name, fo.name), fo.null)
            }
        }
    }

    /// The fields of the referred model a relation's columns hold.
    fn rel_targets(&self, (model, via): Rel) -> Vec<usize> {
        let m = self.host.schema.model(model);
        match via {
            Via::Field(i) => {
                let fk = m.fields[i].relation.as_ref().expect("a foreign key");
                vec![fk.to_field]
            }
            Via::ForeignObject(i) => m.foreign_objects[i].pairs.iter().map(|p| p.1).collect(),
        }
    }

    /// Django's `can_fast_delete`: rows of `model` can go without fetching them when nothing
    /// (nor to its multi-table ancestors, parent links apart) refers to them but DO_NOTHING
    /// relations, the relation `from` that got here (a field of `model`) cascades, and a
    /// multi-table child is reached through its parent link.
    fn can_fast_delete(&self, model: ModelId, from: Option<Rel>) -> bool {
        let m = self.host.schema.model(model);
        if from.is_some_and(|rel| self.on_delete(rel) != OnDelete::Cascade)
            || !m.generic_relations.is_empty()
            || m.parents
                .iter()
                .any(|&(_, link)| from != Some((model, Via::Field(link))))
        {
            return false;
        }
        let schema = &self.host.schema;
        let parent_link =
            |(m, via): Rel| (schema.model(m).parents.iter()).any(|&(_, l)| via == Via::Field(l));
        let mut models = vec![model];
        while let Some(m) = models.pop() {
            let referrers = self.referrers(m).into_iter();
            if !referrers
                .filter(|&r| m == model || !parent_link(r))
                .all(|r| self.on_delete(r) == OnDelete::DoNothing)
            {
                return false;
            }
            models.extend(schema.model(m).parents.iter().map(|&(p, _)| p));
        }
        true
    }

    /// Django's `Collector.collect`.
    fn collect(
        &mut self,
        c: &mut Collector,
        model: ModelId,
        objs: Objs,
        source: Option<ModelId>,
        nullable: bool,
    ) -> Result<()> {
        let parents_of_child = matches!(objs, Objs::Parents(_));
        let instances = match objs {
            Objs::Query(q) if self.can_fast_delete(model, None) => {
                c.fast_deletes.push(*q);
                return Ok(());
            }
            Objs::Query(q) => self.fetch_instances(*q)?,
            Objs::Instances(v) | Objs::Parents(v) => v,
        };
        let new = c.add(self, model, instances, source, nullable);
        if new.is_empty() {
            return Ok(());
        }
        // Multi-table inheritance: the parents' rows go too, after the child's.
        for (parent, link) in self.host.schema.model(model).parents.clone() {
            let schema = &self.host.schema;
            let link = schema.model(model).fields[link].attname();
            let parent_pk = schema.model(parent).pk_field().attname();
            let parents = (new.iter())
                .map(|o| {
                    let id = o.get(&link).unwrap_or(Value::Null);
                    Rc::new(Instance::new(parent, vec![(parent_pk.clone(), id)]))
                })
                .collect();
            self.collect(c, parent, Objs::Parents(parents), None, false)?;
            c.depend(parent, model);
        }
        let batch = match self.host.dialect {
            crate::sql::Dialect::Sqlite => 500,
            crate::sql::Dialect::Postgres => new.len(),
        };
        let mut model_fast: Vec<(ModelId, Vec<Via>)> = Vec::new();
        let mut protected: Vec<(String, Vec<Rc<Instance>>)> = Vec::new();
        for rel in self.referrers(model) {
            let on_delete = self.on_delete(rel);
            if on_delete == OnDelete::DoNothing {
                continue;
            }
            let (rel_model, via) = rel;
            if self.can_fast_delete(rel_model, Some(rel)) {
                match model_fast.iter_mut().find(|(m, _)| *m == rel_model) {
                    Some((_, vias)) => vias.push(via),
                    None => model_fast.push((rel_model, vec![via])),
                }
                continue;
            }
            let (name, null) = self.rel_name(rel);
            let key = format!("'{name}'");
            // Django's field updates and protection of a ForeignObject are not done yet.
            if matches!(via, Via::ForeignObject(_)) && on_delete != OnDelete::Cascade {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "deleting rows {name} (a ForeignObject) refers to with on_delete={} \
                         is not supported by djq yet",
                        on_delete.django_name()
                    ),
                ));
            }
            c.because(
                rel_model,
                format!("{} via {}", on_delete.django_name(), key.trim_matches('\'')),
            );
            for chunk in new.chunks(batch.max(1)) {
                let sub = self.related_query(rel_model, &[via], chunk)?;
                match on_delete {
                    OnDelete::SetNull | OnDelete::SetDefault if let Via::Field(field) = via => {
                        let value = if on_delete == OnDelete::SetNull {
                            Value::Null
                        } else {
                            self.default_value(rel_model, field, Span::default())?
                        };
                        c.field_updates.push((rel_model, field, value, sub));
                    }
                    _ => {
                        let sub_objs = self.fetch_referrers(rel_model, sub)?;
                        if sub_objs.is_empty() {
                            continue;
                        }
                        match on_delete {
                            OnDelete::Cascade => {
                                let inner = self.collect(
                                    c,
                                    rel_model,
                                    Objs::Instances(sub_objs),
                                    Some(model),
                                    null,
                                );
                                // A PROTECT further down is reported under this relation.
                                match inner {
                                    Err(d) if d.kind == ErrorKind::Protected => {
                                        let objs = d
                                            .objects
                                            .into_vec()
                                            .into_iter()
                                            .map(|(m, v)| Rc::new(Instance::new(m, v)))
                                            .collect::<Vec<_>>();
                                        match protected.iter_mut().find(|(k, _)| *k == key) {
                                            Some((_, o)) => o.extend(objs),
                                            None => protected.push((key.clone(), objs)),
                                        }
                                    }
                                    other => other?,
                                }
                            }
                            OnDelete::Protect => {
                                match protected.iter_mut().find(|(k, _)| *k == key) {
                                    Some((_, objs)) => objs.extend(sub_objs),
                                    None => protected.push((key.clone(), sub_objs)),
                                }
                            }
                            _ => {
                                c.restricted.push((key.clone(), model, rel_model, sub_objs));
                                c.depend(model, rel_model);
                            }
                        }
                    }
                }
            }
        }
        if !protected.is_empty() {
            let keys: Vec<&str> = protected.iter().map(|(k, _)| k.as_str()).collect();
            let objs = protected.iter().flat_map(|(_, o)| o);
            return Err(self.refused(ErrorKind::Protected, model, &keys, objs));
        }
        for (rel_model, vias) in model_fast {
            let names: Vec<String> = (vias.iter())
                .map(|&via| self.rel_name((rel_model, via)).0)
                .collect();
            c.because(rel_model, format!("CASCADE via {}", names.join(", ")));
            for chunk in new.chunks(batch.max(1)) {
                let q = self.related_query(rel_model, &vias, chunk)?;
                c.fast_deletes.push(q);
            }
        }
        // Django's `bulk_related_objects`: the rows of each GenericRelation, collected as
        // CASCADE.
        let generic = match parents_of_child {
            true => Vec::new(),
            false => self.host.schema.model(model).generic_relations.clone(),
        };
        let pk = self.host.schema.model(model).pk_field().attname();
        let pks: Vec<Value> = new
            .iter()
            .map(|i| i.get(&pk).unwrap_or(Value::Null))
            .collect();
        for g in &generic {
            let q = self.generic_rows(model, g, &pks)?;
            let m = self.host.schema.model(model);
            c.because(g.to, format!("CASCADE via {}.{}", m.name, g.name));
            self.collect(c, g.to, Objs::Query(Box::new(q)), Some(model), true)?;
        }
        Ok(())
    }

    /// RESTRICT referrers block the delete unless they are being deleted too: collected, or
    /// among the rows of a fast delete (Django asks the database which).
    fn check_restricted(&mut self, c: &Collector) -> Result<()> {
        let mut keys: Vec<&str> = Vec::new();
        let mut referred = None;
        let mut blocking: Vec<Rc<Instance>> = Vec::new();
        for (key, target, model, objs) in &c.restricted {
            let pk = self.host.schema.model(*model).pk_field().attname();
            let collected = |i: &Rc<Instance>| {
                c.data
                    .iter()
                    .any(|(m, insts)| m == model && insts.iter().any(|o| o.get(&pk) == i.get(&pk)))
            };
            let mut left: Vec<Rc<Instance>> =
                objs.iter().filter(|i| !collected(i)).cloned().collect();
            for q in c.fast_deletes.iter().filter(|q| q.model == *model) {
                if left.is_empty() {
                    break;
                }
                let pks = left.iter().map(|i| i.get(&pk).unwrap_or(Value::Null));
                let mut q = q.clone();
                let pk_name = self.host.schema.model(*model).pk_field().name.clone();
                q.add_q(
                    &self.host.schema,
                    &QNode::leaf(format!("{pk_name}__in"), Operand::values(pks)),
                )?;
                let deleted = self.fetch_instances(q)?;
                left.retain(|i| !deleted.iter().any(|d| d.get(&pk) == i.get(&pk)));
            }
            if !left.is_empty() {
                if !keys.contains(&key.as_str()) {
                    keys.push(key);
                }
                referred.get_or_insert(*target);
                blocking.extend(left);
            }
        }
        match referred {
            None => Ok(()),
            Some(m) => Err(self.refused(ErrorKind::Restricted, m, &keys, blocking.iter())),
        }
    }

    /// Django's ProtectedError / RestrictedError: deleting `model`'s rows is refused by the
    /// relations `keys` (`'Book.author'`) for the rows `objs` (its `protected_objects`).
    fn refused<'i>(
        &self,
        kind: ErrorKind,
        model: ModelId,
        keys: &[&str],
        objs: impl Iterator<Item = &'i Rc<Instance>>,
    ) -> Diagnostic {
        let how = if kind == ErrorKind::Protected {
            "protected"
        } else {
            "restricted"
        };
        let mut d = Diagnostic::new(
            kind,
            format!(
                "Cannot delete some instances of model '{}' because they are referenced through {how} foreign keys: {}.",
                self.host.schema.model(model).name,
                keys.join(", ")
            ),
        );
        d.objects = objs
            .map(|i| (i.model, i.fields()))
            .collect::<Vec<_>>()
            .into_boxed_slice();
        d
    }

    /// `related_model._base_manager.filter(field__in=objs)` (OR over several relations; a
    /// ForeignObject's values are row values).
    fn related_query(&self, model: ModelId, vias: &[Via], objs: &[Rc<Instance>]) -> Result<Query> {
        let mut children = Vec::new();
        for &via in vias {
            let m = self.host.schema.model(model);
            let (name, to) = match via {
                Via::Field(i) => (
                    m.fields[i].name.to_string(),
                    m.fields[i].relation.as_ref().map(|r| r.to),
                ),
                Via::ForeignObject(i) => (
                    m.foreign_objects[i].name.clone(),
                    Some(m.foreign_objects[i].to),
                ),
            };
            let to = self.host.schema.model(to.expect("a relation"));
            let targets: Vec<String> = (self.rel_targets((model, via)).into_iter())
                .map(|t| to.fields[t].attname())
                .collect();
            let value = |o: &Rc<Instance>| {
                let mut values = targets.iter().map(|t| o.get(t).unwrap_or(Value::Null));
                match via {
                    Via::Field(_) => Operand::Value(values.next().expect("one target")),
                    Via::ForeignObject(_) => Operand::values(values),
                }
            };
            children.push(QChild::Leaf {
                key: format!("{name}__in"),
                value: Operand::List(objs.iter().map(value).collect()),
                span: Span::default(),
            });
        }
        let node = if children.len() == 1 {
            QNode::new(children, Vec::new())
        } else {
            children
                .into_iter()
                .map(|c| QNode::new(vec![c], Vec::new()))
                .reduce(|a, b| a.combine(b, crate::query::expr::Connector::Or))
                .expect("at least one field")
        };
        let mut q = Query::new(&self.host.schema, model);
        q.add_q(&self.host.schema, &node)?;
        Ok(q)
    }

    /// The referring rows a cascade needs: only the fields other rows refer to.
    fn fetch_referrers(&mut self, model: ModelId, mut q: Query) -> Result<Vec<Rc<Instance>>> {
        let mut only: Vec<String> = Vec::new();
        for rel in self.referrers(model) {
            for target in self.rel_targets(rel) {
                let name = self.host.schema.model(model).fields[target]
                    .name
                    .to_string();
                if !only.contains(&name) {
                    only.push(name);
                }
            }
        }
        // The links to multi-table parents name the parents' rows to delete.
        let m = self.host.schema.model(model);
        for &(_, link) in &m.parents {
            if !only.contains(&m.fields[link].name) {
                only.push(m.fields[link].name.clone());
            }
        }
        if only.is_empty() {
            let m = self.host.schema.model(model);
            match m.composite_pk.as_slice() {
                [] => only.push(m.pk_field().name.clone()),
                key => only.extend(key.iter().map(|&i| m.fields[i].name.clone())),
            }
        }
        q.deferred = only;
        q.defer_mode = false;
        self.fetch_instances(q)
    }

    fn fetch_instances(&mut self, q: Query) -> Result<Vec<Rc<Instance>>> {
        let qs = QuerySet::new(q, QsKind::Instances);
        Ok(self
            .fetch_all(&qs)?
            .into_iter()
            .filter_map(|o| o.instance())
            .collect())
    }

    /// In the interactive shell: show what the delete will touch (rows per model, why) and
    /// ask before anything changes.
    fn confirm_delete(&mut self, c: &Collector) -> Result<()> {
        if self.host.confirm.is_none() {
            return Ok(());
        }
        let mut lines: Vec<String> = Vec::new();
        let why = |m: ModelId| {
            c.reasons
                .iter()
                .find(|(r, _)| *r == m)
                .map_or(String::new(), |(_, w)| format!("  ({w})"))
        };
        for (model, insts) in &c.data {
            lines.push(format!(
                "  {:<28} {:>6}{}",
                self.label(*model),
                insts.len(),
                why(*model)
            ));
        }
        for q in &c.fast_deletes {
            let n = self.count(&QuerySet::new(q.clone(), QsKind::Instances))?;
            if n > 0 {
                lines.push(format!(
                    "  {:<28} {n:>6}{}",
                    self.label(q.model),
                    why(q.model)
                ));
            }
        }
        for (model, field, value, q) in &c.field_updates {
            let n = self.count(&QuerySet::new(q.clone(), QsKind::Instances))?;
            if n > 0 {
                let f = &self.host.schema.model(*model).fields[*field];
                lines.push(format!(
                    "  {:<28} {n:>6}  (set {} = {})",
                    self.label(*model),
                    f.name,
                    crate::value::python_repr(value)
                ));
            }
        }
        let text = format!("delete() will remove:\n{}", lines.join("\n"));
        self.ask(&text, "nothing was deleted")
    }

    /// Django's `Collector.delete`: fast deletes, field updates, then each model's rows in
    /// dependency order, in one transaction; `(total, {"app.Model": count})`.
    fn run_collector(&mut self, mut c: Collector) -> Result<Obj> {
        for (model, insts) in &mut c.data {
            let pk = self.host.schema.model(*model).pk_field().attname();
            insts.sort_by_key(|i| match i.get(&pk) {
                Some(Value::Int(n)) => (n, String::new()),
                other => (0, other.map(|v| v.to_python_str()).unwrap_or_default()),
            });
        }
        c.sort();
        let mut counter = Counter::default();
        let single = c.data.len() == 1
            && c.data[0].1.len() == 1
            && c.fast_deletes.is_empty()
            && c.field_updates.is_empty()
            && self.can_fast_delete(c.data[0].0, None);
        if single {
            let (model, insts) = &c.data[0];
            let n = self.delete_batch(*model, insts)?;
            counter.add(self.label(*model), n, true);
        } else {
            self.refuse_if_read_only()?;
            self.atomic(|s| s.delete_collected(&mut c, &mut counter))?;
        }
        for (model, insts) in &c.data {
            let pk = self.host.schema.model(*model).pk_field().attname();
            for i in insts {
                i.set(&pk, Value::Null);
            }
        }
        let total: u64 = counter.0.iter().map(|(_, n)| n).sum();
        let per_model = counter
            .0
            .into_iter()
            .map(|(l, n)| (Obj::str(l), Obj::int(n as i64)))
            .collect();
        Ok(Obj::tuple(vec![
            Obj::int(total as i64),
            Obj::dict(per_model),
        ]))
    }

    /// The statements of a collected delete, in Django's order.
    fn delete_collected(&mut self, c: &mut Collector, counter: &mut Counter) -> Result<()> {
        for q in &c.fast_deletes {
            let q = q.for_write(&self.host.schema)?;
            if let Some(st) = crate::sql::modify::delete(&self.host.schema, self.host.dialect, &q)?
            {
                let n = self.execute_write(&st, 0)?;
                counter.add(self.label(q.model), n, false);
            }
        }
        for (model, field, value, q) in &c.field_updates {
            let f = &self.host.schema.model(*model).fields[*field];
            let set = vec![(
                f.column.clone(),
                crate::query::Expr::Value(crate::query::lookups::prep_value(
                    f.kind,
                    Some(&f.name),
                    value.clone(),
                    self.host.schema.tz,
                )?),
            )];
            self.update_rows(*model, q.clone(), &set, 0)?;
        }
        for (model, insts) in &mut c.data {
            insts.reverse();
            let n = self.delete_batch(*model, insts)?;
            counter.add(self.label(*model), n, false);
        }
        Ok(())
    }

    /// `DELETE FROM t WHERE pk IN (...)` (a composite key's row values), 100 keys at a time;
    /// the rows deleted.
    fn delete_batch(&mut self, model: ModelId, insts: &[Rc<Instance>]) -> Result<u64> {
        let m = self.host.schema.model(model);
        let pk = match m.composite_pk.is_empty() {
            true => m.pk_field().attname(),
            false => "pk".into(),
        };
        let mut n = 0;
        for chunk in insts.chunks(CHUNK) {
            let values = chunk.iter().map(|i| self.pk_operand(i)).collect();
            let mut q = Query::new(&self.host.schema, model);
            q.add_q(
                &self.host.schema,
                &QNode::leaf(format!("{pk}__in"), Operand::List(values)),
            )?;
            if let Some(st) = crate::sql::modify::delete(&self.host.schema, self.host.dialect, &q)?
            {
                n += self.execute_write(&st, chunk.len() as u64)?;
            }
        }
        Ok(n)
    }

    /// Django's `Model._meta.label`: `books.Book`.
    fn label(&self, model: ModelId) -> String {
        let m = self.host.schema.model(model);
        if m.app_label.is_empty() {
            m.name.clone()
        } else {
            format!("{}.{}", m.app_label, m.name)
        }
    }
}

/// Rows deleted per model label, in the order Django's `Counter` first sees them.
#[derive(Default)]
struct Counter(Vec<(String, u64)>);

impl Counter {
    /// Count `n` rows of `label`; zero counts only when `always`.
    fn add(&mut self, label: String, n: u64, always: bool) {
        if n == 0 && !always {
            return;
        }
        match self.0.iter_mut().find(|(l, _)| *l == label) {
            Some((_, total)) => *total += n,
            None => self.0.push((label, n)),
        }
    }
}

impl Collector {
    /// Note why `model`'s rows are collected (the first reason wins).
    fn because(&mut self, model: ModelId, why: String) {
        if !self.reasons.iter().any(|(m, _)| *m == model) {
            self.reasons.push((model, why));
        }
    }

    /// Django's `Collector.add`: the instances not collected yet; a non-null relation from
    /// `source` makes `source` wait for `model`.
    fn add(
        &mut self,
        session: &Session,
        model: ModelId,
        objs: Vec<Rc<Instance>>,
        source: Option<ModelId>,
        nullable: bool,
    ) -> Vec<Rc<Instance>> {
        let entry = match self.data.iter().position(|(m, _)| *m == model) {
            Some(i) => i,
            None => {
                self.data.push((model, Vec::new()));
                self.data.len() - 1
            }
        };
        let mut new = Vec::new();
        for o in objs {
            let id = session.pk_operand(&o);
            let seen = self.data[entry]
                .1
                .iter()
                .chain(&new)
                .any(|i: &Rc<Instance>| session.pk_operand(i) == id);
            if !seen {
                new.push(o);
            }
        }
        self.data[entry].1.extend(new.iter().cloned());
        if let (Some(source), false) = (source, nullable) {
            self.depend(source, model);
        }
        new
    }

    /// Django's `add_dependency`: `model`'s rows go after `dependency`'s, which gets an
    /// entry (maybe empty) in the order of deletion.
    fn depend(&mut self, model: ModelId, dependency: ModelId) {
        self.dependencies.push((model, dependency));
        if !self.data.iter().any(|(m, _)| *m == dependency) {
            self.data.push((dependency, Vec::new()));
        }
    }

    /// Django's `Collector.sort`: a model goes once everything it waits for has gone.
    fn sort(&mut self) {
        let mut order: Vec<ModelId> = Vec::new();
        while order.len() < self.data.len() {
            let mut found = false;
            for (m, _) in &self.data {
                if order.contains(m) {
                    continue;
                }
                let ready = self
                    .dependencies
                    .iter()
                    .filter(|(waiting, _)| waiting == m)
                    .all(|(_, dep)| order.contains(dep));
                if ready {
                    order.push(*m);
                    found = true;
                }
            }
            if !found {
                // A cycle: Django leaves the order as it was.
                return;
            }
        }
        let mut data = std::mem::take(&mut self.data);
        self.data = order
            .into_iter()
            .filter_map(|m| {
                let i = data.iter().position(|(d, _)| *d == m)?;
                Some(data.remove(i))
            })
            .collect();
    }
}
