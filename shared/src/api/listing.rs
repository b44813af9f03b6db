//! The list and path conventions every endpoint shares: `page`, `limit`,
//! `sort`, `populates[]`, the list envelope, and the id in the path.

use super::request::{number_param, path_param};
use super::response::json;
use crate::error::{codes, Error, Result};
use crate::ports::{ListCursor, ListStart, Page, Populate, COUNT_CAP};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;

/// `page` (from 1) and `limit` (1 to 100), as every list takes them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paging {
    pub page: u32,
    pub limit: u32,
}

pub fn paging(params: &QueryMap) -> Result<Paging> {
    Ok(Paging {
        page: number_param(params, "page", 1, 1..=100_000)?,
        limit: number_param(params, "limit", 10, 1..=100)?,
    })
}

/// `sort`: `-createdAt` (the default) or `createdAt`. True when newest first.
pub fn newest_first(params: &QueryMap) -> Result<bool> {
    match params.first("sort").map(str::trim) {
        None | Some("-createdAt") => Ok(true),
        Some("createdAt") => Ok(false),
        Some(other) => Err(Error::invalid(
            "invalid_sort",
            format!("sort {other:?} is not supported; use -createdAt or createdAt"),
        )),
    }
}

/// A `like_<field>` filter: case-insensitive, at most 100 characters;
/// empty means no filter.
pub fn contains_filter(params: &QueryMap, name: &str) -> Result<Option<String>> {
    let Some(value) = params.first(name) else {
        return Ok(None);
    };
    let value = value.trim().to_lowercase();
    if value.chars().count() > 100 {
        return Err(Error::invalid(
            codes::INVALID_PARAMETER,
            format!("{name} is too long"),
        ));
    }
    Ok((!value.is_empty()).then_some(value))
}

/// Verifik's name of a populate.
pub fn populate_name(populate: Populate) -> &'static str {
    match populate {
        Populate::AccessControlLog => "accessControlLog",
        Populate::EmailValidation => "emailValidation",
        Populate::PhoneValidation => "phoneValidation",
        Populate::BiometricValidation => "biometricValidation",
    }
}

/// `populates[]`, repeated or comma-separated, each one of `allowed`. A
/// dotted path (`biometricValidation.face`, as Verifik's admin front end
/// asks) expands its first name, which holds everything under it.
pub fn populates(params: &QueryMap, allowed: &[Populate]) -> Result<BTreeSet<Populate>> {
    let mut populates = BTreeSet::new();
    let values = params.all("populates[]").unwrap_or_default().into_iter();
    for value in values.flat_map(|v| v.split(',')) {
        let value = value.trim();
        let (head, path_ok) = match value.split_once('.') {
            None => (value, true),
            Some((head, rest)) => (
                head,
                rest.split('.').all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric())
                }),
            ),
        };
        let found = allowed.iter().find(|p| populate_name(**p) == head);
        match found.filter(|_| path_ok) {
            Some(populate) => populates.insert(*populate),
            None => {
                return Err(Error::invalid(
                    codes::INVALID_POPULATE,
                    format!(
                        "populates[] does not know {value:?}; use {}",
                        one_of(allowed)
                    ),
                ))
            }
        };
    }
    Ok(populates)
}

/// `a, b or c`
fn one_of(allowed: &[Populate]) -> String {
    let names: Vec<&str> = allowed.iter().map(|p| populate_name(*p)).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Where a list of records starts: `after` (a cursor from an earlier
/// page's `next`) or `page`. A numbered page must start among the records
/// `total` counts; past them, `after` reaches every record at one page's
/// cost.
pub fn list_start(params: &QueryMap, paging: Paging) -> Result<ListStart> {
    if let Some(after) = params.first("after") {
        if params.first("page").is_some() {
            return Err(Error::invalid(
                codes::INVALID_PARAMETER,
                "use page or after, not both",
            ));
        }
        return Ok(ListStart::After(ListCursor::decode(after)?));
    }
    let first = u64::from(paging.page - 1) * u64::from(paging.limit);
    if first >= COUNT_CAP {
        return Err(Error::invalid(
            "page_beyond_count",
            format!(
                "numbered pages reach the first {COUNT_CAP} records; follow next with after= for the rest"
            ),
        ));
    }
    Ok(ListStart::Page(paging.page))
}

/// The list envelope. A numbered page: `{data, total, limit, page, pages,
/// totalCapped, next}`, `total` being "at least" when `totalCapped`. A
/// cursor page: `{data, limit, next}`. `next` is null on the last page.
pub fn envelope<T: Serialize>(page: Page<T>, paging: Paging) -> Response<Body> {
    records_envelope(page, &ListStart::Page(paging.page), paging.limit)
}

pub fn records_envelope<T: Serialize>(
    page: Page<T>,
    start: &ListStart,
    limit: u32,
) -> Response<Body> {
    let next = page.next.as_ref().map(ListCursor::encode);
    let body = match start {
        ListStart::Page(number) => json!({
            "data": page.items,
            "total": page.total,
            "limit": limit,
            "page": number,
            "pages": page.total.div_ceil(u64::from(limit)),
            "totalCapped": page.total_capped,
            "next": next,
        }),
        ListStart::After(_) => json!({
            "data": page.items,
            "limit": limit,
            "next": next,
        }),
    };
    json(StatusCode::OK, &body)
}

/// The `{id}` of the path (empty when missing: it then matches nothing).
pub fn path_id(req: &Request) -> String {
    path_param(req, "id").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> QueryMap {
        let mut map = std::collections::HashMap::<String, Vec<String>>::new();
        for (k, v) in pairs {
            map.entry(k.to_string()).or_default().push(v.to_string());
        }
        QueryMap::from(map)
    }

    #[test]
    fn populates_take_repeats_and_commas_and_name_what_is_allowed() {
        let allowed = [Populate::EmailValidation, Populate::PhoneValidation];
        let got = populates(
            &params(&[("populates[]", "emailValidation,phoneValidation")]),
            &allowed,
        )
        .unwrap();
        assert_eq!(got, allowed.into());
        let dotted = populates(
            &params(&[("populates[]", "phoneValidation.phone")]),
            &allowed,
        )
        .unwrap();
        assert_eq!(dotted, [Populate::PhoneValidation].into());
        for bad in [
            "phoneValidation.",
            "phoneValidation..x",
            "face.phoneValidation",
        ] {
            assert!(
                populates(&params(&[("populates[]", bad)]), &allowed).is_err(),
                "{bad}"
            );
        }
        let err = populates(&params(&[("populates[]", "accessControlLog")]), &allowed)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("use emailValidation or phoneValidation"),
            "{err}"
        );
    }

    #[test]
    fn sort_defaults_to_newest_first_and_refuses_others() {
        assert!(newest_first(&params(&[])).unwrap());
        assert!(!newest_first(&params(&[("sort", "createdAt")])).unwrap());
        assert!(newest_first(&params(&[("sort", "name")])).is_err());
    }
}
