//! Pieces every screen draws with: the panel frame and its states, the
//! status bar on top and the footer (prompt, messages, key hints) below,
//! and the charts (a time series with thresholds and markers, a reference
//! vs live histogram).

pub mod chart;
pub mod footer;
pub mod histogram;
pub mod panel;
pub mod status_bar;
