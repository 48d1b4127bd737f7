//! Identifier newtypes, serialized as the bare string. Stored as a `CompactString`: ids up to
//! 24 bytes live inline, so decoding, cloning and keying by them allocate nothing.

use std::fmt;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(CompactString);

        impl $name {
            /// Wraps `id` as is (validation belongs to the decision step, see `Oms::check`).
            pub fn new(id: impl Into<CompactString>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.into())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id.into())
            }
        }
    };
}

string_id! {
    /// Our id for an order; unique for the life of a journal.
    ClientOrderId
}

string_id! {
    /// The venue's id for one execution; unique per order.
    FillId
}

string_id! {
    /// The broker's id for an order, learned when the broker acknowledges it.
    BrokerOrderId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_bare_strings() {
        let json = serde_json::to_string(&ClientOrderId::from("o-1")).unwrap();
        assert_eq!(json, "\"o-1\"");
        let back: BrokerOrderId = serde_json::from_str("\"b-9\"").unwrap();
        assert_eq!(back.as_str(), "b-9");
        assert_eq!(FillId::new("f").to_string(), "f");
    }
}
