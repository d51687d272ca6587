use miniperm_runtime::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let p = Project::load(std::path::Path::new(&args[1])).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let mut cfg = RunConfig::new(&p);
    cfg.taps = args[2]
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let answers = parse_answers(args.get(3).map(String::as_str).unwrap_or("")).unwrap();
    let mut user = ScriptedUser::new(answers);
    let mut store = miniperm_store::MemoryStore::default();
    match run(&p, &cfg, &mut store, &mut user) {
        Ok(o) => {
            for e in &o.events {
                println!("{}", render_human(e, false));
            }
        }
        Err(e) => eprintln!("error: {e}"),
    }
}
