//! Helpers shared by the integration tests (`mod support;`); each test binary uses only some
//! of them.
#![allow(dead_code)]

pub mod models_py;
pub mod output;
pub mod peak;
pub mod pg;
pub mod repl;
pub mod slow;
pub mod text;

/// The two database backends djq speaks to, named as in the recordings' file names.
#[derive(Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}
