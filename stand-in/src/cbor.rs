//! CBOR as Smithy RPC v2 speaks it, to and from JSON values so that requests are recorded
//! and inspected like the JSON protocols'. Map keys are text; numbers under a key ending
//! in `Timestamp` are encoded as epoch-seconds timestamps (tag 1), as Smithy does.

use minicbor::data::{Tag, Type};
use minicbor::decode::Error as DecodeError;
use minicbor::{Decoder, Encoder};
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused rather than followed.
const MAX_DEPTH: usize = 32;

pub(crate) fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    let mut decoder = Decoder::new(bytes);
    let value = item(&mut decoder, 0)?;
    if decoder.position() != bytes.len() {
        return Err(DecodeError::message("trailing bytes after the CBOR item"));
    }
    Ok(value)
}

fn item(d: &mut Decoder<'_>, depth: usize) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::message("nested too deeply"));
    }
    Ok(match d.datatype()? {
        Type::Bool => Value::Bool(d.bool()?),
        Type::Null | Type::Undefined => {
            d.skip()?;
            Value::Null
        }
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Value::from(d.u64()?),
        Type::I8 | Type::I16 | Type::I32 | Type::I64 => Value::from(d.i64()?),
        Type::F32 => number(f64::from(d.f32()?)),
        Type::F64 => number(d.f64()?),
        Type::String => Value::String(d.str()?.to_owned()),
        Type::StringIndef => {
            let mut text = String::new();
            for piece in d.str_iter()? {
                text.push_str(piece?);
            }
            Value::String(text)
        }
        Type::Array | Type::ArrayIndef => {
            let mut items = Vec::new();
            match d.array()? {
                Some(len) => {
                    for _ in 0..len {
                        items.push(item(d, depth + 1)?);
                    }
                }
                None => {
                    while d.datatype()? != Type::Break {
                        items.push(item(d, depth + 1)?);
                    }
                    d.skip()?;
                }
            }
            Value::Array(items)
        }
        Type::Map | Type::MapIndef => {
            let mut map = Map::new();
            let mut entry = |d: &mut Decoder<'_>| -> Result<(), DecodeError> {
                let key = d.str()?.to_owned();
                map.insert(key, item(d, depth + 1)?);
                Ok(())
            };
            match d.map()? {
                Some(len) => {
                    for _ in 0..len {
                        entry(d)?;
                    }
                }
                None => {
                    while d.datatype()? != Type::Break {
                        entry(d)?;
                    }
                    d.skip()?;
                }
            }
            Value::Object(map)
        }
        Type::Tag => {
            d.tag()?;
            item(d, depth + 1)?
        }
        other => {
            return Err(DecodeError::message(format!(
                "unsupported CBOR type {other}"
            )));
        }
    })
}

fn number(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

pub(crate) fn encode(value: &Value) -> Vec<u8> {
    let mut encoder = Encoder::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = write(&mut encoder, value, false);
    encoder.into_writer()
}

fn write(
    e: &mut Encoder<Vec<u8>>,
    value: &Value,
    timestamp: bool,
) -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
    match value {
        Value::Null => {
            e.null()?;
        }
        Value::Bool(b) => {
            e.bool(*b)?;
        }
        Value::Number(n) if timestamp => {
            e.tag(Tag::new(1))?.f64(n.as_f64().unwrap_or_default())?;
        }
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                e.u64(u)?;
            } else if let Some(i) = n.as_i64() {
                e.i64(i)?;
            } else {
                e.f64(n.as_f64().unwrap_or_default())?;
            }
        }
        Value::String(s) => {
            e.str(s)?;
        }
        Value::Array(items) => {
            e.array(items.len() as u64)?;
            for item in items {
                write(e, item, false)?;
            }
        }
        Value::Object(map) => {
            e.map(map.len() as u64)?;
            for (key, item) in map {
                e.str(key)?;
                write(e, item, key.ends_with("Timestamp"))?;
            }
        }
    }
    Ok(())
}
