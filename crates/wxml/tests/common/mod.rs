//! A fake runtime for render tests: components from a table, one WXS module, warnings kept.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![allow(dead_code)]

use std::collections::BTreeMap;

use miniperm_wxml::{Host, Instance, Templates, Tree, render};
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
}

impl FakeHost {
    pub fn using(mut self, owner: &str, tag: &str, def: &str, wxml: &str, data: Value) -> Self {
        self.using
            .insert((owner.to_string(), tag.to_string()), def.to_string());
        self.defs.insert(def.to_string(), (wxml.to_string(), data));
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
        match (module, func) {
            ("fmt", "upper") => Ok(Value::String(
                args.first()
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_uppercase(),
            )),
            _ => Err(format!("no `{module}.{func}` in `{file}`")),
        }
    }
    fn warn(&mut self, message: String) {
        self.warnings.push(message);
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
