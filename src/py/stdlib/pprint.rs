//! `pprint`: `pprint` and `pformat` as Python's `PrettyPrinter` lays values out — on one
//! line when they fit in `width`, else a dict's items and a list's or tuple's elements one
//! per line (packed several to a line with `compact=True`), dict keys sorted.

use super::bad_args;
use crate::diag::Result;
use crate::py::{Args, Host, Interp, Obj};
use crate::syntax::ast::CmpOp;
use crate::value::Value;

pub const FUNCTIONS: &[&str] = &["pprint.pprint", "pprint.pformat"];

/// How the printer lays out.
struct Layout {
    width: usize,
    compact: bool,
    sort_dicts: bool,
}

impl<H: Host> Interp<H> {
    pub(super) fn call_pprint(&mut self, name: &str, args: &Args) -> Result<Obj> {
        let v = args
            .pos
            .first()
            .map(|(o, _)| o.clone())
            .ok_or_else(|| bad_args(name, args))?;
        let flag = |k: &str, default: bool| match args.kwarg(k) {
            Some(Obj::Value(Value::Bool(b))) => *b,
            _ => default,
        };
        let layout = Layout {
            width: match args.kwarg("width") {
                Some(Obj::Value(Value::Int(n))) if *n > 0 => *n as usize,
                _ => 80,
            },
            compact: flag("compact", false),
            sort_dicts: flag("sort_dicts", true),
        };
        let mut out = String::new();
        self.pp_format(&v, &layout, 0, 0, &mut out)?;
        if name == "pprint.pformat" {
            return Ok(Obj::str(out));
        }
        out.push('\n');
        self.write_out(&out)?;
        Ok(Obj::NONE)
    }

    /// A dict's pairs, sorted by key when the layout says so.
    fn pp_pairs(&mut self, pairs: Vec<(Obj, Obj)>, layout: &Layout) -> Result<Vec<(Obj, Obj)>> {
        if !layout.sort_dicts {
            return Ok(pairs);
        }
        let mut sorted: Vec<(Obj, Obj)> = Vec::with_capacity(pairs.len());
        for p in pairs {
            let mut at = sorted.len();
            for (i, (k, _)) in sorted.iter().enumerate() {
                let span = crate::diag::Span::default();
                if self.compare(CmpOp::Lt, &p.0, k, span).unwrap_or(false) {
                    at = i;
                    break;
                }
            }
            sorted.insert(at, p);
        }
        Ok(sorted)
    }

    /// `repr()` with dicts' keys sorted (PrettyPrinter's `_safe_repr`).
    fn pp_repr(&mut self, o: &Obj, layout: &Layout) -> Result<String> {
        match o {
            Obj::Dict(d) => {
                let pairs = self.pp_pairs(d.borrow().clone(), layout)?;
                let mut parts = Vec::new();
                for (k, v) in &pairs {
                    parts.push(format!(
                        "{}: {}",
                        self.pp_repr(k, layout)?,
                        self.pp_repr(v, layout)?
                    ));
                }
                Ok(format!("{{{}}}", parts.join(", ")))
            }
            Obj::List(_) | Obj::Tuple(_) => {
                let items = o.items().unwrap_or_default();
                let mut parts = Vec::new();
                for i in &items {
                    parts.push(self.pp_repr(i, layout)?);
                }
                Ok(match o {
                    Obj::List(_) => format!("[{}]", parts.join(", ")),
                    _ if parts.len() == 1 => format!("({},)", parts[0]),
                    _ => format!("({})", parts.join(", ")),
                })
            }
            other => self.repr(other),
        }
    }

    /// PrettyPrinter's `_format`.
    fn pp_format(
        &mut self,
        o: &Obj,
        layout: &Layout,
        indent: usize,
        allowance: usize,
        out: &mut String,
    ) -> Result<()> {
        let rep = self.pp_repr(o, layout)?;
        let fits = rep.chars().count() <= layout.width.saturating_sub(indent + allowance);
        match o {
            Obj::Dict(d) if !fits && !d.borrow().is_empty() => {
                out.push('{');
                let pairs = self.pp_pairs(d.borrow().clone(), layout)?;
                let inner = indent + 1;
                let last = pairs.len() - 1;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    let key = self.pp_repr(k, layout)?;
                    out.push_str(&key);
                    out.push_str(": ");
                    let a = if i == last { allowance + 1 } else { 1 };
                    self.pp_format(v, layout, inner + key.chars().count() + 2, a, out)?;
                    if i != last {
                        out.push_str(",\n");
                        out.push_str(&" ".repeat(inner));
                    }
                }
                out.push('}');
            }
            Obj::List(_) | Obj::Tuple(_) if !fits && !o.items().unwrap_or_default().is_empty() => {
                let items = o.items().unwrap_or_default();
                let (open, close) = match o {
                    Obj::List(_) => ("[", "]"),
                    _ if items.len() == 1 => ("(", ",)"),
                    _ => ("(", ")"),
                };
                out.push_str(open);
                self.pp_items(&items, layout, indent, allowance + close.len(), out)?;
                out.push_str(close);
            }
            _ => out.push_str(&rep),
        }
        Ok(())
    }

    /// PrettyPrinter's `_format_items`.
    fn pp_items(
        &mut self,
        items: &[Obj],
        layout: &Layout,
        indent: usize,
        allowance: usize,
        out: &mut String,
    ) -> Result<()> {
        let indent = indent + 1;
        let delimnl = format!(",\n{}", " ".repeat(indent));
        let mut delim = String::new();
        let mut max_width = (layout.width + 1).saturating_sub(indent) as i64;
        let mut width = max_width;
        for (i, item) in items.iter().enumerate() {
            let last = i + 1 == items.len();
            if last {
                max_width -= allowance as i64;
                width -= allowance as i64;
            }
            if layout.compact {
                let rep = self.pp_repr(item, layout)?;
                let w = rep.chars().count() as i64 + 2;
                if width < w {
                    width = max_width;
                    if !delim.is_empty() {
                        delim = delimnl.clone();
                    }
                }
                if width >= w {
                    width -= w;
                    out.push_str(&delim);
                    delim = ", ".into();
                    out.push_str(&rep);
                    continue;
                }
            }
            out.push_str(&delim);
            delim = delimnl.clone();
            self.pp_format(item, layout, indent, if last { allowance } else { 1 }, out)?;
        }
        Ok(())
    }
}
