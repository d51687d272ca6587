//! The page as the phone draws it (issue 20): a run's final screen
//! ([`miniperm_runtime::RunOutcome::screen`]) as one self-contained HTML document, for the
//! simulator of `miniperm serve` and the screens of explore's HTML report.
//!
//! - [`wxss`]: WXSS to CSS on cssparser's tokenizer: `rpx`, `@import`, tags as `wx-` elements,
//!   classes scoped per component (WeChat's `styleIsolation`), the selectors WeChat forbids;
//! - [`page`]: the screen's tree as HTML elements with WeChat's default look (`base.css`), every
//!   element keeping its WXML `id`, `class`, `style` and `data-*`, plus `mp-sel` (the `--tap`
//!   selector that finds exactly it); the navigation bar, tab bar and images from the project.
#![forbid(unsafe_code)]

pub mod page;
pub mod wxss;

pub use page::{MAX_IMAGE_BYTES, Painted, Painter};
pub use wxss::Theme;
