//! Reading parsed models files into [`ModelDecl`]s, statically, the way Django's model
//! metaclass would build them: which classes are models, their fields (with Django's defaults),
//! `class Meta`, `__str__` and managers; abstract, multi-table and proxy inheritance; the
//! through models Django auto-creates for many-to-many fields.

mod members;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use super::{
    FieldDecl, GenericDecl, ManyToManyDecl, ModelDecl, ModelRef, RelationDecl, SourceFile,
};
use crate::schema::{Field, FieldKind, Index, Interner, OnDelete};
use crate::syntax::ast::{Arg, Definition, Expr, ExprKind, Stmt, StmtKind};

/// Every concrete model in `files` (in file and declaration order), each followed by the
/// through models auto-created for its many-to-many fields; and a warning for each model (or
/// module-level class) left out because a statement that could declare part of it was not
/// read ([`StmtKind::Unread`]).
/// Fields' names and choices are shared through `shared`.
pub(super) fn declarations(
    files: &[SourceFile],
    shared: &mut Interner,
) -> (Vec<ModelDecl>, Vec<String>) {
    let (decls, mut warnings, models) = declarations_of(files, &|_, _| true, shared);
    warnings.extend(models);
    (decls, warnings)
}

/// [`declarations`] of the classes `wanted(file, offset of the class's name)` chooses (the
/// others are still read where a wanted one needs them: its bases, its relations' targets);
/// the warnings for the module-level classes not read, and those for the wanted models left
/// out, apart.
pub(super) fn declarations_of(
    files: &[SourceFile],
    wanted: &dyn Fn(usize, usize) -> bool,
    shared: &mut Interner,
) -> (Vec<ModelDecl>, Vec<String>, Vec<String>) {
    let mut reader = Reader::new(files, std::mem::take(shared));
    // One declaration per class, as near as can be told before reading them (a large models.py
    // would otherwise leave up to half of a doubled vector unused).
    let mut decls = Vec::with_capacity(reader.classes.len());
    let module_warnings = std::mem::take(&mut reader.warnings);
    let mut warnings = Vec::new();
    for class in 0..reader.classes.len() {
        let c = reader.classes[class];
        if !wanted(c.file, c.at) || !reader.is_model(class) {
            continue;
        }
        // An abstract model's unread statement is said once, for each concrete model.
        let r = reader.resolve(class);
        if r.meta.is_abstract {
            continue;
        }
        if let Some(why) = &r.unread {
            warnings.push(format!("model {}.{} left out: {why}", r.app_label, c.name));
            continue;
        }
        drop(r);
        let (decl, throughs) = reader.materialize(class);
        decls.push(decl);
        decls.extend(throughs);
        reader.forget_members(class);
    }
    *shared = reader.shared.into_inner();
    (decls, module_warnings, warnings)
}

/// The first statement of a class body (or of its nested classes, such as `Meta`) that was
/// not read and may declare something: not a method, whose absence changes no field. Its
/// error's message (which names the file and line, see `models_py::parse_source`).
fn unread_in(body: &[Stmt]) -> Option<String> {
    body.iter().find_map(|stmt| match &stmt.kind {
        StmtKind::Unread {
            defines: Some(Definition { class: false, .. }),
            ..
        } => None,
        StmtKind::Unread { error, .. } => Some(error.message.clone()),
        StmtKind::ClassDef { body, .. } => unread_in(body),
        _ => None,
    })
}

/// How far to follow names (constants, field subclasses) before giving up.
const MAX_DEPTH: usize = 8;

/// A module-level class of one of the files.
#[derive(Clone, Copy)]
struct Class<'a> {
    file: usize,
    /// The offset of its name in the file.
    at: usize,
    name: &'a str,
    bases: &'a [Arg],
    body: &'a [Stmt],
}

/// A file's module-level names.
#[derive(Default)]
struct Scope<'a> {
    /// `NAME = value`
    assigns: HashMap<&'a str, &'a Expr>,
    /// Imported name → app label of the models module it comes from.
    imports: HashMap<&'a str, String>,
    /// Imported name → where from: `from MODULE import NAME` (`Some(NAME)`) or
    /// `import MODULE` (`None`: the name is the module).
    imported: HashMap<&'a str, Import<'a>>,
    /// `from MODULE import *`
    star_imports: Vec<Import<'a>>,
    /// Class name → index in [`Reader::classes`].
    classes: HashMap<&'a str, usize>,
}

/// Where an imported name comes from.
#[derive(Clone, Copy)]
struct Import<'a> {
    module: &'a str,
    /// How many leading dots (`from ..x import y`: 2).
    level: usize,
    /// The name imported from the module; `None` when the name is the module itself.
    name: Option<&'a str>,
}

/// A model class with inheritance applied, before naming its table and columns.
struct Resolved<'a> {
    app_label: Arc<str>,
    meta: Meta,
    /// Fields in Django's order (inherited abstract fields first).
    members: Vec<Member<'a>>,
    /// The concrete models this one extends, in the order of its bases (Django's
    /// `_meta.parents`: multi-table inheritance, or what a proxy proxies).
    parents: Vec<usize>,
    managers: Vec<crate::schema::Manager>,
    /// `pk = models.CompositePrimaryKey("a", "b")`: the names it lists.
    composite_pk: Option<Vec<String>>,
    /// `ForeignObject`s as declared.
    unsupported: Vec<crate::schema::ForeignObjectDecl>,
    /// `meta.ordering` is the first base's (a concrete model's), not written in a `Meta`.
    ordering_inherited: bool,
    notes: Vec<String>,
    /// Fields left out (a field class djq cannot place, a relation target it cannot read).
    skipped: Vec<String>,
    /// Why the model cannot be read: a statement of its body (or of an abstract base's) that
    /// was not read.
    unread: Option<String>,
}

#[derive(Clone)]
struct Member<'a> {
    name: String,
    /// The file that declares it (where its class names are looked up).
    file: usize,
    kind: MemberKind<'a>,
}

#[derive(Clone)]
enum MemberKind<'a> {
    Column {
        field: Field,
        relation: Option<RawRelation>,
        db_index: bool,
    },
    ManyToMany(RawManyToMany<'a>),
    /// `GenericForeignKey(ct_field, fk_field)`
    GenericForeignKey {
        ct_field: String,
        fk_field: String,
        for_concrete_model: bool,
    },
    /// `GenericRelation(to, ...)`
    GenericRelation {
        to: Target,
        ct_field: String,
        fk_field: String,
        related_query_name: Option<String>,
        for_concrete_model: bool,
    },
}

#[derive(Clone)]
struct RawRelation {
    to: Target,
    to_field: Option<String>,
    related_name: Option<String>,
    related_query_name: Option<String>,
    on_delete: OnDelete,
    /// `parent_link=True`: the link to a multi-table parent.
    parent_link: bool,
}

#[derive(Clone)]
struct RawManyToMany<'a> {
    to: Target,
    through: Option<Target>,
    through_fields: Option<(String, String)>,
    db_table: Option<String>,
    related_name: Option<String>,
    related_query_name: Option<String>,
    symmetrical: Option<&'a Expr>,
    /// django-taggit's `TaggableManager` (see [`ManyToManyDecl::tags`]).
    tags: bool,
}

/// A relation target as written.
#[derive(Clone)]
enum Target {
    /// `'self'`
    SelfRef,
    /// `settings.AUTH_USER_MODEL`, `get_user_model()`
    AuthUser,
    /// `'Author'` or `'books.Author'`
    Lazy(Option<String>, String),
    /// `Author`: a class in scope.
    Class(String),
}

/// `class Meta`, as far as it matters here.
#[derive(Clone, Default)]
struct Meta {
    db_table: Option<String>,
    ordering: Option<Vec<String>>,
    /// `Meta.get_latest_by`: one field name or several.
    get_latest_by: Option<Vec<String>>,
    /// `Meta.order_with_respect_to`: a foreign key's name.
    order_with_respect_to: Option<String>,
    is_abstract: bool,
    proxy: bool,
    app_label: Option<String>,
    /// The related name of this model's relations that set none.
    default_related_name: Option<String>,
    default_manager_name: Option<String>,
    base_manager_name: Option<String>,
    /// `(name, field names, unique)`; names may hold `%(class)s` placeholders.
    indexes: Vec<(String, Vec<String>, bool)>,
}

struct Reader<'a> {
    files: &'a [SourceFile],
    scopes: Vec<Scope<'a>>,
    classes: Vec<Class<'a>>,
    /// Class name → the classes of that name, in file and declaration order.
    by_name: HashMap<&'a str, Vec<usize>>,
    model_memo: Vec<Option<bool>>,
    resolved: Vec<Option<Rc<Resolved<'a>>>>,
    resolving: Vec<bool>,
    /// Module-level classes whose statement was not read.
    warnings: Vec<String>,
    /// Classes some class names among its bases.
    is_base: Vec<bool>,
    /// Fields' names and choices, one copy of each.
    shared: RefCell<Interner>,
    /// A module's path without `.py` (a package's folder for its `__init__.py`) → its files;
    /// for the stand-ins of third-party packages, the dotted module name.
    modules: HashMap<std::path::PathBuf, Vec<usize>>,
    /// The folder names of the files read (not the stand-ins): a module whose first name is
    /// none of them is not the project's.
    folders: std::collections::HashSet<&'a str>,
}

impl<'a> Reader<'a> {
    fn new(files: &'a [SourceFile], shared: Interner) -> Self {
        let mut scopes = Vec::new();
        let mut classes = Vec::new();
        let mut warnings = Vec::new();
        let mut modules: HashMap<std::path::PathBuf, Vec<usize>> = HashMap::new();
        let mut folders = std::collections::HashSet::new();
        for (file, source) in files.iter().enumerate() {
            modules.entry(module_key(source)).or_default().push(file);
            if source.stub.is_none() {
                folders.extend(
                    (source.path.parent().into_iter())
                        .flat_map(|p| p.components())
                        .filter_map(|c| c.as_os_str().to_str()),
                );
            }
            let mut scope = Scope::default();
            // Python runs a module-level `if`/`try`/`with` block's statements as the module's
            // own: the classes and names in any branch are read.
            let mut statements = Vec::new();
            module_level(&source.program.body, false, &mut statements);
            for (stmt, alternative) in statements {
                match &stmt.kind {
                    // The same class in an `else`/`except` branch: Python runs one of them.
                    StmtKind::ClassDef { name, .. }
                        if alternative && scope.classes.contains_key(name.name.as_str()) => {}
                    StmtKind::Unread {
                        defines: Some(Definition { class: true, name }),
                        error,
                    } => warnings.push(format!("class {} left out: {}", name.name, error.message)),
                    StmtKind::ClassDef {
                        name, bases, body, ..
                    } => {
                        scope.classes.insert(&name.name, classes.len());
                        classes.push(Class {
                            file,
                            at: name.span.start,
                            name: &name.name,
                            bases,
                            body,
                        });
                    }
                    StmtKind::Assign { targets, value } => {
                        for target in targets {
                            if let ExprKind::Name(n) = &target.kind {
                                scope.assigns.insert(n, value);
                            }
                        }
                    }
                    StmtKind::ImportFrom {
                        module,
                        level,
                        names,
                    } => {
                        let app =
                            module_app(module, *level).unwrap_or_else(|| source.app.label.clone());
                        for alias in names {
                            let import = Import {
                                module,
                                level: *level,
                                name: Some(&alias.name),
                            };
                            if alias.name == "*" {
                                scope.star_imports.push(import);
                                continue;
                            }
                            let local = alias
                                .asname
                                .as_ref()
                                .map_or(alias.name.as_str(), |a| a.name.as_str());
                            scope.imports.insert(local, app.clone());
                            scope.imported.insert(local, import);
                        }
                    }
                    StmtKind::Import(aliases) => {
                        for alias in aliases {
                            let (local, module) = match &alias.asname {
                                Some(a) => (a.name.as_str(), alias.name.as_str()),
                                None => {
                                    let first = alias.name.split('.').next().unwrap_or_default();
                                    (first, first)
                                }
                            };
                            let import = Import {
                                module,
                                level: 0,
                                name: None,
                            };
                            scope.imported.insert(local, import);
                        }
                    }
                    _ => {}
                }
            }
            scopes.push(scope);
        }
        let n = classes.len();
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, c) in classes.iter().enumerate() {
            by_name.entry(c.name).or_default().push(i);
        }
        let mut reader = Reader {
            is_base: vec![false; n],
            files,
            scopes,
            classes,
            by_name,
            model_memo: vec![None; n],
            resolved: vec![None; n],
            resolving: vec![false; n],
            warnings,
            shared: RefCell::new(shared),
            modules,
            folders,
        };
        for class in 0..n {
            let c = reader.classes[class];
            for base in base_paths(c.bases) {
                if let Some(parent) = reader.find_base(&base, c.file) {
                    reader.is_base[parent] = true;
                }
            }
        }
        reader
    }

    /// The class a name means in `file`, as Python finds it: a class of the file, else the
    /// class it imports under that name (following the module's own imports, which re-export
    /// it); a name imported from a module that is not the project's (and has no stand-in)
    /// is no class here. A name neither defined nor imported by name (a `*` import) is looked
    /// for in any file.
    fn find_class(&self, name: &str, file: usize) -> Option<usize> {
        self.class_in(name, file, 0)
    }

    fn class_in(&self, name: &str, file: usize, depth: usize) -> Option<usize> {
        let scope = &self.scopes[file];
        if let Some(&class) = scope.classes.get(name) {
            return Some(class);
        }
        if depth >= MAX_DEPTH {
            return None;
        }
        let Some(import) = scope.imported.get(name) else {
            for star in &scope.star_imports {
                let found = (self.module_files(file, star).iter())
                    .find_map(|&f| self.class_in(name, f, depth + 1));
                if found.is_some() {
                    return found;
                }
            }
            return self.any_named(name);
        };
        let original = import.name?;
        let files = self.module_files(file, import);
        if files.is_empty() {
            // A module not read: the project's (a path djq did not follow) or not.
            return self
                .project_module(import)
                .then(|| self.any_named(original))?;
        }
        files
            .iter()
            .find_map(|&f| self.class_in(original, f, depth + 1))
    }

    /// The class a base (`Name` or `module.Name`) names in `file`.
    fn find_base(&self, base: &str, file: usize) -> Option<usize> {
        let Some((module, name)) = base.rsplit_once('.') else {
            return self.find_class(base, file);
        };
        let first = module.split('.').next().unwrap_or(module);
        match self.scopes[file].imported.get(first) {
            // `import a.b as m` then `m.c.Name`: module `a.b.c`.
            Some(import) if import.name.is_none() => {
                let dotted = format!("{}{}", import.module, &module[first.len()..]);
                let import = Import {
                    module: &dotted,
                    ..*import
                };
                let files = self.module_files(file, &import);
                if files.is_empty() {
                    return self.project_module(&import).then(|| self.any_named(name))?;
                }
                files.iter().find_map(|&f| self.class_in(name, f, 1))
            }
            _ => self.any_named(name),
        }
    }

    /// The first class of the project's files called `name`.
    fn any_named(&self, name: &str) -> Option<usize> {
        (self.named(name).iter().copied())
            .find(|&c| self.files[self.classes[c].file].stub.is_none())
    }

    /// Could the module be the project's: its first name is a folder of the files read.
    fn project_module(&self, import: &Import) -> bool {
        import.level > 0
            || self
                .folders
                .contains(import.module.split('.').next().unwrap_or(""))
    }

    /// The files of the module an import names, seen from `file`: its `.py` file or its
    /// package's `__init__.py` (relative to the file's package, or to any folder above it),
    /// or a third-party package's stand-in.
    fn module_files(&self, file: usize, import: &Import) -> &[usize] {
        let parts = import.module.split('.').filter(|p| !p.is_empty());
        if import.level == 0
            && let Some(stub) = self.modules.get(Path::new(import.module))
        {
            return stub;
        }
        let Some(dir) = self.files[file].path.parent() else {
            return &[];
        };
        let mut base = Some(dir);
        for _ in 1..import.level {
            base = base.and_then(Path::parent);
        }
        let bases: Vec<&Path> = if import.level > 0 {
            base.into_iter().collect()
        } else {
            dir.ancestors().collect()
        };
        for base in bases {
            let mut key = base.to_path_buf();
            key.extend(parts.clone());
            if let Some(files) = self.modules.get(&key) {
                return files;
            }
        }
        &[]
    }

    /// Once a model is built: drop its members from the cache unless another class derives
    /// from it (whose resolution, or a proxy's, reads them); its label and Meta stay, for the
    /// relations that point at it. A large models.py then holds each model's fields once.
    fn forget_members(&mut self, class: usize) {
        if !self.is_base[class]
            && let Some(Some(r)) = self
                .resolved
                .get_mut(class)
                .map(|r| r.as_mut().and_then(Rc::get_mut))
        {
            r.members = Vec::new();
        }
    }

    /// The classes called `name`, in file and declaration order.
    fn named(&self, name: &str) -> &[usize] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Does the class derive from `models.Model`, through the classes its bases name (in these
    /// files, or a third-party package's stand-in)? A name never makes a model.
    fn is_model(&mut self, class: usize) -> bool {
        if let Some(known) = self.model_memo[class] {
            return known;
        }
        self.model_memo[class] = Some(false); // a cycle of bases is not a model
        let c = self.classes[class];
        let mut result = false;
        for base in base_paths(c.bases) {
            result = match self.find_base(&base, c.file) {
                _ if base == "Model" || base.ends_with("models.Model") => true,
                Some(parent) => self.is_model(parent),
                None => false,
            };
            if result {
                break;
            }
        }
        self.model_memo[class] = Some(result);
        result
    }

    fn resolve(&mut self, class: usize) -> Rc<Resolved<'a>> {
        if let Some(done) = &self.resolved[class] {
            return done.clone();
        }
        self.resolving[class] = true;
        let resolved = Rc::new(self.resolve_uncached(class));
        self.resolving[class] = false;
        self.resolved[class] = Some(resolved.clone());
        resolved
    }

    fn resolve_uncached(&mut self, class: usize) -> Resolved<'a> {
        let c = self.classes[class];
        let mut r = Resolved {
            app_label: self.shared.get_mut().text(&self.files[c.file].app.label),
            meta: Meta::default(),
            members: Vec::new(),
            parents: Vec::new(),
            managers: Vec::new(),
            composite_pk: None,
            unsupported: Vec::new(),
            ordering_inherited: false,
            notes: Vec::new(),
            skipped: Vec::new(),
            unread: unread_in(c.body),
        };
        let mut inherited_meta = None;
        // Managers of the bases, in Django's MRO order: they follow the model's own.
        let mut inherited_managers = Vec::new();
        // Fields a base adds once the model is built (django-mptt's): after the model's own.
        let mut added_after = Vec::new();
        // The first base that is a model (Django's `base_meta`, the `_meta` the new class
        // finds first).
        let mut first_base = None;
        for base in base_paths(c.bases) {
            let parent = self.find_base(&base, c.file);
            let Some(parent) = parent.filter(|&p| !self.resolving[p] && self.is_model(p)) else {
                let imported = self.scopes[c.file]
                    .imported
                    .get(base.split('.').next().unwrap_or(""));
                let model = base == "Model" || base.ends_with("models.Model");
                if parent.is_none()
                    && !model
                    && let Some(import) = imported
                {
                    r.notes.push(format!(
                        "{}: base class {base} (from {}) was not read; fields it adds are unknown",
                        c.name, import.module
                    ));
                }
                continue;
            };
            let p = self.resolve(parent);
            first_base.get_or_insert(parent);
            if p.meta.is_abstract {
                let after = assigned_in(self.classes[parent].body, "_djq_fields_after_own");
                if after {
                    added_after.extend(p.members.iter().cloned());
                }
                for m in p.members.iter().filter(|_| !after) {
                    r.members.retain(|own| own.name != m.name);
                    r.members.push(m.clone());
                }
                inherited_managers.extend(p.managers.iter().cloned());
                r.composite_pk = r.composite_pk.take().or_else(|| p.composite_pk.clone());
                r.unsupported.extend(p.unsupported.iter().cloned());
                r.notes.extend(p.notes.iter().cloned());
                r.skipped.extend(p.skipped.iter().cloned());
                // An abstract base's concrete parents are the model's (concrete -> abstract
                // -> concrete).
                for &pp in &p.parents {
                    if !r.parents.contains(&pp) {
                        r.parents.push(pp);
                    }
                }
                r.unread = r.unread.take().or_else(|| p.unread.clone());
                // The abstract base's `Meta` as written: not the ordering it took from a
                // concrete parent of its own.
                inherited_meta.get_or_insert_with(|| Meta {
                    is_abstract: false,
                    ordering: p.meta.ordering.clone().filter(|_| !p.ordering_inherited),
                    ..p.meta.clone()
                });
            } else if !r.parents.contains(&parent) {
                inherited_managers.extend(p.managers.iter().cloned());
                r.parents.push(parent);
            }
        }
        let mut own_meta = None;
        for stmt in c.body {
            match &stmt.kind {
                StmtKind::Assign { targets, value } if targets.len() == 1 => {
                    if let ExprKind::Name(name) = &targets[0].kind {
                        self.read_member(&mut r, name, value, c);
                    }
                }
                StmtKind::AnnAssign {
                    target,
                    value: Some(value),
                    ..
                } => {
                    if let ExprKind::Name(name) = &target.kind {
                        self.read_member(&mut r, name, value, c);
                    }
                }
                StmtKind::ClassDef {
                    name, bases, body, ..
                } if name.name == "Meta" => own_meta = Some((bases, body)),
                _ => {}
            }
        }
        for m in added_after {
            if !r.members.iter().any(|own| own.name == m.name) {
                r.members.push(m);
            }
        }
        r.members.shrink_to_fit();
        for m in inherited_managers {
            if !r.managers.iter().any(|own| own.name == m.name) {
                r.managers.push(m);
            }
        }
        r.meta = match own_meta {
            Some((bases, body)) => {
                // `class Meta(Base.Meta)` starts from the base's options.
                let mut meta = Meta::default();
                for base in base_paths(bases) {
                    let owner = base
                        .strip_suffix(".Meta")
                        .and_then(|owner| self.find_class(last_segment(owner), c.file));
                    if let Some(p) = owner.filter(|&p| !self.resolving[p] && self.is_model(p)) {
                        meta = Meta {
                            is_abstract: false,
                            ..self.resolve(p).meta.clone()
                        };
                        break;
                    }
                }
                self.read_meta(&mut meta, &mut r.notes, body, c);
                meta
            }
            None => inherited_meta.unwrap_or_default(),
        };
        for m in &mut r.managers {
            m.default = r.meta.default_manager_name.as_ref() == Some(&m.name);
            m.base = r.meta.base_manager_name.as_ref() == Some(&m.name);
        }
        if let Some(label) = &r.meta.app_label {
            r.app_label = self.shared.get_mut().text(label);
        }
        // Ordering comes from the first base when that is a concrete model (an abstract
        // first base passes on only its `Meta`).
        if let Some(parent) = first_base
            && r.meta.ordering.is_none()
            && !self.resolve(parent).meta.is_abstract
        {
            r.meta.ordering = self.resolve(parent).meta.ordering.clone();
            r.ordering_inherited = true;
        }
        if let Some(parent) = first_base
            && r.meta.get_latest_by.is_none()
            && !self.resolve(parent).meta.is_abstract
        {
            r.meta.get_latest_by = self.resolve(parent).meta.get_latest_by.clone();
        }
        r
    }

    /// Build the declaration of a concrete model (and its auto-created through models).
    fn materialize(&mut self, class: usize) -> (ModelDecl, Vec<ModelDecl>) {
        let c = self.classes[class];
        let r = self.resolve(class);
        let own = ModelRef {
            app_label: r.app_label.clone(),
            name: c.name.to_string(),
        };
        let path = self.files[c.file].path.clone();
        if let Some(&parent) = r.parents.first().filter(|_| r.meta.proxy) {
            return (self.proxy(parent, own, &r, path), Vec::new());
        }
        let table = r
            .meta
            .db_table
            .clone()
            .unwrap_or_else(|| own.default_table());
        let owner = Owner {
            model: &own,
            table: &table,
            auto_field: self.files[c.file].app.auto_field,
            path: &path,
            default_related_name: r.meta.default_related_name.as_ref(),
        };
        let has_pk = r.composite_pk.is_some()
            || r.members
                .iter()
                .any(|m| matches!(&m.kind, MemberKind::Column { field, .. } if field.primary_key));
        let mut fields = Vec::with_capacity(r.members.len() + r.parents.len() + 1);
        if !has_pk && r.parents.is_empty() {
            fields.push(FieldDecl {
                field: super::auto_pk(self.shared.get_mut(), owner.auto_field),
                relation: None,
            });
        }
        // Multi-table inheritance: a link to each concrete parent, the field that says
        // `parent_link=True`, else the `<parent>_ptr` Django creates. Created links come
        // first, the last parent's first (Django counts their creation order down).
        let mut links = Vec::with_capacity(r.parents.len());
        for &parent in &r.parents {
            // A proxy parent stands for its concrete model (`StatusPerson(MyPerson)` links
            // to `Person`).
            let parent = self.concrete_class(parent);
            let parent_ref = self.model_ref(parent);
            let explicit = r.members.iter().find(|m| match &m.kind {
                MemberKind::Column {
                    relation: Some(rel),
                    ..
                } if rel.parent_link => {
                    let to = self.qualify(&rel.to, m.file, &own);
                    to.matches(&parent_ref.app_label, &parent_ref.name)
                }
                _ => false,
            });
            if let Some(m) = explicit {
                links.push(m.name.clone());
                continue;
            }
            let link = format!("{}_ptr", parent_ref.name.to_lowercase());
            let shared = self.shared.get_mut();
            let (name, column) = (shared.name(&link), shared.name(&format!("{link}_id")));
            let mut field = Field::new(name, column, FieldKind::OneToOneField);
            field.unique = true;
            fields.insert(
                0,
                FieldDecl {
                    field,
                    relation: Some(relation_to(parent_ref, None)),
                },
            );
            links.push(link);
        }
        let mut m2m = Vec::new();
        let mut throughs = Vec::new();
        let mut indexes = Vec::new();
        let mut generic = Vec::new();
        for member in &r.members {
            match &member.kind {
                MemberKind::Column {
                    field,
                    relation,
                    db_index,
                } => {
                    let relation = relation.as_ref().map(|rel| {
                        Box::new(RelationDecl {
                            to: self.qualify(&rel.to, member.file, &own),
                            to_field: rel.to_field.clone(),
                            related_name: rel
                                .related_name
                                .as_ref()
                                .or(owner.default_related_name)
                                .map(|n| interpolate(n, &own)),
                            related_query_name: rel
                                .related_query_name
                                .as_deref()
                                .map(|n| interpolate(n, &own)),
                            on_delete: rel.on_delete,
                        })
                    });
                    if *db_index {
                        indexes.push(Index {
                            name: String::new(),
                            columns: vec![self.shared.get_mut().text(&field.column)],
                            unique: false,
                        });
                    }
                    fields.push(FieldDecl {
                        field: field.clone(),
                        relation,
                    });
                }
                MemberKind::ManyToMany(raw) => {
                    let (field, through) = self.many_to_many(member, raw, &owner);
                    if raw.tags && self.generic_through(raw, member.file) {
                        // django-taggit adds it to a model tagged through a generic model.
                        generic.push(GenericDecl::Relation {
                            name: "tagged_items".to_string(),
                            to: field.through.clone(),
                            ct_field: "content_type".to_string(),
                            fk_field: "object_id".to_string(),
                            related_query_name: None,
                            for_concrete_model: true,
                        });
                    }
                    m2m.push(field);
                    throughs.extend(through);
                }
                MemberKind::GenericForeignKey {
                    ct_field,
                    fk_field,
                    for_concrete_model,
                } => {
                    generic.push(GenericDecl::ForeignKey {
                        name: member.name.clone(),
                        ct_field: ct_field.clone(),
                        fk_field: fk_field.clone(),
                        for_concrete_model: *for_concrete_model,
                    });
                }
                MemberKind::GenericRelation {
                    to,
                    ct_field,
                    fk_field,
                    related_query_name,
                    for_concrete_model,
                } => {
                    generic.push(GenericDecl::Relation {
                        name: member.name.clone(),
                        to: self.qualify(to, member.file, &own),
                        ct_field: ct_field.clone(),
                        fk_field: fk_field.clone(),
                        for_concrete_model: *for_concrete_model,
                        related_query_name: related_query_name
                            .as_deref()
                            .map(|n| interpolate(n, &own)),
                    });
                }
            }
        }
        // `CompositePrimaryKey("tenant_id", "id")` names fields or foreign keys' attnames.
        let composite_pk: Vec<usize> = (r.composite_pk.iter().flatten())
            .filter_map(|n| {
                fields.iter().position(|f| {
                    f.field.name == *n
                        || (f.relation.is_some() && format!("{}_id", f.field.name) == *n)
                })
            })
            .collect();
        // The first parent's link is the primary key when the model declares none.
        let parent_links: Vec<usize> = links
            .iter()
            .filter_map(|l| fields.iter().position(|f| f.field.name == *l))
            .collect();
        if let Some(&first) = parent_links.first().filter(|_| !has_pk) {
            fields[first].field.primary_key = true;
            fields[first].field.unique = true;
        }
        let shared = self.shared.get_mut();
        let mut column_of = |name: &str| {
            let name = name.trim_start_matches('-');
            let field = fields
                .iter()
                .find(|f| f.field.name == name || f.field.attname() == name);
            shared.text(field.map_or(name, |f| &f.field.column))
        };
        let mut declared: Vec<Index> = r
            .meta
            .indexes
            .iter()
            .map(|(name, names, unique)| Index {
                name: interpolate(name, &own),
                columns: names.iter().map(|n| column_of(n)).collect(),
                unique: *unique,
            })
            .collect();
        declared.extend(indexes);
        // `Meta.order_with_respect_to`: Django's hidden `_order` field, last, and the
        // default ordering by it.
        let order_wrt = (r.meta.order_with_respect_to.as_ref())
            .and_then(|wrt| fields.iter().position(|f| f.field.name == *wrt));
        let mut ordering = r.meta.ordering.clone();
        if order_wrt.is_some() {
            let shared = self.shared.get_mut();
            let name = shared.name("_order");
            let field = Field::new(name.share(), name, crate::schema::FieldKind::IntegerField);
            fields.push(FieldDecl {
                field,
                relation: None,
            });
            ordering.get_or_insert_with(|| vec!["_order".to_string()]);
        }
        // Declarations live as long as the session: no room to grow.
        fields.shrink_to_fit();
        declared.shrink_to_fit();
        let decl = ModelDecl {
            pk: (composite_pk.first().copied())
                .or_else(|| fields.iter().position(|f| f.field.primary_key))
                .unwrap_or(0),
            composite_pk,
            unsupported: r.unsupported.clone(),
            fields,
            parent_links,
            proxy_for: None,
            order_wrt,
            m2m,
            ordering: ordering.unwrap_or_default(),
            get_latest_by: r.meta.get_latest_by.clone().unwrap_or_default(),
            indexes: declared,
            module: None,
            managers: r.managers.clone(),
            auto_created: false,
            proxy: false,
            notes: r.notes.clone(),
            skipped: r.skipped.clone(),
            name: own.name,
            app_label: own.app_label,
            table,
            path,
            generic,
        };
        (decl, throughs)
    }

    /// The concrete class a class stands for: itself, or what its proxy chain proxies.
    fn concrete_class(&mut self, mut class: usize) -> usize {
        loop {
            let r = self.resolve(class);
            match r.parents.first() {
                Some(&parent) if r.meta.proxy => class = parent,
                _ => return class,
            }
        }
    }

    /// A proxy model: its concrete model's table and fields under its own name.
    fn proxy(
        &mut self,
        parent: usize,
        own: ModelRef,
        r: &Resolved<'a>,
        path: Rc<Path>,
    ) -> ModelDecl {
        let (mut decl, _) = self.materialize(parent);
        let proxy_for = Some(self.model_ref(parent));
        // The fields are the concrete model's: Django adds no reverse relations for a proxy's.
        for f in &mut decl.fields {
            if let Some(rel) = &mut f.relation {
                rel.related_name = Some(format!("{}_{}+", own.name, f.field.name));
            }
        }
        for m in &mut decl.m2m {
            m.related_name = Some(format!("{}_{}+", own.name, m.name));
        }
        ModelDecl {
            name: own.name,
            app_label: own.app_label,
            ordering: r.meta.ordering.clone().unwrap_or_default(),
            get_latest_by: r.meta.get_latest_by.clone().unwrap_or_default(),
            managers: r.managers.clone(),
            proxy: true,
            proxy_for,
            notes: r.notes.clone(),
            path,
            ..decl
        }
    }

    /// A many-to-many field, with the through model Django creates for it unless `through=`.
    fn many_to_many(
        &mut self,
        member: &Member<'a>,
        raw: &RawManyToMany<'a>,
        owner: &Owner,
    ) -> (ManyToManyDecl, Option<ModelDecl>) {
        let own = owner.model;
        let to = self.qualify(&raw.to, member.file, own);
        let symmetrical = raw
            .symmetrical
            .is_none_or(|e| !matches!(e.kind, ExprKind::Bool(false)));
        let related_name = if symmetrical && to.matches(&own.app_label, &own.name) {
            Some(format!("{}_rel_+", member.name)) // Django hides a symmetrical self-relation's reverse
        } else {
            raw.related_name
                .as_ref()
                .or(owner.default_related_name)
                .map(|n| interpolate(n, own))
        };
        let (through, through_fields, auto) = match &raw.through {
            Some(t) => (
                self.qualify(t, member.file, own),
                raw.through_fields.clone(),
                None,
            ),
            None => {
                let db_table = raw.db_table.clone();
                let shared = self.shared.get_mut();
                let decl = auto_through(owner, &member.name, &to, db_table, shared);
                let keys = (
                    decl.fields[1].field.name.clone(),
                    decl.fields[2].field.name.clone(),
                );
                let through = ModelRef {
                    app_label: own.app_label.clone(),
                    name: decl.name.clone(),
                };
                (through, Some(keys), Some(decl))
            }
        };
        let field = ManyToManyDecl {
            name: member.name.clone(),
            to,
            through,
            through_fields,
            related_name,
            related_query_name: raw
                .related_query_name
                .as_deref()
                .map(|n| interpolate(n, own)),
            tags: raw.tags,
        };
        (field, auto)
    }

    /// Whether a `TaggableManager`'s through model is generic (django-taggit's `use_gfk`):
    /// taggit's own TaggedItem, or a model without a `content_object` foreign key.
    fn generic_through(&mut self, raw: &RawManyToMany<'a>, file: usize) -> bool {
        let class = match &raw.through {
            Some(Target::Class(name)) => self.find_class(name, file),
            Some(Target::Lazy(_, name)) => self.any_named(name),
            _ => None,
        };
        class.is_none_or(|class| {
            !(self.resolve(class).members.iter()).any(|m| {
                m.name == "content_object"
                    && matches!(
                        m.kind,
                        MemberKind::Column {
                            relation: Some(_),
                            ..
                        }
                    )
            })
        })
    }

    fn model_ref(&mut self, class: usize) -> ModelRef {
        ModelRef {
            app_label: self.resolve(class).app_label.clone(),
            name: self.classes[class].name.to_string(),
        }
    }

    /// Name the model a target means, seen from `file` and from the concrete model `own`
    /// (for `'self'` and same-app strings, which Django resolves against the concrete model).
    fn qualify(&mut self, target: &Target, file: usize, own: &ModelRef) -> ModelRef {
        let (app_label, name) = match target {
            Target::SelfRef => return own.clone(),
            Target::AuthUser => (Some("auth"), "User".to_string()),
            Target::Lazy(app, name) => (app.as_deref(), name.clone()),
            Target::Class(name) => {
                // The class itself when it is among the files read: in this file, else in the
                // app it was imported from (whose label apps.py may have changed), else any.
                let imported = self.scopes[file].imports.get(name.as_str()).cloned();
                let models: Vec<usize> = (self.named(name).to_vec().into_iter())
                    .filter(|&c| self.is_model(c))
                    .collect();
                let in_file = models.iter().find(|&&c| self.classes[c].file == file);
                let in_app = models.iter().find(|&&c| {
                    let path = &self.files[self.classes[c].file].path;
                    imported
                        .as_ref()
                        .is_some_and(|app| path.components().any(|p| p.as_os_str() == app.as_str()))
                });
                if let Some(&class) = in_file.or(in_app).or(models.first()) {
                    return self.model_ref(class);
                }
                let app = imported.or_else(|| contrib_app(name).map(str::to_string));
                let app_label = match app {
                    Some(app) => self.shared.get_mut().text(&app),
                    None => own.app_label.clone(),
                };
                return ModelRef {
                    app_label,
                    name: name.clone(),
                };
            }
        };
        let app_label = match app_label {
            Some(app) => self.shared.get_mut().text(app),
            None => own.app_label.clone(),
        };
        ModelRef { app_label, name }
    }
}

/// The model being built, as the through models of its many-to-many fields need it.
struct Owner<'o> {
    model: &'o ModelRef,
    table: &'o str,
    auto_field: FieldKind,
    path: &'o Rc<Path>,
    /// `Meta.default_related_name`, for relations that set no `related_name`.
    default_related_name: Option<&'o String>,
}

/// `%(class)s` and `%(app_label)s` in a related name, as Django fills them in for the
/// concrete model (they let an abstract base name relations per subclass).
fn interpolate(text: &str, model: &ModelRef) -> String {
    text.replace("%(class)s", &model.name.to_lowercase())
        .replace("%(app_label)s", &model.app_label.to_lowercase())
}

/// The through model Django creates for `owner.field = ManyToManyField(to)`.
fn auto_through(
    owner: &Owner,
    field: &str,
    to: &ModelRef,
    db_table: Option<String>,
    shared: &mut Interner,
) -> ModelDecl {
    let (from_name, to_name) = (owner.model.name.to_lowercase(), to.name.to_lowercase());
    let (from_name, to_name) = if from_name == to_name {
        (format!("from_{from_name}"), format!("to_{to_name}"))
    } else {
        (from_name, to_name)
    };
    let name = format!("{}_{field}", owner.model.name);
    let mut foreign_key = |field_name: &str, target: &ModelRef| FieldDecl {
        field: Field::new(
            shared.name(field_name),
            shared.name(&format!("{field_name}_id")),
            FieldKind::ForeignKey,
        ),
        relation: Some(relation_to(target.clone(), Some(format!("{name}+")))),
    };
    let keys = [
        foreign_key(&from_name, owner.model),
        foreign_key(&to_name, to),
    ];
    let pk = FieldDecl {
        field: super::auto_pk(shared, owner.auto_field),
        relation: None,
    };
    let columns = vec![
        shared.text(&keys[0].field.column),
        shared.text(&keys[1].field.column),
    ];
    let mut fields = vec![pk];
    fields.extend(keys);
    ModelDecl {
        table: db_table.unwrap_or_else(|| format!("{}_{field}", owner.table)),
        name,
        app_label: owner.model.app_label.clone(),
        fields,
        pk: 0,
        m2m: Vec::new(),
        ordering: Vec::new(),
        get_latest_by: Vec::new(),
        indexes: vec![Index {
            name: String::new(),
            columns,
            unique: true,
        }],
        module: None,
        managers: Vec::new(),
        composite_pk: Vec::new(),
        unsupported: Vec::new(),
        auto_created: true,
        proxy: false,
        parent_links: Vec::new(),
        proxy_for: None,
        order_wrt: None,
        notes: Vec::new(),
        skipped: Vec::new(),
        path: Rc::clone(owner.path),
        generic: Vec::new(),
    }
}

/// A cascading relation Django creates itself (parent links, through models).
fn relation_to(to: ModelRef, related_name: Option<String>) -> Box<RelationDecl> {
    Box::new(RelationDecl {
        to,
        to_field: None,
        related_name,
        related_query_name: None,
        on_delete: OnDelete::Cascade,
    })
}

/// Apps of `django.contrib` whose models are commonly referenced by class name.
fn contrib_app(name: &str) -> Option<&'static str> {
    Some(match name {
        "User" | "Group" | "Permission" => "auth",
        "ContentType" => "contenttypes",
        "Site" => "sites",
        "LogEntry" => "admin",
        "Session" => "sessions",
        _ => return None,
    })
}

/// The app label a `from MODULE import ...` names: the package before `models`
/// (`books.models`, `django.contrib.auth.models` → `auth`); `None` for the file's own app
/// (`.models`, or a sibling module of a `models/` package).
fn module_app(module: &str, level: usize) -> Option<String> {
    let parts: Vec<&str> = module.split('.').filter(|s| !s.is_empty()).collect();
    match parts.iter().position(|p| *p == "models") {
        Some(i) => i.checked_sub(1).map(|i| parts[i].to_string()),
        None if level > 0 => None,
        None => parts.last().map(|p| p.to_string()),
    }
}

/// The expression a `def` returns when its body is a single `return` (after a docstring).
fn single_return(body: &[Stmt]) -> Option<&Expr> {
    let mut code = body.iter().filter(|s| {
        !matches!(
            &s.kind,
            StmtKind::Expr(Expr {
                kind: ExprKind::Str(_),
                ..
            })
        )
    });
    match (code.next().map(|s| &s.kind), code.next()) {
        (Some(StmtKind::Return(Some(expr))), None) => Some(expr),
        _ => None,
    }
}

/// Bases as dotted paths (`models.Model`); keyword arguments (`metaclass=`) are not bases.
fn base_paths(bases: &[Arg]) -> Vec<String> {
    bases
        .iter()
        .filter_map(|b| match b {
            Arg::Positional(e) => dotted(e),
            _ => None,
        })
        .collect()
}

/// `a.b.c` for a name or attribute chain.
fn dotted(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Name(n) => Some(n.to_string()),
        ExprKind::Attribute { value, attr } => Some(format!("{}.{}", dotted(value)?, attr.name)),
        _ => None,
    }
}

fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The statements a module runs as its own: its top level, and the blocks of its top-level
/// `if`, `try` and `with` statements (all branches; `true` for those of an `else` or an
/// `except`, which run instead of another).
fn module_level<'a>(body: &'a [Stmt], alternative: bool, out: &mut Vec<(&'a Stmt, bool)>) {
    for stmt in body {
        match &stmt.kind {
            StmtKind::If { body, orelse, .. } => {
                module_level(body, alternative, out);
                module_level(orelse, true, out);
            }
            StmtKind::Try {
                body,
                handlers,
                orelse,
                finalbody,
            } => {
                module_level(body, alternative, out);
                for h in handlers {
                    module_level(&h.body, true, out);
                }
                module_level(orelse, alternative, out);
                module_level(finalbody, alternative, out);
            }
            StmtKind::With { body, .. } => module_level(body, alternative, out),
            _ => out.push((stmt, alternative)),
        }
    }
}

/// The key of a file in [`Reader::modules`]: its path without `.py`, its package's folder for
/// an `__init__.py`; a stand-in's dotted module name.
fn module_key(source: &SourceFile) -> std::path::PathBuf {
    if let Some(module) = source.stub {
        return module.into();
    }
    let path = &source.path;
    if path.file_name().is_some_and(|n| n == "__init__.py") {
        return path.parent().unwrap_or(path).to_path_buf();
    }
    path.with_extension("")
}

/// Does a class body assign `name` (a stand-in's marker)?
fn assigned_in(body: &[Stmt], name: &str) -> bool {
    body.iter().any(|s| {
        matches!(&s.kind, StmtKind::Assign { targets, .. }
            if matches!(targets.as_slice(), [t] if matches!(&t.kind, ExprKind::Name(n) if n == name)))
    })
}
