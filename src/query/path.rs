//! Path resolution: lookup names (`author__books__title`) → relation hops and joins.
//!
//! Mirrors Django's `names_to_path`, `setup_joins` and `trim_joins`.

use super::{Query, expr::Col};
use crate::diag::{Diagnostic, Result};
use crate::schema::{FieldRef, ModelId, ReverseVia, Schema};

/// One hop across a relation (Django's `PathInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct PathInfo {
    pub to_model: ModelId,
    /// Column of the table joined from.
    pub from_col: String,
    /// Column of the table joined to.
    pub to_col: String,
    /// Forward (the foreign key lives on the from side) or reverse.
    pub direct: bool,
    /// Multi-valued hop (reverse FK, either side of an M2M).
    pub m2m: bool,
    /// For direct hops: whether the foreign key allows NULL.
    pub nullable: bool,
    /// The foreign key behind this hop: `(model, field index)`.
    pub fk: (ModelId, usize),
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
}

impl FinalField {
    pub fn is_relation(self) -> bool {
        !matches!(self, FinalField::Local(..))
    }

    /// Django's class name for messages (`IntegerField`, `ForeignKey`, `ManyToOneRel`, ...).
    pub fn class_name(self, schema: &Schema) -> &'static str {
        match self {
            FinalField::Local(m, i) | FinalField::Forward(m, i) => {
                schema.model(m).fields[i].kind.django_name()
            }
            FinalField::ManyToMany(..) => "ManyToManyField",
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
    pub targets: Vec<Target>,
    /// Names left over: transforms and the lookup.
    pub rest: Vec<String>,
    pub names_with_path: Vec<(String, Vec<PathInfo>)>,
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

/// The hops a relation name crosses, from `model`.
fn path_infos(schema: &Schema, model: ModelId, field: FieldRef) -> Vec<PathInfo> {
    let m = schema.model(model);
    match field {
        FieldRef::Concrete(i) => {
            let f = &m.fields[i];
            let fk = f.relation.as_ref().expect("relation field");
            let target = schema.model(fk.to);
            vec![PathInfo {
                to_model: fk.to,
                from_col: f.column.clone(),
                to_col: target.fields[fk.to_field].column.clone(),
                direct: true,
                m2m: false,
                nullable: f.null,
                fk: (model, i),
            }]
        }
        FieldRef::Reverse(r) => {
            let rel = &m.reverse[r];
            match rel.via {
                ReverseVia::ForeignKey(fi) => {
                    let from = schema.model(rel.from);
                    let f = &from.fields[fi];
                    let fk = f.relation.as_ref().expect("relation field");
                    vec![PathInfo {
                        to_model: rel.from,
                        from_col: m.fields[fk.to_field].column.clone(),
                        to_col: f.column.clone(),
                        direct: false,
                        m2m: !fk.one_to_one,
                        nullable: true,
                        fk: (rel.from, fi),
                    }]
                }
                ReverseVia::ManyToMany(mi) => {
                    let mm = &schema.model(rel.from).m2m[mi];
                    // Reverse of an M2M: into the through table by its target FK, then out by
                    // its source FK.
                    let mut hops =
                        path_infos(schema, mm.through, FieldRef::Concrete(mm.source_field));
                    let first = reverse_hop(schema, mm.through, mm.target_field);
                    hops.iter_mut().for_each(|h| h.m2m = true);
                    let mut out = vec![first];
                    out.append(&mut hops);
                    out
                }
            }
        }
        FieldRef::ManyToMany(mi) => {
            let mm = &m.m2m[mi];
            let first = reverse_hop(schema, mm.through, mm.source_field);
            let mut second = path_infos(schema, mm.through, FieldRef::Concrete(mm.target_field));
            second.iter_mut().for_each(|h| h.m2m = true);
            let mut out = vec![first];
            out.append(&mut second);
            out
        }
    }
}

/// The reverse hop of `through.fields[fk_index]` (from the FK's target into `through`).
fn reverse_hop(schema: &Schema, through: ModelId, fk_index: usize) -> PathInfo {
    let t = schema.model(through);
    let f = &t.fields[fk_index];
    let fk = f.relation.as_ref().expect("through FK");
    PathInfo {
        to_model: through,
        from_col: schema.model(fk.to).fields[fk.to_field].column.clone(),
        to_col: f.column.clone(),
        direct: false,
        m2m: true,
        nullable: true,
        fk: (through, fk_index),
    }
}

/// The concrete field a relation's last hop targets (Django's `target_fields`).
fn last_targets(schema: &Schema, last: &PathInfo) -> Vec<Target> {
    let to = schema.model(last.to_model);
    if last.direct {
        let (m, i) = last.fk;
        let fk = schema.model(m).fields[i].relation.as_ref().expect("fk");
        vec![(fk.to, fk.to_field)]
    } else {
        vec![(last.to_model, to.pk)]
    }
}

/// "Cannot resolve keyword 'x' into field. Choices are: ..."
pub fn unknown_field(schema: &Schema, model: ModelId, name: &str, extra: &[String]) -> Diagnostic {
    let mut choices = schema.model(model).field_choices();
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
pub fn names_to_path(
    schema: &Schema,
    names: &[String],
    model: ModelId,
    allow_many: bool,
    fail_on_missing: bool,
) -> Result<Names, PathError> {
    let mut path = Vec::new();
    let mut names_with_path = Vec::new();
    let mut cur = model;
    let mut final_field = None;
    let mut targets = Vec::new();
    let mut consumed = 0;
    for (pos, raw) in names.iter().enumerate() {
        let m = schema.model(cur);
        let name = if raw == "pk" {
            m.pk_field().name.as_str()
        } else {
            raw.as_str()
        };
        let Some(field) = m.get_field(name) else {
            if pos == 0 || fail_on_missing {
                return Err(unknown_field(schema, cur, raw, &[]).into());
            }
            break;
        };
        consumed = pos + 1;
        let is_relation = match field {
            FieldRef::Concrete(i) => m.fields[i].relation.is_some(),
            _ => true,
        };
        if !is_relation {
            let FieldRef::Concrete(i) = field else {
                unreachable!()
            };
            final_field = Some(FinalField::Local(cur, i));
            targets = vec![(cur, i)];
            if fail_on_missing && pos + 1 != names.len() {
                return Err(Diagnostic::field(format!(
                    "Cannot resolve keyword '{}' into field. Join on '{}' not permitted.",
                    names[pos + 1],
                    raw
                ))
                .into());
            }
            break;
        }
        let infos = path_infos(schema, cur, field);
        if !allow_many && let Some(p) = infos.iter().position(|p| p.m2m) {
            names_with_path.push((raw.clone(), infos[..=p].to_vec()));
            return Err(PathError::MultiJoin(names_with_path));
        }
        let last = infos.last().expect("a relation has a hop").clone();
        final_field = Some(match field {
            FieldRef::Concrete(i) => FinalField::Forward(cur, i),
            FieldRef::Reverse(i) => FinalField::Reverse(cur, i),
            FieldRef::ManyToMany(i) => FinalField::ManyToMany(cur, i),
        });
        targets = last_targets(schema, &last);
        path.extend(infos.iter().cloned());
        names_with_path.push((raw.clone(), infos));
        cur = last.to_model;
    }
    Ok(Names {
        path,
        final_field: final_field.expect("at least one name resolved"),
        targets,
        rest: names[consumed..].to_vec(),
        names_with_path,
    })
}

/// Result of [`Query::setup_joins`].
#[derive(Debug, Clone)]
pub struct JoinInfo {
    pub final_field: FinalField,
    pub targets: Vec<Target>,
    pub joins: Vec<String>,
    pub path: Vec<PathInfo>,
    /// Names after the fields: transforms.
    pub transforms: Vec<String>,
    /// Why the longer path did not resolve: Django reports this instead of the transform
    /// error when the transforms turn out invalid (`order_by('author__nope')`).
    pub field_error: Option<Diagnostic>,
}

impl JoinInfo {
    /// Apply the transforms to the target column, with Django's choice of error.
    pub fn transform(
        &self,
        col: super::Expr,
        out: super::lookups::OutputField,
    ) -> Result<super::Expr> {
        super::lookups::apply_transforms(col, out, &self.transforms).map_err(|e| {
            match (&self.field_error, self.final_field) {
                (Some(f), FinalField::Local(..) | FinalField::Forward(..)) => f.clone(),
                _ => e,
            }
        })
    }
}

impl Query {
    /// Django's `setup_joins`: the longest prefix of `names` that are fields becomes joins
    /// (multi-valued joins only reuse aliases in `can_reuse`); the rest are transforms.
    pub fn setup_joins(
        &mut self,
        schema: &Schema,
        names: &[String],
        model: ModelId,
        alias: &str,
        can_reuse: Option<&[String]>,
        allow_many: bool,
    ) -> Result<JoinInfo, PathError> {
        let info = resolve_joins(schema, names, model, alias, allow_many)?;
        Ok(self.make_joins(schema, info, can_reuse))
    }

    /// The second half of [`Query::setup_joins`]: the joins of a resolved path made (or
    /// reused), their aliases added to `info.joins`.
    pub fn make_joins(
        &mut self,
        schema: &Schema,
        mut info: JoinInfo,
        can_reuse: Option<&[String]>,
    ) -> JoinInfo {
        let mut alias = info.joins[0].clone();
        for hop in &info.path {
            let table = schema.model(hop.to_model).table.clone();
            let nullable = if hop.direct { hop.nullable } else { true };
            let reuse = if hop.m2m { can_reuse } else { None };
            alias = self.join(
                &table,
                &alias,
                (hop.from_col.clone(), hop.to_col.clone()),
                nullable,
                reuse,
            );
            info.joins.push(alias.clone());
        }
        info
    }

    /// Django's `trim_joins`: drop trailing forward joins whose target column is already on
    /// the previous table (`author__id` → `book.author_id`). Returns targets, alias, joins.
    pub fn trim_joins(
        &mut self,
        schema: &Schema,
        mut targets: Vec<Target>,
        mut joins: Vec<String>,
        path: &[PathInfo],
    ) -> (Vec<Target>, String, Vec<String>) {
        for hop in path.iter().rev() {
            if joins.len() == 1 || !hop.direct {
                break;
            }
            let all_on_target = targets
                .iter()
                .all(|&(m, i)| schema.model(m).fields[i].column == hop.to_col);
            if !all_on_target {
                break;
            }
            targets = vec![hop.fk];
            let alias = joins.pop().expect("checked above");
            self.unref_alias(&alias);
        }
        let alias = joins.last().expect("base alias").clone();
        (targets, alias, joins)
    }
}

/// The first half of [`Query::setup_joins`], which changes no query: the names resolved
/// from `alias`, whose joins ([`Query::make_joins`]) are not made yet (`joins` holds only
/// `alias`).
pub fn resolve_joins(
    schema: &Schema,
    names: &[String],
    model: ModelId,
    alias: &str,
    allow_many: bool,
) -> Result<JoinInfo, PathError> {
    let mut first_err = None;
    let mut found = None;
    for pivot in (1..=names.len()).rev() {
        match names_to_path(schema, &names[..pivot], model, allow_many, true) {
            Ok(n) => {
                found = Some((n, names[pivot..].to_vec()));
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
    let field_error = match first_err {
        Some(PathError::Field(d)) => Some(d),
        _ => None,
    };
    Ok(JoinInfo {
        final_field: names.final_field,
        targets: names.targets,
        joins: vec![alias.to_string()],
        path: names.path,
        transforms,
        field_error,
    })
}

/// The column expression of a concrete field on an alias.
pub fn col(schema: &Schema, target: Target, alias: &str) -> Col {
    let f = &schema.model(target.0).fields[target.1];
    Col {
        alias: alias.to_string(),
        column: f.column.clone(),
        ty: f.value_type(),
        nullable: f.null,
    }
}
