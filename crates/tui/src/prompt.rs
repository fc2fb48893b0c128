//! The footer prompt: `/` filter or `:` command line being typed. It owns
//! only the text and the error to show; what the text does is decided by
//! the app (filters apply live, commands run on Enter).

/// Which prompt is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `/` filter of the current table.
    Filter,
    /// `:` command line.
    Command,
}

/// An open prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// Which prompt.
    pub kind: PromptKind,
    /// What was typed so far.
    pub input: String,
    /// Why the input is not usable (an invalid regex), shown next to it.
    pub error: Option<String>,
    /// For a filter: the filter before the prompt opened, restored on Esc.
    pub before: String,
}

/// Longest input accepted; protects the filter and the screen from a paste gone wrong.
pub const MAX_INPUT: usize = 256;

impl Prompt {
    /// A prompt of `kind` starting with `input`.
    pub fn new(kind: PromptKind, input: &str) -> Prompt {
        Prompt {
            kind,
            input: input.to_string(),
            error: None,
            before: input.to_string(),
        }
    }

    /// Types a character (control characters are refused).
    pub fn insert(&mut self, c: char) {
        if !c.is_control() && self.input.chars().count() < MAX_INPUT {
            self.input.push(c);
        }
    }

    /// Deletes the last character.
    pub fn backspace(&mut self) {
        self.input.pop();
    }

    /// Deletes the last word and the spaces after it.
    pub fn delete_word(&mut self) {
        let trimmed = self.input.trim_end_matches(' ');
        let cut = trimmed.rfind(' ').map_or(0, |i| i + 1);
        self.input.truncate(cut);
    }

    /// Clears the input.
    pub fn clear(&mut self) {
        self.input.clear();
    }

    /// The sigil drawn before the input.
    pub fn sigil(&self) -> char {
        match self.kind {
            PromptKind::Filter => '/',
            PromptKind::Command => ':',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits() {
        let mut p = Prompt::new(PromptKind::Command, "");
        for c in "ns risk".chars() {
            p.insert(c);
        }
        p.insert('\u{1b}');
        assert_eq!(p.input, "ns risk");
        p.delete_word();
        assert_eq!(p.input, "ns ");
        p.backspace();
        assert_eq!(p.input, "ns");
        p.clear();
        assert_eq!(p.input, "");
    }
}
