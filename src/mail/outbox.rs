//! The outbox: a bounded queue in front of the [`Mailer`], drained by one background task, so
//! that a request only ever waits to enqueue. Every send is bounded by the mail timeout; a
//! failure is logged (without the message) and counted, and so is a message dropped because
//! the queue is full or its address had its hourly share.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::mailer::{MailError, Mailer};
use super::message::Message;

/// The window of the per-address cap.
const CAP_WINDOW: Duration = Duration::from_secs(3600);
/// Past this many tracked addresses, idle ones are forgotten.
const CAP_TRACKED: usize = 10_000;

/// What the outbox has done since start, from [`Auth::mail_statistics`](crate::Auth::mail_statistics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailStatistics {
    /// Messages accepted into the queue.
    pub queued: u64,
    /// Messages the mailer delivered.
    pub sent: u64,
    /// Messages the mailer failed to deliver (error or timeout).
    pub failed: u64,
    /// Messages dropped because the queue was full.
    pub dropped: u64,
    /// Messages not sent because their address had had its hourly share.
    pub capped: u64,
}

#[derive(Debug, Default)]
struct Counters {
    queued: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    capped: AtomicU64,
}

/// The outbox's settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutboxSettings {
    pub(crate) queue_limit: usize,
    pub(crate) timeout: Duration,
    pub(crate) per_address: u32,
}

/// The worker's half, until it starts.
type Waiting = Option<(mpsc::Receiver<Message>, Arc<dyn Mailer>)>;

/// The queue and its worker (started on the first message, on the caller's runtime).
#[derive(Debug)]
pub(crate) struct Outbox {
    sender: mpsc::Sender<Message>,
    waiting: Mutex<Waiting>,
    counters: Arc<Counters>,
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
    settings: OutboxSettings,
}

impl Outbox {
    pub(crate) fn new(mailer: Arc<dyn Mailer>, settings: OutboxSettings) -> Self {
        let (sender, receiver) = mpsc::channel(settings.queue_limit.max(1));
        Outbox {
            sender,
            waiting: Mutex::new(Some((receiver, mailer))),
            counters: Arc::default(),
            recent: Mutex::default(),
            settings,
        }
    }

    /// Queues `message` unless its address is over its cap or the queue is full (both logged
    /// and counted). Never waits.
    pub(crate) fn enqueue(&self, message: Message) {
        if !self.within_cap(&message.to) {
            self.counters.capped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(kind = ?message.kind, "an address had its hourly share of mails: not sent");
            return;
        }
        self.start();
        match self.sender.try_send(message) {
            Ok(()) => {
                self.counters.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                let kind = match &err {
                    mpsc::error::TrySendError::Full(m) | mpsc::error::TrySendError::Closed(m) => {
                        m.kind
                    }
                };
                tracing::warn!(?kind, "the mail queue is full: a mail was dropped");
            }
        }
    }

    pub(crate) fn statistics(&self) -> MailStatistics {
        let c = &self.counters;
        MailStatistics {
            queued: c.queued.load(Ordering::Relaxed),
            sent: c.sent.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            capped: c.capped.load(Ordering::Relaxed),
        }
    }

    /// Counts one mail to `address` in the last hour, or refuses it.
    fn within_cap(&self, address: &str) -> bool {
        let now = Instant::now();
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() > CAP_TRACKED {
            recent.retain(|_, sent| {
                sent.retain(|t| now.duration_since(*t) < CAP_WINDOW);
                !sent.is_empty()
            });
        }
        let sent = recent.entry(address.to_ascii_lowercase()).or_default();
        sent.retain(|t| now.duration_since(*t) < CAP_WINDOW);
        if sent.len() >= self.settings.per_address as usize {
            return false;
        }
        sent.push_back(now);
        true
    }

    /// Starts the worker on the current runtime, once. It ends when the outbox is dropped.
    fn start(&self) {
        let Some((mut receiver, mailer)) = self
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        let counters = self.counters.clone();
        let timeout = self.settings.timeout;
        tokio::spawn(async move {
            while let Some(message) = receiver.recv().await {
                let outcome = match tokio::time::timeout(timeout, mailer.send(&message)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(MailError::Timeout),
                };
                match outcome {
                    Ok(()) => {
                        counters.sent.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(kind = ?message.kind, "sent a mail");
                    }
                    Err(err) => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(kind = ?message.kind, error = %err, "a mail was not delivered");
                    }
                }
            }
        });
    }
}
