//! A document as read: from its machine-readable zone (passports, most ID
//! cards), or, where it has none (US driver's licences and state ID cards),
//! from the printed fields Textract's `AnalyzeID` finds.

use super::mrz::{Mrz, MrzError, MrzFormat};
use time::{Date, Month};

/// The fields the checks need, whatever read them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadDocument {
    /// `passport`, `idCard` or `usDriversLicense`.
    pub kind: &'static str,
    pub issuing_country: String,
    pub nationality: String,
    pub surname: String,
    pub given_names: String,
    pub document_number: String,
    pub birth_date: Date,
    pub expiry_date: Date,
    pub sex: Option<char>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFailure {
    /// No zone, and no printed fields either.
    NotFound,
    /// A zone whose check digits fail: misread or altered.
    CheckDigit,
    /// Printed fields, but not the dates the checks need.
    MissingFields,
}

impl ReadDocument {
    pub fn from_zone(zone: Result<Mrz, MrzError>) -> Result<Self, ReadFailure> {
        match zone {
            Ok(mrz) => Ok(Self {
                kind: match mrz.format {
                    MrzFormat::Td3 => "passport",
                    MrzFormat::Td1 => "idCard",
                },
                issuing_country: mrz.issuing_country,
                nationality: mrz.nationality,
                surname: mrz.surname,
                given_names: mrz.given_names,
                document_number: mrz.document_number,
                birth_date: mrz.birth_date,
                expiry_date: mrz.expiry_date,
                sex: mrz.sex,
            }),
            Err(MrzError::NotFound) => Err(ReadFailure::NotFound),
            Err(_) => Err(ReadFailure::CheckDigit),
        }
    }

    /// From `AnalyzeID`'s fields (`FIRST_NAME`, `LAST_NAME`,
    /// `DOCUMENT_NUMBER`, `DATE_OF_BIRTH`, `EXPIRATION_DATE`, `ID_TYPE`, ...).
    /// AnalyzeID answers every field type, empty where it found nothing.
    pub fn from_id_fields(fields: &[IdField]) -> Result<Self, ReadFailure> {
        let text = |name: &str| {
            fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.text.trim().to_uppercase())
                .filter(|t| !t.is_empty())
        };
        let date = |name: &str| {
            let field = fields.iter().find(|f| f.name == name)?;
            field
                .normalized
                .as_deref()
                .and_then(iso_date)
                .or_else(|| us_date(&field.text))
        };
        if fields.iter().all(|f| f.text.trim().is_empty()) {
            return Err(ReadFailure::NotFound);
        }
        let (Some(birth_date), Some(expiry_date)) =
            (date("DATE_OF_BIRTH"), date("EXPIRATION_DATE"))
        else {
            return Err(ReadFailure::MissingFields);
        };
        let id_type = text("ID_TYPE").unwrap_or_default();
        let given = [text("FIRST_NAME"), text("MIDDLE_NAME")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Self {
            kind: if id_type.contains("PASSPORT") {
                "passport"
            } else if id_type.contains("DRIVER") {
                "usDriversLicense"
            } else {
                "idCard"
            },
            // AnalyzeID reads US documents only.
            issuing_country: "USA".into(),
            nationality: String::new(),
            surname: text("LAST_NAME").unwrap_or_default(),
            given_names: given,
            document_number: text("DOCUMENT_NUMBER").unwrap_or_default(),
            birth_date,
            expiry_date,
            sex: None,
        })
    }
}

/// One field of `AnalyzeID`'s answer: its type, the text as printed, and
/// the normalized value where Textract gives one (dates as
/// `YYYY-MM-DDT00:00:00`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdField {
    pub name: String,
    pub text: String,
    pub normalized: Option<String>,
}

fn ymd(year: i32, month: u8, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// `YYYY-MM-DD`, with anything after it.
fn iso_date(value: &str) -> Option<Date> {
    let year = value.get(0..4)?.parse().ok()?;
    let month = value.get(5..7)?.parse().ok()?;
    let day = value.get(8..10)?.parse().ok()?;
    ymd(year, month, day)
}

/// `MM/DD/YYYY`, as US documents print dates.
fn us_date(value: &str) -> Option<Date> {
    let mut parts = value.trim().split(['/', '-']);
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    ymd(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn field(name: &str, text: &str, normalized: Option<&str>) -> IdField {
        IdField {
            name: name.into(),
            text: text.into(),
            normalized: normalized.map(str::to_string),
        }
    }

    #[test]
    fn a_driving_licence_reads_from_its_printed_fields() {
        let read = ReadDocument::from_id_fields(&[
            field("FIRST_NAME", "Ana", None),
            field("MIDDLE_NAME", "", None),
            field("LAST_NAME", "Lopez", None),
            field("DOCUMENT_NUMBER", "D1234567", None),
            field("DATE_OF_BIRTH", "11/19/1956", Some("1956-11-19T00:00:00")),
            field("EXPIRATION_DATE", "01/01/2031", None),
            field("ID_TYPE", "DRIVER LICENSE FRONT", None),
        ])
        .unwrap();
        assert_eq!(read.kind, "usDriversLicense");
        assert_eq!(read.given_names, "ANA");
        assert_eq!(read.birth_date, date!(1956 - 11 - 19));
        assert_eq!(
            read.expiry_date,
            date!(2031 - 01 - 01),
            "from the printed text"
        );
    }

    #[test]
    fn no_fields_or_no_dates_are_failures() {
        assert_eq!(
            ReadDocument::from_id_fields(&[field("FIRST_NAME", "", None)]),
            Err(ReadFailure::NotFound)
        );
        assert_eq!(
            ReadDocument::from_id_fields(&[
                field("FIRST_NAME", "Ana", None),
                field("DATE_OF_BIRTH", "13/45/1956", None),
            ]),
            Err(ReadFailure::MissingFields)
        );
    }
}
