//! `cargo run -p miniperm-apigen`: regenerates crates/core/src/wxapi/generated.rs and
//! docs/wx-api.md from tools/typings (run `npm ci` there first) and crates/apigen/overlay.txt.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use miniperm_apigen::{
    GENERATED_MD, GENERATED_RS, OVERLAY, Sources, TYPINGS_DIR, generate, workspace_root,
};

fn main() -> ExitCode {
    let root = workspace_root();
    let run = || -> Result<usize, Box<dyn std::error::Error>> {
        let src = Sources::read(&root.join(TYPINGS_DIR), &root.join(OVERLAY))?;
        let out = generate(&src)?;
        std::fs::write(root.join(GENERATED_RS), &out.rust)?;
        if let Some(dir) = root.join(GENERATED_MD).parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(root.join(GENERATED_MD), &out.markdown)?;
        Ok(out.apis.len())
    };
    match run() {
        Ok(n) => {
            println!("apigen: {n} APIs -> {GENERATED_RS}, {GENERATED_MD}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("apigen: {e}");
            eprintln!("apigen: install the typings first: (cd tools/typings && npm ci)");
            ExitCode::FAILURE
        }
    }
}
