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
        let completes_login = others.is_empty();
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
