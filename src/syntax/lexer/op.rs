//! Python's operators and delimiters: the tokens' [`Op`], compared as a small enum by the
//! parser, and how the lexer reads one.

/// An operator or delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `**=`
    PowAssign,
    /// `//=`
    FloorDivAssign,
    /// `>>=`
    RShiftAssign,
    /// `<<=`
    LShiftAssign,
    /// `...`
    Ellipsis,
    /// `->`
    Arrow,
    /// `:=`
    Walrus,
    /// `**`
    DoubleStar,
    /// `//`
    DoubleSlash,
    /// `<<`
    LShift,
    /// `>>`
    RShift,
    /// `<=`
    LtE,
    /// `>=`
    GtE,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    /// `+=`
    PlusAssign,
    /// `-=`
    MinusAssign,
    /// `*=`
    StarAssign,
    /// `/=`
    SlashAssign,
    /// `%=`
    PercentAssign,
    /// `&=`
    AmpAssign,
    /// `|=`
    PipeAssign,
    /// `^=`
    CaretAssign,
    /// `@=`
    AtAssign,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `@`
    At,
    /// `&`
    Amp,
    /// `|`
    Pipe,
    /// `^`
    Caret,
    /// `~`
    Tilde,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `;`
    Semi,
    /// `.`
    Dot,
    /// `=`
    Assign,
}

impl Op {
    /// The operator as written.
    pub fn text(self) -> &'static str {
        match self {
            Op::PowAssign => "**=",
            Op::FloorDivAssign => "//=",
            Op::RShiftAssign => ">>=",
            Op::LShiftAssign => "<<=",
            Op::Ellipsis => "...",
            Op::Arrow => "->",
            Op::Walrus => ":=",
            Op::DoubleStar => "**",
            Op::DoubleSlash => "//",
            Op::LShift => "<<",
            Op::RShift => ">>",
            Op::LtE => "<=",
            Op::GtE => ">=",
            Op::EqEq => "==",
            Op::NotEq => "!=",
            Op::PlusAssign => "+=",
            Op::MinusAssign => "-=",
            Op::StarAssign => "*=",
            Op::SlashAssign => "/=",
            Op::PercentAssign => "%=",
            Op::AmpAssign => "&=",
            Op::PipeAssign => "|=",
            Op::CaretAssign => "^=",
            Op::AtAssign => "@=",
            Op::Plus => "+",
            Op::Minus => "-",
            Op::Star => "*",
            Op::Slash => "/",
            Op::Percent => "%",
            Op::At => "@",
            Op::Amp => "&",
            Op::Pipe => "|",
            Op::Caret => "^",
            Op::Tilde => "~",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::LParen => "(",
            Op::RParen => ")",
            Op::LBracket => "[",
            Op::RBracket => "]",
            Op::LBrace => "{",
            Op::RBrace => "}",
            Op::Comma => ",",
            Op::Colon => ":",
            Op::Semi => ";",
            Op::Dot => ".",
            Op::Assign => "=",
        }
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

/// The operator or delimiter at the start of `b`, the longest that fits.
pub(super) fn operator(b: &[u8]) -> Option<Op> {
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    Some(match (at(0), at(1), at(2)) {
        (b'*', b'*', b'=') => Op::PowAssign,
        (b'/', b'/', b'=') => Op::FloorDivAssign,
        (b'>', b'>', b'=') => Op::RShiftAssign,
        (b'<', b'<', b'=') => Op::LShiftAssign,
        (b'.', b'.', b'.') => Op::Ellipsis,
        (b'-', b'>', _) => Op::Arrow,
        (b':', b'=', _) => Op::Walrus,
        (b'*', b'*', _) => Op::DoubleStar,
        (b'/', b'/', _) => Op::DoubleSlash,
        (b'<', b'<', _) => Op::LShift,
        (b'>', b'>', _) => Op::RShift,
        (b'<', b'=', _) => Op::LtE,
        (b'>', b'=', _) => Op::GtE,
        (b'=', b'=', _) => Op::EqEq,
        (b'!', b'=', _) => Op::NotEq,
        (b'+', b'=', _) => Op::PlusAssign,
        (b'-', b'=', _) => Op::MinusAssign,
        (b'*', b'=', _) => Op::StarAssign,
        (b'/', b'=', _) => Op::SlashAssign,
        (b'%', b'=', _) => Op::PercentAssign,
        (b'&', b'=', _) => Op::AmpAssign,
        (b'|', b'=', _) => Op::PipeAssign,
        (b'^', b'=', _) => Op::CaretAssign,
        (b'@', b'=', _) => Op::AtAssign,
        (b'+', ..) => Op::Plus,
        (b'-', ..) => Op::Minus,
        (b'*', ..) => Op::Star,
        (b'/', ..) => Op::Slash,
        (b'%', ..) => Op::Percent,
        (b'@', ..) => Op::At,
        (b'&', ..) => Op::Amp,
        (b'|', ..) => Op::Pipe,
        (b'^', ..) => Op::Caret,
        (b'~', ..) => Op::Tilde,
        (b'<', ..) => Op::Lt,
        (b'>', ..) => Op::Gt,
        (b'(', ..) => Op::LParen,
        (b')', ..) => Op::RParen,
        (b'[', ..) => Op::LBracket,
        (b']', ..) => Op::RBracket,
        (b'{', ..) => Op::LBrace,
        (b'}', ..) => Op::RBrace,
        (b',', ..) => Op::Comma,
        (b':', ..) => Op::Colon,
        (b';', ..) => Op::Semi,
        (b'.', ..) => Op::Dot,
        (b'=', ..) => Op::Assign,
        _ => return None,
    })
}
