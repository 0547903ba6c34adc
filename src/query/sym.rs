//! [`Sym`]: the names the query IR holds (aliases, tables, columns), copied wherever the IR
//! refers to a table or column.

use crate::schema::Name;
use std::fmt;
use std::ops::Deref;

/// A name in the query IR: it reads as a `str`, and a clone shares the text (a column's
/// with the schema's field, an alias's with the alias map) instead of copying it.
#[derive(PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(Name);

impl Sym {
    /// Whether the name holds a `"` (known since the name was made).
    pub fn has_quote(&self) -> bool {
        self.0.has_quote()
    }
}

impl Clone for Sym {
    fn clone(&self) -> Sym {
        Sym(self.0.share())
    }
}

impl Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        self
    }
}

impl From<&Name> for Sym {
    fn from(name: &Name) -> Sym {
        Sym(name.share())
    }
}

impl From<String> for Sym {
    fn from(text: String) -> Sym {
        Sym(Name::from(text))
    }
}

impl From<&str> for Sym {
    fn from(text: &str) -> Sym {
        Sym(Name::from(text))
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A name compared with text read out of it (an alias the alias map is searched for, given
/// as a `&str`) is equal without reading the text.
fn same_text(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        same_text(self, other)
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        same_text(self, other)
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, other: &String) -> bool {
        **self == **other
    }
}

impl PartialEq<Sym> for str {
    fn eq(&self, other: &Sym) -> bool {
        *self == **other
    }
}

impl PartialEq<Sym> for &str {
    fn eq(&self, other: &Sym) -> bool {
        **self == **other
    }
}

impl PartialEq<Sym> for String {
    fn eq(&self, other: &Sym) -> bool {
        **self == **other
    }
}
