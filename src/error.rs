//! Errors with stable snake_case codes and the JSON field path they concern.
//! Shape from CONTRACT.md: `{ "code", "message", "field" }`.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Error {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: &str, field: impl Into<Option<String>>, message: impl Into<String>) -> Self {
        Error {
            code: code.to_string(),
            message: message.into(),
            field: field.into(),
        }
    }
    pub fn at(code: &str, field: &str, message: impl Into<String>) -> Self {
        Self::new(code, Some(field.to_string()), message)
    }
    pub fn overflow(field: &str) -> Self {
        Self::at(
            "arithmetic_overflow",
            field,
            "the result does not fit an exact decimal; use smaller amounts",
        )
    }
    /// Prefix the field path with the enclosing object's path (`usage[2]` + `call.x`).
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = Some(match self.field.take() {
            Some(f) if !f.is_empty() => format!("{prefix}.{f}"),
            _ => prefix.to_string(),
        });
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} at {}: {}", self.code, field, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Custom serde errors carry their code as a `[code] ` prefix of the message; see `amount`.
pub(crate) fn coded(code: &str, message: impl fmt::Display) -> String {
    format!("[{code}] {message}")
}

/// Turn a serde error with its path into a coded error. serde's own messages are mapped
/// onto a small set of stable codes; ours carry the code explicitly.
pub(crate) fn from_serde(path: String, msg: String) -> Error {
    let field = if path == "." || path.is_empty() {
        None
    } else {
        Some(path)
    };
    if let Some(rest) = msg.strip_prefix('[') {
        if let Some(end) = rest.find("] ") {
            return Error::new(&rest[..end], field, rest[end + 2..].to_string());
        }
    }
    let quoted = |m: &str| m.split('`').nth(1).map(str::to_string);
    let join = |name: Option<String>| match (&field, name) {
        (Some(f), Some(n)) => Some(format!("{f}.{n}")),
        (None, Some(n)) => Some(n),
        (f, None) => f.clone(),
    };
    let (code, field) = if msg.starts_with("missing field") {
        ("missing_field", join(quoted(&msg)))
    } else if msg.starts_with("unknown field") {
        // The path already ends with the unknown key.
        ("unknown_field", field)
    } else if msg.starts_with("unknown variant") {
        ("invalid_enum", field)
    } else if msg.starts_with("invalid type") {
        ("invalid_type", field)
    } else {
        ("invalid_value", field)
    };
    Error::new(code, field, msg)
}
