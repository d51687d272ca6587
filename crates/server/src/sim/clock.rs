//! The simulator's clock: the system's, or a manual one that only moves when told to, so tests
//! see sessions expire without sleeping.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// The time simulator sessions are touched and expire by.
#[derive(Clone)]
pub struct Clock(Arc<Inner>);

enum Inner {
    System,
    /// The current time; [`Clock::advance`] moves it and wakes every waiter.
    Manual(watch::Sender<Instant>),
}

impl Clock {
    /// The system's monotonic clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Inner::System))
    }

    /// A clock that starts now and moves only by [`Clock::advance`].
    pub fn manual() -> Clock {
        Clock(Arc::new(Inner::Manual(watch::Sender::new(Instant::now()))))
    }

    pub fn now(&self) -> Instant {
        match &*self.0 {
            Inner::System => Instant::now(),
            Inner::Manual(t) => *t.borrow(),
        }
    }

    /// Moves a manual clock forward (a no-op on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Inner::Manual(t) = &*self.0 {
            t.send_modify(|t| *t += by);
        }
    }

    /// Resolves once the clock reads `deadline` or later.
    pub async fn sleep_until(&self, deadline: Instant) {
        match &*self.0 {
            Inner::System => tokio::time::sleep_until(deadline.into()).await,
            Inner::Manual(t) => {
                let mut rx = t.subscribe();
                loop {
                    if *rx.borrow_and_update() >= deadline {
                        return;
                    }
                    if rx.changed().await.is_err() {
                        // The clock is gone (the service is stopping): never resolve.
                        std::future::pending::<()>().await;
                    }
                }
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Inner::System => f.write_str("Clock::system"),
            Inner::Manual(_) => f.write_str("Clock::manual"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_wakes_its_sleepers_when_advanced() {
        let clock = Clock::manual();
        let start = clock.now();
        let deadline = start + Duration::from_secs(60);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(deadline).await }
        });
        clock.advance(Duration::from_secs(59));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(1));
        assert!(sleeper.await.is_ok());
        assert_eq!(clock.now() - start, Duration::from_secs(60));
    }
}
