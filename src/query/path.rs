//! Path resolution: lookup names (`author__books__title`) → relation hops and joins.
//!
//! Mirrors Django's `names_to_path`, `setup_joins` and `trim_joins`.

use super::{Query, Sym, expr::Col};
use crate::diag::{Diagnostic, Result};
use crate::schema::{FieldRef, ModelId, ReverseVia, Schema};

/// One hop across a relation (Django's `PathInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct PathInfo {
    pub to_model: ModelId,
    /// The field whose column the table joined from holds (see [`PathInfo::from_col`]).
    pub from_field: Target,
    /// The field whose column the table joined to holds (see [`PathInfo::to_col`]).
    pub to_field: Target,
    /// Forward (the foreign key lives on the from side) or reverse.
    pub direct: bool,
    /// Multi-valued hop (reverse FK, either side of an M2M).
    pub m2m: bool,
    /// For direct hops: whether the foreign key allows NULL.
    pub nullable: bool,
    /// The foreign key behind this hop: `(model, field index)` (for a generic relation, its
    /// object id field).
    pub fk: (ModelId, usize),
    /// A generic relation's content type condition, added to the join.
    pub restriction: Option<ContentTypeCond>,
    /// A multi-column relation's (`ForeignObject`'s) further `(from, to)` field pairs, ANDed
    /// to the join's ON after `from_field = to_field`.
    pub extra_on: Vec<(Target, Target)>,
    /// The `FilteredRelation` (by name) whose condition this hop's join carries.
    pub filtered: Option<Sym>,
    /// A `ForeignObject` subclass's `get_extra_restriction()`, added to the join.
    pub py_restriction: Option<super::py_call::PyRestriction>,
}

/// What a generic relation's join adds to its ON clause (Django's `get_extra_restriction`):
/// the content type column, on the table joined to (`on_joined`) or from, equals the id of
/// `model`'s content type.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentTypeCond {
    pub column: Sym,
    pub on_joined: bool,
    pub id: i64,
    /// The model whose content type it is (the one declaring the GenericRelation).
    pub model: ModelId,
}

impl PathInfo {
    /// Column of the table joined from.
    pub fn from_col(&self, schema: &Schema) -> Sym {
        Sym::from(&schema.model(self.from_field.0).fields[self.from_field.1].column)
    }

    /// Column of the table joined to.
    pub fn to_col(&self, schema: &Schema) -> Sym {
        Sym::from(&schema.model(self.to_field.0).fields[self.to_field.1].column)
    }
}

/// A concrete field: `(model, index in fields)`.
pub type Target = (ModelId, usize);

/// What the last name of a path named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalField {
    /// A plain local column.
    Local(ModelId, usize),
    /// A ForeignKey/OneToOneField.
    Forward(ModelId, usize),
    /// A reverse relation (`model.reverse[i]`).
    Reverse(ModelId, usize),
    /// A ManyToManyField (`model.m2m[i]`).
    ManyToMany(ModelId, usize),
    /// A GenericRelation (`model.generic_relations[i]`).
    GenericRelation(ModelId, usize),
    /// The way back of a GenericRelation (`model.generic_reverse[i]`).
    GenericReverse(ModelId, usize),
    /// A ForeignObject (`model.foreign_objects[i]`): several columns, which only a tuple
    /// lookup compares (see [`FinalField::refuse_multi_column`]).
    ForeignObject(ModelId, usize),
    /// The way back of a ForeignObject (`model.foreign_object_reverse[i]`).
    ForeignObjectReverse(ModelId, usize),
}

impl FinalField {
    pub fn is_relation(self) -> bool {
        !matches!(self, FinalField::Local(..))
    }

    /// A ForeignObject itself used where one column is needed: not supported (its lookups
    /// are tuple lookups, `crate::query`'s tuple module).
    pub fn refuse_multi_column(self, schema: &Schema) -> Result<()> {
        let FinalField::ForeignObject(m, i) = self else {
            return Ok(());
        };
        let m = schema.model(m);
        Err(Diagnostic::new(
            crate::diag::ErrorKind::NotSupported,
            format!(
                "{}.{} is a multi-column relation (ForeignObject): using the relation itself \
                 as one value here is not supported by djq yet",
                m.name, m.foreign_objects[i].name
            ),
        ))
    }

    /// Django's class name for messages (`IntegerField`, `ForeignKey`, `ManyToOneRel`, ...).
    pub fn class_name(self, schema: &Schema) -> &'static str {
        match self {
            FinalField::Local(m, i) | FinalField::Forward(m, i) => {
                schema.model(m).fields[i].kind.django_name()
            }
            FinalField::ManyToMany(..) => "ManyToManyField",
            FinalField::GenericRelation(..) => "GenericRelation",
            FinalField::GenericReverse(..) => "GenericRel",
            FinalField::ForeignObject(..) => "ForeignObject",
            FinalField::ForeignObjectReverse(..) => "ForeignObjectRel",
            FinalField::Reverse(m, i) => match schema.model(m).reverse[i].via {
                ReverseVia::ManyToMany(_) => "ManyToManyRel",
                ReverseVia::ForeignKey(f) => {
                    let from = schema.model(m).reverse[i].from;
                    if schema.model(from).fields[f]
                        .relation
                        .as_ref()
                        .is_some_and(|r| r.one_to_one)
                    {
                        "OneToOneRel"
                    } else {
                        "ManyToOneRel"
                    }
                }
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Names {
    pub path: Vec<PathInfo>,
    pub final_field: FinalField,
    /// The concrete field the path ends on (Django's `targets`, one here).
    pub target: Target,
    /// How many names are fields; the names after them are transforms and the lookup.
    pub consumed: usize,
}

/// Why a path did not resolve.
#[derive(Debug, Clone)]
pub enum PathError {
    Field(Diagnostic),
    /// A multi-valued hop where only single-valued ones are allowed (exclude → subquery).
    MultiJoin(Vec<(String, Vec<PathInfo>)>),
}

impl From<Diagnostic> for PathError {
    fn from(d: Diagnostic) -> Self {
        PathError::Field(d)
    }
}

/// The hops a relation name crosses, from `model`, pushed onto `out`.
fn path_infos(
    schema: &Schema,
    model: ModelId,
    field: FieldRef,
    out: &mut Vec<PathInfo>,
) -> Result<()> {
    let m = schema.model(model);
    match field {
        FieldRef::GenericRelation(g) => {
            // Into the model holding the object id, then down to `to` when that is a
            // multi-table ancestor's (Django's `_get_path_info_with_parent`).
            let g = &m.generic_relations[g];
            out.push(PathInfo {
                to_model: g.holder,
                from_field: (model, m.pk),
                to_field: (g.holder, g.fk_field),
                direct: false,
                m2m: true,
                nullable: true,
                fk: (g.holder, g.fk_field),
                restriction: Some(ContentTypeCond {
                    column: Sym::from(&g.fields(schema).0.column),
                    on_joined: true,
                    id: content_type_id(schema, model)?,
                    model,
                }),
                extra_on: Vec::new(),
                filtered: None,
                py_restriction: None,
            });
            inheritance_hops(schema, g.holder, g.to, out)?;
        }
        FieldRef::GenericReverse(r) => {
            let r = &m.generic_reverse[r];
            let g = &schema.model(r.from).generic_relations[r.relation];
            if g.holder != model {
                return Err(Diagnostic::new(
                    crate::diag::ErrorKind::NotSupported,
                    format!(
                        "{}.{}: the way back of a GenericRelation whose object id is a \
                         multi-table parent's is not supported by djq yet",
                        m.name, r.query_name
                    ),
                ));
            }
            out.push(PathInfo {
                to_model: r.from,
                from_field: (model, g.fk_field),
                to_field: (r.from, schema.model(r.from).pk),
                direct: false,
                m2m: false,
                nullable: true,
                fk: (model, g.fk_field),
                restriction: Some(ContentTypeCond {
                    column: Sym::from(&g.fields(schema).0.column),
                    on_joined: false,
                    id: content_type_id(schema, r.from)?,
                    model: r.from,
                }),
                extra_on: Vec::new(),
                filtered: None,
                py_restriction: None,
            });
        }
        FieldRef::ForeignObject(i) => {
            let fo = &m.foreign_objects[i];
            let pair = |&(from, to): &(usize, usize)| ((model, from), (fo.to, to));
            let ((from_field, to_field), extra_on) = (pair(&fo.pairs[0]), fo.pairs[1..].iter());
            out.push(PathInfo {
                to_model: fo.to,
                from_field,
                to_field,
                direct: true,
                m2m: false,
                nullable: fo.null,
                fk: from_field,
                restriction: None,
                extra_on: extra_on.map(pair).collect(),
                filtered: None,
                py_restriction: (fo.restriction.as_ref()).map(|class| {
                    super::py_call::PyRestriction {
                        model,
                        class: Sym::from(class.as_str()),
                    }
                }),
            });
        }
        FieldRef::ForeignObjectReverse(r) => {
            let r = &m.foreign_object_reverse[r];
            out.push(foreign_object_back(schema, r.from, r.relation));
        }
        FieldRef::Concrete(i) => {
            let f = &m.fields[i];
            let fk = f.relation.as_ref().expect("relation field");
            out.push(PathInfo {
                to_model: fk.to,
                from_field: (model, i),
                to_field: (fk.to, fk.to_field),
                direct: true,
                m2m: false,
                nullable: f.null,
                fk: (model, i),
                restriction: None,
                extra_on: Vec::new(),
                filtered: None,
                py_restriction: None,
            });
        }
        FieldRef::Reverse(r) => {
            let rel = &m.reverse[r];
            match rel.via {
                ReverseVia::ForeignKey(fi) => {
                    let f = &schema.model(rel.from).fields[fi];
                    let fk = f.relation.as_ref().expect("relation field");
                    out.push(PathInfo {
                        to_model: rel.from,
                        from_field: (model, fk.to_field),
                        to_field: (rel.from, fi),
                        direct: false,
                        m2m: !fk.one_to_one,
                        nullable: true,
                        fk: (rel.from, fi),
                        restriction: None,
                        extra_on: Vec::new(),
                        filtered: None,
                        py_restriction: None,
                    });
                }
                ReverseVia::ManyToMany(mi) => {
                    let mm = &schema.model(rel.from).m2m[mi];
                    if let Some([source, target]) = &mm.through_objects {
                        return through_object_hops(schema, mm.through, [target, source], out);
                    }
                    // Reverse of an M2M: into the through table by its target FK, then out by
                    // its source FK (a generic through's object id and content type).
                    let [source_owner, target_owner] = mm.owners;
                    out.push(reverse_hop(schema, target_owner, mm.target_field));
                    inheritance_hops(schema, target_owner, source_owner, out)?;
                    let second = out.len();
                    match mm.content_type {
                        Some(ct) => out.push(object_hop(schema, mm.through, rel.from, ct, mm)?),
                        None => {
                            let source = FieldRef::Concrete(mm.source_field);
                            path_infos(schema, source_owner, source, out)?;
                        }
                    }
                    out[second..].iter_mut().for_each(|h| h.m2m = true);
                }
            }
        }
        FieldRef::ManyToMany(mi) => {
            let mm = &m.m2m[mi];
            if let Some([source, target]) = &mm.through_objects {
                return through_object_hops(schema, mm.through, [source, target], out);
            }
            let [source_owner, target_owner] = mm.owners;
            out.push(match mm.content_type {
                Some(ct) => tagged_hop(schema, model, ct, mm)?,
                None => reverse_hop(schema, source_owner, mm.source_field),
            });
            inheritance_hops(schema, source_owner, target_owner, out)?;
            let second = out.len();
            path_infos(
                schema,
                target_owner,
                FieldRef::Concrete(mm.target_field),
                out,
            )?;
            out[second..].iter_mut().for_each(|h| h.m2m = true);
        }
    }
    Ok(())
}

/// The hop back across `from.foreign_objects[relation]` (from the model it points at).
fn foreign_object_back(schema: &Schema, from: ModelId, relation: usize) -> PathInfo {
    let fo = &schema.model(from).foreign_objects[relation];
    let pair = |&(f, t): &(usize, usize)| ((fo.to, t), (from, f));
    let ((from_field, to_field), extra_on) = (pair(&fo.pairs[0]), fo.pairs[1..].iter());
    PathInfo {
        to_model: from,
        from_field,
        to_field,
        direct: false,
        m2m: true,
        nullable: true,
        fk: to_field,
        restriction: None,
        extra_on: extra_on.map(pair).collect(),
        filtered: None,
        py_restriction: None,
    }
}

/// A many-to-many through `ForeignObject`s ([`crate::schema::ManyToMany::through_objects`]):
/// into the through model back across the one named `into`, out across `out_of` (as
/// Django's `ManyToManyField._get_path_info` joins by the through model's relations).
fn through_object_hops(
    schema: &Schema,
    through: ModelId,
    [into, out_of]: [&str; 2],
    out: &mut Vec<PathInfo>,
) -> Result<()> {
    let t = schema.model(through);
    let fo = |name: &str| {
        t.foreign_object(name).ok_or_else(|| {
            t.unsupported_field(name).unwrap_or_else(|| {
                Diagnostic::field(format!("{}.{name} is not a ForeignObject", t.name))
            })
        })
    };
    let (into, out_of) = (fo(into)?, fo(out_of)?);
    out.push(foreign_object_back(schema, through, into));
    let second = out.len();
    path_infos(schema, through, FieldRef::ForeignObject(out_of), out)?;
    out[second..].iter_mut().for_each(|h| h.m2m = true);
    Ok(())
}

/// Between the two models of a through model's chain that declare a many-to-many's keys (one
/// a multi-table ancestor of the other): up the parent links (Django's `get_path_to_parent`)
/// or down them (`get_path_from_parent`), as `ManyToManyField._get_path_info` joins them.
fn inheritance_hops(
    schema: &Schema,
    from: ModelId,
    to: ModelId,
    out: &mut Vec<PathInfo>,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    if let Some(chain) = schema.base_chain(from, to) {
        for (child, link) in chain {
            path_infos(schema, child, FieldRef::Concrete(link), out)?;
        }
    } else if let Some(chain) = schema.base_chain(to, from) {
        for (child, link) in chain.into_iter().rev() {
            out.push(PathInfo {
                m2m: false,
                ..reverse_hop(schema, child, link)
            });
        }
    }
    Ok(())
}

/// The id of `model`'s content type, which a generic relation's join compares with.
fn content_type_id(schema: &Schema, model: ModelId) -> Result<i64> {
    schema.content_type_id(model).ok_or_else(|| {
        let m = schema.model(model);
        Diagnostic::new(
            crate::diag::ErrorKind::NotSupported,
            format!(
                "the database has no content type for {}.{} (django_content_type); \
                 generic relations without it are not supported by djq yet",
                m.app_label, m.name
            ),
        )
    })
}

/// Into a generic through model (django-taggit's TaggedItem) from the tagged `model`: its
/// object id is the model's pk, its content type the model's.
fn tagged_hop(
    schema: &Schema,
    model: ModelId,
    ct: usize,
    mm: &crate::schema::ManyToMany,
) -> Result<PathInfo> {
    Ok(PathInfo {
        to_model: mm.through,
        from_field: (model, schema.model(model).pk),
        to_field: (mm.through, mm.source_field),
        direct: false,
        m2m: true,
        nullable: true,
        fk: (mm.through, mm.source_field),
        restriction: Some(ContentTypeCond {
            column: schema.model(mm.through).fields[ct].column.clone().into(),
            on_joined: true,
            id: content_type_id(schema, model)?,
            model,
        }),
        extra_on: Vec::new(),
        filtered: None,
        py_restriction: None,
    })
}

/// Out of a generic through model to the tagged `model` (the way back of [`tagged_hop`]).
fn object_hop(
    schema: &Schema,
    through: ModelId,
    model: ModelId,
    ct: usize,
    mm: &crate::schema::ManyToMany,
) -> Result<PathInfo> {
    Ok(PathInfo {
        to_model: model,
        from_field: (through, mm.source_field),
        to_field: (model, schema.model(model).pk),
        direct: false,
        m2m: true,
        nullable: true,
        fk: (through, mm.source_field),
        restriction: Some(ContentTypeCond {
            column: schema.model(through).fields[ct].column.clone().into(),
            on_joined: false,
            id: content_type_id(schema, model)?,
            model,
        }),
        extra_on: Vec::new(),
        filtered: None,
        py_restriction: None,
    })
}

/// The type of a field's column (a foreign key's is its target's).
fn column_type(schema: &Schema, (model, index): Target) -> super::expr::DbType {
    let f = &schema.model(model).fields[index];
    match &f.relation {
        Some(r) => column_type(schema, (r.to, r.to_field)),
        None => super::func::db_type(f.kind, f.max_length, f.decimal),
    }
}

/// The reverse hop of `through.fields[fk_index]` (from the FK's target into `through`).
fn reverse_hop(schema: &Schema, through: ModelId, fk_index: usize) -> PathInfo {
    let t = schema.model(through);
    let f = &t.fields[fk_index];
    let fk = f.relation.as_ref().expect("through FK");
    PathInfo {
        to_model: through,
        from_field: (fk.to, fk.to_field),
        to_field: (through, fk_index),
        direct: false,
        m2m: true,
        nullable: true,
        fk: (through, fk_index),
        restriction: None,
        extra_on: Vec::new(),
        filtered: None,
        py_restriction: None,
    }
}

/// The concrete field a relation's last hop targets (Django's `target_fields`).
fn last_target(schema: &Schema, last: &PathInfo) -> Target {
    if last.direct {
        let (m, i) = last.fk;
        // A ForeignObject's hop: its first target field.
        (schema.model(m).fields[i].relation.as_ref())
            .map_or(last.to_field, |fk| (fk.to, fk.to_field))
    } else {
        (last.to_model, schema.model(last.to_model).pk)
    }
}

/// "Cannot resolve keyword 'x' into field. Choices are: ..."
pub fn unknown_field(schema: &Schema, model: ModelId, name: &str, extra: &[String]) -> Diagnostic {
    if let Some(d) = schema.unsupported_field(model, name) {
        return d;
    }
    let mut choices = schema.field_choices(model);
    choices.extend(extra.iter().cloned());
    choices.sort();
    let mut d = Diagnostic::field(format!(
        "Cannot resolve keyword '{name}' into field. Choices are: {}",
        choices.join(", ")
    ));
    if let Some(s) = crate::diag::suggest(name, choices.iter().map(String::as_str)) {
        d = d.with_help(format!("did you mean '{s}'?"));
    }
    d
}

/// Django's `names_to_path`.
pub fn names_to_path<S: AsRef<str>>(
    schema: &Schema,
    names: &[S],
    model: ModelId,
    allow_many: bool,
    fail_on_missing: bool,
) -> Result<Names, PathError> {
    let mut path = Vec::new();
    // Only a multi-valued hop where none is allowed reports the names with their hops.
    let mut names_with_path = Vec::new();
    let mut cur = model;
    let mut found = None;
    let mut consumed = 0;
    for (pos, raw) in names.iter().enumerate() {
        let raw = raw.as_ref();
        let m = schema.model(cur);
        if raw == "pk" && !m.composite_pk.is_empty() {
            return Err(crate::schema::composite_pk_unsupported(m, "an expression on").into());
        }
        let name = if raw == "pk" {
            m.pk_field().name.as_str()
        } else {
            raw
        };
        let field = match m.get_field(name) {
            Some(field) => field,
            None => match schema.inherited_field(cur, name) {
                // A parent's field: reached through the parent links (Django's
                // `get_path_to_parent`).
                Some((owner, field)) => {
                    for (from, link) in schema.base_chain(cur, owner).unwrap_or_default() {
                        path_infos(schema, from, FieldRef::Concrete(link), &mut path)?;
                    }
                    cur = owner;
                    field
                }
                None if schema.generic_fk(cur, name).is_some() => {
                    return Err(Diagnostic::field(format!(
                        "Field '{name}' does not generate an automatic reverse relation and \
                         therefore cannot be used for reverse querying. If it is a \
                         GenericForeignKey, consider adding a GenericRelation."
                    ))
                    .into());
                }
                None if pos == 0 || fail_on_missing => {
                    return Err(unknown_field(schema, cur, raw, &[]).into());
                }
                None => break,
            },
        };
        let m = schema.model(cur);
        consumed = pos + 1;
        let is_relation = match field {
            FieldRef::Concrete(i) => m.fields[i].relation.is_some(),
            _ => true,
        };
        if !is_relation {
            let FieldRef::Concrete(i) = field else {
                unreachable!()
            };
            found = Some((FinalField::Local(cur, i), (cur, i)));
            if fail_on_missing && pos + 1 != names.len() {
                return Err(Diagnostic::field(format!(
                    "Cannot resolve keyword '{}' into field. Join on '{}' not permitted.",
                    names[pos + 1].as_ref(),
                    raw
                ))
                .into());
            }
            break;
        }
        let start = path.len();
        path_infos(schema, cur, field, &mut path)?;
        let infos = &path[start..];
        if !allow_many {
            if let Some(p) = infos.iter().position(|p| p.m2m) {
                names_with_path.push((raw.to_string(), infos[..=p].to_vec()));
                return Err(PathError::MultiJoin(names_with_path));
            }
            names_with_path.push((raw.to_string(), infos.to_vec()));
        }
        let last = infos.last().expect("a relation has a hop");
        let final_field = match field {
            FieldRef::Concrete(i) => FinalField::Forward(cur, i),
            FieldRef::Reverse(i) => FinalField::Reverse(cur, i),
            FieldRef::ManyToMany(i) => FinalField::ManyToMany(cur, i),
            FieldRef::GenericRelation(i) => FinalField::GenericRelation(cur, i),
            FieldRef::GenericReverse(i) => FinalField::GenericReverse(cur, i),
            FieldRef::ForeignObject(i) => FinalField::ForeignObject(cur, i),
            FieldRef::ForeignObjectReverse(i) => FinalField::ForeignObjectReverse(cur, i),
        };
        found = Some((final_field, last_target(schema, last)));
        cur = last.to_model;
    }
    let (final_field, target) = found.expect("at least one name resolved");
    Ok(Names {
        path,
        final_field,
        target,
        consumed,
    })
}

/// Result of [`Query::setup_joins`].
#[derive(Debug, Clone)]
pub struct JoinInfo {
    pub final_field: FinalField,
    /// The concrete field the path ends on (Django's `targets`, one here).
    pub target: Target,
    pub joins: Vec<Sym>,
    pub path: Vec<PathInfo>,
    /// Names after the fields: transforms.
    pub transforms: Vec<String>,
    /// Why the longer path did not resolve: Django reports this instead of the transform
    /// error when the transforms turn out invalid (`order_by('author__nope')`).
    /// (Boxed: a `JoinInfo` is moved through every path's resolution, seldom with one.)
    pub field_error: Option<Box<Diagnostic>>,
}

impl JoinInfo {
    /// Apply the transforms to the target column, with Django's choice of error.
    pub fn transform(
        &self,
        reg: &crate::schema::py_lookups::PyLookups,
        col: super::Expr,
        out: super::lookups::OutputField,
    ) -> Result<super::Expr> {
        super::lookups::apply_transforms(reg, col, out, &self.transforms).map_err(|e| {
            match (&self.field_error, self.final_field) {
                (Some(f), FinalField::Local(..) | FinalField::Forward(..)) => (**f).clone(),
                _ => e,
            }
        })
    }
}

/// The first half of [`Query::setup_joins`], which changes nothing: the longest prefix of
/// `names` that are fields resolved into hops from `alias` (only `alias` in `joins`), the rest
/// kept as transforms.
pub fn resolve_joins<S: AsRef<str>>(
    schema: &Schema,
    filtered: &[super::filtered_relation::FilteredRelation],
    names: &[S],
    model: ModelId,
    alias: &Sym,
    allow_many: bool,
) -> Result<JoinInfo, PathError> {
    let mut first_err = None;
    let mut found = None;
    for pivot in (1..=names.len()).rev() {
        let at = &names[..pivot];
        match super::filtered_relation::names_to_path(schema, filtered, at, model, allow_many, true)
        {
            Ok(n) => {
                found = Some((n, &names[pivot..]));
                break;
            }
            Err(e @ PathError::MultiJoin(_)) => return Err(e),
            Err(e) => {
                if pivot == 1 {
                    return Err(first_err.unwrap_or(e));
                }
                first_err.get_or_insert(e);
            }
        }
    }
    let (names, transforms) = found.expect("pivot 1 either resolves or errors");
    names.final_field.refuse_multi_column(schema)?;
    Ok(JoinInfo {
        final_field: names.final_field,
        target: names.target,
        joins: base_joins(alias, &names.path),
        path: names.path,
        transforms: transforms.iter().map(|t| t.as_ref().to_string()).collect(),
        field_error: match first_err {
            Some(PathError::Field(d)) => Some(Box::new(d)),
            _ => None,
        },
    })
}

/// A path's join list before its joins are made: the alias it starts from, with room for
/// one alias a hop.
fn base_joins(alias: &Sym, path: &[PathInfo]) -> Vec<Sym> {
    let mut joins = Vec::with_capacity(path.len() + 1);
    joins.push(alias.clone());
    joins
}

impl Query {
    /// Django's `setup_joins`: the longest prefix of `names` that are fields becomes joins
    /// (multi-valued joins only reuse aliases in `can_reuse`); the rest are transforms.
    pub fn setup_joins<S: AsRef<str>>(
        &mut self,
        schema: &Schema,
        names: &[S],
        model: ModelId,
        alias: &Sym,
        can_reuse: Option<&[Sym]>,
        allow_many: bool,
    ) -> Result<JoinInfo, PathError> {
        let filtered = self.filtered_from(model);
        let info = resolve_joins(schema, filtered, names, model, alias, allow_many)?;
        Ok(self.make_joins(schema, info, can_reuse)?)
    }

    /// The FilteredRelations a path from `model` may start with: a FilteredRelation's name
    /// starts a path from the query's model only.
    pub fn filtered_from(&self, model: ModelId) -> &[super::filtered_relation::FilteredRelation] {
        if model == self.model {
            &self.filtered_relations
        } else {
            &[]
        }
    }

    /// The joins along a resolved path, from `alias` (what [`Query::setup_joins`] does once
    /// the names are resolved), without transforms.
    pub fn join_path(
        &mut self,
        schema: &Schema,
        names: Names,
        alias: &Sym,
        can_reuse: Option<&[Sym]>,
    ) -> Result<JoinInfo> {
        let info = JoinInfo {
            final_field: names.final_field,
            target: names.target,
            joins: base_joins(alias, &names.path),
            path: names.path,
            transforms: Vec::new(),
            field_error: None,
        };
        self.make_joins(schema, info, can_reuse)
    }

    /// The second half of [`Query::setup_joins`]: the joins of a resolved path made (or
    /// reused), their aliases added to `info.joins`.
    pub fn make_joins(
        &mut self,
        schema: &Schema,
        mut info: JoinInfo,
        can_reuse: Option<&[Sym]>,
    ) -> Result<JoinInfo> {
        info.joins.reserve(info.path.len());
        for hop in &info.path {
            let parent = info.joins.last().expect("the base alias");
            let next = match &hop.filtered {
                Some(name) => self.join_filtered(schema, hop, name, parent, can_reuse)?,
                None => self.join_hop(schema, hop, parent, can_reuse),
            };
            info.joins.push(next);
        }
        Ok(info)
    }

    /// The join of one hop from `parent` (made, or reused), its alias.
    pub(super) fn join_hop(
        &mut self,
        schema: &Schema,
        hop: &PathInfo,
        parent: &Sym,
        can_reuse: Option<&[Sym]>,
    ) -> Sym {
        let nullable = if hop.direct { hop.nullable } else { true };
        let reuse = if hop.m2m { can_reuse } else { None };
        let next = self.join(
            &schema.model(hop.to_model).table,
            parent,
            (&hop.from_col(schema), &hop.to_col(schema)),
            nullable,
            reuse,
        );
        if let Some(r) = &hop.restriction
            && let Some(j) = self.table_mut(&next).join.as_mut()
        {
            j.restriction = Some(r.clone());
        }
        let types = |(from, to): (Target, Target)| {
            let types = (column_type(schema, from), column_type(schema, to));
            (types.0 != types.1).then_some(types)
        };
        if let Some(types) = types((hop.from_field, hop.to_field))
            && let Some(j) = self.table_mut(&next).join.as_mut()
        {
            j.types = Some(types);
        }
        if !hop.extra_on.is_empty()
            && let Some(j) = self.table_mut(&next).join.as_mut()
        {
            let column = |(m, i): Target| Sym::from(&schema.model(m).fields[i].column);
            j.extra_on = (hop.extra_on.iter())
                .map(|&(from, to)| (column(from), column(to)))
                .collect();
            j.extra_types = hop.extra_on.iter().map(|&pair| types(pair)).collect();
        }
        if let Some(r) = &hop.py_restriction
            && let Some(j) = self.table_mut(&next).join.as_mut()
        {
            j.py_restriction = Some(r.clone());
        }
        next
    }

    /// The join across `model.foreign_objects[i]` from `alias` (for `select_related`), its
    /// alias.
    pub fn join_foreign_object(
        &mut self,
        schema: &Schema,
        model: ModelId,
        i: usize,
        alias: &Sym,
    ) -> Result<Sym> {
        let mut hops = Vec::new();
        path_infos(schema, model, FieldRef::ForeignObject(i), &mut hops)?;
        Ok(self.join_hop(schema, &hops[0], alias, None))
    }

    /// Django's `trim_joins`: drop trailing forward joins whose target column is already on
    /// the previous table (`author__id` → `book.author_id`). Returns the target and how many
    /// of `joins` stay (the last of them is the target's alias).
    pub fn trim_joins(
        &mut self,
        schema: &Schema,
        mut target: Target,
        joins: &[Sym],
        path: &[PathInfo],
    ) -> (Target, usize) {
        let mut kept = joins.len();
        for hop in path.iter().rev() {
            if kept == 1 || !hop.direct || hop.filtered.is_some() {
                break;
            }
            // The target's column is one the join compares: its pair's from side replaces it.
            let column = |(m, i): Target| &schema.model(m).fields[i].column;
            let mut pairs =
                std::iter::once((hop.fk, hop.to_field)).chain(hop.extra_on.iter().copied());
            let Some((from, _)) = pairs.find(|&(_, to)| column(to) == column(target)) else {
                break;
            };
            target = from;
            kept -= 1;
            self.unref_alias(&joins[kept]);
        }
        (target, kept)
    }
}

/// A lookup path's names (`author__name__iexact` → `author`, `name`, `iexact`), as
/// `split("__")` gives them, without setting up a substring search for each filter.
pub fn split_names(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let r = rest?;
        match double_underscore(r.as_bytes()) {
            Some(at) => {
                rest = Some(&r[at + 2..]);
                Some(&r[..at])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Where the first `__` starts. A byte after a position that is no `_` rules out the pairs
/// starting at both, so most names are read two bytes at a time.
fn double_underscore(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i + 1] != b'_' {
            i += 2;
        } else if b[i] == b'_' {
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

/// A lookup path's names, as [`split_names`] gives them, held in place when there are few (a
/// path of more than [`NameList::INLINE`] names is rare): a filter, a values() name or an
/// ordering splits its path without allocating. Reads as a `[&str]`.
pub struct NameList<'a> {
    inline: [&'a str; NameList::INLINE],
    len: usize,
    more: Vec<&'a str>,
}

impl<'a> NameList<'a> {
    const INLINE: usize = 6;

    pub fn new(path: &'a str) -> NameList<'a> {
        let mut list = NameList {
            inline: [""; NameList::INLINE],
            len: 0,
            more: Vec::new(),
        };
        for name in split_names(path) {
            if list.len < NameList::INLINE {
                list.inline[list.len] = name;
            } else {
                if list.more.is_empty() {
                    list.more.extend_from_slice(&list.inline);
                }
                list.more.push(name);
            }
            list.len += 1;
        }
        list
    }
}

impl<'a> std::ops::Deref for NameList<'a> {
    type Target = [&'a str];
    fn deref(&self) -> &[&'a str] {
        if self.len <= NameList::INLINE {
            &self.inline[..self.len]
        } else {
            &self.more
        }
    }
}

/// The column expression of a concrete field on an alias.
pub fn col(schema: &Schema, target: Target, alias: &Sym) -> Col {
    let f = &schema.model(target.0).fields[target.1];
    Col {
        alias: alias.clone(),
        column: Sym::from(&f.column),
        ty: f.value_type(),
        nullable: f.null,
    }
}

#[cfg(test)]
mod tests {
    use super::split_names;

    #[test]
    fn name_list_holds_split_names() {
        for path in [
            "title",
            "author__name__iexact",
            "a__b__c__d__e__f",
            "a__b__c__d__e__f__g__h",
            "",
        ] {
            let split: Vec<&str> = split_names(path).collect();
            assert_eq!(&*super::NameList::new(path), split.as_slice(), "{path:?}");
        }
    }

    #[test]
    fn split_names_is_split_on_double_underscores() {
        for path in [
            "title",
            "author__name__iexact",
            "a___b",
            "__x",
            "x__",
            "",
            "a____b",
            "_",
            "__",
            "___",
            "a_b__c_d",
            "_a__b_",
            "ab_",
            "a_b_c",
            "x___",
        ] {
            let ours: Vec<&str> = split_names(path).collect();
            let std: Vec<&str> = path.split("__").collect();
            assert_eq!(ours, std, "{path:?}");
        }
        // Every word of up to eight `a`s and `_`s.
        for len in 0..=8 {
            for bits in 0..1u32 << len {
                let path: String = (0..len)
                    .map(|i| if bits >> i & 1 == 1 { '_' } else { 'a' })
                    .collect();
                let ours: Vec<&str> = split_names(&path).collect();
                let std: Vec<&str> = path.split("__").collect();
                assert_eq!(ours, std, "{path:?}");
            }
        }
    }
}
