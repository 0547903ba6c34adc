# djq's `django.db.models.Lookup` and `Transform` (and the built-in lookups' classes a
# project's lookups derive from), in the Python djq runs: see src/orm/py_lookups.rs. What a
# method receives: `compiler` (its `compile(node)` gives a node's SQL as `%s` with the node
# as its parameter, see crate::query::py_call) and `connection` (`vendor`, `ops`,
# `operators`). `_register_lookup` is djq's.


class Lookup:
    lookup_name = None
    prepare_rhs = True
    can_use_none_as_rhs = False

    def __init__(self, lhs, rhs):
        self.lhs = lhs
        self.rhs = rhs

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value])

    def process_lhs(self, compiler, connection, lhs=None):
        if lhs is None:
            lhs = self.lhs
        sql, params = compiler.compile(lhs)
        if isinstance(lhs, Lookup):
            sql = "(%s)" % sql
        return sql, params

    def process_rhs(self, compiler, connection):
        value = self.rhs
        if _is_expression(value):
            sql, params = compiler.compile(value)
            if sql and not _parenthesized(value) and sql[0] != "(":
                sql = "(%s)" % sql
            return sql, params
        return self.get_db_prep_lookup(value, connection)

    def rhs_is_direct_value(self):
        return not _is_expression(self.rhs)

    def as_sql(self, compiler, connection):
        raise NotImplementedError("Subclasses must implement as_sql()")


class BuiltinLookup(Lookup):
    def get_rhs_op(self, connection, rhs):
        return connection.operators[self.lookup_name] % rhs

    def as_sql(self, compiler, connection):
        lhs_sql, params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        params = list(params) + list(rhs_params)
        rhs_sql = self.get_rhs_op(connection, rhs_sql)
        return "%s %s" % (lhs_sql, rhs_sql), params


class Exact(BuiltinLookup):
    lookup_name = "exact"


class IExact(BuiltinLookup):
    lookup_name = "iexact"


class GreaterThan(BuiltinLookup):
    lookup_name = "gt"


class GreaterThanOrEqual(BuiltinLookup):
    lookup_name = "gte"


class LessThan(BuiltinLookup):
    lookup_name = "lt"


class LessThanOrEqual(BuiltinLookup):
    lookup_name = "lte"


class In(BuiltinLookup):
    lookup_name = "in"


class Contains(BuiltinLookup):
    lookup_name = "contains"


class IContains(BuiltinLookup):
    lookup_name = "icontains"


class StartsWith(BuiltinLookup):
    lookup_name = "startswith"


class IStartsWith(BuiltinLookup):
    lookup_name = "istartswith"


class EndsWith(BuiltinLookup):
    lookup_name = "endswith"


class IEndsWith(BuiltinLookup):
    lookup_name = "iendswith"


class Range(BuiltinLookup):
    lookup_name = "range"


class IsNull(BuiltinLookup):
    lookup_name = "isnull"


class Regex(BuiltinLookup):
    lookup_name = "regex"


class IRegex(BuiltinLookup):
    lookup_name = "iregex"


class Transform:
    lookup_name = None
    bilateral = False
    arity = 1
    function = None
    template = "%(function)s(%(expressions)s)"

    def __init__(self, expression, **extra):
        self.lhs = expression
        for key in extra:
            setattr(self, key, extra[key])

    @property
    def output_field(self):
        return self.lhs.output_field

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return self.template % {"function": self.function, "expressions": sql}, params

    @classmethod
    def register_lookup(cls, lookup, lookup_name=None):
        _register_lookup(cls, lookup, lookup_name)
        return lookup

    @classmethod
    def _unregister_lookup(cls, lookup, lookup_name=None):
        _unregister_lookup(cls, lookup, lookup_name)


class DatabaseOperations:
    def __init__(self, vendor):
        self.vendor = vendor

    def quote_name(self, name):
        if name.startswith('"') and name.endswith('"'):
            return name
        return '"%s"' % name

    def date_extract_sql(self, lookup_type, sql, params):
        if self.vendor == "sqlite":
            return "django_date_extract(%%s, %s)" % sql, (lookup_type.lower(), *params)
        if lookup_type == "week_day":
            return "EXTRACT(DOW FROM %s) + 1" % sql, params
        if lookup_type == "iso_week_day":
            return "EXTRACT(ISODOW FROM %s)" % sql, params
        if lookup_type == "iso_year":
            return "EXTRACT(ISOYEAR FROM %s)" % sql, params
        return "EXTRACT(%s FROM %s)" % (lookup_type.upper(), sql), params


SQLITE_OPERATORS = {
    "exact": "= %s",
    "iexact": "LIKE %s ESCAPE '\\'",
    "contains": "LIKE %s ESCAPE '\\'",
    "icontains": "LIKE %s ESCAPE '\\'",
    "regex": "REGEXP %s",
    "iregex": "REGEXP '(?i)' || %s",
    "gt": "> %s",
    "gte": ">= %s",
    "lt": "< %s",
    "lte": "<= %s",
    "startswith": "LIKE %s ESCAPE '\\'",
    "endswith": "LIKE %s ESCAPE '\\'",
    "istartswith": "LIKE %s ESCAPE '\\'",
    "iendswith": "LIKE %s ESCAPE '\\'",
}

POSTGRESQL_OPERATORS = {
    "exact": "= %s",
    "iexact": "= UPPER(%s)",
    "contains": "LIKE %s",
    "icontains": "LIKE UPPER(%s)",
    "regex": "~ %s",
    "iregex": "~* %s",
    "gt": "> %s",
    "gte": ">= %s",
    "lt": "< %s",
    "lte": "<= %s",
    "startswith": "LIKE %s",
    "endswith": "LIKE %s",
    "istartswith": "LIKE UPPER(%s)",
    "iendswith": "LIKE UPPER(%s)",
}

sqlite_ops = DatabaseOperations("sqlite")
postgresql_ops = DatabaseOperations("postgresql")
