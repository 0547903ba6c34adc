//! The `--models` overlay: what a project's `models.py` files declare, and merging it into a
//! [`Schema`](super::Schema).
//!
//! Owns finding models files (a file, an app folder, or a project root), parsing them with the
//! shell's own parser, and reading Django model classes statically — no Python runs. Reading
//! (`read`) turns classes into [`ModelDecl`]s with Django's defaults and inheritance already
//! applied; merging (`merge`) places them into a schema, either onto an introspected one
//! ([`overlay`]) or alone ([`schema_from_models`], for `--sql-only` without a database).
//!
//! A models file over a megabyte is parsed one statement at a time and its classes read a
//! batch at a time (`Batched`), so that its whole syntax tree never exists at once; this
//! reads what the whole file would, because Python defines a class's bases and the module
//! names its body uses before the class. The names, app labels and choices read are shared
//! ([`Interner`]): a large file repeats the same ones many times.
//!
//! Where Django would generate a name from a hash (index names without `name=`), the
//! [`Index`] name is left empty; an introspected database keeps its real names.

mod imports;
mod merge;
mod read;
mod runtime;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use super::{Field, FieldKind, Index, Interner, OnDelete};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::syntax::ast::{ExprKind, Program, StmtKind};
pub use runtime::PyModule;

pub use merge::{overlay, schema_from_models};

/// One concrete model class as models.py declares it, Django's defaults and inheritance
/// applied; relations name their targets ([`ModelRef`]) and are resolved when merged.
#[derive(Debug, Clone)]
pub struct ModelDecl {
    pub name: String,
    pub app_label: Arc<str>,
    /// `Meta.db_table`, or Django's `{app_label}_{model name lowercased}`.
    pub table: String,
    /// Concrete fields in Django's order: the implicit `id` (or multi-table parent link) first.
    pub fields: Vec<FieldDecl>,
    /// Index of the primary key in `fields`.
    pub pk: usize,
    pub m2m: Vec<ManyToManyDecl>,
    pub ordering: Vec<String>,
    /// `Meta.get_latest_by`, as written (`-published`).
    pub get_latest_by: Vec<String>,
    pub indexes: Vec<Index>,
    /// Managers assigned in the class (`objects = ArticleManager()`), with their methods.
    pub managers: Vec<super::Manager>,
    /// A composite primary key's fields (indexes in `fields`), in key order.
    pub composite_pk: Vec<usize>,
    /// `ForeignObject`s as declared.
    pub unsupported: Vec<crate::schema::ForeignObjectDecl>,
    /// The through model Django creates for a ManyToManyField without `through=`.
    pub auto_created: bool,
    /// `Meta.proxy`: shares its concrete parent's table and fields.
    pub proxy: bool,
    /// Indexes in `fields` of the links to the multi-table parents, in Django's
    /// `_meta.parents` order (a proxy has its concrete model's).
    pub parent_links: Vec<usize>,
    /// The model a proxy proxies: its base (another proxy, for a proxy of a proxy).
    pub proxy_for: Option<ModelRef>,
    /// `Meta.order_with_respect_to`: the index in `fields` of its foreign key.
    pub order_wrt: Option<usize>,
    /// Things read but not understood (third-party field classes, unknown bases, ...).
    pub notes: Vec<String>,
    /// The fields left out (their class or relation target not understood); where the
    /// database has the table, its columns of these names are kept.
    pub skipped: Vec<String>,
    /// The file that declares the model (shared by its models).
    pub path: Rc<Path>,
    /// That file's Python, for running the model's methods (set once the file is read).
    pub module: Option<Arc<PyModule>>,
    /// `GenericForeignKey`s and `GenericRelation`s (django.contrib.contenttypes).
    pub generic: Vec<GenericDecl>,
}

/// A generic relation as models.py declares it; its fields are named, resolved when merged.
#[derive(Debug, Clone)]
pub enum GenericDecl {
    /// `name = GenericForeignKey(ct_field, fk_field, for_concrete_model)`
    ForeignKey {
        name: String,
        ct_field: String,
        fk_field: String,
        for_concrete_model: bool,
    },
    /// `name = GenericRelation(to, content_type_field=, object_id_field=, related_query_name=)`
    Relation {
        name: String,
        to: ModelRef,
        ct_field: String,
        fk_field: String,
        related_query_name: Option<String>,
        for_concrete_model: bool,
    },
}

/// A concrete field; `field.relation` is always `None` here, `relation` says where it points.
#[derive(Debug, Clone)]
pub struct FieldDecl {
    pub field: Field,
    pub relation: Option<Box<RelationDecl>>,
}

/// A ForeignKey or OneToOneField (which of the two is `field.kind`).
#[derive(Debug, Clone)]
pub struct RelationDecl {
    pub to: ModelRef,
    /// `to_field=`: a field name of the target; its primary key when absent.
    pub to_field: Option<String>,
    pub related_name: Option<String>,
    pub related_query_name: Option<String>,
    pub on_delete: OnDelete,
}

#[derive(Debug, Clone)]
pub struct ManyToManyDecl {
    pub name: String,
    pub to: ModelRef,
    /// The explicit `through=` model, or the auto-created one (also among the declarations).
    pub through: ModelRef,
    /// Names of the through model's foreign keys to the source and the target
    /// (`through_fields=`, or the auto-created ones); found by target model when absent.
    pub through_fields: Option<(String, String)>,
    pub related_name: Option<String>,
    pub related_query_name: Option<String>,
    /// django-taggit's `TaggableManager`: the through model links the source by its
    /// `content_object` foreign key, or (a generic through) by `content_type` + `object_id`.
    pub tags: bool,
}

/// A model named the way Django's app registry finds it (`books.Author`); the name matches
/// case-insensitively, like `apps.get_model`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    pub app_label: Arc<str>,
    pub name: String,
}

impl ModelRef {
    pub fn matches(&self, app_label: &str, name: &str) -> bool {
        *self.app_label == *app_label && self.name.eq_ignore_ascii_case(name)
    }

    /// Django's default table for the model: `{app_label}_{model name lowercased}`.
    pub fn default_table(&self) -> String {
        format!("{}_{}", self.app_label, self.name.to_lowercase())
    }
}

/// The primary key Django adds to a model that declares none (`id`, of the app's
/// `default_auto_field`).
fn auto_pk(shared: &mut Interner, kind: FieldKind) -> Field {
    let id = shared.name("id");
    let mut id = Field::new(id.share(), id, kind);
    id.primary_key = true;
    id.unique = true;
    id
}

/// What `--models` read: the models, and a warning for each model left out because a
/// statement that may declare part of it is Python djq cannot read (`path:line:col: model
/// app.Name left out: why`).
pub struct Models {
    pub decls: Vec<ModelDecl>,
    pub warnings: Vec<String>,
}

/// Read the models declared under `paths` (see [`read`]), leaving out the warnings.
pub fn load(paths: &[PathBuf]) -> Result<Vec<ModelDecl>> {
    read(paths).map(|m| m.decls)
}

/// Read the models declared under `paths`: models.py files, app folders (their `models.py`
/// or `models/` package) or project roots (whose apps are found by scanning). A file is read
/// as a module ([`parse_module`](crate::syntax::parse_module)): a statement djq cannot parse
/// is read past, and a model it may declare part of is left out with a warning, so that one
/// unreadable construct does not stop the shell.
pub fn read(paths: &[PathBuf]) -> Result<Models> {
    let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut roots = Vec::with_capacity(paths.len());
    for path in paths {
        let files = discover(path)?;
        // Where the project's modules may be: the folder given (a file's app folder).
        roots.extend(
            files
                .first()
                .map(|(file, app_dir)| match std::fs::canonicalize(path) {
                    Ok(p) if p.is_dir() => p,
                    _ => app_dir.parent().unwrap_or(file).to_path_buf(),
                }),
        );
        for (file, app_dir) in files {
            if !found.iter().any(|(f, _)| *f == file) {
                found.push((file, app_dir));
            }
        }
    }
    imports::follow(&mut found, &roots, BATCHED_FILE);
    let mut apps: HashMap<PathBuf, AppInfo> = HashMap::new();
    let mut files = Vec::with_capacity(found.len());
    for (path, app_dir) in found {
        let app = match apps.get(&app_dir) {
            Some(app) => app.clone(),
            None => {
                let app = app_info(&app_dir)?;
                apps.insert(app_dir, app.clone());
                app
            }
        };
        files.push((path, app));
    }
    read_files(files, BATCHED_FILE, BATCH)
}

/// An app as a project's `INSTALLED_APPS` names it: its folder, and what its `AppConfig`
/// and the settings say of it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstalledApp {
    pub dir: PathBuf,
    pub label: String,
    /// The app's `default_auto_field`, else the settings' `DEFAULT_AUTO_FIELD`.
    pub auto_field: FieldKind,
}

/// Read the models of `apps`, in their order (`models.py` or the `models/` package of each
/// folder, and the project modules they import, found under `root`).
pub fn read_installed(apps: &[InstalledApp], root: &Path) -> Result<Models> {
    let mut found = Vec::new();
    for app in apps {
        app_files(&app.dir, &mut found)?;
    }
    imports::follow(&mut found, &[root.to_path_buf()], BATCHED_FILE);
    let mut files = Vec::with_capacity(found.len());
    for (path, app_dir) in found {
        let info = match apps.iter().find(|a| a.dir == app_dir) {
            Some(a) => AppInfo {
                label: a.label.clone(),
                auto_field: a.auto_field,
            },
            None => app_info(&app_dir)?,
        };
        files.push((path, info));
    }
    read_files(files, BATCHED_FILE, BATCH)
}

/// A models file larger than this many bytes is read a batch of classes at a time.
const BATCHED_FILE: u64 = 1_000_000;
/// How many of a large file's classes are read at a time: small batches keep the window of
/// live statements small, and free the allocator's memory in small pieces (a 58 MB file
/// took twice the time in batches of 2,000).
const BATCH: usize = 50;

/// Read `files`: each whole, but for the largest when it is over `batched_file` bytes, which
/// is read `batch` classes at a time ([`Batched`]); both give the same models and warnings.
fn read_files(files: Vec<(PathBuf, AppInfo)>, batched_file: u64, batch: usize) -> Result<Models> {
    let size = |path: &PathBuf| std::fs::metadata(path).map_or(0, |m| m.len());
    let big = (0..files.len())
        .max_by_key(|&i| size(&files[i].0))
        .filter(|&i| size(&files[i].0) > batched_file);
    let mut sources = Vec::with_capacity(files.len());
    let mut big_source = String::new();
    // The names the other files use, when one is batched.
    let mut elsewhere = std::collections::HashSet::new();
    for (i, (path, app)) in files.into_iter().enumerate() {
        let source = std::fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
        let (program, module) = if Some(i) == big {
            big_source = source;
            (Program { body: Vec::new() }, None)
        } else {
            if big.is_some() {
                elsewhere.extend(uses(&source).into_keys().map(str::to_string));
            }
            let program = parse_source(&path, &source)?;
            let module = py_module(&path, &source, &program.body);
            (program, Some(module))
        };
        sources.push(SourceFile {
            path: path.into(),
            app,
            program,
            module,
            stub: None,
        });
    }
    sources.extend(third_party());
    let modules: Vec<Arc<PyModule>> = sources.iter().filter_map(|f| f.module.clone()).collect();
    let Some(big) = big else {
        let (mut decls, warnings) = read::declarations(&sources, &mut Interner::default());
        attach_modules(&mut decls, &modules);
        return Ok(Models { decls, warnings });
    };
    let mut needed_until = uses(&big_source);
    for name in &elsewhere {
        needed_until.insert(name.as_str(), usize::MAX);
    }
    let path = sources[big].path.clone();
    let mut modules = modules;
    let mut pieces = runtime::Pieces::default();
    let mut batched = Batched {
        files: sources,
        big,
        needed_until,
        kept: Vec::new(),
        read_upto: 0,
        last_class: 0,
        pending: 0,
        batch,
        // As many as it has classes, so that the longest vector is not grown (and copied)
        // while the declarations fill the memory.
        decls: Vec::with_capacity(big_source.matches("\nclass ").count()),
        warnings: Vec::new(),
        shared: Interner::default(),
    };
    let locate = locator(&path, &big_source);
    crate::syntax::parse_module_each(&big_source, &mut |mut stmt| {
        locate_unread(std::slice::from_mut(&mut stmt), &locate);
        runtime::pieces(&stmt, &big_source, &mut pieces);
        batched.push(stmt);
    })
    .map_err(|mut d| {
        locate(&mut d);
        d
    })?;
    modules.push(Arc::new(PyModule::new(
        path.display().to_string(),
        &big_source,
        pieces,
    )));
    let mut models = batched.finish();
    attach_modules(&mut models.decls, &modules);
    Ok(models)
}

/// Give each declaration its file's Python.
fn attach_modules(decls: &mut [ModelDecl], modules: &[Arc<PyModule>]) {
    for decl in decls {
        let path = decl.path.display().to_string();
        decl.module = modules.iter().find(|m| m.path == path).cloned();
    }
}

/// A file's Python, as it runs ([`PyModule`]).
fn py_module(path: &Path, source: &str, body: &[crate::syntax::ast::Stmt]) -> Arc<PyModule> {
    let mut pieces = runtime::Pieces::default();
    for stmt in body {
        runtime::pieces(stmt, source, &mut pieces);
    }
    Arc::new(PyModule::new(path.display().to_string(), source, pieces))
}

/// Reading a large models file a batch of classes at a time, so that its syntax tree never
/// all exists at once. Each batch is read ([`read::declarations_of`]) with the other files
/// whole and, of the large file, every statement that is not a class (imports, assignments,
/// functions, statements not read), every class some class names among its bases, and every
/// class a class of the batch (or another file) names; only the batch's classes are
/// declared. This gives what reading the file whole gives because Python runs a class's body
/// when it defines the class: its bases and every name its body uses (a relation's target, a
/// field or manager class) are defined before it, so they are among the statements kept.
/// Which names a class uses is found beforehand from the text ([`uses`]).
struct Batched<'s> {
    files: Vec<SourceFile>,
    /// The large file, in `files`; its program holds the statements kept and the batch.
    big: usize,
    /// For a name of the large file: the offset of the last class that uses it
    /// (`usize::MAX`: always kept).
    needed_until: HashMap<&'s str, usize>,
    /// For each statement of the large file's program: until which offset it is kept.
    kept: Vec<usize>,
    /// The offset of the last class already read.
    read_upto: usize,
    /// The offset of the last class parsed.
    last_class: usize,
    pending: usize,
    batch: usize,
    decls: Vec<ModelDecl>,
    warnings: Vec<String>,
    /// Fields' names and choices, shared by all the batches.
    shared: Interner,
}

impl Batched<'_> {
    fn push(&mut self, stmt: crate::syntax::ast::Stmt) {
        let until = match &stmt.kind {
            StmtKind::ClassDef { name, .. } => {
                self.pending += 1;
                self.last_class = name.span.start;
                let used = self.needed_until.get(name.name.as_str());
                used.copied().unwrap_or(0).max(name.span.start)
            }
            _ => usize::MAX,
        };
        self.files[self.big].program.body.push(stmt);
        self.kept.push(until);
        if self.pending == self.batch {
            self.read_batch(false);
        }
    }

    /// Declare the batch's classes (and, at the end, the other files'), then drop those no
    /// later class needs.
    fn read_batch(&mut self, last: bool) {
        let (big, after) = (self.big, self.read_upto);
        let wanted = |file: usize, at: usize| match file.cmp(&big) {
            std::cmp::Ordering::Equal => at > after,
            std::cmp::Ordering::Greater => last,
            std::cmp::Ordering::Less => false,
        };
        let (decls, _, warnings) = read::declarations_of(&self.files, &wanted, &mut self.shared);
        self.decls.extend(decls);
        self.warnings.extend(warnings);
        self.read_upto = self.last_class;
        self.pending = 0;
        let upto = self.read_upto;
        let body = std::mem::take(&mut self.files[big].program.body);
        let mut kept = std::mem::take(&mut self.kept).into_iter();
        let (body, until): (Vec<_>, Vec<_>) = body
            .into_iter()
            .zip(kept.by_ref())
            .filter(|&(_, until)| until > upto)
            .unzip();
        self.files[big].program.body = body;
        self.kept = until;
    }

    /// Read the last batch; the files before the large one are declared first, as reading
    /// them all whole would.
    fn finish(mut self) -> Models {
        self.read_batch(true);
        let big = self.big;
        let (before, module_warnings, mut warnings) =
            read::declarations_of(&self.files, &|file, _| file < big, &mut self.shared);
        // In place: the large file's declarations are most of them.
        self.decls.splice(0..0, before);
        warnings.append(&mut self.warnings);
        let mut all = module_warnings;
        all.append(&mut warnings);
        Models {
            decls: self.decls,
            warnings: all,
        }
    }
}

/// The names `source` uses: for each, the offset of the last module-level class (of its
/// name) whose text holds it, or `usize::MAX` when a class's bases, or text outside classes,
/// do. Read from the lines, not parsed: a name in a string or a comment counts too, which only
/// keeps a class longer.
fn uses(source: &str) -> HashMap<&str, usize> {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let mut until: HashMap<&str, usize> = HashMap::new();
    // The class whose text this is (the offset of its name), or usize::MAX outside classes.
    let mut region = usize::MAX;
    // How many brackets of a class's bases are open.
    let mut bases = 0usize;
    let mut at = 0;
    for line in source.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let mut text = line;
        if line.starts_with(|c: char| c == '@' || c == '_' || c.is_alphabetic()) {
            region = usize::MAX;
            bases = 0;
            if let Some(rest) = line.strip_prefix("class ") {
                let rest = rest.trim_start();
                let name_len = rest.find(|c| !is_name(c)).unwrap_or(rest.len());
                region = start + (line.len() - rest.len());
                text = &rest[name_len..];
                bases = usize::from(text.trim_start().starts_with('('));
                text = text.trim_start().strip_prefix('(').unwrap_or(text);
            }
        }
        let mut word = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (word, is_name(c)) {
                (None, true) => word = Some(i),
                (Some(from), false) => {
                    word = None;
                    let name = &text[from..i];
                    if !name.starts_with(|c: char| c.is_ascii_digit()) {
                        let used = until.entry(name).or_insert(0);
                        *used = (*used).max(if bases > 0 { usize::MAX } else { region });
                    }
                }
                _ => {}
            }
            match c {
                '(' | '[' if bases > 0 => bases += 1,
                ')' | ']' if bases > 0 => bases -= 1,
                _ => {}
            }
        }
    }
    until
}

/// Read models from source text (the demo's embedded models.py): `app_label` names the app,
/// `path` is shown in errors.
pub fn load_source(app_label: &str, path: &str, source: &str) -> Result<Vec<ModelDecl>> {
    load_app_source(app_label, FieldKind::BigAutoField, path, source)
}

/// [`load_source`] for an app whose `default_auto_field` is `auto_field`.
pub fn load_app_source(
    app_label: &str,
    auto_field: FieldKind,
    path: &str,
    source: &str,
) -> Result<Vec<ModelDecl>> {
    load_apps_source(&[(app_label, auto_field, path, source)])
}

/// [`load_app_source`] for several apps at once, read together (one file each, `(app label,
/// default_auto_field, path, text)`); their declarations come in the order of the files.
pub fn load_apps_source(apps: &[(&str, FieldKind, &str, &str)]) -> Result<Vec<ModelDecl>> {
    let mut files = Vec::with_capacity(apps.len());
    for &(app_label, auto_field, path, source) in apps {
        let path = PathBuf::from(path);
        let program = parse_source(&path, source)?;
        files.push(SourceFile {
            module: Some(py_module(&path, source, &program.body)),
            program,
            path: path.into(),
            app: AppInfo {
                label: app_label.to_string(),
                auto_field,
            },
            stub: None,
        });
    }
    let modules: Vec<Arc<PyModule>> = files.iter().filter_map(|f| f.module.clone()).collect();
    files.extend(third_party());
    let mut decls = read::declarations(&files, &mut Interner::default()).0;
    attach_modules(&mut decls, &modules);
    Ok(decls)
}

/// The stand-ins of third-party packages' model base classes (`third_party.py`) and the
/// abstract bases of Django's own apps ([`contrib::stubs`](super::contrib::stubs)), one file
/// per module they stand in for.
fn third_party() -> Vec<SourceFile> {
    const STUBS: &str = include_str!("models_py/third_party.py");
    let mut files = Vec::new();
    let stubs = STUBS.split("# module: ").skip(1).map(|part| {
        let (module, text) = part.split_once('\n').unwrap_or((part, ""));
        (module.trim(), text)
    });
    for (module, text) in stubs.chain(super::contrib::stubs()) {
        let program = crate::syntax::parse_module(text).expect("the stand-ins parse");
        files.push(SourceFile {
            path: PathBuf::from(format!("<{module}>")).into(),
            app: AppInfo {
                label: module.split('.').next().unwrap_or(module).to_string(),
                auto_field: FieldKind::AutoField,
            },
            program,
            module: None,
            stub: Some(module),
        });
    }
    files
}

/// A parsed models file and the app it belongs to.
struct SourceFile {
    path: Rc<Path>,
    app: AppInfo,
    program: Program,
    /// Its Python, as it runs (for the large file read in batches, made apart).
    module: Option<Arc<PyModule>>,
    /// For the stand-in of a third-party package's module (`mptt.models`), its dotted name.
    stub: Option<&'static str>,
}

/// What an app's `AppConfig` says: its label and `default_auto_field`.
#[derive(Debug, Clone)]
struct AppInfo {
    label: String,
    auto_field: FieldKind,
}

/// How deep under a project root to look for apps (a bound against folder cycles).
const MAX_SCAN_DEPTH: usize = 12;
/// Folders under a project root that never hold the project's apps.
const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "migrations",
    "site-packages",
    "venv",
    "env",
    "__pycache__",
];

/// The models files under `path`, each with its app folder.
fn discover(path: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let path = std::fs::canonicalize(path).map_err(|e| io_error(path, &e))?;
    if path.is_file() {
        let parent = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let app_dir = match parent.file_name() {
            Some(name) if name == "models" && parent.join("__init__.py").is_file() => {
                parent.parent().unwrap_or(&parent).to_path_buf()
            }
            _ => parent,
        };
        return Ok(vec![(path, app_dir)]);
    }
    let mut found = Vec::new();
    scan(&path, 0, &mut found)?;
    if found.is_empty() {
        return Err(Diagnostic::new(
            ErrorKind::Io,
            format!("--models {}: no models.py found", path.display()),
        ));
    }
    Ok(found)
}

/// Collect `dir`'s models files if it is an app folder, and look in its subfolders (an app
/// may hold apps).
fn scan(dir: &Path, depth: usize, found: &mut Vec<(PathBuf, PathBuf)>) -> Result<()> {
    app_files(dir, found)?;
    let package = dir.join("models");
    if depth >= MAX_SCAN_DEPTH {
        return Ok(());
    }
    let subfolders = match sorted_entries(dir) {
        Ok(entries) => entries,
        Err(e) if depth == 0 => return Err(e),
        Err(_) => return Ok(()), // an unreadable folder deep in a project holds no app of ours
    };
    for sub in subfolders {
        let name = sub
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let skipped = name.starts_with('.')
            || SKIPPED_DIRS.contains(&name.as_str())
            || sub == package
            || sub.join("pyvenv.cfg").exists();
        if sub.is_dir() && !skipped {
            scan(&sub, depth + 1, found)?;
        }
    }
    Ok(())
}

/// Collect app folder `dir`'s models files: its `models.py`, or its `models/` package's.
fn app_files(dir: &Path, found: &mut Vec<(PathBuf, PathBuf)>) -> Result<()> {
    let models_py = dir.join("models.py");
    let package = dir.join("models");
    if models_py.is_file() {
        found.push((models_py, dir.to_path_buf()));
    } else if package.join("__init__.py").is_file() {
        for file in sorted_entries(&package)? {
            if file.extension().is_some_and(|e| e == "py") && file.is_file() {
                found.push((file, dir.to_path_buf()));
            }
        }
    }
    Ok(())
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(paths)
}

/// The app's label (the folder name unless its `apps.py` sets `label`) and
/// `default_auto_field` (BigAutoField, the project template's default, unless set).
fn app_info(app_dir: &Path) -> Result<AppInfo> {
    let mut app = AppInfo {
        label: app_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        auto_field: FieldKind::BigAutoField,
    };
    let apps_py = app_dir.join("apps.py");
    if !apps_py.is_file() {
        return Ok(app);
    }
    for stmt in &parse_file(&apps_py)?.body {
        let StmtKind::ClassDef { body, .. } = &stmt.kind else {
            continue;
        };
        for stmt in body {
            let StmtKind::Assign { targets, value } = &stmt.kind else {
                continue;
            };
            let (Some(ExprKind::Name(name)), ExprKind::Str(text)) =
                (targets.first().map(|t| &t.kind), &value.kind)
            else {
                continue;
            };
            match name.as_str() {
                "label" => app.label = text.to_string(),
                "default_auto_field" => {
                    let class = text.rsplit('.').next().unwrap_or(text);
                    if let Some(kind) = FieldKind::from_django_name(class) {
                        app.auto_field = kind;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(app)
}

/// Read and parse a Python file.
fn parse_file(path: &Path) -> Result<Program> {
    let source = std::fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
    parse_source(path, &source)
}

/// Parse a file's text as a module; a syntax error names the file and line, and keeps its
/// span, as do the errors of the statements not read in module-level classes.
fn parse_source(path: &Path, source: &str) -> Result<Program> {
    let locate = locator(path, source);
    let mut program = crate::syntax::parse_module(source).map_err(|mut d| {
        locate(&mut d);
        d
    })?;
    locate_unread(&mut program.body, &locate);
    Ok(program)
}

/// Name the file, line and column of a diagnostic about `source`.
fn locator(path: &Path, source: &str) -> impl Fn(&mut Diagnostic) {
    move |d: &mut Diagnostic| {
        let at = d.span.map(|s| line_col(source, s.start));
        d.message = match at {
            Some((line, col)) => format!("{}:{line}:{col}: {}", path.display(), d.message),
            None => format!("{}: {}", path.display(), d.message),
        };
    }
}

/// Name the place of each unread statement at module level and in class bodies.
pub(super) fn locate_unread(
    body: &mut [crate::syntax::ast::Stmt],
    locate: &dyn Fn(&mut Diagnostic),
) {
    for stmt in body {
        match &mut stmt.kind {
            StmtKind::Unread { error, .. } => locate(error),
            StmtKind::ClassDef { body, .. } => locate_unread(body, locate),
            _ => {}
        }
    }
}

/// 1-based line and column of a byte offset.
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::new(ErrorKind::Io, format!("--models {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A models file of `copies` groups of classes: abstract and multi-table inheritance,
    /// many-to-many fields with auto-created through models, relations to classes defined
    /// far before (in another app, by `Meta.app_label`), statements djq does not read.
    fn large_models(copies: usize) -> String {
        let mut text = String::from("from django.db import models\n\nMAX = 40\n\n");
        text += "class Label(models.CharField):\n    pass\n\n";
        for i in 0..copies {
            let owner = i / 2;
            text += &format!(
                r#"class Base{i}(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Owner{i}(models.Model):
    name = Label(max_length=MAX)
    friends = models.ManyToManyField("self")

    class Meta:
        app_label = "people"


class Place{i}(Base{i}):
    name = models.CharField(max_length=50)


class Restaurant{i}(Place{i}):
    serves = models.BooleanField(default=False)
    tags = models.ManyToManyField(Owner{i})
    owner = models.ForeignKey(Owner{owner}, on_delete=models.CASCADE)

    def __str__(self):
        return self.name

"#
            );
            if i % 5 == 0 {
                text += &format!(
                    "class Odd{i}(models.Model):\n    x = = 1\n\n\
                     class Bad{i}(models.Model):\n    name = models.CharField(max_length=(\n\n"
                );
            }
        }
        text
    }

    #[test]
    fn a_large_file_read_in_batches_declares_what_reading_it_whole_does() {
        let dir = tempfile::tempdir().unwrap();
        let app = |label: &str, text: &str| {
            let path = dir.path().join(label).join("models.py");
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            let info = AppInfo {
                label: label.to_string(),
                auto_field: FieldKind::BigAutoField,
            };
            (path, info)
        };
        let review = "from django.db import models\nfrom shop.models import Owner7, Place3\n\n\
                      class Review(models.Model):\n    \
                      place = models.ForeignKey(Place3, on_delete=models.CASCADE)\n    \
                      by = models.ForeignKey(Owner7, on_delete=models.CASCADE)\n";
        let files = vec![
            app("a_reviews", review),
            app("shop", &large_models(60)),
            app("z_reviews", review),
        ];
        let whole = read_files(files.clone(), u64::MAX, BATCH).unwrap();
        let batched = read_files(files, 0, 7).unwrap();
        assert!(whole.decls.len() > 300 && whole.warnings.len() > 20);
        assert_eq!(format!("{:?}", batched.decls), format!("{:?}", whole.decls));
        assert_eq!(batched.warnings, whole.warnings);
    }
}
