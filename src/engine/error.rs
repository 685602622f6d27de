//! Errors with stable snake_case codes and the JSON field path they concern.
//! Shape from CONTRACT.md: `{ "code", "message", "field" }`.

use serde::Serialize;
use std::fmt;

/// Every code the engine's errors carry (CONTRACT's stable codes), one variant each, so the
/// compiler checks each use; they cross boundaries as their snake_case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    AlertThresholdsUnordered,
    ArithmeticOverflow,
    AtOutOfWindow,
    DuplicateId,
    HoldExpired,
    InstantOutOfRange,
    Internal,
    InvalidCount,
    InvalidCountry,
    InvalidCurrency,
    InvalidCycle,
    InvalidDecimal,
    InvalidDuration,
    InvalidEnum,
    InvalidId,
    InvalidGrantWindow,
    InvalidIncrement,
    InvalidInput,
    InvalidInstant,
    InvalidJson,
    InvalidMoneyPrecision,
    InvalidText,
    InvalidTimeZone,
    InvalidType,
    InvalidVatId,
    InvalidValue,
    MissingField,
    MissingRate,
    NegativeAmount,
    NoPendingReload,
    PayloadTooLarge,
    StaleRequest,
    TooManyPeriods,
    UnknownCall,
    UnknownField,
    UnknownOp,
}

/// Every code, for `parse` and the test that each name is unique (a new variant goes here
/// too; `as_str`'s match makes sure it gets a name).
pub const ALL: &[Code] = &[
    Code::AlertThresholdsUnordered,
    Code::ArithmeticOverflow,
    Code::AtOutOfWindow,
    Code::DuplicateId,
    Code::HoldExpired,
    Code::InstantOutOfRange,
    Code::Internal,
    Code::InvalidCount,
    Code::InvalidCountry,
    Code::InvalidCurrency,
    Code::InvalidCycle,
    Code::InvalidDecimal,
    Code::InvalidDuration,
    Code::InvalidEnum,
    Code::InvalidId,
    Code::InvalidGrantWindow,
    Code::InvalidIncrement,
    Code::InvalidInput,
    Code::InvalidInstant,
    Code::InvalidJson,
    Code::InvalidMoneyPrecision,
    Code::InvalidText,
    Code::InvalidTimeZone,
    Code::InvalidType,
    Code::InvalidVatId,
    Code::InvalidValue,
    Code::MissingField,
    Code::MissingRate,
    Code::NegativeAmount,
    Code::NoPendingReload,
    Code::PayloadTooLarge,
    Code::StaleRequest,
    Code::TooManyPeriods,
    Code::UnknownCall,
    Code::UnknownField,
    Code::UnknownOp,
];

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::AlertThresholdsUnordered => "alert_thresholds_unordered",
            Code::ArithmeticOverflow => "arithmetic_overflow",
            Code::AtOutOfWindow => "at_out_of_window",
            Code::DuplicateId => "duplicate_id",
            Code::HoldExpired => "hold_expired",
            Code::InstantOutOfRange => "instant_out_of_range",
            Code::Internal => "internal",
            Code::InvalidCount => "invalid_count",
            Code::InvalidCountry => "invalid_country",
            Code::InvalidCurrency => "invalid_currency",
            Code::InvalidCycle => "invalid_cycle",
            Code::InvalidDecimal => "invalid_decimal",
            Code::InvalidDuration => "invalid_duration",
            Code::InvalidEnum => "invalid_enum",
            Code::InvalidId => "invalid_id",
            Code::InvalidGrantWindow => "invalid_grant_window",
            Code::InvalidIncrement => "invalid_increment",
            Code::InvalidInput => "invalid_input",
            Code::InvalidInstant => "invalid_instant",
            Code::InvalidJson => "invalid_json",
            Code::InvalidMoneyPrecision => "invalid_money_precision",
            Code::InvalidText => "invalid_text",
            Code::InvalidTimeZone => "invalid_time_zone",
            Code::InvalidType => "invalid_type",
            Code::InvalidVatId => "invalid_vat_id",
            Code::InvalidValue => "invalid_value",
            Code::MissingField => "missing_field",
            Code::MissingRate => "missing_rate",
            Code::NegativeAmount => "negative_amount",
            Code::NoPendingReload => "no_pending_reload",
            Code::PayloadTooLarge => "payload_too_large",
            Code::StaleRequest => "stale_request",
            Code::TooManyPeriods => "too_many_periods",
            Code::UnknownCall => "unknown_call",
            Code::UnknownField => "unknown_field",
            Code::UnknownOp => "unknown_op",
        }
    }
    /// The code a name stands for (serde errors carry theirs as text, `coded`).
    pub fn parse(name: &str) -> Option<Code> {
        ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Error {
    pub code: Code,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: Code, field: impl Into<Option<String>>, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            field: field.into(),
        }
    }
    pub fn at(code: Code, field: &str, message: impl Into<String>) -> Self {
        Self::new(code, Some(field.to_string()), message)
    }
    pub fn overflow(field: &str) -> Self {
        Self::at(
            Code::ArithmeticOverflow,
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
pub(crate) fn coded(code: Code, message: impl fmt::Display) -> String {
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
            let code = Code::parse(&rest[..end]).unwrap_or(Code::InvalidValue);
            return Error::new(code, field, rest[end + 2..].to_string());
        }
    }
    let quoted = |m: &str| m.split('`').nth(1).map(str::to_string);
    let join = |name: Option<String>| match (&field, name) {
        (Some(f), Some(n)) => Some(format!("{f}.{n}")),
        (None, Some(n)) => Some(n),
        (f, None) => f.clone(),
    };
    let (code, field) = if msg.starts_with("missing field") {
        (Code::MissingField, join(quoted(&msg)))
    } else if msg.starts_with("unknown field") {
        // The path already ends with the unknown key.
        (Code::UnknownField, field)
    } else if msg.starts_with("unknown variant") {
        (Code::InvalidEnum, field)
    } else if msg.starts_with("invalid type") {
        (Code::InvalidType, field)
    } else {
        (Code::InvalidValue, field)
    };
    Error::new(code, field, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_types_name_every_code() {
        let types = include_str!("../../js/types.d.ts");
        let union = &types[types.find("export type DrawdownErrorCode").unwrap()..];
        let union = &union[..union.find(';').unwrap()];
        for code in ALL {
            assert!(
                union.contains(&format!("\"{}\"", code.as_str())),
                "{code} is not in js/types.d.ts"
            );
        }
    }

    #[test]
    fn every_code_has_one_snake_case_name_that_parses_back() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ALL {
            let name = code.as_str();
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            assert!(seen.insert(name), "{name} twice");
            assert_eq!(Code::parse(name), Some(*code));
        }
        assert_eq!(Code::parse("no_such_code"), None);
    }
}
