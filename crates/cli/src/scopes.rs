//! `miniperm scopes [--json]`: the scope catalogue (reference table T1).

use std::io::Write;

use miniperm_core::catalogue::{PromptKind, SCOPES};

use crate::error::CliError;
use crate::output::{json_document, table};

/// `schema_version` of `scopes --json` (docs/schemas/scopes.schema.json).
const SCHEMA_VERSION: u32 = 1;

/// List every scope miniperm knows, what `wx.authorize` does with it and the APIs it guards
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = crate::help::SCOPES)]
pub struct Args {
    /// Print the catalogue as one JSON document (docs/schemas/scopes.schema.json)
    #[arg(long)]
    pub json: bool,
}

fn prompt(p: PromptKind) -> &'static str {
    match p {
        PromptKind::Prompt => "prompt",
        PromptKind::SettingsOnly => "settings only",
        PromptKind::Retired => "retired (always granted)",
        PromptKind::NoPrompt => "never (scope unauthorized)",
        PromptKind::MiniGameOnly => "mini-game only",
    }
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<(), CliError> {
    if args.json {
        let mut m = serde_json::Map::new();
        m.insert("scopes".into(), serde_json::to_value(&SCOPES[..])?);
        return json_document(out, SCHEMA_VERSION, m);
    }
    let mut rows = vec![vec![
        "scope".to_string(),
        "authorize".to_string(),
        "guards".to_string(),
        "label".to_string(),
    ]];
    for s in &SCOPES {
        rows.push(vec![
            s.name.to_string(),
            prompt(s.prompt).to_string(),
            if s.guards.is_empty() {
                "-".to_string()
            } else {
                s.guards.join(", ")
            },
            format!("{} ({})", s.label.zh, s.label.en),
        ]);
    }
    table(out, &rows)
}
