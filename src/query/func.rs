//! Django's database functions (`django.db.models.functions`): one table from class names
//! to [`FuncKind`], the argument counts each takes and the type of values each produces.
//! The `sql` stage spells them per backend.

use super::expr::{DatePart, DbType, Expr};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::schema::{Field, FieldKind};
use crate::value::{Value, ValueType};

/// A database function; `Left`/`Right` and `Concat` are kept as written, the dialect
/// decides how they are spelled (`SUBSTR` on SQLite, nested `ConcatPair`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuncKind {
    Lower,
    Upper,
    Length,
    /// Django's `ConcatPair` (`Concat(a, b, c)` nests pairs to the right).
    ConcatPair,
    Substr,
    Left,
    Right,
    Trim,
    LTrim,
    RTrim,
    Replace,
    StrIndex,
    Reverse,
    LPad,
    RPad,
    Repeat,
    Abs,
    Round,
    Ceil,
    Floor,
    Mod,
    Power,
    Sqrt,
    Coalesce,
    NullIf,
    Greatest,
    Least,
    /// `Cast(expr, output_field=...)`.
    Cast(DbType),
    /// `ExpressionWrapper(expr, output_field=...)`: the expression, typed.
    Wrapper,
    /// `ExtractYear(x)`, `Extract(x, 'year')`: resolves to [`Expr::Extract`].
    Extract(DatePart),
    /// `TruncMonth(x)`, `Trunc(x, 'month')`.
    Trunc(DatePart),
    /// `TruncDate(x)`, `TruncTime(x)`: resolve to [`Expr::CastDate`]/[`Expr::CastTime`].
    TruncDate,
    TruncTime,
    Now,
    ACos,
    ASin,
    ATan,
    ATan2,
    Cos,
    Cot,
    Degrees,
    Exp,
    Ln,
    Log,
    Radians,
    Sin,
    Tan,
    Sign,
    Pi,
    Random,
    Chr,
    Ord,
    /// `MD5(x)`, `SHA1(x)`, ...: hex digests (SQLite: functions Django registers;
    /// PostgreSQL: `MD5` built in, the SHA family via pgcrypto's `DIGEST`).
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    /// `JSONArray(*expressions)`, `JSONObject(**fields)` (keys and values alternate).
    JsonArray,
    JsonObject,
    /// The `Cast` only PostgreSQL's spelling adds (JSONArray's arguments, JSONObject's keys):
    /// `(x)::type` there, `x` on SQLite.
    PgCast(DbType),
    /// PostgreSQL's `HOST(x)`, which its text lookups on an IP address field compare (Django's
    /// `lookup_cast`: the address without its netmask); `x` on SQLite.
    PgHost,
}

/// How a function's result type follows from its arguments.
enum Output {
    Fixed(ValueType),
    /// The first argument's type (Django's Transform: `Abs`, `Ceil`, `Round`...).
    Source,
    /// Django's `NumericOutputFieldMixin`: decimal if any argument is, else float.
    Numeric,
    /// All arguments must agree (`Coalesce`, `Greatest`, ...).
    Same,
}

/// The functions with a class name of their own (`Cast`, `Extract` and `Trunc` with
/// placeholders the call's arguments replace); `ExtractYear`, `TruncMonth`, ... are the
/// date-part families.
const CLASSES: &[FuncKind] = {
    use FuncKind::*;
    &[
        Lower,
        Upper,
        Length,
        ConcatPair,
        Substr,
        Left,
        Right,
        Trim,
        LTrim,
        RTrim,
        Replace,
        StrIndex,
        Reverse,
        LPad,
        RPad,
        Repeat,
        Abs,
        Round,
        Ceil,
        Floor,
        Mod,
        Power,
        Sqrt,
        Coalesce,
        NullIf,
        Greatest,
        Least,
        Wrapper,
        // The target type comes with the call's `output_field`.
        Cast(DbType {
            kind: FieldKind::TextField,
            max_length: None,
            decimal: None,
            dims: 0,
        }),
        TruncDate,
        TruncTime,
        Now,
        ACos,
        ASin,
        ATan,
        ATan2,
        Cos,
        Cot,
        Degrees,
        Exp,
        Ln,
        Log,
        Radians,
        Sin,
        Tan,
        Sign,
        Pi,
        Random,
        Chr,
        Ord,
        Md5,
        Sha1,
        Sha224,
        Sha256,
        Sha384,
        Sha512,
        JsonArray,
        JsonObject,
        // The generic classes take the part as a second argument.
        Extract(DatePart::Year),
        Trunc(DatePart::Year),
    ]
};

impl FuncKind {
    /// The class name → function, with the argument counts it accepts.
    pub fn from_name(name: &str) -> Option<FuncKind> {
        if let Some(f) = CLASSES.iter().find(|f| f.name() == name) {
            return Some(*f);
        }
        if let Some(part) = name.strip_prefix("Extract") {
            return DatePart::from_name(&snake(part)).map(FuncKind::Extract);
        }
        let part = DatePart::from_name(&snake(name.strip_prefix("Trunc")?))?;
        trunc_part(part).then_some(FuncKind::Trunc(part))
    }

    /// The Django class of a call: `ExtractYear`, `TruncMonth`, or (`generic`, the kind given
    /// as an argument) `Extract`, `Trunc`; [`FuncKind::name`] for the others.
    pub fn class_name(self, generic: bool) -> String {
        match self {
            FuncKind::Extract(part) if !generic => format!("Extract{}", camel(part)),
            FuncKind::Trunc(part) if !generic => format!("Trunc{}", camel(part)),
            f => f.name().to_string(),
        }
    }

    /// Every class name [`FuncKind::from_name`] knows (for completion).
    pub fn class_names() -> Vec<String> {
        let mut names: Vec<String> = CLASSES.iter().map(|f| f.name().to_string()).collect();
        for part in DatePart::ALL {
            names.push(format!("Extract{}", camel(part)));
            if trunc_part(part) {
                names.push(format!("Trunc{}", camel(part)));
            }
        }
        names
    }

    pub fn name(self) -> &'static str {
        use FuncKind::*;
        match self {
            Lower => "Lower",
            Upper => "Upper",
            Length => "Length",
            ConcatPair => "Concat",
            Substr => "Substr",
            Left => "Left",
            Right => "Right",
            Trim => "Trim",
            LTrim => "LTrim",
            RTrim => "RTrim",
            Replace => "Replace",
            StrIndex => "StrIndex",
            Reverse => "Reverse",
            LPad => "LPad",
            RPad => "RPad",
            Repeat => "Repeat",
            Abs => "Abs",
            Round => "Round",
            Ceil => "Ceil",
            Floor => "Floor",
            Mod => "Mod",
            Power => "Power",
            Sqrt => "Sqrt",
            Coalesce => "Coalesce",
            NullIf => "NullIf",
            Greatest => "Greatest",
            Least => "Least",
            Cast(_) => "Cast",
            Wrapper => "ExpressionWrapper",
            Extract(_) => "Extract",
            Trunc(_) => "Trunc",
            TruncDate => "TruncDate",
            TruncTime => "TruncTime",
            Now => "Now",
            ACos => "ACos",
            ASin => "ASin",
            ATan => "ATan",
            ATan2 => "ATan2",
            Cos => "Cos",
            Cot => "Cot",
            Degrees => "Degrees",
            Exp => "Exp",
            Ln => "Ln",
            Log => "Log",
            Radians => "Radians",
            Sin => "Sin",
            Tan => "Tan",
            Sign => "Sign",
            Pi => "Pi",
            Random => "Random",
            Chr => "Chr",
            Ord => "Ord",
            Md5 => "MD5",
            Sha1 => "SHA1",
            Sha224 => "SHA224",
            Sha256 => "SHA256",
            Sha384 => "SHA384",
            Sha512 => "SHA512",
            JsonArray => "JSONArray",
            JsonObject => "JSONObject",
            PgCast(_) => "Cast",
            PgHost => "HOST",
        }
    }

    /// `(min, max)` positional arguments.
    pub fn arity(self) -> (usize, usize) {
        use FuncKind::*;
        match self {
            Lower | Upper | Length | Trim | LTrim | RTrim | Reverse | Abs | Ceil | Floor | Sqrt
            | Cast(_) | Wrapper | TruncDate | TruncTime | ACos | ASin | ATan | Cos | Cot
            | Degrees | Exp | Ln | Radians | Sin | Tan | Sign | Chr | Ord | Md5 | Sha1 | Sha224
            | Sha256 | Sha384 | Sha512 | PgCast(_) | PgHost => (1, 1),
            // JSONObject's fields are keywords.
            Now | Pi | Random | JsonObject => (0, 0),
            JsonArray => (0, usize::MAX),
            // The generic `Extract(x, 'year')` and `Trunc(x, 'month')` take the part too.
            Extract(_) | Trunc(_) => (1, 2),
            Left | Right | StrIndex | Repeat | Mod | Power | NullIf | ATan2 | Log => (2, 2),
            Round => (1, 2),
            Substr => (2, 3),
            Replace => (2, 3),
            LPad | RPad => (2, 3),
            ConcatPair | Coalesce | Greatest | Least => (2, usize::MAX),
        }
    }

    /// Arguments Django fills in when omitted (`Round`'s precision 0, `Replace`'s `''`,
    /// `LPad`'s `' '`).
    pub fn default_arg(self) -> Option<crate::value::Value> {
        use crate::value::Value;
        match self {
            FuncKind::Round => Some(Value::Int(0)),
            FuncKind::Replace => Some(Value::Text(String::new())),
            FuncKind::LPad | FuncKind::RPad => Some(Value::Text(" ".into())),
            _ => None,
        }
    }

    fn output(self) -> Output {
        use FuncKind::*;
        match self {
            Lower | Upper | ConcatPair | Substr | Left | Right | Trim | LTrim | RTrim | Replace
            | Reverse | LPad | RPad | Repeat | Chr | Md5 | Sha1 | Sha224 | Sha256 | Sha384
            | Sha512 | PgHost => Output::Fixed(ValueType::Text),
            Length | StrIndex | Extract(_) | Ord => Output::Fixed(ValueType::Int),
            JsonArray | JsonObject => Output::Fixed(ValueType::Json),
            Cast(ty) => Output::Fixed(db_value_type(ty)),
            TruncDate => Output::Fixed(ValueType::Date),
            TruncTime => Output::Fixed(ValueType::Time),
            Now => Output::Fixed(ValueType::DateTime),
            Abs | Round | Ceil | Floor | Wrapper | Trunc(_) | Sign | PgCast(_) => Output::Source,
            // Django's NumericOutputFieldMixin (no argument: a float)
            Mod | Power | Sqrt | ACos | ASin | ATan | ATan2 | Cos | Cot | Degrees | Exp | Ln
            | Log | Radians | Sin | Tan | Pi | Random => Output::Numeric,
            Coalesce | NullIf | Greatest | Least => Output::Same,
        }
    }

    /// The type of the values the function produces over `args`.
    fn value_type(self, args: &[Expr]) -> ValueType {
        let first = args.first().map_or(ValueType::Any, Expr::value_type);
        match self.output() {
            Output::Fixed(t) => t,
            Output::Source => first,
            Output::Numeric => {
                match args
                    .iter()
                    .map(Expr::value_type)
                    .find(|t| matches!(t, ValueType::Decimal { .. }))
                {
                    Some(_) => ValueType::Decimal { places: None },
                    None => ValueType::Float,
                }
            }
            Output::Same => first,
        }
    }

    /// Django's `_resolve_output_field` for functions typed by their arguments.
    fn check_mixed(self, classes: &[Option<FieldKind>]) -> Result<()> {
        if !matches!(self.output(), Output::Same) && self != FuncKind::ConcatPair {
            return Ok(());
        }
        check_mixed(classes)
    }
}

/// Every source's field (`classes`, where known) must be of the first one's class.
fn check_mixed(classes: &[Option<FieldKind>]) -> Result<()> {
    let known: Vec<FieldKind> = classes.iter().flatten().copied().collect();
    match known.iter().find(|c| !is_instance(known[0], **c)) {
        Some(other) => Err(Diagnostic::new(
            ErrorKind::Field,
            format!(
                "Expression contains mixed types: {}, {}. You must set output_field.",
                known[0].django_name(),
                other.django_name()
            ),
        )),
        None => Ok(()),
    }
}

/// How values of a cast's or `output_field`'s type come back.
pub fn db_value_type(ty: DbType) -> ValueType {
    let mut f = Field::new("", "", ty.kind);
    f.decimal = ty.decimal;
    f.value_type()
}

/// `CharField(max_length=...)`, `DecimalField(max_digits=, decimal_places=)`, ...
pub fn db_type(kind: FieldKind, max_length: Option<u32>, decimal: Option<(u32, u32)>) -> DbType {
    DbType {
        kind,
        max_length,
        decimal,
        dims: 0,
    }
}

/// `year` → `Year`, `iso_week_day` → `IsoWeekDay` (the suffix of `ExtractIsoWeekDay`).
fn camel(part: DatePart) -> String {
    part.name()
        .split('_')
        .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
        .collect()
}

/// Whether a value is a generic `Extract`/`Trunc`'s kind argument (a date part's name; a
/// `tzinfo=` zone name never is one).
pub fn is_kind_arg(v: &Value) -> bool {
    matches!(v, Value::Text(k) if DatePart::from_name(k).is_some())
}

/// The resolved call: `Concat(a, b, c)` as Django's nested `ConcatPair(a, ConcatPair(b, c))`,
/// extracts and date casts as their transforms, the result type from `output_field` when
/// given, else inferred. `source` names the first argument when it is a field (for messages);
/// `classes` are the arguments' field classes where known.
pub fn build(
    func: FuncKind,
    mut args: Vec<Expr>,
    mut classes: Vec<Option<FieldKind>>,
    output: Option<DbType>,
    source: Option<&str>,
    typed: bool,
) -> Result<Expr> {
    // A generic `Extract`/`Trunc` has its kind as second argument, already in `func`.
    if matches!(func, FuncKind::Extract(_) | FuncKind::Trunc(_))
        && matches!(args.get(1), Some(Expr::Value(v)) if is_kind_arg(v))
    {
        args.remove(1);
        if classes.len() > 1 {
            classes.remove(1);
        }
    }
    // A date function's `tzinfo=` comes as one more argument: the zone's name.
    if matches!(
        func,
        FuncKind::Extract(_) | FuncKind::Trunc(_) | FuncKind::TruncDate | FuncKind::TruncTime
    ) && args.len() == 2
    {
        let Some(Expr::Value(Value::Text(tzname))) = args.pop() else {
            unreachable!("a date function's second argument is its zone's name")
        };
        classes.truncate(1);
        if args[0].value_type() != ValueType::DateTime {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "tzinfo can only be used with DateTimeField.",
            ));
        }
        let expr = build(func, args, classes, output, source, typed)?;
        return Ok(Expr::InZone {
            tzname,
            expr: Box::new(expr),
        });
    }
    if func == FuncKind::ConcatPair && args.len() > 2 {
        let first = args.remove(0);
        let first_class = classes.remove(0);
        let rest = build(func, args, classes, output, None, typed)?;
        let rest_class = output.map(|o| o.kind).or(Some(FieldKind::CharField));
        args = vec![first, rest];
        classes = vec![first_class, rest_class];
    }
    let source_ty = args.first().map_or(ValueType::Any, Expr::value_type);
    let temporal = matches!(
        source_ty,
        ValueType::Date | ValueType::DateTime | ValueType::Time
    );
    match func {
        FuncKind::Extract(part) => {
            if !temporal && source_ty != ValueType::Duration {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "Extract input expression must be DateField, DateTimeField, TimeField, or DurationField.",
                ));
            }
            extract_check(part, source_ty, source.unwrap_or_default())?;
            let source = Box::new(args.remove(0));
            return Ok(Expr::Extract { part, source });
        }
        FuncKind::Trunc(_) | FuncKind::TruncDate | FuncKind::TruncTime if !temporal => {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "'{}' isn't a DateField, TimeField, or DateTimeField.",
                    source.unwrap_or_default()
                ),
            ));
        }
        FuncKind::Trunc(_) | FuncKind::TruncDate | FuncKind::TruncTime => {
            trunc_check(func, source_ty, output, source.unwrap_or_default())?;
        }
        _ => {}
    }
    match func {
        FuncKind::TruncDate => return Ok(Expr::CastDate(Box::new(args.remove(0)))),
        FuncKind::TruncTime => return Ok(Expr::CastTime(Box::new(args.remove(0)))),
        _ => {}
    }
    let output = match output {
        Some(ty) => db_value_type(ty),
        None => match func.check_mixed(&classes) {
            Err(d) if typed => return Err(d),
            Err(_) => ValueType::Any,
            Ok(()) => func.value_type(&args),
        },
    };
    // Django quantizes decimals read from columns only, not from expressions.
    let output = match output {
        ValueType::Decimal { .. } => ValueType::Decimal { places: None },
        t => t,
    };
    Ok(Expr::Func { func, args, output })
}

/// Django's `Extract.resolve_expression`: a date has no time components, a duration no
/// calendar ones.
fn extract_check(part: DatePart, source_ty: ValueType, source: &str) -> Result<()> {
    let name = part.name();
    let message = match source_ty {
        ValueType::Date if part.is_time_part() => {
            format!("Cannot extract time component '{name}' from DateField '{source}'.")
        }
        ValueType::Duration
            if !matches!(
                part,
                DatePart::Day | DatePart::Hour | DatePart::Minute | DatePart::Second
            ) =>
        {
            format!("Cannot extract component '{name}' from DurationField '{source}'.")
        }
        _ => return Ok(()),
    };
    Err(Diagnostic::new(ErrorKind::Value, message))
}

/// Django's `TruncBase.resolve_expression`: the output is a date, time or datetime; a date is
/// not truncated to a time part or a datetime, a time not to a calendar part or a datetime.
fn trunc_check(
    func: FuncKind,
    source_ty: ValueType,
    output: Option<DbType>,
    source: &str,
) -> Result<()> {
    let source_kind = match source_ty {
        ValueType::Date => FieldKind::DateField,
        ValueType::Time => FieldKind::TimeField,
        _ => FieldKind::DateTimeField,
    };
    let (kind, out, explicit) = match func {
        FuncKind::TruncDate => ("date", FieldKind::DateField, true),
        FuncKind::TruncTime => ("time", FieldKind::TimeField, true),
        FuncKind::Trunc(part) => {
            let out = output.map_or(source_kind, |o| o.kind);
            (part.name(), out, out != source_kind)
        }
        _ => return Ok(()),
    };
    if !matches!(
        out,
        FieldKind::DateField | FieldKind::DateTimeField | FieldKind::TimeField
    ) {
        return Err(Diagnostic::new(
            ErrorKind::Value,
            "output_field must be either DateField, TimeField, or DateTimeField",
        ));
    }
    let to_datetime = out == FieldKind::DateTimeField;
    let wrong = match source_kind {
        FieldKind::DateField => {
            to_datetime || matches!(kind, "hour" | "minute" | "second" | "time")
        }
        FieldKind::TimeField => {
            to_datetime || matches!(kind, "year" | "quarter" | "month" | "week" | "day" | "date")
        }
        _ => false,
    };
    if !wrong {
        return Ok(());
    }
    let to = if explicit {
        out.django_name()
    } else {
        "DateTimeField"
    };
    Err(Diagnostic::new(
        ErrorKind::Value,
        format!(
            "Cannot truncate {} '{source}' to {to}.",
            source_kind.django_name()
        ),
    ))
}

/// `IsoWeekDay` → `iso_week_day`.
/// Whether Django has a `Trunc<Part>` class for `part`.
fn trunc_part(part: DatePart) -> bool {
    !matches!(
        part,
        DatePart::IsoYear | DatePart::WeekDay | DatePart::IsoWeekDay
    )
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The field class Django gives a `Value` of this value (`Value._resolve_output_field`).
pub fn value_class(v: &crate::value::Value) -> Option<FieldKind> {
    use crate::value::Value;
    Some(match v {
        Value::Text(_) => FieldKind::CharField,
        Value::Bool(_) => FieldKind::BooleanField,
        Value::Int(_) => FieldKind::IntegerField,
        Value::Float(_) => FieldKind::FloatField,
        Value::Decimal(_) => FieldKind::DecimalField,
        Value::Date(_) => FieldKind::DateField,
        Value::DateTime(_) | Value::NaiveDateTime(_) | Value::OffsetDateTime(_) => {
            FieldKind::DateTimeField
        }
        Value::Time(_) => FieldKind::TimeField,
        Value::Duration(_) => FieldKind::DurationField,
        Value::Uuid(_) => FieldKind::UuidField,
        Value::Bytes(_) => FieldKind::BinaryField,
        Value::Null | Value::Json(_) => return None,
    })
}

/// `isinstance(a_field, b.__class__)` over Django's field class hierarchy.
fn is_instance(a: FieldKind, b: FieldKind) -> bool {
    use FieldKind::*;
    let parent = |k: FieldKind| -> Option<FieldKind> {
        Some(match k {
            AutoField | PositiveIntegerField => IntegerField,
            BigAutoField | PositiveBigIntegerField => BigIntegerField,
            SmallAutoField | PositiveSmallIntegerField => SmallIntegerField,
            BigIntegerField | SmallIntegerField => IntegerField,
            SlugField | EmailField | UrlField => CharField,
            DateTimeField => DateField,
            OneToOneField => ForeignKey,
            _ => return None,
        })
    };
    let mut k = Some(a);
    while let Some(c) = k {
        if c == b {
            return true;
        }
        k = parent(c);
    }
    false
}

/// `Case(When(c1, then=x1), ..., default=d)`: typed by `output_field`, else by its results
/// (which must agree, as Django's `_resolve_output_field` wants).
pub fn build_case(
    whens: Vec<(super::WhereNode, Expr)>,
    default: Expr,
    classes: Vec<Option<FieldKind>>,
    output: Option<DbType>,
    typed: bool,
) -> Result<Expr> {
    let output = match (output, check_mixed(&classes)) {
        (Some(ty), _) => db_value_type(ty),
        (None, Err(d)) if typed => return Err(d),
        (None, Err(_)) => ValueType::Any,
        (None, Ok(())) => whens
            .iter()
            .map(|(_, e)| e)
            .chain([&default])
            .map(Expr::value_type)
            .find(|t| *t != ValueType::Any)
            .unwrap_or(ValueType::Any),
    };
    Ok(Expr::Case {
        whens,
        default: Box::new(default),
        output,
        resolved: false,
    })
}

/// The field class of an expression producing values of type `ty` (Django's
/// `_connector_combinations` results).
pub fn type_class(ty: ValueType) -> Option<FieldKind> {
    Some(match ty {
        ValueType::Int => FieldKind::IntegerField,
        ValueType::Float => FieldKind::FloatField,
        ValueType::Decimal { .. } => FieldKind::DecimalField,
        ValueType::Duration => FieldKind::DurationField,
        _ => return None,
    })
}
