//! SQL: compiles the query IR into SQL text and bound parameters.
//!
//! [`compiler`] writes Django's SELECT shapes, [`insert`] and [`modify`] its INSERT, UPDATE and
//! DELETE statements; [`dialect`] owns every backend difference; [`window`] writes OVER clauses.

mod aggregate;
pub mod compiler;
pub mod dialect;
mod frag;
pub mod insert;
pub mod modify;
mod window;

pub use compiler::{
    Compiled, Statement, aggregate_over, aggregate_over_py, count, count_py, select, select_py,
};
pub use dialect::Dialect;
