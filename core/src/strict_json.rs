//! JSON for upstream answers, refusing duplicate keys: `{"valid":false,
//! "valid":true}` means different things to different parsers (first wins,
//! last wins), so an answer that says a thing twice is not read at all.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

const DUPLICATE: &str = "duplicate key";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    NotJson,
    DuplicateKey,
}

/// Parse `body` as one JSON value whose objects have unique keys.
pub(crate) fn parse(body: &[u8]) -> Result<Value, ParseError> {
    match serde_json::from_slice::<Strict>(body) {
        Ok(Strict(value)) => Ok(value),
        Err(e) if e.to_string().starts_with(DUPLICATE) => Err(ParseError::DuplicateKey),
        Err(_) => Err(ParseError::NotJson),
    }
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(DUPLICATE));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_values_as_serde_json_without_duplicates() {
        for text in [
            r#"{"code":0,"msg":"ok","data":{"valid":true,"n":[1,-2,3.5,null,"x"],"o":{}}}"#,
            "[]",
            "1e300",
            r#""\u00e9""#,
            "true",
        ] {
            let expected: Value = serde_json::from_str(text).expect("json");
            assert_eq!(parse(text.as_bytes()), Ok(expected), "{text}");
        }
    }

    #[test]
    fn duplicates_at_any_depth_are_refused() {
        for text in [
            r#"{"valid":false,"valid":true}"#,
            r#"{"code":0,"data":{"valid":false,"error":"x","valid":true}}"#,
            r#"{"a":[{"b":1,"b":1}]}"#,
            // The same key spelled with an escape is still the same key.
            r#"{"valid":false,"v\u0061lid":true}"#,
        ] {
            assert_eq!(
                parse(text.as_bytes()),
                Err(ParseError::DuplicateKey),
                "{text}"
            );
        }
    }

    #[test]
    fn not_json() {
        for text in ["", "<html>", "{", r#"{"a":1} trailing"#, "\u{0}"] {
            assert_eq!(parse(text.as_bytes()), Err(ParseError::NotJson), "{text:?}");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(parse(deep.as_bytes()), Err(ParseError::NotJson));
    }
}
