//! Reading one model class body: its fields (with Django's defaults for each option),
//! managers, `class Meta`, and the constants and `Choices` classes options refer to.

use super::{
    Class, MAX_DEPTH, Member, MemberKind, Meta, RawManyToMany, RawRelation, Reader, Resolved,
    Target, dotted, last_segment,
};
use crate::schema::introspect::python_title;
use crate::schema::{Field, FieldKind, Manager, Method, OnDelete};
use crate::syntax::ast::{Arg, Expr, ExprKind, Stmt, StmtKind, UnaryOp};
use crate::value::Value;

/// Field classes that look like fields but add no column.
const NOT_COLUMNS: &[&str] = &["GenericForeignKey", "GenericRelation"];

/// The methods of a `ForeignObject` subclass that change how it joins: the first adds a
/// condition djq asks it for when it writes the join; djq does not run the others.
const JOIN_METHODS: [&str; 5] = [
    "get_extra_restriction",
    "get_joining_fields",
    "get_path_info",
    "get_reverse_path_info",
    "resolve_related_fields",
];

/// Field classes of third-party packages, by the built-in field each stores as (django-
/// phonenumber-field, django-countries, django-extensions, django-model-utils, editors'
/// rich-text fields, image libraries, django-money's currency).
fn third_party_field(name: &str) -> Option<FieldKind> {
    Some(match name {
        "PhoneNumberField" | "CountryField" | "StatusField" | "CurrencyField" => {
            FieldKind::CharField
        }
        "AutoSlugField" => FieldKind::SlugField,
        "CreationDateTimeField"
        | "ModificationDateTimeField"
        | "AutoCreatedField"
        | "AutoLastModifiedField"
        | "MonitorField" => FieldKind::DateTimeField,
        "RichTextField"
        | "RichTextUploadingField"
        | "HTMLField"
        | "MarkdownxField"
        | "MartorField"
        | "SplitField" => FieldKind::TextField,
        "ThumbnailerImageField" | "VersatileImageField" | "StdImageField" => FieldKind::CharField,
        _ => return None,
    })
}

/// What the callee of `name = Callee(...)` in a class body makes of `name`.
enum FieldClass {
    /// A concrete field.
    Column(FieldKind),
    ManyToMany,
    /// django-taggit's `TaggableManager`: a many-to-many through its tag tables.
    Tags,
    Manager,
    /// Not a column (generic relations) or not a field at all.
    Other,
    /// A field class djq cannot place (a third-party class it does not know, not derived
    /// from a field it knows): left out.
    Unknown,
}

impl<'a> Reader<'a> {
    /// Read `name = value` in a model body: a field, a manager, `None` (drops an inherited
    /// field), or anything else (ignored).
    pub(super) fn read_member(
        &self,
        r: &mut Resolved<'a>,
        name: &str,
        value: &'a Expr,
        c: Class<'a>,
    ) {
        let (func, args) = match &value.kind {
            ExprKind::None => {
                r.members.retain(|m| m.name != name);
                return;
            }
            ExprKind::Call { func, args } => (func, args),
            _ => return,
        };
        let callee = dotted(func).unwrap_or_default();
        match last_segment(&callee) {
            "CompositePrimaryKey" => {
                let names = args.iter().filter_map(|a| match a {
                    Arg::Positional(e) => string(self.constant(e, c)),
                    _ => None,
                });
                r.composite_pk = Some(names.collect());
                return;
            }
            class
                if class == "ForeignObject"
                    || self.derives_from(func, c.file, 0, "ForeignObject") =>
            {
                r.notes.push(format!(
                    "{}.{name}: {callee} (a multi-column relation) is read for joins across it; \
                     reading or assigning it is not supported by djq yet",
                    c.name
                ));
                // Its target's class name (the last segment of `"app.Model"`), or "".
                let to = keyword(args, "to").or_else(|| positional(args, 0));
                let to = (to.map(|e| self.constant(e, c)))
                    .and_then(|e| string(e).or_else(|| dotted(e)))
                    .map(|t| match last_segment(&t) {
                        "self" => c.name.to_string(),
                        t => t.to_string(),
                    });
                // ForeignObject(to, on_delete, from_fields, to_fields, ...)
                let fields = |key, at| {
                    (keyword(args, key).or_else(|| positional(args, at)))
                        .map(|e| strings(self.constant(e, c)))
                        .unwrap_or_default()
                };
                // A subclass joining its own way: djq does not run its Python, but for the
                // condition `get_extra_restriction()` adds to its joins.
                let runs = JOIN_METHODS[1..]
                    .iter()
                    .copied()
                    .find(|m| self.defines(func, c.file, 0, m));
                let restricts = self.defines(func, c.file, 0, JOIN_METHODS[0]);
                r.unsupported.push(crate::schema::ForeignObjectDecl {
                    name: name.to_string(),
                    class: class.to_string(),
                    runs,
                    to: to.unwrap_or_default(),
                    from_fields: fields("from_fields", 2),
                    to_fields: fields("to_fields", 3),
                    on_delete: (keyword(args, "on_delete").or_else(|| positional(args, 1)))
                        .map_or(OnDelete::Cascade, |e| on_delete(self.constant(e, c))),
                    null: keyword(args, "null")
                        .is_some_and(|e| matches!(self.constant(e, c).kind, ExprKind::Bool(true))),
                    related_name: keyword(args, "related_name")
                        .and_then(|e| string(self.constant(e, c))),
                    related_query_name: ["related_query_name", "related_name"]
                        .into_iter()
                        .find_map(|key| {
                            keyword(args, key).and_then(|e| string(self.constant(e, c)))
                        }),
                    restricts,
                });
                return;
            }
            _ => {}
        }
        // GeneratedField(expression=..., output_field=IntegerField(), db_persist=True): a
        // column of its output field's kind that the database computes.
        let expression = keyword(args, "expression");
        if last_segment(&callee) == "GeneratedField"
            && let Some(ExprKind::Call { func, args }) =
                keyword(args, "output_field").map(|e| &e.kind)
            && let FieldClass::Column(kind) = self.field_class(func, c.file, 0)
            && let Some(MemberKind::Column {
                mut field,
                relation,
                db_index,
            }) = self.read_column(
                name,
                kind,
                last_segment(&dotted(func).unwrap_or_default()),
                args,
                c,
            )
        {
            field.generated = true;
            let mut from = Vec::new();
            if let Some(e) = expression {
                referenced_fields(e, &mut from);
            }
            field.generated_from = from.into();
            r.members.retain(|m| m.name != name);
            r.members.push(Member {
                name: name.to_string(),
                file: c.file,
                kind: MemberKind::Column {
                    field,
                    relation,
                    db_index,
                },
            });
            return;
        }
        let kind = match self.field_class(func, c.file, 0) {
            FieldClass::Other if let Some(generic) = self.read_generic(&callee, args, c) => {
                Some(generic)
            }
            // django-money: the amount and, before it, its currency (`currency_field_name=`,
            // `currency_max_length=`, null as the amount, `default_currency=` or None).
            FieldClass::Column(FieldKind::DecimalField) if callee.ends_with("MoneyField") => {
                let kw = |key: &str| keyword(args, key).map(|e| self.constant(e, c));
                let currency = (kw("currency_field_name").and_then(string))
                    .unwrap_or_else(|| format!("{name}_currency"));
                let read =
                    self.read_column(&currency, FieldKind::CharField, "CurrencyField", &[], c);
                if let Some(mut kind) = read {
                    if let MemberKind::Column { field, .. } = &mut kind {
                        field.null =
                            kw("null").is_some_and(|e| matches!(e.kind, ExprKind::Bool(true)));
                        if let Some(n) = kw("currency_max_length").and_then(integer) {
                            field.max_length = Some(n);
                        }
                        let none = Expr {
                            kind: ExprKind::None,
                            span: func.span,
                        };
                        let default = keyword(args, "default_currency").cloned();
                        field.default = Some(Box::new(default.unwrap_or(none)));
                    }
                    r.members.retain(|m| m.name != currency);
                    r.members.push(Member {
                        name: currency,
                        file: c.file,
                        kind,
                    });
                }
                self.read_column(name, FieldKind::DecimalField, "DecimalField", args, c)
            }
            FieldClass::Column(kind) => {
                if self.defines(func, c.file, 0, "db_type") {
                    r.notes.push(format!(
                        "{}.{name}: {callee} defines its own db_type(), read as {}",
                        c.name,
                        kind.django_name()
                    ));
                }
                let mut read = self.read_column(name, kind, last_segment(&callee), args, c);
                if let Some(MemberKind::Column { field, .. }) = &mut read {
                    self.init_options(func, c.file, 0, args, field);
                    // Run when its class is models.py's own (a class of another module
                    // is not run by djq).
                    let own = (self.find_class(last_segment(&callee), c.file))
                        .is_some_and(|k| self.classes[k].file == c.file);
                    if own && self.defines(func, c.file, 0, "from_db_value") {
                        field.from_db_value = Some(last_segment(&callee).into());
                    } else if self.defines(func, c.file, 0, "from_db_value") {
                        r.notes.push(format!(
                            "{}.{name}: {callee} defines its own from_db_value(), which is not \
                             supported by djq yet: its values are shown as {} reads them",
                            c.name,
                            kind.django_name()
                        ));
                    }
                }
                read
            }
            FieldClass::ManyToMany => self.read_many_to_many(args, c).map(MemberKind::ManyToMany),
            FieldClass::Tags => Some(MemberKind::ManyToMany(self.read_taggable(args, c))),
            FieldClass::Manager => {
                let manager = self.read_manager(name, value, c);
                r.managers.retain(|m| m.name != name);
                r.managers.push(manager);
                return;
            }
            FieldClass::Other => return,
            FieldClass::Unknown => {
                r.notes.push(format!(
                    "{}.{name}: {callee} is not a field class djq knows; left out",
                    c.name
                ));
                r.members.retain(|m| m.name != name);
                r.skipped.push(name.to_string());
                return;
            }
        };
        let Some(kind) = kind else {
            r.notes.push(format!(
                "{}.{name}: relation target not understood; left out",
                c.name
            ));
            r.skipped.push(name.to_string());
            return;
        };
        r.members.retain(|m| m.name != name);
        r.members.push(Member {
            name: name.to_string(),
            file: c.file,
            kind,
        });
    }

    /// `GenericForeignKey(ct_field="content_type", fk_field="object_id", for_concrete_model=)`
    /// and `GenericRelation(to, object_id_field=, content_type_field=, for_concrete_model=,
    /// related_query_name=)`, with Django's defaults; `None` for anything else.
    fn read_generic(&self, callee: &str, args: &'a [Arg], c: Class<'a>) -> Option<MemberKind<'a>> {
        let kw = |key: &str| keyword(args, key).map(|e| self.constant(e, c));
        let nth = |i: usize| positional(args, i).map(|e| self.constant(e, c));
        let text = |key: &str, i: Option<usize>, default: &str| {
            kw(key)
                .or_else(|| i.and_then(nth))
                .and_then(string)
                .unwrap_or_else(|| default.to_string())
        };
        let concrete = |i: usize| {
            kw("for_concrete_model")
                .or_else(|| nth(i))
                .is_none_or(|e| !matches!(e.kind, ExprKind::Bool(false)))
        };
        match self.generic_class(last_segment(callee), c.file, 0)? {
            "GenericForeignKey" => Some(MemberKind::GenericForeignKey {
                ct_field: text("ct_field", Some(0), "content_type"),
                fk_field: text("fk_field", Some(1), "object_id"),
                for_concrete_model: concrete(2),
            }),
            "GenericRelation" => Some(MemberKind::GenericRelation {
                to: target(kw("to").or_else(|| nth(0))?)?,
                ct_field: text("content_type_field", Some(2), "content_type"),
                fk_field: text("object_id_field", Some(1), "object_id"),
                related_query_name: kw("related_query_name").and_then(string),
                for_concrete_model: concrete(3),
            }),
            _ => None,
        }
    }

    /// `GenericForeignKey` or `GenericRelation` when the class `name` is one of them or a
    /// subclass of one found in these files.
    fn generic_class(&self, name: &str, file: usize, depth: usize) -> Option<&'static str> {
        if let Some(known) = ["GenericForeignKey", "GenericRelation"]
            .into_iter()
            .find(|k| *k == name)
        {
            return Some(known);
        }
        let class = self.find_class(name, file).filter(|_| depth < MAX_DEPTH)?;
        let c = self.classes[class];
        c.bases.iter().find_map(|b| match b {
            Arg::Positional(base) => {
                let path = dotted(base)?;
                self.generic_class(last_segment(&path), c.file, depth + 1)
            }
            _ => None,
        })
    }

    /// A manager assignment: `ArticleManager()`, `ArticleQuerySet.as_manager()`,
    /// `ArticleManager.from_queryset(ArticleQuerySet)()`; the methods of the classes it names
    /// that these files define, and the names Django gives those classes.
    fn read_manager(&self, name: &str, value: &'a Expr, c: Class<'a>) -> Manager {
        let mut m = Manager {
            name: name.to_string(),
            class: "Manager".into(),
            queryset_class: "QuerySet".into(),
            ..Manager::default()
        };
        let ExprKind::Call { func, args } = &value.kind else {
            return m;
        };
        m.init_args = args.clone();
        let (manager_class, queryset_class, from_queryset) = match &func.kind {
            // QS.as_manager()
            ExprKind::Attribute { value, attr } if attr.name == "as_manager" => {
                (None, dotted(value), true)
            }
            _ => self.manager_class(func, c.file, 0),
        };
        let mut queryset_class = queryset_class;
        if let Some(class) = &manager_class {
            m.class = last_segment(class).to_string();
            for method in self.class_methods(last_segment(class), c.file, 0) {
                if method.name != "get_queryset" {
                    m.methods.push(method);
                    continue;
                }
                // `return ArticleQuerySet(self.model, using=self._db)` names the QuerySet
                // class; anything else narrows the queryset and runs as written.
                let returned = super::single_return(&method.body).and_then(|e| match &e.kind {
                    ExprKind::Call { func, .. } => {
                        dotted(func).filter(|q| self.find_class(last_segment(q), c.file).is_some())
                    }
                    _ => None,
                });
                match returned {
                    Some(q) => queryset_class = Some(q),
                    None => m.get_queryset = Some(method),
                }
            }
        }
        if let Some(class) = queryset_class {
            let class = last_segment(&class);
            if from_queryset {
                m.class = format!("{}From{class}", m.class);
            }
            m.queryset_class = class.to_string();
            m.queryset_methods = self.class_methods(class, c.file, 0);
        }
        m
    }

    /// The manager class `func` makes, the QuerySet class it brings, and whether Django names
    /// the class after both (`from_queryset`): `ArticleManager`, `Manager.from_queryset(QS)`,
    /// a module-level name given one of these, or a local class whose base is one of these.
    fn manager_class(
        &self,
        func: &Expr,
        file: usize,
        depth: usize,
    ) -> (Option<String>, Option<String>, bool) {
        if let ExprKind::Call { func, args } = &func.kind {
            return match (&func.kind, args.first()) {
                (ExprKind::Attribute { value, attr }, Some(Arg::Positional(qs)))
                    if attr.name == "from_queryset" =>
                {
                    (dotted(value), dotted(qs), true)
                }
                _ => (None, None, false),
            };
        }
        let Some(path) = dotted(func) else {
            return (None, None, false);
        };
        let Some(class) = self.find_class(last_segment(&path), file) else {
            // `CustomManager = BaseManager.from_queryset(QS)`
            return match self.scopes[file].assigns.get(path.as_str()) {
                Some(value) if depth < MAX_DEPTH => {
                    let value = *value;
                    self.manager_class(value, file, depth + 1)
                }
                _ => (Some(path), None, false),
            };
        };
        // `class M(Base.from_queryset(QS))`: the QuerySet class comes with the base.
        let c = self.classes[class];
        let queryset = c.bases.iter().find_map(|base| match base {
            Arg::Positional(base) if depth < MAX_DEPTH => {
                self.manager_class(base, c.file, depth + 1).1
            }
            _ => None,
        });
        (Some(path), queryset, false)
    }

    /// The `def`s of a class in these files and of its bases found here (own ones win).
    fn class_methods(&self, name: &str, file: usize, depth: usize) -> Vec<Method> {
        let Some(class) = self.find_class(name, file).filter(|_| depth < MAX_DEPTH) else {
            return Vec::new();
        };
        let c = self.classes[class];
        let mut methods: Vec<Method> = Vec::new();
        for stmt in c.body {
            match &stmt.kind {
                StmtKind::FunctionDef {
                    name, params, body, ..
                } => methods.push(Method {
                    name: name.name.to_string(),
                    params: params.clone(),
                    body: body.clone(),
                    queryset_only: None,
                }),
                // `method.queryset_only = True`
                StmtKind::Assign { targets, value } if targets.len() == 1 => {
                    if let ExprKind::Attribute { value: owner, attr } = &targets[0].kind
                        && attr.name == "queryset_only"
                        && let ExprKind::Name(owner) = &owner.kind
                        && let ExprKind::Bool(flag) = value.kind
                        && let Some(m) = methods.iter_mut().find(|m| m.name == *owner)
                    {
                        m.queryset_only = Some(flag);
                    }
                }
                _ => {}
            }
        }
        for base in c.bases {
            let path = match base {
                Arg::Positional(base) => match &base.kind {
                    // `class M(Base.from_queryset(QS))`: Base's methods.
                    ExprKind::Call { func, .. } => match &func.kind {
                        ExprKind::Attribute { value, .. } => dotted(value),
                        _ => None,
                    },
                    _ => dotted(base),
                },
                _ => None,
            };
            for inherited in path
                .iter()
                .flat_map(|p| self.class_methods(last_segment(p), c.file, depth + 1))
            {
                if !methods.iter().any(|m| m.name == inherited.name) {
                    methods.push(inherited);
                }
            }
        }
        methods
    }

    /// What the callee makes: `models.CharField`, `TreeForeignKey`, a local `CharField`
    /// subclass, `ArticleManager`, `Manager.from_queryset(QS)`, `QS.as_manager`, ...
    fn field_class(&self, func: &Expr, file: usize, depth: usize) -> FieldClass {
        match &func.kind {
            ExprKind::Call { .. } => return FieldClass::Manager, // Manager.from_queryset(QS)()
            ExprKind::Attribute { attr, .. } if attr.name == "as_manager" => {
                return FieldClass::Manager;
            }
            _ => {}
        }
        let Some(path) = dotted(func) else {
            return FieldClass::Other;
        };
        let name = last_segment(&path);
        if name.ends_with("ManyToManyField") {
            return FieldClass::ManyToMany;
        }
        if NOT_COLUMNS.contains(&name) {
            return FieldClass::Other;
        }
        if name == "TaggableManager" {
            return FieldClass::Tags;
        }
        if let Some(kind) = FieldKind::from_django_name(name) {
            return FieldClass::Column(kind);
        }
        if name == "MoneyField" {
            return FieldClass::Column(FieldKind::DecimalField);
        }
        if let Some(kind) = third_party_field(name) {
            return FieldClass::Column(kind);
        }
        if name.ends_with("ForeignKey") {
            return FieldClass::Column(FieldKind::ForeignKey);
        }
        if name.ends_with("OneToOneField") {
            return FieldClass::Column(FieldKind::OneToOneField);
        }
        if depth < MAX_DEPTH
            && let Some(local) = self.find_class(name, file)
        {
            let c = self.classes[local];
            for base in c.bases {
                if let Arg::Positional(base) = base {
                    let found = self.field_class(base, c.file, depth + 1);
                    if matches!(
                        found,
                        FieldClass::Column(_)
                            | FieldClass::ManyToMany
                            | FieldClass::Tags
                            | FieldClass::Manager
                    ) {
                        return found;
                    }
                }
            }
        }
        // `Combined = BaseManager.from_queryset(QS)`, `Text = models.CharField`
        if depth < MAX_DEPTH
            && let Some(value) = self.scopes[file].assigns.get(path.as_str())
        {
            match &value.kind {
                ExprKind::Call { func, .. } if matches!(&func.kind, ExprKind::Attribute { attr, .. } if attr.name == "from_queryset") =>
                {
                    return FieldClass::Manager;
                }
                ExprKind::Name(_) | ExprKind::Attribute { .. } => {
                    return self.field_class(value, file, depth + 1);
                }
                _ => {}
            }
        }
        if name.ends_with("Field") || name == "ForeignObject" {
            FieldClass::Unknown
        } else if name.ends_with("Manager") {
            FieldClass::Manager
        } else {
            FieldClass::Other
        }
    }

    /// Does a field class of these files (or one of its bases here) define `method()`?
    fn defines(&self, func: &Expr, file: usize, depth: usize, method: &str) -> bool {
        let Some(path) = dotted(func) else {
            return false;
        };
        let Some(class) = self.find_class(last_segment(&path), file) else {
            return false;
        };
        let c = self.classes[class];
        depth < MAX_DEPTH
            && (c.body.iter().any(|s| {
                matches!(&s.kind, StmtKind::FunctionDef { name, .. } if name.name == method)
            }) || c.bases.iter().any(|b| {
                matches!(b, Arg::Positional(base) if self.defines(base, c.file, depth + 1, method))
            }))
    }

    /// The options a field subclass's `__init__` sets before `super().__init__(**kwargs)`
    /// (`kwargs["decimal_places"] = 2` overrides the call's, `kwargs.setdefault(...)` fills
    /// what the call leaves out), bases' first, as Django's field then sees them.
    fn init_options(&self, func: &Expr, file: usize, depth: usize, args: &[Arg], f: &mut Field) {
        let Some(class) = dotted(func).and_then(|p| self.find_class(last_segment(&p), file)) else {
            return;
        };
        let c = self.classes[class];
        if depth >= MAX_DEPTH {
            return;
        }
        for base in c.bases {
            if let Arg::Positional(base) = base {
                self.init_options(base, c.file, depth + 1, args, f);
            }
        }
        let init = c.body.iter().find_map(|s| match &s.kind {
            StmtKind::FunctionDef { name, body, .. } if name.name == "__init__" => Some(body),
            _ => None,
        });
        for stmt in init.into_iter().flatten() {
            let (key, value) = match &stmt.kind {
                StmtKind::Assign { targets, value } => match targets.as_slice() {
                    [
                        Expr {
                            kind: ExprKind::Subscript { index, .. },
                            ..
                        },
                    ] => (string(index), value),
                    _ => continue,
                },
                StmtKind::Expr(Expr {
                    kind: ExprKind::Call { func, args: call },
                    ..
                }) if dotted(func).is_some_and(|p| p.ends_with(".setdefault")) => {
                    match (positional(call, 0).and_then(string), positional(call, 1)) {
                        (Some(key), Some(value)) if keyword(args, &key).is_none() => {
                            (Some(key), value)
                        }
                        _ => continue,
                    }
                }
                _ => continue,
            };
            let value = self.constant(value, c);
            let flag = matches!(value.kind, ExprKind::Bool(true));
            match key.as_deref() {
                Some("max_length") => f.max_length = integer(value).or(f.max_length),
                Some("max_digits") => {
                    let places = f.decimal.map_or(0, |d| d.1);
                    f.decimal = integer(value).map(|n| (n, places)).or(f.decimal);
                }
                Some("decimal_places") => {
                    let digits = f.decimal.map_or(0, |d| d.0);
                    f.decimal = integer(value).map(|n| (digits, n)).or(f.decimal);
                }
                Some("null") => f.null = flag,
                Some("unique") => f.unique = flag || f.primary_key,
                _ => {}
            }
        }
    }

    /// Is `func` a class of these files deriving from one named `base` (`ForeignObject`)?
    fn derives_from(&self, func: &Expr, file: usize, depth: usize, base: &str) -> bool {
        let Some(class) = dotted(func).and_then(|p| self.find_class(last_segment(&p), file)) else {
            return false;
        };
        let c = self.classes[class];
        depth < MAX_DEPTH && c.bases.iter().any(|b| {
            matches!(b, Arg::Positional(b) if dotted(b).is_some_and(|p| last_segment(&p) == base)
                    || self.derives_from(b, c.file, depth + 1, base))
        })
    }

    /// A concrete field's options; `None` when a relation's target cannot be read.
    fn read_column(
        &self,
        name: &str,
        kind: FieldKind,
        class_name: &str,
        args: &'a [Arg],
        c: Class<'a>,
    ) -> Option<MemberKind<'a>> {
        let kw = |key: &str| keyword(args, key).map(|e| self.constant(e, c));
        let nth = |i: usize| positional(args, i).map(|e| self.constant(e, c));
        let flag = |key: &str| kw(key).is_some_and(|e| matches!(e.kind, ExprKind::Bool(true)));
        let text = |key: &str| kw(key).and_then(string);
        let number = |key: &str| kw(key).and_then(integer);
        let relation = match kind {
            FieldKind::ForeignKey | FieldKind::OneToOneField => Some(RawRelation {
                to: target(kw("to").or_else(|| nth(0))?)?,
                to_field: text("to_field"),
                related_name: text("related_name"),
                related_query_name: text("related_query_name"),
                on_delete: kw("on_delete")
                    .or_else(|| nth(1))
                    .map_or(OnDelete::Cascade, on_delete),
                parent_link: flag("parent_link"),
            }),
            _ => None,
        };
        let column = text("db_column").unwrap_or_else(|| {
            if relation.is_some() {
                format!("{name}_id")
            } else {
                name.to_string()
            }
        });
        let mut shared = self.shared.borrow_mut();
        let mut field = Field::new(shared.name(name), shared.name(&column), kind);
        drop(shared);
        field.null = flag("null");
        field.primary_key = flag("primary_key");
        field.unique = flag("unique") || field.primary_key || kind == FieldKind::OneToOneField;
        // A subclass of a built-in field has its ancestor's default.
        field.max_length = number("max_length")
            .or_else(|| default_max_length(class_name))
            .or_else(|| default_max_length(kind.django_name()));
        field.decimal = number("max_digits").zip(number("decimal_places"));
        field.default = keyword(args, "default").cloned().map(Box::new);
        field.db_default = keyword(args, "db_default").cloned().map(Box::new);
        if let Some(choices) = kw("choices").map(|e| self.choices(e, c, 0)) {
            field.choices = self.shared.borrow_mut().choices(choices);
        }
        field.auto_now = flag("auto_now");
        field.auto_now_add = flag("auto_now_add");
        if kind == FieldKind::ArrayField {
            field.base_field = self.base_field(name, args, c).map(Box::new);
        }
        // SlugField is indexed unless told otherwise.
        let db_index = match kw("db_index") {
            Some(e) => matches!(e.kind, ExprKind::Bool(true)),
            None => kind == FieldKind::SlugField && !field.unique,
        };
        Some(MemberKind::Column {
            field,
            relation,
            db_index,
        })
    }

    /// ArrayField's `base_field` (`ArrayField(models.CharField(max_length=20))`), named like
    /// the array field, as Django names it.
    fn base_field(&self, name: &str, args: &'a [Arg], c: Class<'a>) -> Option<Field> {
        let base = keyword(args, "base_field").or_else(|| positional(args, 0))?;
        let ExprKind::Call { func, args } = &base.kind else {
            return None;
        };
        let FieldClass::Column(kind) = self.field_class(func, c.file, 0) else {
            return None;
        };
        let callee = dotted(func).unwrap_or_default();
        match self.read_column(name, kind, last_segment(&callee), args, c)? {
            MemberKind::Column { field, .. } => Some(field),
            _ => None,
        }
    }

    fn read_many_to_many(&self, args: &'a [Arg], c: Class<'a>) -> Option<RawManyToMany<'a>> {
        let kw = |key: &str| keyword(args, key).map(|e| self.constant(e, c));
        let text = |key: &str| kw(key).and_then(string);
        let through_fields = kw("through_fields").and_then(|e| match &e.kind {
            ExprKind::Tuple(items) | ExprKind::List(items) if items.len() == 2 => {
                string(&items[0]).zip(string(&items[1]))
            }
            _ => None,
        });
        Some(RawManyToMany {
            to: target(kw("to").or_else(|| positional(args, 0).map(|e| self.constant(e, c)))?)?,
            through: kw("through").and_then(target),
            through_fields,
            db_table: text("db_table"),
            related_name: text("related_name"),
            related_query_name: text("related_query_name"),
            symmetrical: kw("symmetrical"),
            tags: false,
        })
    }

    /// `TaggableManager(through=, to=, related_name=)`: to taggit's Tag through its
    /// TaggedItem unless told otherwise.
    fn read_taggable(&self, args: &'a [Arg], c: Class<'a>) -> RawManyToMany<'a> {
        let kw = |key: &str| keyword(args, key).map(|e| self.constant(e, c));
        let taggit = |name: &str| Target::Lazy(Some("taggit".to_string()), name.to_string());
        RawManyToMany {
            to: kw("to").and_then(target).unwrap_or_else(|| taggit("Tag")),
            through: Some(
                kw("through")
                    .and_then(target)
                    .unwrap_or_else(|| taggit("TaggedItem")),
            ),
            through_fields: None,
            db_table: None,
            related_name: kw("related_name").and_then(string),
            related_query_name: None,
            symmetrical: None,
            tags: true,
        }
    }

    pub(super) fn read_meta(
        &self,
        meta: &mut Meta,
        notes: &mut Vec<String>,
        body: &'a [Stmt],
        c: Class<'a>,
    ) {
        for stmt in body {
            let StmtKind::Assign { targets, value } = &stmt.kind else {
                continue;
            };
            let Some(ExprKind::Name(option)) = targets.first().map(|t| &t.kind) else {
                continue;
            };
            let value = self.constant(value, c);
            match option.as_str() {
                "db_table" => meta.db_table = self.text(value, c, 0),
                "get_latest_by" => meta.get_latest_by = Some(strings(value)),
                "order_with_respect_to" => meta.order_with_respect_to = string(value),
                "app_label" => meta.app_label = string(value),
                "default_related_name" => meta.default_related_name = string(value),
                "default_manager_name" => meta.default_manager_name = string(value),
                "base_manager_name" => meta.base_manager_name = string(value),
                "abstract" => meta.is_abstract = matches!(value.kind, ExprKind::Bool(true)),
                "proxy" => meta.proxy = matches!(value.kind, ExprKind::Bool(true)),
                "ordering" => {
                    let items = sequence(value);
                    // Expressions (`Lower('name')`, `F('x').desc(nulls_last=True)`) are kept as
                    // their source, which the query stage reads back.
                    let strings: Vec<String> = items
                        .iter()
                        .filter_map(|e| string(e).or_else(|| source(e, 0)))
                        .collect();
                    if strings.len() < items.len() {
                        notes.push(format!(
                            "{}.Meta.ordering: only field names and expressions of literals are read",
                            c.name
                        ));
                    }
                    meta.ordering = Some(strings);
                }
                "indexes" | "constraints" => {
                    for index in sequence(value) {
                        let ExprKind::Call { func, args } = &index.kind else {
                            continue;
                        };
                        let kind = dotted(func).unwrap_or_default();
                        let unique = match last_segment(&kind) {
                            "Index" => false,
                            "UniqueConstraint" if keyword(args, "condition").is_none() => true,
                            _ => continue,
                        };
                        let fields = keyword(args, "fields")
                            .map(|f| strings(self.constant(f, c)))
                            .unwrap_or_default();
                        let name = keyword(args, "name")
                            .and_then(|n| string(self.constant(n, c)))
                            .unwrap_or_default();
                        if !fields.is_empty() {
                            meta.indexes.push((name, fields, unique));
                        }
                    }
                }
                "unique_together" | "index_together" => {
                    let items = sequence(value);
                    let groups: Vec<Vec<String>> = if items.iter().all(|e| string(e).is_some()) {
                        vec![strings(value)]
                    } else {
                        items.iter().map(strings).collect()
                    };
                    let unique = option == "unique_together";
                    meta.indexes.extend(
                        groups
                            .into_iter()
                            .filter(|g| !g.is_empty())
                            .map(|g| (String::new(), g, unique)),
                    );
                }
                _ => {}
            }
        }
    }

    /// Follow a name (or `Class.NAME`) to the value it was assigned in the class body or the
    /// module; anything else is returned as is.
    fn constant(&self, expr: &'a Expr, c: Class<'a>) -> &'a Expr {
        let mut expr = expr;
        for _ in 0..MAX_DEPTH {
            let next = match &expr.kind {
                ExprKind::Name(name) => assigned(c.body, name)
                    .or_else(|| self.scopes[c.file].assigns.get(name.as_str()).copied()),
                ExprKind::Attribute { value, attr } => self
                    .class_body(value, c)
                    .and_then(|body| assigned(body, &attr.name)),
                ExprKind::NamedExpr { value, .. } => Some(&**value),
                _ => None,
            };
            match next {
                Some(next) => expr = next,
                None => break,
            }
        }
        expr
    }

    /// The body of the class an expression names: a class nested in `c`, a module-level class,
    /// or a class nested in one of those (`Book.Genre`).
    fn class_body(&self, expr: &Expr, c: Class<'a>) -> Option<&'a [Stmt]> {
        let path = dotted(expr)?;
        let mut segments = path.split('.');
        let first = segments.next()?;
        let mut body = nested_class(c.body, first)
            .or_else(|| self.find_class(first, c.file).map(|i| self.classes[i].body))?;
        for segment in segments {
            body = nested_class(body, segment)?;
        }
        Some(body)
    }

    /// `choices=`: a literal list of pairs (grouped or not), a dict, a name for one, or a
    /// `TextChoices`/`IntegerChoices` class (`Genre.choices`, or the class itself).
    fn choices(&self, expr: &'a Expr, c: Class<'a>, depth: usize) -> Vec<(Value, String)> {
        let expr = self.constant(expr, c);
        let pair = |value: &'a Expr, label: &'a Expr| -> Vec<(Value, String)> {
            match &label.kind {
                ExprKind::List(_) | ExprKind::Tuple(_) | ExprKind::Dict(_) if depth < MAX_DEPTH => {
                    self.choices(label, c, depth + 1)
                }
                _ => literal(self.constant(value, c))
                    .zip(self.label(label, c))
                    .into_iter()
                    .collect(),
            }
        };
        match &expr.kind {
            ExprKind::List(items) | ExprKind::Tuple(items) => items
                .iter()
                .flat_map(|item| match &self.constant(item, c).kind {
                    ExprKind::Tuple(p) | ExprKind::List(p) if p.len() == 2 => pair(&p[0], &p[1]),
                    _ => Vec::new(),
                })
                .collect(),
            ExprKind::Dict(entries) => entries
                .iter()
                .filter_map(|(k, v)| Some(pair(k.as_ref()?, v)))
                .flatten()
                .collect(),
            ExprKind::Attribute { value, attr } if attr.name == "choices" => self
                .class_body(value, c)
                .map(|body| self.choices_class(body, c))
                .unwrap_or_default(),
            ExprKind::Name(_) | ExprKind::Attribute { .. } => self
                .class_body(expr, c)
                .map(|body| self.choices_class(body, c))
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The members of a `Choices` class: `NAME = value, label` (or just `value`, labelled from
    /// the name), with `__empty__` first as `None`.
    fn choices_class(&self, body: &'a [Stmt], c: Class<'a>) -> Vec<(Value, String)> {
        let mut out = Vec::new();
        for stmt in body {
            let StmtKind::Assign { targets, value } = &stmt.kind else {
                continue;
            };
            let Some(ExprKind::Name(name)) = targets.first().map(|t| &t.kind) else {
                continue;
            };
            if name == "__empty__" {
                if let Some(label) = self.label(value, c) {
                    out.insert(0, (Value::Null, label));
                }
                continue;
            }
            if name.starts_with('_') {
                continue;
            }
            let member = match &value.kind {
                ExprKind::Tuple(items) if items.len() == 2 => {
                    literal(&items[0]).zip(self.label(&items[1], c))
                }
                _ => literal(value).map(|v| (v, python_title(&name.replace('_', " ")))),
            };
            out.extend(member);
        }
        out
    }

    /// A string computed from literals and module constants (`PREFIX + "_country"`).
    fn text(&self, expr: &'a Expr, c: Class<'a>, depth: usize) -> Option<String> {
        let expr = self.constant(expr, c);
        match &expr.kind {
            ExprKind::Binary {
                op: crate::syntax::ast::BinOp::Add,
                left,
                right,
            } if depth < MAX_DEPTH => {
                Some(self.text(left, c, depth + 1)? + &self.text(right, c, depth + 1)?)
            }
            _ => string(expr),
        }
    }

    /// A choice label: a string, or the string given to `_()` / `gettext_lazy()`.
    fn label(&self, expr: &'a Expr, c: Class<'a>) -> Option<String> {
        let expr = self.constant(expr, c);
        match &expr.kind {
            ExprKind::Call { args, .. } => args.iter().rev().find_map(|a| match a {
                Arg::Positional(e) => string(e),
                _ => None,
            }),
            _ => string(expr).or_else(|| literal(expr).map(|v| v.to_python_str())),
        }
    }
}

/// A relation target expression: `Author`, `'Author'`, `'books.Author'`, `'self'`,
/// `settings.AUTH_USER_MODEL`, `get_user_model()`.
fn target(expr: &Expr) -> Option<Target> {
    Some(match &expr.kind {
        ExprKind::Str(s) if s == "self" => Target::SelfRef,
        ExprKind::Str(s) if s == "auth.User" => Target::AuthUser,
        ExprKind::Str(s) => match s.split_once('.') {
            Some((app, name)) => Target::Lazy(Some(app.to_string()), name.to_string()),
            None => Target::Lazy(None, s.to_string()),
        },
        ExprKind::Attribute { attr, .. } if attr.name == "AUTH_USER_MODEL" => Target::AuthUser,
        ExprKind::Call { func, .. }
            if dotted(func).is_some_and(|f| last_segment(&f) == "get_user_model") =>
        {
            Target::AuthUser
        }
        ExprKind::Name(name) => Target::Class(name.to_string()),
        ExprKind::Attribute { attr, .. } => Target::Class(attr.name.to_string()),
        _ => return None,
    })
}

/// `models.CASCADE`, `PROTECT`, `SET_NULL`, `SET(None)`, ...
fn on_delete(expr: &Expr) -> OnDelete {
    if let ExprKind::Call { args, .. } = &expr.kind {
        // SET(value): SET(None) is SET_NULL; any other value behaves like a default.
        return match args.first() {
            Some(Arg::Positional(Expr {
                kind: ExprKind::None,
                ..
            })) => OnDelete::SetNull,
            _ => OnDelete::SetDefault,
        };
    }
    match dotted(expr).as_deref().map(last_segment) {
        Some("PROTECT") => OnDelete::Protect,
        Some("RESTRICT") => OnDelete::Restrict,
        Some("SET_NULL") => OnDelete::SetNull,
        Some("SET_DEFAULT") => OnDelete::SetDefault,
        Some("DO_NOTHING") => OnDelete::DoNothing,
        _ => OnDelete::Cascade,
    }
}

/// `max_length` Django's field classes set when none is given.
fn default_max_length(class: &str) -> Option<u32> {
    Some(match class {
        "EmailField" => 254,
        "SlugField" => 50,
        "URLField" => 200,
        "FileField" | "ImageField" | "FilePathField" => 100,
        "GenericIPAddressField" => 39,
        "PhoneNumberField" => 128,
        "CountryField" => 2,
        "CurrencyField" => 3,
        "StatusField" => 100,
        _ => return None,
    })
}

/// The value last assigned to `name` directly in a class body.
fn assigned<'a>(body: &'a [Stmt], name: &str) -> Option<&'a Expr> {
    body.iter().rev().find_map(|s| match &s.kind {
        StmtKind::Assign { targets, value }
            if targets
                .iter()
                .any(|t| matches!(&t.kind, ExprKind::Name(n) if n == name)) =>
        {
            Some(value)
        }
        _ => None,
    })
}

/// The body of a class nested directly in `body`.
fn nested_class<'a>(body: &'a [Stmt], name: &str) -> Option<&'a [Stmt]> {
    body.iter().find_map(|s| match &s.kind {
        StmtKind::ClassDef { name: n, body, .. } if n.name == name => Some(body.as_slice()),
        _ => None,
    })
}

/// Django's `_get_expr_references` of a GeneratedField's expression: the fields its `F()`s
/// and functions' string arguments name (`Length("title")`), and `Q()`'s and `When()`'s
/// keywords; the first
/// part of a path (`author__name` reads `author`).
fn referenced_fields(e: &Expr, out: &mut Vec<String>) {
    fn add(out: &mut Vec<String>, path: &str) {
        let name = path.split("__").next().unwrap_or(path);
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    match &e.kind {
        ExprKind::Call { func, args } => {
            let callee = dotted(func).unwrap_or_default();
            let callee = last_segment(&callee);
            if callee == "Value" {
                return;
            }
            for a in args {
                match a {
                    Arg::Positional(Expr {
                        kind: ExprKind::Str(s),
                        ..
                    }) => add(out, s),
                    Arg::Keyword { name, value } => {
                        if matches!(callee, "Q" | "When") {
                            add(out, &name.name);
                        }
                        referenced_fields(value, out);
                    }
                    Arg::Positional(v) => referenced_fields(v, out),
                    Arg::Star(_) | Arg::DoubleStar(_) => {}
                }
            }
        }
        ExprKind::Binary { left, right, .. } => {
            referenced_fields(left, out);
            referenced_fields(right, out);
        }
        ExprKind::Unary { operand, .. } => referenced_fields(operand, out),
        ExprKind::List(items) | ExprKind::Tuple(items) => {
            for i in items {
                referenced_fields(i, out);
            }
        }
        _ => {}
    }
}

fn keyword<'e>(args: &'e [Arg], key: &str) -> Option<&'e Expr> {
    args.iter().find_map(|a| match a {
        Arg::Keyword { name, value } if name.name == key => Some(value),
        _ => None,
    })
}

fn positional(args: &[Arg], index: usize) -> Option<&Expr> {
    args.iter()
        .filter_map(|a| match a {
            Arg::Positional(e) => Some(e),
            _ => None,
        })
        .nth(index)
}

fn string(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

fn integer(expr: &Expr) -> Option<u32> {
    match expr.kind {
        ExprKind::Int(i) => u32::try_from(i).ok(),
        _ => None,
    }
}

/// An expression of names, calls and literals written back as Python source
/// (`F('x').desc(nulls_last=True)`), `None` for anything else.
fn source(expr: &Expr, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match &expr.kind {
        ExprKind::Name(n) => n.to_string(),
        ExprKind::Attribute { value, attr } => {
            format!("{}.{}", source(value, depth + 1)?, attr.name)
        }
        ExprKind::Call { func, args } => {
            let args = args
                .iter()
                .map(|a| match a {
                    Arg::Positional(e) => source(e, depth + 1),
                    Arg::Keyword { name, value } => {
                        Some(format!("{}={}", name.name, source(value, depth + 1)?))
                    }
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            format!("{}({})", source(func, depth + 1)?, args.join(", "))
        }
        _ => crate::value::python_repr(&literal(expr)?),
    })
}

/// The items of a list or tuple literal.
fn sequence(expr: &Expr) -> &[Expr] {
    match &expr.kind {
        ExprKind::List(items) | ExprKind::Tuple(items) => items,
        _ => &[],
    }
}

/// The strings of a list or tuple literal (a lone string counts as one).
fn strings(expr: &Expr) -> Vec<String> {
    match &expr.kind {
        ExprKind::Str(s) => vec![s.to_string()],
        _ => sequence(expr).iter().filter_map(string).collect(),
    }
}

/// A literal scalar: string, number, boolean, `None`, or a negated number.
fn literal(expr: &Expr) -> Option<Value> {
    Some(match &expr.kind {
        ExprKind::Str(s) => Value::Text(s.to_string()),
        ExprKind::Int(i) => Value::Int(*i),
        ExprKind::Float(f) => Value::Float(*f),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::None => Value::Null,
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match literal(operand)? {
            Value::Int(i) => Value::Int(-i),
            Value::Float(f) => Value::Float(-f),
            _ => return None,
        },
        _ => return None,
    })
}
