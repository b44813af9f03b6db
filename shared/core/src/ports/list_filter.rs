//! The filters both lists take (Verifik's list language, parsed): what a
//! store must match, in the stored spellings, whatever index serves it.

use super::Populate;
use crate::domain::Timestamp;
use std::collections::BTreeSet;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListFilter {
    /// `where_status` / `in_status[]`: any of these, as stored.
    pub statuses: Vec<String>,
    /// `where_project`
    pub project: Option<String>,
    /// `where_projectFlow`
    pub project_flow: Option<String>,
    /// `where_type` (logins), as stored.
    pub login_type: Option<String>,
    /// `where_currentStep` (registrations), as stored.
    pub current_step: Option<String>,
    /// `whereGTE_createdAt` / `whereLTE_createdAt`, both inclusive.
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    /// `like_name`, `like_email` (lowercased), `like_phone` (digits).
    pub name_contains: Option<String>,
    pub email_contains: Option<String>,
    pub phone_contains: Option<String>,
    /// `where-exists_<validation>=1`
    pub must_exist: BTreeSet<Populate>,
}

/// What a filter looks at in one record, for stores that match in memory.
pub struct Listed<'a> {
    pub status: &'a str,
    pub project: &'a str,
    pub project_flow: &'a str,
    pub login_type: Option<&'a str>,
    pub current_step: Option<&'a str>,
    pub created_at: Timestamp,
    pub name: &'a str,
    pub email: Option<&'a str>,
    /// The country code and number, digits only.
    pub phone_digits: Option<String>,
    pub present: BTreeSet<Populate>,
}

impl ListFilter {
    pub fn matches(&self, record: &Listed) -> bool {
        let contains = |field: Option<&str>, part: &Option<String>| {
            part.as_ref()
                .is_none_or(|p| field.is_some_and(|f| f.to_lowercase().contains(p.as_str())))
        };
        let equals = |field: Option<&str>, wanted: &Option<String>| {
            wanted.as_deref().is_none_or(|w| field == Some(w))
        };
        (self.statuses.is_empty() || self.statuses.iter().any(|s| s == record.status))
            && equals(Some(record.project), &self.project)
            && equals(Some(record.project_flow), &self.project_flow)
            && equals(record.login_type, &self.login_type)
            && equals(record.current_step, &self.current_step)
            && self
                .created_from
                .is_none_or(|from| record.created_at >= from)
            && self.created_to.is_none_or(|to| record.created_at <= to)
            && contains(Some(record.name), &self.name_contains)
            && contains(record.email, &self.email_contains)
            && contains(record.phone_digits.as_deref(), &self.phone_contains)
            && self.must_exist.is_subset(&record.present)
    }
}
