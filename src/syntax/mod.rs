//! Syntax: source text → [`ast::Program`] with spans.
//!
//! Owns reading a script's text ([`source`], bounded), tokenising and parsing of djq's Python
//! subset (the grammar in `grammar/`).
//! Nothing here knows about Django.

pub mod ast;
mod lexer;
mod parser;
pub mod scan;
pub mod source;

pub use lexer::KEYWORDS;
pub use parser::{
    needs_more_input, parse_expression, parse_module, parse_module_each, parse_program,
};
