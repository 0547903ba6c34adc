//! Names the schema holds many of (fields' names and columns): shared, since the same names
//! recur across a project's models (`id`, `name`, `created`).
//!
//! A [`Name`] reads as the `String` it holds (it derefs to one), and is not `Clone`: `.clone()`
//! reaches the `String`, an owned copy, as it did when fields held strings; [`Name::share`]
//! gives another handle on the same text.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable name whose text may be shared.
#[derive(PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Name(Arc<String>);

impl Name {
    /// Another handle on the same text.
    pub fn share(&self) -> Name {
        Name(Arc::clone(&self.0))
    }
}

impl Deref for Name {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Self {
        Name(Arc::new(text.to_string()))
    }
}

impl From<String> for Name {
    fn from(text: String) -> Self {
        Name(Arc::new(text))
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
        *self.0 == *other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        *self == **other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        **self == **other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        *self == *other.0
    }
}

/// Interned names: one shared text per distinct name.
#[derive(Default)]
pub struct Names(HashSet<Name>);

impl Names {
    /// The name for `text`, sharing the text of an earlier one.
    pub fn get(&mut self, text: &str) -> Name {
        if let Some(name) = self.0.get(text) {
            return name.share();
        }
        let name = Name::from(text);
        self.0.insert(name.share());
        name
    }
}
