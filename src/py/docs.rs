//! `help()` of Python's builtins: each one's signature and the first paragraph of its
//! docstring, as CPython 3.12's `help()` shows them (generated from `inspect` there).

/// `(name, signature, first paragraph of the docstring)`.
pub const BUILTIN_DOCS: &[(&str, &str, &str)] = &[
    (
        "print",
        "print(*args, sep=' ', end='\n', file=None, flush=False)",
        "Prints the values to a stream, or to sys.stdout by default.",
    ),
    (
        "len",
        "len(obj, /)",
        "Return the number of items in a container.",
    ),
    (
        "str",
        "str(object='') -> str",
        "Create a new string object from the given object. If encoding or\n    errors is specified, then the object must expose a data buffer\n    that will be decoded using the given encoding and error handler.\n    Otherwise, returns the result of object.__str__() (if defined)\n    or repr(object).\n    encoding defaults to sys.getdefaultencoding().\n    errors defaults to 'strict'.",
    ),
    (
        "repr",
        "repr(obj, /)",
        "Return the canonical string representation of the object.",
    ),
    (
        "int",
        "int([x]) -> integer",
        "Convert a number or string to an integer, or return 0 if no arguments\n    are given.  If x is a number, return x.__int__().  For floating point\n    numbers, this truncates towards zero.",
    ),
    (
        "float",
        "float(x=0, /)",
        "Convert a string or number to a floating point number, if possible.",
    ),
    (
        "bool",
        "bool(x) -> bool",
        "Returns True when the argument x is true, False otherwise.\n    The builtins True and False are the only two instances of the class bool.\n    The class bool is a subclass of the class int, and cannot be subclassed.",
    ),
    ("list", "list(iterable=(), /)", "Built-in mutable sequence."),
    (
        "tuple",
        "tuple(iterable=(), /)",
        "Built-in immutable sequence.",
    ),
    ("dict", "dict() -> new empty dictionary", ""),
    (
        "range",
        "range(stop) -> range object",
        "Return an object that produces a sequence of integers from start (inclusive)\n    to stop (exclusive) by step.  range(i, j) produces i, i+1, i+2, ..., j-1.\n    start defaults to 0, and stop is omitted!  range(4) produces 0, 1, 2, 3.\n    These are exactly the valid indices for a list of 4 elements.\n    When step is given, it specifies the increment (or decrement).",
    ),
    (
        "sum",
        "sum(iterable, /, start=0)",
        "Return the sum of a 'start' value (default: 0) plus an iterable of numbers",
    ),
    (
        "min",
        "min(iterable, *[, default=obj, key=func]) -> value",
        "With a single iterable argument, return its smallest item. The\n    default keyword-only argument specifies an object to return if\n    the provided iterable is empty.\n    With two or more arguments, return the smallest argument.",
    ),
    (
        "max",
        "max(iterable, *[, default=obj, key=func]) -> value",
        "With a single iterable argument, return its biggest item. The\n    default keyword-only argument specifies an object to return if\n    the provided iterable is empty.\n    With two or more arguments, return the largest argument.",
    ),
    (
        "sorted",
        "sorted(iterable, /, *, key=None, reverse=False)",
        "Return a new list containing all items from the iterable in ascending order.",
    ),
    (
        "reversed",
        "reversed(sequence, /)",
        "Return a reverse iterator over the values of the given sequence.",
    ),
    (
        "any",
        "any(iterable, /)",
        "Return True if bool(x) is True for any x in the iterable.",
    ),
    (
        "all",
        "all(iterable, /)",
        "Return True if bool(x) is True for all values x in the iterable.",
    ),
    (
        "enumerate",
        "enumerate(iterable, start=0)",
        "Return an enumerate object.",
    ),
    (
        "zip",
        "zip(*iterables, strict=False) --> Yield tuples until an input is exhausted.",
        "   >>> list(zip('abcdefg', range(3), range(4)))\n       [('a', 0, 0), ('b', 1, 1), ('c', 2, 2)]",
    ),
    (
        "isinstance",
        "isinstance(obj, class_or_tuple, /)",
        "Return whether an object is an instance of a class or of a subclass thereof.",
    ),
    (
        "getattr",
        "getattr(...)",
        "Get a named attribute from an object.",
    ),
    ("type", "type(object) -> the object's type", ""),
    (
        "abs",
        "abs(x, /)",
        "Return the absolute value of the argument.",
    ),
    (
        "round",
        "round(number, ndigits=None)",
        "Round a number to a given precision in decimal digits.",
    ),
    (
        "set",
        "set() -> new empty set object",
        "Build an unordered collection of unique elements.",
    ),
    (
        "frozenset",
        "frozenset() -> empty frozenset object",
        "Build an immutable unordered collection of unique elements.",
    ),
    (
        "map",
        "map(func, *iterables) --> map object",
        "Make an iterator that computes the function using arguments from\n    each of the iterables.  Stops when the shortest iterable is exhausted.",
    ),
    (
        "filter",
        "filter(function or None, iterable) --> filter object",
        "Return an iterator yielding those items of iterable for which function(item)\n    is true. If function is None, return the items that are true.",
    ),
    (
        "divmod",
        "divmod(x, y, /)",
        "Return the tuple (x//y, x%y).  Invariant: div*y + mod == x.",
    ),
    (
        "pow",
        "pow(base, exp, mod=None)",
        "Equivalent to base**exp with 2 arguments or base**exp % mod with 3 arguments",
    ),
    ("dir", "dir(...)", "Show attributes of an object."),
    ("vars", "vars(...)", "Show vars."),
    (
        "hasattr",
        "hasattr(obj, name, /)",
        "Return whether the object has an attribute with the given name.",
    ),
    (
        "setattr",
        "setattr(obj, name, value, /)",
        "Sets the named attribute on the given object to the specified value.",
    ),
    ("id", "id(obj, /)", "Return the identity of an object."),
    (
        "hash",
        "hash(obj, /)",
        "Return the hash value for the given object.",
    ),
    (
        "callable",
        "callable(obj, /)",
        "Return whether the object is callable (i.e., some kind of function).",
    ),
    (
        "chr",
        "chr(i, /)",
        "Return a Unicode string of one character with ordinal i; 0 <= i <= 0x10ffff.",
    ),
    (
        "ord",
        "ord(c, /)",
        "Return the Unicode code point for a one-character string.",
    ),
    (
        "bin",
        "bin(number, /)",
        "Return the binary representation of an integer.",
    ),
    (
        "hex",
        "hex(number, /)",
        "Return the hexadecimal representation of an integer.",
    ),
    (
        "oct",
        "oct(number, /)",
        "Return the octal representation of an integer.",
    ),
    ("help", "help(*args, **kwds)", "Define the builtin 'help'."),
    ("exit", "exit(code=None)", ""),
    ("quit", "quit(code=None)", ""),
    (
        "issubclass",
        "issubclass(cls, class_or_tuple, /)",
        "Return whether 'cls' is derived from another class or is the same class.",
    ),
    ("date", "date(year, month, day) --> date object", ""),
    (
        "datetime",
        "datetime(year, month, day[, hour[, minute[, second[, microsecond[,tzinfo]]]]])",
        "The year, month and day arguments are required. tzinfo may be None, or an\n    instance of a tzinfo subclass. The remaining arguments may be ints.",
    ),
];
