//! The query log: how many statements a session has run (with `--sql-only`: would run), and
//! the latest of them, as Django's `connection.queries` keeps them — at most
//! [`QueryLog::LIMIT`], so a script that runs millions of statements holds a bounded log.
//! Each statement is marked with whether `settings.DEBUG` was on when it ran (Django's
//! `connection.queries` holds only those) and how long it took.

use crate::sql::Statement;
use std::collections::VecDeque;
use std::ops::Deref;
use std::time::{Duration, Instant};

/// The latest statements, oldest first, and the count of every statement logged.
#[derive(Debug, Default)]
pub struct QueryLog {
    recent: VecDeque<Statement>,
    /// For each of `recent`: logged with DEBUG on, when it started and how long it took.
    timing: VecDeque<Timing>,
    total: u64,
    /// `settings.DEBUG`: statements run now go into `connection.queries`.
    pub debug: bool,
    /// Held statements (with `--sql-only`, those of the top-level statement running, which
    /// are its output): the last `held` of `recent`, after those of them the bound pushed
    /// out of `recent`, in `overflow` (oldest first). Holding them here rather than in a
    /// copy keeps one `Statement` a statement.
    held: usize,
    overflow: Vec<Statement>,
}

#[derive(Debug, Clone, Copy)]
struct Timing {
    debug: bool,
    started: Instant,
    took: Option<Duration>,
}

impl QueryLog {
    /// Django's `BaseDatabaseWrapper.queries_limit`.
    pub const LIMIT: usize = 9000;

    pub fn push(&mut self, st: Statement) {
        if self.recent.len() == Self::LIMIT {
            let oldest = self.recent.pop_front();
            self.timing.pop_front();
            if self.held == Self::LIMIT {
                self.overflow.extend(oldest);
                self.held -= 1;
            }
        }
        self.recent.push_back(st);
        self.timing.push_back(Timing {
            debug: self.debug,
            started: Instant::now(),
            took: None,
        });
        self.total += 1;
    }

    /// [`push`](Self::push), holding the statement until [`release_held`](Self::release_held).
    pub fn push_held(&mut self, st: Statement) {
        self.push(st);
        self.held += 1;
    }

    /// The statements held since the last release, oldest first.
    pub fn held(&self) -> impl Iterator<Item = &Statement> + Clone {
        self.overflow
            .iter()
            .chain(self.recent.range(self.recent.len() - self.held..))
    }

    /// Hold none of the statements logged so far (they stay logged).
    pub fn release_held(&mut self) {
        self.held = 0;
        self.overflow.clear();
    }

    /// The latest statement has finished running: its time is now known.
    pub fn finish(&mut self) {
        if let Some(t) = self.timing.back_mut() {
            t.took.get_or_insert_with(|| t.started.elapsed());
        }
    }

    /// Django's `connection.queries`: the statements logged with DEBUG on, each with its
    /// time in seconds as Django writes it (`"0.001"`).
    pub fn debug_queries(&self) -> impl Iterator<Item = (&Statement, String)> {
        self.recent
            .iter()
            .zip(&self.timing)
            .filter(|(_, t)| t.debug)
            .map(|(st, t)| {
                let took = t.took.unwrap_or_default().as_secs_f64();
                (st, format!("{took:.3}"))
            })
    }

    /// Django's `reset_queries()`: `connection.queries` is empty again (the count of
    /// statements run stays).
    pub fn reset_queries(&mut self) {
        for t in &mut self.timing {
            t.debug = false;
        }
    }

    /// Every statement logged since the session began (or the last [`clear`](Self::clear)).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Take back what was logged after [`total`](Self::total) was `mark`; the last of it.
    pub fn take_since(&mut self, mark: u64) -> Option<Statement> {
        let n = usize::try_from(self.total.saturating_sub(mark)).unwrap_or(usize::MAX);
        let kept = self.recent.len().saturating_sub(n);
        self.total = mark.min(self.total);
        self.held = self.held.saturating_sub(self.recent.len() - kept);
        self.timing.truncate(kept);
        self.recent.split_off(kept).pop_back()
    }

    pub fn clear(&mut self) {
        self.recent.clear();
        self.timing.clear();
        self.total = 0;
        self.release_held();
    }
}

impl Deref for QueryLog {
    type Target = VecDeque<Statement>;

    fn deref(&self) -> &VecDeque<Statement> {
        &self.recent
    }
}

impl<'a> IntoIterator for &'a QueryLog {
    type Item = &'a Statement;
    type IntoIter = std::collections::vec_deque::Iter<'a, Statement>;

    fn into_iter(self) -> Self::IntoIter {
        self.recent.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(i: usize) -> Statement {
        Statement {
            sql: format!("SELECT {i}"),
            params: Vec::new(),
            content_types: Vec::new(),
        }
    }

    #[test]
    fn keeps_the_latest_and_counts_all() {
        let mut log = QueryLog::default();
        for i in 0..QueryLog::LIMIT + 5 {
            log.push(st(i));
        }
        assert_eq!(log.len(), QueryLog::LIMIT);
        assert_eq!(log.total(), QueryLog::LIMIT as u64 + 5);
        assert_eq!(log[0].sql, "SELECT 5");
        let mark = log.total();
        log.push(st(1));
        log.push(st(2));
        assert_eq!(log.take_since(mark).unwrap().sql, "SELECT 2");
        assert_eq!(log.total(), mark);
        assert_eq!(
            log.back().unwrap().sql,
            format!("SELECT {}", QueryLog::LIMIT + 4)
        );
        assert_eq!(log.take_since(log.total()), None);
    }

    #[test]
    fn held_statements_outlive_the_bound() {
        let mut log = QueryLog::default();
        log.push(st(0));
        log.push_held(st(1));
        assert_eq!(
            log.held().map(|s| &s.sql[..]).collect::<Vec<_>>(),
            ["SELECT 1"]
        );
        for i in 2..QueryLog::LIMIT + 3 {
            log.push_held(st(i));
        }
        assert_eq!(log.len(), QueryLog::LIMIT);
        let held: Vec<String> = log.held().map(|s| s.sql.clone()).collect();
        let expected: Vec<String> = (1..QueryLog::LIMIT + 3)
            .map(|i| format!("SELECT {i}"))
            .collect();
        assert_eq!(held, expected);
        log.release_held();
        assert_eq!(log.held().count(), 0);
        log.push(st(7));
        assert_eq!(log.held().count(), 0);
        assert_eq!(log.len(), QueryLog::LIMIT);
    }

    #[test]
    fn connection_queries_hold_what_ran_with_debug_on() {
        let mut log = QueryLog::default();
        log.push(st(1));
        log.debug = true;
        log.push(st(2));
        log.finish();
        let queries: Vec<_> = log.debug_queries().map(|(s, _)| s.sql.clone()).collect();
        assert_eq!(queries, ["SELECT 2"]);
        log.reset_queries();
        assert_eq!(log.debug_queries().count(), 0);
        assert_eq!(log.total(), 2);
    }
}
