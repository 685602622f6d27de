//! A deserializer over `serde_json::Value` that reports the JSON path of any failure
//! (`usage[3].call.connectedSeconds`).
//!
//! serde_path_to_error does this for any deserializer, but to do so it wraps every visitor,
//! which doubles the code of every derived `Deserialize` (~75 KB of the WebAssembly module).
//! Over a `Value` the map and sequence access are ours to build, so paths can be tracked
//! there and the derived visitors run unwrapped. The path semantics are serde_path_to_error's:
//! a missing field is reported at its struct, an unknown one at the key itself.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Error, Value};

/// Marks an error message as already carrying its path: `\u{1}path\u{1}message`.
const MARK: char = '\u{1}';

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
    let msg = err.to_string();
    if msg.starts_with(MARK) {
        return err;
    }
    let mut p = String::new();
    path.render(&mut p);
    de::Error::custom(format!("{MARK}{p}{MARK}{msg}"))
}

/// Split an error from `deserialize` into its path and message.
pub fn split(err: &Error) -> (String, String) {
    let msg = err.to_string();
    match msg
        .strip_prefix(MARK)
        .and_then(|rest| rest.split_once(MARK))
    {
        Some((path, m)) => (path.to_string(), m.to_string()),
        None => (String::new(), msg),
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

macro_rules! leaf {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            de::Deserializer::$method(self.v, visitor)
        }
    )*};
}

impl<'de, 'p> de::Deserializer<'de> for ValueDe<'de, 'p> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Object(m) => visitor.visit_map(Entries {
                it: m.iter(),
                value: None,
                path: self.path,
            }),
            Value::Array(a) => visitor.visit_seq(Items {
                it: a.iter().enumerate(),
                path: self.path,
            }),
            leaf => de::Deserializer::deserialize_any(leaf, visitor),
        }
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

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.v {
            Value::Object(_) => self.deserialize_any(visitor),
            leaf => de::Deserializer::deserialize_struct(leaf, name, fields, visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Object(_) => self.deserialize_any(visitor),
            leaf => de::Deserializer::deserialize_map(leaf, visitor),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Array(_) => self.deserialize_any(visitor),
            leaf => de::Deserializer::deserialize_seq(leaf, visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_enum(self.v, name, variants, visitor)
    }

    leaf! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
        deserialize_char deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_unit_struct(self.v, name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(self.v, len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple_struct(self.v, name, len, visitor)
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
