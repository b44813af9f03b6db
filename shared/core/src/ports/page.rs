//! List pages. A list starts at a page number (Verifik's `page`, with a
//! `total`) or just after the record another page ended on (`after`, an
//! opaque cursor). A numbered page costs the records up to its end, at
//! least `COUNT_CAP` of them for the count; a cursor page costs one page.

use crate::domain::ids::is_plausible_id;
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// How many records a numbered page counts: `total` is exact up to this,
/// and past it says "at least" with `total_capped`. Counting reads every
/// record it counts, so this is what a numbered page can cost.
pub const COUNT_CAP: u64 = 1_000;

/// Where a list page starts.
#[derive(Clone, Debug, PartialEq)]
pub enum ListStart {
    /// Page `n`, counting from 1.
    Page(u32),
    /// The records after this one, in list order.
    After(ListCursor),
}

impl Default for ListStart {
    fn default() -> Self {
        Self::Page(1)
    }
}

impl ListStart {
    /// How many matches, in list order, a store reads for this page and
    /// `limit`: up to the page's end and past the count, plus one to tell
    /// whether more follow.
    pub fn read_at_most(&self, limit: u32) -> usize {
        let wanted = match self {
            Self::Page(page) => (u64::from(*page) * u64::from(limit)).max(COUNT_CAP),
            Self::After(_) => u64::from(limit),
        };
        usize::try_from(wanted)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
    }
}

/// A record's place in a list sorted by creation: its `createdAt` and id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListCursor {
    pub created_at: Timestamp,
    pub id: String,
}

impl ListCursor {
    /// The list's sort key, `{createdAt}#{id}`.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", self.created_at, self.id)
    }

    /// From a sort key as stored.
    pub fn from_sort_key(key: &str) -> Option<Self> {
        let (created_at, id) = key.split_once('#')?;
        let created_at = Timestamp::parse(created_at)?;
        is_plausible_id(id).then(|| Self {
            created_at,
            id: id.to_string(),
        })
    }

    /// The opaque `after`/`next` text. It names a position, not a record
    /// the caller may read: a store lists only the caller's own records
    /// from wherever it points.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.sort_key())
    }

    pub fn decode(text: &str) -> Result<Self> {
        URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|key| Self::from_sort_key(&key))
            .ok_or_else(|| {
                Error::invalid(
                    "invalid_cursor",
                    "after is not a cursor this list returned as next",
                )
            })
    }
}

/// One page of a list: its records, how many match (numbered pages only),
/// and the cursor of the next page when there is one.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matches in all: exact, or at least this when `total_capped`. 0 on a
    /// cursor page, which does not count.
    pub total: u64,
    pub total_capped: bool,
    pub next: Option<ListCursor>,
}

impl<T> Page<T> {
    /// Page `page` (counting from 1) of `limit` records, cut from all the
    /// matches in list order; `total` is exact.
    pub fn cut(all: Vec<T>, page: u32, limit: u32) -> Self {
        let total = all.len() as u64;
        let skip = (page.saturating_sub(1) as usize).saturating_mul(limit as usize);
        Self {
            items: all.into_iter().skip(skip).take(limit as usize).collect(),
            total,
            total_capped: false,
            next: None,
        }
    }

    /// The page `start` and `limit` ask for, from the first matches in
    /// list order, read as far as `start.read_at_most(limit)` (at most
    /// that many). `cursor` gives a match's place, for `next`.
    pub fn select(
        found: Vec<T>,
        start: &ListStart,
        limit: u32,
        cursor: impl Fn(&T) -> Option<ListCursor>,
    ) -> Self {
        let read = start.read_at_most(limit);
        let more_unread = found.len() >= read;
        let (skip, total, total_capped) = match start {
            ListStart::Page(page) => {
                let skip = (page.saturating_sub(1) as usize).saturating_mul(limit as usize);
                let counted = found.len().min(read - 1) as u64;
                (skip, counted, more_unread)
            }
            ListStart::After(_) => (0, 0, false),
        };
        let has_next = found.len() > skip.saturating_add(limit as usize);
        let items: Vec<T> = found.into_iter().skip(skip).take(limit as usize).collect();
        let next = if has_next {
            items.last().and_then(cursor)
        } else {
            None
        };
        Self {
            items,
            total,
            total_capped,
            next,
        }
    }

    /// The same page, each record converted.
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(convert).collect(),
            total: self.total,
            total_capped: self.total_capped,
            next: self.next,
        }
    }

    /// The same page, each record converted; the first failure fails it.
    pub fn try_map<U>(self, convert: impl FnMut(T) -> Result<U>) -> Result<Page<U>> {
        Ok(Page {
            items: self.items.into_iter().map(convert).collect::<Result<_>>()?,
            total: self.total,
            total_capped: self.total_capped,
            next: self.next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(i: u32) -> ListCursor {
        ListCursor {
            created_at: Timestamp::from_unix(1_700_000_000 + i64::from(i)).unwrap(),
            id: format!("id{i:04}"),
        }
    }

    /// Reads like a store: the matches after the cursor, at most as many
    /// as the start asks for.
    fn read(all: &[u32], start: &ListStart, limit: u32) -> Vec<u32> {
        let from = match start {
            ListStart::Page(_) => 0,
            ListStart::After(c) => all.iter().position(|i| at(*i) == *c).unwrap() + 1,
        };
        all[from..]
            .iter()
            .copied()
            .take(start.read_at_most(limit))
            .collect()
    }

    #[test]
    fn cursor_pages_walk_the_same_records_as_numbered_pages() {
        for n in [0u32, 1, 9, 10, 11, 57] {
            let all: Vec<u32> = (0..n).collect();
            let numbered: Vec<u32> = (1..=n.div_ceil(10).max(1))
                .flat_map(|p| {
                    let start = ListStart::Page(p);
                    Page::select(read(&all, &start, 10), &start, 10, |i| Some(at(*i))).items
                })
                .collect();
            let mut walked = Vec::new();
            let mut start = ListStart::Page(1);
            loop {
                let page = Page::select(read(&all, &start, 10), &start, 10, |i| Some(at(*i)));
                walked.extend(page.items);
                match page.next {
                    Some(next) => start = ListStart::After(next),
                    None => break,
                }
            }
            assert_eq!(walked, all);
            assert_eq!(numbered, all);
        }
    }

    #[test]
    fn numbered_pages_count_up_to_the_cap() {
        let exact: Vec<u32> = (0..999).collect();
        let page = Page::select(exact, &ListStart::Page(1), 10, |i| Some(at(*i)));
        assert_eq!((page.total, page.total_capped), (999, false));
        // A store stops reading at the cap plus one.
        let start = ListStart::Page(1);
        let many: Vec<u32> = (0..5_000).take(start.read_at_most(10)).collect();
        let page = Page::select(many, &start, 10, |i| Some(at(*i)));
        assert_eq!((page.total, page.total_capped), (COUNT_CAP, true));
        assert_eq!(page.next, Some(at(9)));
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let cursor = at(3);
        assert_eq!(ListCursor::decode(&cursor.encode()).unwrap(), cursor);
        for bad in [
            "",
            "!!",
            "bm90IGEgY3Vyc29y",
            &URL_SAFE_NO_PAD.encode("2026-01-01T00:00:00.000Z#a b"),
        ] {
            assert!(ListCursor::decode(bad).is_err(), "{bad}");
        }
    }
}
