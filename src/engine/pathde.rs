//! A deserializer over `serde_json::Value` that reports the JSON path of any failure
//! (`usage[3].call.connectedSeconds`).
//!
//! Over a `Value` the map and sequence access are ours to build, so the path is tracked
//! there and the derived visitors run unwrapped (serde_path_to_error, which this replaced,
//! must wrap every visitor to work over any deserializer). Owning the scalar handling and
//! the error type also keeps float printing out of the WebAssembly module (BENCHMARKS.md).
//! The path semantics are serde_path_to_error's: a missing field is reported at its struct,
//! an unknown one at the key itself.

use crate::engine::error::{from_serde, Code};
use serde::de::DeserializeOwned;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Marks an error message as already carrying its path: `\u{1}path\u{1}message`.
const MARK: char = '\u{1}';

/// The deserialization error: a message. Its own type (not serde_json's) so that messages
/// describing a bad value never format a float, which would link float-to-text code into
/// the WebAssembly module.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

struct What<'a>(de::Unexpected<'a>);

impl fmt::Display for What<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use de::Unexpected::*;
        match self.0 {
            Bool(b) => write!(f, "boolean `{b}`"),
            Unsigned(u) => write!(f, "integer `{u}`"),
            Signed(i) => write!(f, "integer `{i}`"),
            Float(_) => f.write_str("floating point number"),
            Char(c) => write!(f, "character `{c}`"),
            // Quoted by hand: `{:?}` would link the Debug escaper into the .wasm.
            Str(s) => write!(f, "string \"{s}\""),
            Bytes(_) => f.write_str("byte array"),
            Unit => f.write_str("null"),
            Option => f.write_str("optional value"),
            NewtypeStruct => f.write_str("newtype struct"),
            Seq => f.write_str("sequence"),
            Map => f.write_str("map"),
            Enum => f.write_str("enum"),
            UnitVariant => f.write_str("unit variant"),
            NewtypeVariant => f.write_str("newtype variant"),
            TupleVariant => f.write_str("tuple variant"),
            StructVariant => f.write_str("struct variant"),
            Other(o) => f.write_str(o),
        }
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
    /// In the input's words: an object, not a Rust struct's name or a map (issue 27); and a number
    /// that arrived as null was most likely a NaN or an Infinity, which JSON writes so.
    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        let exp = exp.to_string();
        let exp = if exp.starts_with("struct ") || exp == "a map" {
            "an object"
        } else {
            &exp
        };
        let numeric = exp.contains("seconds") || exp.contains("whole number");
        let hint = match unexp {
            de::Unexpected::Unit if numeric => " (a NaN or Infinity becomes null in JSON)",
            _ => "",
        };
        Error(format!(
            "invalid type: {}, expected {exp}{hint}",
            What(unexp)
        ))
    }
    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        Error(format!("invalid value: {}, expected {exp}", What(unexp)))
    }
}

#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.render(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Index(parent, i) => {
                parent.render(out);
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
}

/// Attach `path` to an error that does not carry one yet.
fn at(path: &Path, err: Error) -> Error {
    if err.0.starts_with(MARK) {
        return err;
    }
    let mut p = String::new();
    path.render(&mut p);
    Error(format!("{MARK}{p}{MARK}{}", err.0))
}

/// Split an error from `deserialize` into its path and message.
pub fn split(err: &Error) -> (String, String) {
    let msg = err.to_string();
    match msg
        .strip_prefix(MARK)
        .and_then(|rest| rest.split_once(MARK))
    {
        Some((path, m)) => (path.to_string(), m.to_string()),
        None => (String::new(), msg.clone()),
    }
}

/// Deserialize `T` from `value`, tracking the path for errors (see `split`).
pub fn deserialize<'de, T: de::Deserialize<'de>>(value: &'de Value) -> Result<T, Error> {
    let root = Path::Root;
    T::deserialize(ValueDe {
        v: value,
        path: &root,
    })
    .map_err(|e| at(&root, e))
}

struct ValueDe<'a, 'p> {
    v: &'a Value,
    path: &'p Path<'p>,
}

/// What a value is, for error messages. Floats are not printed: formatting them would pull
/// float-to-text code into the WebAssembly module for one error message.
fn unexpected(v: &Value) -> de::Unexpected<'_> {
    match v {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => de::Unexpected::Unsigned(u),
            (None, Some(i)) => de::Unexpected::Signed(i),
            _ => de::Unexpected::Other("floating point number"),
        },
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

impl<'de> ValueDe<'de, '_> {
    /// Scalars go to the visitor as what they are; a float only to visitors that asked for
    /// anything (the amount and duration visitors, which refuse floats with their own code).
    fn scalar<const ANY: bool, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (None, Some(i), _) => visitor.visit_i64(i),
                // A const parameter, so visitors that never see a float never link float code.
                (None, None, Some(f)) if ANY => visitor.visit_f64(f),
                _ => Err(de::Error::invalid_type(unexpected(self.v), &visitor)),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Object(m) => visitor.visit_map(Entries {
                it: m.iter(),
                value: None,
                path: self.path,
            }),
            Value::Array(a) => visitor.visit_seq(Items {
                it: a.iter().enumerate(),
                path: self.path,
            }),
        }
    }
}

macro_rules! leaf {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.scalar::<false, V>(visitor)
        }
    )*};
}

impl<'de, 'p> de::Deserializer<'de> for ValueDe<'de, 'p> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar::<true, V>(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // The contract's enums are all plain strings ("inbound", "half_up", ...).
        match self.v {
            Value::String(s) => {
                visitor.visit_enum(de::value::BorrowedStrDeserializer::<Error>::new(s))
            }
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.scalar::<false, V>(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.scalar::<false, V>(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.scalar::<false, V>(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.scalar::<false, V>(visitor)
    }

    leaf! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
        deserialize_char deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_identifier deserialize_ignored_any deserialize_map deserialize_seq
    }
}

struct Entries<'a, 'p> {
    it: serde_json::map::Iter<'a>,
    value: Option<(&'a str, &'a Value)>,
    path: &'p Path<'p>,
}

impl<'de> MapAccess<'de> for Entries<'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.it.next() {
            Some((k, v)) => {
                self.value = Some((k.as_str(), v));
                let key_path = Path::Key(self.path, k);
                let de = de::value::BorrowedStrDeserializer::<Error>::new(k.as_str());
                seed.deserialize(de).map(Some).map_err(|e| at(&key_path, e))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (k, v) = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value before key"))?;
        let path = Path::Key(self.path, k);
        seed.deserialize(ValueDe { v, path: &path })
            .map_err(|e| at(&path, e))
    }
}

struct Items<'a, 'p> {
    it: std::iter::Enumerate<std::slice::Iter<'a, Value>>,
    path: &'p Path<'p>,
}

impl<'de> SeqAccess<'de> for Items<'de, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.it.next() {
            Some((i, v)) => {
                let path = Path::Index(self.path, i);
                seed.deserialize(ValueDe { v, path: &path })
                    .map(Some)
                    .map_err(|e| at(&path, e))
            }
            None => Ok(None),
        }
    }
}

/// Deserialize from JSON text, with the path of any failure.
pub fn parse_text<T: DeserializeOwned>(text: &str) -> crate::engine::error::Result<T> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| crate::engine::error::Error::new(Code::InvalidJson, None, e.to_string()))?;
    parse(&value)
}

/// Deserialize with the path of any failure (`rateCard.voice.perMinute`).
pub fn parse<T: DeserializeOwned>(input: &Value) -> crate::engine::error::Result<T> {
    deserialize(input).map_err(|e| {
        let (path, msg) = split(&e);
        from_serde(path, msg)
    })
}
