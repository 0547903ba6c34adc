//! What aggregates take beyond `Count(expr, distinct=, filter=, default=)`: `StringAgg`'s
//! delimiter, `order_by=`, an explicit `output_field=`, and `function=` (Django's
//! `Aggregate(F('x'), function='SUM')`, the class used directly). `E` is [`super::FExpr`]
//! as written and [`super::Expr`] once resolved.

use super::expr::DbType;

#[derive(Debug, Clone, PartialEq)]
pub struct AggOptions<E> {
    /// `StringAgg(expr, delimiter)`: the delimiter expression (`Value(',')`).
    pub delimiter: Option<E>,
    /// `order_by=`: the expressions and whether each is descending.
    pub order_by: Vec<(E, bool)>,
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

impl super::Query {
    /// The aggregate `agg` with its options resolved (`order_by=` names as `F()`s, with
    /// `-` for descending).
    pub(super) fn with_agg_options(
        &mut self,
        schema: &crate::schema::Schema,
        mut agg: super::Expr,
        options: &AggOptions<super::FExpr>,
    ) -> crate::diag::Result<super::Expr> {
        let resolved = options.try_map(|f| self.resolve_f(schema, f, None))?;
        if let super::Expr::Aggregate { options, .. } = &mut agg {
            **options = resolved;
        }
        Ok(agg)
    }
}
