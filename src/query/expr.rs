//! Resolved expressions and the where tree of the query IR.

use super::{Query, Sym};
use crate::schema::FieldKind;
use crate::value::{Value, ValueType};

/// A column of a table in the query's alias map.
#[derive(Debug, Clone, PartialEq)]
pub struct Col {
    pub alias: Sym,
    pub column: Sym,
    pub ty: ValueType,
    pub nullable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    /// `F(...).bitand(x)`, `.bitor(x)`, `.bitxor(x)`, `.bitleftshift(x)`, `.bitrightshift(x)`.
    BitAnd,
    BitOr,
    BitXor,
    LeftShift,
    RightShift,
}

impl Arith {
    pub fn symbol(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
            Arith::Mod => "%",
            Arith::Pow => "^",
            Arith::BitAnd => "&",
            Arith::BitOr => "|",
            Arith::BitXor => "#",
            Arith::LeftShift => "<<",
            Arith::RightShift => ">>",
        }
    }

    /// The operator of Django's `F(...).bitand(x)`, ... method named `name`.
    pub fn bitwise(name: &str) -> Option<Arith> {
        Some(match name {
            "bitand" => Arith::BitAnd,
            "bitor" => Arith::BitOr,
            "bitxor" => Arith::BitXor,
            "bitleftshift" => Arith::LeftShift,
            "bitrightshift" => Arith::RightShift,
            _ => return None,
        })
    }
}

/// Date/time parts for `__year`, `__month`, ... transforms (Django's `Extract` lookup names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    Year,
    IsoYear,
    Quarter,
    Month,
    Week,
    Day,
    WeekDay,
    IsoWeekDay,
    Hour,
    Minute,
    Second,
}

impl DatePart {
    pub const ALL: [DatePart; 11] = [
        DatePart::Year,
        DatePart::IsoYear,
        DatePart::Quarter,
        DatePart::Month,
        DatePart::Week,
        DatePart::Day,
        DatePart::WeekDay,
        DatePart::IsoWeekDay,
        DatePart::Hour,
        DatePart::Minute,
        DatePart::Second,
    ];

    pub fn from_name(name: &str) -> Option<DatePart> {
        DatePart::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            DatePart::Year => "year",
            DatePart::IsoYear => "iso_year",
            DatePart::Quarter => "quarter",
            DatePart::Month => "month",
            DatePart::Week => "week",
            DatePart::Day => "day",
            DatePart::WeekDay => "week_day",
            DatePart::IsoWeekDay => "iso_week_day",
            DatePart::Hour => "hour",
            DatePart::Minute => "minute",
            DatePart::Second => "second",
        }
    }

    /// Parts that only exist on times (`hour`, `minute`, `second`).
    pub fn is_time_part(self) -> bool {
        matches!(self, DatePart::Hour | DatePart::Minute | DatePart::Second)
    }
}

/// A field's database type as a cast spells it (`varchar(20)`, `integer`, `numeric(5, 2)`),
/// with `dims` array dimensions (`varchar(20)[]` for an ArrayField of CharField).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbType {
    pub kind: FieldKind,
    pub max_length: Option<u32>,
    pub decimal: Option<(u32, u32)>,
    pub dims: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Col(Col),
    /// A bound parameter.
    Value(Value),
    /// `(lhs op rhs)`
    Combined {
        op: Arith,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `__year`, `__month`, ... on a date, datetime or time source.
    Extract {
        part: DatePart,
        source: Box<Expr>,
    },
    /// `__date` on a datetime.
    CastDate(Box<Expr>),
    /// `__time` on a datetime.
    CastTime(Box<Expr>),
    /// JSONField key transforms (Django's `KeyTransform`, chained ones collapsed into one
    /// path): `data__owner__name` has keys `["owner", "name"]`; `text` for the variant that
    /// gives text (`KeyTextTransform`, used by the text lookups).
    KeyTransform {
        source: Box<Expr>,
        keys: Vec<String>,
        text: bool,
    },
    /// ArrayField `__0`: the element at a 1-based `index`, of the base field's type.
    ArrayIndex {
        source: Box<Expr>,
        index: i64,
        ty: ValueType,
    },
    /// ArrayField `__0_2`: elements `start..=end`, 1-based.
    ArraySlice {
        source: Box<Expr>,
        start: i64,
        end: i64,
    },
    /// ArrayField `__len`.
    ArrayLen(Box<Expr>),
    /// `__unaccent` on text (django.contrib.postgres).
    Unaccent(Box<Expr>),
    /// `(SELECT ...)`
    Subquery(Box<Query>),
    /// `EXISTS(SELECT ...)`
    Exists(Box<Query>),
    /// A literal `1` (the `exists()` marker column).
    One,
    /// `(expr)`
    Parens(Box<Expr>),
    /// `COUNT(DISTINCT x) FILTER (WHERE ...)`, wrapped in `COALESCE(..., default)`.
    Aggregate {
        func: AggFunc,
        /// `None` for `Count('*')`.
        arg: Option<Box<Expr>>,
        distinct: bool,
        filter: Option<Box<WhereNode>>,
        default: Option<Box<Expr>>,
        /// Resolved a second time (used in a filter): the filter prints in parentheses.
        resolved: bool,
        /// `StringAgg`'s delimiter, `order_by=`, `output_field=`, `function=`.
        options: Box<AggOptions<Expr>>,
    },
    /// A database function (`LOWER(x)`, `COALESCE(a, b)`, `CAST(x AS ...)`), producing `output`.
    Func {
        func: super::func::FuncKind,
        args: Vec<Expr>,
        output: ValueType,
    },
    /// `CASE WHEN cond THEN x ... ELSE default END`.
    Case {
        whens: Vec<(WhereNode, Expr)>,
        default: Box<Expr>,
        output: ValueType,
        /// Resolved a second time (an annotation used in a filter): Django then prints each
        /// condition in parentheses (`WhereNode.resolved`).
        resolved: bool,
    },
    /// `OuterRef('name')` before its queryset is nested: resolved against the query
    /// `depth` levels out when it is (`OuterRef(OuterRef('pk'))` has depth 1).
    OuterRef {
        name: String,
        depth: u32,
    },
    /// `NOT expr` (`~Exists(...)`).
    Not(Box<Expr>),
    /// A condition used as a value (`annotate(flag=Q(...))`).
    Condition(Box<WhereNode>),
    /// An annotation referred to by name (`filter(num_books__gt=2)`, `order_by('-n')`).
    Ref {
        name: String,
        source: Box<Expr>,
    },
    /// `(a, b)`: a composite primary key's columns, or a row of values compared with them.
    Tuple(Vec<Expr>),
    /// The user's own SQL (`extra(select=..., where=...)`, Django's `RawSQL`), printed in
    /// parentheses as written: `%s` marks a parameter, `%%` a literal `%`.
    Raw {
        sql: String,
        params: Vec<Value>,
    },
    /// `RANK()`, `LAG(x, 1)`: a window function (inside `Window` only).
    WindowFunc {
        func: super::window::WindowFunc,
        args: Vec<Expr>,
        output: ValueType,
    },
    /// `source OVER (PARTITION BY ... ORDER BY ... ROWS BETWEEN ...)`: never an aggregate
    /// itself (not grouped), grouped by its partition and ordering.
    Window {
        source: Box<Expr>,
        partition_by: Vec<Expr>,
        order_by: Vec<super::window::WindowOrder<Expr>>,
        frame: Option<super::window::Frame>,
    },
    /// A lookup or transform written in Python ([`super::py_call`]): its SQL is the
    /// class's, asked for when the SQL is written.
    Py(Box<super::py_call::PyCall<Expr>>),
    /// A date function given `tzinfo=` (an [`Expr::Extract`], a `Trunc` [`Expr::Func`], an
    /// [`Expr::CastDate`] or [`Expr::CastTime`]): it converts its datetime to the zone
    /// `tzname` (Django's `get_tzname()`: `UTC+05:30` for a fixed offset) instead of the
    /// current one.
    InZone {
        tzname: String,
        expr: Box<Expr>,
    },
}

/// Django's aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    StdDev {
        sample: bool,
    },
    Variance {
        sample: bool,
    },
    /// `AnyValue(expr)`: some value of the group (SQLite: the first row's).
    AnyValue,
    BitAnd,
    BitOr,
    BitXor,
    /// `StringAgg(expr, delimiter)`: `GROUP_CONCAT` on SQLite, `STRING_AGG` on PostgreSQL.
    StringAgg,
    /// The `Aggregate` class used directly, with its `function=`.
    Aggregate,
}

impl AggFunc {
    /// Every aggregate class (`sample` is an argument of the call).
    pub const ALL: [AggFunc; 13] = [
        AggFunc::Count,
        AggFunc::Sum,
        AggFunc::Avg,
        AggFunc::Min,
        AggFunc::Max,
        AggFunc::StdDev { sample: false },
        AggFunc::Variance { sample: false },
        AggFunc::AnyValue,
        AggFunc::BitAnd,
        AggFunc::BitOr,
        AggFunc::BitXor,
        AggFunc::StringAgg,
        AggFunc::Aggregate,
    ];

    pub fn from_name(name: &str) -> Option<AggFunc> {
        AggFunc::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The class name (`Count`), lower-cased in default aliases (`pages__count`).
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "Count",
            AggFunc::Sum => "Sum",
            AggFunc::Avg => "Avg",
            AggFunc::Min => "Min",
            AggFunc::Max => "Max",
            AggFunc::StdDev { .. } => "StdDev",
            AggFunc::Variance { .. } => "Variance",
            AggFunc::AnyValue => "AnyValue",
            AggFunc::BitAnd => "BitAnd",
            AggFunc::BitOr => "BitOr",
            AggFunc::BitXor => "BitXor",
            AggFunc::StringAgg => "StringAgg",
            AggFunc::Aggregate => "Aggregate",
        }
    }

    /// Django's `allow_distinct`.
    pub fn allows_distinct(self) -> bool {
        matches!(
            self,
            AggFunc::Count | AggFunc::Sum | AggFunc::Avg | AggFunc::StringAgg
        )
    }

    /// Django's `allow_order_by`.
    pub fn allows_order_by(self) -> bool {
        self == AggFunc::StringAgg
    }

    /// The SQL function.
    pub fn sql(self) -> &'static str {
        match self {
            AggFunc::Count => "COUNT",
            AggFunc::Sum => "SUM",
            AggFunc::Avg => "AVG",
            AggFunc::Min => "MIN",
            AggFunc::Max => "MAX",
            AggFunc::StdDev { sample: false } => "STDDEV_POP",
            AggFunc::StdDev { sample: true } => "STDDEV_SAMP",
            AggFunc::Variance { sample: false } => "VAR_POP",
            AggFunc::Variance { sample: true } => "VAR_SAMP",
            AggFunc::AnyValue => "ANY_VALUE",
            AggFunc::BitAnd => "BIT_AND",
            AggFunc::BitOr => "BIT_OR",
            AggFunc::BitXor => "BIT_XOR",
            AggFunc::StringAgg => "STRING_AGG",
            // Django's `Aggregate.function` is None.
            AggFunc::Aggregate => "None",
        }
    }
}

impl Expr {
    /// The one expression a transform-like node wraps (`__year`, `__date`, key paths,
    /// `(...)`), if this is one.
    pub fn wrapped(&self) -> Option<&Expr> {
        match self {
            Expr::Extract { source: e, .. }
            | Expr::CastDate(e)
            | Expr::CastTime(e)
            | Expr::KeyTransform { source: e, .. }
            | Expr::ArrayIndex { source: e, .. }
            | Expr::ArraySlice { source: e, .. }
            | Expr::ArrayLen(e)
            | Expr::Unaccent(e)
            | Expr::Parens(e)
            | Expr::InZone { expr: e, .. } => Some(e),
            _ => None,
        }
    }

    /// [`Expr::wrapped`], mutably.
    fn wrapped_mut(&mut self) -> Option<&mut Expr> {
        match self {
            Expr::Extract { source: e, .. }
            | Expr::CastDate(e)
            | Expr::CastTime(e)
            | Expr::KeyTransform { source: e, .. }
            | Expr::ArrayIndex { source: e, .. }
            | Expr::ArraySlice { source: e, .. }
            | Expr::ArrayLen(e)
            | Expr::Unaccent(e)
            | Expr::Parens(e)
            | Expr::InZone { expr: e, .. } => Some(e),
            _ => None,
        }
    }

    /// Whether an aggregate is inside (such conditions go to HAVING, such columns are not
    /// grouped by).
    pub fn contains_aggregate(&self) -> bool {
        match self {
            Expr::Aggregate { .. } => true,
            Expr::Ref { source, .. } | Expr::Not(source) => source.contains_aggregate(),
            Expr::Condition(w) => w.contains_aggregate(),
            Expr::Combined { lhs, rhs, .. } => lhs.contains_aggregate() || rhs.contains_aggregate(),
            Expr::Func { args, .. } => args.iter().any(Expr::contains_aggregate),
            Expr::Py(call) => call.args.iter().any(Expr::contains_aggregate),
            Expr::Case { whens, default, .. } => {
                default.contains_aggregate()
                    || whens
                        .iter()
                        .any(|(w, e)| w.contains_aggregate() || e.contains_aggregate())
            }
            e if e.wrapped().is_some() => e.wrapped().is_some_and(Expr::contains_aggregate),
            _ => false,
        }
    }

    /// Whether a window (`OVER`) is inside: Django's `contains_over_clause`.
    pub fn contains_over_clause(&self) -> bool {
        match self {
            Expr::Window { .. } => true,
            Expr::Ref { source: e, .. } | Expr::Not(e) => e.contains_over_clause(),
            Expr::Combined { lhs, rhs, .. } => {
                lhs.contains_over_clause() || rhs.contains_over_clause()
            }
            Expr::Func { args, .. } => args.iter().any(Expr::contains_over_clause),
            e => e.wrapped().is_some_and(Expr::contains_over_clause),
        }
    }

    /// Django's `get_group_by_cols`: the columns grouping must include for this expression
    /// (none for aggregates and constants).
    pub fn group_by_cols(&self) -> Vec<Expr> {
        match self {
            Expr::Col(_) => vec![self.clone()],
            Expr::Aggregate { .. } | Expr::Value(_) | Expr::One => Vec::new(),
            Expr::Window {
                partition_by,
                order_by,
                ..
            } => partition_by
                .iter()
                .chain(order_by.iter().map(|o| &o.expr))
                .flat_map(Expr::group_by_cols)
                .collect(),
            Expr::Ref { source, .. } if source.contains_aggregate() => Vec::new(),
            Expr::Condition(w) => w.group_by_cols(),
            // ExpressionWrapper groups by its expression's columns (a typed `Value`: none),
            // a wrapped condition by the whole wrapper.
            Expr::Func {
                func: super::func::FuncKind::Wrapper,
                args,
                ..
            } if !matches!(args.as_slice(), [Expr::Condition(_)]) => {
                args.iter().flat_map(Expr::group_by_cols).collect()
            }
            _ if self.contains_aggregate() => match self {
                Expr::Combined { lhs, rhs, .. } => {
                    [lhs.group_by_cols(), rhs.group_by_cols()].concat()
                }
                Expr::Func { args, .. } => args.iter().flat_map(Expr::group_by_cols).collect(),
                _ => Vec::new(),
            },
            _ => vec![self.clone()],
        }
    }

    /// The type of the values this expression produces.
    pub fn value_type(&self) -> ValueType {
        match self {
            Expr::Col(c) => c.ty,
            Expr::Py(call) => call.output,
            Expr::Value(v) => match v {
                Value::Int(_) => ValueType::Int,
                Value::Float(_) => ValueType::Float,
                Value::Bool(_) => ValueType::Bool,
                Value::Decimal(_) => ValueType::Decimal { places: None },
                Value::Date(_) => ValueType::Date,
                Value::DateTime(_) | Value::NaiveDateTime(_) => ValueType::DateTime,
                Value::Text(_) => ValueType::Text,
                Value::Duration(_) => ValueType::Duration,
                Value::Time(_) => ValueType::Time,
                _ => ValueType::Any,
            },
            // Django's `_connector_combinations` for numbers: float or decimal wins over int.
            Expr::Combined { op, lhs, rhs } => match (lhs.value_type(), rhs.value_type()) {
                // Django's `TemporalSubtraction`.
                (l @ (ValueType::Date | ValueType::DateTime | ValueType::Time), r)
                    if *op == Arith::Sub && l == r =>
                {
                    ValueType::Duration
                }
                // Django's `_connector_combinations` for a date, datetime or time and a
                // duration: a date becomes a datetime.
                (ValueType::Date | ValueType::DateTime, ValueType::Duration)
                | (ValueType::Duration, ValueType::Date | ValueType::DateTime)
                    if matches!(op, Arith::Add | Arith::Sub) =>
                {
                    ValueType::DateTime
                }
                (ValueType::Time, ValueType::Duration) | (ValueType::Duration, ValueType::Time)
                    if matches!(op, Arith::Add | Arith::Sub) =>
                {
                    ValueType::Time
                }
                (ValueType::Float, _) | (_, ValueType::Float) => ValueType::Float,
                // Django quantizes decimals read from columns only, not from expressions.
                (ValueType::Decimal { .. }, _) | (_, ValueType::Decimal { .. }) => {
                    ValueType::Decimal { places: None }
                }
                (t, _) => t,
            },
            Expr::Extract { .. } => ValueType::Int,
            // Django quantizes decimals read from columns only, not from expressions.
            Expr::Case {
                output: ValueType::Decimal { .. },
                ..
            } => ValueType::Decimal { places: None },
            Expr::Func { output, .. }
            | Expr::Case { output, .. }
            | Expr::WindowFunc { output, .. } => *output,
            Expr::Window { source, .. } => source.value_type(),
            Expr::CastDate(_) => ValueType::Date,
            Expr::CastTime(_) => ValueType::Time,
            Expr::KeyTransform { text: false, .. } | Expr::ArraySlice { .. } => ValueType::Json,
            Expr::KeyTransform { text: true, .. } | Expr::Unaccent(_) => ValueType::Text,
            Expr::ArrayIndex { ty, .. } => *ty,
            Expr::ArrayLen(_) => ValueType::Int,
            Expr::Subquery(q) => q
                .select
                .first()
                .map_or(ValueType::Any, |s| s.expr.value_type()),
            Expr::Exists(_) | Expr::Not(_) | Expr::Condition(_) => ValueType::Bool,
            Expr::OuterRef { .. } | Expr::Raw { .. } => ValueType::Any,
            Expr::One => ValueType::Int,
            Expr::Tuple(_) => ValueType::Any,
            Expr::Parens(e) | Expr::InZone { expr: e, .. } => e.value_type(),
            Expr::Ref { source, .. } => source.value_type(),
            Expr::Aggregate { options, .. } if let Some(ty) = options.output => {
                match super::func::db_value_type(ty) {
                    ValueType::Decimal { .. } => ValueType::Decimal { places: None },
                    t => t,
                }
            }
            Expr::Aggregate { func, arg, .. } => {
                let arg = arg.as_ref().map_or(ValueType::Int, |a| a.value_type());
                match func {
                    AggFunc::Count => ValueType::Int,
                    AggFunc::StringAgg => ValueType::Text,
                    AggFunc::Avg => match arg {
                        ValueType::Decimal { .. } => ValueType::Decimal { places: None },
                        ValueType::Duration => ValueType::Duration,
                        _ => ValueType::Float,
                    },
                    // NumericOutputFieldMixin: a decimal source gives a Decimal.
                    AggFunc::StdDev { .. } | AggFunc::Variance { .. } => match arg {
                        ValueType::Decimal { .. } => ValueType::Decimal { places: None },
                        _ => ValueType::Float,
                    },
                    // Django quantizes decimals read from columns only.
                    AggFunc::Sum
                    | AggFunc::Min
                    | AggFunc::Max
                    | AggFunc::AnyValue
                    | AggFunc::BitAnd
                    | AggFunc::BitOr
                    | AggFunc::BitXor
                    | AggFunc::Aggregate => match arg {
                        ValueType::Decimal { .. } => ValueType::Decimal { places: None },
                        t => t,
                    },
                }
            }
        }
    }

    /// Whether this is a condition every backend accepts bare in WHERE (EXISTS, a Q tree);
    /// Django's `conditional_expression_supported_in_where_clause`.
    pub fn is_condition(&self) -> bool {
        match self {
            Expr::Exists(_) | Expr::Condition(_) => true,
            Expr::Not(e) | Expr::Ref { source: e, .. } | Expr::Parens(e) => e.is_condition(),
            // Nested expression wrappers are unwrapped.
            Expr::Func {
                func: super::func::FuncKind::Wrapper,
                args,
                ..
            } => args.first().is_some_and(Expr::is_condition),
            _ => false,
        }
    }

    /// Whether this is a `Value(...)`, typed by an `output_field` or not.
    pub fn is_value(&self) -> bool {
        match self {
            Expr::Value(_) => true,
            Expr::Func {
                func: super::func::FuncKind::Wrapper,
                args,
                ..
            } => matches!(args.as_slice(), [Expr::Value(_)]),
            _ => false,
        }
    }

    /// Whether the expression can be NULL (for exclude()'s `IS NOT NULL` guards).
    pub fn nullable(&self) -> bool {
        match self {
            Expr::Col(c) => c.nullable,
            _ => false,
        }
    }

    /// Django's second `resolve_expression` of an annotation used in a filter.
    pub fn resolve_again(&mut self) {
        match self {
            Expr::Case {
                whens,
                default,
                resolved,
                ..
            } => {
                *resolved = true;
                whens.iter_mut().for_each(|(_, e)| e.resolve_again());
                default.resolve_again();
            }
            Expr::Func { args, .. } => args.iter_mut().for_each(Expr::resolve_again),
            Expr::Aggregate { resolved, .. } => *resolved = true,
            Expr::Combined { lhs, rhs, .. } => {
                lhs.resolve_again();
                rhs.resolve_again();
            }
            Expr::Not(e) => e.resolve_again(),
            // A resolved WhereNode prints in parentheses (`WhereNode.resolved`).
            Expr::Condition(_) => {
                let cond = std::mem::replace(self, Expr::One);
                *self = Expr::Parens(Box::new(cond));
            }
            _ => {}
        }
    }

    pub fn relabel(&mut self, rename: &dyn Fn(&Sym) -> Sym) {
        match self {
            Expr::Col(c) => c.alias = rename(&c.alias),
            Expr::Subquery(q) | Expr::Exists(q) => q.relabel_all(rename),
            other => other.for_each_child_mut(&mut |e| e.relabel(rename)),
        }
    }

    /// Calls `f` on each expression directly inside this one (a subquery's own expressions
    /// included: see [`Query::for_each_expr_mut`]).
    pub fn for_each_child_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        match self {
            Expr::Combined { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            Expr::Func { args, .. } => args.iter_mut().for_each(f),
            Expr::Case { whens, default, .. } => {
                for (w, e) in whens {
                    w.for_each_expr_mut(f);
                    f(e);
                }
                f(default);
            }
            Expr::Subquery(q) | Expr::Exists(q) => q.for_each_expr_mut(f),
            Expr::Ref { source, .. } | Expr::Not(source) => f(source),
            Expr::Condition(w) => w.for_each_expr_mut(f),
            Expr::Aggregate {
                arg,
                filter,
                default,
                options,
                ..
            } => {
                if let Some(a) = arg {
                    f(a);
                }
                if let Some(d) = &mut options.delimiter {
                    f(d);
                }
                options.order_by.iter_mut().for_each(|(e, _)| f(e));
                if let Some(w) = filter {
                    w.for_each_expr_mut(f);
                }
                if let Some(d) = default {
                    f(d);
                }
            }
            Expr::Col(_) | Expr::Value(_) | Expr::One | Expr::OuterRef { .. } => {}
            Expr::Tuple(items) => items.iter_mut().for_each(f),
            Expr::WindowFunc { args, .. } => args.iter_mut().for_each(f),
            Expr::Py(call) => call.args.iter_mut().for_each(f),
            Expr::Window {
                source,
                partition_by,
                order_by,
                ..
            } => {
                f(source);
                partition_by.iter_mut().for_each(&mut *f);
                order_by.iter_mut().for_each(|o| f(&mut o.expr));
            }
            wrapper => {
                if let Some(inner) = wrapper.wrapped_mut() {
                    f(inner);
                }
            }
        }
    }
}

impl Query {
    /// Django's `relabeled_clone` of a nested query: every alias `rename` changes is renamed,
    /// its own included (an inner query that kept its table's name as its alias takes the new
    /// alias the enclosing query gives that name, as in Django).
    pub(super) fn relabel_all(&mut self, rename: &dyn Fn(&Sym) -> Sym) {
        for t in &mut self.tables {
            t.alias = rename(&t.alias);
            if let Some(j) = t.join.as_mut() {
                j.parent = rename(&j.parent);
            }
        }
        self.for_each_expr_mut(&mut |e| e.relabel(rename));
    }

    /// Calls `f` on each top-level expression of this query: the where tree's, the selected
    /// and hidden annotations', the ordering's and the grouping's (not the combined queries',
    /// which have aliases of their own).
    pub fn for_each_expr_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        self.where_.for_each_expr_mut(f);
        for s in self
            .select
            .iter_mut()
            .chain(&mut self.annotations)
            .chain(&mut self.hidden_annotations)
            .chain(&mut self.extra_select)
        {
            f(&mut s.expr);
        }
        for o in &mut self.order_by {
            if let super::OrderSpec::Expr { expr, .. } = o {
                f(expr);
            }
        }
        if let super::GroupBy::Exprs(exprs) = &mut self.group_by {
            exprs.iter_mut().for_each(&mut *f);
        }
        for t in &mut self.tables {
            if let Some(fr) = t.join.as_mut().and_then(|j| j.filtered.as_mut()) {
                fr.condition.for_each_expr_mut(f);
            }
        }
    }

    /// Columns of enclosing queries referenced from here or from subqueries nested here
    /// (Django's `get_external_cols`).
    pub fn external_cols(&self) -> Vec<Expr> {
        let own: Vec<&str> = self.tables.iter().map(|t| &*t.alias).collect();
        let mut q = self.clone();
        let mut found = Vec::new();
        fn collect(e: &mut Expr, own: &[&str], found: &mut Vec<Expr>) {
            match e {
                Expr::Col(c) if !own.contains(&&*c.alias) => {
                    if !found.contains(e) {
                        found.push(e.clone());
                    }
                }
                other => other.for_each_child_mut(&mut |c| collect(c, own, found)),
            }
        }
        q.for_each_expr_mut(&mut |e| collect(e, &own, &mut found));
        found
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKind {
    Exact,
    IExact,
    Contains,
    IContains,
    StartsWith,
    IStartsWith,
    EndsWith,
    IEndsWith,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Range,
    IsNull,
    Regex,
    IRegex,
    /// `@>` on JSONField and ArrayField (their `contains`).
    DataContains,
    /// `<@`
    ContainedBy,
    /// `&&` (ArrayField)
    Overlap,
    /// `?`, `?&`, `?|` (JSONField)
    HasKey,
    HasKeys,
    HasAnyKeys,
    /// pg_trgm's `%`, `%>`, `%>>` (django.contrib.postgres on text fields)
    TrigramSimilar,
    TrigramWordSimilar,
    TrigramStrictWordSimilar,
}

impl LookupKind {
    pub fn from_name(name: &str) -> Option<LookupKind> {
        use LookupKind::*;
        Some(match name {
            "exact" => Exact,
            "iexact" => IExact,
            "contains" => Contains,
            "icontains" => IContains,
            "startswith" => StartsWith,
            "istartswith" => IStartsWith,
            "endswith" => EndsWith,
            "iendswith" => IEndsWith,
            "gt" => Gt,
            "gte" => Gte,
            "lt" => Lt,
            "lte" => Lte,
            "in" => In,
            "range" => Range,
            "isnull" => IsNull,
            "regex" => Regex,
            "iregex" => IRegex,
            "contained_by" => ContainedBy,
            "overlap" => Overlap,
            "has_key" => HasKey,
            "has_keys" => HasKeys,
            "has_any_keys" => HasAnyKeys,
            "trigram_similar" => TrigramSimilar,
            "trigram_word_similar" => TrigramWordSimilar,
            "trigram_strict_word_similar" => TrigramStrictWordSimilar,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use LookupKind::*;
        match self {
            Exact => "exact",
            IExact => "iexact",
            Contains => "contains",
            IContains => "icontains",
            StartsWith => "startswith",
            IStartsWith => "istartswith",
            EndsWith => "endswith",
            IEndsWith => "iendswith",
            Gt => "gt",
            Gte => "gte",
            Lt => "lt",
            Lte => "lte",
            In => "in",
            Range => "range",
            IsNull => "isnull",
            Regex => "regex",
            IRegex => "iregex",
            DataContains => "contains",
            ContainedBy => "contained_by",
            Overlap => "overlap",
            HasKey => "has_key",
            HasKeys => "has_keys",
            HasAnyKeys => "has_any_keys",
            TrigramSimilar => "trigram_similar",
            TrigramWordSimilar => "trigram_word_similar",
            TrigramStrictWordSimilar => "trigram_strict_word_similar",
        }
    }

    /// The lookups that compare text: KeyTransform reads a JSON key as text for them, and
    /// JSONField compares its text with their value as it is.
    pub fn is_textual(self) -> bool {
        use LookupKind::*;
        self.is_pattern() || matches!(self, IExact | Regex | IRegex)
    }

    /// The lookups whose value becomes a LIKE pattern.
    pub fn is_pattern(self) -> bool {
        use LookupKind::*;
        matches!(
            self,
            Contains | IContains | StartsWith | IStartsWith | EndsWith | IEndsWith
        )
    }
}

/// The right-hand side of a lookup, after value preparation.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// A plain value (bound as a parameter).
    Value(Value),
    /// An expression (`F()`, an outer reference, a subquery).
    Expr(Expr),
    /// `__in` with a list (duplicates and None already removed): the values, or expressions
    /// of them (a bilateral transform's, `UNACCENT(%s)`).
    List(Vec<Expr>),
    /// `__range`, likewise.
    Range(Box<Expr>, Box<Expr>),
    /// `__isnull`
    Bool(bool),
    /// `(col) IN ((?), (?))` — the tuple form Django uses to prefetch forward relations.
    Tuples(Vec<Value>),
    /// `(ARRAY[?, ?])` — a list for an ArrayField lookup, one parameter per element.
    Array(Vec<Value>),
    /// `rhs::type` — ArrayField lookups cast their right-hand side to the field's type.
    Cast(Box<Rhs>, DbType),
}

impl Rhs {
    fn for_each_expr_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        match self {
            Rhs::Expr(e) => f(e),
            Rhs::List(items) => items.iter_mut().for_each(f),
            Rhs::Range(a, b) => {
                f(a);
                f(b);
            }
            Rhs::Cast(inner, _) => inner.for_each_expr_mut(f),
            Rhs::Value(_) | Rhs::Bool(_) | Rhs::Tuples(_) | Rhs::Array(_) => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub lhs: Expr,
    pub kind: LookupKind,
    pub rhs: Rhs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

impl Connector {
    pub fn sql(self) -> &'static str {
        match self {
            Connector::And => "AND",
            Connector::Or => "OR",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum WhereNode {
    Node {
        connector: Connector,
        negated: bool,
        children: Vec<WhereNode>,
    },
    Lookup(Box<Lookup>),
    /// A boolean expression used as a condition (`EXISTS(...)`).
    Condition(Expr),
    /// Matches nothing (`none()`, empty `__in`).
    Nothing,
}

impl WhereNode {
    /// Whether an aggregate is inside (the condition belongs in HAVING).
    pub fn contains_aggregate(&self) -> bool {
        match self {
            WhereNode::Node { children, .. } => children.iter().any(WhereNode::contains_aggregate),
            WhereNode::Lookup(l) => {
                l.lhs.contains_aggregate()
                    || matches!(&l.rhs, Rhs::Expr(e) if e.contains_aggregate())
            }
            WhereNode::Condition(e) => e.contains_aggregate(),
            WhereNode::Nothing => false,
        }
    }

    /// Columns a HAVING clause needs grouped by (outside its aggregates).
    pub fn group_by_cols(&self) -> Vec<Expr> {
        match self {
            WhereNode::Node { children, .. } => {
                children.iter().flat_map(WhereNode::group_by_cols).collect()
            }
            WhereNode::Lookup(l) => {
                let mut cols = l.lhs.group_by_cols();
                if let Rhs::Expr(e) = &l.rhs {
                    cols.extend(e.group_by_cols());
                }
                cols
            }
            WhereNode::Condition(e) => e.group_by_cols(),
            WhereNode::Nothing => Vec::new(),
        }
    }

    pub fn and() -> WhereNode {
        WhereNode::Node {
            connector: Connector::And,
            negated: false,
            children: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, WhereNode::Node { children, .. } if children.is_empty())
    }

    /// Django's `tree.Node.add`: squash a child node with the same connector into this one.
    pub fn add(&mut self, data: WhereNode, conn: Connector) {
        let WhereNode::Node {
            connector,
            children,
            negated,
        } = self
        else {
            let old = std::mem::replace(self, WhereNode::and());
            *self = WhereNode::Node {
                connector: conn,
                negated: false,
                children: vec![old, data],
            };
            return;
        };
        if *connector != conn {
            let obj = WhereNode::Node {
                connector: *connector,
                negated: *negated,
                children: std::mem::take(children),
            };
            *connector = conn;
            *negated = false;
            *children = vec![obj, data];
            return;
        }
        match data {
            WhereNode::Node {
                connector: dc,
                negated: false,
                children: dchildren,
            } if dc == conn || dchildren.len() == 1 => {
                if children.is_empty() {
                    *children = dchildren;
                } else {
                    children.extend(dchildren);
                }
            }
            other => children.push(other),
        }
    }

    pub fn relabel(&mut self, rename: &dyn Fn(&Sym) -> Sym) {
        self.for_each_expr_mut(&mut |e| e.relabel(rename));
    }

    /// Calls `f` on each expression of the tree (lookups' sides, conditions).
    pub fn for_each_expr_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        match self {
            WhereNode::Node { children, .. } => {
                children.iter_mut().for_each(|c| c.for_each_expr_mut(f))
            }
            WhereNode::Lookup(l) => {
                f(&mut l.lhs);
                l.rhs.for_each_expr_mut(f);
            }
            WhereNode::Condition(e) => f(e),
            WhereNode::Nothing => {}
        }
    }
}

/// Django's `allows_composite_expressions`: an expression (`class`, as Django names it)
/// other than a lookup, an ordering or `Count` refuses a composite primary key among its
/// arguments.
pub(super) fn refuse_composite<'e>(
    class: &str,
    args: impl IntoIterator<Item = &'e Expr>,
) -> crate::diag::Result<()> {
    match args.into_iter().any(|a| matches!(a, Expr::Tuple(_))) {
        true => Err(crate::diag::Diagnostic::new(
            crate::diag::ErrorKind::Value,
            format!("{class} expression does not support composite primary keys."),
        )),
        false => Ok(()),
    }
}

/// What an aggregate takes beyond its expression, `distinct=`, `filter=` and `default=`
/// (resolved by [`super::agg_options`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AggOptions<E> {
    /// `StringAgg(expr, delimiter)`: the delimiter expression (`Value(',')`).
    pub delimiter: Option<E>,
    /// `order_by=`: the expressions and each one's direction, `None` for an expression given
    /// without one (a field name, `F('x')`: Django's `OrderByList` writes no `ASC` for them;
    /// `'-x'` and `.asc()`/`.desc()` are `OrderBy`s, which do).
    pub order_by: Vec<(E, Option<bool>)>,
    /// `output_field=`.
    pub output: Option<DbType>,
    /// `function=`: the SQL function; the `Aggregate` class without one prints Django's
    /// `None(...)`.
    pub function: Option<String>,
    /// The `name` of an aggregate class defined in the session (its default alias's suffix).
    pub name: Option<String>,
}

impl<E> Default for AggOptions<E> {
    fn default() -> Self {
        AggOptions {
            delimiter: None,
            order_by: Vec::new(),
            output: None,
            function: None,
            name: None,
        }
    }
}

impl<E> AggOptions<E> {
    /// The same options over `f(expression)`.
    pub fn try_map<T, Err>(
        &self,
        mut f: impl FnMut(&E) -> Result<T, Err>,
    ) -> Result<AggOptions<T>, Err> {
        Ok(AggOptions {
            delimiter: self.delimiter.as_ref().map(&mut f).transpose()?,
            order_by: self
                .order_by
                .iter()
                .map(|(e, desc)| Ok((f(e)?, *desc)))
                .collect::<Result<_, Err>>()?,
            output: self.output,
            function: self.function.clone(),
            name: self.name.clone(),
        })
    }
}
