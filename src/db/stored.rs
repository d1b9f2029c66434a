//! How domain values are stored: the wire enums as their wire names in `TEXT`, lists as JSON
//! in `TEXT`, on both backends (and through COPY). Reading a value that is not one of its
//! names is an error, never a default: a corrupt row fails its query.

use super::AnyBackend;
use crate::domain::case::{CaseState, Category, Source, Stage, Step};
use crate::domain::{AsnStatus, EmploymentType, Kind, Level, Purpose, SanctionState};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::io::Write;

/// Reads a stored name back: `Err` names the type and the value.
fn parse<T: std::str::FromStr<Err = String>>(s: String) -> deserialize::Result<T> {
    s.parse::<T>()
        .map_err(|e| format!("stored {}: {e}", std::any::type_name::<T>()).into())
}

macro_rules! stored_as_name {
    ($($t:ty),+) => {$(
        impl FromSql<Text, Pg> for $t {
            fn from_sql(v: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                parse(<String as FromSql<Text, Pg>>::from_sql(v)?)
            }
        }
        impl FromSql<Text, Sqlite> for $t {
            fn from_sql(v: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                parse(<String as FromSql<Text, Sqlite>>::from_sql(v)?)
            }
        }
        impl FromSql<Text, AnyBackend> for $t {
            fn from_sql(v: <AnyBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                parse(<String as FromSql<Text, AnyBackend>>::from_sql(v)?)
            }
        }
        impl ToSql<Text, Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }
        impl ToSql<Text, Sqlite> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.as_str());
                Ok(IsNull::No)
            }
        }
        impl ToSql<Text, AnyBackend> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, AnyBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }
    )+};
}

stored_as_name!(
    SanctionState,
    Kind,
    Level,
    Purpose,
    AsnStatus,
    EmploymentType,
    CaseState,
    Step,
    Source,
    Stage,
    Category
);

/// A value stored as JSON text. Serialised (for the history tables' row images) as that same
/// text, so a row image and a row agree.
#[derive(Debug, Clone, PartialEq, Eq, Default, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn from_json<T: DeserializeOwned>(s: String) -> deserialize::Result<Json<T>> {
    serde_json::from_str(&s)
        .map(Json)
        .map_err(|e| format!("stored JSON ({}): {e}", std::any::type_name::<T>()).into())
}

impl<T: DeserializeOwned> FromSql<Text, Pg> for Json<T> {
    fn from_sql(v: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        from_json(<String as FromSql<Text, Pg>>::from_sql(v)?)
    }
}
impl<T: DeserializeOwned> FromSql<Text, Sqlite> for Json<T> {
    fn from_sql(v: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        from_json(<String as FromSql<Text, Sqlite>>::from_sql(v)?)
    }
}
impl<T: DeserializeOwned> FromSql<Text, AnyBackend> for Json<T> {
    fn from_sql(v: <AnyBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        from_json(<String as FromSql<Text, AnyBackend>>::from_sql(v)?)
    }
}
impl<T: Serialize + std::fmt::Debug> ToSql<Text, Pg> for Json<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        serde_json::to_writer(&mut *out, &self.0)?;
        out.flush()?;
        Ok(IsNull::No)
    }
}
impl<T: Serialize + std::fmt::Debug> ToSql<Text, Sqlite> for Json<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(serde_json::to_string(&self.0)?);
        Ok(IsNull::No)
    }
}
impl<T: Serialize + std::fmt::Debug + Send + Sync + 'static> ToSql<Text, AnyBackend> for Json<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, AnyBackend>) -> serialize::Result {
        out.set_value((Text, self));
        Ok(IsNull::No)
    }
}

impl<T: Serialize> Serialize for Json<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(&self.0).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Json<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text)
            .map(Json)
            .map_err(serde::de::Error::custom)
    }
}
