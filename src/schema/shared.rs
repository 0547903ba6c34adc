//! What the schema holds many equal copies of, shared: fields' names and columns (the same
//! names recur across a project's models: `id`, `name`, `created`), other short texts (app
//! labels, indexes' columns) and `choices` lists. An [`Interner`] hands out
//! one shared copy of each distinct value while models.py is read.
//!
//! A [`Name`] reads as the `String` it holds (it derefs to one), and is not `Clone`: `.clone()`
//! reaches the `String`, an owned copy, as it did when fields held strings; [`Name::share`]
//! gives another handle on the same text.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::value::Value;

/// An immutable name whose text may be shared. Compared, ordered and hashed as its text.
#[derive(Default)]
pub struct Name(Arc<Text>);

/// A name's text, and whether it holds a `"`. SQL doubles that character where it quotes a
/// name, and a name (a table's, a column's) is quoted into statement after statement: it is
/// looked for once, when the name is made (the text never changes after).
#[derive(Default)]
struct Text {
    text: String,
    quote: bool,
}

impl Name {
    /// Another handle on the same text.
    pub fn share(&self) -> Name {
        Name(Arc::clone(&self.0))
    }

    /// Whether the text holds a `"`.
    pub fn has_quote(&self) -> bool {
        self.0.quote
    }
}

impl Deref for Name {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0.text
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0.text
    }
}

impl PartialEq for Name {
    /// Two handles on one text are equal without reading it (an alias compared with the
    /// alias map's, a column with the schema's: most comparisons the query stage makes).
    fn eq(&self, other: &Name) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || **self == **other
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Self {
        Name::from(text.to_string())
    }
}

impl From<String> for Name {
    fn from(text: String) -> Self {
        let quote = text.contains('"');
        Name(Arc::new(Text { text, quote }))
    }
}

impl From<&String> for Name {
    fn from(text: &String) -> Self {
        Name::from(text.as_str())
    }
}

impl From<&Name> for Name {
    fn from(name: &Name) -> Self {
        name.share()
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        **self == *other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        **self == *other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        *self == ***other
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        **self == ***other
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        *self == **other
    }
}

/// A field's `choices`: `(value, label)` pairs, read as a slice; clones share the list.
#[derive(Clone, Default)]
pub struct Choices(Option<Arc<Vec<(Value, String)>>>);

impl Deref for Choices {
    type Target = [(Value, String)];
    fn deref(&self) -> &[(Value, String)] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl From<Vec<(Value, String)>> for Choices {
    fn from(list: Vec<(Value, String)>) -> Self {
        Choices((!list.is_empty()).then(|| Arc::new(list)))
    }
}

impl PartialEq for Choices {
    fn eq(&self, other: &Choices) -> bool {
        **self == **other
    }
}

impl<const N: usize> PartialEq<[(Value, String); N]> for Choices {
    fn eq(&self, other: &[(Value, String); N]) -> bool {
        **self == other[..]
    }
}

impl PartialEq<Vec<(Value, String)>> for Choices {
    fn eq(&self, other: &Vec<(Value, String)>) -> bool {
        **self == other[..]
    }
}

impl fmt::Debug for Choices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// One shared copy of each distinct name and choices list.
#[derive(Default)]
pub struct Interner {
    names: HashSet<Name>,
    texts: HashSet<Arc<str>>,
    /// By their `Debug` text (values are not `Hash`).
    choices: HashMap<String, Choices>,
}

impl Interner {
    /// The name for `text`, sharing the text of an earlier one.
    pub fn name(&mut self, text: &str) -> Name {
        if let Some(name) = self.names.get(text) {
            return name.share();
        }
        let name = Name::from(text);
        self.names.insert(name.share());
        name
    }

    /// The shared copy of `text`.
    pub fn text(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.texts.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.texts.insert(Arc::clone(&shared));
        shared
    }

    /// These choices, sharing an equal earlier list.
    pub fn choices(&mut self, list: Vec<(Value, String)>) -> Choices {
        if list.is_empty() {
            return Choices::default();
        }
        let key = format!("{list:?}");
        self.choices
            .entry(key)
            .or_insert_with(|| list.into())
            .clone()
    }
}
