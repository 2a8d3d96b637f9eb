use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use super::*;
use crate::policy::source::Cause;

const VALID: &str = r#"{"rules": [{"name": "first", "match": {"pipeline": "web"}}]}"#;
const OTHER: &str = r#"{"rules": [{"name": "second", "match": {"pipeline": "web"}}]}"#;
const INVALID: &str = r#"{"rules": [{"name": "broken", "match": {"pipline": "web"}}]}"#;
const EVERY: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug)]
enum Fault {
    Transient,
    Refused,
    Gone,
}

impl Fault {
    fn error(self) -> SourceError {
        let cause: Cause = "scripted".into();
        match self {
            Self::Transient => SourceError::Transient(cause),
            Self::Refused => SourceError::TokenRefused(cause),
            Self::Gone => SourceError::Final {
                what: "the configuration does not exist",
                source: cause,
            },
        }
    }
}

/// AppConfig's session semantics in memory: each token is used once, and a read returns
/// the document only when its version changed since the session's previous read.
#[derive(Default)]
struct World {
    content: Vec<u8>,
    version: u64,
    /// Token -> the version its session has seen.
    tokens: HashMap<String, Option<u64>>,
    issued: u64,
    starts: usize,
    reads: Vec<String>,
    start_faults: VecDeque<Fault>,
    read_faults: VecDeque<Fault>,
    min_interval: Duration,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<World>>);

impl Fake {
    fn with(text: &str) -> Self {
        let fake = Self::default();
        fake.publish(text);
        fake
    }

    fn publish(&self, text: &str) {
        let mut world = self.0.lock().unwrap();
        world.content = text.as_bytes().to_vec();
        world.version += 1;
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.0.lock().unwrap()
    }
}

impl World {
    fn issue(&mut self, seen: Option<u64>) -> String {
        self.issued += 1;
        let token = format!("token-{}", self.issued);
        self.tokens.insert(token.clone(), seen);
        token
    }
}

impl PolicySource for Fake {
    async fn start(&self) -> Result<String, SourceError> {
        let mut world = self.world();
        world.starts += 1;
        if let Some(fault) = world.start_faults.pop_front() {
            return Err(fault.error());
        }
        Ok(world.issue(None))
    }

    async fn latest(&self, token: &str) -> Result<Latest, SourceError> {
        let mut world = self.world();
        world.reads.push(token.to_owned());
        if let Some(fault) = world.read_faults.pop_front() {
            return Err(fault.error());
        }
        let Some(seen) = world.tokens.remove(token) else {
            return Err(Fault::Refused.error());
        };
        let version = world.version;
        let unchanged = seen == Some(version);
        let content = if unchanged {
            Vec::new()
        } else {
            world.content.clone()
        };
        Ok(Latest {
            content,
            next_token: world.issue(Some(version)),
            min_interval: world.min_interval,
            // As AppConfig: a version label only on an answer that carries a version.
            version: (!unchanged).then(|| version.to_string()),
        })
    }
}

fn epoch() -> Timestamp {
    Timestamp::UNIX_EPOCH
}

async fn load(fake: &Fake) -> LivePolicy<Fake> {
    LivePolicy::load(fake.clone(), "the fake".into(), EVERY, epoch)
        .await
        .unwrap()
}

fn rule_of(in_force: &InForce) -> &str {
    match in_force {
        InForce::Policy(policy) => &policy.rules[0].name,
        InForce::Unusable(reason) => panic!("expected a policy, got: {reason}"),
    }
}

fn unusable(in_force: &InForce) -> &str {
    match in_force {
        InForce::Unusable(reason) => reason,
        InForce::Policy(policy) => panic!("expected no policy, got {policy:?}"),
    }
}

async fn after(duration: Duration) {
    tokio::time::advance(duration).await;
}

#[tokio::test(start_paused = true)]
async fn reads_the_policy_at_cold_start() {
    let fake = Fake::with(VALID);
    let mut live = load(&fake).await;
    assert_eq!(rule_of(&live.current().await), "first");
    assert_eq!(fake.world().starts, 1);
    assert_eq!(fake.world().reads, ["token-1"]);
}

#[tokio::test(start_paused = true)]
async fn cold_start_fails_on_an_invalid_empty_or_unreadable_policy() {
    let invalid = LivePolicy::load(Fake::with(INVALID), "the fake".into(), EVERY, epoch).await;
    let Err(LoadError::Invalid { source, .. }) = invalid else {
        panic!("an invalid policy must not load");
    };
    assert!(source.to_string().contains("pipline"), "{source}");

    let empty = LivePolicy::load(Fake::with(""), "the fake".into(), EVERY, epoch).await;
    assert!(matches!(empty, Err(LoadError::Empty { .. })));

    for fault in [Fault::Transient, Fault::Gone] {
        let fake = Fake::with(VALID);
        fake.world().start_faults.push_back(fault);
        let failed = LivePolicy::load(fake, "the fake".into(), EVERY, epoch).await;
        assert!(
            matches!(failed, Err(LoadError::Unreadable { .. })),
            "{fault:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_unchanged_configuration_keeps_the_policy_and_the_next_token_is_used() {
    let fake = Fake::with(VALID);
    let mut live = load(&fake).await;
    for _ in 0..3 {
        after(EVERY).await;
        assert_eq!(rule_of(&live.current().await), "first");
    }
    // Every read used the token the previous read returned; no new session was needed.
    assert_eq!(
        fake.world().reads,
        ["token-1", "token-2", "token-3", "token-4"]
    );
    assert_eq!(fake.world().starts, 1);
}

#[tokio::test(start_paused = true)]
async fn a_new_version_is_used_after_the_interval_and_not_before() {
    let fake = Fake::with(VALID);
    let mut live = load(&fake).await;
    fake.publish(OTHER);
    after(EVERY - Duration::from_secs(1)).await;
    assert_eq!(rule_of(&live.current().await), "first");
    assert_eq!(fake.world().reads.len(), 1, "no read before the interval");
    after(Duration::from_secs(1)).await;
    assert_eq!(rule_of(&live.current().await), "second");
}

#[tokio::test(start_paused = true)]
async fn the_sources_poll_interval_is_the_least_wait() {
    let fake = Fake::with(VALID);
    fake.world().min_interval = Duration::from_secs(300);
    let mut live = load(&fake).await;
    fake.publish(OTHER);
    after(Duration::from_secs(299)).await;
    assert_eq!(rule_of(&live.current().await), "first");
    after(Duration::from_secs(1)).await;
    assert_eq!(rule_of(&live.current().await), "second");
}

#[tokio::test(start_paused = true)]
async fn an_invalid_version_is_never_used_and_stops_the_old_one_until_a_valid_one() {
    let fake = Fake::with(VALID);
    let mut live = load(&fake).await;
    fake.publish(INVALID);
    after(EVERY).await;
    let reason = unusable(&live.current().await).to_owned();
    assert!(
        reason.contains("invalid") && reason.contains("pipline"),
        "{reason}"
    );
    // Unchanged (an empty read) does not bring the old policy back.
    after(EVERY).await;
    assert_eq!(unusable(&live.current().await), reason);
    fake.publish(OTHER);
    after(EVERY).await;
    assert_eq!(rule_of(&live.current().await), "second");
}

#[tokio::test(start_paused = true)]
async fn an_empty_new_version_is_invalid_not_unchanged() {
    let fake = Fake::with(VALID);
    let mut live = load(&fake).await;
    fake.publish("");
    after(EVERY).await;
    let reason = unusable(&live.current().await).to_owned();
    assert!(reason.contains("empty"), "{reason}");
    // The same empty version read again (no version named) stays unusable.
    after(EVERY).await;
    assert_eq!(unusable(&live.current().await), reason);
    fake.publish(OTHER);
    after(EVERY).await;
    assert_eq!(rule_of(&live.current().await), "second");
}

#[tokio::test(start_paused = true)]
async fn a_transient_failure_keeps_the_policy_until_ten_intervals_have_passed() {
    let fake = Fake::with(VALID);
    let mut live = load(&fake).await;
    fake.world()
        .read_faults
        .extend([Fault::Transient; MAX_STALE_INTERVALS as usize]);
    for _ in 0..MAX_STALE_INTERVALS {
        after(EVERY).await;
        assert_eq!(rule_of(&live.current().await), "first");
    }
    // The failed reads did not use the token up: each retried the same one.
    assert!(
        fake.world().reads[1..]
            .iter()
            .all(|token| token == "token-2")
    );
    // A second later the policy was last confirmed more than ten intervals ago.
    after(Duration::from_secs(1)).await;
    let reason = unusable(&live.current().await).to_owned();
    assert!(
        reason.contains("could not be refreshed for 601 s") && reason.contains("may succeed later"),
        "{reason}"
    );
    // The source answers again at the next poll: the policy is confirmed and used again.
    after(EVERY - Duration::from_secs(1)).await;
    assert_eq!(rule_of(&live.current().await), "first");
}

#[tokio::test(start_paused = true)]
async fn a_wall_clock_that_moved_on_counts_even_if_the_monotonic_one_did_not() {
    static WALL: AtomicI64 = AtomicI64::new(0);
    fn wall() -> Timestamp {
        Timestamp::from_second(WALL.load(Ordering::SeqCst)).unwrap()
    }
    let fake = Fake::with(VALID);
    let mut live = LivePolicy::load(fake.clone(), "the fake".into(), EVERY, wall)
        .await
        .unwrap();
    fake.world().read_faults.push_back(Fault::Transient);
    WALL.store(11 * 60, Ordering::SeqCst);
    assert!(unusable(&live.current().await).contains("660 s"));
}

#[tokio::test(start_paused = true)]
async fn a_refused_token_starts_a_new_session_at_once() {
    let fake = Fake::with(VALID);
    let mut live = load(&fake).await;
    fake.world().tokens.clear(); // every token expired
    fake.publish(OTHER);
    after(EVERY).await;
    assert_eq!(rule_of(&live.current().await), "second");
    assert_eq!(fake.world().starts, 2);
}

#[tokio::test(start_paused = true)]
async fn a_new_sessions_empty_document_is_invalid_not_unchanged() {
    let fake = Fake::with(VALID);
    let mut live = load(&fake).await;
    fake.world().read_faults.push_back(Fault::Refused);
    fake.publish("");
    after(EVERY).await;
    assert!(unusable(&live.current().await).contains("empty"));
}

#[tokio::test(start_paused = true)]
async fn a_source_gone_for_good_stops_the_policy_until_it_answers_again() {
    let fake = Fake::with(VALID);
    let mut live = load(&fake).await;
    fake.world().read_faults.push_back(Fault::Gone);
    after(EVERY).await;
    let reason = unusable(&live.current().await).to_owned();
    assert!(reason.contains("does not exist"), "{reason}");
    after(EVERY).await;
    assert_eq!(rule_of(&live.current().await), "first");
    assert_eq!(
        fake.world().starts,
        2,
        "a new session after the source was gone"
    );
}
