//! The login's state machine: counting an attempt, accepting a code,
//! failing a check and replacing a code. Each change is a value the
//! services build here; the DynamoDB adapter turns it into conditional
//! writes, and the in-memory store runs the same guard and `apply` below, so
//! the rules are written once.

use super::{
    AccessEvent, DeliveryStatus, Login, LoginStatus, StepStatus, StepType, ValidationStatus,
};
use crate::domain::code::CodeHash;
use crate::domain::contact::Channel;
use crate::domain::limits::{sms_tally_key, window_of, LimitCharge};
use crate::domain::time::Timestamp;

/// Why an attempt was not counted.
#[derive(Clone, Debug, PartialEq)]
pub enum AttemptRejected {
    NotFound,
    /// The channel is not part of this login.
    ChannelNotRequested,
    AlreadyValidated,
    /// The login failed, or this channel used up its attempts.
    Exhausted,
}

/// A correct code: what to write.
#[derive(Clone, Debug)]
pub struct ChannelSuccess {
    pub channel: Channel,
    pub now: Timestamp,
    /// True when no other channel is left, so the login becomes validated.
    pub completes_login: bool,
    /// The other channels: validated (if completing) or still pending.
    pub other_channels: Vec<Channel>,
    pub event: AccessEvent,
    pub ttl: Timestamp,
    pub identifier: String,
    /// The SMS tally (key, window) to add a verified phone code to.
    pub sms_tally: Option<(String, String)>,
}

/// A wrong or expired code: what to write.
#[derive(Clone, Debug)]
pub struct ChannelFailure {
    pub channel: Channel,
    pub now: Timestamp,
    pub events: Vec<AccessEvent>,
    /// The attempts are used up: the login fails and its identifiers free up.
    pub locks_login: bool,
    /// (channel, identifier) of every channel, to release on lock.
    pub identifiers: Vec<(Channel, String)>,
    pub ttl: Timestamp,
}

/// A fresh code for a pending channel.
#[derive(Clone, Debug)]
pub struct CodeReplacement {
    pub channel: Channel,
    pub identifier: String,
    pub hash: CodeHash,
    pub now: Timestamp,
    pub expires_at: Timestamp,
    /// The previous send must be at or before this instant.
    pub cooldown_edge: Timestamp,
    pub ttl: Timestamp,
    pub event: AccessEvent,
    /// Counters this send charges, in the same transaction.
    pub charges: Vec<LimitCharge>,
    /// `Sent`, or `Withheld` when the security lists refuse the identifier.
    pub delivery: DeliveryStatus,
}

/// Why a code could not be replaced.
#[derive(Clone, Debug, PartialEq)]
pub enum ReplaceRefused {
    NotPending,
    TooSoon { last_sent_at: Timestamp },
}

impl Login {
    /// Counts one attempt on `channel`: the guard the store's conditional
    /// write states, then the increment it makes.
    pub fn count_attempt(
        &mut self,
        channel: Channel,
        now: Timestamp,
    ) -> Result<(), AttemptRejected> {
        let status = self.status;
        let v = self
            .validation_mut(channel)
            .ok_or(AttemptRejected::ChannelNotRequested)?;
        if v.status == ValidationStatus::Validated {
            return Err(AttemptRejected::AlreadyValidated);
        }
        if status != LoginStatus::Pending
            || v.status != ValidationStatus::Pending
            || v.attempts >= v.max_attempts
        {
            return Err(AttemptRejected::Exhausted);
        }
        v.attempts += 1;
        v.updated_at = now;
        self.updated_at = now;
        Ok(())
    }

    /// What accepting `channel`'s code changes, on the login as last read.
    pub fn success(
        &self,
        channel: Channel,
        event: AccessEvent,
        now: Timestamp,
        ttl: Timestamp,
    ) -> ChannelSuccess {
        let others = self.other_pending(channel);
        // A login that owes a face after its codes stays pending.
        let completes_login = others.is_empty() && !self.face_pending();
        let other_channels = if completes_login {
            self.channels()
                .into_iter()
                .filter(|c| *c != channel)
                .collect()
        } else {
            others
        };
        // A verified SMS code counts for the flow's send-to-success ratio,
        // in the window it was sent in.
        let sms_tally = (channel == Channel::Phone)
            .then(|| self.validation(channel))
            .flatten()
            .map(|v| {
                (
                    sms_tally_key(&self.project_flow),
                    window_of(v.sent_at, 3_600).0.to_string(),
                )
            });
        ChannelSuccess {
            channel,
            now,
            completes_login,
            other_channels,
            event,
            ttl,
            identifier: self.identifier(channel).unwrap_or_default(),
            sms_tally,
        }
    }

    /// Whether `success` still holds on this login: the channel is pending
    /// and the others are as the success assumed. A store refuses (races) a
    /// success on a login for which this is false.
    pub fn admits(&self, success: &ChannelSuccess) -> bool {
        let validated = |c: Channel| {
            self.validation(c)
                .is_some_and(|v| v.status == ValidationStatus::Validated)
        };
        let others_as_assumed = success
            .other_channels
            .iter()
            .all(|c| validated(*c) == success.completes_login);
        self.status == LoginStatus::Pending
            && self
                .validation(success.channel)
                .is_some_and(|v| v.status == ValidationStatus::Pending)
            && others_as_assumed
    }

    pub fn apply_success(&mut self, success: &ChannelSuccess) {
        let now = success.now;
        if let Some(v) = self.validation_mut(success.channel) {
            v.status = ValidationStatus::Validated;
            v.updated_at = now;
        }
        self.set_step(success.channel, StepStatus::Completed, now);
        self.access_control_log.push(success.event.clone());
        self.updated_at = now;
        if success.completes_login {
            self.status = LoginStatus::Validated;
            self.completed_at = Some(now);
        }
    }

    /// What a wrong or expired code on `channel` changes; `locks` when it
    /// used the last attempt.
    pub fn failure(
        &self,
        channel: Channel,
        events: Vec<AccessEvent>,
        locks: bool,
        now: Timestamp,
        ttl: Timestamp,
    ) -> ChannelFailure {
        ChannelFailure {
            channel,
            now,
            events,
            locks_login: locks,
            identifiers: self
                .channels()
                .into_iter()
                .filter_map(|c| self.identifier(c).map(|i| (c, i)))
                .collect(),
            ttl,
        }
    }

    pub fn apply_failure(&mut self, failure: &ChannelFailure) {
        self.access_control_log
            .extend(failure.events.iter().cloned());
        self.updated_at = failure.now;
        if failure.locks_login {
            self.status = LoginStatus::Failed;
            if let Some(v) = self.validation_mut(failure.channel) {
                v.status = ValidationStatus::Failed;
            }
            self.set_step(failure.channel, StepStatus::Failed, failure.now);
        }
    }

    /// The guard the store's conditional write states for a new code.
    pub fn admits_replacement(&self, replacement: &CodeReplacement) -> Result<(), ReplaceRefused> {
        let v = self
            .validation(replacement.channel)
            .ok_or(ReplaceRefused::NotPending)?;
        if self.status != LoginStatus::Pending
            || v.status != ValidationStatus::Pending
            || v.attempts >= v.max_attempts
        {
            return Err(ReplaceRefused::NotPending);
        }
        if v.sent_at > replacement.cooldown_edge && v.delivery_status != DeliveryStatus::Failed {
            return Err(ReplaceRefused::TooSoon {
                last_sent_at: v.sent_at,
            });
        }
        Ok(())
    }

    pub fn apply_replacement(&mut self, replacement: &CodeReplacement) {
        let now = replacement.now;
        if let Some(v) = self.validation_mut(replacement.channel) {
            v.expires_at = replacement.expires_at;
            v.sent_at = now;
            v.delivery_status = replacement.delivery;
            v.updated_at = now;
        }
        self.access_control_log.push(replacement.event.clone());
        self.updated_at = now;
    }

    fn set_step(&mut self, channel: Channel, status: StepStatus, now: Timestamp) {
        if let Some(i) = self.step_index(StepType::for_channel(channel)) {
            self.steps[i].status = status;
            self.steps[i].timestamp = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::{Email, Phone};
    use crate::domain::flow::{LoginSettings, ProjectFlow};
    use crate::domain::login::{AccessEventKind, LoginContacts, RequestOrigin};

    fn login(both_channels: bool, max_attempts: u32) -> (Login, Timestamp) {
        let now = Timestamp::now();
        let flow = ProjectFlow::login_for_tests(LoginSettings {
            max_attempts,
            ..LoginSettings::default()
        });
        let contacts = LoginContacts {
            email: Some(Email::parse("ana@example.com").unwrap()),
            phone: both_channels.then(|| Phone::parse("+57", "3001234567").unwrap()),
        };
        let origin = RequestOrigin::default();
        (
            Login::start(&flow, "Ana".into(), &contacts, &origin, now),
            now,
        )
    }

    fn event(now: Timestamp) -> AccessEvent {
        RequestOrigin::default().event(AccessEventKind::ChannelValidated, None, now)
    }

    #[test]
    fn attempts_count_up_to_the_limit_and_no_further() {
        let (mut login, now) = login(false, 2);
        assert_eq!(login.count_attempt(Channel::Email, now), Ok(()));
        assert_eq!(login.count_attempt(Channel::Email, now), Ok(()));
        assert_eq!(
            login.count_attempt(Channel::Email, now),
            Err(AttemptRejected::Exhausted)
        );
        assert_eq!(login.validation(Channel::Email).unwrap().attempts, 2);
        assert_eq!(
            login.count_attempt(Channel::Phone, now),
            Err(AttemptRejected::ChannelNotRequested)
        );
    }

    #[test]
    fn the_last_channel_completes_the_login_and_a_used_code_is_refused() {
        let (mut login, now) = login(true, 5);
        let first = login.success(Channel::Email, event(now), now, now);
        assert!(!first.completes_login);
        assert_eq!(first.other_channels, vec![Channel::Phone]);
        assert!(login.admits(&first));
        login.apply_success(&first);
        assert_eq!(login.status, LoginStatus::Pending);
        // The same success again: the channel is no longer pending.
        assert!(!login.admits(&first));
        assert_eq!(
            login.count_attempt(Channel::Email, now),
            Err(AttemptRejected::AlreadyValidated)
        );

        let second = login.success(Channel::Phone, event(now), now, now);
        assert!(second.completes_login);
        assert!(second.sms_tally.is_some());
        login.apply_success(&second);
        assert_eq!(login.status, LoginStatus::Validated);
        assert!(login.completed_at.is_some());
    }

    #[test]
    fn a_success_built_on_a_stale_view_is_not_admitted() {
        let (mut login, now) = login(true, 5);
        // Both codes checked at once: each success assumes the other channel
        // is still pending.
        let email = login.success(Channel::Email, event(now), now, now);
        let phone = login.success(Channel::Phone, event(now), now, now);
        login.apply_success(&email);
        assert!(!login.admits(&phone));
        // Seen again on the fresh login, the phone completes it.
        let phone = login.success(Channel::Phone, event(now), now, now);
        assert!(phone.completes_login && login.admits(&phone));
    }

    #[test]
    fn a_locking_failure_fails_the_login_and_its_step() {
        let (mut login, now) = login(false, 5);
        let logged = login.access_control_log.len();
        let soft = login.failure(Channel::Email, vec![event(now)], false, now, now);
        login.apply_failure(&soft);
        assert_eq!(login.status, LoginStatus::Pending);
        let lock = login.failure(Channel::Email, vec![event(now)], true, now, now);
        assert_eq!(
            lock.identifiers,
            vec![(Channel::Email, "ana@example.com".to_string())]
        );
        login.apply_failure(&lock);
        assert_eq!(login.status, LoginStatus::Failed);
        assert_eq!(
            login.validation(Channel::Email).unwrap().status,
            ValidationStatus::Failed
        );
        let step = login
            .step_index(StepType::for_channel(Channel::Email))
            .unwrap();
        assert_eq!(login.steps[step].status, StepStatus::Failed);
        assert_eq!(login.access_control_log.len(), logged + 2);
    }

    #[test]
    fn a_new_code_waits_for_the_cooldown_unless_the_last_send_failed() {
        let (mut login, now) = login(false, 5);
        let replacement = |edge: Timestamp| CodeReplacement {
            channel: Channel::Email,
            identifier: "ana@example.com".into(),
            hash: CodeHash("hash".into()),
            now,
            expires_at: now.plus_seconds(600),
            cooldown_edge: edge,
            ttl: now,
            event: event(now),
            charges: vec![],
            delivery: DeliveryStatus::Sent,
        };
        let sent_at = login.validation(Channel::Email).unwrap().sent_at;
        assert_eq!(
            login.admits_replacement(&replacement(sent_at.plus_seconds(-1))),
            Err(ReplaceRefused::TooSoon {
                last_sent_at: sent_at
            })
        );
        assert_eq!(login.admits_replacement(&replacement(sent_at)), Ok(()));
        login
            .validation_mut(Channel::Email)
            .unwrap()
            .delivery_status = DeliveryStatus::Failed;
        assert_eq!(
            login.admits_replacement(&replacement(sent_at.plus_seconds(-1))),
            Ok(())
        );
        login.apply_replacement(&replacement(sent_at));
        assert_eq!(
            login.validation(Channel::Email).unwrap().expires_at,
            now.plus_seconds(600)
        );
        login.status = LoginStatus::Failed;
        assert_eq!(
            login.admits_replacement(&replacement(now)),
            Err(ReplaceRefused::NotPending)
        );
    }
}
