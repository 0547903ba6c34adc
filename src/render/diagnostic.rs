//! Diagnostics as text: the error line, then — when the source is known and the diagnostic
//! has a span — where it is and the source line with a caret under the span, then the help.
//!
//! ```text
//! error: FieldError: Cannot resolve keyword 'pags' into field. Choices are: ...
//!   --> -c:1:21
//!    |
//!  1 | Book.objects.filter(pags__gt=400)
//!    |                     ^^^^^^^^
//!    = help: did you mean 'pages'?
//! ```

use owo_colors::Style as Paint;
use unicode_width::UnicodeWidthStr;

use super::{Style, escape_controls};
use crate::diag::{Diagnostic, ErrorKind};

const TAB: &str = "    ";

/// The exception name as Python prints it: `FieldError`, `Book.DoesNotExist`.
fn exception_name(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::DoesNotExist(model) | ErrorKind::MultipleObjectsReturned(model)
            if !model.is_empty() =>
        {
            format!("{model}.{}", kind.python_name())
        }
        ErrorKind::RelatedObjectDoesNotExist(related) => {
            format!("{}.{}", related.0, kind.python_name())
        }
        _ => kind.python_name(),
    }
}

/// Renders `d` (without a trailing newline). `source` is the name shown for the input (`-c`,
/// a file name, `<stdin>`) and its whole text, which the span indexes by bytes.
pub fn diagnostic(d: &Diagnostic, source: Option<(&str, &str)>, style: Style) -> String {
    let mut lines = vec![format!(
        "{}: {}: {}",
        style.paint("error", Paint::new().red().bold()),
        exception_name(&d.kind),
        escape_controls(&d.message)
    )];
    let blue = Paint::new().blue().bold();
    let mut indent = "  ".to_string();
    if let (Some(span), Some((name, text))) = (d.span, source) {
        let at = Location::find(text, span.start, span.end);
        let number = at.line.to_string();
        indent = " ".repeat(number.len() + 2);
        let gutter = style.paint("|", blue);
        lines.push(format!(
            "{}{} {name}:{}:{}",
            " ".repeat(number.len() + 1),
            style.paint("-->", blue),
            at.line,
            at.column
        ));
        lines.push(format!("{indent}{gutter}"));
        let (shown, offset, width) = window(&visible(at.text), at.offset, at.width);
        lines.push(format!(" {} {gutter} {shown}", style.paint(&number, blue),));
        lines.push(format!(
            "{indent}{gutter} {}{}",
            " ".repeat(offset),
            style.paint("^".repeat(width), Paint::new().red().bold())
        ));
    }
    if let Some(help) = &d.help {
        lines.push(format!(
            "{indent}{} {}",
            style.paint("= help:", Paint::new().bold()),
            escape_controls(help)
        ));
    }
    lines.join("\n")
}

/// Where a span falls in its source.
#[derive(Debug, PartialEq, Eq)]
struct Location<'a> {
    /// 1-based line number.
    line: usize,
    /// 1-based column, in characters.
    column: usize,
    /// The line's text (without its newline).
    text: &'a str,
    /// Display width before the span on that line.
    offset: usize,
    /// Display width of the caret: the span's part on its first line, at least 1.
    width: usize,
}

impl<'a> Location<'a> {
    fn find(text: &'a str, start: usize, end: usize) -> Location<'a> {
        let mut start = floor_boundary(text, start);
        let end = floor_boundary(text, end).max(start);
        // An empty span at the end of the input points just past its last character.
        let content_end = text.trim_end().len();
        if start == end && start >= content_end {
            start = content_end;
        }
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let before = &text[line_start..start];
        let underlined = &text[start..end.min(line_end)];
        Location {
            line: text[..start].matches('\n').count() + 1,
            column: before.chars().filter(|&c| c != '\u{feff}').count() + 1,
            text: text[line_start..line_end].trim_end_matches('\r'),
            offset: display_width(before),
            width: display_width(underlined).max(1),
        }
    }
}

fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn display_width(s: &str) -> usize {
    visible(s.trim_end_matches('\r')).width()
}

/// A source line as shown: tabs expanded, other control characters (a NUL byte, an escape)
/// escaped as everywhere djq shows text ([`escape_controls`]: `\x00`), so that nothing
/// invisible or terminal-controlling reaches the screen and every character has a width; a
/// byte order mark dropped.
fn visible(line: &str) -> String {
    let line = line.replace('\t', TAB).replace('\u{feff}', "");
    escape_controls(&line).into_owned()
}

/// The widest source line shown in full, in columns; longer lines are cut to a window of
/// this width around the caret, with `...` where text was cut.
const MAX_SHOWN: usize = 120;
/// Columns shown before the caret when a long line is cut.
const BEFORE_CARET: usize = 40;

/// `(text, caret offset, caret width)` of `line` (already [`visible`]) with its caret at
/// `offset` columns, `width` wide: the whole line when it fits in [`MAX_SHOWN`] columns, else
/// a window of it.
fn window(line: &str, offset: usize, width: usize) -> (String, usize, usize) {
    if line.width() <= MAX_SHOWN {
        return (line.to_string(), offset, width);
    }
    let first = offset.saturating_sub(BEFORE_CARET);
    let mut shown = String::new();
    let mut column = 0;
    let mut cut_end = false;
    for c in line.chars() {
        let w = c.to_string().width();
        if column >= first {
            if column + w > first + MAX_SHOWN {
                cut_end = true;
                break;
            }
            shown.push(c);
        }
        column += w;
    }
    let lead = if first > 0 { "..." } else { "" };
    let caret_at = offset - first + lead.len();
    let room = MAX_SHOWN.saturating_sub(offset - first).max(1);
    let text = format!("{lead}{shown}{}", if cut_end { "..." } else { "" });
    (text, caret_at, width.min(room))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_follow_lines_and_characters() {
        let text = "a = 1\nBook.objects.get(titre='é')\n";
        let at = Location::find(text, 23, 28);
        assert_eq!((at.line, at.column, at.offset, at.width), (2, 18, 17, 5));
        assert_eq!(at.text, "Book.objects.get(titre='é')");
        // Empty span at the very end: just after the last character.
        let at = Location::find(text, text.len(), text.len());
        assert_eq!((at.line, at.column, at.width), (2, 28, 1));
        // Out-of-range and mid-character spans are clamped.
        let at = Location::find("é", 1, 99);
        assert_eq!((at.line, at.column, at.width), (1, 1, 1));
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = format!("{}X{}", "a".repeat(200), "b".repeat(200));
        let (text, offset, width) = window(&line, 200, 1);
        assert_eq!(text.len(), 3 + MAX_SHOWN + 3);
        assert!(text.starts_with("...aaa") && text.ends_with("bbb..."));
        assert_eq!(&text[offset..offset + 1], "X");
        assert_eq!(width, 1);
        let (text, offset, width) = window(&line, 0, 1000);
        assert_eq!((&text[..3], offset, width), ("aaa", 0, MAX_SHOWN));
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(visible("a\0b\tc\x1b\u{feff}"), "a\\x00b    c\\x1b");
        assert_eq!(display_width("\0"), 4);
    }
}
