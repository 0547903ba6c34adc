//! Django's enumerations for `choices=`: `models.TextChoices`, `models.IntegerChoices` and
//! `models.Choices`. A class deriving from one becomes a [`ChoicesClass`] when its statement
//! runs (in models.py, nested in a model, or typed in the shell); its members are
//! [`ChoiceMember`]s, which are their values (`==`, `hash()`, filters and writes see the
//! value) and have Django's `.label`, `.value` and `.name`; the class has `.choices`,
//! `.values`, `.labels`, `.names`, `Genre('FIC')`, `Genre['FICTION']`, iteration and `len()`.

use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::classes::Class;
use crate::py::{Native, Obj};
use crate::syntax::ast::{ExprKind, Stmt, StmtKind};
use crate::value::Value;
use std::borrow::Cow;
use std::rc::Rc;

/// `models.TextChoices` and its siblings, as bases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChoicesBase(&'static str);

impl Native for ChoicesBase {
    fn type_name(&self) -> Cow<'_, str> {
        "ChoicesType".into()
    }
    fn is_singleton(&self) -> bool {
        true
    }
    crate::native_equals!();
    crate::native_any!();
}

/// The bases `django.db.models` (and `django.db.models.enums`) define.
pub(super) fn bases() -> [(&'static str, Obj); 3] {
    ["Choices", "IntegerChoices", "TextChoices"].map(|n| (n, Obj::new_native(ChoicesBase(n))))
}

/// An enumeration: its name and members, with the label of `__empty__` when it has one.
#[derive(Debug, PartialEq)]
pub struct ChoicesClass {
    name: String,
    /// `__qualname__`: `Novel.Genre` for an enumeration nested in a model.
    qualname: String,
    /// (name, value, label), in definition order.
    members: Vec<(String, Value, String)>,
    empty: Option<String>,
}

impl Native for ChoicesClass {
    fn type_name(&self) -> Cow<'_, str> {
        "ChoicesType".into()
    }
    fn callable(&self) -> bool {
        true
    }
    fn qualified(&self, owner: &str) -> Option<Obj> {
        Some(Obj::new_native(ChoicesClass {
            name: self.name.clone(),
            qualname: format!("{owner}.{}", self.qualname),
            members: self.members.clone(),
            empty: self.empty.clone(),
        }))
    }
    fn equals(&self, other: &dyn Native) -> bool {
        std::ptr::eq(
            self,
            other
                .as_any()
                .downcast_ref::<ChoicesClass>()
                .map_or(std::ptr::null(), |o| o),
        )
    }
    crate::native_any!();
}

/// One member of an enumeration.
#[derive(Debug)]
pub struct ChoiceMember {
    class: Rc<ChoicesClass>,
    index: usize,
}

impl ChoiceMember {
    fn entry(&self) -> &(String, Value, String) {
        &self.class.members[self.index]
    }
}

impl Native for ChoiceMember {
    fn type_name(&self) -> Cow<'_, str> {
        self.class.name.as_str().into()
    }
    fn equals(&self, other: &dyn Native) -> bool {
        other
            .as_any()
            .downcast_ref::<ChoiceMember>()
            .is_some_and(|o| Rc::ptr_eq(&o.class, &self.class) && o.index == self.index)
    }
    fn value(&self) -> Option<Value> {
        Some(self.entry().1.clone())
    }
    crate::native_any!();
}

/// What a `class` statement makes of a class deriving from an enumeration base.
pub(super) fn made(class: &Rc<Class>, body: &[Stmt]) -> Result<Option<Obj>> {
    if !class
        .bases
        .iter()
        .any(|b| b.native::<ChoicesBase>().is_some())
    {
        return Ok(None);
    }
    let dict = class.dict.borrow();
    let mut members = Vec::new();
    let mut empty = None;
    for stmt in body {
        let StmtKind::Assign { targets, .. } = &stmt.kind else {
            continue;
        };
        let [target] = targets.as_slice() else {
            continue;
        };
        let ExprKind::Name(name) = &target.kind else {
            continue;
        };
        let Some(obj) = dict.get(name.as_str()) else {
            continue;
        };
        if name == "__empty__" {
            empty = Some(label_text(obj)?);
            continue;
        }
        if name.starts_with('_') || members.iter().any(|(n, _, _)| n == name) {
            continue;
        }
        // Django's `ChoicesType`: a tuple ending in a string is (value..., label).
        let (value, label) = match obj.items().filter(|_| matches!(obj, Obj::Tuple(_))) {
            Some(mut items)
                if items.len() > 1 && matches!(items.last(), Some(Obj::Value(Value::Text(_)))) =>
            {
                let label = label_text(&items.pop().expect("two items"))?;
                if items.len() > 1 {
                    return Err(not_supported(&class.name, name));
                }
                (items.pop().expect("one item"), Some(label))
            }
            _ => (obj.clone(), None),
        };
        let Obj::Value(value) = value else {
            return Err(not_supported(&class.name, name));
        };
        let label = label
            .unwrap_or_else(|| crate::schema::introspect::python_title(&name.replace('_', " ")));
        members.push((name.to_string(), value, label));
    }
    Ok(Some(Obj::new_native(ChoicesClass {
        name: class.name.clone(),
        qualname: class.name.clone(),
        members,
        empty,
    })))
}

fn label_text(o: &Obj) -> Result<String> {
    match o {
        Obj::Value(Value::Text(s)) => Ok(s.clone()),
        Obj::Value(v) => Ok(v.to_python_str()),
        other => Err(Diagnostic::new(
            ErrorKind::NotSupported,
            format!(
                "a choices label of type {} is not supported by djq yet",
                other.type_name()
            ),
        )),
    }
}

fn not_supported(class: &str, name: &str) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::NotSupported,
        format!(
            "{class}.{name}: choices whose values are not plain values are not supported by djq yet"
        ),
    )
}

fn class_of(o: &Obj) -> Option<Rc<ChoicesClass>> {
    match o {
        Obj::Native(n) => n.clone().into_any().downcast::<ChoicesClass>().ok(),
        _ => None,
    }
}

fn member(class: &Rc<ChoicesClass>, index: usize) -> Obj {
    Obj::new_native(ChoiceMember {
        class: class.clone(),
        index,
    })
}

/// `Genre.FICTION`, `Genre.choices`, `Genre.FICTION.label`, ...
pub(super) fn attribute(o: &Obj, name: &str) -> Option<Obj> {
    if let Some(m) = o.native::<ChoiceMember>() {
        let (member_name, value, label) = m.entry();
        return Some(match name {
            "value" | "_value_" => Obj::Value(value.clone()),
            "label" => Obj::str(label.clone()),
            "name" | "_name_" => Obj::str(member_name.clone()),
            "do_not_call_in_templates" => Obj::Value(Value::Bool(true)),
            _ => return None,
        });
    }
    let class = class_of(o)?;
    let empty = class.empty.as_ref();
    Some(match name {
        "choices" => {
            Obj::list(
                empty
                    .map(|l| Obj::tuple(vec![Obj::Value(Value::Null), Obj::str(l.clone())]))
                    .into_iter()
                    .chain(class.members.iter().map(|(_, v, l)| {
                        Obj::tuple(vec![Obj::Value(v.clone()), Obj::str(l.clone())])
                    }))
                    .collect(),
            )
        }
        "values" => Obj::list(
            empty
                .map(|_| Obj::Value(Value::Null))
                .into_iter()
                .chain(class.members.iter().map(|(_, v, _)| Obj::Value(v.clone())))
                .collect(),
        ),
        "labels" => Obj::list(
            empty
                .cloned()
                .into_iter()
                .chain(class.members.iter().map(|(_, _, l)| l.clone()))
                .map(Obj::str)
                .collect(),
        ),
        "names" => Obj::list(
            empty
                .map(|_| "__empty__".to_string())
                .into_iter()
                .chain(class.members.iter().map(|(n, _, _)| n.clone()))
                .map(Obj::str)
                .collect(),
        ),
        "__name__" => Obj::str(class.name.clone()),
        "__qualname__" => Obj::str(class.qualname.clone()),
        _ => member(
            &class,
            class.members.iter().position(|(n, _, _)| n == name)?,
        ),
    })
}

/// `Genre('FIC')`: the member of that value.
pub(super) fn call(f: &Obj, args: &crate::py::Args) -> Option<Result<Obj>> {
    let class = class_of(f)?;
    let given = match args.pos.as_slice() {
        [(o, _)] if args.kw.is_empty() => crate::py::obj::as_plain(o).into_owned(),
        _ => {
            return Some(Err(Diagnostic::new(
                ErrorKind::Type,
                format!("{}() takes one value", class.name),
            )
            .at(args.span)));
        }
    };
    let found = class.members.iter().position(|(_, v, _)| {
        matches!(&given, Obj::Value(g) if crate::py::nested::py_eq(&Obj::Value(g.clone()), &Obj::Value(v.clone())).unwrap_or(false))
    });
    Some(match found {
        Some(i) => Ok(member(&class, i)),
        None => Err(Diagnostic::new(
            ErrorKind::Value,
            format!(
                "{} is not a valid {}",
                match &given {
                    Obj::Value(v) => crate::value::python_repr(v),
                    other => other.type_name().to_string(),
                },
                class.qualname
            ),
        )
        .at(args.span)),
    })
}

/// The members, in order (`list(Genre)`), which `len()` counts.
pub(super) fn items(o: &Obj) -> Option<Vec<Obj>> {
    let class = class_of(o)?;
    Some(
        (0..class.members.len())
            .map(|i| member(&class, i))
            .collect(),
    )
}

/// `Genre['FICTION']`.
pub(super) fn subscript(o: &Obj, key: &Obj) -> Option<Result<Obj>> {
    let class = class_of(o)?;
    let Obj::Value(Value::Text(name)) = key else {
        return Some(Err(Diagnostic::new(ErrorKind::Key, format!("{key:?}"))));
    };
    Some(match class.members.iter().position(|(n, _, _)| n == name) {
        Some(i) => Ok(member(&class, i)),
        None => Err(Diagnostic::new(ErrorKind::Key, format!("'{name}'"))),
    })
}

/// `str()` of a member (its value's) and `repr()` of a member (`Novel.Genre.FICTION`: its
/// class's `__qualname__`) or class.
pub(super) fn text(o: &Obj, repr: bool) -> Option<String> {
    if let Some(m) = o.native::<ChoiceMember>() {
        let (name, value, _) = m.entry();
        return Some(if repr {
            format!("{}.{name}", m.class.qualname)
        } else {
            value.to_python_str()
        });
    }
    class_of(o).map(|c| format!("<enum '{}'>", c.name))
}
