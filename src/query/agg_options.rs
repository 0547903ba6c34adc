//! What aggregates take beyond `Count(expr, distinct=, filter=, default=)`: `StringAgg`'s
//! delimiter, `order_by=`, an explicit `output_field=`, and `function=` (Django's
//! `Aggregate(F('x'), function='SUM')`, the class used directly). `E` is [`super::FExpr`]
//! as written and [`super::Expr`] once resolved. The options themselves are defined beside
//! the expressions that hold them ([`super::expr`]); this file resolves them.

pub use super::expr::AggOptions;

impl super::Query {
    /// The aggregate `agg` with its options resolved (`order_by=` names as `F()`s, with
    /// `-` for descending).
    pub(super) fn with_agg_options(
        &mut self,
        schema: &crate::schema::Schema,
        mut agg: super::Expr,
        options: &AggOptions<super::FExpr>,
    ) -> crate::diag::Result<super::Expr> {
        // Most aggregates take none: the aggregate already holds the default ones.
        if *options == AggOptions::default() {
            return Ok(agg);
        }
        let resolved = options.try_map(|f| self.resolve_f(schema, f, None))?;
        if let super::Expr::Aggregate { options, .. } = &mut agg {
            **options = resolved;
        }
        Ok(agg)
    }
}
