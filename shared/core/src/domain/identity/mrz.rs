//! The machine-readable zone of ICAO 9303 travel documents: passports (TD3,
//! two lines of 44) and ID cards (TD1, three lines of 30), with every check
//! digit verified. OCR mistakes in fields that can only hold digits (O for
//! 0, I for 1, ...) are corrected by position before the checks, as MRZ
//! readers do; a check digit that still fails rejects the zone.

use time::{Date, Month};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MrzFormat {
    /// Passport: 2 × 44.
    Td3,
    /// ID card: 3 × 30.
    Td1,
}

/// What the zone says, with dates as printed (YYMMDD) resolved to dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mrz {
    pub format: MrzFormat,
    /// `P`, `I`, `A`, `C`, with an optional second letter.
    pub document_code: String,
    pub issuing_country: String,
    pub surname: String,
    pub given_names: String,
    pub document_number: String,
    pub nationality: String,
    pub birth_date: Date,
    pub sex: Option<char>,
    pub expiry_date: Date,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MrzError {
    #[error("no machine-readable zone found")]
    NotFound,
    #[error("check digit of {0} does not match")]
    CheckDigit(&'static str),
    #[error("{0} is not a valid date")]
    BadDate(&'static str),
}

/// Finds and parses an MRZ among OCR'd text lines (in reading order).
/// `today` decides the century of the birth date.
pub fn find(lines: &[String], today: Date) -> Result<Mrz, MrzError> {
    let cleaned: Vec<String> = lines.iter().map(|l| clean(l)).collect();
    let mut error = MrzError::NotFound;
    for window in cleaned.windows(2) {
        let line1 = pad_fillers(&window[0], 44);
        if line1.len() == 44 && window[1].len() == 44 && line1.starts_with('P') {
            match parse_td3(&line1, &window[1], today) {
                Ok(mrz) => return Ok(mrz),
                Err(e) => error = e,
            }
        }
    }
    for window in cleaned.windows(3) {
        let (line1, line3) = (pad_fillers(&window[0], 30), pad_fillers(&window[2], 30));
        if line1.len() == 30 && window[1].len() == 30 && line3.len() == 30 {
            match parse_td1(&line1, &window[1], &line3, today) {
                Ok(mrz) => return Ok(mrz),
                Err(e) => error = e,
            }
        }
    }
    Err(error)
}

/// A line that ends in fillers and came out a few short (OCR drops `<`s
/// in a long run) is padded back to `length`. Only fillers are added, and
/// only after the last letter, so no field changes.
fn pad_fillers(line: &str, length: usize) -> String {
    if line.len() < length && line.len() + 8 >= length && line.ends_with("<<") {
        format!("{line}{}", "<".repeat(length - line.len()))
    } else {
        line.to_string()
    }
}

/// Upper case, no spaces, OCR's look-alikes of `<` folded into it.
fn clean(line: &str) -> String {
    line.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '«' | '‹' | '(' | '[' | '{' => '<',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// A field that holds only digits (and `<` fillers): letters OCR confuses
/// with digits become those digits.
fn digits(field: &str) -> String {
    field
        .chars()
        .map(|c| match c {
            'O' | 'Q' | 'D' | 'U' => '0',
            'I' | 'L' | 'T' => '1',
            'Z' => '2',
            'S' => '5',
            'G' => '6',
            'B' => '8',
            c => c,
        })
        .collect()
}

/// ICAO 9303 part 3 §4.9: weights 7, 3, 1; letters count 10-35; `<` 0.
pub fn check_digit(field: &str) -> char {
    let sum: u32 = field
        .chars()
        .zip([7u32, 3, 1].into_iter().cycle())
        .map(|(c, w)| {
            let value = match c {
                '0'..='9' => c as u32 - '0' as u32,
                'A'..='Z' => c as u32 - 'A' as u32 + 10,
                _ => 0,
            };
            value * w
        })
        .sum();
    char::from_digit(sum % 10, 10).unwrap_or('0')
}

fn verify(field: &str, digit: char, name: &'static str) -> Result<(), MrzError> {
    // A field left empty may carry `<` as its check digit.
    if digit == '<' && field.chars().all(|c| c == '<') {
        return Ok(());
    }
    if check_digit(field) == digit {
        Ok(())
    } else {
        Err(MrzError::CheckDigit(name))
    }
}

fn text(field: &str) -> String {
    field
        .trim_end_matches('<')
        .replace('<', " ")
        .trim()
        .to_string()
}

/// `SURNAME<<GIVEN<NAMES` into its two parts.
fn names(field: &str) -> (String, String) {
    let field = field.trim_end_matches('<');
    match field.split_once("<<") {
        Some((surname, given)) => (text(surname), text(given)),
        None => (text(field), String::new()),
    }
}

fn date(yymmdd: &str, name: &'static str, century: impl Fn(i32) -> i32) -> Result<Date, MrzError> {
    let number = |range: std::ops::Range<usize>| {
        yymmdd
            .get(range)
            .and_then(|s| s.parse::<u8>().ok())
            .ok_or(MrzError::BadDate(name))
    };
    let (yy, mm, dd) = (number(0..2)?, number(2..4)?, number(4..6)?);
    let month = Month::try_from(mm).map_err(|_| MrzError::BadDate(name))?;
    Date::from_calendar_date(century(i32::from(yy)), month, dd).map_err(|_| MrzError::BadDate(name))
}

fn birth(yymmdd: &str, today: Date) -> Result<Date, MrzError> {
    // Nobody is born in the future: a two-digit year past this year's is
    // last century's.
    let this_year = today.year() % 100;
    date(yymmdd, "the date of birth", |yy| {
        if yy > this_year {
            1900 + yy
        } else {
            2000 + yy
        }
    })
}

fn expiry(yymmdd: &str) -> Result<Date, MrzError> {
    // Documents issued now expire this century; `<` in place of an expiry
    // (no expiry) is not accepted.
    date(yymmdd, "the date of expiry", |yy| 2000 + yy)
}

fn sex(c: char) -> Option<char> {
    matches!(c, 'M' | 'F' | 'X').then_some(c)
}

fn field(line: &str, range: std::ops::Range<usize>) -> &str {
    line.get(range).unwrap_or_default()
}

fn char_at(line: &str, index: usize) -> char {
    line.as_bytes().get(index).map_or('<', |b| *b as char)
}

/// The check digit at `index`, OCR look-alikes corrected.
fn check_at(line: &str, index: usize) -> char {
    digits(field(line, index..index + 1))
        .chars()
        .next()
        .unwrap_or('<')
}

/// The fields both formats share, cut from their lines, checks passed.
struct Fields<'a> {
    format: MrzFormat,
    first_line: &'a str,
    names: &'a str,
    number: &'a str,
    nationality: &'a str,
    birth: &'a str,
    sex: char,
    expiry: &'a str,
}

impl Fields<'_> {
    fn into_mrz(self, today: Date) -> Result<Mrz, MrzError> {
        let (surname, given_names) = names(self.names);
        Ok(Mrz {
            format: self.format,
            document_code: text(field(self.first_line, 0..2)),
            issuing_country: text(field(self.first_line, 2..5)),
            surname,
            given_names,
            document_number: text(self.number),
            nationality: text(self.nationality),
            birth_date: birth(self.birth, today)?,
            sex: sex(self.sex),
            expiry_date: expiry(self.expiry)?,
        })
    }
}

fn parse_td3(line1: &str, line2: &str, today: Date) -> Result<Mrz, MrzError> {
    let number = field(line2, 0..9);
    let (number_check, birth_check) = (check_at(line2, 9), check_at(line2, 19));
    let birth_raw = digits(field(line2, 13..19));
    let expiry_raw = digits(field(line2, 21..27));
    let expiry_check = check_at(line2, 27);
    let personal = field(line2, 28..42);
    let personal_check = check_at(line2, 42);
    verify(number, number_check, "the document number")?;
    verify(&birth_raw, birth_check, "the date of birth")?;
    verify(&expiry_raw, expiry_check, "the date of expiry")?;
    verify(personal, personal_check, "the personal number")?;
    let composite = format!(
        "{number}{number_check}{birth_raw}{birth_check}{expiry_raw}{expiry_check}{personal}{personal_check}"
    );
    verify(&composite, check_at(line2, 43), "the whole zone")?;
    Fields {
        format: MrzFormat::Td3,
        first_line: line1,
        names: field(line1, 5..44),
        number,
        nationality: field(line2, 10..13),
        birth: &birth_raw,
        sex: char_at(line2, 20),
        expiry: &expiry_raw,
    }
    .into_mrz(today)
}

fn parse_td1(line1: &str, line2: &str, line3: &str, today: Date) -> Result<Mrz, MrzError> {
    let number = field(line1, 5..14);
    let (number_check, birth_check) = (check_at(line1, 14), check_at(line2, 6));
    let birth_raw = digits(field(line2, 0..6));
    let expiry_raw = digits(field(line2, 8..14));
    let expiry_check = check_at(line2, 14);
    verify(number, number_check, "the document number")?;
    verify(&birth_raw, birth_check, "the date of birth")?;
    verify(&expiry_raw, expiry_check, "the date of expiry")?;
    let composite = format!(
        "{number}{number_check}{}{birth_raw}{birth_check}{expiry_raw}{expiry_check}{}",
        field(line1, 15..30),
        field(line2, 18..29)
    );
    verify(&composite, check_at(line2, 29), "the whole zone")?;
    Fields {
        format: MrzFormat::Td1,
        first_line: line1,
        names: line3,
        number,
        nationality: field(line2, 15..18),
        birth: &birth_raw,
        sex: char_at(line2, 7),
        expiry: &expiry_raw,
    }
    .into_mrz(today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 27);

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    // ICAO 9303 part 4, appendix A: the specimen passport.
    const TD3: [&str; 2] = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];

    #[test]
    fn reads_the_icao_specimen_passport() {
        let mrz = find(&lines(&["PASSPORT", TD3[0], TD3[1]]), TODAY).unwrap();
        assert_eq!(mrz.format, MrzFormat::Td3);
        assert_eq!(mrz.surname, "ERIKSSON");
        assert_eq!(mrz.given_names, "ANNA MARIA");
        assert_eq!(mrz.document_number, "L898902C3");
        assert_eq!(mrz.nationality, "UTO");
        assert_eq!(mrz.birth_date, date!(1974 - 08 - 12));
        assert_eq!(mrz.expiry_date, date!(2012 - 04 - 15));
        assert_eq!(mrz.sex, Some('F'));
    }

    // ICAO 9303 part 5, appendix A: the specimen ID card.
    #[test]
    fn reads_the_icao_specimen_id_card() {
        let mrz = find(
            &lines(&[
                "I<UTOD231458907<<<<<<<<<<<<<<<",
                "7408122F1204159UTO<<<<<<<<<<<6",
                "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
            ]),
            TODAY,
        )
        .unwrap();
        assert_eq!(mrz.format, MrzFormat::Td1);
        assert_eq!(mrz.document_number, "D23145890");
        assert_eq!(mrz.given_names, "ANNA MARIA");
        assert_eq!(mrz.expiry_date, date!(2012 - 04 - 15));
    }

    #[test]
    fn corrects_ocr_look_alikes_in_digit_fields_only() {
        // 0 read as O in the birth date, 1 as I in its check digit's field.
        let line2 = "L898902C36UTO74O8122F12O4159ZE184226B<<<<<1O";
        let mrz = find(&lines(&[TD3[0], line2]), TODAY).unwrap();
        assert_eq!(mrz.birth_date, date!(1974 - 08 - 12));
    }

    #[test]
    fn fillers_lost_at_the_end_of_a_name_line_are_restored() {
        let short = &TD3[0][..40];
        let mrz = find(&lines(&[short, TD3[1]]), TODAY).unwrap();
        assert_eq!(mrz.given_names, "ANNA MARIA");
        // Not when the line ends in a letter: a name may have been cut.
        assert_eq!(
            find(&lines(&["P<UTOERIKSSON<<ANNA<MARIA", TD3[1]]), TODAY),
            Err(MrzError::NotFound)
        );
    }

    #[test]
    fn a_changed_digit_fails_its_check() {
        let forged = TD3[1].replace("7408122", "7508122");
        assert_eq!(
            find(&lines(&[TD3[0], &forged]), TODAY),
            Err(MrzError::CheckDigit("the date of birth"))
        );
        let number = TD3[1].replace("L898902C3", "L898902C4");
        assert_eq!(
            find(&lines(&[TD3[0], &number]), TODAY),
            Err(MrzError::CheckDigit("the document number"))
        );
    }

    #[test]
    fn text_without_a_zone_is_not_found() {
        assert_eq!(
            find(&lines(&["PASSPORT", "ERIKSSON"]), TODAY),
            Err(MrzError::NotFound)
        );
    }

    #[test]
    fn check_digits_follow_the_standard() {
        assert_eq!(check_digit("L898902C3"), '6');
        assert_eq!(check_digit("740812"), '2');
        assert_eq!(check_digit("<<<<<<<<<<<<<<"), '0');
    }
}
