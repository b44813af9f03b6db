//! Verifik's list query language, as its documentation and its Angular
//! admin front end send it, parsed into a `ListFilter`. The front end
//! spells some parameters its own way (`perPage`, `populates` repeated
//! without brackets, `whereGTE_createdAt`): those are read as aliases of
//! the documented names, and anything else unknown is still refused.

use super::listing;
use super::request::reject_unknown;
use crate::domain::ids::is_plausible_id;
use crate::domain::Timestamp;
use crate::error::{codes, Error, Result};
use crate::ports::{ListFilter, Populate};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use std::collections::{BTreeSet, HashMap};

/// Each alias and the name it stands for.
const ALIASES: &[(&str, &str)] = &[
    ("perPage", "limit"),
    ("populates", "populates[]"),
    ("in_status", "in_status[]"),
    ("whereGTE_createdAt", "gte_createdAt"),
    ("whereLTE_createdAt", "lte_createdAt"),
];

/// What every list takes, whatever it lists.
const COMMON: &[&str] = &[
    "page",
    "after",
    "limit",
    "sort",
    "populates[]",
    "where_status",
    "in_status[]",
    "where_project",
    "where_projectFlow",
    "gte_createdAt",
    "lte_createdAt",
    "like_name",
    "like_email",
    "like_phone",
];

/// A list's own `where_` filter: `where_type` or `where_currentStep`.
pub struct OwnField {
    pub name: &'static str,
    /// The stored spelling of a value, if it is one.
    pub read: fn(&str) -> Option<&'static str>,
    /// The values, for the error.
    pub allowed: &'static str,
}

/// One list's rules: its own `where_` filter, its statuses, and which
/// validations `where-exists_` may name.
pub struct ListRules {
    pub field: OwnField,
    pub status: fn(&str) -> Option<&'static str>,
    pub status_names: &'static str,
    pub exists: &'static [Populate],
}

/// The query with every alias under the name it stands for: arrays gather
/// the values of both spellings; a single value under two spellings is
/// refused.
pub fn canonical(params: &QueryMap) -> Result<QueryMap> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    let names: BTreeSet<&str> = params.iter().map(|(k, _)| k).collect();
    for name in names {
        let target = ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map_or(name, |(_, target)| target);
        let values = params.all(name).unwrap_or_default();
        let entry = map.entry(target.to_string()).or_default();
        if !target.ends_with("[]") && !entry.is_empty() {
            return Err(Error::invalid(
                codes::INVALID_PARAMETER,
                format!("{target} is given under two names; send one"),
            ));
        }
        entry.extend(values.into_iter().map(str::to_string));
    }
    Ok(QueryMap::from(map))
}

/// The parameters of a list, checked: unknown names refused, and the
/// filters read. `params` must be `canonical`.
pub fn filter(params: &QueryMap, rules: &ListRules) -> Result<ListFilter> {
    let exists: Vec<String> = rules
        .exists
        .iter()
        .map(|p| format!("where-exists_{}", listing::populate_name(*p)))
        .collect();
    let mut known: Vec<&str> = COMMON.to_vec();
    known.push(rules.field.name);
    known.extend(exists.iter().map(String::as_str));
    reject_unknown(params, &known)?;

    let mut filter = ListFilter::default();
    let statuses = params
        .all("where_status")
        .unwrap_or_default()
        .into_iter()
        .chain(params.all("in_status[]").unwrap_or_default())
        .flat_map(|v| v.split(','));
    for status in statuses {
        let stored = (rules.status)(status.trim()).ok_or_else(|| {
            Error::invalid(
                "invalid_status",
                format!("status {status:?} is not one of {}", rules.status_names),
            )
        })?;
        if !filter.statuses.iter().any(|s| s == stored) {
            filter.statuses.push(stored.to_string());
        }
    }
    filter.project = id(params, "where_project")?;
    filter.project_flow = id(params, "where_projectFlow")?;
    let OwnField {
        name,
        read,
        allowed,
    } = &rules.field;
    if let Some(raw) = params.first(name).map(str::trim) {
        let stored = read(raw).ok_or_else(|| {
            Error::invalid(
                codes::INVALID_PARAMETER,
                format!("{name} {raw:?} is not one of {allowed}"),
            )
        })?;
        match *name {
            "where_type" => filter.login_type = Some(stored.to_string()),
            _ => filter.current_step = Some(stored.to_string()),
        }
    }
    filter.created_from = instant(params, "gte_createdAt", false)?;
    filter.created_to = instant(params, "lte_createdAt", true)?;
    if let (Some(from), Some(to)) = (filter.created_from, filter.created_to) {
        if from > to {
            return Err(Error::invalid(
                codes::INVALID_PARAMETER,
                "the createdAt range ends before it starts",
            ));
        }
    }
    filter.name_contains = listing::contains_filter(params, "like_name")?;
    filter.email_contains = listing::contains_filter(params, "like_email")?;
    filter.phone_contains = listing::contains_filter(params, "like_phone")?
        .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|digits| !digits.is_empty());
    for (name, populate) in exists.iter().zip(rules.exists) {
        match params.first(name).map(str::trim) {
            None | Some("0") | Some("false") => {}
            Some("1") | Some("true") => {
                filter.must_exist.insert(*populate);
            }
            Some(_) => {
                return Err(Error::invalid(
                    codes::INVALID_PARAMETER,
                    format!("{name} must be 1 or 0"),
                ))
            }
        }
    }
    Ok(filter)
}

/// A `where_` filter on an id.
fn id(params: &QueryMap, name: &str) -> Result<Option<String>> {
    match params.first(name).map(str::trim) {
        None => Ok(None),
        Some(value) if is_plausible_id(value) => Ok(Some(value.to_string())),
        Some(_) => Err(Error::invalid(
            codes::INVALID_PARAMETER,
            format!("{name} is not an id"),
        )),
    }
}

/// A day (`2026-11-25`, the whole day) or an instant (RFC 3339).
fn instant(params: &QueryMap, name: &str, end_of_day: bool) -> Result<Option<Timestamp>> {
    let Some(raw) = params.first(name).map(str::trim) else {
        return Ok(None);
    };
    let parsed = if raw.len() == 10 {
        day_start(raw).map(|t| {
            if end_of_day {
                t.plus_seconds(86_400 - 1)
            } else {
                t
            }
        })
    } else {
        Timestamp::parse(raw)
    };
    parsed.map(Some).ok_or_else(|| {
        Error::invalid(
            codes::INVALID_PARAMETER,
            format!("{name} must be a date (YYYY-MM-DD) or an RFC 3339 time"),
        )
    })
}

/// `YYYY-MM-DD` at 00:00 UTC.
pub fn day_start(day: &str) -> Option<Timestamp> {
    let ok = day.len() == 10 && day.as_bytes()[4] == b'-' && day.as_bytes()[7] == b'-';
    ok.then(|| Timestamp::parse(&format!("{day}T00:00:00Z")))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::login::LoginType;

    fn params(pairs: &[(&str, &str)]) -> QueryMap {
        let mut map = HashMap::<String, Vec<String>>::new();
        for (k, v) in pairs {
            map.entry(k.to_string()).or_default().push(v.to_string());
        }
        QueryMap::from(map)
    }

    const RULES: ListRules = ListRules {
        field: OwnField {
            name: "where_type",
            read: |t| LoginType::parse(t).map(LoginType::as_str),
            allowed: "email, phone",
        },
        status: |s| ["pending", "validated"].into_iter().find(|x| *x == s),
        status_names: "pending, validated",
        exists: &[Populate::EmailValidation],
    };

    #[test]
    fn aliases_read_as_their_names_and_arrays_gather() {
        let got = canonical(&params(&[
            ("perPage", "25"),
            ("populates", "emailValidation"),
            ("populates", "phoneValidation"),
            ("populates[]", "biometricValidation"),
            ("whereGTE_createdAt", "2026-01-01"),
        ]))
        .unwrap();
        assert_eq!(got.first("limit"), Some("25"));
        assert_eq!(got.all("populates[]").unwrap().len(), 3);
        assert_eq!(got.first("gte_createdAt"), Some("2026-01-01"));
        let both = canonical(&params(&[("perPage", "25"), ("limit", "10")])).unwrap_err();
        assert!(both.to_string().contains("limit"), "{both}");
    }

    #[test]
    fn filters_read_each_form_and_refuse_the_unknown() {
        let got = filter(
            &canonical(&params(&[
                ("where_status", "pending"),
                ("in_status[]", "validated"),
                ("where_type", "email"),
                ("whereGTE_createdAt", "2026-01-01"),
                ("whereLTE_createdAt", "2026-01-31T12:00:00.000Z"),
                ("like_phone", "+57 300"),
                ("like_email", "Ana@"),
                ("where-exists_emailValidation", "1"),
            ]))
            .unwrap(),
            &RULES,
        )
        .unwrap();
        assert_eq!(got.statuses, ["pending", "validated"]);
        assert_eq!(got.login_type.as_deref(), Some("email"));
        assert_eq!(got.phone_contains.as_deref(), Some("57300"));
        assert_eq!(got.email_contains.as_deref(), Some("ana@"));
        assert_eq!(
            got.created_to.unwrap().to_string(),
            "2026-01-31T12:00:00.000Z"
        );
        assert!(got.must_exist.contains(&Populate::EmailValidation));
        for bad in [
            ("where_status", "lost"),
            ("where_type", "pigeon"),
            ("where_project", "not an id"),
            ("where_currentStep", "document"),
            ("like_nickname", "x"),
            ("where-exists_phoneValidation", "1"),
        ] {
            let err = filter(&canonical(&params(&[bad])).unwrap(), &RULES);
            assert!(err.is_err(), "{bad:?}");
        }
        let backwards = filter(
            &canonical(&params(&[
                ("gte_createdAt", "2026-02-01"),
                ("lte_createdAt", "2026-01-01"),
            ]))
            .unwrap(),
            &RULES,
        );
        assert!(backwards.is_err());
    }
}
