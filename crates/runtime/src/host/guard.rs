//! Deadline guards on expensive built-ins (issue 9).
//!
//! QuickJS polls the interrupt handler once per ~10,000 bytecode ticks, so a loop whose every
//! step is an expensive built-in (`indexOf` over a 16 MiB string, `JSON.stringify` of a large
//! object) could run thousands of such steps past the deadline before the next poll. Before any
//! mini-program code runs, each built-in that can cost time in proportion to its input is
//! replaced by a wrapper that first asks the host whether the dispatch's deadline has passed; past
//! it, the wrapper refuses the call (a catchable `RangeError`) and the run is flagged to stop, so
//! the next poll ends it even if the program catches the error. The bound is then: the deadline,
//! plus one built-in call already under way (its input is bounded by the memory cap), plus up to
//! one poll interval of cheap steps.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use rquickjs::{Ctx, Function};

/// The wrapping script: a function of `expired` (the host check).
const GUARDS: &str = r#"(function (expired) {
  var apply = Reflect.apply, define = Object.defineProperty, RE = RangeError;
  function guard(obj, names) {
    if (!obj) return;
    names.split(' ').forEach(function (name) {
      var d = Object.getOwnPropertyDescriptor(obj, name);
      if (!d || typeof d.value !== 'function') return;
      var f = d.value;
      var g = {
        [name]: function () {
          if (expired()) throw new RE('the dispatch ran past its deadline');
          return apply(f, this, arguments);
        },
      }[name];
      define(g, 'length', { value: f.length });
      define(obj, name, { value: g, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable });
    });
  }
  guard(String.prototype, 'indexOf lastIndexOf includes startsWith endsWith repeat padStart padEnd concat split replace replaceAll match matchAll search normalize toLowerCase toUpperCase toLocaleLowerCase toLocaleUpperCase trim trimStart trimEnd localeCompare slice substring substr at codePointAt');
  guard(Array.prototype, 'join indexOf lastIndexOf includes fill sort reverse slice splice concat flat copyWithin toString toLocaleString');
  guard(Object.getPrototypeOf(Uint8Array.prototype), 'fill set indexOf lastIndexOf includes join sort reverse slice subarray copyWithin');
  guard(JSON, 'stringify parse');
  guard(RegExp.prototype, 'exec test');
  guard(Object, 'keys values entries assign getOwnPropertyNames');
  guard(Array, 'from');
  guard(String, 'fromCharCode fromCodePoint');
})"#;

/// Installs the guards in `ctx`. `deadline` is the current dispatch's; `interrupted` is set when a
/// guard finds it passed, so the interrupt handler ends the run at its next poll. Returns the
/// host check (a Rust function the engine keeps alive, see `Engine::pins`).
pub(super) fn install<'js>(
    ctx: &Ctx<'js>,
    deadline: Rc<Cell<Option<Instant>>>,
    interrupted: Rc<Cell<bool>>,
) -> rquickjs::Result<Function<'js>> {
    let expired = Function::new(ctx.clone(), move || {
        let past = matches!(deadline.get(), Some(d) if Instant::now() >= d);
        if past {
            interrupted.set(true);
        }
        past
    })?;
    let f: Function = ctx.eval(GUARDS)?;
    f.call::<_, ()>((expired.clone(),))?;
    Ok(expired)
}
