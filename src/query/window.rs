//! The pieces of window expressions (`Window(expression, partition_by=, order_by=,
//! frame=)`): Django's window functions (`RowNumber`, `Rank`, `Lag`, ...), frames
//! (`RowRange`, `ValueRange`) and the terms of a window's ORDER BY. `window_resolve` resolves
//! a `Window` into the query IR; the SQL writer's part is `sql::window`.

use super::Nulls;
use crate::value::ValueType;

/// `django.db.models.functions.window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFunc {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    NthValue,
}

impl WindowFunc {
    pub const ALL: [WindowFunc; 11] = [
        WindowFunc::RowNumber,
        WindowFunc::Rank,
        WindowFunc::DenseRank,
        WindowFunc::PercentRank,
        WindowFunc::CumeDist,
        WindowFunc::Ntile,
        WindowFunc::Lag,
        WindowFunc::Lead,
        WindowFunc::FirstValue,
        WindowFunc::LastValue,
        WindowFunc::NthValue,
    ];

    pub fn from_name(name: &str) -> Option<WindowFunc> {
        WindowFunc::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The class name.
    pub fn name(self) -> &'static str {
        use WindowFunc::*;
        match self {
            RowNumber => "RowNumber",
            Rank => "Rank",
            DenseRank => "DenseRank",
            PercentRank => "PercentRank",
            CumeDist => "CumeDist",
            Ntile => "Ntile",
            Lag => "Lag",
            Lead => "Lead",
            FirstValue => "FirstValue",
            LastValue => "LastValue",
            NthValue => "NthValue",
        }
    }

    /// The SQL function.
    pub fn sql(self) -> &'static str {
        use WindowFunc::*;
        match self {
            RowNumber => "ROW_NUMBER",
            Rank => "RANK",
            DenseRank => "DENSE_RANK",
            PercentRank => "PERCENT_RANK",
            CumeDist => "CUME_DIST",
            Ntile => "NTILE",
            Lag => "LAG",
            Lead => "LEAD",
            FirstValue => "FIRST_VALUE",
            LastValue => "LAST_VALUE",
            NthValue => "NTH_VALUE",
        }
    }

    /// The type of the values, given the first argument's: a decimal is not quantized to
    /// the field's places (SQLite's converter quantizes only columns).
    pub fn output(self, first: Option<ValueType>) -> ValueType {
        use WindowFunc::*;
        match self {
            RowNumber | Rank | DenseRank | Ntile => ValueType::Int,
            PercentRank | CumeDist => ValueType::Float,
            Lag | Lead | FirstValue | LastValue | NthValue => match first {
                Some(ValueType::Decimal { .. }) => ValueType::Decimal { places: None },
                other => other.unwrap_or(ValueType::Any),
            },
        }
    }
}

/// `RowRange(start, end, exclusion)` (`rows`) or `ValueRange(...)`: `None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub rows: bool,
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// `exclusion=WindowFrameExclusion.X` (Django 5.1+): ` EXCLUDE X`.
    pub exclusion: Option<Exclusion>,
}

/// Django's `WindowFrameExclusion` members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusion {
    CurrentRow,
    Group,
    Ties,
    NoOthers,
}

impl Exclusion {
    pub const ALL: [Exclusion; 4] = [
        Exclusion::CurrentRow,
        Exclusion::Group,
        Exclusion::Ties,
        Exclusion::NoOthers,
    ];

    /// The member's name: `CURRENT_ROW`.
    pub fn name(self) -> &'static str {
        match self {
            Exclusion::CurrentRow => "CURRENT_ROW",
            Exclusion::Group => "GROUP",
            Exclusion::Ties => "TIES",
            Exclusion::NoOthers => "NO_OTHERS",
        }
    }

    /// The member's value, as the frame clause writes it: `CURRENT ROW`.
    pub fn sql(self) -> &'static str {
        match self {
            Exclusion::CurrentRow => "CURRENT ROW",
            Exclusion::Group => "GROUP",
            Exclusion::Ties => "TIES",
            Exclusion::NoOthers => "NO OTHERS",
        }
    }
}

impl Frame {
    /// Django's `window_frame_rows_start_end` / `window_frame_range_start_end` checks.
    pub fn check(&self) -> std::result::Result<(), String> {
        match (self.rows, self.start, self.end) {
            (true, Some(s), Some(e)) if s > e => Err("start cannot be greater than end.".into()),
            (false, Some(s), _) if s > 0 => Err(format!(
                "start argument must be a negative integer, zero, or None, but got '{s}'."
            )),
            (false, _, Some(e)) if e < 0 => Err(format!(
                "end argument must be a positive integer, zero, or None, but got '{e}'."
            )),
            _ => Ok(()),
        }
    }

    /// `ROWS BETWEEN 2 PRECEDING AND CURRENT ROW`.
    pub fn sql(&self) -> String {
        let point = |v: Option<i64>, unbounded: &str| match v {
            None => unbounded.to_string(),
            Some(0) => "CURRENT ROW".to_string(),
            Some(n) if n < 0 => format!("{} PRECEDING", n.unsigned_abs()),
            Some(n) => format!("{n} FOLLOWING"),
        };
        format!(
            "{} BETWEEN {} AND {}{}",
            if self.rows { "ROWS" } else { "RANGE" },
            point(self.start, "UNBOUNDED PRECEDING"),
            point(self.end, "UNBOUNDED FOLLOWING"),
            self.exclusion
                .map(|e| format!(" EXCLUDE {}", e.sql()))
                .unwrap_or_default()
        )
    }
}

/// One term of a window's ORDER BY: `F('x')` has no direction, `F('x').desc()` or `'-x'` has.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowOrder<E> {
    pub expr: E,
    pub descending: Option<bool>,
    pub nulls: Option<Nulls>,
}
