//! A fake runtime for render tests: components from a table, a few WXS functions, WXS module
//! values from a table, warnings and syntax errors kept.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![allow(dead_code)]

use std::collections::BTreeMap;

use miniperm_wxml::{Host, Instance, ParseError, Templates, Tree, render};
use serde_json::{Map, Value};

#[derive(Default)]
pub struct FakeHost {
    /// (owner file, tag) → definition id
    pub using: BTreeMap<(String, String), String>,
    /// definition id → (WXML path, default data)
    pub defs: BTreeMap<String, (String, Value)>,
    /// instance key → props given, in call order
    pub instances: Vec<(String, String, Map<String, Value>)>,
    pub warnings: Vec<String>,
    /// (declaring file, module) → the module's exports as data
    pub values: BTreeMap<(String, String), Value>,
    /// `wxs_value` calls: (file, module)
    pub value_asks: Vec<(String, String)>,
    /// `wxs_call` calls: (file, module, func)
    pub calls: Vec<(String, String, String)>,
    pub syntax_errors: Vec<ParseError>,
}

impl FakeHost {
    pub fn using(mut self, owner: &str, tag: &str, def: &str, wxml: &str, data: Value) -> Self {
        self.using
            .insert((owner.to_string(), tag.to_string()), def.to_string());
        self.defs.insert(def.to_string(), (wxml.to_string(), data));
        self
    }

    pub fn value(mut self, file: &str, module: &str, v: Value) -> Self {
        self.values
            .insert((file.to_string(), module.to_string()), v);
        self
    }
}

impl Host for FakeHost {
    fn component(&mut self, owner_file: &str, tag: &str) -> Option<String> {
        self.using
            .get(&(owner_file.to_string(), tag.to_string()))
            .cloned()
    }
    fn instance(&mut self, key: &str, def: &str, props: &Map<String, Value>) -> Option<Instance> {
        self.instances
            .push((key.to_string(), def.to_string(), props.clone()));
        let (wxml, data) = self.defs.get(def)?.clone();
        let mut data = data.as_object().cloned().unwrap_or_default();
        data.extend(props.clone());
        Some(Instance {
            data: Value::Object(data),
            wxml,
        })
    }
    fn wxs_call(
        &mut self,
        file: &str,
        module: &str,
        func: &str,
        args: Vec<Value>,
    ) -> Result<Value, String> {
        self.calls
            .push((file.to_string(), module.to_string(), func.to_string()));
        let first = args.first().and_then(Value::as_str).unwrap_or("");
        match (module, func) {
            // `module.exports = upper`, `{upper: …}` or `{nested: {upper: …}}`
            ("upper", "") | ("fmt" | "own", "upper") | ("fmt", "nested.upper") => {
                Ok(Value::String(first.to_uppercase()))
            }
            ("fmt", "words") => Ok(first.split_whitespace().collect::<Vec<_>>().into()),
            // `module.exports = style`: an object to `k:v;…`
            ("style", "") => Ok(Value::String(
                args.first()
                    .and_then(Value::as_object)
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| format!("{k}:{};", v.as_str().unwrap_or("?")))
                            .collect::<String>()
                    })
                    .unwrap_or_default(),
            )),
            _ => Err(format!("no `{module}.{func}` in `{file}`")),
        }
    }
    fn wxs_value(&mut self, file: &str, module: &str) -> Result<Value, String> {
        self.value_asks.push((file.to_string(), module.to_string()));
        self.values
            .get(&(file.to_string(), module.to_string()))
            .cloned()
            .ok_or_else(|| format!("no value for `{module}` in `{file}`"))
    }
    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }
    fn syntax_error(&mut self, error: &ParseError) {
        self.syntax_errors.push(error.clone());
    }
}

pub fn templates(files: &[(&str, &str)]) -> Templates {
    let (t, errors) = Templates::parse_all(files.iter().copied());
    assert!(errors.is_empty(), "{errors:?}");
    t
}

pub fn render_with(files: &[(&str, &str)], file: &str, data: Value, host: &mut FakeHost) -> Tree {
    render(&templates(files), file, &data, host)
}
