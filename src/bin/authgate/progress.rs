//! Progress on long commands: a bar (or spinner) on a terminal, plain lines otherwise (a log
//! or a pipeline), at most one line per second.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) struct Progress {
    what: &'static str,
    bar: Option<ProgressBar>,
    last_line: Mutex<Option<Instant>>,
}

impl Progress {
    /// `total`: the number of items when known (a bar), else a spinner.
    pub(crate) fn new(what: &'static str, total: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(total) => ProgressBar::new(total).with_style(
                    ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} {msg}")
                        .expect("a valid template")
                        .progress_chars("=> "),
                ),
                None => ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template("{prefix} {spinner} {msg}")
                        .expect("a valid template"),
                ),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.set_prefix(what);
            bar
        });
        Self {
            what,
            bar,
            last_line: Mutex::new(None),
        }
    }

    pub(crate) fn set(&self, position: u64, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
            bar.set_message(message.to_owned());
            return;
        }
        let mut last = self.last_line.lock().expect("not poisoned");
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            eprintln!("{}: {message}", self.what);
            *last = Some(Instant::now());
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
