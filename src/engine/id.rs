//! `Id`: a usage item's id or agent id, shared rather than copied. Cloning one (an item
//! takes its usage's id) is a reference count. An id read from JSON owns its text; the npm
//! package's packed previews (`words::usage_from_words`) cut every id from one text (the
//! glue's ids, copied in time order), so 100,000 items make no allocation for their ids.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::Arc;

/// A string held as a range of a shared text.
#[derive(Clone)]
pub struct Id {
    text: Arc<str>,
    start: u32,
    end: u32,
}

impl Id {
    /// The part `start..end` of `text`; `None` when that is not a range of whole characters
    /// or the text is longer than `u32::MAX` bytes.
    pub fn within(text: &Arc<str>, start: usize, end: usize) -> Option<Id> {
        text.get(start..end)?;
        Some(Id {
            text: text.clone(),
            start: u32::try_from(start).ok()?,
            end: u32::try_from(end).ok()?,
        })
    }
}

impl std::ops::Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        // `within` and `From` only make ranges of whole characters inside the text.
        self.text
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Id {
        let end = u32::try_from(s.len()).unwrap_or(u32::MAX);
        let text: Arc<str> = s.get(..end as usize).unwrap_or("").into();
        Id {
            text,
            start: 0,
            end,
        }
    }
}

impl From<String> for Id {
    fn from(s: String) -> Id {
        Id::from(s.as_str())
    }
}

impl PartialEq for Id {
    fn eq(&self, other: &Id) -> bool {
        **self == **other
    }
}

impl Eq for Id {}

impl std::fmt::Debug for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        String::deserialize(d).map(Id::from)
    }
}

/// Every sort in the engine goes through this one instantiation (a smaller wasm module).
pub(crate) fn sort_indices(v: &mut [usize], cmp: &dyn Fn(usize, usize) -> std::cmp::Ordering) {
    v.sort_unstable_by(|a, b| cmp(*a, *b));
}

/// The first index whose id already appeared earlier, if any: a hash set. The wasm build
/// used a sort of indices to link no hasher, which was a fifth of a 100,000-item preview's
/// time there; the 250,000-byte ceiling now has room for the hasher (BENCHMARKS.md).
///
/// Natively std's randomly keyed SipHash, for a server's untrusted input. WebAssembly has
/// no source of random keys, so a keyed hash buys nothing there: it is rustc's FxHash. Its
/// inputs are the caller's own usage, so a caller who crafts colliding ids slows only their
/// own preview.
pub(crate) fn first_duplicate(ids: &[&str]) -> Option<usize> {
    #[cfg(target_arch = "wasm32")]
    let mut seen =
        std::collections::HashSet::with_capacity_and_hasher(ids.len(), rustc_hash::FxBuildHasher);
    #[cfg(not(target_arch = "wasm32"))]
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    ids.iter().position(|id| !seen.insert(*id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cut_from_one_text_read_as_their_part() {
        let text: Arc<str> = "m1a1ünï".into();
        let a = Id::within(&text, 0, 2).unwrap();
        let b = Id::within(&text, 2, 4).unwrap();
        assert_eq!((&*a, &*b), ("m1", "a1"));
        assert_eq!(&*Id::within(&text, 4, 9).unwrap(), "ünï");
        assert!(Id::within(&text, 4, 5).is_none(), "not a whole character");
        assert!(Id::within(&text, 0, 99).is_none());
        assert_eq!(a.clone(), Id::from("m1"));
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"a1\"");
        let back: Id = serde_json::from_str("\"x\\ny\"").unwrap();
        assert_eq!(&*back, "x\ny");
        assert_eq!(format!("{b} {b:?}"), "a1 \"a1\"");
    }
}
