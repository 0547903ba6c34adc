//! Completion and inline hints for the REPL: what may follow the text before the cursor.
//!
//! [`Index`] is built once from the schema (and told the session's variables after each
//! input); [`Index::complete`] is a pure function of the line and the cursor, so it is
//! tested and benchmarked without a terminal. It knows the contexts a Django shell user
//! types in: names in scope, `Model.`, a manager's or a queryset's methods (chains followed
//! through what each method returns), an instance's attributes, field paths as keyword
//! arguments (`author__name__icontains=`) or in strings (`order_by('-publication_date')`,
//! `F('author__name')`), and meta commands. Every name comes from the registry that owns
//! it: the interpreter's builtins and methods, the schema, `query::lookups`, `meta::COMMANDS`.

mod scan;

use crate::orm::{Returns, VarKind};
use crate::query::lookups::OutputField;
use crate::schema::{FieldRef, ModelId, Schema};
use scan::{Place, Seg};
use std::collections::HashMap;

/// One completion: what is listed and what replaces the word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub display: String,
    pub replacement: String,
}

impl rustyline::completion::Candidate for Candidate {
    fn display(&self) -> &str {
        &self.display
    }

    fn replacement(&self) -> &str {
        &self.replacement
    }
}

/// The inline hint: the rest of the only completion, dimmed on a color terminal.
pub struct Hint {
    display: String,
    completion: String,
}

impl rustyline::hint::Hint for Hint {
    fn display(&self) -> &str {
        &self.display
    }

    fn completion(&self) -> Option<&str> {
        Some(&self.completion)
    }
}

/// Methods whose keyword arguments are lookups (`filter(author__name__icontains=...)`).
const LOOKUP_CALLS: &[&str] = &[
    "filter",
    "exclude",
    "get",
    "get_or_create",
    "update_or_create",
];
/// Methods whose keyword arguments are field names (`create(title=...)`).
const FIELD_CALLS: &[&str] = &["create", "update"];

/// What a chain of the input evaluates to, as far as completion can tell.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Model(ModelId),
    Manager(ModelId),
    QuerySet {
        model: ModelId,
        related: bool,
    },
    Instance(ModelId),
    /// `receiver.name` before the call: a manager's or queryset's method of `model`.
    Method(ModelId, Returns),
    Unknown,
}

/// What a field path may end with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PathMode {
    /// A lookup keyword (`filter`): fields, relations, transforms, lookups; `=` after.
    Lookup,
    /// A field keyword (`create`): field names only; `=` after.
    Field,
    /// A reference in a string (`values`, `F`): fields, relations, transforms.
    Reference,
}

/// Where a path has got to.
enum At {
    /// On a model; `via` is the relation crossed to get there (whose lookups apply too).
    Model(ModelId, Option<OutputField>),
    Field(OutputField),
}

/// The completion index: the schema, the names in scope, the session's variables.
pub struct Index {
    schema: Schema,
    models: HashMap<String, ModelId>,
    /// Models, builtins and keywords, sorted.
    names: Vec<String>,
    variables: Vec<(String, VarKind)>,
}

impl Index {
    pub fn new(schema: &Schema) -> Index {
        let models: HashMap<String, ModelId> = schema
            .user_models()
            .map(|(id, m)| (m.name.clone(), id))
            .collect();
        let mut names: Vec<String> = models.keys().cloned().collect();
        names.extend(crate::orm::builtin_names());
        names.extend(crate::syntax::KEYWORDS.iter().map(|k| k.to_string()));
        names.sort();
        names.dedup();
        Index {
            schema: schema.clone(),
            models,
            names,
            variables: Vec::new(),
        }
    }

    /// The session's variables, as [`crate::orm::Session::variable_kinds`] lists them.
    pub fn set_variables(&mut self, mut variables: Vec<(String, VarKind)>) {
        variables.sort_by(|a, b| a.0.cmp(&b.0));
        self.variables = variables;
    }

    /// Completions for the word before `pos`: where it starts and what may replace it.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<Candidate>) {
        let text = &line[..pos];
        let mut out = Vec::new();
        let trimmed = text.trim_start();
        if let Some(meta) = trimmed.strip_prefix('\\') {
            let start = self.meta(meta, pos - meta.len(), &mut out);
            return (start, out);
        }
        let s = scan::scan(text);
        let mut start = s.start;
        match &s.place {
            Place::Name => self.names(s.word, &mut out),
            Place::Attribute(chain) => self.attributes(self.eval(chain), s.word, &mut out),
            Place::Argument => {
                let callee = s.calls.last().expect("an argument is in a call");
                let keywords = self.keyword_call(callee, &s.calls);
                if let Some((model, mode)) = keywords {
                    self.path(model, s.word, mode, &mut out);
                }
                if !s.word.is_empty() && !s.word.contains("__") {
                    let mut names = Vec::new();
                    self.names(s.word, &mut names);
                    // Beside field keywords, only what usually goes there: a variable, a
                    // `Q(...)`, an `Exists(...)`.
                    out.extend(names.into_iter().filter(|c| {
                        keywords.is_none()
                            || c.replacement.starts_with(char::is_uppercase)
                            || self.variables.iter().any(|(n, _)| *n == c.replacement)
                    }));
                }
            }
            Place::Str => {
                let callee = s.calls.last().expect("a string argument is in a call");
                let (word, dash) = match s.word.strip_prefix('-') {
                    Some(w) => (w, 1),
                    None => (s.word, 0),
                };
                start += dash;
                if let Some(model) = self.reference_call(callee, &s.calls) {
                    self.path(model, word, PathMode::Reference, &mut out);
                }
            }
            Place::Nothing => {}
        }
        (start, out)
    }

    /// The rest of the word when the completions agree on more than is typed (only at the
    /// end of the line, for a word already begun).
    pub fn hint(&self, line: &str, pos: usize, color: bool) -> Option<Hint> {
        if pos < line.len() || line.is_empty() {
            return None;
        }
        let (start, candidates) = self.complete(line, pos);
        let typed = &line[start..pos];
        if typed.is_empty() && !line.trim_start().starts_with('\\') {
            return None;
        }
        let first = &candidates.first()?.replacement;
        let common = candidates.iter().fold(first.len(), |n, c| {
            first
                .bytes()
                .zip(c.replacement.bytes())
                .take(n)
                .take_while(|(a, b)| a == b)
                .count()
        });
        let rest = first.get(typed.len()..common).filter(|r| !r.is_empty())?;
        let completion = rest.to_string();
        let display = if color {
            format!("\x1b[2m{rest}\x1b[0m")
        } else {
            completion.clone()
        };
        Some(Hint {
            display,
            completion,
        })
    }

    /// Meta commands after `\`, then their first argument; returns where the word starts.
    fn meta(&self, meta: &str, offset: usize, out: &mut Vec<Candidate>) -> usize {
        let Some((name, arg)) = meta.split_once(char::is_whitespace) else {
            for c in super::meta::COMMANDS {
                for n in std::iter::once(&c.name).chain(c.aliases) {
                    if n.starts_with(meta) {
                        let space = if c.args.is_empty() { "" } else { " " };
                        push(out, n, format!("{n}{space}"));
                    }
                }
            }
            return offset;
        };
        let arg = arg.trim_start();
        let start = offset + meta.len() - arg.len();
        if arg.contains(char::is_whitespace) {
            return start;
        }
        let Some(c) = super::meta::COMMANDS
            .iter()
            .find(|c| c.name == name || c.aliases.contains(&name))
        else {
            return start;
        };
        let choices: Vec<String> = match c.args {
            "Model" => {
                let mut names: Vec<String> = self.models.keys().cloned().collect();
                names.sort();
                names
            }
            "FMT" => crate::render::Format::ALL
                .iter()
                .map(|f| f.name().to_string())
                .collect(),
            args => args
                .trim_matches(|c| c == '[' || c == ']')
                .split('|')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        };
        for choice in choices.into_iter().filter(|c| c.starts_with(arg)) {
            push(out, &choice, choice.clone());
        }
        start
    }

    /// Variables, models, builtins and keywords starting with `word`.
    fn names(&self, word: &str, out: &mut Vec<Candidate>) {
        let variables = self.variables.iter().filter(|(n, _)| n.starts_with(word));
        let variables: Vec<&str> = variables.map(|(n, _)| n.as_str()).collect();
        let from = self.names.partition_point(|n| n.as_str() < word);
        let names = self.names[from..]
            .iter()
            .take_while(|n| n.starts_with(word))
            .filter(|n| !variables.contains(&n.as_str()));
        for name in variables.iter().copied().chain(names.map(String::as_str)) {
            out.push(Candidate {
                display: name.to_string(),
                replacement: name.to_string(),
            });
        }
    }

    /// What `chain` evaluates to.
    fn eval(&self, chain: &[Seg]) -> Ty {
        let mut ty = Ty::Unknown;
        for (i, seg) in chain.iter().enumerate() {
            ty = match (seg, ty) {
                (Seg::Name(n), _) if i == 0 => self.name_type(n),
                (Seg::Attr(a), Ty::Model(m)) if a == "objects" => Ty::Manager(m),
                (Seg::Attr(a), Ty::Manager(m) | Ty::QuerySet { model: m, .. }) => {
                    if crate::orm::QUERYSET_METHODS.contains(&a.as_str()) {
                        Ty::Method(m, crate::orm::returns(a))
                    } else if self.custom_methods(m, true).any(|n| n == a) {
                        // models.py's manager and queryset methods mostly narrow the rows.
                        Ty::Method(m, Returns::QuerySet)
                    } else {
                        Ty::Unknown
                    }
                }
                (Seg::Attr(a), Ty::Instance(m)) => self.instance_attribute(m, a),
                (Seg::Call, Ty::Method(m, Returns::QuerySet)) => Ty::QuerySet {
                    model: m,
                    related: false,
                },
                (Seg::Call, Ty::Method(m, Returns::Instance)) => Ty::Instance(m),
                (Seg::Call, Ty::Model(m)) => Ty::Instance(m),
                (Seg::Index { slice: true }, qs @ Ty::QuerySet { .. }) => qs,
                (Seg::Index { slice: false }, Ty::QuerySet { model, .. }) => Ty::Instance(model),
                _ => Ty::Unknown,
            };
        }
        ty
    }

    fn name_type(&self, name: &str) -> Ty {
        if let Some((_, kind)) = self.variables.iter().find(|(n, _)| n == name) {
            return match *kind {
                VarKind::Model(m) => Ty::Model(m),
                VarKind::Manager(m) => Ty::Manager(m),
                VarKind::QuerySet { model, related } => Ty::QuerySet { model, related },
                VarKind::Instance(m) => Ty::Instance(m),
                VarKind::Other => Ty::Unknown,
            };
        }
        self.models.get(name).map_or(Ty::Unknown, |m| Ty::Model(*m))
    }

    /// `instance.name`: a related instance, a related manager, or a value.
    fn instance_attribute(&self, model: ModelId, name: &str) -> Ty {
        let (fields, m2m, reverse) = self.schema.members(model);
        if let Some(fk) = fields
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.relation.as_ref())
        {
            return Ty::Instance(fk.to);
        }
        if let Some(mm) = m2m.iter().find(|mm| mm.name == name) {
            return Ty::QuerySet {
                model: mm.to,
                related: true,
            };
        }
        match reverse.iter().find(|r| r.accessor == name) {
            Some(r) => Ty::QuerySet {
                model: r.from,
                related: true,
            },
            None => Ty::Unknown,
        }
    }

    /// The models.py methods of `model`'s default manager (with `manager`: the Manager
    /// class's too), as the interpreter finds them.
    fn custom_methods(&self, model: ModelId, manager: bool) -> impl Iterator<Item = &str> {
        let custom = self.schema.model(model).default_manager();
        let own = custom.filter(|_| manager).map(|c| &c.methods[..]);
        custom
            .map(|c| &c.queryset_methods[..])
            .into_iter()
            .chain(own)
            .flatten()
            .map(|f| f.name.as_str())
    }

    fn attributes(&self, ty: Ty, word: &str, out: &mut Vec<Candidate>) {
        let mut methods: Vec<&str> = Vec::new();
        match ty {
            Ty::Model(_) => {
                for a in crate::orm::MODEL_ATTRIBUTES {
                    push_prefixed(out, word, a, a.to_string());
                }
            }
            Ty::Manager(m) => {
                methods.extend(crate::orm::QUERYSET_METHODS);
                methods.extend(self.custom_methods(m, true));
            }
            Ty::QuerySet { model, related } => {
                methods.extend(crate::orm::QUERYSET_METHODS);
                methods.extend(self.custom_methods(model, false));
                if related {
                    methods.extend(crate::orm::RELATED_METHODS);
                }
            }
            Ty::Instance(model) => {
                let (fields, m2m, reverse) = self.schema.members(model);
                push_prefixed(out, word, "pk", "pk".into());
                for f in &fields {
                    push_prefixed(out, word, &f.name, f.name.clone());
                    if f.relation.is_some() {
                        push_prefixed(out, word, &f.attname(), f.attname());
                    }
                }
                for name in m2m.iter().map(|mm| &mm.name) {
                    push_prefixed(out, word, name, name.clone());
                }
                for name in reverse.iter().map(|r| &r.accessor) {
                    if !name.ends_with('+') {
                        push_prefixed(out, word, name, name.clone());
                    }
                }
                let display: Vec<String> = fields
                    .iter()
                    .filter(|f| !f.choices.is_empty())
                    .map(|f| format!("get_{}_display", f.name))
                    .collect();
                for name in crate::orm::INSTANCE_METHODS
                    .iter()
                    .copied()
                    .chain(display.iter().map(String::as_str))
                {
                    push_prefixed(out, word, name, format!("{name}("));
                }
            }
            Ty::Method(..) | Ty::Unknown => {}
        }
        for name in methods {
            if !out.iter().any(|c| c.display == name) {
                push_prefixed(out, word, name, format!("{name}("));
            }
        }
    }

    /// The model whose querysets `chain` is a method of (`Book.objects.filter` → Book).
    fn receiver_model<'c>(&self, chain: &'c [Seg]) -> Option<(ModelId, &'c str)> {
        let (Seg::Attr(method), receiver) = chain.split_last()? else {
            return None;
        };
        match self.eval(receiver) {
            Ty::Manager(m) | Ty::QuerySet { model: m, .. } => Some((m, method.as_str())),
            _ => None,
        }
    }

    /// The model a `Q(...)`, `F(...)` or `Count(...)` in `calls` refers to: that of the
    /// innermost queryset method around it (the next one out for `OuterRef`).
    fn enclosing_model(&self, calls: &[Vec<Seg>], outer: bool) -> Option<ModelId> {
        let mut models = calls.iter().rev().filter_map(|c| self.receiver_model(c));
        if outer {
            models.next();
        }
        models.next().map(|(m, _)| m)
    }

    /// For a keyword argument of `callee`: the model and how its paths end.
    fn keyword_call(&self, callee: &[Seg], calls: &[Vec<Seg>]) -> Option<(ModelId, PathMode)> {
        if let Some((m, method)) = self.receiver_model(callee) {
            return if LOOKUP_CALLS.contains(&method) {
                Some((m, PathMode::Lookup))
            } else if FIELD_CALLS.contains(&method) {
                Some((m, PathMode::Field))
            } else {
                None
            };
        }
        match callee {
            [Seg::Name(q)] if q == "Q" => {
                Some((self.enclosing_model(calls, false)?, PathMode::Lookup))
            }
            _ => match self.eval(callee) {
                Ty::Model(m) => Some((m, PathMode::Field)),
                _ => None,
            },
        }
    }

    /// For a string argument of `callee`: the model whose fields it names.
    fn reference_call(&self, callee: &[Seg], calls: &[Vec<Seg>]) -> Option<ModelId> {
        if let Some((m, _)) = self.receiver_model(callee) {
            return Some(m);
        }
        let [Seg::Name(f)] = callee else {
            return None;
        };
        let expression = f == "F"
            || crate::query::expr::AggFunc::from_name(f).is_some()
            || crate::query::func::FuncKind::from_name(f).is_some();
        if f == "OuterRef" {
            self.enclosing_model(calls, true)
        } else if expression {
            self.enclosing_model(calls, false)
        } else {
            None
        }
    }

    /// Field paths from `model` continuing `word` (`author__na` → `author__name=`).
    fn path(&self, model: ModelId, word: &str, mode: PathMode, out: &mut Vec<Candidate>) {
        let (done, last) = match word.rfind("__") {
            Some(i) => (&word[..i + 2], &word[i + 2..]),
            None => ("", word),
        };
        if mode == PathMode::Field && !done.is_empty() {
            return;
        }
        let mut at = At::Model(model, None);
        for part in done.split("__").filter(|p| !p.is_empty()) {
            at = match self.step(at, part) {
                Some(next) => next,
                None => return,
            };
        }
        let mut emit = |name: &str, more: bool| {
            if !name.starts_with(last) {
                return;
            }
            // Listed by their last name, as a shell lists file names.
            let end = if mode == PathMode::Reference { "" } else { "=" };
            push(out, &format!("{name}{end}"), format!("{done}{name}{end}"));
            if more && mode != PathMode::Field {
                push(out, &format!("{name}__"), format!("{done}{name}__"));
            }
        };
        match at {
            At::Model(m, via) => {
                let (fields, m2m, reverse) = self.schema.members(m);
                let lookups = mode == PathMode::Lookup;
                emit("pk", lookups);
                for f in fields {
                    let more = lookups
                        || f.relation.is_some()
                        || !OutputField::of_field(f).transform_names().is_empty();
                    emit(&f.name, more);
                    if f.relation.is_some() && mode != PathMode::Reference {
                        emit(&f.attname(), lookups);
                    }
                }
                if mode != PathMode::Field {
                    for mm in m2m {
                        emit(&mm.name, true);
                    }
                    for r in reverse {
                        emit(&r.query_name, true);
                    }
                }
                if let (Some(via), true) = (via, lookups) {
                    for name in via.all_names() {
                        emit(name, false);
                    }
                }
            }
            At::Field(field) => {
                let transforms = field.transform_names();
                if mode == PathMode::Lookup {
                    for name in field.all_names() {
                        emit(name, transforms.contains(&name));
                    }
                } else {
                    for name in transforms {
                        let more = field
                            .clone()
                            .transformed(name)
                            .is_some_and(|t| !t.transform_names().is_empty());
                        emit(name, more);
                    }
                }
            }
        }
    }

    /// One `__` step of a path: across a relation, into a field, through a transform.
    fn step(&self, at: At, part: &str) -> Option<At> {
        match at {
            At::Field(field) => field.transformed(part).map(At::Field),
            At::Model(m, _) => {
                let model = self.schema.model(m);
                if part == "pk" {
                    return Some(At::Field(OutputField::of_field(model.pk_field())));
                }
                let (owner, field) = match model.get_field(part) {
                    Some(f) => (m, f),
                    None => self.schema.inherited_field(m, part)?,
                };
                let model = self.schema.model(owner);
                let (to, class) = match field {
                    FieldRef::Concrete(i) => {
                        let f = &model.fields[i];
                        match &f.relation {
                            Some(fk) => (fk.to, f.kind.django_name()),
                            None => return Some(At::Field(OutputField::of_field(f))),
                        }
                    }
                    FieldRef::ManyToMany(i) => (model.m2m[i].to, "ManyToManyField"),
                    FieldRef::Reverse(i) => (model.reverse[i].from, "ManyToOneRel"),
                    FieldRef::GenericRelation(i) => {
                        (model.generic_relations[i].to, "GenericRelation")
                    }
                    FieldRef::GenericReverse(i) => (model.generic_reverse[i].from, "GenericRel"),
                    FieldRef::ForeignObject(i) => (model.foreign_objects[i].to, "ForeignObject"),
                    FieldRef::ForeignObjectReverse(i) => {
                        (model.foreign_object_reverse[i].from, "ForeignObjectRel")
                    }
                };
                let target = self.schema.model(to).pk_field();
                Some(At::Model(to, Some(OutputField::related(target, to, class))))
            }
        }
    }
}

fn push(out: &mut Vec<Candidate>, display: &str, replacement: String) {
    if !out.iter().any(|c| c.replacement == replacement) {
        out.push(Candidate {
            display: display.to_string(),
            replacement,
        });
    }
}

fn push_prefixed(out: &mut Vec<Candidate>, word: &str, display: &str, replacement: String) {
    if display.starts_with(word) {
        push(out, display, replacement);
    }
}

#[cfg(test)]
mod tests;
