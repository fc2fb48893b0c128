//! Pieces every screen draws with: the panel frame and its states, the
//! status bar on top and the footer (prompt, messages, key hints) below.

pub mod footer;
pub mod panel;
pub mod status_bar;
